import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sympy as sp

from liepinn import PDE, lower


def test_lower_matches_sympy_numerically():
    pde = PDE.from_text("u_t = nu*u_xx - u*u_x + sin(x)*exp(-t)", independent="x,t", dependent="u")
    L = lower(pde.equations, pde.jet, ["nu"])
    assert set(L.required) == {(0, (0, 0)), (0, (1, 0)), (0, (0, 1)), (0, (2, 0))}
    rng = np.random.default_rng(0)
    pts = rng.normal(size=(7, 2))
    vals = {k: rng.normal(size=7) for k in L.required}
    out = np.asarray(jax.jit(L)(jnp.asarray(pts), {k: jnp.asarray(v) for k, v in vals.items()}, jnp.array([0.3])))
    f = sp.lambdify([sp.Symbol("x"), sp.Symbol("t"), sp.Symbol("nu")] + [pde.jet.jet(*k) for k in L.required], pde.equations[0])
    ref = f(pts[:, 0], pts[:, 1], 0.3, *[vals[k] for k in L.required])
    np.testing.assert_allclose(out[0], ref, rtol=1e-5)


def test_lower_values_and_constants():
    pde = PDE.from_text("u_t = nu*u_xx", independent="x,t", dependent="u")
    L = lower([pde.equations[0], sp.Integer(2)], pde.jet, values={"nu": sp.Rational(1, 2)})
    pts = jnp.zeros((3, 2))
    d = {k: jnp.ones(3) for k in L.required}
    out = L(pts, d)
    np.testing.assert_allclose(out, [[0.5] * 3, [2.0] * 3])


def test_lower_rejects_unknown_symbol():
    pde = PDE.from_text("u_t = nu*u_xx", independent="x,t", dependent="u")
    with pytest.raises(ValueError, match="nu"):
        lower(pde.equations, pde.jet)


def test_float64(x64):
    pde = PDE.from_text("u_t = u_xx", independent="x,t", dependent="u")
    L = lower(pde.equations, pde.jet)
    out = L(jnp.zeros((2, 2), jnp.float64), {k: jnp.ones(2, jnp.float64) for k in L.required})
    assert out.dtype == jnp.float64
