"""Losses: residual, symmetry terms (prolonged / evolutionary), gPINN, IC/BC, degeneracy report."""

import json

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sympy as sp

from liepinn import PDE, symmetries
from liepinn.derivatives import Box, NestedReverse
from liepinn.losses import (
    NEW_INFORMATION,
    NO_SIGNAL,
    REWEIGHTED_RESIDUAL,
    PINNLoss,
    degeneracy,
    dirichlet_loss,
    multiplier,
    neumann_loss,
    periodic_loss,
)

from liepinn.symmetry import Generator
from liepinn.symmetry._degeneracy import degeneracy_column

x, t, u, v = sp.symbols("x t u v")
mu, nu = sp.symbols("mu nu")

def gen(jet, xi=None, phi=None):
    return Generator({jet.independent[jet.index(k)]: sp.sympify(c) for k, c in (xi or {}).items()},
                     {jet.dependent[jet.dep_index(k)]: sp.sympify(c) for k, c in (phi or {}).items()},
                     jet)


# -- the problems and the generator tables of ../shared/PAPER.md ---------------------------


def heat():
    pde = PDE.from_text("u_t = mu*u_xx", independent="x,t", dependent="u")
    J = pde.jet
    gens = [gen(J, {"x": 1}), gen(J, {"t": 1}), gen(J, phi={"u": u}),
            gen(J, {"x": x, "t": 2 * t}), gen(J, {"x": 2 * mu * t}, {"u": -x * u}),
            gen(J, {"x": 4 * mu * t * x, "t": 4 * mu * t**2}, {"u": -(x**2 + 2 * mu * t) * u})]
    return pde, gens


def burgers():
    pde = PDE.from_text("u_t + u*u_x - nu*u_xx = 0", independent="x,t", dependent="u")
    J = pde.jet
    gens = [gen(J, {"x": 1}), gen(J, {"t": 1}), gen(J, {"x": t}, {"u": 1}),
            gen(J, {"x": x, "t": 2 * t}, {"u": -u}), gen(J, {"x": t * x, "t": t**2}, {"u": x - t * u})]
    return pde, gens


def kdv():
    pde = PDE.from_text("u_t + 6*u*u_x + u_xxx = 0", independent="x,t", dependent="u")
    J = pde.jet
    gens = [gen(J, {"x": 1}), gen(J, {"t": 1}), gen(J, {"x": 6 * t}, {"u": 1}),
            gen(J, {"x": x, "t": 3 * t}, {"u": -2 * u})]
    return pde, gens


def wave_system():
    """u_t = v_x, v_t = u_x (one-dimensional wave equation as a first-order system)."""
    pde = PDE.from_text(["u_t = v_x", "v_t = u_x"], independent="x,t", dependent="u,v")
    J = pde.jet
    gens = [gen(J, {"x": 1}), gen(J, {"t": 1}), gen(J, {"x": x, "t": t}),
            gen(J, {"x": t, "t": x}, {"u": -v, "v": -u}), gen(J, phi={"u": u, "v": v}),
            gen(J, phi={"u": v, "v": u})]
    return pde, gens


# PAPER.md table: pr v(Delta) and L_Delta[Q], written with Delta and D_x(Delta), D_t(Delta).
D_x, D_t, Delta = sp.Function("D_x"), sp.Function("D_t"), sp.Symbol("Delta")
PAPER_TABLE = {
    "heat": [("0", "-D_x(Delta)"), ("0", "-D_t(Delta)"), ("Delta", "Delta"),
             ("-2*Delta", "-2*Delta - x*D_x(Delta) - 2*t*D_t(Delta)"),
             ("-x*Delta", "-x*Delta - 2*mu*t*D_x(Delta)"),
             ("-(x**2 + 10*mu*t)*Delta",
              "-(x**2 + 10*mu*t)*Delta - 4*mu*t*x*D_x(Delta) - 4*mu*t**2*D_t(Delta)")],
    "burgers": [("0", "-D_x(Delta)"), ("0", "-D_t(Delta)"), ("0", "-t*D_x(Delta)"),
                ("-3*Delta", "-3*Delta - x*D_x(Delta) - 2*t*D_t(Delta)"),
                ("-3*t*Delta", "-3*t*Delta - t*x*D_x(Delta) - t**2*D_t(Delta)")],
}
PAPER_CLASSES = {
    "heat": [(NO_SIGNAL, NEW_INFORMATION), (NO_SIGNAL, NEW_INFORMATION),
             (REWEIGHTED_RESIDUAL, REWEIGHTED_RESIDUAL)] + [(REWEIGHTED_RESIDUAL, NEW_INFORMATION)] * 3,
    "burgers": [(NO_SIGNAL, NEW_INFORMATION)] * 3 + [(REWEIGHTED_RESIDUAL, NEW_INFORMATION)] * 2,
}


@pytest.mark.parametrize("name,problem", [("heat", heat), ("burgers", burgers)])
def test_degeneracy_reproduces_paper_table(name, problem):
    pde, gens = problem()
    ns = {"D_x": D_x, "D_t": D_t, "Delta": Delta, "x": x, "t": t, "mu": mu, "nu": nu}
    report = degeneracy(pde, gens)
    assert [d.name for d in report] == [f"v{k + 1}" for k in range(len(gens))]
    for d, (pro, evo), classes in zip(report, PAPER_TABLE[name], PAPER_CLASSES[name]):
        assert sp.expand(d.prolonged_term()[0] - sp.sympify(pro, locals=ns)) == 0, (d.name, d.prolonged_term())
        assert sp.expand(d.evolutionary_term()[0] - sp.sympify(evo, locals=ns)) == 0, (d.name, d.evolutionary_term())
        assert (d.prolonged, d.evolutionary) == classes
        json.dumps(d.to_dict())


def test_degeneracy_of_derived_burgers_algebra():
    """From `symmetries` to the report: translations and the Galilean boost give no signal in
    prolonged form, all five generators new information in evolutionary form."""
    pde, table = burgers()
    algebra = symmetries(pde)
    assert len(algebra.basis) == 5 and set(algebra.basis) == set(table)
    by_generator = {g: d for g, d in zip(algebra.basis, degeneracy(pde, algebra))}
    assert [by_generator[g].prolonged for g in table] == [NO_SIGNAL] * 3 + [REWEIGHTED_RESIDUAL] * 2
    assert all(d.evolutionary == NEW_INFORMATION for d in by_generator.values())
    # the column for `liepinn symmetries`: the classification in the table, the report in JSON
    column = degeneracy_column(algebra)
    k = algebra.basis.index(table[0])
    assert str(column[k]) == "prolonged: no signal; evolutionary: new information"
    assert json.loads(json.dumps(column))[k]["evolutionary_term"] == ["-D_x(Delta)"]


@pytest.mark.parametrize("problem", [heat, burgers, kdv, wave_system])
def test_evolutionary_identity_on_jet_space(problem):
    """L_Delta[Q] (the Frechet derivative d/de Delta[u + e Q]) = lambda Delta - xi^i D_i Delta."""
    pde, gens = problem()
    J = pde.jet
    eps = sp.Symbol("eps")
    for g in gens:
        lam = multiplier(pde, g)
        Q = g.characteristic()
        xi = [g.xi[s] for s in J.independent]
        for k, e in enumerate(pde.equations):
            shifted = {J.jet(a, al): J.jet(a, al) + eps * J.D_multi(Q[a], al) for a, al in J.jet_variables(e)}
            frechet = sp.diff(e.xreplace(shifted), eps).subs(eps, 0)
            rhs = sum(lam[k, j] * pde.equations[j] for j in range(len(pde.equations)))
            rhs -= sum(c * J.D(e, i) for i, c in enumerate(xi))
            assert sp.expand(frechet - rhs) == 0, (g, k)


def test_system_multiplier_is_a_matrix():
    pde, gens = wave_system()
    assert multiplier(pde, gens[3]) == sp.zeros(2, 2)  # the boost
    assert multiplier(pde, gens[5]) == sp.Matrix([[0, 1], [1, 0]])  # u <-> v swaps the equations
    report = degeneracy(pde, gens)
    assert [d.prolonged for d in report] == [NO_SIGNAL, NO_SIGNAL] + [REWEIGHTED_RESIDUAL] + [NO_SIGNAL] + [REWEIGHTED_RESIDUAL] * 2
    assert [d.evolutionary for d in report] == [NEW_INFORMATION] * 4 + [REWEIGHTED_RESIDUAL] * 2


def test_multiplier_rejects_non_symmetry():
    pde, _ = burgers()
    with pytest.raises(ValueError, match="not a symmetry"):
        multiplier(pde, gen(pde.jet, {"x": x**2}))


# -- exact solutions: (x, t) -> (q,) in physical coordinates --------------------------------


class HeatKernel(eqx.Module):
    mu: float
    t0: float

    def __call__(self, p):
        s = p[1] + self.t0
        return jnp.exp(-p[0] ** 2 / (4 * self.mu * s))[None] / jnp.sqrt(4 * jnp.pi * self.mu * s)


class BurgersFront(eqx.Module):
    """Travelling wave u = c - A tanh(A (x - c t) / (2 nu))."""

    nu: float
    c: float
    A: float

    def __call__(self, p):
        return (self.c - self.A * jnp.tanh(self.A * (p[0] - self.c * p[1]) / (2 * self.nu)))[None]


class BurgersColeHopf(eqx.Module):
    """u = -2 nu phi_x / phi with phi = 2 + cos(k x) exp(-nu k^2 t), a heat solution."""

    nu: float
    k: float

    def __call__(self, p):
        e = jnp.exp(-self.nu * self.k**2 * p[1])
        return (2 * self.nu * self.k * jnp.sin(self.k * p[0]) * e / (2 + jnp.cos(self.k * p[0]) * e))[None]


class KdVSoliton(eqx.Module):
    c: float

    def __call__(self, p):
        return (self.c / 2 / jnp.cosh(jnp.sqrt(self.c) / 2 * (p[0] - self.c * p[1] - 1)) ** 2)[None]


class WaveSolution(eqx.Module):
    def __call__(self, p):
        f, g = jnp.sin(p[0] + p[1]), jnp.exp(-((p[0] - p[1]) ** 2))
        return jnp.stack([f + g, f - g])


class OnUnit(eqx.Module):
    """A physical-coordinate function seen as a network on [-1, 1]^p (for the chain rule)."""

    fn: eqx.Module
    box: Box

    def __call__(self, z):
        return self.fn(self.box.from_unit(z))


def _points(box, n, key):
    lo, hi = np.asarray(box.lo), np.asarray(box.hi)
    return jnp.asarray(lo + (hi - lo) * np.asarray(jax.random.uniform(key, (n, len(lo)))))


CASES = {
    "heat": (heat, lambda: HeatKernel(0.5, 0.5), {"mu": 0.5}, ([-2.0, 0.0], [2.0, 1.0])),
    "burgers-front": (burgers, lambda: BurgersFront(0.1, 0.3, 0.5), {"nu": 0.1}, ([-1.0, 0.0], [1.0, 1.0])),
    "burgers-cole-hopf": (burgers, lambda: BurgersColeHopf(0.05, 2.0), {"nu": 0.05}, ([0.0, 0.0], [3.0, 2.0])),
    "kdv-soliton": (kdv, lambda: KdVSoliton(1.5), {}, ([-4.0, 0.0], [6.0, 2.0])),
    "wave-system": (wave_system, WaveSolution, {}, ([-2.0, 0.0], [2.0, 1.0])),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_term_vanishes_on_exact_solutions(case, x64):
    problem, solution, values, (lo, hi) = CASES[case]
    pde, gens = problem()
    box = Box(lo, hi)
    model = OnUnit(solution(), box)
    pts = _points(box, 64, jax.random.key(0))
    for form in ("prolonged", "evolutionary"):
        loss = PINNLoss(pde, gens, form=form, gpinn=1.0, normalisation="none", box=box,
                        parameter_values=values)
        terms = loss.pointwise(model, pts)
        n_terms = (1 + len(gens) + 2) * len(pde.equations)
        assert len(terms) == n_terms
        for name, val in terms.items():
            assert val.dtype == jnp.float64
            assert float(jnp.max(jnp.abs(val))) <= 1e-8, (case, form, name, float(jnp.max(jnp.abs(val))))
    # the check can fail: a perturbed solution is not one
    perturbed = lambda z: model(z) * (1 + 0.1 * z[0])
    total, _ = PINNLoss(pde, gens, box=box, parameter_values=values)(perturbed, pts)
    assert float(total) > 1e-6


def _mlp(key, p=2, q=1):
    return eqx.nn.MLP(p, q, 16, 3, activation=jnp.tanh, key=key)


@pytest.mark.parametrize("problem", [burgers, heat])
def test_terms_match_independent_computation(problem, x64):
    """On a random network: sym term = lambda Delta - xi.grad(Delta) (evolutionary),
    lambda Delta (prolonged), gpinn = grad(Delta), with Delta and grad(Delta) from nested jax.grad
    of the network on a [0, 6] x [0, 16] domain, lambda from the degeneracy report."""
    pde, gens = problem()
    pname = next(iter(pde.parameters)).name
    box = Box([0.0, 0.0], [6.0, 16.0])
    mlp = _mlp(jax.random.key(1))
    pts = _points(box, 40, jax.random.key(2))
    pval = 0.3

    def uf(p):
        return mlp(box.to_unit(p))[0]

    def residual(p):
        g, H = jax.grad(uf)(p), jax.hessian(uf)(p)
        if problem is burgers:
            return g[1] + uf(p) * g[0] - pval * H[0, 0]
        return g[1] - pval * H[0, 0]

    res = jax.jit(jax.vmap(residual))(pts)
    dres = jax.jit(jax.vmap(jax.grad(residual)))(pts)
    params = jnp.array([pval])
    evo = PINNLoss(pde, gens, form="evolutionary", gpinn=1.0, normalisation="none", box=box).pointwise(mlp, pts, params)
    pro = PINNLoss(pde, gens, form="prolonged", normalisation="none", box=box).pointwise(mlp, pts, params)
    np.testing.assert_allclose(evo["residual"], res, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(evo["gpinn:x"], dres[:, 0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(evo["gpinn:t"], dres[:, 1], rtol=1e-10, atol=1e-12)
    sym = {s.name: s for s in (x, t)}
    for k, (g, d) in enumerate(zip(gens, degeneracy(pde, gens))):
        lam = sp.lambdify([x, t, sp.Symbol(pname)], d.lam[0, 0], "numpy")
        lam_v = np.broadcast_to(lam(pts[:, 0], pts[:, 1], pval), res.shape)
        xi = [sp.lambdify([x, t, sp.Symbol(pname)], g.xi[sym[s]], "numpy") for s in ("x", "t")]
        xi_v = [np.broadcast_to(f(pts[:, 0], pts[:, 1], pval), res.shape) for f in xi]
        expected = lam_v * res - xi_v[0] * dres[:, 0] - xi_v[1] * dres[:, 1]
        scale = float(np.max(np.abs(expected))) + 1e-300
        np.testing.assert_allclose(evo[f"sym:v{k + 1}"], expected, rtol=1e-9, atol=1e-10 * scale)
        np.testing.assert_allclose(pro[f"sym:v{k + 1}"], lam_v * res, rtol=1e-9, atol=1e-10 * scale)


def test_change_of_basis(x64):
    """The term is linear in the generator: term(c v) = c term(v), term(v + w) = term(v) + term(w);
    the loss (a square) scales by c^2 and depends on the basis; normalisation by coefficient
    size removes the scale (term(c v) = sign(c) term(v))."""
    pde, gens = burgers()
    box = Box([-1.0, 0.0], [1.0, 1.0])
    mlp = _mlp(jax.random.key(3))
    pts = _points(box, 50, jax.random.key(4))
    v4, v5 = gens[3], gens[4]
    changed = [v4, v5, -2 * v4, v4 + v5]
    for form in ("prolonged", "evolutionary"):
        raw = PINNLoss(pde, changed, form=form, normalisation="none", box=box, parameter_values={"nu": 0.1})
        T = raw.pointwise(mlp, pts)
        np.testing.assert_allclose(T["sym:v3"], -2 * T["sym:v1"], rtol=1e-12)
        np.testing.assert_allclose(T["sym:v4"], T["sym:v1"] + T["sym:v2"], rtol=1e-12, atol=1e-14)
        _, L = raw(mlp, pts)
        np.testing.assert_allclose(L["sym:v3"], 4 * L["sym:v1"], rtol=1e-12)
        norm = PINNLoss(pde, changed, form=form, box=box, parameter_values={"nu": 0.1})
        N = norm.pointwise(mlp, pts)
        np.testing.assert_allclose(N["sym:v3"], -N["sym:v1"], rtol=1e-12)
        s = norm.describe()["generators"]
        assert s[2]["scale"] == pytest.approx(2 * s[0]["scale"])
    # Galilean boost: sign flip of the generator flips the evolutionary term
    T = PINNLoss(pde, [gens[2], -gens[2]], normalisation="none", box=box,
                 parameter_values={"nu": 0.1}).pointwise(mlp, pts)
    np.testing.assert_allclose(T["sym:v2"], -T["sym:v1"], rtol=1e-12)


def test_normalisation_by_coefficients():
    pde, gens = burgers()
    box = Box([-1.0, 0.0], [1.0, 1.0])
    loss = PINNLoss(pde, gens, box=box, parameter_values={"nu": 0.1}, gpinn=0.1)
    rec = loss.describe()
    scales = [g["scale"] for g in rec["generators"]]
    # d/dx: 1/2; d/dt: 1; t d/dx + d/du: max(1/2, 1) = 1; x d/dx + 2t d/dt - u d/du: 2;
    # tx d/dx + t^2 d/dt + (x - tu) d/du: max(1/2, 1, 2) = 2
    np.testing.assert_allclose(scales, [0.5, 1.0, 1.0, 2.0, 2.0])
    np.testing.assert_allclose(rec["gpinn_scales"], [0.5, 1.0])
    assert rec["normalisation"]["method"] == "coefficients"
    json.dumps(rec)
    with pytest.raises(ValueError, match="domain"):
        PINNLoss(pde, gens, parameter_values={"nu": 0.1})
    assert PINNLoss(pde).names == ()  # residual only: nothing to normalise, no domain needed


def test_initial_scales_weights_select_and_jit():
    """float32, jitted, differentiable; `with_initial_scales` equalises the terms at init."""
    pde, gens = burgers()
    box = Box([-1.0, 0.0], [1.0, 1.0])
    mlp = _mlp(jax.random.key(5))
    pts = _points(box, 200, jax.random.key(6)).astype(jnp.float32)
    loss = PINNLoss(pde, gens, box=box, parameter_values={"nu": 0.01 / np.pi},
                    weights={"v1": 0.5}, select=["v1", "v3", "v4"])
    assert loss.names == ("v1", "v3", "v4") and loss.weights == (0.5, 1.0, 1.0)
    total, terms = loss(mlp, pts)
    assert total.dtype == jnp.float32 and set(terms) == {"residual", "sym:v1", "sym:v3", "sym:v4"}
    expected = terms["residual"] + 0.5 * terms["sym:v1"] + terms["sym:v3"] + terms["sym:v4"]
    np.testing.assert_allclose(total, expected, rtol=1e-6)
    grads = eqx.filter_jit(eqx.filter_grad(lambda m: loss(m, pts)[0]))(mlp)
    assert all(bool(jnp.all(jnp.isfinite(g))) for g in jax.tree.leaves(grads))
    calibrated = loss.with_initial_scales(mlp, pts)
    _, terms = calibrated(mlp, pts)
    for k in ("sym:v1", "sym:v3", "sym:v4"):
        np.testing.assert_allclose(terms[k], terms["residual"], rtol=1e-3)
    assert calibrated.describe()["normalisation"]["method"] == "initial"


def test_strategy_is_used():
    pde, gens = burgers()
    box = Box([-4.0, 0.0], [6.0, 2.0])
    mlp = _mlp(jax.random.key(7))
    pts = _points(box, 30, jax.random.key(8))
    a = PINNLoss(pde, gens, box=box, select=["v4"], parameter_values={"nu": 0.1}).pointwise(mlp, pts)
    b = PINNLoss(pde, gens, box=box, select=["v4"], parameter_values={"nu": 0.1},
                 strategy=NestedReverse()).pointwise(mlp, pts)
    for k in a:
        np.testing.assert_allclose(a[k], b[k], rtol=2e-3, atol=2e-4 * float(jnp.max(jnp.abs(b[k]))))


def test_errors():
    pde, gens = burgers()
    box = Box([-1.0, 0.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="form"):
        PINNLoss(pde, gens, form="both", box=box)
    with pytest.raises(ValueError, match="select"):
        PINNLoss(pde, gens, select=["v9"], box=box)
    loss = PINNLoss(pde, gens, box=box, normalisation="none")
    with pytest.raises(ValueError, match="nu"):
        loss(_mlp(jax.random.key(0)), jnp.zeros((3, 2)))
    with pytest.raises(ValueError, match="shape"):
        loss(_mlp(jax.random.key(0)), jnp.zeros((3, 2)), jnp.zeros(2))


def test_condition_losses(x64):
    box = Box([0.0, 0.0], [2.0, 1.0])
    L = 2.0

    class F(eqx.Module):  # u = sin(pi x) (1 + t), v = x + 2 t
        def __call__(self, p):
            return jnp.stack([jnp.sin(jnp.pi * p[0]) * (1 + p[1]), p[0] + 2 * p[1]])

    model = OnUnit(F(), box)
    tt = jnp.linspace(0.0, 1.0, 7)
    lower = jnp.stack([jnp.zeros(7), tt], 1)
    upper = lower.at[:, 0].add(L)
    xs = jnp.stack([jnp.linspace(0.0, 2.0, 9), jnp.zeros(9)], 1)
    # Dirichlet / initial: exact values give 0, an offset of 0.5 gives 0.25
    assert float(dirichlet_loss(model, xs, jnp.sin(jnp.pi * xs[:, 0]), box=box, components=0)) < 1e-28
    assert float(dirichlet_loss(model, xs, jnp.sin(jnp.pi * xs[:, 0]) + 0.5, box=box, components=0)) == pytest.approx(0.25)
    both = jnp.stack([jnp.sin(jnp.pi * xs[:, 0]), xs[:, 0]], 1)
    assert float(dirichlet_loss(model, xs, both, box=box)) < 1e-28
    # Neumann: d/dn with n = (1, 0) of u is pi cos(pi x)(1 + t); of v along (0, 1) is 2
    assert float(neumann_loss(model, lower, jnp.pi * (1 + tt), jnp.array([1.0, 0.0]), box=box, components=0)) < 1e-20
    assert float(neumann_loss(model, lower, 2.0 * jnp.ones(7), jnp.array([0.0, 1.0]), box=box, components=1)) < 1e-20
    # periodic in x with period 2: u is (with its x-derivative), v is not
    assert float(periodic_loss(model, lower, upper, axis=0, order=2, box=box, components=0)) < 1e-20
    assert float(periodic_loss(model, lower, upper, axis=0, order=0, box=box, components=1)) == pytest.approx(4.0)
    # the wrong period is caught by the loss
    assert float(periodic_loss(model, lower, lower.at[:, 0].add(1.0), axis=0, order=1, box=box, components=0)) > 1.0
