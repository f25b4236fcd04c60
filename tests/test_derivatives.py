"""The derivative engine: all strategies agree, match closed forms, and fail clearly."""

import itertools
import math
import warnings

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from liepinn.derivatives import (
    Box,
    Forward,
    MultiTaylor,
    NestedReverse,
    Taylor,
    derivatives,
)
from liepinn.derivatives._strategies import _plan

STRATEGIES = {
    "Forward": Forward(),
    "Taylor": Taylor(),
    "MultiTaylor": MultiTaylor(fallback=None),
}


# u, u_x, u_t, u_xx, u_xt, u_tt, u_xxx, u_xxt: Burgers' residual and its first total derivatives
BURGERS3 = [(0, 0), (1, 0), (0, 1), (2, 0), (1, 1), (0, 2), (3, 0), (2, 1)]


def _alphas(p, max_order):
    return [al for al in itertools.product(range(max_order + 1), repeat=p) if sum(al) <= max_order]


def _compare(model, points, requests, box, rtol):
    """Every strategy against NestedReverse: max |d - ref| <= rtol * max |ref| per (a, alpha)."""
    run = lambda s: jax.jit(lambda x: derivatives(model, x, requests, strategy=s, scaling=box))(
        points
    )
    ref = run(NestedReverse())
    assert sorted(ref) == sorted(requests)
    for name, strategy in STRATEGIES.items():
        got = run(strategy)
        assert sorted(got) == sorted(requests), name  # exactly the requested set
        for key in requests:
            assert got[key].shape == (points.shape[0],) and got[key].dtype == points.dtype
            scale = float(jnp.max(jnp.abs(ref[key])))
            err = float(jnp.max(jnp.abs(got[key] - ref[key])))
            assert scale > 0 or err == 0
            assert err <= rtol * scale, (name, key, err, scale)


def _mlp(p, q, dtype, key, width=8, depth=2):
    return eqx.nn.MLP(p, q, width, depth, activation=jnp.tanh, dtype=dtype, key=key)


def test_strategies_agree_float32_order4():
    key_m, key_x = jax.random.split(jax.random.PRNGKey(0))
    model = _mlp(2, 1, jnp.float32, key_m)
    box = Box([0.0, 0.0], [6.0, 16.0])
    points = box.from_unit(jax.random.uniform(key_x, (16, 2), minval=-1, maxval=1))
    requests = [(0, al) for al in _alphas(2, 4)]
    _compare(model, points, requests, box, rtol=1e-5)


def test_strategies_agree_float64_p3_q2(x64):
    key_m, key_x = jax.random.split(jax.random.PRNGKey(1))
    model = _mlp(3, 2, jnp.float64, key_m)
    box = Box([0.0, 0.0, -1.0], [6.0, 16.0, 0.5])
    points = box.from_unit(
        jax.random.uniform(key_x, (8, 3), minval=-1, maxval=1, dtype=jnp.float64)
    )
    # all of order <= 3, and order 4: pure, two-variable and three-variable mixed
    order4 = [(4, 0, 0), (1, 0, 3), (2, 1, 1)]
    order3 = [(3, 0, 0), (0, 3, 0), (1, 1, 1), (0, 1, 2), (2, 0, 1)]
    requests = [(1, al) for al in _alphas(3, 2) + order3 + order4]
    requests += [(0, al) for al in _alphas(3, 1) + [(1, 1, 1), (2, 1, 1)]]
    _compare(model, points, requests, box, rtol=1e-10)


def test_scaling_without_box_and_scalar_output():
    """q = 1 as a scalar-valued model, no Box: z = x."""
    model = eqx.nn.MLP(2, "scalar", 8, 2, activation=jnp.tanh, key=jax.random.PRNGKey(2))
    points = jax.random.uniform(jax.random.PRNGKey(3), (5, 2))
    requests = [(0, (0, 0)), (0, (1, 1)), (0, (0, 2))]
    _compare(model, points, requests, None, rtol=1e-5)


class _ClosedForm(eqx.Module):
    """u(x, t) = (sin(x) exp(t/8), x^2 t^3), seen by the network through a Box."""

    box: Box

    def __call__(self, z):
        x, t = self.box.from_unit(z)
        return jnp.stack([jnp.sin(x) * jnp.exp(t / 8), x**2 * t**3])


def _closed_form(a, alpha, x, t):
    i, j = alpha
    if a == 0:
        return np.sin(x + i * np.pi / 2) * np.exp(t / 8) / 8**j
    falling = lambda n, k: math.perm(n, k) if k <= n else 0
    return falling(2, i) * x ** max(2 - i, 0) * falling(3, j) * t ** max(3 - j, 0)


@pytest.mark.parametrize("name", ["NestedReverse", *STRATEGIES])
def test_closed_form_chain_rule(name, x64):
    """Derivatives w.r.t. physical x, t on [0, 6] x [0, 16] for a model defined on [-1, 1]^2."""
    box = Box([0.0, 0.0], [6.0, 16.0])
    model = _ClosedForm(box)
    rng = np.random.default_rng(0)
    pts = np.stack([rng.uniform(0, 6, 10), rng.uniform(0, 16, 10)], axis=1)
    requests = [(0, al) for al in _alphas(2, 4)] + [(1, al) for al in _alphas(2, 3) + [(2, 2)]]
    strategy = NestedReverse() if name == "NestedReverse" else STRATEGIES[name]
    got = jax.jit(lambda x: derivatives(model, x, requests, strategy=strategy, scaling=box))(
        jnp.asarray(pts)
    )
    for a, alpha in requests:
        want = _closed_form(a, alpha, pts[:, 0], pts[:, 1])
        np.testing.assert_allclose(
            got[(a, alpha)], want, rtol=1e-10, atol=1e-10 * np.max(np.abs(want) + 1),
            err_msg=str((name, a, alpha)),
        )


def test_grad_through_derivatives_agrees(x64):
    """value_and_grad w.r.t. the parameters through every strategy (what training does)."""
    key_m, key_x = jax.random.split(jax.random.PRNGKey(4))
    model = _mlp(2, 1, jnp.float64, key_m)
    box = Box([-1.0, 0.0], [1.0, 1.0])
    points = box.from_unit(jax.random.uniform(key_x, (8, 2), minval=-1, maxval=1, dtype=jnp.float64))
    burgers3 = [(0, al) for al in BURGERS3]

    def loss(model, strategy):
        d = derivatives(model, points, burgers3, strategy=strategy, scaling=box)
        u, ux, ut, uxx = (d[(0, al)] for al in [(0, 0), (1, 0), (0, 1), (2, 0)])
        res = ut + u * ux - 0.01 * uxx
        return jnp.mean(res**2) + sum(jnp.mean(v**2) for v in d.values())

    grad = lambda s: eqx.filter_jit(eqx.filter_value_and_grad(loss))(model, s)
    # reference: Forward (its values are checked against NestedReverse above; reverse mode
    # through nested grads is the slowest to compile)
    v_ref, g_ref = grad(Forward())
    for name in ("Taylor", "MultiTaylor"):
        v, g = grad(STRATEGIES[name])
        np.testing.assert_allclose(v, v_ref, rtol=1e-10)
        for x, y in zip(jax.tree.leaves(g), jax.tree.leaves(g_ref)):
            np.testing.assert_allclose(x, y, rtol=1e-9, atol=1e-10 * np.max(np.abs(y)), err_msg=name)


@pytest.mark.parametrize(
    "activation",
    [lambda x: jnp.sin(x) + jax.nn.sigmoid(x) + jax.nn.softplus(x) * jax.nn.gelu(x) + jnp.exp(x),
     lambda x: x**3 - jnp.sqrt(1 + x**2) + jnp.log1p(x**2) / (2 + jnp.cos(x)),
     lambda x: jnp.log(2 + jnp.square(x)) * jax.lax.rsqrt(1 + x**2) + jax.nn.elu(x - 0.5),
     lambda x: jax.scipy.special.erf(x) + jnp.cosh(x) * jnp.abs(x) ** 1.5,
     lambda x: jnp.tan(x / 2) + jnp.arctan(x) + jnp.exp2(x),
     lambda x: jnp.maximum(x, 0.0) ** 3 + jnp.minimum(x, 0.1) + (3 + jnp.sinh(x) ** 2) ** -2],
)
def test_multitaylor_activations(activation, x64):
    """The multivariate Taylor rules (exp, log, sin, sqrt, pow, erf, max/min ...) vs Forward."""
    key_m, key_x = jax.random.split(jax.random.PRNGKey(5))
    model = eqx.nn.MLP(2, 2, 6, 1, activation=activation, dtype=jnp.float64, key=key_m)
    points = jax.random.uniform(key_x, (6, 2), minval=0.2, maxval=0.9, dtype=jnp.float64)
    requests = [(a, al) for a in (0, 1) for al in _alphas(2, 3)]
    run = lambda s: jax.jit(lambda x: derivatives(model, x, requests, strategy=s))(points)
    ref, got = run(Forward()), run(MultiTaylor(fallback=None))
    for key in requests:
        np.testing.assert_allclose(got[key], ref[key], rtol=1e-9,
                                   atol=1e-10 * float(jnp.max(jnp.abs(ref[key]))), err_msg=str(key))


def test_multitaylor_fallback():
    model = lambda x: jax.lax.lgamma(2 + x[:1] * x[1:])  # no multivariate Taylor rule
    points = jnp.linspace(0.1, 1.0, 8).reshape(4, 2)
    requests = [(0, (1, 1)), (0, (2, 0))]
    with pytest.raises(NotImplementedError, match="lgamma"):
        derivatives(model, points, requests, strategy=MultiTaylor(fallback=None))
    with pytest.warns(UserWarning, match="falling back to Forward"):
        got = derivatives(model, points, requests, strategy=MultiTaylor())
    ref = derivatives(model, points, requests, strategy=NestedReverse())
    for key in requests:
        np.testing.assert_allclose(got[key], ref[key], rtol=1e-5)


def test_taylor_unsupported_primitive():
    model = eqx.nn.MLP(2, 1, 4, 2, activation=jnp.tanh, scan=True, key=jax.random.PRNGKey(0))
    with pytest.raises(NotImplementedError, match="jet has no rule for the primitive scan"):
        derivatives(model, jnp.zeros((3, 2)), [(0, (2, 0))], strategy=Taylor())


def test_plan_burgers_order3():
    """Taylor covers u..u_xxt (with u_tt) by jvp_t(jet_x^3) and jet_t^2: 10 coefficients,
    fewer than one box (3, 2) with 12 or one box per maximal element with 11."""
    assert _plan(BURGERS3) == ((0, 2), (3, 1))
    assert _plan([(0, 0), (0, 1)]) == ((0, 1),)
    assert _plan([(0, 0)]) == ((0, 0),)


def test_box():
    box = Box([0.0, 0.0], [6.0, 16.0])
    x = jnp.array([[0.0, 0.0], [6.0, 16.0], [3.0, 4.0]])
    np.testing.assert_allclose(box.to_unit(x), [[-1, -1], [1, 1], [0, -0.5]])
    np.testing.assert_allclose(box.from_unit(box.to_unit(x)), x, rtol=1e-6)
    np.testing.assert_allclose(box.unit_scale, [1 / 3, 1 / 8])
    assert box.p == 2
    with pytest.raises(ValueError, match="lo < hi"):
        Box([0.0, 1.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="same shape"):
        Box([0.0], [1.0, 2.0])


@pytest.mark.parametrize(
    "bad, match",
    [
        ([(0, (1,))], "length 1"),
        ([(0, (1, 0, 0))], "length 3"),
        ([(0, (1, -1))], "non-negative"),
        ([(0, (1.0, 0))], "non-negative ints"),
        ([(2, (1, 0))], "out of range"),
        ([(-1, (0, 0))], "out of range"),
        ([(True, (0, 0))], "out of range"),
        ([(0, 1)], "pair"),
        ([(0,)], "pair"),
    ],
)
def test_bad_multi_indices(bad, match):
    model = _mlp(2, 2, jnp.float32, jax.random.PRNGKey(0))
    with pytest.raises(ValueError, match=match):
        derivatives(model, jnp.zeros((3, 2)), bad)


def test_bad_arguments():
    model = _mlp(2, 1, jnp.float32, jax.random.PRNGKey(0))
    with pytest.raises(ValueError, match=r"shape \(N, p\)"):
        derivatives(model, jnp.zeros(2), [(0, (1, 0))])
    with pytest.raises(TypeError, match="strategy"):
        derivatives(model, jnp.zeros((3, 2)), [(0, (1, 0))], strategy="taylor")
    with pytest.raises(ValueError, match="Box in 3 dimensions"):
        derivatives(model, jnp.zeros((3, 2)), [(0, (1, 0))], scaling=Box([0, 0, 0], [1, 1, 1]))
    assert derivatives(model, jnp.zeros((3, 2)), []) == {}


def _liepinn_models(key):
    nn = pytest.importorskip("liepinn.nn")
    k1, k2, k3 = jax.random.split(key, 3)
    embed = nn.Chain(
        nn.PeriodicEmbedding(2, axis=0, period=2.0, n_harmonics=2),
        nn.FourierFeatures(5, 4, sigma=0.5, key=k1),
    )
    mlp = nn.MLP(2, 2, 8, 1, activation="silu", embedding=embed, dtype=jnp.float64, key=k2)
    hard = nn.HardConstraint(
        nn.MLP(2, 1, 8, 1, activation="gelu", dtype=jnp.float64, key=k3),
        lambda z, n: -jnp.sin(jnp.pi * z[:1]) + z[1] * (1 - z[0] ** 2) * n,
    )
    scanned = eqx.nn.MLP(2, 1, 8, 3, activation=jnp.tanh, scan=True, dtype=jnp.float64, key=k3)
    return {"embedded MLP": mlp, "hard constraint": hard, "eqx MLP with scan": scanned}


def test_multitaylor_on_liepinn_networks(x64):
    """The default strategy on the project's networks (embeddings, hard constraints, scan)."""
    points = jax.random.uniform(jax.random.PRNGKey(7), (5, 2), minval=-1, maxval=1,
                                dtype=jnp.float64)
    for name, model in _liepinn_models(jax.random.PRNGKey(6)).items():
        q = jax.eval_shape(model, points[0]).shape[0]
        requests = [(0, al) for al in BURGERS3] + [(q - 1, (1, 1))]
        ref = jax.jit(lambda x: derivatives(model, x, requests, strategy=Forward()))(points)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no fallback
            got = jax.jit(lambda x: derivatives(model, x, requests))(points)
        for key in requests:
            np.testing.assert_allclose(got[key], ref[key], rtol=1e-9,
                                       atol=1e-10 * float(jnp.max(jnp.abs(ref[key]))),
                                       err_msg=f"{name} {key}")


def test_edge_cases_all_strategies():
    """p = 1; a model that ignores an input (zero derivatives); the value alone."""
    one_d = lambda x: jnp.stack([jnp.sin(x[0]), x[0] ** 3])
    ignores_t = lambda x: jnp.tanh(x[:1])
    x1 = jnp.linspace(-1.0, 1.0, 5)[:, None]
    x2 = jnp.stack([jnp.linspace(-1.0, 1.0, 5), jnp.ones(5)], axis=1)
    for strategy in [NestedReverse(), *STRATEGIES.values()]:
        d = derivatives(one_d, x1, [(0, (3,)), (1, (2,)), (1, (0,))], strategy=strategy)
        np.testing.assert_allclose(d[(0, (3,))], -jnp.cos(x1[:, 0]), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(d[(1, (2,))], 6 * x1[:, 0], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(d[(1, (0,))], x1[:, 0] ** 3, rtol=1e-6)
        d = derivatives(ignores_t, x2, [(0, (0, 1)), (0, (1, 2)), (0, (0, 0))], strategy=strategy)
        assert d[(0, (0, 1))].shape == (5,) and not jnp.any(d[(0, (0, 1))])
        assert not jnp.any(d[(0, (1, 2))])
        np.testing.assert_allclose(d[(0, (0, 0))], jnp.tanh(x2[:, 0]), rtol=1e-6)
