r"""The default sweep runner: build the loss and network of a `RunConfig`, train its seeds
vmapped (`liepinn.train.train_seeds`), evaluate against the reference.

Per run, from the problem (`liepinn.problems.Problem`) and the config:

- interior loss `PINNLoss`: residual only (`residual`, `matched`); + one symmetry term per
  generator of the derived algebra in prolonged or evolutionary form, weight `w`, generators
  normalised by `normaliser` ("coefficients": the losses' coefficient rule on the domain,
  "initial": each term equals the residual term on a fixed calibration network, "none");
  `gpinn`: + $\|D_i\Delta\|^2$ with weight `w` (scales by the domain lengths, the
  coefficient rule applied to $\partial_{x^i}$).
- initial condition (`n_initial` points on t = t0) and boundary terms: Dirichlet and Neumann
  on both ends (`n_boundary` times each); periodic problems get an exactly periodic network
  (harmonic features of x, `harmonics`) and no boundary term.
- network: `network="auto"` is an MLP (tanh, inputs normalised to [-1, 1]) for one initial
  condition and the IC-conditioned physics-informed DeepONet for problems with a family of
  initial conditions (branch: the IC at `sensors` fixed uniform points; trunk: (x, t); the
  loss is averaged over the `n_ics` training ICs, which are drawn once with a fixed key and
  shared by all seeds and arms).
- training: Adam (`lr`, exponential decay to lr/10) for `steps`, then L-BFGS for
  `lbfgs_steps` (float64 when `lbfgs_float64`); seeds vmapped; collocation points drawn
  (Sobol) from each seed's key, so arms with the same seed and sample count share points.
- evaluation: relative L2 error on an `eval_nx` x `eval_nt` grid against the exact solution
  when the problem has one, else the diffrax reference (`solve_reference`); for
  IC-conditioned problems, averaged over `n_test_ics` test ICs (fixed key, disjoint from the
  training ICs' key).

- convergence (`extra_lbfgs_rounds` > 0): further L-BFGS rounds while a seed has not
  converged, i.e. neither its loss history reached the `Plateau` criterion nor its mean
  squared residual on fixed held-out points (no solution data) improved by 1 % or more in
  the last round; each result records `converged_by` and the held-out residual per round.

A group whose training hits NaN/Inf is retrained seed by seed; diverged seeds are stored
with rel_l2 = nan, converged = false and the error message.
"""

from __future__ import annotations

import functools
import math
import os
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..runs._assemble import (
    CALIBRATION_KEY,
    HELD_OUT_KEY,
    TEST_IC_KEY,
    TRAIN_IC_KEY,
    References,
    boundary_points,
    build_interior_loss,
    grid_points,
    ic_family,
    initial_points,
    initial_scales,
    is_float64,
    rel_l2,
    select_generators,
)
from ..problems._registry import fingerprint, is_conditioned, load_problem
from ._spec import DEFAULT_OPTIONS, RunConfig

# extra L-BFGS rounds stop for a seed whose held-out residual improved by less than this
# (relative) over the best before, on this many fixed points
_HELD_OUT_RTOL = 1e-2
_HELD_OUT_POINTS = 2048



# ------------------------------------------------------------------------------------------
# recipes: default sweep settings per problem


_BASE = dict(steps=2000, lbfgs_steps=500, lr=1e-3, width=32, depth=3, network="auto",
             n_initial=128, n_boundary=64)
_CONDITIONED = dict(steps=3000, lbfgs_steps=500, lr=1e-3, width=64, depth=3, network="auto",
                    n_initial=64, n_boundary=0, n_ics=16)
_RECIPES: dict[str, dict[str, Any]] = {}


def recipe(problem: str) -> dict[str, Any]:
    """Default sweep settings for `problem` (ValueError if no such problem)."""
    prob = load_problem(problem)
    conditioned = is_conditioned(prob)
    out = dict(_CONDITIONED if conditioned else _BASE)
    out.update(_RECIPES.get(problem, {}))
    out["conditioned"] = conditioned
    return out


# ------------------------------------------------------------------------------------------
# symmetries and losses


# ------------------------------------------------------------------------------------------
# networks and data


def _network_kind(problem, c: RunConfig) -> str:
    kind = c.network
    if kind == "auto":
        kind = "deeponet" if is_conditioned(problem) else ("mlp-periodic" if problem.periodic else "mlp")
    if kind not in ("mlp", "mlp-periodic", "deeponet"):
        raise ValueError(f"network must be auto, mlp, mlp-periodic or deeponet, got {c.network!r}")
    if kind == "deeponet" and not is_conditioned(problem):
        raise ValueError(f"network 'deeponet' needs a problem with a family of initial conditions; {problem.name!r} has one")
    if kind != "deeponet" and is_conditioned(problem):
        raise ValueError(f"problem {problem.name!r} has a family of initial conditions: use network 'deeponet' (or auto)")
    return kind


def _embedding(problem, c: RunConfig, periodic: bool):
    from ..nn._networks import Chain, Normalise, PeriodicEmbedding

    lo, hi = problem.bounds
    norm = Normalise(lo, hi)
    if not periodic:
        return norm
    axis = problem.independent.index(problem.space[0])
    return Chain(norm, PeriodicEmbedding(len(lo), axis=axis, period=2.0, n_harmonics=int(c.option("harmonics"))))


def _sensors(problem, m: int) -> np.ndarray:
    lo, hi = (float(b) for b in problem.domain[problem.space[0]])
    if problem.periodic:
        return lo + (hi - lo) * np.arange(m) / m
    return np.linspace(lo, hi, m)


def _make_model_fn(problem, c: RunConfig):
    import jax.random as jr

    from ..nn._networks import MLP, DeepONet

    kind = _network_kind(problem, c)
    p, q = len(problem.independent), len(problem.dependent)
    if kind == "deeponet":
        if q != 1:
            raise ValueError("the IC-conditioned DeepONet runner supports one dependent variable")
        sensors = _sensors(problem, int(c.option("sensors")))

        def make(key):
            return DeepONet(sensors, p, q, n_basis=int(c.option("n_basis")), width=c.width, depth=c.depth,
                            trunk_embedding=_embedding(problem, c, problem.periodic), key=jr.fold_in(key, 1))
    else:
        def make(key):
            return MLP(p, q, c.width, c.depth, embedding=_embedding(problem, c, kind == "mlp-periodic"),
                       key=jr.fold_in(key, 1))
    return kind, make


# ------------------------------------------------------------------------------------------
# references


# ------------------------------------------------------------------------------------------
# the runner


class TrainRunner:
    """Trains a group of runs (same config, different seeds) and evaluates them.

    **Arguments:**
    - `cache_dir`: where reference solutions are cached (None: memory only).
    - `progress`: show the trainer's progress bar.
    """

    def __init__(self, cache_dir: str | os.PathLike | None = None, *, progress: bool = False):
        self.references = References(cache_dir)
        self.progress = progress

    def __call__(self, configs: Sequence[RunConfig]) -> list[dict[str, Any]]:
        configs = list(configs)
        if not configs:
            return []
        first = configs[0].to_dict()
        first.pop("seed")
        for c in configs[1:]:
            d = c.to_dict()
            d.pop("seed")
            if d != first:
                raise ValueError("a runner group must hold runs that differ only in their seed")
        from ..train._loop import NonFiniteLossError

        try:
            return self._train(configs)
        except NonFiniteLossError:
            if len(configs) == 1:
                raise
        out = []
        for c in configs:  # find the seed(s) that diverge; the others train alone
            try:
                out += self._train([c])
            except NonFiniteLossError as e:
                out.append({"rel_l2": math.nan, "wall_time_s": math.nan, "converged": False,
                            "error": str(e), "diverged": True})
        return out

    # -- one vmapped group -------------------------------------------------------------------
    def _train(self, configs: list[RunConfig]) -> list[dict[str, Any]]:
        import jax
        import jax.numpy as jnp
        import jax.random as jr

        from ..losses._pinn import dirichlet_loss, neumann_loss
        from ..problems._problem import Dirichlet, Neumann
        from ..train._loop import Plateau, train_seeds
        from ..train._sampling import Collocation, Sobol

        c = configs[0]
        problem = load_problem(c.problem)
        if c.problem_id is not None and c.problem_id != fingerprint(problem):
            raise ValueError(
                f"problem {c.problem!r} changed since this sweep was specified (fingerprint "
                f"{fingerprint(problem)} != {c.problem_id}); rebuild the sweep"
            )
        conditioned = is_conditioned(problem)
        if conditioned and c.n_ics is None:
            raise ValueError(f"problem {c.problem!r} is IC-conditioned: give n_ics (numbers of training ICs)")
        if not conditioned and c.n_ics is not None:
            raise ValueError(f"n_ics applies to IC-conditioned problems only; {c.problem!r} has one initial condition")
        loss = build_interior_loss(problem, c.variant, c.generators, weight=c.weight, normaliser=c.normaliser)
        kind, make_model = _make_model_fn(problem, c)
        lo, hi = problem.bounds
        colloc = Collocation(lo, hi, c.n_collocation, Sobol())
        f32 = jnp.float64 if c.float64 else jnp.float32
        ic_pts = jnp.asarray(initial_points(problem, c.n_initial), f32)
        ic_w, bc_w = float(c.option("ic_weight")), float(c.option("bc_weight"))
        data: dict[str, Any] = {"interior": colloc, "ic_points": ic_pts}
        bc = problem.boundary
        if isinstance(bc, (Dirichlet, Neumann)) and c.n_boundary > 0:
            left, right = boundary_points(problem, c.n_boundary)
            pts = np.concatenate([left, right])
            data["bc_points"] = jnp.asarray(pts, f32)
            data["bc_values"] = jnp.asarray(problem.boundary_values(pts).T, f32)
        neumann = isinstance(bc, Neumann)
        normal = np.zeros(len(problem.independent))
        normal[problem.independent.index(problem.space[0])] = 1.0

        if conditioned:
            fam, coefs = ic_family(problem, c.n_ics, TRAIN_IC_KEY)
            sensors = _sensors(problem, int(c.option("sensors")))
            data["branch"] = jnp.asarray(fam.evaluate(coefs, sensors), f32)
            xi = problem.independent.index(problem.space[0])
            data["ic_values"] = jnp.asarray(fam.evaluate(coefs, np.asarray(ic_pts[:, xi])), f32)
        else:
            data["ic_values"] = jnp.asarray(problem.initial_values(np.asarray(ic_pts)).T, f32)

        if c.normaliser == "initial":
            calib = make_model(jr.PRNGKey(CALIBRATION_KEY))
            pts = colloc.init(jr.PRNGKey(CALIBRATION_KEY))
            if conditioned:
                calib = calib.condition(data["branch"][0])
            loss = initial_scales(loss, calib, pts)

        def single(model, batch, ic_values):
            total, terms = loss(model, batch["interior"])
            terms = dict(terms)
            ic = dirichlet_loss(model, batch["ic_points"], ic_values)
            terms["initial"] = ic
            total = total + ic_w * ic
            if "bc_points" in batch:
                if neumann:
                    b = neumann_loss(model, batch["bc_points"], batch["bc_values"], normal)
                else:
                    b = dirichlet_loss(model, batch["bc_points"], batch["bc_values"])
                terms["boundary"] = b
                total = total + bc_w * b
            return total, terms

        if conditioned:
            def loss_fn(model, batch):
                def per_ic(branch, ic_values):
                    return single(model.condition(branch), batch, ic_values)

                totals, terms = jax.vmap(per_ic)(batch["branch"], batch["ic_values"])
                return jnp.mean(totals), {k: jnp.mean(v) for k, v in terms.items()}
        else:
            def loss_fn(model, batch):
                return single(model, batch, batch["ic_values"])

        keys = [jr.PRNGKey(x.seed) for x in configs]
        use64 = bool(c.option("lbfgs_float64"))
        common = dict(lbfgs_dtype="float64" if (use64 and c.lbfgs_steps) else None,
                      log_every=int(c.option("log_every")), progress=self.progress)
        res = train_seeds(loss_fn, make_model, data, keys=keys, steps=c.steps, learning_rate=c.lr,
                          lbfgs_steps=c.lbfgs_steps, dtype="float64" if c.float64 else None, **common)
        n = len(configs)
        models, wall = res.model, res.wall_time
        totals = np.asarray(res.history["total"], float).reshape(n, -1)
        converged = np.broadcast_to(np.asarray(res.converged, bool), (n,)).copy()
        by = np.where(converged, "loss", None).astype(object)
        lbfgs_done, rounds = int(res.lbfgs_steps), 0
        hist = res.history
        extra = int(c.option("extra_lbfgs_rounds"))
        held_out = None
        if extra > 0 and c.lbfgs_steps > 0:
            # held-out criterion: the mean squared residual on fixed points not trained on
            # (no solution data) stops improving -- it stalls or rises once the network
            # overfits its collocation points, while the training loss may keep falling
            heldout_residual = self._held_out(problem, data, conditioned, lo, hi, f32)
            held_out = [heldout_residual(models, n)]
        # the model each seed is evaluated with: the vmapped group trains on until every seed
        # has converged, but a converged seed keeps the model it converged with (early
        # stopping: on a stalled held-out residual, the one with the lowest held-out residual)
        kept: list[Any] = [None] * n
        best: list[Any] = [None] * n  # (model, L-BFGS steps) of each seed's lowest held-out residual
        used = [lbfgs_done] * n
        first, first_steps = None, lbfgs_done
        while c.lbfgs_steps > 0 and rounds < extra and not bool(np.all(converged)):
            # continue L-BFGS from where it stopped (fresh memory), same data, every seed
            starts = [_index(models, k) for k in range(n)]
            first = starts if first is None else first
            previous = iter(starts)
            more = train_seeds(loss_fn, lambda key: next(previous), data, keys=keys, steps=0,
                               learning_rate=c.lr, lbfgs_steps=c.lbfgs_steps, **common)
            models, wall, rounds = more.model, wall + more.wall_time, rounds + 1
            lbfgs_done += int(more.lbfgs_steps)
            totals = np.concatenate([totals, np.asarray(more.history["total"], float).reshape(n, -1)[:, 1:]], axis=1)
            held_out.append(heldout_residual(models, n))
            for k in range(n):
                if converged[k]:
                    continue
                previous_best = min(h[k] for h in held_out[:-1])
                if best[k] is None and held_out[0][k] == previous_best:
                    best[k] = (first[k], first_steps)
                if held_out[-1][k] < previous_best:
                    best[k] = (_index(models, k), lbfgs_done)
                if Plateau()(totals[k]):
                    converged[k], by[k] = True, "loss"
                    kept[k], used[k] = _index(models, k), lbfgs_done
                elif held_out[-1][k] >= (1 - _HELD_OUT_RTOL) * previous_best:
                    converged[k], by[k] = True, "held-out residual"
                    kept[k], used[k] = best[k]
                else:
                    used[k] = lbfgs_done
            hist = more.history

        def seed_model(k):
            return kept[k] if kept[k] is not None else _index(models, k)

        t_eval = time.perf_counter()
        # a model trained to float64 (the L-BFGS phase) is evaluated in float64: outside x64
        # mode JAX would compute (and warn) in float32
        with jax.enable_x64(is_float64(models)):
            errors, fields = self._evaluate(problem, c, seed_model, n, conditioned)
        eval_time = time.perf_counter() - t_eval
        final = {k: np.asarray(hist[k])[..., -1] for k in hist.names}
        out = []
        for k, cfg in enumerate(configs):
            out.append({
                "rel_l2": errors[k],
                "rel_l2_fields": fields[k],
                "wall_time_s": wall / n,
                "batch_wall_time_s": wall,
                "seeds_in_batch": n,
                "eval_time_s": eval_time,
                "converged": bool(converged[k]),
                "steps_done": int(res.steps),
                "lbfgs_steps_done": lbfgs_done,
                "lbfgs_steps_used": used[k],  # L-BFGS steps of the model evaluated
                "extra_lbfgs_rounds_done": rounds,
                "converged_by": by[k],
                "held_out_residual": None if held_out is None else [float(h[k]) for h in held_out],
                "final_total_loss": float(totals[k, -1]),
                "stopped": res.stopped,
                "final_loss": {name: float(np.asarray(v).reshape(n, -1)[k, 0]) if np.ndim(v) else float(v)
                               for name, v in final.items()},
                "loss": loss.describe(),
                "network": kind,
                "problem": problem.describe(),
            })
        return out

    @staticmethod
    def _held_out(problem, data, conditioned: bool, lo, hi, dtype):
        """`(models, n) -> (n,)`: each seed's mean squared residual on `_HELD_OUT_POINTS` fixed
        Sobol points (key `HELD_OUT_KEY`; for IC-conditioned runs averaged over the training ICs)."""
        import equinox as eqx
        import jax
        import jax.numpy as jnp
        import jax.random as jr

        from ..train._sampling import Sobol

        res_loss = build_interior_loss(problem, "residual")
        pts = Sobol().sample(_HELD_OUT_POINTS, lo, hi, key=jr.PRNGKey(HELD_OUT_KEY), dtype=dtype)

        def one(model):
            if not conditioned:
                return res_loss(model, pts)[0]
            return jnp.mean(jax.vmap(lambda b: res_loss(model.condition(b), pts)[0])(data["branch"]))

        one = eqx.filter_jit(one)

        def evaluate(models, n):
            with jax.enable_x64(is_float64(models)):
                return np.array([float(one(_index(models, k))) for k in range(n)])

        return evaluate

    def _evaluate(self, problem, c: RunConfig, seed_model, n: int, conditioned: bool):
        """Errors of `seed_model(k)` for k < n against the references."""
        import jax.numpy as jnp

        nx, nt = int(c.option("eval_nx")), int(c.option("eval_nt"))
        dtype = jnp.float64 if is_float64(seed_model(0)) else jnp.float32
        if not conditioned:
            x, t, ref = self.references.get(problem, nx, nt)
            pts = jnp.asarray(grid_points(problem, x, t), dtype)
            errs, fields = [], []
            for k in range(n):
                pred = np.asarray(seed_model(k)(pts), float).T.reshape(ref.shape)
                per = {d: rel_l2(pred[a], ref[a]) for a, d in enumerate(problem.dependent)}
                errs.append(rel_l2(pred, ref))
                fields.append(per)
            return errs, fields
        errs = self._conditioned_errors(problem, c, seed_model, n, TEST_IC_KEY, int(c.option("n_test_ics")))
        # the same on (up to n_test_ics of) the training ICs: separates fitting the PDE on the
        # ICs seen in training from generalising to new ones
        n_train = min(int(c.n_ics), int(c.option("n_test_ics")))
        train = self._conditioned_errors(problem, c, seed_model, n, TRAIN_IC_KEY, int(c.n_ics), n_train)
        d = problem.dependent[0]
        fields = [{d: float(np.mean(e)), "per_test_ic": e, "train_ics": float(np.mean(tr)), "per_train_ic": tr}
                  for e, tr in zip(errs, train)]
        return [float(np.mean(e)) for e in errs], fields

    def _conditioned_errors(self, problem, c, seed_model, n, key, n_draw, n_use=None):
        """Per seed, the rel. L2 error on each of the first `n_use` of `n_draw` ICs drawn with `key`."""
        import jax.numpy as jnp

        nx, nt = int(c.option("eval_nx")), int(c.option("eval_nt"))
        dtype = jnp.float64 if is_float64(seed_model(0)) else jnp.float32
        fam, coefs = ic_family(problem, n_draw, key)
        n_use = n_draw if n_use is None else n_use
        coefs = tuple(np.asarray(a)[:n_use] for a in coefs)
        amp, ell, phase = coefs
        d = problem.dependent[0]
        refs = [self.references.get(problem, nx, nt, initial={d: fam.expression(amp[j], ell[j], phase[j])})
                for j in range(n_use)]
        x, t = refs[0][0], refs[0][1]
        pts = jnp.asarray(grid_points(problem, x, t), dtype)
        branch = jnp.asarray(fam.evaluate(coefs, _sensors(problem, int(c.option("sensors")))), dtype)
        out = []
        for k in range(n):
            model = seed_model(k)
            out.append([rel_l2(np.asarray(model(pts, branch[j]), float).T.reshape(ref.shape), ref)
                        for j, (_, _, ref) in enumerate(refs)])
        return out


def _index(models, k: int):
    """Seed k of an ensemble model (arrays with a leading seed axis)."""
    import equinox as eqx
    import jax

    arrays, static = eqx.partition(models, eqx.is_array)
    return eqx.combine(jax.tree.map(lambda a: a[k], arrays), static)


def train_group(configs: Sequence[RunConfig]) -> list[dict[str, Any]]:
    """Default runner (no disk cache of references)."""
    return _default_runner()(configs)


@functools.lru_cache(maxsize=1)
def _default_runner() -> TrainRunner:
    return TrainRunner()


__all__ = ["TrainRunner", "train_group", "recipe", "select_generators", "build_interior_loss", "DEFAULT_OPTIONS"]
