"""The conserved-quantity loss: drift zero on exact solutions (to quadrature accuracy), the
right nonzero drift on perturbed ones, the flux term, calibration, JSON and a tiny sweep."""

import json
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from liepinn import PDE
from liepinn.losses import ConservedQuantity, InitialBalance, NoScaling
from liepinn.losses._variants import variant_from_json, variant_from_name, variant_names
from liepinn.problems import Dirichlet, Periodic, Problem, load_problem

MU = 0.1


def kdv_soliton():
    """u_t + 6 u u_x + u_xxx = 0, u = c/2 sech^2(sqrt(c)/2 (x - c t)), c = 1 on [-25, 25)
    (the tails e^{-25} make the periodic wrap negligible)."""
    pde = PDE.from_text("u_t + 6*u*u_x + u_xxx = 0", independent="x,t", dependent="u")
    return Problem(name="kdv_soliton_test", pde=pde, domain={"x": (-25, 25), "t": (0, 2)},
                   initial={"u": "sech(x/2)**2/2"}, boundary=Periodic(),
                   exact={"u": "sech((x - t)/2)**2/2"})


def soliton(z, eps=0.0):
    x, t = z[0], z[1]
    return jnp.stack([0.5 / jnp.cosh((x - t) / 2) ** 2 + eps * t * jnp.exp(-x**2 / 4)])


def heat_exact(z, eps=0.0):
    x, t = z[0], z[1]
    u = (jnp.exp(-MU * np.pi**2 * t) * jnp.sin(np.pi * x)
         + jnp.exp(-9 * MU * np.pi**2 * t) * jnp.cos(3 * np.pi * x) / 2)
    return jnp.stack([u + eps * t])


def heat_dirichlet():
    """u_t = mu u_xx on [-1, 1], u(+-1) = 0, u = exp(-mu pi^2 t / 4) cos(pi x / 2): the mass
    4/pi e^{-mu pi^2 t/4} leaves through the ends (flux X = -mu u_x)."""
    pde = PDE.from_text("u_t = mu*u_xx", independent="x,t", dependent="u")
    return Problem(name="heat_dirichlet_test", pde=pde, domain={"x": (-1, 1), "t": (0, 1)},
                   initial={"u": "cos(pi*x/2)"}, boundary=Dirichlet({"u": 0}), parameters={"mu": "1/10"},
                   exact={"u": "exp(-mu*pi**2*t/4)*cos(pi*x/2)"})


def cosine_mode(z):
    x, t = z[0], z[1]
    return jnp.stack([jnp.exp(-MU * np.pi**2 * t / 4) * jnp.cos(np.pi * x / 2)])


def test_exact_solutions_conserve_to_quadrature_accuracy():
    with jax.enable_x64(True):
        loss = ConservedQuantity(n_quad=128, normaliser=NoScaling()).interior_loss(kdv_soliton())
        assert loss.names == ("conserved:T1", "conserved:T2", "conserved:T3")  # mass, Galilean, energy
        rec = loss.describe()["conserved"]
        assert rec["quadrature"]["x"] == "gauss-legendre"  # the Galilean density has x in it
        assert [law["flux_term"] for law in rec["laws"]] == [False, True, False]
        d = np.asarray(loss.drift(soliton, jnp.float64))
        assert d.shape == (3, 16) and np.max(np.abs(d)) < 1e-9
        # mass: 2, energy: 1/3 (integrals of sech^2/2 and sech^4/8 with argument x/2)
        np.testing.assert_allclose(loss.initial[[0, 2]], [2.0, 1 / 3], rtol=1e-10)

        heat = ConservedQuantity(n_quad=32, normaliser=NoScaling()).interior_loss(load_problem("heat"))
        assert heat.describe()["conserved"]["quadrature"]["x"] == "trapezoid"
        assert np.max(np.abs(np.asarray(heat.drift(heat_exact, jnp.float64)))) < 1e-13


def test_perturbed_models_drift_by_the_right_amount():
    with jax.enable_x64(True):
        heat = ConservedQuantity(n_quad=32, n_times=8, normaliser=NoScaling()).interior_loss(load_problem("heat"))
        d = np.asarray(heat.drift(lambda z: heat_exact(z, eps=0.05), jnp.float64))[0]
        t = np.arange(1, 9) / 8
        np.testing.assert_allclose(d, 0.05 * t * 2, rtol=1e-10)  # the mass of 0.05 t on [-1, 1)
        pts = jnp.asarray(np.random.default_rng(0).uniform([-1, 0], [1, 1], (64, 2)))
        _, exact_terms = heat(heat_exact, pts)
        _, bad_terms = heat(lambda z: heat_exact(z, eps=0.05), pts)
        assert float(exact_terms["conserved:T1"]) < 1e-26
        assert float(bad_terms["conserved:T1"]) == pytest.approx(np.mean((0.1 * t) ** 2), rel=1e-9)

        kdv = ConservedQuantity(n_quad=128, normaliser=NoScaling()).interior_loss(kdv_soliton())
        d = np.abs(np.asarray(kdv.drift(lambda z: soliton(z, eps=0.01), jnp.float64)))
        assert np.all(d[:, -1] > 1e-3)  # every law notices at t = 2


def test_boundary_flux_balances_the_mass_that_leaves():
    with jax.enable_x64(True):
        problem = heat_dirichlet()
        loss = ConservedQuantity(n_quad=32, normaliser=NoScaling()).interior_loss(problem)
        assert loss.describe()["conserved"]["laws"][0]["flux_term"]
        d = np.asarray(loss.drift(cosine_mode, jnp.float64))
        assert np.max(np.abs(d)) < 1e-12
        # the integral alone (no flux) is the mass lost: 4/pi (e^{-mu pi^2 t/4} - 1)
        t = np.arange(1, 17) / 16
        u = jax.vmap(cosine_mode)(jnp.asarray(loss.quad_points))[:, 0].reshape(16, -1)
        mass = np.asarray(jnp.sum(u * loss.quad_weights, axis=1))
        np.testing.assert_allclose(mass - loss.initial[0], 4 / np.pi * (np.exp(-MU * np.pi**2 * t / 4) - 1),
                                   rtol=1e-10)


def test_laws_selected_substituted_and_skipped():
    nls = ConservedQuantity(laws=(1, 3)).interior_loss(load_problem("nls"))
    rec = nls.describe()["conserved"]
    assert nls.names == ("conserved:T1", "conserved:T3")
    # the flux of law 3 has u v_t: replaced on solutions by the evolution form
    assert all("_t" not in law["flux"] for law in rec["laws"])
    with pytest.raises(ValueError, match="out of range"):
        ConservedQuantity(laws=(4,)).interior_loss(load_problem("burgers"))
    with pytest.raises(ValueError, match="1-based"):
        ConservedQuantity(laws=(0,))
    with pytest.raises(ValueError, match="family"):  # built, but its drift needs the IC
        ConservedQuantity().interior_loss(load_problem("heat_sines")).drift(heat_exact)


def test_json_round_trip_and_names():
    v = ConservedQuantity(laws=(1, 3), order=1, weight=0.5, n_times=8, n_quad=32, normaliser="coefficients")
    d = json.loads(json.dumps(v.to_json()))
    assert d["variant"] == "conserved" and d["laws"] == "1,3" and d["normaliser"] == "coefficients"
    assert variant_from_json(d) == v
    assert variant_from_json(ConservedQuantity().to_json()) == ConservedQuantity()
    assert "conserved" in variant_names()
    assert variant_from_name("conserved", weight=2.0, normaliser="none") == ConservedQuantity(weight=2.0,
                                                                                             normaliser=NoScaling())
    from liepinn.runs import RunSpec

    spec = RunSpec(problem="heat", loss=v)
    assert RunSpec.from_json(json.loads(json.dumps(spec.to_json()))).loss == v


def test_initial_balance_equals_the_residual_term():
    import jax.random as jr

    from liepinn.runs import Recipe, RunSpec, assemble

    spec = RunSpec(problem="burgers", loss=ConservedQuantity(n_times=4, n_quad=16),
                   recipe=Recipe(width=8, depth=2, n_collocation=64, steps=1, second_phase=None))
    asm = assemble(None, spec)
    model = asm.make_model(jr.PRNGKey(31_337))  # the calibration network
    pts = asm.data["interior"].init(jr.PRNGKey(31_337))
    _, terms = asm.loss(model, pts)
    assert float(terms["conserved:T1"]) == pytest.approx(float(terms["residual"]), rel=1e-3)
    rec = asm.loss.describe()["conserved"]
    assert rec["normalisation"]["method"] == InitialBalance.name and rec["laws"][0]["flux_term"]


def test_tiny_sweep_end_to_end(tmp_path):
    from liepinn.experiments import Sweep, run_sweep

    from liepinn.experiments import write_report

    sweep = Sweep(problems=("heat",), samples=(32,), seeds=1,
                  variants=("residual", ConservedQuantity(n_times=4, n_quad=16), "matched"),
                  match_to="conserved", steps=10, lbfgs_steps=0, width=8, depth=2,
                  options={"eval_nx": 32, "eval_nt": 9, "log_every": 5})
    out = run_sweep(sweep, tmp_path, progress=None)
    assert out.trained == 3
    recs = {r.config.variant: r for r in out.records}
    rec = recs["conserved"]
    assert math.isfinite(rec.rel_l2) and "conserved:T1" in rec.result["final_loss"]
    assert rec.result["loss"]["conserved"]["laws"][0]["density"] == "u"
    assert rec.config.loss() == ConservedQuantity(n_times=4, n_quad=16)
    assert recs["matched"].config.n_collocation == 48 and recs["matched"].config.matched_to == "conserved"
    # every arm records the drift of heat's order-1 law (mass) of its trained model
    for r in recs.values():
        d = r.result["conservation_drift"]
        assert d["laws"] == [{"law": 1, "density": "u"}] and 0 <= d["max"] < 10
    text = write_report(out.records, tmp_path / "report").text
    assert "conservation drift" in text and "matched (points x1.5 of conserved)" in text


def test_conservation_drift_metric_exact_and_perturbed():
    from liepinn.losses import conservation_drift

    with jax.enable_x64(True):
        heat = load_problem("heat")
        exact = conservation_drift(heat, heat_exact, n_times=8, n_quad=64)
        assert exact["laws"] == [{"law": 1, "density": "u"}] and exact["drift"][0] < 1e-13
        # the mass of 0.05 t on [-1, 1) is 0.1 t, largest at t = 1, relative to int |u0| dx
        bad = conservation_drift(heat, lambda z: heat_exact(z, eps=0.05), n_times=8, n_quad=64)
        x = np.linspace(-1, 1, 200_001)
        size = np.mean(np.abs(np.sin(np.pi * x) + np.cos(3 * np.pi * x) / 2)) * 2
        assert bad["drift"][0] == pytest.approx(0.1 / size, rel=1e-4) and bad["max"] == bad["drift"][0]
    with pytest.raises(ValueError, match="one space variable"):
        conservation_drift(load_problem("heat2d"), heat_exact)


def test_step_cost_hook_and_matching_to_the_conserved_arm():
    from liepinn.experiments import Sweep
    from liepinn.losses._conserved import N_FLUX
    from liepinn.runs._cost import derivative_cost, step_cost

    # heat: the residual needs {u, u_t, u_xx} (4 Taylor coefficients per point), the density u
    # only its value (1 per quadrature point); periodic, so no flux points
    v = ConservedQuantity(n_times=4, n_quad=16)
    assert step_cost(v.interior_loss(load_problem("heat")), 32) == 32 * 4 + 4 * 16
    # Burgers: residual {u_t, u_x, u_xx} (4), flux u^2/2 - nu u_x (2) at 2 ends x J x N_FLUX times
    burgers = v.interior_loss(load_problem("burgers"))
    assert step_cost(burgers, 100) == 100 * 4 + 4 * 16 + 2 * 4 * N_FLUX * 2
    # a loss without the hook: N x its plan cost, so the ratios of stored sweeps are unchanged
    assert derivative_cost("heat", "evolutionary", "all", 37) == derivative_cost("heat", "evolutionary") == 10.0
    with pytest.raises(ValueError, match="pass samples"):
        derivative_cost("heat", "conserved")
    sweep = Sweep(problems=("heat",), samples=(32, 64), seeds=1, variants=("residual", v, "matched"),
                  match_to="conserved", steps=10, lbfgs_steps=0)
    matched = [c for c in sweep.expand() if c.variant == "matched"]
    # the sweep's own conserved arm sets the cost: (4 N + 64) / 4 N
    assert [(c.samples, c.n_collocation, c.cost_ratio, c.matched_to) for c in matched] == [
        (32, 48, 1.5, "conserved"), (64, 80, 1.25, "conserved")]
    steps = Sweep(problems=("heat",), samples=(32,), seeds=1, variants=("matched",), match_to="conserved",
                  match="steps", steps=10, lbfgs_steps=0).expand()
    assert steps[0].steps == 90 and steps[0].cost_ratio == 9.0  # the default: 16 x 64 points
    with pytest.raises(ValueError, match="conserved"):
        Sweep(problems=("heat",), samples=(32,), match_to="augment")


def kdv_sines():
    """KdV with a family of one-mode sines (IC-conditioned training) on [0, 2 pi)."""
    from liepinn.problems import SineSeries

    return Problem(name="kdv_sines_test", pde=load_problem("kdv").pde, domain={"x": (0, "2*pi"), "t": (0, 1)},
                   initial=None, initial_family=SineSeries(length="2*pi", terms=1), boundary=Periodic(),
                   parameters={"lambda1": 6, "lambda2": 1})


def test_ic_family_integrals_per_member():
    from liepinn.losses import conservation_drift

    problem = kdv_sines()
    members = ["sin(x)/2", "cos(2*x)/4"]
    with jax.enable_x64(True):
        loss = ConservedQuantity(laws=(1, 3), n_quad=64, normaliser="coefficients").interior_loss(problem)
        fam = loss.for_initial_conditions(problem, members)
        # mass 0 for both; energy u^2/2: pi/8 and pi/32
        np.testing.assert_allclose(fam.ic_initial, [[0, np.pi / 8], [0, np.pi / 32]], atol=1e-13)
        np.testing.assert_allclose(fam.initial, fam.ic_initial[0])
        # scales: the mean of int |T(u0)| dx over the members (int |sin x|/2 = 2, int |cos 2x|/4 = 1)
        np.testing.assert_allclose(fam.scales, [1.5, (np.pi / 8 + np.pi / 32) / 2], rtol=1e-4)  # |sin|: kinks

        def frozen(j):  # a model that keeps member j for all t: both laws conserved
            return lambda z: jnp.stack([jnp.sin(z[0]) / 2 if j == 0 else jnp.cos(2 * z[0]) / 4])

        for j in range(2):
            d = np.asarray(fam.drift(frozen(j), jnp.float64, fam.ic_initial[j]))
            assert np.max(np.abs(d)) < 1e-12
        # against the other member's integrals the energy drift is their difference
        d = np.asarray(fam.drift(frozen(0), jnp.float64, fam.ic_initial[1]))
        np.testing.assert_allclose(d[1], np.pi / 8 - np.pi / 32, rtol=1e-10)
        _, terms = fam(frozen(1), jnp.zeros((4, 2)), initial=fam.ic_initial[1])
        assert float(terms["conserved:T3"]) < 1e-24
        out = conservation_drift(problem, frozen(1), laws=(1, 3), n_quad=64, initial_condition=members[1])
        assert out["laws"][1]["density"] == "u**2/2" and max(out["drift"]) < 1e-12
        with pytest.raises(ValueError, match="initial_condition"):
            conservation_drift(problem, frozen(1), laws=(1, 3))


@pytest.mark.slow  # heavy (compiles several programs); default-suite time
def test_tiny_ic_conditioned_sweep_with_the_conserved_loss(tmp_path):
    from liepinn.experiments import Sweep, run_sweep
    from liepinn.runs import assemble

    v = ConservedQuantity(n_times=4, n_quad=16)
    sweep = Sweep(problems=("burgers_sines",), samples=(16,), n_ics=(2,), seeds=1, variants=(v,),
                  steps=10, lbfgs_steps=0, width=8, depth=1, n_initial=8, n_boundary=0,
                  options={"eval_nx": 16, "eval_nt": 5, "n_test_ics": 2, "sensors": 8, "n_basis": 4,
                           "log_every": 5})
    out = run_sweep(sweep, tmp_path, progress=None)
    (rec,) = out.records
    assert math.isfinite(rec.rel_l2) and math.isfinite(rec.result["final_loss"]["conserved:T1"])
    d = rec.result["conservation_drift"]
    assert len(d["per_test_ic"]) == 2 and d["max"] == pytest.approx(max(np.mean(d["per_test_ic"], axis=0)))
    # the training loss holds int T(u0) dx of each training IC
    asm = assemble(None, rec.config.spec())
    assert asm.data["loss_initial"].shape == (2, 1) and asm.loss.ic_initial.shape == (2, 1)
