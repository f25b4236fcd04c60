r"""The training directory of `liepinn train`: one PINN training run, its settings and results.

```
DIR/config.json     {"config": the RunSpec (everything that determines the numbers),
                     "versions": {...}, "created": ...}
DIR/history.csv     seed,step,phase,total,<one column per loss term>,grad_norm
DIR/model.eqx       eqx.tree_serialise_leaves of the model (a leading seed axis when several
                    seeds); `load_run(DIR)` rebuilds it from config.json
DIR/metrics.json    rel_l2 (mean, std and per seed) against the reference, wall time,
                    converged flags, every term's final value
DIR/solution.png, snapshots.png, loss.png
DIR/checkpoint.eqx  (+ .json) while training: a rerun resumes from it; removed at the end
DIR/ref-*.npz       the reference on the evaluation grid (diffrax runs are cached here)
```

The run is built by `liepinn.runs.assemble` (the same code as the sweeps): see there for the
losses, the hard constraints and the evaluation.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import math
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..problems import fingerprint, is_conditioned, load_problem
from ._assemble import Assembly, References, assemble, check_problem, rel_l2, seed_model
from ._spec import RunSpec

__all__ = ["TrainedRun", "fit", "load_run", "train_run"]

CONFIG = "config.json"
HISTORY = "history.csv"
MODEL = "model.eqx"
METRICS = "metrics.json"
CHECKPOINT = "checkpoint.eqx"
PLOTS = ("solution.png", "snapshots.png", "loss.png")
_FORMAT = 2  # version of the directory layout (2: config holds a RunSpec)


# ------------------------------------------------------------------------------------------
# settings


def differences(old: dict, new: dict, prefix: str = "") -> list[str]:
    """Human-readable differences between two JSON settings dicts."""
    out = []
    for k in sorted(set(old) | set(new)):
        a, b = old.get(k, "<unset>"), new.get(k, "<unset>")
        if isinstance(a, dict) and isinstance(b, dict):
            out += differences(a, b, f"{prefix}{k}.")
        elif a != b:
            out.append(f"{prefix}{k}: {json.dumps(a)} in the directory, {json.dumps(b)} now")
    return out


def _load_problem(spec: RunSpec):
    problem = load_problem(spec.problem)
    if is_conditioned(problem):
        raise ValueError(
            f"problem {spec.problem!r} has a family of initial conditions (IC-conditioned "
            "DeepONet setting): train it with `liepinn compare` / `liepinn demo`; `liepinn train` "
            "trains one solution"
        )
    check_problem(problem, spec)
    return problem


def _train(spec: RunSpec, assembly: Assembly, checkpoint: Path | None, progress: bool, **extra):
    """Train the run's seeds (`extra`: further options of `liepinn.train.train`)."""
    import jax.random as jr

    from ..train import train, train_seeds

    options = spec.recipe.train_options()
    if checkpoint:
        options.update(checkpoint=checkpoint, checkpoint_every=spec.checkpoint_every)
    options.update(extra)
    if len(spec.seeds) == 1:  # exactly what benchmarks/train_burgers.py runs
        key = jr.PRNGKey(spec.seeds[0])
        return train(assembly.loss_fn, assembly.make_model(key), assembly.data, key=key, progress=progress,
                     **options)
    keys = [jr.PRNGKey(s) for s in spec.seeds]
    return train_seeds(assembly.loss_fn, assembly.make_model, assembly.data, keys=keys, progress=progress,
                       **options)


# ------------------------------------------------------------------------------------------
# the directory


def _versions() -> dict:
    import importlib.metadata

    out = {}
    for pkg in ("liepinn", "jax", "jaxlib", "equinox", "optax", "diffrax", "sympy", "numpy", "scipy"):
        try:
            out[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            out[pkg] = "unknown"
    out["python"] = platform.python_version()
    out["machine"] = f"{platform.system()} {platform.machine()}, {os.cpu_count()} cpus"
    return out


def fmt(value) -> str:
    """A float as 1.234e-03, None (a stored NaN) as "nan"."""
    return "nan" if value is None else f"{value:.3e}"


def _finite(obj):
    """JSON-safe copy: non-finite floats (e.g. grad_norm of L-BFGS rows) become null."""
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def _write_json(path: Path, obj) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w") as f:
        json.dump(_finite(obj), f, indent=1, sort_keys=False, allow_nan=False)
        f.write("\n")
    os.replace(tmp, path)


def _write_history(path: Path, history, seeds: tuple[int, ...]) -> None:
    names = list(history.names)
    n = len(seeds)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w") as f:
        f.write(",".join(["seed", "step", "phase", *names]) + "\n")
        for k, seed in enumerate(seeds):
            cols = [np.asarray(history[name]).reshape(n, -1)[k] for name in names]
            for i in range(len(history.step)):
                vals = [repr(float(c[i])) for c in cols]
                f.write(",".join([str(seed), str(int(history.step[i])), str(history.phase[i]), *vals]) + "\n")
    os.replace(tmp, path)


def read_history(path: str | os.PathLike) -> dict:
    """history.csv as {"seed": (n,), "step": (n,), "phase": (n,), term: (n,)} numpy arrays."""
    with open(path) as f:
        header = f.readline().strip().split(",")
        rows = [line.strip().split(",") for line in f if line.strip()]
    out: dict[str, np.ndarray] = {}
    for j, name in enumerate(header):
        col = [r[j] for r in rows]
        if name == "phase":
            out[name] = np.asarray(col, dtype=object)
        elif name in ("seed", "step"):
            out[name] = np.asarray(col, dtype=np.int64)
        else:
            out[name] = np.asarray(col, dtype=np.float64)
    return out


def _stored_spec(config: dict) -> RunSpec:
    """The `RunSpec` of a directory's config.json (older directories: their settings, migrated)."""
    try:
        return RunSpec.from_json(config.get("config") or {})
    except (ValueError, TypeError, KeyError) as e:
        raise ValueError(f"config.json does not hold a readable run spec ({e})") from None


def _our_files(out: Path) -> list[Path]:
    names = {CONFIG, HISTORY, MODEL, METRICS, CHECKPOINT, CHECKPOINT + ".json", *PLOTS}
    files = [out / n for n in names]
    files += list(out.glob("ref-*.npz")) + list(out.glob("*.tmp")) + list(out.glob(CHECKPOINT + "*.tmp"))
    return [f for f in files if f.exists()]


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What `train_run` did: `status` is "trained", "resumed" or "done" (nothing to do)."""

    status: str
    directory: Path
    metrics: dict


def train_run(
    settings: RunSpec,
    out: str | os.PathLike,
    *,
    overwrite: bool = False,
    progress: bool = True,
    plots: bool = True,
    say: Callable[[str], None] = lambda m: None,
    sharding=None,
) -> Outcome:
    """Train `settings` (a `RunSpec`) into the training directory `out` (see the module docstring).

    `sharding`: how training is laid out over the devices (`liepinn.train.PointSharding()`,
    `SeedSharding()`; None: one device for one seed, the seeds over the devices for several).
    It changes where the pieces run, not the numbers (up to float reduction order), so it is
    not part of the settings: a run may resume under another layout.

    An existing directory with the same settings is resumed from its checkpoint, or left as
    it is when finished; different settings are refused (ValueError) unless `overwrite`,
    which removes the files of the old run first.
    """
    import equinox as eqx

    out = Path(out)
    problem = _load_problem(settings)
    if settings.problem_id is None:
        settings = dataclasses.replace(settings, problem_id=fingerprint(problem))
    new = settings.to_json()
    assembly = assemble(problem, settings)  # every setting checked before the directory is touched
    if settings.reference is not None and not os.path.exists(settings.reference):
        raise FileNotFoundError(f"reference file {settings.reference!r} not found")
    status = "trained"
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {str(out)!r} exists and is not a directory")
    cfg_path = out / CONFIG
    if out.exists() and overwrite:
        for f in _our_files(out):
            f.unlink()
    elif cfg_path.exists():
        with open(cfg_path) as f:
            old = json.load(f)
        try:
            stored = _stored_spec(old)
            old_json = stored.to_json()
        except ValueError:  # not a spec this version can read: a different run
            stored, old_json = None, old.get("config") or {}
        if stored != settings:
            diff = differences(old_json, new)
            raise ValueError(
                f"{str(out)!r} holds a run with different settings ("
                + "; ".join(diff[:6]) + ("; ..." if len(diff) > 6 else "")
                + "): pass --overwrite to replace it, or choose another --out"
            )
        if (out / METRICS).exists() and (out / MODEL).exists():
            with open(out / METRICS) as f:
                metrics = json.load(f)
            say(f"{out}: already trained with these settings (rel_l2 {fmt(metrics.get('rel_l2'))}); "
                "nothing to do (--overwrite to retrain)")
            return Outcome("done", out, metrics)
        status = "resumed" if (out / CHECKPOINT).exists() else "trained"
    elif out.exists() and any(out.iterdir()) and _our_files(out):
        raise ValueError(f"{str(out)!r} holds files of a training directory but no {CONFIG}: pass "
                         "--overwrite to start afresh there")
    out.mkdir(parents=True, exist_ok=True)
    _write_json(cfg_path, {"format": _FORMAT, "config": new, "versions": _versions(),
                           "created": datetime.datetime.now().isoformat(timespec="seconds")})

    # the reference first (cached in DIR): a problem there shows before any training
    if settings.reference is None and problem.exact is None:
        say(f"reference: diffrax method of lines on {settings.eval_nx} x {settings.eval_nt} (cached in {out})")
    x, t, ref, ref_info = assembly.reference(References(out))
    if status == "resumed":
        say(f"{out}: resuming from {CHECKPOINT}")
    cpu0 = time.process_time()
    extra = {} if sharding is None else {"sharding": sharding}
    result = _train(settings, assembly, out / CHECKPOINT, progress, **extra)
    cpu = time.process_time() - cpu0
    eqx.tree_serialise_leaves(out / MODEL, result.model)
    _write_history(out / HISTORY, result.history, settings.seeds)

    t_eval = time.perf_counter()
    n = len(settings.seeds)
    preds = [assembly.predict(seed_model(result.model, n, k), x, t) for k in range(n)]
    errs = [rel_l2(pr, ref) for pr in preds]
    fields = [{d: rel_l2(pr[a], ref[a]) for a, d in enumerate(problem.dependent)} for pr in preds]
    eval_time = time.perf_counter() - t_eval
    converged = np.broadcast_to(np.asarray(result.converged, bool), (n,))
    hist = result.history
    final = {k: np.asarray(hist[k]).reshape(n, -1)[:, -1] for k in hist.names}
    per_seed = [{
        "seed": s, "rel_l2": errs[k], "rel_l2_fields": fields[k], "converged": bool(converged[k]),
        "final": {name: float(v[k]) for name, v in final.items()},
    } for k, s in enumerate(settings.seeds)]
    metrics = {
        "rel_l2": float(np.mean(errs)),
        "rel_l2_std": float(np.std(errs, ddof=1)) if n > 1 else 0.0,
        "rel_l2_min": float(np.min(errs)),
        "rel_l2_max": float(np.max(errs)),
        "rel_l2_fields": {d: float(np.mean([f[d] for f in fields])) for d in problem.dependent},
        "seeds": list(settings.seeds),
        "per_seed": per_seed,
        "converged": bool(np.all(converged)),
        "final": {name: float(np.mean(v)) for name, v in final.items()},
        "wall_time_s": float(result.wall_time),
        # CPU seconds of this process (all threads) in this segment: on a shared machine a
        # better measure of cost than the wall time
        "cpu_time_s": cpu,
        "eval_time_s": eval_time,
        "steps_done": int(result.steps),
        "lbfgs_steps_done": int(result.lbfgs_steps),
        "stopped": result.stopped,
        "status": status,
        "reference": ref_info,
        "model_dtypes": _model_dtypes(result.model),
        "loss": assembly.loss.describe(),
    }
    if plots:
        from . import _plots

        k = 0  # plots of the first seed; the loss curves show every seed
        title = f"{problem.name} ({settings.loss.label}), seed {settings.seeds[k]}: rel. L2 {errs[k]:.2e}"
        if len(problem.space) == 1:
            _plots.plot_solution(x, t, preds[k], ref, out / PLOTS[0], names=problem.dependent,
                                 space=problem.space[0], time=problem.time, title=title)
            _plots.plot_snapshots(x, t, preds[k], ref, out / PLOTS[1], names=problem.dependent,
                                  space=problem.space[0], time=problem.time, title=title)
            written = list(PLOTS)
        else:  # (x, y) maps at three times, and the error map
            _plots.plot_slices_2d(x, t, preds[k], ref, out / PLOTS[1], names=problem.dependent,
                                  space=problem.space, time=problem.time, title=title)
            written = [PLOTS[1], PLOTS[2]]
        _plots.plot_history(read_history_from(result.history, settings.seeds), out / PLOTS[2],
                            title=f"{problem.name} ({settings.loss.label}): loss terms")
        metrics["plots"] = written
    _write_json(out / METRICS, metrics)
    for f in (out / CHECKPOINT, out / (CHECKPOINT + ".json")):
        if f.exists():
            f.unlink()
    return Outcome(status, out, metrics)


def read_history_from(history, seeds) -> dict:
    """The `read_history` layout from a `History` (for plotting without re-reading the CSV)."""
    n = len(seeds)
    m = len(history.step)
    out = {"seed": np.repeat(np.asarray(seeds), m), "step": np.tile(np.asarray(history.step), n),
           "phase": np.tile(np.asarray(history.phase, dtype=object), n)}
    for name in history.names:
        out[name] = np.asarray(history[name], np.float64).reshape(n, -1).reshape(-1)
    return out


def _model_dtypes(model) -> list[str]:
    """The dtype of every array leaf (after float64 L-BFGS the weights are float64 while
    the embedding's constants stay float32): what `load_run` needs to rebuild the model."""
    import equinox as eqx
    import jax

    return [str(x.dtype) for x in jax.tree.leaves(eqx.filter(model, eqx.is_array))]


# ------------------------------------------------------------------------------------------
# loading


@dataclasses.dataclass(frozen=True)
class TrainedRun:
    """A finished training directory: its `RunSpec`, problem, trained model(s), metrics.

    `model` has a leading seed axis on its arrays when the run trained several seeds;
    `model_for(k)` is the k-th seed's model, `predict(x, t, k)` its values on a grid
    (q, nx, nt), in the model's precision (float64 after the float64 L-BFGS phase).
    """

    directory: Path
    spec: RunSpec
    assembly: Assembly
    problem: Any
    model: Any
    metrics: dict

    @property
    def settings(self) -> RunSpec:
        """The run's spec (the name of older releases)."""
        return self.spec

    @property
    def seeds(self) -> tuple[int, ...]:
        return self.spec.seeds

    def model_for(self, k: int = 0):
        if not 0 <= k < len(self.seeds):
            raise IndexError(f"seed index {k} out of range: the run has {len(self.seeds)} seed(s)")
        return seed_model(self.model, len(self.seeds), k)

    def predict(self, x, t, k: int = 0) -> np.ndarray:
        """Seed k's model on the grid x (nx,) x t (nt,): (q, nx, nt); in d space dimensions x
        is a tuple of axes and the result (q, n_1, ..., n_d, nt)."""
        axes = np.asarray(x, float) if len(self.problem.space) == 1 else tuple(np.asarray(a, float) for a in x)
        return self.assembly.predict(self.model_for(k), axes, np.asarray(t, float))

    def at(self, points, k: int = 0) -> np.ndarray:
        """Seed k's model at scattered points (N, p) (columns in the PDE's order of the
        independent variables): (q, N)."""
        import jax

        from ._assemble import is_float64

        pts = np.asarray(points, float)
        p = len(self.problem.independent)
        if pts.ndim != 2 or pts.shape[1] != p:
            raise ValueError(f"points must have shape (N, {p}) (columns {', '.join(self.problem.independent)}), "
                             f"got {pts.shape}")
        model = self.model_for(k)
        with jax.enable_x64(is_float64(model)):
            dtype = np.float64 if is_float64(model) else np.float32
            return np.asarray(model(jax.numpy.asarray(pts, dtype)), float).T

    def history(self) -> dict:
        return read_history(self.directory / HISTORY)


def fit(problem, spec: RunSpec | None = None, *, out: str | os.PathLike, overwrite: bool = False,
        progress: bool = True, plots: bool = True, sharding=None) -> TrainedRun:
    """Train `spec` (default `RunSpec()`) on your own `problem` (a `liepinn.Problem`) into the
    training directory `out`, and return the trained run (`TrainedRun`). The problem is
    registered under its name; `spec.problem` is set to it. `sharding`: the layout over
    devices, as in `train_run` (e.g. `liepinn.train.PointSharding()`)."""
    from ..problems import Problem, register_problem

    if not isinstance(problem, Problem):
        raise TypeError(f"fit takes a liepinn Problem, got {type(problem).__name__}")
    register_problem(problem)
    spec = RunSpec(problem.name) if spec is None else dataclasses.replace(spec, problem=problem.name)
    train_run(spec, out, overwrite=overwrite, progress=progress, plots=plots, sharding=sharding)
    return load_run(out, problem=problem)


def adopt_problem(problem, trained: str, where: str) -> None:
    """Register the user's `problem` for reloading a run (`where`, e.g. its directory) that
    trained the problem called `trained`: it must be a `Problem` of that name."""
    from ..problems import Problem, register_problem

    if not isinstance(problem, Problem):
        raise TypeError(f"problem must be a liepinn Problem, got {type(problem).__name__}")
    if problem.name != trained:
        raise ValueError(f"{where} trained problem {trained!r}, not {problem.name!r}")
    register_problem(problem)


def restore_model(assembly: Assembly, seeds, dtypes, source, *, where: str = "the record"):
    """The model stored (`eqx.tree_serialise_leaves`) in `source` (a path or a binary file),
    rebuilt on `assembly.make_model` for `seeds` (a leading seed axis when several) with the
    array dtypes `dtypes` (None: those of a fresh model)."""
    import equinox as eqx
    import jax
    import jax.numpy as jnp
    import jax.random as jr

    with jax.enable_x64(True):
        models = [assembly.make_model(jr.PRNGKey(s)) for s in seeds]
        if len(models) == 1:
            like = models[0]
        else:
            arrays = [eqx.filter(m, eqx.is_array) for m in models]
            stacked = jax.tree.map(lambda *xs: jnp.stack(xs), *arrays)
            like = eqx.combine(stacked, eqx.partition(models[0], eqx.is_array)[1])
        arrays, static = eqx.partition(like, eqx.is_array)
        leaves, treedef = jax.tree.flatten(arrays)
        dtypes = dtypes or [str(a.dtype) for a in leaves]
        if len(dtypes) != len(leaves):
            raise ValueError(f"{where} lists {len(dtypes)} model arrays, the rebuilt model has {len(leaves)} "
                             "(was the code changed since training?)")
        like = eqx.combine(jax.tree.unflatten(treedef, [a.astype(d) for a, d in zip(leaves, dtypes)]), static)
        return eqx.tree_deserialise_leaves(source, like)


def load_run(directory: str | os.PathLike, *, problem=None) -> TrainedRun:
    """Rebuild the model of a `liepinn train` directory from its config.json and load model.eqx.

    `problem`: the `liepinn.Problem` the run trained, when it is not one of `pdes/` (a user's
    own problem, in a new process); it must be the same definition (fingerprint checked)."""
    directory = Path(directory)
    for name in (CONFIG, MODEL):
        if not (directory / name).exists():
            raise FileNotFoundError(f"{str(directory)!r} is not a finished training directory (no {name})")
    with open(directory / CONFIG) as f:
        settings = _stored_spec(json.load(f))
    if problem is not None:
        adopt_problem(problem, settings.problem, repr(str(directory)))
    metrics = {}
    if (directory / METRICS).exists():
        with open(directory / METRICS) as f:
            metrics = json.load(f)
    assembly = assemble(_load_problem(settings), settings)
    model = restore_model(assembly, settings.seeds, metrics.get("model_dtypes"), directory / MODEL,
                          where=f"{str(directory)!r}: metrics.json")
    return TrainedRun(directory, settings, assembly, assembly.problem, model, metrics)
