"""Second-phase optimisers: L-BFGS, dense BFGS, self-scaled BFGS and Broyden, energy natural
gradient.

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
    ENG,
    LBFGS,
    SSBFGS,
    AbstractSecondPhase,
    LeastSquares,
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


@pytest.mark.parametrize("transform", [pytest.param(scale_by_bfgs(False), marks=pytest.mark.slow),
                                       scale_by_bfgs(True), scale_by_ssbroyden()],
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


@pytest.mark.parametrize("member", [pytest.param("bfgs", marks=pytest.mark.slow), "ssbfgs", "ssbroyden"])
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
@pytest.mark.parametrize("phase", [pytest.param(SSBFGS(steps=16), marks=pytest.mark.slow), SSBroyden(steps=16)],
                         ids=IDS[2:])
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


# ---------------------------------------------------------------- energy natural gradient


def _eng_minimise(opt, residuals, x0, n):
    """``n`` ENG steps on ``sum(residuals(p)**2)``: the losses before each step, final point."""
    f = lambda p: jnp.sum(residuals(p) ** 2)

    def body(carry, _):
        p, state = carry
        v = f(p)
        u, state = opt.update(jax.grad(f)(p), state, p, value=v, value_fn=f, residual_fn=residuals)
        return (optax.apply_updates(p, u), state), v

    p = {"x": x0}
    (p, state), values = jax.lax.scan(body, (p, opt.init(p)), None, length=n)
    return p, values, state


def test_eng_step_solves_linear_least_squares_exactly(x64):
    # R(x) = A x - b is linear: with mu -> 0 the first grid step (eta = 1) is the
    # Gauss-Newton step, which lands on the least-squares solution
    A = jr.normal(jr.PRNGKey(0), (40, 7))
    b = jr.normal(jr.PRNGKey(1), (40,))
    opt = ENG(damping=1e-14).optimiser()
    p, values, state = _eng_minimise(opt, lambda p: A @ p["x"] - b, jnp.zeros(7), 1)
    exact = np.linalg.lstsq(np.asarray(A), np.asarray(b), rcond=None)[0]
    np.testing.assert_allclose(p["x"], exact, rtol=1e-9, atol=1e-12)
    assert float(state.learning_rate) == 1.0 and int(state.count) == 1


def test_eng_solves_rosenbrock_and_a_quadratic_as_least_squares(x64):
    # Rosenbrock = sum of squares of (10 (x_{i+1} - x_i^2), 1 - x_i); the quadratic likewise
    def rosenbrock_r(p):
        x = p["x"]
        return jnp.concatenate([10 * (x[1:] - x[:-1] ** 2), 1 - x[:-1]])

    opt = ENG(damping=1e-12).optimiser()
    pr, vr, _ = jax.jit(lambda: _eng_minimise(opt, rosenbrock_r, jnp.zeros(6), 40))()
    np.testing.assert_allclose(pr["x"], 1.0, atol=1e-8)
    assert np.all(np.diff(np.asarray(vr)) <= 0)  # the grid line search never goes uphill
    pq, _, _ = _eng_minimise(opt, lambda p: jnp.sqrt(_EIGS / 2) * (p["x"] - 1.0), jnp.zeros(8), 2)
    np.testing.assert_allclose(pq["x"], 1.0, atol=1e-10)


def poisson_residuals(model, batch):
    r"""-u'' = pi^2 sin(pi x) on (0, 1), u(0) = u(1) = 0 (solution sin(pi x)): interior
    residuals and boundary misfits, each over sqrt(N), so that the loss is their sum of squares."""
    x = batch["x"]

    def u(z):
        return model(z[None, None])[0, 0]

    uxx = jax.vmap(jax.grad(jax.grad(u)))(x)
    interior = -uxx - jnp.pi**2 * jnp.sin(jnp.pi * x)
    boundary = model(jnp.array([[0.0], [1.0]], x.dtype))[:, 0]
    return {"interior": interior / jnp.sqrt(x.size), "boundary": boundary / jnp.sqrt(2.0)}


def poisson_loss(model, batch):
    r = poisson_residuals(model, batch)
    terms = {k: jnp.sum(v**2) for k, v in r.items()}
    return terms["interior"] + terms["boundary"], terms


POISSON = LeastSquares(poisson_loss, poisson_residuals)


def poisson_pointwise(batch):
    # the same residuals point by point: fn(model, points) gives one row per point
    n = batch["x"].size

    def interior(model, x):
        return poisson_residuals(model, {"x": x})["interior"] * jnp.sqrt(x.size / n)

    def boundary(model, xb):
        return model(xb[:, None])[:, 0] / jnp.sqrt(2.0)

    return {"interior": (interior, (batch["x"],)), "boundary": (boundary, (jnp.array([0.0, 1.0], batch["x"].dtype),))}


POISSON_POINTWISE = LeastSquares(poisson_loss, pointwise=poisson_pointwise)


def _poisson_data():
    return {"x": jnp.linspace(0.0, 1.0, 34)[1:-1]}


def test_eng_trains_a_tiny_pinn_monotonically(tmp_path):
    # 1-D Poisson, a 1-8-8-1 tanh network (97 parameters): the loss falls at every ENG step
    model = MLP(1, 1, 8, 2, key=jr.PRNGKey(0))
    opts = dict(steps=50, learning_rate=1e-2, log_every=1, second_phase=ENG(steps=30))
    r = train(POISSON_POINTWISE, model, _poisson_data(), **opts)
    h = r.history
    eng = np.asarray(h["total"])[h.phase == "eng"]
    assert len(eng) == 31 and r.lbfgs_steps == 30
    assert np.all(np.diff(eng) <= 0)
    assert eng[-1] < 1e-6 * eng[0]
    x = jnp.linspace(0, 1, 101)[:, None]
    with jax.enable_x64(True):
        err = np.max(np.abs(np.asarray(r.model(x.astype(jnp.float64))[:, 0]) - np.sin(np.pi * np.asarray(x[:, 0]))))
    assert err < 1e-3


def test_eng_checkpoint_resumes_bit_identically_and_needs_residuals(tmp_path):
    model = MLP(1, 1, 6, 1, key=jr.PRNGKey(1))
    opts = dict(steps=8, learning_rate=1e-2, log_every=2, checkpoint_every=2, second_phase=ENG(steps=8))
    full = train(POISSON, model, _poisson_data(), checkpoint=tmp_path / "full.eqx", **opts)
    ckpt = tmp_path / "run.eqx"
    part = train(POISSON, model, _poisson_data(), checkpoint=ckpt, stop_at=12, **opts)
    assert part.stopped == "stop_at" and part.lbfgs_steps == 4
    _same_numbers(full, train(POISSON, model, _poisson_data(), checkpoint=ckpt, **opts))
    with pytest.raises(TypeError, match="eng second phase needs the loss's residual vector"):
        train(poisson_loss, model, _poisson_data(), **dict(opts, checkpoint_every=None))


@pytest.mark.slow  # heavy (compiles several programs); default-suite time
def test_pointwise_jacobian_equals_the_forward_mode_one(x64):
    # the two ways to J: reverse mode point by point (LeastSquares.pointwise) and forward
    # mode over parameter directions (residuals only)
    from liepinn.train._eng import residual_and_jacobian, residual_vector

    model = MLP(1, 1, 6, 2, key=jr.PRNGKey(2))
    params, static = eqx.partition(jax.tree.map(lambda x: x.astype(jnp.float64) if eqx.is_inexact_array(x) else x,
                                                model), eqx.is_inexact_array)
    batch = {"x": jnp.linspace(0.0, 1.0, 12)[1:-1]}
    w, unravel = jax.flatten_util.ravel_pytree(params)
    vec = lambda v: residual_vector(POISSON.residuals(eqx.combine(unravel(v), static), batch))
    R, J = residual_and_jacobian(POISSON_POINTWISE.pointwise, params, static, batch)
    np.testing.assert_allclose(R, vec(w), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(J, jax.jacfwd(vec)(w), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(residual_vector(POISSON_POINTWISE.residuals(model, batch)),
                               residual_vector(POISSON.residuals(model, batch)), rtol=1e-6)
    # and the trainer takes either
    opts = dict(steps=0, log_every=1, second_phase=ENG(steps=3))
    a = train(POISSON, model, batch, **opts).history["total"]
    b = train(POISSON_POINTWISE, model, batch, **opts).history["total"]
    # G is ill-conditioned (mu = 1e-10): rounding differences in J grow step by step
    np.testing.assert_allclose(a[:2], b[:2], rtol=1e-5)
    np.testing.assert_allclose(a, b, rtol=1e-2)


def test_eng_settings_round_trip_and_are_checked():
    phase = ENG(steps=3, damping=1e-8, jacobian_chunk=16, linesearch_steps=12)
    assert second_phase_from_json(phase.to_json()) == phase
    assert second_phase_from_name("eng", steps=3).dtype == "float64"
    with pytest.raises(ValueError, match="damping"):
        ENG(damping=-1.0)
    with pytest.raises(ValueError, match="jacobian_chunk"):
        ENG(jacobian_chunk=0)


@pytest.mark.parametrize("constraints", ["soft", "hard"])
def test_assembled_loss_has_the_residual_vector_of_its_total(constraints):
    # the hook of a built run: interior, initial and boundary residuals whose squares sum to
    # the total that the trainer minimises
    from liepinn.runs import Recipe, RunSpec, assemble
    from liepinn.train._eng import residual_and_jacobian, residual_vector

    spec = RunSpec(problem="heat", recipe=Recipe(width=8, depth=2, n_collocation=32, steps=0, second_phase=None),
                   constraints=constraints)
    asm = assemble(None, spec)
    model = asm.make_model(jr.PRNGKey(0))
    batch = {k: (v.init(jr.PRNGKey(1)) if hasattr(v, "init") else v) for k, v in asm.data.items()}
    total, terms = asm.loss_fn(model, batch)
    r = asm.loss_fn.residuals(model, batch)
    assert set(r) == {"interior"} | (set(terms) & {"initial", "boundary"})
    assert ("initial" in r) == (constraints == "soft")
    np.testing.assert_allclose(float(jnp.sum(residual_vector(r) ** 2)), float(total), rtol=1e-5)
    params, static = eqx.partition(model, eqx.is_inexact_array)
    R, J = residual_and_jacobian(asm.loss_fn.pointwise, params, static, batch)
    np.testing.assert_allclose(R, residual_vector(r), rtol=1e-5, atol=1e-7)
    assert J.shape == (R.size, jax.flatten_util.ravel_pytree(params)[0].size) and np.all(np.isfinite(J))


def test_command_line_second_phase_eng():
    from liepinn import cli
    from liepinn.cli._train import settings_from_args

    args = cli.build_parser("train").parse_args(["train", "burgers", "--second-phase", "eng", "--lbfgs-steps", "50",
                                                 "--out", "unused"])
    phase = settings_from_args(args).recipe.second_phase
    assert phase == ENG(steps=50, dtype="float64", linesearch_steps=20)  # the recipe's common settings kept
