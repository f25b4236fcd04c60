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

- conservation drift: for an evolution problem in one space variable with conservation laws
  at multiplier order `DRIFT_ORDER`, each run records `conservation_drift` (per law, max over
  32 times of |int T(u_theta) dx - int T(u0) dx + flux| / int |T(u0)| dx, and the largest;
  `liepinn.losses.conservation_drift`), else None and `conservation_drift_note` says why.
  A result, not a setting: run keys do not depend on it.

- convergence (`extra_lbfgs_rounds` > 0): further L-BFGS rounds while a seed has not
  converged, i.e. neither its loss history reached the `Plateau` criterion nor its mean
  squared residual on fixed held-out points (no solution data) improved by 1 % or more in
  the last round; each result records `converged_by` and the held-out residual per round.

A group whose training hits NaN/Inf is retrained with the diverged seed's lane held by a
copy of a healthy seed, until no seed diverges: the healthy seeds' numbers are then those of
an undisturbed group, bit for bit. Diverged seeds are stored with rel_l2 = nan, converged =
false, diverged = true and the error message; the report counts them as failures.
"""

from __future__ import annotations

import enum
import functools
import math
import os
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..problems import is_conditioned, load_problem
from ..runs._assemble import HELD_OUT_KEY, References, assemble, index_seed, is_float64
from ._spec import DEFAULT_OPTIONS, RunConfig

# extra L-BFGS rounds stop for a seed whose held-out residual improved by less than this
# (relative) over the best before, on this many fixed points
_HELD_OUT_RTOL = 1e-2


class ConvergedBy(enum.StrEnum):
    """Why a seed of a sweep run counts as converged (stored as its string value)."""

    LOSS = "loss"  # the loss history met the trainer's `Plateau` criterion
    HELD_OUT = "held-out residual"  # the residual on held-out points stopped improving

_HELD_OUT_POINTS = 2048
DRIFT_ORDER = 1  # multiplier order of the laws whose drift every run records



# ------------------------------------------------------------------------------------------
# default settings of a sweep's runs


def sweep_defaults(problem: str):
    """The default `RunSpec` of `liepinn compare` / `liepinn demo` runs on `problem` (ValueError if
    no such problem): a 32 x 3 MLP, 2000 Adam + 500 L-BFGS steps and soft initial/boundary
    terms for one initial condition; a 64 x 3 DeepONet, 3000 + 500 steps and 16 training ICs
    for a family of them."""
    from ..runs import Recipe, RunSpec
    from ..train import LBFGS

    lbfgs = LBFGS(steps=500, memory=20, dtype="float64")
    if is_conditioned(load_problem(problem)):
        recipe = Recipe(width=64, depth=3, steps=3000, second_phase=lbfgs, learning_rate=1e-3)
        return RunSpec(problem, recipe=recipe, constraints="soft", n_initial=64, n_boundary=0, n_ics=16)
    recipe = Recipe(width=32, depth=3, steps=2000, second_phase=lbfgs, learning_rate=1e-3)
    return RunSpec(problem, recipe=recipe, constraints="soft", n_initial=128, n_boundary=64)


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

        # A diverged seed is replaced by a stand-in (a copy of a healthy seed) and the group
        # retrained in the same vmapped shape: the compiled program and every healthy seed's
        # lane are those of an undisturbed group, so the healthy seeds get the same numbers bit
        # for bit (lanes of a vmap never mix). Training them alone instead would change them in
        # the last digits (another program, other reduction orders).
        diverged: dict[int, str] = {}
        while True:
            healthy = [k for k in range(len(configs)) if k not in diverged]
            if not healthy:
                results = []
                break
            lanes = [configs[healthy[0]] if k in diverged else c for k, c in enumerate(configs)]
            try:
                results = self._train(lanes)
                break
            except NonFiniteLossError as e:
                lane = 0 if e.seed is None else int(e.seed)
                k = healthy[0] if lane in diverged else lane  # a stand-in fails with its original
                diverged[k] = f"{e} [lane {lane} of the vmapped group: seed {configs[k].seed}]"
        out = []
        for k, c in enumerate(configs):
            if k in diverged:
                out.append({"rel_l2": math.nan, "wall_time_s": math.nan, "converged": False,
                            "error": diverged[k], "diverged": True})
            else:
                r = dict(results[k])
                if diverged:  # which lanes held stand-ins (their results are not this seed's)
                    r["stand_in_seeds"] = sorted(configs[j].seed for j in diverged)
                out.append(r)
        return out

    # -- one vmapped group -------------------------------------------------------------------
    def _train(self, configs: list[RunConfig]) -> list[dict[str, Any]]:
        import jax
        import jax.numpy as jnp
        import jax.random as jr

        from ..train import Plateau, train_seeds

        c = configs[0]
        spec = c.spec()
        asm = assemble(load_problem(c.problem), spec)
        problem, loss, loss_fn, data = asm.problem, asm.loss, asm.loss_fn, asm.data
        lo, hi = problem.bounds
        conditioned = asm.conditioned
        f32 = jnp.float64 if spec.recipe.adam_float64 else jnp.float32
        keys = [jr.PRNGKey(x.seed) for x in configs]
        options = dict(spec.recipe.train_options(), progress=self.progress)
        res = train_seeds(loss_fn, asm.make_model, data, keys=keys, **options)
        n = len(configs)
        models, wall = res.model, res.wall_time
        totals = np.asarray(res.history["total"], float).reshape(n, -1)
        converged = np.broadcast_to(np.asarray(res.converged, bool), (n,)).copy()
        by = np.where(converged, ConvergedBy.LOSS, None).astype(object)
        lbfgs_done, rounds = int(res.lbfgs_steps), 0
        hist = res.history
        extra = int(c.option("extra_lbfgs_rounds"))
        held_out = None
        if extra > 0 and c.lbfgs_steps > 0:
            # held-out criterion: the mean squared residual on fixed points not trained on
            # (no solution data) stops improving -- it stalls or rises once the network
            # overfits its collocation points, while the training loss may keep falling
            heldout_residual = self._held_out(asm.residual_loss, data, conditioned, lo, hi, f32)
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
            starts = [index_seed(models, k) for k in range(n)]
            first = starts if first is None else first
            previous = iter(starts)
            more = train_seeds(loss_fn, lambda key: next(previous), data, keys=keys,
                               **dict(options, steps=0, dtype=None))
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
                    best[k] = (index_seed(models, k), lbfgs_done)
                if Plateau()(totals[k]):
                    converged[k], by[k] = True, ConvergedBy.LOSS
                    kept[k], used[k] = index_seed(models, k), lbfgs_done
                elif held_out[-1][k] >= (1 - _HELD_OUT_RTOL) * previous_best:
                    converged[k], by[k] = True, ConvergedBy.HELD_OUT
                    kept[k], used[k] = best[k]
                else:
                    used[k] = lbfgs_done
            hist = more.history

        def model_for(k):
            return kept[k] if kept[k] is not None else index_seed(models, k)

        t_eval = time.perf_counter()
        # a model trained to float64 (the L-BFGS phase) is evaluated in float64: outside x64
        # mode JAX would compute (and warn) in float32
        with jax.enable_x64(is_float64(models)):
            errors, fields = asm.evaluate(model_for, n, self.references)
            drifts, drift_note = conservation_drifts(asm, model_for, n)
        eval_time = time.perf_counter() - t_eval
        final = {k: np.asarray(hist[k])[..., -1] for k in hist.names}
        out = []
        for k, cfg in enumerate(configs):
            out.append({
                "rel_l2": errors[k],
                "rel_l2_fields": fields[k],
                "conservation_drift": drifts[k],
                **({"conservation_drift_note": drift_note} if drift_note else {}),
                "wall_time_s": wall / n,
                "batch_wall_time_s": wall,
                "seeds_in_batch": n,
                "eval_time_s": eval_time,
                "converged": bool(converged[k]),
                "steps_done": int(res.steps),
                "lbfgs_steps_done": lbfgs_done,
                "lbfgs_steps_used": used[k],  # L-BFGS steps of the model evaluated
                "extra_lbfgs_rounds_done": rounds,
                "converged_by": None if by[k] is None else str(by[k]),
                "held_out_residual": None if held_out is None else [float(h[k]) for h in held_out],
                "final_total_loss": float(totals[k, -1]),
                "stopped": res.stopped,
                "final_loss": {name: float(np.asarray(v).reshape(n, -1)[k, 0]) if np.ndim(v) else float(v)
                               for name, v in final.items()},
                "loss": loss.describe(),
                "network": asm.network.name,
                "problem": problem.describe(),
                "model": model_for(k),  # stored beside the run file, not in it (`train_batch`)
            })
        return out

    @staticmethod
    def _held_out(res_loss, data, conditioned: bool, lo, hi, dtype):
        """`(models, n) -> (n,)`: each seed's mean squared residual on `_HELD_OUT_POINTS` fixed
        Sobol points (key `HELD_OUT_KEY`; for IC-conditioned runs averaged over the training ICs)."""
        import equinox as eqx
        import jax
        import jax.numpy as jnp
        import jax.random as jr

        from ..train._sampling import Sobol

        pts = Sobol().sample(_HELD_OUT_POINTS, lo, hi, key=jr.PRNGKey(HELD_OUT_KEY), dtype=dtype)

        def one(model):
            if not conditioned:
                return res_loss(model, pts)[0]
            return jnp.mean(jax.vmap(lambda b: res_loss(model.condition(b), pts)[0])(data["branch"]))

        one = eqx.filter_jit(one)

        def evaluate(models, n):
            with jax.enable_x64(is_float64(models)):
                return np.array([float(one(index_seed(models, k))) for k in range(n)])

        return evaluate


def conservation_drifts(asm, model_for, n: int) -> tuple[list[dict[str, Any] | None], str | None]:
    """(per seed `liepinn.losses.conservation_drift` at `DRIFT_ORDER`, None) or ([None] * n, why
    the problem has no drift to record). IC-conditioned runs: the drift on each of the
    `n_test_ics` test ICs (the model conditioned on it, against its own int T(u0) dx), its
    mean over them per law, and the largest of these means as `max`."""
    from ..losses import conservation_drift

    problem = asm.problem
    try:
        if not asm.conditioned:
            return [conservation_drift(problem, model_for(k), order=DRIFT_ORDER) for k in range(n)], None
        import jax.numpy as jnp

        from ..runs._assemble import TEST_IC_KEY, ic_family, sensor_points

        fam, coefs = ic_family(problem, int(asm.spec.n_test_ics), TEST_IC_KEY)
        members = [fam.expression(*c) for c in zip(*coefs)]
        sensors = fam.evaluate(coefs, sensor_points(problem, asm.network.sensors))
        out = []
        for k in range(n):
            model = model_for(k)
            branch = jnp.asarray(sensors, jnp.float64 if is_float64(model) else jnp.float32)
            per_ic = [conservation_drift(problem, model.condition(branch[j]), order=DRIFT_ORDER,
                                         initial_condition=u0) for j, u0 in enumerate(members)]
            mean = np.mean([d["drift"] for d in per_ic], axis=0).tolist()
            out.append({**per_ic[0], "drift": mean, "max": float(np.max(mean)),
                        "per_test_ic": [d["drift"] for d in per_ic],
                        "over": f"mean over the {len(members)} test ICs"})
        return out, None
    except ValueError as exc:  # no evolution form, several space variables, no law
        return [None] * n, str(exc)


def train_group(configs: Sequence[RunConfig]) -> list[dict[str, Any]]:
    """Default runner (no disk cache of references)."""
    return _default_runner()(configs)


@functools.lru_cache(maxsize=1)
def _default_runner() -> TrainRunner:
    return TrainRunner()


__all__ = ["ConvergedBy", "TrainRunner", "train_group", "sweep_defaults", "DEFAULT_OPTIONS"]
