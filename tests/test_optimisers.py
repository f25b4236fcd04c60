"""Second-phase optimisers: L-BFGS, dense BFGS, self-scaled BFGS and Broyden.

Each solves a quadratic and the Rosenbrock function to tolerance, satisfies the secant
equation, resumes bit-identically from a checkpoint inside its phase, and reports NaN as
the Adam phase does; the strategy objects round-trip through JSON and the old keyword
options map onto them with the same numbers.
"""

import dataclasses

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import optax
import pytest

from liepinn.nn import MLP
from liepinn.train import (
    BFGS,
    LBFGS,
    SSBFGS,
    AbstractSecondPhase,
    NonFiniteLossError,
    SSBroyden,
    scale_by_bfgs,
    scale_by_ssbroyden,
    second_phase_from_json,
    second_phase_from_legacy,
    second_phase_from_name,
    train,
)

PHASES = [LBFGS(memory=10), BFGS(), SSBFGS(), SSBroyden()]
IDS = [p.name for p in PHASES]


def rosenbrock(p):
    x = p["x"][:6]
    return jnp.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


_EIGS = jnp.logspace(0, 2, 8)


def quadratic(p):
    x = p["x"][6:] - 1.0
    return 0.5 * jnp.sum(_EIGS * x**2)


def _minimise(opt, f, x0, n):
    """``n`` iterations of ``opt`` on ``f`` (the optax.lbfgs usage), values and final point."""
    vg = optax.value_and_grad_from_state(f)

    def body(carry, _):
        p, state = carry
        v, g = vg(p, state=state)
        u, state = opt.update(g, state, p, value=v, grad=g, value_fn=f)
        return (optax.apply_updates(p, u), state), v

    p = {"x": x0}
    (p, _), values = jax.lax.scan(body, (p, opt.init(p)), None, length=n)
    return p, values


@pytest.mark.parametrize("phase", PHASES, ids=IDS)
def test_solves_rosenbrock_and_a_quadratic(x64, phase):
    # one compiled program: Rosenbrock on x[:6] and an ill-conditioned quadratic (kappa = 100)
    # on x[6:], minimised separately with the same transformation
    opt = phase.optimiser()

    @jax.jit
    def both():
        pr, _ = _minimise(opt, rosenbrock, jnp.zeros(14), 80)
        pq, _ = _minimise(opt, quadratic, jnp.zeros(14), 60)
        return pr["x"][:6], rosenbrock(pr), pq["x"][6:], quadratic(pq)

    xr, fr, xq, fq = both()
    assert xr.dtype == jnp.float64
    assert float(fr) < 1e-14, phase
    np.testing.assert_allclose(xr, 1.0, atol=1e-6)
    assert float(fq) < 1e-14, phase
    np.testing.assert_allclose(xq, 1.0, atol=1e-6)


@pytest.mark.parametrize("transform", [scale_by_bfgs(False), scale_by_bfgs(True), scale_by_ssbroyden()],
                         ids=["bfgs", "ssbfgs", "ssbroyden"])
def test_dense_update_satisfies_the_secant_equation_and_stays_positive_definite(x64, transform):
    # a line search keeps s^T y > 0 on a convex function; then H_{k+1} y_k = s_k for every
    # member of the family, and H_{k+1} is symmetric positive definite
    opt = optax.chain(transform, optax.scale(-1.0), optax.scale_by_zoom_linesearch(20, initial_guess_strategy="one"))
    f = lambda p: quadratic(p) + 0.1 * jnp.sum(p["x"][6:] ** 4)
    p = {"x": jnp.zeros(14).at[:6].set(0.3)}
    state = opt.init(p)
    vg = optax.value_and_grad_from_state(f)
    prev = None
    for _ in range(4):
        v, g = vg(p, state=state)
        u, state = opt.update(g, state, p, value=v, grad=g, value_fn=f)
        if prev is not None:
            s, y = p["x"] - prev[0], g["x"] - prev[1]
            H = state[0].inv_hessian
            np.testing.assert_allclose(H @ y, s, rtol=1e-8, atol=1e-12)
            np.testing.assert_allclose(H, H.T, atol=1e-12)
            assert np.linalg.eigvalsh(np.asarray(H)).min() > 0
        prev = (p["x"], g["x"])
        p = optax.apply_updates(p, u)


def _paper_update(H, s, y, member, first):
    """One inverse-Hessian update of the self-scaled Broyden family written out from Urbán,
    Stefanou & Pons (2025) and Al-Baali et al. (2014) in NumPy, with b from an explicit
    inverse, independently of liepinn's code."""
    n = len(s)
    sy = s @ y
    Hy = H @ y
    yHy = y @ Hy
    b = s @ np.linalg.solve(H, s) / sy
    h = yHy / sy
    a = b * h - 1.0
    theta, tau = 0.0, 1.0
    if member == "ssbfgs":
        tau = min(1.0, 1.0 / b)
    elif member == "ssbroyden":
        c = np.sqrt(a / (1.0 + a))
        rho_m = min(1.0, h * (1.0 - c))
        theta = max((rho_m - 1.0) / a, min(1.0 / rho_m, (1.0 - b) / b))
        sigma = 1.0 + a * theta
        tau0 = min(1.0, 1.0 / b)
        if theta > 0:
            tau = tau0 * min(sigma ** (-1.0 / (n - 1)), 1.0 / theta)
        else:
            tau = min(tau0 * sigma ** (-1.0 / (n - 1)), sigma)
    if first:
        tau = h / (1.0 + a * theta)
    phi = (1.0 - theta) / (1.0 + a * theta)
    v = np.sqrt(yHy) * (s / sy - Hy / yHy)
    return (H - np.outer(Hy, Hy) / yHy + phi * np.outer(v, v)) / tau + np.outer(s, s) / sy


@pytest.mark.parametrize("member", ["bfgs", "ssbfgs", "ssbroyden"])
def test_dense_updates_match_the_papers_formulas(x64, member):
    # H_0 = gamma_0 I, the initial scaling tau_0 = h_0 / (1 + a_0 theta_0) on the first
    # update, then tau_k and phi_k as in the papers: the same matrices as the NumPy transcription
    transform = {"bfgs": scale_by_bfgs(False), "ssbfgs": scale_by_bfgs(True), "ssbroyden": scale_by_ssbroyden()}[member]
    opt = optax.chain(transform, optax.scale(-1.0), optax.scale_by_zoom_linesearch(20, initial_guess_strategy="one"))
    f = lambda p: rosenbrock(p) + quadratic(p) + 0.1 * jnp.sum(p["x"][6:] ** 4)
    p = {"x": jnp.linspace(-0.5, 0.4, 14)}
    state = opt.init(p)
    vg = optax.value_and_grad_from_state(f)
    H = prev = None
    for k in range(6):
        v, g = vg(p, state=state)
        u, state = opt.update(g, state, p, value=v, grad=g, value_fn=f)
        x, gx = np.asarray(p["x"]), np.asarray(g["x"])
        if prev is None:
            H = min(1.0, 1.0 / np.linalg.norm(gx)) * np.eye(14)
        else:
            H = _paper_update(H, x - prev[0], gx - prev[1], member, first=k == 1)
        np.testing.assert_allclose(np.asarray(state[0].inv_hessian), H, rtol=1e-7, atol=1e-10 * np.abs(H).max())
        prev = (x, gx)
        p = optax.apply_updates(p, u)


# ---------------------------------------------------------------- through the trainer


def target(x):
    return jnp.sin(jnp.pi * x[:, 0]) * jnp.exp(-x[:, 1])


def loss_fn(model, batch):
    x = batch["x"]
    fit = jnp.mean((model(x)[:, 0] - target(x)) ** 2)
    anchor = jnp.mean(model(batch["anchor"])[:, 0] ** 2)
    return fit + anchor, {"fit": fit, "anchor": anchor}


def _data():
    x = jr.uniform(jr.PRNGKey(3), (64, 2), minval=jnp.array([-1.0, 0.0]), maxval=1.0)
    return {"x": x, "anchor": jnp.zeros((4, 2))}


def _model():
    return MLP(2, 1, 6, 2, key=jr.PRNGKey(0))


def _same_numbers(r1, r2):
    assert list(r1.history.step) == list(r2.history.step)
    assert list(r1.history.phase) == list(r2.history.phase)
    for k in r1.history.names:
        np.testing.assert_array_equal(r1.history[k], r2.history[k], err_msg=k)
    for a, b in zip(jax.tree.leaves(eqx.filter(r1.model, eqx.is_array)),
                    jax.tree.leaves(eqx.filter(r2.model, eqx.is_array))):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


# dense BFGS is SSBFGS's code with tau = 1 (and L-BFGS is tested in test_train.py): two
# compilations instead of four
@pytest.mark.parametrize("phase", [SSBFGS(steps=16), SSBroyden(steps=16)], ids=IDS[2:])
def test_checkpoint_inside_the_phase_resumes_bit_identically(tmp_path, phase):
    opts = dict(steps=20, learning_rate=1e-2, log_every=4, checkpoint_every=4, second_phase=phase)
    full = train(loss_fn, _model(), _data(), checkpoint=tmp_path / "full.eqx", **opts)
    h = full.history
    assert set(h.phase[h.step > 20]) == {phase.name} and full.lbfgs_steps == 16
    assert h["total"][-1] < h["total"][list(h.step).index(20)]  # the phase improved on Adam
    assert all(x.dtype == jnp.float64 for x in jax.tree.leaves(eqx.filter(full.model, eqx.is_array)))
    ckpt = tmp_path / "run.eqx"
    part = train(loss_fn, _model(), _data(), checkpoint=ckpt, stop_at=28, **opts)
    assert part.stopped == "stop_at" and part.lbfgs_steps == 8
    resumed = train(loss_fn, _model(), _data(), checkpoint=ckpt, **opts)
    _same_numbers(full, resumed)
    # another method cannot resume this checkpoint
    other = SSBroyden(steps=16) if phase.name != "ssbroyden" else SSBFGS(steps=16)
    with pytest.raises(ValueError, match="different configuration"):
        train(loss_fn, _model(), _data(), checkpoint=ckpt, **dict(opts, second_phase=other))


class _Param(eqx.Module):
    a: jax.Array

    def __call__(self, x):
        return jnp.broadcast_to(self.a, x.shape[:-1] + (1,))


def test_nan_in_the_second_phase_is_reported_with_step_phase_and_term():
    # the line search only ever accepts finite points, so a term that is NaN wherever the
    # phase starts is what it meets: here the data carry a NaN that Adam's term ignores
    def loss(model, batch):
        good = (model.a - 1.0) ** 2
        bad = jnp.where(batch["on"] > 0, jnp.sum(batch["x"]), 0.0) * model.a
        return good + bad, {"good": good, "bad": bad}

    data = {"x": jnp.array([1.0, jnp.nan]), "on": jnp.asarray(0.0)}
    r = train(loss, _Param(jnp.asarray(0.0)), data, steps=4, log_every=2, second_phase=SSBroyden(steps=4))
    assert np.all(np.isfinite(r.history["total"]))

    def switched(model, batch):
        # the bad term switches on with the second phase (float64 there)
        return loss(model, {**batch, "on": jnp.asarray(model.a.dtype == jnp.float64, float)})

    with pytest.raises(NonFiniteLossError, match=r"'bad' became non-finite at step 4 in the ssbroyden phase") as info:
        train(switched, _Param(jnp.asarray(0.0)), data, steps=4, log_every=2, second_phase=SSBroyden(steps=4))
    err = info.value
    assert err.step == 4 and err.phase == "ssbroyden" and err.terms == ["bad"]
    assert np.isfinite(err.values["good"])


def test_old_keywords_give_the_same_numbers_as_the_phase_object():
    opts = dict(steps=0, log_every=4)
    old = train(loss_fn, _model(), _data(), lbfgs_steps=8, lbfgs_memory=5, lbfgs_dtype="float64", **opts)
    new = train(loss_fn, _model(), _data(), second_phase=LBFGS(steps=8, memory=5, dtype="float64"), **opts)
    _same_numbers(old, new)
    assert set(new.history.phase) == {"lbfgs"} and new.lbfgs_steps == 8
    with pytest.raises(TypeError, match="not both"):
        train(loss_fn, _model(), _data(), lbfgs_steps=8, second_phase=LBFGS(steps=8), **opts)
    with pytest.raises(TypeError, match="AbstractSecondPhase"):
        train(loss_fn, _model(), _data(), second_phase="lbfgs", **opts)


def test_json_names_and_legacy_mapping():
    for phase in [LBFGS(steps=5, memory=50, dtype="float64", resample=True), BFGS(steps=3),
                  SSBFGS(steps=2, linesearch_steps=30), SSBroyden(steps=7, dtype=None)]:
        d = phase.to_json()
        assert d["method"] == phase.name and d["steps"] == phase.steps
        assert second_phase_from_json(d) == phase and hash(second_phase_from_json(d)) == hash(phase)
    assert second_phase_from_json(None) is None
    # settings that do not change the transformation share one (compiled) object
    assert LBFGS(steps=5).optimiser() is LBFGS(steps=9, dtype="float64").optimiser()
    assert LBFGS(memory=5).optimiser() is not LBFGS(memory=6).optimiser()
    assert SSBroyden().dtype == "float64" and LBFGS().dtype is None
    assert second_phase_from_name("ssbroyden", steps=4) == SSBroyden(steps=4)
    assert second_phase_from_legacy(lbfgs_steps=10, lbfgs_memory=50, lbfgs_dtype="float64") == \
        LBFGS(steps=10, memory=50, dtype="float64")
    assert second_phase_from_legacy(lbfgs_steps=10, quasi_newton="ssbfgs") == SSBFGS(steps=10, dtype=None)
    assert second_phase_from_legacy(lbfgs_steps=0, quasi_newton="bfgs") is None
    with pytest.raises(ValueError, match="quasi_newton"):
        second_phase_from_legacy(quasi_newton="newton")
    with pytest.raises(ValueError, match="unknown second phase"):
        second_phase_from_name("adam")
    with pytest.raises(ValueError, match="unknown second phase"):
        second_phase_from_json({"method": "newton", "steps": 1})
    with pytest.raises(TypeError, match="no setting"):
        second_phase_from_name("ssbfgs", memory=5)
    with pytest.raises(ValueError, match="memory"):
        LBFGS(memory=0)
    with pytest.raises(ValueError, match="steps"):
        SSBroyden(steps=-1)
    with pytest.raises(ValueError, match="dtype"):
        BFGS(dtype="float16")
    with pytest.raises(TypeError, match="abstract"):
        AbstractSecondPhase(steps=1)


def test_a_method_defined_outside_the_package():
    @dataclasses.dataclass(frozen=True, kw_only=True)
    class GradientDescent(AbstractSecondPhase):
        name = "test-gd"
        rate: float = 0.1

        def _transformation(self):
            return optax.chain(optax.sgd(self.rate), optax.scale_by_zoom_linesearch(self.linesearch_steps))

    phase = second_phase_from_json(GradientDescent(steps=4, rate=0.2).to_json())
    assert phase == GradientDescent(steps=4, rate=0.2)
    r = train(loss_fn, _model(), _data(), steps=4, log_every=4, second_phase=phase)
    # step 4 is logged by the phase that starts there
    assert list(r.history.phase) == ["adam", "test-gd", "test-gd"] and r.lbfgs_steps == 4


@pytest.mark.parametrize("phase", [LBFGS(), SSBroyden()], ids=["lbfgs", "ssbroyden"])
def test_initial_state_is_strongly_typed(phase):
    # optax's line search starts with weakly typed scalars; a chunk or a checkpoint returns
    # them strongly typed, which would compile the phase a second time
    from liepinn.train._loop import _opt_init

    state = _opt_init(phase.optimiser(), {"w": jnp.ones(3)}, ensemble=False)
    assert not any(x.weak_type for x in jax.tree.leaves(state))
    assert any(x.weak_type for x in jax.tree.leaves(phase.optimiser().init({"w": jnp.ones(3)})))

