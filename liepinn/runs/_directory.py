r"""The training directory of `liepinn train`: one PINN training run, its settings and results.

```
DIR/config.json     {"config": the RunSettings (everything that determines the numbers),
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

The pieces are shared with the sweep runner (`liepinn._setup`): the interior loss
(`build_interior_loss`: residual, symmetry terms in prolonged or evolutionary form, gPINN),
the initial/boundary points and the reference solutions; the network, collocation and
optimiser settings are a `liepinn.runs.Recipe` (hard constraints, residual-adaptive
sampling, float64 L-BFGS), used the way `benchmarks/train_burgers.py` uses it.

Hard constraints, on $x \in [lo, hi]$, $t \in [t_0, t_1]$ with $u_0$ the initial condition:

- Dirichlet $u(lo, t) = g_-(t)$, $u(hi, t) = g_+(t)$:
  $u = A(x, t) + \tau\, d(x)\, N(x, t)$ with $\tau = t - t_0$,
  $d = (x - lo)(hi - x) / ((hi - lo)/2)^2$ and
  $A = u_0(x) + \frac{hi - x}{hi - lo}(g_-(t) - g_-(t_0)) + \frac{x - lo}{hi - lo}(g_+(t) - g_+(t_0))$;
- periodic (exactly periodic network) or Neumann (soft boundary term): $u = u_0(x) + \tau N$.
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

__all__ = ["RunSettings", "TrainedRun", "load_run", "train_run", "VARIANTS", "CONSTRAINTS"]

VARIANTS = ("residual", "prolonged", "evolutionary", "gpinn")
CONSTRAINTS = ("hard", "soft")
NORMALISERS = ("coefficients", "initial", "none")

CONFIG = "config.json"
HISTORY = "history.csv"
MODEL = "model.eqx"
METRICS = "metrics.json"
CHECKPOINT = "checkpoint.eqx"
PLOTS = ("solution.png", "snapshots.png", "loss.png")
_FORMAT = 1  # version of the directory layout


# ------------------------------------------------------------------------------------------
# settings


def _recipe_cls():
    from ._recipe import Recipe

    return Recipe


@dataclasses.dataclass(frozen=True)
class RunSettings:
    """Everything that determines the numbers of one `liepinn train` run.

    - `problem`: a problem of `pdes/` (or one registered with
      `liepinn.problems.register_problem`); `problem_id` its fingerprint.
    - `variant`: `residual`, `prolonged` / `evolutionary` (+ one symmetry term per
      generator, weight `weight`), `gpinn` (+ the squared derivatives of the residual, weight
      `weight`); the extra terms scaled by `normaliser` (`initial`: each equals the residual
      term on a fixed calibration network, as in the sweeps; `coefficients`; `none`);
      `generators`: `"all"` or 1-based numbers `"1,2,5"`.
    - `seeds`: PRNG seeds (model and collocation points); several train vmapped.
    - `constraints`: `hard` (initial and Dirichlet conditions exact, see the module
      docstring) or `soft` (`n_initial` IC points, `n_boundary` points per end, weights
      `ic_weight`, `bc_weight`). Neumann conditions are always soft.
    - `harmonics`: harmonics of the exactly periodic input features (periodic problems).
    - `eval_nx`, `eval_nt`: the evaluation grid (exact solution or diffrax reference), or
      `reference`: a .mat (PINN data) / .npz (`liepinn reference`) file to evaluate against.
    - `checkpoint_every`: steps between checkpoints.
    - `recipe`: network, collocation and optimiser settings (`liepinn.runs.Recipe`).
    """

    problem: str
    recipe: Any
    variant: str = "residual"
    generators: str | None = None
    weight: float | None = None
    normaliser: str | None = None
    seeds: tuple[int, ...] = (0,)
    constraints: str = "hard"
    n_initial: int = 128
    n_boundary: int = 64
    ic_weight: float = 1.0
    bc_weight: float = 1.0
    harmonics: int = 4
    eval_nx: int = 256
    eval_nt: int = 100
    reference: str | None = None
    checkpoint_every: int = 1000
    problem_id: str | None = None

    def __post_init__(self):
        if self.variant not in VARIANTS:
            raise ValueError(f"variant must be one of {', '.join(VARIANTS)}; got {self.variant!r}")
        if self.constraints not in CONSTRAINTS:
            raise ValueError(f"constraints must be 'hard' or 'soft'; got {self.constraints!r}")
        if self.normaliser is not None and self.normaliser not in NORMALISERS:
            raise ValueError(f"normaliser must be one of {', '.join(NORMALISERS)}; got {self.normaliser!r}")
        if not isinstance(self.recipe, _recipe_cls()):
            raise TypeError(f"recipe must be a liepinn.runs.Recipe, got {type(self.recipe).__name__}")
        seeds = tuple(self.seeds)
        if not seeds or len(set(seeds)) != len(seeds) or any(
                isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 0 for s in seeds):
            raise ValueError(f"seeds must be distinct non-negative ints, got {list(seeds)}")
        object.__setattr__(self, "seeds", tuple(int(s) for s in seeds))
        for name, lo in (("n_initial", 1), ("n_boundary", 0), ("harmonics", 1), ("eval_nx", 2),
                         ("eval_nt", 2), ("checkpoint_every", 1)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
                raise ValueError(f"{name} must be an int >= {lo}, got {v!r}")
        for name in ("ic_weight", "bc_weight") + (("weight",) if self.weight is not None else ()):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v >= 0):
                raise ValueError(f"{name} must be a finite number >= 0, got {v!r}")

    def to_json(self) -> dict:
        d = dataclasses.asdict(self)
        d["recipe"] = self.recipe.to_json()
        d["seeds"] = list(self.seeds)
        return d

    @classmethod
    def from_json(cls, d: dict) -> RunSettings:
        d = dict(d)
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"unknown run settings {unknown}")
        d["recipe"] = _recipe_cls().from_json(d["recipe"])
        d["seeds"] = tuple(d.get("seeds", (0,)))
        return cls(**d)


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


# ------------------------------------------------------------------------------------------
# problem -> loss, data, model


def _load_problem(settings: RunSettings):
    from ..problems._registry import fingerprint, is_conditioned, load_problem

    problem = load_problem(settings.problem)
    if is_conditioned(problem):
        raise ValueError(
            f"problem {settings.problem!r} has a family of initial conditions (IC-conditioned "
            "DeepONet setting): train it with `liepinn compare` / `liepinn demo`; `liepinn train` "
            "trains one solution"
        )
    if len(problem.space) != 1:
        raise ValueError(f"liepinn train supports one space variable; {problem.name!r} has "
                         f"{len(problem.space)} ({', '.join(problem.space)})")
    if settings.problem_id is not None and settings.problem_id != fingerprint(problem):
        raise ValueError(
            f"problem {settings.problem!r} changed since this run was configured (fingerprint "
            f"{fingerprint(problem)} != {settings.problem_id})"
        )
    return problem


def _jax_function(problem, expr, variables: tuple[str, ...]) -> Callable:
    """`expr` (sympy, parameters substituted) as a JAX function of the named variables."""
    import sympy as sp

    return sp.lambdify([sp.Symbol(v) for v in variables], expr, modules="jax")


def _transform(problem) -> Callable:
    """The hard-constraint output transform `(point, N) -> u` of the module docstring."""
    import jax.numpy as jnp

    from ..problems._problem import Dirichlet

    xi, ti = problem.independent.index(problem.space[0]), problem.time_index
    lo, hi = (float(b) for b in problem.domain[problem.space[0]])
    t0 = problem.t_span[0]
    deps = problem.dependent
    u0 = [_jax_function(problem, problem.initial[d], problem.space) for d in deps]
    dirichlet = isinstance(problem.boundary, Dirichlet)
    mid, half = (lo + hi) / 2, (hi - lo) / 2
    if dirichlet:
        g = [_jax_function(problem, problem.boundary.values[d], problem.independent) for d in deps]
        zero_bc = all(problem.boundary.values[d] == 0 for d in deps)

    def at(f, x, t):
        args = [None] * len(problem.independent)
        args[xi], args[ti] = x, t
        return f(*args)

    def transform(z, n):
        x, t = z[xi], z[ti]
        tau = t - t0  # as benchmarks/train_burgers.py: u = -sin(pi x) + t (1 - x^2) N
        base = jnp.stack([jnp.broadcast_to(f(x), x.shape) for f in u0]).astype(n.dtype)
        if not dirichlet:
            return base + tau * n
        d = 1 - ((x - mid) / half) ** 2  # (x - lo)(hi - x) / half^2; 1 - x^2 on [-1, 1]
        if zero_bc:
            return base + tau * d * n
        shift = jnp.stack([
            (hi - x) / (hi - lo) * (at(f, lo, t) - at(f, lo, t0)) + (x - lo) / (hi - lo) * (at(f, hi, t) - at(f, hi, t0))
            for f in g
        ]).astype(n.dtype)
        return base + shift + tau * d * n

    return transform


def _in_precision(f64: bool, fn, *args, **kwargs):
    """`fn(...)` with x64 on for float64 runs: Normalise(dtype="float64") then holds true
    float64 bounds (the MLP's weights are float32 either way: its dtype is explicit)."""
    import jax

    with jax.enable_x64(f64):
        return fn(*args, **kwargs)


@dataclasses.dataclass(frozen=True)
class Setup:
    """What a run trains: problem, interior loss, `loss_fn(model, batch)`, batch, model maker."""

    problem: Any
    loss: Any
    loss_fn: Callable
    data: Any
    make_model: Callable
    residual: Callable


def build(settings: RunSettings) -> Setup:
    """The loss, data and network of a run (ValueError with a clear message if impossible)."""
    import jax
    import jax.numpy as jnp
    import jax.random as jr

    from ._assemble import (
        CALIBRATION_KEY,
        boundary_points,
        initial_points,
        initial_scales,
        build_interior_loss,
    )
    from ..losses._pinn import dirichlet_loss, neumann_loss
    from ..nn._networks import MLP, Chain, HardConstraint, Normalise, PeriodicEmbedding
    from ..problems._problem import Dirichlet, Neumann

    problem = _load_problem(settings)
    recipe = settings.recipe
    variant = settings.variant
    generators = settings.generators or "all"
    loss = build_interior_loss(problem, variant, generators, weight=settings.weight,
                               normaliser=settings.normaliser or "initial")
    res_loss = loss if variant == "residual" else build_interior_loss(problem, "residual")

    def residual(model, points):
        r = res_loss.pointwise(model, points)
        rows = [v for k, v in r.items() if k.startswith("residual")]
        return rows[0] if len(rows) == 1 else jnp.stack(rows)

    lo, hi = problem.bounds
    p, q = len(problem.independent), len(problem.dependent)
    hard = settings.constraints == "hard"
    transform = _transform(problem) if hard else None
    f64 = bool(recipe.adam_float64)
    dtype = jnp.float64 if f64 else jnp.float32

    def array(a):  # float64 data needs x64 on when it is made (the trainer keeps the dtype)
        with jax.enable_x64(f64):
            return jnp.asarray(a, dtype)

    if problem.periodic:
        if recipe.fourier_features:
            raise ValueError("fourier_features are not available with the exactly periodic network of "
                             f"{problem.name!r} (periodic boundary): use --fourier-features 0")
        axis = problem.independent.index(problem.space[0])
        period = 2.0  # Normalise maps the period onto [-1, 1]

        def make_model(key):
            return _in_precision(f64, make_periodic, key)

        def make_periodic(key):
            emb = Chain(Normalise(lo, hi, dtype="float64" if f64 else None),
                        PeriodicEmbedding(p, axis=axis, period=period, n_harmonics=settings.harmonics))
            _, km = jr.split(key)  # as Recipe.model: the second half of the key is the MLP's
            net = MLP(p, q, recipe.width, recipe.depth, activation=recipe.activation, embedding=emb, key=km)
            return net if transform is None else HardConstraint(net, transform)
    else:
        def make_model(key):
            return _in_precision(f64, recipe.model, p, q, lo, hi, transform=transform, key=key)

    colloc = recipe.collocation(lo, hi, residual=residual)
    data: dict[str, Any] = {"interior": colloc}
    bc = problem.boundary
    neumann = isinstance(bc, Neumann)
    if not hard:
        ic_pts = initial_points(problem, settings.n_initial)
        data["ic_points"] = array(ic_pts)
        data["ic_values"] = array(problem.initial_values(ic_pts).T)
    if isinstance(bc, (Dirichlet, Neumann)) and settings.n_boundary > 0 and (neumann or not hard):
        left, right = boundary_points(problem, settings.n_boundary)
        pts = np.concatenate([left, right])
        data["bc_points"] = array(pts)
        data["bc_values"] = array(problem.boundary_values(pts).T)
    normal = np.zeros(p)
    normal[problem.independent.index(problem.space[0])] = 1.0
    ic_w, bc_w = float(settings.ic_weight), float(settings.bc_weight)

    if variant != "residual" and settings.normaliser == "initial":
        # as the sweeps: every extra term equals the residual term on a fixed calibration network
        key = jr.PRNGKey(CALIBRATION_KEY)
        loss = initial_scales(loss, make_model(key), colloc.init(key))

    def loss_fn(model, batch):
        total, terms = loss(model, batch["interior"])
        if "ic_points" not in batch and "bc_points" not in batch:
            return total, terms
        terms = dict(terms)
        if "ic_points" in batch:
            terms["initial"] = dirichlet_loss(model, batch["ic_points"], batch["ic_values"])
            total = total + ic_w * terms["initial"]
        if "bc_points" in batch:
            if neumann:
                terms["boundary"] = neumann_loss(model, batch["bc_points"], batch["bc_values"], normal)
            else:
                terms["boundary"] = dirichlet_loss(model, batch["bc_points"], batch["bc_values"])
            total = total + bc_w * terms["boundary"]
        return total, terms

    return Setup(problem, loss, loss_fn, data, make_model, residual)


def _train_options(recipe) -> dict:
    """The options `Recipe.train` passes to `liepinn.train`, for `train_seeds` (which the
    recipe does not call; tests/test_cli_train.py checks the two agree)."""
    options = dict(
        steps=recipe.steps, learning_rate=recipe.learning_rate, decay=recipe.decay,
        lbfgs_steps=recipe.lbfgs_steps, lbfgs_memory=recipe.lbfgs_memory,
        quasi_newton=recipe.quasi_newton, lbfgs_dtype="float64" if recipe.float64 else None,
        dtype="float64" if recipe.adam_float64 else None, log_every=recipe.log_every,
        max_time=recipe.max_time,
    )
    if hasattr(recipe, "lbfgs_resample"):  # a newer recipe field
        options["lbfgs_resample"] = recipe.lbfgs_resample
    return options


def _train(settings: RunSettings, setup: Setup, checkpoint: Path | None, progress: bool, **extra):
    """Train the run's seeds (`extra`: further options of `liepinn.train`)."""
    import jax.random as jr

    from ..train._loop import train_seeds

    ckpt = dict(checkpoint=checkpoint, checkpoint_every=settings.checkpoint_every) if checkpoint else {}
    ckpt.update(extra)
    recipe = settings.recipe
    if len(settings.seeds) == 1:  # exactly what benchmarks/train_burgers.py runs
        key = jr.PRNGKey(settings.seeds[0])
        model = setup.make_model(key)
        return recipe.train(setup.loss_fn, model, setup.data, key=key, progress=progress, **ckpt)
    keys = [jr.PRNGKey(s) for s in settings.seeds]
    return train_seeds(setup.loss_fn, setup.make_model, setup.data, keys=keys, progress=progress,
                       **_train_options(recipe), **ckpt)


# ------------------------------------------------------------------------------------------
# evaluation


def reference_for(settings: RunSettings, problem, cache_dir: str | os.PathLike | None):
    """(x (nx,), t (nt,), u (q, nx, nt), description) to evaluate a run against."""
    if settings.reference is not None:
        from ..reference import Reference, load_mat

        path = settings.reference
        if not os.path.exists(path):
            raise FileNotFoundError(f"reference file {path!r} not found")
        ref = load_mat(path) if path.endswith(".mat") else Reference.load(path)
        missing = [d for d in problem.dependent if d not in ref.fields]
        if missing:
            raise ValueError(f"reference {path!r} has fields {list(ref.fields)}, the problem needs "
                             f"{list(problem.dependent)}")
        u = np.stack([np.asarray(ref.fields[d], float) for d in problem.dependent])
        return np.asarray(ref.x), np.asarray(ref.t), u, {"kind": "file", "path": os.path.abspath(path)}
    from ._assemble import References

    x, t, u = References(cache_dir).get(problem, settings.eval_nx, settings.eval_nt)
    kind = "exact" if problem.exact is not None else "diffrax"
    return x, t, u, {"kind": kind, "nx": settings.eval_nx, "nt": settings.eval_nt}


def _seed_model(model, n_seeds: int, k: int):
    import equinox as eqx
    import jax

    if n_seeds == 1:
        return model
    arrays, static = eqx.partition(model, eqx.is_array)
    return eqx.combine(jax.tree.map(lambda a: a[k], arrays), static)


def predict(model, problem, x, t) -> np.ndarray:
    """The model on the grid x (nx,) x t (nt,): (q, nx, nt) float64 (evaluated in float64)."""
    import equinox as eqx
    import jax
    import jax.numpy as jnp

    from ._assemble import grid_points

    pts = grid_points(problem, x, t)
    with jax.enable_x64(True):
        out = eqx.filter_jit(lambda m, z: m(z))(model, jnp.asarray(pts, jnp.float64))
        out = np.asarray(out, np.float64)
    return out.T.reshape(len(problem.dependent), len(x), len(t))


def rel_l2(pred, ref) -> float:
    from ._assemble import rel_l2

    return float(rel_l2(pred, ref))


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
    settings: RunSettings,
    out: str | os.PathLike,
    *,
    overwrite: bool = False,
    progress: bool = True,
    plots: bool = True,
    say: Callable[[str], None] = lambda m: None,
) -> Outcome:
    """Train `settings` into the training directory `out` (see the module docstring).

    An existing directory with the same settings is resumed from its checkpoint, or left as
    it is when finished; different settings are refused (ValueError) unless `overwrite`,
    which removes the files of the old run first.
    """
    import equinox as eqx

    from ..problems._registry import fingerprint

    out = Path(out)
    problem = _load_problem(settings)
    if settings.problem_id is None:
        settings = dataclasses.replace(settings, problem_id=fingerprint(problem))
    new = settings.to_json()
    setup = build(settings)  # every setting checked before the directory is touched
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
        if old.get("config") != new:
            diff = differences(old.get("config") or {}, new)
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
    x, t, ref, ref_info = reference_for(settings, problem, out)
    if status == "resumed":
        say(f"{out}: resuming from {CHECKPOINT}")
    cpu0 = time.process_time()
    result = _train(settings, setup, out / CHECKPOINT, progress)
    cpu = time.process_time() - cpu0
    eqx.tree_serialise_leaves(out / MODEL, result.model)
    _write_history(out / HISTORY, result.history, settings.seeds)

    t_eval = time.perf_counter()
    n = len(settings.seeds)
    preds = [predict(_seed_model(result.model, n, k), problem, x, t) for k in range(n)]
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
        "loss": setup.loss.describe(),
    }
    if plots:
        from . import _plots

        k = 0  # plots of the first seed; the loss curves show every seed
        title = f"{problem.name} ({settings.variant}), seed {settings.seeds[k]}: rel. L2 {errs[k]:.2e}"
        _plots.plot_solution(x, t, preds[k], ref, out / PLOTS[0], names=problem.dependent,
                             space=problem.space[0], time=problem.time, title=title)
        _plots.plot_snapshots(x, t, preds[k], ref, out / PLOTS[1], names=problem.dependent,
                              space=problem.space[0], time=problem.time, title=title)
        _plots.plot_history(read_history_from(result.history, settings.seeds), out / PLOTS[2],
                            title=f"{problem.name} ({settings.variant}): loss terms")
        metrics["plots"] = list(PLOTS)
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
    """A finished training directory: settings, problem, trained model(s), metrics.

    `model` has a leading seed axis on its arrays when the run trained several seeds;
    `model_for(k)` is the k-th seed's model, `predict(x, t, k)` its values on a grid
    (q, nx, nt), evaluated in float64.
    """

    directory: Path
    settings: RunSettings
    problem: Any
    model: Any
    metrics: dict

    @property
    def seeds(self) -> tuple[int, ...]:
        return self.settings.seeds

    def model_for(self, k: int = 0):
        if not 0 <= k < len(self.seeds):
            raise IndexError(f"seed index {k} out of range: the run has {len(self.seeds)} seed(s)")
        return _seed_model(self.model, len(self.seeds), k)

    def predict(self, x, t, k: int = 0) -> np.ndarray:
        return predict(self.model_for(k), self.problem, np.asarray(x, float), np.asarray(t, float))

    def history(self) -> dict:
        return read_history(self.directory / HISTORY)


def load_run(directory: str | os.PathLike) -> TrainedRun:
    """Rebuild the model of a `liepinn train` directory from its config.json and load model.eqx."""
    import equinox as eqx
    import jax
    import jax.numpy as jnp
    import jax.random as jr

    directory = Path(directory)
    for name in (CONFIG, MODEL):
        if not (directory / name).exists():
            raise FileNotFoundError(f"{str(directory)!r} is not a finished training directory (no {name})")
    with open(directory / CONFIG) as f:
        settings = RunSettings.from_json(json.load(f)["config"])
    metrics = {}
    if (directory / METRICS).exists():
        with open(directory / METRICS) as f:
            metrics = json.load(f)
    setup = build(settings)
    with jax.enable_x64(True):
        models = [setup.make_model(jr.PRNGKey(s)) for s in settings.seeds]
        if len(models) == 1:
            like = models[0]
        else:
            arrays = [eqx.filter(m, eqx.is_array) for m in models]
            stacked = jax.tree.map(lambda *xs: jnp.stack(xs), *arrays)
            like = eqx.combine(stacked, eqx.partition(models[0], eqx.is_array)[1])
        arrays, static = eqx.partition(like, eqx.is_array)
        leaves, treedef = jax.tree.flatten(arrays)
        dtypes = metrics.get("model_dtypes") or [str(a.dtype) for a in leaves]
        if len(dtypes) != len(leaves):
            raise ValueError(f"{str(directory)!r}: metrics.json lists {len(dtypes)} model arrays, the rebuilt "
                             f"model has {len(leaves)} (was the code changed since training?)")
        like = eqx.combine(jax.tree.unflatten(treedef, [a.astype(d) for a, d in zip(leaves, dtypes)]), static)
        model = eqx.tree_deserialise_leaves(directory / MODEL, like)
    return TrainedRun(directory, settings, setup.problem, model, metrics)
