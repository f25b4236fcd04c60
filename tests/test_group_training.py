"""Training with the group: Augment / Equivariant variants, OOD moves, the symmetrised network."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sympy as sp

from liepinn.losses import Augment, Boost, Equivariant, Reflection, Residual, Scaling, Shift, Translation, default_orbits
from liepinn.losses._group import orbit_actions
from liepinn.losses._variants import variant_from_json
from liepinn.problems import load_problem
from liepinn.runs import Recipe, RunSpec
from liepinn.runs._assemble import TRAIN_IC_KEY, assemble, ic_family
from liepinn.runs._group import equivariance_residual, moved_expression, moved_values, ood_cases
from liepinn.runs._networks import SymmetrisedNetwork, network_from_json, sensor_points


def _spec(problem, variant, **kw):
    recipe = Recipe(width=16, depth=2, n_collocation=64, steps=3, second_phase=None, log_every=1)
    return RunSpec(problem=problem, recipe=recipe, loss=variant, constraints="soft", n_initial=32, n_boundary=0,
                   n_ics=3, n_test_ics=2, eval_nx=32, eval_nt=8, **kw)


@pytest.fixture(scope="module")
def heat():
    return load_problem("heat_sines")


def test_default_orbits(heat):
    labels = [o.name for o in default_orbits(heat)]
    assert labels == ["translation", "scaling", "shift"]  # the boost is not a symmetry of heat
    burgers = load_problem("burgers_sines")
    assert [o.name for o in default_orbits(burgers)] == ["translation", "boost"]
    with pytest.raises(ValueError, match="not a symmetry"):
        orbit_actions(burgers, [Scaling()])


def test_variants_round_trip():
    for v in (Augment(orbits=(Translation(), Boost(range=(-0.2, 0.3))), copies=2),
              Equivariant(weight=0.5), Augment(orbits=[Reflection({"x": "-x", "u": "-u"})])):
        assert variant_from_json(v.to_json()) == v
    with pytest.raises(ValueError, match="copies"):
        Augment(copies=0)
    with pytest.raises(ValueError, match="range"):
        Boost(range=(1, 0))


def test_augment_assembles_and_moves_ics(heat):
    """The extra ICs are g.u0 of the training ICs, by their values at sensors and IC points."""
    v = Augment(orbits=(Shift(range=(0.25, 0.25)),), copies=1)
    asm = assemble(heat, _spec("heat_sines", v))
    base = assemble(heat, _spec("heat_sines", Residual()))
    assert asm.data["branch"].shape[0] == 2 * base.data["branch"].shape[0]
    np.testing.assert_allclose(asm.data["branch"][3:], base.data["branch"] + 0.25, atol=1e-6)
    np.testing.assert_allclose(asm.data["ic_values"][3:], base.data["ic_values"] + 0.25, atol=1e-6)
    model = asm.make_model(jax.random.PRNGKey(0))
    batch = {k: (d.init(0) if k == "interior" else d) for k, d in asm.data.items()}
    total, terms = asm.loss_fn(model, batch)
    assert math.isfinite(float(total)) and set(terms) == {"residual", "initial"}
    grads = jax.grad(lambda m: asm.loss_fn(m, batch)[0], allow_int=True)(model)
    assert all(bool(jnp.all(jnp.isfinite(g))) for g in jax.tree_util.tree_leaves(grads) if hasattr(g, "dtype"))


def test_translation_moves_values_exactly(heat):
    """(g.u0)(y) = u0(y - eps) for x -> x + eps on the periodic family."""
    (orbit, action, _), = orbit_actions(heat, [Translation()])
    fam, coefs = ic_family(heat, 2, TRAIN_IC_KEY)
    xs = sensor_points(heat, 16)
    one = tuple(np.asarray(c)[:1] for c in coefs)
    got = moved_values(heat, action, 0.7, lambda x: fam.evaluate(one, x)[0], xs)
    np.testing.assert_allclose(got, fam.evaluate(one, xs - 0.7)[0], atol=1e-12)
    # the symbolic moved IC (for the diffrax reference) agrees with the values
    expr = moved_expression(heat, orbit, 0.7, fam.expression(*(c[0] for c in one)))
    np.testing.assert_allclose(sp.lambdify(sp.Symbol("x"), expr, "numpy")(xs), got, atol=1e-12)


def test_equivariant_assembles_and_steps(heat):
    from liepinn.train import train_seeds

    v = Equivariant(orbits=(Translation(), Scaling()), copies=1)
    asm = assemble(heat, _spec("heat_sines", v))
    res = train_seeds(asm.loss_fn, asm.make_model, asm.data, keys=[0, 1], **asm.spec.recipe.train_options(),
                      progress=False)
    assert "equivariant" in res.history.names
    assert np.all(np.isfinite(np.asarray(res.history["total"])))


class _HeatModes:
    """An exactly translation-equivariant 'operator' on heat: each sensor mode decays as exp(-k^2 t).
    Its conditioned model predicts G(u0)(x, t) exactly for trigonometric u0 of degree < m/2."""

    def __init__(self, sensors, nu, length):
        self.s, self.nu, self.length = sensors, nu, length

    def condition(self, branch):
        s, nu, m = self.s, self.nu, len(self.s)
        c = jnp.fft.rfft(branch) / m

        def f(pts):
            k = 2 * jnp.pi / self.length * jnp.arange(c.shape[0])
            x, t = pts[:, :1], pts[:, 1:2]
            j = jnp.arange(c.shape[0])
            w = jnp.where((j == 0) | (j == m // 2), 1.0, 2.0)
            modes = w * c[None, :] * jnp.exp(1j * k * (x - s[0]) - nu * k**2 * t)
            return jnp.real(jnp.sum(modes, axis=1, keepdims=True))

        return f


def test_equivariance_zero_for_exact_operator(heat):
    """||G(g.u0)(g.z) - g.G(u0)(z)||^2 vanishes for the exact heat operator under translations."""
    with jax.enable_x64(True):
        (_, action, _), = orbit_actions(heat, [Translation()])
        fam, coefs = ic_family(heat, 1, TRAIN_IC_KEY)
        sensors = sensor_points(heat, 64)
        one = tuple(np.asarray(c)[:1] for c in coefs)
        u0 = lambda x: fam.evaluate(one, x)[0]  # noqa: E731
        (nu,) = (float(sp.sympify(v)) for v in heat.parameters.values())
        lo, hi = (float(b) for b in heat.domain["x"])
        model = _HeatModes(jnp.asarray(sensors), nu, hi - lo)
        pts = jnp.asarray(np.random.default_rng(0).uniform([lo, 0], [hi, 1], (50, 2)))
        eps = 1.3
        moved = jnp.asarray(moved_values(heat, action, eps, u0, sensors))
        r = equivariance_residual(model, action, pts, jnp.asarray(u0(sensors)), moved, jnp.asarray([eps]))
        assert float(r) < 1e-20
        wrong = jnp.asarray(moved_values(heat, action, eps + 0.5, u0, sensors))
        assert float(equivariance_residual(model, action, pts, jnp.asarray(u0(sensors)), wrong,
                                           jnp.asarray([eps]))) > 1e-3


def test_ood_cases_leave_the_family():
    burgers, heat = load_problem("burgers_sines"), load_problem("heat_sines")
    assert {o.name for o, _ in ood_cases(burgers, 6)} == {"boost"}
    assert {o.name for o, _ in ood_cases(heat, 6)} == {"shift", "scaling"}
    assert all(0.5 <= abs(e) <= 1.0 for _, e in ood_cases(burgers, 6))


def test_moved_reference_matches_transformed_reference():
    """The diffrax reference on a boosted IC equals the boosted reference (Burgers, periodic):
    (g.U)(y, t) = U(y - eps t, t) + eps."""
    from liepinn.reference import solve_reference

    burgers = load_problem("burgers_sines")
    fam, coefs = ic_family(burgers, 1, TRAIN_IC_KEY)
    u0 = fam.expression(*(np.asarray(c)[0] for c in coefs))
    eps = 0.6
    moved = moved_expression(burgers, Boost(), eps, u0)
    nx, nt = 64, 6
    a = solve_reference(burgers, nx=nx, nt=nt, initial={"u": u0})
    b = solve_reference(burgers, nx=nx, nt=nt, initial={"u": moved})
    x, t = np.asarray(a.x), np.asarray(a.t)
    U = np.asarray(a.fields["u"])  # (nx, nt), periodic in x: shift by Fourier interpolation
    k = np.fft.fftfreq(nx, d=(x[1] - x[0])) * 2 * np.pi
    shifted = np.stack([np.real(np.fft.ifft(np.fft.fft(U[:, j]) * np.exp(-1j * k * eps * t[j])))
                        for j in range(nt)], axis=1) + eps
    assert np.max(np.abs(shifted - np.asarray(b.fields["u"]))) < 1e-4


# -- the symmetrised (invariant) network -------------------------------------------------


def test_symmetrised_network_exactly_odd():
    burgers = load_problem("burgers")
    net = SymmetrisedNetwork({"x": "-x", "u": "-u"})
    assert network_from_json(net.to_json()) == net
    recipe = Recipe(width=16, depth=2, n_collocation=64, steps=3, second_phase=None)
    asm = assemble(burgers, RunSpec(problem="burgers", recipe=recipe, network=net))
    model = asm.make_model(jax.random.PRNGKey(3))
    pts = jnp.asarray(np.random.default_rng(1).uniform([-1, 0], [1, 0.99], (200, 2)), jnp.float32)
    u, um = model(pts), model(pts * jnp.asarray([-1.0, 1.0], jnp.float32))
    assert float(jnp.max(jnp.abs(u + um))) == 0.0 and float(jnp.max(jnp.abs(u))) > 1e-2
    # the hard constraint still holds: u(x, 0) = -sin(pi x), u(+-1, t) = 0
    x = jnp.linspace(-1, 1, 9)
    np.testing.assert_allclose(model(jnp.stack([x, 0 * x], 1))[:, 0], -jnp.sin(jnp.pi * x), atol=1e-6)
    np.testing.assert_allclose(model(jnp.asarray([[1.0, 0.5], [-1.0, 0.3]])), 0.0, atol=1e-6)
    total, _ = asm.loss_fn(model, {"interior": pts})
    assert math.isfinite(float(total))


@pytest.mark.parametrize("images, match", [({"x": "-x"}, "not a symmetry"), ({"x": "x + 1"}, "involution"),
                                           ({"t": "-t"}, "moves time"), ("x=-x,u=u**3", "affinely")])
def test_symmetrised_network_refuses(images, match):
    burgers = load_problem("burgers")
    recipe = Recipe(width=8, depth=1, n_collocation=16, steps=1, second_phase=None)
    with pytest.raises(ValueError, match=match):
        assemble(burgers, RunSpec(problem="burgers", recipe=recipe, network=SymmetrisedNetwork(images)))


def test_symmetrised_needs_invariant_data():
    from liepinn.problems import Dirichlet, Problem

    burgers = load_problem("burgers")
    shifted = Problem(name="burgers_shifted_ic", pde=burgers.pde, domain=burgers.domain,
                      initial={"u": "-sin(pi*x) + (1 - x**2)/4"}, boundary=Dirichlet({"u": 0}),
                      parameters=burgers.parameters)
    with pytest.raises(ValueError, match="initial condition .* not invariant"):
        SymmetrisedNetwork({"x": "-x", "u": "-u"}).check(shifted, Recipe())


def test_group_variants_need_a_family_and_round_trip_in_a_spec():
    spec = RunSpec(problem="burgers", recipe=Recipe(width=8, depth=1, n_collocation=16, steps=1, second_phase=None),
                   loss=Augment(orbits=(Translation(range=(0, 1)),)), network=SymmetrisedNetwork("x=-x,u=-u"))
    assert RunSpec.from_json(spec.to_json()) == spec
    with pytest.raises(ValueError, match="IC-conditioned"):
        assemble(load_problem("burgers"), spec.replace(network=None))


@pytest.mark.slow  # heavy (compiles several programs); default-suite time
def test_group_variants_in_a_sweep(tmp_path):
    """augment / equivariant are sweep arms (by name or object); the OOD error is recorded."""
    from liepinn.experiments import Sweep, run_sweep

    sweep = Sweep(problems=("heat_sines",), samples=(16,), n_ics=(2,), seeds=1,
                  variants=("residual", "augment", Equivariant(orbits=(Translation(),))), steps=3, lbfgs_steps=0,
                  width=8, depth=1, n_initial=8, n_boundary=0,
                  options={"eval_nx": 16, "eval_nt": 5, "n_test_ics": 2, "sensors": 8, "n_basis": 4})
    out = run_sweep(sweep, tmp_path, progress=None)
    assert out.trained == 3
    for r in out.records:
        assert math.isfinite(r.result["rel_l2"]) and math.isfinite(r.result["rel_l2_fields"]["ood"])
