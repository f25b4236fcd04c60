"""OOD moves: only where the problem admits them, labelled inside/outside the training orbits;
the scaling orbit's equivariance term measured in the source frame (divided by its gain) and
trained on both sides (a genuine loss), the gain-1 orbits' held fixed."""

from __future__ import annotations

import pytest

from liepinn.losses import Boost, Scaling, Translation
from liepinn.problems import Dirichlet, Problem, SineSeries, load_problem
from liepinn.runs._group import ood_moves, within_orbits


def test_ood_moves_only_where_the_problem_admits_them():
    from pdes.heat import pde

    dirichlet = Problem(name="heat_sines_dirichlet", pde=pde, domain={"x": (0, 6), "t": (0, 1)}, initial=None,
                        initial_family=SineSeries(length=6, lo=0), boundary=Dirichlet(), parameters={"mu": "0.01"})
    # u -> u + c is a symmetry of the PDE but moves an IC off zero Dirichlet data: not a test
    assert [o.name for o in ood_moves(dirichlet)] == ["scaling"]
    assert [o.name for o in ood_moves(load_problem("heat_sines"))] == ["shift", "scaling"]


def test_within_orbits_labels_moves_inside_or_outside_the_training_orbits():
    burgers, heat = load_problem("burgers_sines"), load_problem("heat_sines")
    assert within_orbits(burgers, Boost(range=(0.5, 1.0)), 0.7, (Translation(), Boost()))
    assert not within_orbits(burgers, Boost(range=(0.5, 1.0)), 0.7, (Translation(),))
    assert not within_orbits(burgers, Boost(range=(0.5, 1.0)), 0.7, (Boost(range=(-0.2, 0.2)),))
    assert within_orbits(heat, Scaling(range=(2.0, 3.0)), 2.5, (Scaling(),))
    assert not within_orbits(heat, Scaling(range=(2.0, 3.0)), 2.5, ())  # a plain arm trains on no orbit


class _Scaled:
    """A DeepONet whose every prediction is multiplied by `a` (the output-scale direction)."""

    def __init__(self, model, a):
        self.model, self.a = model, a

    def condition(self, branch):
        return lambda z: self.a * self.model.condition(branch)(z)


@pytest.fixture(scope="module")
def heat_scaling():
    """An untrained heat DeepONet, its `Equivariant(orbits=(Scaling(),))` run, the scaling action,
    collocation points."""
    import jax.numpy as jnp
    import jax.random as jr
    import numpy as np

    from liepinn.losses import Equivariant
    from liepinn.losses._group import orbit_actions
    from liepinn.runs import DeepONetNetwork, Recipe, RunSpec
    from liepinn.runs._assemble import assemble

    spec = RunSpec("heat_sines", recipe=Recipe(width=16, depth=2, n_collocation=64, steps=1),
                   loss=Equivariant(orbits=(Scaling(),)), seeds=(0,), constraints="soft", n_initial=32,
                   n_boundary=0, n_ics=4, network=DeepONetNetwork(sensors=32, n_basis=16))
    asm = assemble(None, spec)
    action = orbit_actions(asm.problem, (Scaling(),))[0][1]
    lo, hi = asm.problem.bounds
    pts = jnp.asarray(np.random.default_rng(0).uniform(lo, hi, size=(64, len(lo))), jnp.float32)
    return asm, action, asm.make_model(jr.PRNGKey(0)), pts


@pytest.mark.parametrize("lam", [2.0, 3.0])
def test_scaling_equivariance_cannot_grow_the_output_scale_faster_than_half_its_square(lam, heat_scaling):
    """The semi-gradient of the term along the output scale a (at a = 1), -dL/da, is what made heat
    diverge: unnormalised it reaches lam^2 <s^2>/2 (measured: ~2 at lam = 2, ~4 at lam = 3, above
    the IC term's pull); held fixed but measured in the source frame it is <= <s^2>/2 for every
    network, still > 0 here (it still diverged); with both sides trained (today's form for
    u -> lam u) it is -2 x the term itself: never growth."""
    import jax
    import jax.numpy as jnp

    from liepinn.runs._group import equivariance_residual

    asm, action, model, pts = heat_scaling
    held = []
    for amp in (1.0, 3.0, 10.0):  # larger ICs: more saturated branch units
        b = amp * asm.data["branch"][0]
        s2 = float(jnp.mean(model.condition(b)(pts) ** 2))
        for hold in (True, False):
            def term(a):
                return equivariance_residual(_Scaled(model, a), action, pts, b, lam * b, jnp.asarray([lam]), hold)

            growth = -float(jax.grad(term)(1.0))
            assert growth <= 0.5 * s2 * (1 + 1e-4)
            if hold:
                held.append(growth / s2)
            else:  # E(a) = a^2 E(1): the output scale only shrinks
                assert growth == pytest.approx(-2 * float(term(1.0)), rel=1e-4) and growth < 0
    assert max(held) > 0.01  # the held-fixed form does push the scale up: the test can tell them apart


def test_scaling_equivariance_is_a_genuine_loss_and_gain_one_orbits_keep_the_held_fixed_form(heat_scaling):
    """With both sides trained, the term's gradient is the gradient of its value in every
    direction (checked against a central difference along a random direction of the
    parameters), so descent cannot feed back on its own target; the held-fixed form's is not.
    Only u -> lam u is trained on both sides: translations, boosts and shifts (gain 1) keep the
    held-fixed form of the stored Burgers runs."""
    import equinox as eqx
    import jax
    import jax.numpy as jnp
    import jax.random as jr

    from liepinn.losses import Equivariant, HoldSource, Shift
    from liepinn.nn import trainable
    from liepinn.runs._group import equivariance_residual

    heat, burgers = load_problem("heat_sines"), load_problem("burgers_sines")
    eq = Equivariant()
    assert not eq.holds_source(heat, Scaling())
    assert all(eq.holds_source(heat, o) for o in (Translation(), Shift()))
    assert all(eq.holds_source(burgers, o) for o in (Translation(), Boost()))
    assert Equivariant(hold_source=HoldSource.ALWAYS).holds_source(heat, Scaling())
    assert eq.term(heat)["u -> eps u"] == "both sides trained"
    assert set(eq.term(burgers).values()) == {"training side held fixed"}
    with pytest.raises(ValueError, match="hold_source"):
        Equivariant(hold_source="sometimes")

    asm, action, model, pts = heat_scaling
    lam = 2.5
    with jax.enable_x64(True):  # float64: a central difference accurate to ~1e-8
        f64 = lambda x: x.astype(jnp.float64) if eqx.is_inexact_array(x) else x  # noqa: E731
        m64 = jax.tree_util.tree_map(f64, model)
        params, static = eqx.partition(m64, trainable(m64))
        b, z = f64(asm.data["branch"][0]), f64(pts)
        leaves, tree = jax.tree_util.tree_flatten(params)
        keys = jr.split(jr.PRNGKey(1), len(leaves))
        d = jax.tree_util.tree_unflatten(tree, [jr.normal(k, x.shape, x.dtype) for k, x in zip(keys, leaves)])

    def slope(hold):
        """(<grad, d>, d/dh term(params + h d) by a central difference)."""
        def term(p):
            return equivariance_residual(eqx.combine(p, static), action, z, b, lam * b, jnp.asarray([lam]), hold)

        with jax.enable_x64(True):
            g = jax.grad(term)(params)
            along = sum(float(jnp.vdot(x, y)) for x, y in zip(jax.tree_util.tree_leaves(g), jax.tree_util.tree_leaves(d)))
            h = 1e-5
            plus = term(jax.tree_util.tree_map(lambda p, v: p + h * v, params, d))
            minus = term(jax.tree_util.tree_map(lambda p, v: p - h * v, params, d))
        return along, (float(plus) - float(minus)) / (2 * h)

    along, fd = slope(False)
    assert along == pytest.approx(fd, rel=1e-5)
    along, fd = slope(True)
    assert abs(along - fd) > 0.1 * abs(fd)


def test_one_parameter_groups_match_across_parametrisations():
    """The admissibility report may write amplitude scaling as u -> e^eps u and the orbit as
    u -> eps u: the same one-parameter group (generators at the identity proportional)."""
    import sympy as sp

    from liepinn import PDE
    from liepinn.losses._group import _same_subgroup
    from liepinn.symmetry import FiniteTransformation

    pde = PDE.from_text("u_t = u_xx", independent="x,t", dependent="u")
    x, t, u, e = sp.symbols("x t u e")
    exp_form = FiniteTransformation({u: u * sp.exp(e)}, pde.jet, (e,))
    linear = FiniteTransformation({u: e * u}, pde.jet, (e,))
    twice = FiniteTransformation({u: u * sp.exp(2 * e)}, pde.jet, (e,))
    shift = FiniteTransformation({u: u + e}, pde.jet, (e,))
    translate = FiniteTransformation({x: x + e}, pde.jet, (e,))
    assert _same_subgroup(exp_form, linear) and _same_subgroup(twice, linear)
    assert not _same_subgroup(shift, linear) and not _same_subgroup(translate, exp_form)


def test_group_study_refuses_a_stored_arm_trained_with_another_equivariance_term():
    """The study's stored heat `equivariant` arm of the held-fixed form has the same spec as
    today's (the term changed, not the config): it is named stale, never reused; a Burgers one
    (gain-1 orbits, term unchanged) and an arm recording today's term stay valid."""
    import runpy
    from pathlib import Path

    from liepinn.losses import Equivariant

    stale = runpy.run_path(str(Path(__file__).parents[1] / "examples" / "group_action_study.py"))["stale"]
    spec = {"loss": Equivariant().to_json()}
    assert "u -> eps u" in stale({"spec": spec}, "heat_sines")  # stored before the term was recorded
    assert stale({"spec": spec}, "burgers_sines") is None
    assert stale({"spec": spec, "term": Equivariant().term(load_problem("heat_sines"))}, "heat_sines") is None
    assert stale({"spec": {"loss": {"variant": "residual"}}}, "heat_sines") is None
