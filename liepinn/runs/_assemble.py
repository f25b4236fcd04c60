r"""`assemble(problem, spec)`: the one code path from a problem and a `RunSpec` to what a run
trains and how it is evaluated. `liepinn train`, `load_run`, sweeps and `liepinn compare` all
go through it.

- **Interior loss**: `spec.loss` (a `liepinn.losses.AbstractVariant`), calibrated by its
  normaliser on a fixed network (`CALIBRATION_KEY`).
- **Initial/boundary conditions**: `spec.constraints == "hard"`: the initial condition and
  Dirichlet data hold exactly through the output transform below, Neumann data are a soft
  term; `"soft"`: $\|u - u_0\|^2$ on `n_initial` points of $t = t_0$ (weight `ic_weight`) and
  Dirichlet/Neumann terms on `n_boundary` points per end (weight `bc_weight`).
- **Network**: the recipe's MLP on inputs normalised to $[-1, 1]^p$; exactly periodic input
  features (`harmonics`) on periodic domains; for a family of initial conditions, the
  IC-conditioned physics-informed DeepONet (branch: the IC at `sensors` points; the loss is
  averaged over the `n_ics` training ICs drawn once with `TRAIN_IC_KEY`).
- **Evaluation**: relative L2 error $\|u - u_\mathrm{ref}\|_2 / \|u_\mathrm{ref}\|_2$ on an
  `eval_nx` x `eval_nt` grid against the exact solution, a diffrax reference (cached) or the
  file `spec.reference`; for IC families, averaged over `n_test_ics` test ICs (`TEST_IC_KEY`)
  and reported on the training ICs too.

Hard constraints, on $x \in [lo, hi]$, $t \in [t_0, t_1]$:
Dirichlet $u(lo, t) = g_-(t)$, $u(hi, t) = g_+(t)$:
$u = A(x, t) + \tau\, d(x)\, N(x, t)$ with $\tau = t - t_0$, $d = (x - lo)(hi - x) / ((hi - lo)/2)^2$,
$A = u_0(x) + \frac{hi - x}{hi - lo}(g_-(t) - g_-(t_0)) + \frac{x - lo}{hi - lo}(g_+(t) - g_+(t_0))$;
periodic or Neumann: $u = u_0(x) + \tau N$.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..problems import check_problem_definition, fingerprint, is_conditioned, load_problem
from ._networks import AbstractNetwork, default_network, sensor_points

_CHUNK = 1 << 17  # points per evaluation batch (memory)
TRAIN_IC_KEY = 7_001  # fixed keys: training and test ICs, calibration network
TEST_IC_KEY = 9_002
CALIBRATION_KEY = 31_337
HELD_OUT_KEY = 47_711  # held-out residual points (convergence check of extra L-BFGS rounds)


# ------------------------------------------------------------------------------------------
# points on the domain


def _space_axes(problem) -> list[int]:
    return [problem.independent.index(v) for v in problem.space]


def _axis_points(problem, var: str, m: int) -> np.ndarray:
    """m uniform points of one spatial interval (periodic: the right end left out)."""
    lo, hi = (float(b) for b in problem.domain[var])
    return lo + (hi - lo) * np.arange(m) / m if problem.periodic else np.linspace(lo, hi, m)


def _per_axis(n: int, d: int) -> int:
    """Points per axis of a d-dimensional tensor grid of about n points."""
    return n if d == 1 else max(2, int(math.ceil(n ** (1.0 / d) - 1e-9)))


def initial_points(problem, n: int) -> np.ndarray:
    """Points on t = t0: n uniform in x for one space variable; a tensor grid of about n
    points (ceil(n^(1/d)) per axis) in d space dimensions."""
    d = len(problem.space)
    m = _per_axis(n, d)
    axes = np.meshgrid(*[_axis_points(problem, v, m) for v in problem.space], indexing="ij")
    pts = np.zeros((axes[0].size, len(problem.independent)))
    for i, X in zip(_space_axes(problem), axes):
        pts[:, i] = X.ravel()
    pts[:, problem.time_index] = problem.t_span[0]
    return pts


def boundary_faces(problem, n: int) -> list[tuple[int, np.ndarray]]:
    """(axis, points) for each face x_i = lo_i, x_i = hi_i (lo first, in the order of the space
    variables): n points uniform in t for one space variable, a tensor grid of about n points
    over t and the other space variables in d dimensions."""
    d = len(problem.space)
    m = _per_axis(n, d)
    t = np.linspace(*problem.t_span, n if d == 1 else m)
    faces = []
    for var, i in zip(problem.space, _space_axes(problem)):
        others = [(w, j) for w, j in zip(problem.space, _space_axes(problem)) if w != var]
        lo_hi = [np.linspace(*(float(b) for b in problem.domain[w]), m) for w, _ in others]
        grids = np.meshgrid(t, *lo_hi, indexing="ij")
        for b in (0, 1):
            pts = np.zeros((grids[0].size, len(problem.independent)))
            pts[:, problem.time_index] = grids[0].ravel()
            for (w, j), G in zip(others, grids[1:]):
                pts[:, j] = G.ravel()
            pts[:, i] = float(problem.domain[var][b])
            faces.append((i, pts))
    return faces


def boundary_points(problem, n: int) -> tuple[np.ndarray, np.ndarray]:
    """n points on each end x = lo, x = hi of a problem in one space variable."""
    (_, left), (_, right) = boundary_faces(problem, n)[:2]
    return left, right


def evaluation_axes(problem, nx: int) -> tuple[np.ndarray, ...]:
    """The spatial axes of the evaluation grid: `output_grid` (nx points) in one space
    variable; nx points per axis, at most 64, in d >= 2 (a 64 x 64 x nt grid in 2-D)."""
    if len(problem.space) == 1:
        from ..reference import output_grid

        return (np.asarray(output_grid(problem, nx)),)
    m = min(nx, int(4096 ** (1.0 / len(problem.space))))
    return tuple(_axis_points(problem, v, m) for v in problem.space)


def grid_points(problem, x, t) -> np.ndarray:
    """The points of the grid x (one axis, or a tuple of axes) x t (nt,), space axes major."""
    axes = (x,) if isinstance(x, np.ndarray) and x.ndim == 1 and len(problem.space) == 1 else tuple(x)
    grids = np.meshgrid(*axes, t, indexing="ij")
    pts = np.zeros((grids[0].size, len(problem.independent)))
    for i, X in zip(_space_axes(problem), grids[:-1]):
        pts[:, i] = X.ravel()
    pts[:, problem.time_index] = grids[-1].ravel()
    return pts


def _grid_shape(problem, x, t) -> tuple[int, ...]:
    axes = (x,) if len(problem.space) == 1 and np.ndim(x[0]) == 0 else tuple(x)
    return (len(problem.dependent), *(len(a) for a in axes), len(t))


def ic_family(problem, n: int, key: int):
    fam = problem.initial_family
    return fam, fam.sample_coefficients(key, n)


def rel_l2(pred: np.ndarray, ref: np.ndarray) -> float:
    r"""$\|pred - ref\|_2 / \|ref\|_2$ (the absolute norm when ref is zero)."""
    num = float(np.sum((pred - ref) ** 2))
    den = float(np.sum(ref**2))
    return math.sqrt(num / den) if den > 0 else math.sqrt(num)


def is_float64(tree) -> bool:
    """Whether any floating-point array of `tree` is float64."""
    import equinox as eqx
    import jax

    leaves = jax.tree_util.tree_leaves(eqx.filter(tree, eqx.is_inexact_array))
    return any(leaf.dtype.itemsize == 8 for leaf in leaves)


def index_seed(models, k: int):
    """Seed k of an ensemble model (arrays with a leading seed axis)."""
    import equinox as eqx
    import jax

    arrays, static = eqx.partition(models, eqx.is_array)
    return eqx.combine(jax.tree.map(lambda a: a[k], arrays), static)


def seed_model(models, n_seeds: int, k: int):
    """Seed k of a run's model: `index_seed`, or the model itself when it trained one seed."""
    return models if n_seeds == 1 else index_seed(models, k)


# ------------------------------------------------------------------------------------------
# references


class References:
    """Reference solutions on the evaluation grid, cached in memory and (optionally) on disk."""

    def __init__(self, cache_dir: str | os.PathLike | None):
        self.cache_dir = None if cache_dir is None else Path(cache_dir)
        self.memory: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def get(self, problem, nx: int, nt: int, initial=None) -> tuple[Any, np.ndarray, np.ndarray]:
        """(x (nx,), t (nt,), u (q, nx, nt)); in d space dimensions x is a tuple of axes and u
        has shape (q, n_1, ..., n_d, nt)."""
        import sympy as sp

        tag = json.dumps([fingerprint(problem), nx, nt, None if initial is None else
                          {k: sp.srepr(v) for k, v in initial.items()}], sort_keys=True)
        key = hashlib.sha256(tag.encode()).hexdigest()[:24]
        if key in self.memory:
            return self.memory[key]
        path = None if self.cache_dir is None else self.cache_dir / f"ref-{problem.name}-{key}.npz"
        if path is not None and path.exists():
            with np.load(path, allow_pickle=False) as z:
                x = z["x"] if "x" in z.files else tuple(z[f"x{i}"] for i in range(len(problem.space)))
                out = (x, z["t"], z["u"])
        else:
            out = self._compute(problem, nx, nt, initial)
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_name(path.name + f".tmp{os.getpid()}.npz")
                xs = {"x": out[0]} if isinstance(out[0], np.ndarray) else {f"x{i}": a for i, a in enumerate(out[0])}
                np.savez(tmp, t=out[1], u=out[2], **xs)
                os.replace(tmp, path)
        self.memory[key] = out
        return out

    @staticmethod
    def _compute(problem, nx, nt, initial):
        from ..reference import solve_reference

        if problem.exact is not None and initial is None:
            axes = evaluation_axes(problem, nx)
            x = axes[0] if len(axes) == 1 else axes
            t = np.linspace(*problem.t_span, nt)
            u = problem.exact_values(grid_points(problem, x, t)).reshape(_grid_shape(problem, x, t))
            return x, t, u
        if len(problem.space) > 1:  # on the evaluation grid itself (tensor-product grids)
            ref = solve_reference(problem, x_eval=evaluation_axes(problem, nx), nt=nt, initial=initial,
                                  keep_solver_grid=False)
        else:
            ref = solve_reference(problem, nx=nx, nt=nt, initial=initial)
        u = np.stack([np.asarray(ref.fields[d]) for d in problem.dependent])
        return ref.x, np.asarray(ref.t), u


# ------------------------------------------------------------------------------------------
# the assembly


@dataclasses.dataclass(frozen=True)
class Assembly:
    """What a run trains and how it is evaluated (built by `assemble`).

    - `loss`: the interior `PINNLoss` (calibrated); `loss_fn(model, batch) -> (total, terms)`
      with the initial/boundary terms; `data`: the batch (`Collocation` + arrays);
    - `make_model(key)`: a fresh network; `residual(model, points) -> (N,)`: the pointwise
      residual (residual-based refinement);
    - `network`: the architecture (`spec.network`, or the problem's default);
    - `evaluate(models, n, references)`: (rel. L2 per seed, per-field details per seed).
    """

    problem: Any
    spec: Any
    loss: Any
    loss_fn: Callable
    data: Any
    make_model: Callable
    residual: Callable
    residual_loss: Any
    network: AbstractNetwork
    conditioned: bool

    # -- evaluation -----------------------------------------------------------------------
    def reference(self, references: References):
        """(x, t, u (q, nx, nt), description) for a single-IC problem."""
        spec, problem = self.spec, self.problem
        if spec.reference is not None:
            from ..reference import Reference, load_mat

            path = spec.reference
            if not os.path.exists(path):
                raise FileNotFoundError(f"reference file {path!r} not found")
            ref = load_mat(path) if path.endswith(".mat") else Reference.load(path)
            missing = [d for d in problem.dependent if d not in ref.fields]
            if missing:
                raise ValueError(f"reference {path!r} has fields {list(ref.fields)}, the problem needs "
                                 f"{list(problem.dependent)}")
            if ref.dim != len(problem.space):
                raise ValueError(f"reference {path!r} has {ref.dim} space axes, the problem "
                                 f"{len(problem.space)} ({', '.join(problem.space)})")
            u = np.stack([np.asarray(ref.fields[d], float) for d in problem.dependent])
            return ref.x, np.asarray(ref.t), u, {"kind": "file", "path": os.path.abspath(path)}
        x, t, u = references.get(problem, spec.eval_nx, spec.eval_nt)
        kind = "exact" if problem.exact is not None else "diffrax"
        return x, t, u, {"kind": kind, "nx": spec.eval_nx, "nt": spec.eval_nt}

    def predict(self, model, x, t) -> np.ndarray:
        """The model on the grid x (nx,) x t (nt,): (q, nx, nt), in the model's precision (in d
        space dimensions x is a tuple of axes: (q, n_1, ..., n_d, nt))."""
        import jax
        import jax.numpy as jnp

        f64 = is_float64(model)
        # a model trained to float64 (the L-BFGS phase) is evaluated in float64: outside x64
        # mode JAX would compute (and warn) in float32
        with jax.enable_x64(f64):
            pts = jnp.asarray(grid_points(self.problem, x, t), jnp.float64 if f64 else jnp.float32)
            out = np.asarray(model(pts), float) if len(pts) <= _CHUNK else np.concatenate(
                [np.asarray(model(pts[k:k + _CHUNK]), float) for k in range(0, len(pts), _CHUNK)])
        return out.T.reshape(_grid_shape(self.problem, x, t))

    def evaluate(self, model_for: Callable[[int], Any], n: int, references: References):
        """(errors, fields): rel. L2 of `model_for(k)` for k < n, and per-field details."""
        import jax

        # references and predictions in the models' precision (float64 after float64 L-BFGS)
        with jax.enable_x64(is_float64(model_for(0))):
            return self._evaluate(model_for, n, references)

    def _evaluate(self, model_for, n, references):
        if not self.conditioned:
            x, t, ref, _ = self.reference(references)
            errs, fields = [], []
            for k in range(n):
                pred = self.predict(model_for(k), x, t)
                errs.append(rel_l2(pred, ref))
                fields.append({d: rel_l2(pred[a], ref[a]) for a, d in enumerate(self.problem.dependent)})
            return errs, fields
        spec = self.spec
        errs = self._conditioned_errors(model_for, n, references, TEST_IC_KEY, spec.n_test_ics)
        # the same on (up to n_test_ics of) the training ICs: separates fitting the PDE on the
        # ICs seen in training from generalising to new ones
        n_train = min(int(spec.n_ics), spec.n_test_ics)
        train = self._conditioned_errors(model_for, n, references, TRAIN_IC_KEY, int(spec.n_ics), n_train)
        d = self.problem.dependent[0]
        fields = [{d: float(np.mean(e)), "per_test_ic": e, "train_ics": float(np.mean(tr)), "per_train_ic": tr}
                  for e, tr in zip(errs, train)]
        # out of distribution: the test ICs moved by admissible group elements outside the family
        from ._group import ood_errors

        ood, moves = ood_errors(self, model_for, n, references)
        for f, o in zip(fields, ood):
            f.update(ood=float(np.mean(o)), per_ood_ic=o, ood_moves=moves)
        return [float(np.mean(e)) for e in errs], fields

    def _conditioned_errors(self, model_for, n, references, key, n_draw, n_use=None):
        """Per seed, the rel. L2 error on each of the first `n_use` of `n_draw` ICs drawn with `key`."""
        import jax
        import jax.numpy as jnp

        problem, spec = self.problem, self.spec
        f64 = is_float64(model_for(0))
        fam, coefs = ic_family(problem, n_draw, key)
        n_use = n_draw if n_use is None else n_use
        coefs = tuple(np.asarray(a)[:n_use] for a in coefs)
        amp, ell, phase = coefs
        d = problem.dependent[0]
        refs = [references.get(problem, spec.eval_nx, spec.eval_nt, initial={d: fam.expression(amp[j], ell[j], phase[j])})
                for j in range(n_use)]
        x, t = refs[0][0], refs[0][1]
        out = []
        with jax.enable_x64(f64):
            dtype = jnp.float64 if f64 else jnp.float32
            pts = jnp.asarray(grid_points(problem, x, t), dtype)
            branch = jnp.asarray(fam.evaluate(coefs, sensor_points(problem, self.network.sensors)), dtype)
            for k in range(n):
                model = model_for(k)
                out.append([rel_l2(np.asarray(model(pts, branch[j]), float).T.reshape(ref.shape), ref)
                            for j, (_, _, ref) in enumerate(refs)])
        return out


def _jax_function(expr, variables: tuple[str, ...]) -> Callable:
    """`expr` (sympy, parameters substituted) as a JAX function of the named variables."""
    import sympy as sp

    return sp.lambdify([sp.Symbol(v) for v in variables], expr, modules="jax")


def hard_constraint(problem) -> Callable:
    r"""The output transform `(point, N) -> u` of the module docstring; in d space dimensions
    $u = u_0(x) + g(x, t) - g(x, t_0) + \tau \prod_i d_i(x_i) N$ (Dirichlet data g extended
    by its own expression), $u = u_0(x) + \tau N$ otherwise."""
    import jax.numpy as jnp

    from ..problems import Dirichlet

    axes, ti = _space_axes(problem), problem.time_index
    bounds = [tuple(float(b) for b in problem.domain[v]) for v in problem.space]
    t0 = problem.t_span[0]
    deps = problem.dependent
    u0 = [_jax_function(problem.initial[d], problem.space) for d in deps]
    dirichlet = isinstance(problem.boundary, Dirichlet)
    if dirichlet:
        g = [_jax_function(problem.boundary.values[d], problem.independent) for d in deps]
        zero_bc = all(problem.boundary.values[d] == 0 for d in deps)

    def at(f, z, **fixed):
        args = [z[i] for i in range(len(problem.independent))]
        for i, v in fixed.items():
            args[int(i[1:])] = v
        return f(*args)

    def transform(z, n):
        t = z[ti]
        xs = [z[i] for i in axes]
        tau = t - t0
        base = jnp.stack([jnp.broadcast_to(f(*xs), t.shape) for f in u0]).astype(n.dtype)
        if not dirichlet:
            return base + tau * n
        # (x - lo)(hi - x) / half^2 per axis: 1 - x^2 on [-1, 1]
        d = 1.0
        for x, (lo, hi) in zip(xs, bounds):
            d = d * (1 - ((x - (lo + hi) / 2) / ((hi - lo) / 2)) ** 2)
        if zero_bc:
            return base + tau * d * n
        if len(axes) == 1:  # interpolate the data of the two ends
            (lo, hi), xi, x = bounds[0], axes[0], xs[0]
            ends = {f"i{xi}": lo}, {f"i{xi}": hi}
            shift = jnp.stack([
                (hi - x) / (hi - lo) * (at(f, z, **ends[0]) - at(f, z, **ends[0], **{f"i{ti}": t0}))
                + (x - lo) / (hi - lo) * (at(f, z, **ends[1]) - at(f, z, **ends[1], **{f"i{ti}": t0}))
                for f in g
            ]).astype(n.dtype)
        else:
            shift = jnp.stack([at(f, z) - at(f, z, **{f"i{ti}": t0}) for f in g]).astype(n.dtype)
        return base + shift + tau * d * n

    return transform


def check_problem(problem, spec) -> None:
    """ValueError when `spec` cannot train `problem` (before any compute)."""
    conditioned = is_conditioned(problem)
    if spec.problem_id is not None and spec.problem_id != fingerprint(problem):
        raise ValueError(
            f"problem {spec.problem!r} changed since this run was specified (fingerprint "
            f"{fingerprint(problem)} != {spec.problem_id})"
        )
    if conditioned and spec.n_ics is None:
        raise ValueError(f"problem {problem.name!r} has a family of initial conditions: give n_ics "
                         "(the number of training ICs)")
    if not conditioned and spec.n_ics is not None:
        raise ValueError(f"n_ics applies to problems with a family of initial conditions; {problem.name!r} "
                         "has one initial condition")
    if conditioned and spec.constraints == "hard":
        raise ValueError(f"problem {problem.name!r} has a family of initial conditions: hard constraints "
                         "need one initial condition; use constraints='soft'")
    (spec.network or default_network(problem)).check(problem, spec.recipe)
    # the definition itself: exact solution, IC against the boundary data, well-posedness
    # (ProblemDefinitionError, a ValueError; warnings such as IncompatibleDataWarning)
    for w in check_problem_definition(problem, constraints=spec.constraints):
        warnings.warn(w, stacklevel=3)


def _available_memory() -> int | None:
    """Bytes the default device can still use: the accelerator's limit, or the host's free
    physical memory (None when unknown)."""
    import jax

    try:
        stats = jax.devices()[0].memory_stats() or {}
    except Exception:  # noqa: BLE001 - CPU backends have no statistics
        stats = {}
    if "bytes_limit" in stats:
        return int(stats["bytes_limit"]) - int(stats.get("bytes_in_use", 0))
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def estimate_memory(loss, recipe, n_points: int) -> int:
    r"""Bytes one training step needs, roughly: $3 N C w (d + 1) b$ for N points, C Taylor
    coefficients per point (the loss's derivative plan, `liepinn.runs._cost.plan_cost`), a
    w x d network and b bytes per number (the forward pass, and the activations the gradient
    keeps)."""
    from ._cost import plan_cost

    coefficients = plan_cost(alpha for _, alpha in loss.lowered.required)
    width = max(recipe.width, 2 * recipe.fourier_features)
    return 3 * n_points * coefficients * width * (recipe.depth + 1) * 8


def check_memory(loss, recipe, n_points: int) -> None:
    """ValueError, with the estimate and a point count that fits, when a step cannot fit."""
    need = estimate_memory(loss, recipe, n_points)
    have = _available_memory()
    if have is None or need <= 0.8 * have:
        return
    fits = max(1, int(n_points * 0.5 * have / need))
    raise ValueError(
        f"{n_points:,} collocation points need about {need / 2**30:.1f} GiB per training step "
        f"({recipe.width} x {recipe.depth} network, the derivatives of the loss), and "
        f"{have / 2**30:.1f} GiB are free: use at most about {fits:,} points (--n-collocation), "
        "a smaller network, or a machine with more memory"
    )


def check_second_phase_memory(phase, n_params: int) -> None:
    """ValueError, with the estimate, when a dense second phase's n x n matrices cannot fit."""
    need = 0 if phase is None else phase.step_memory(n_params)
    have = _available_memory()
    if need == 0 or have is None or need <= 0.8 * have:
        return
    raise ValueError(
        f"the {phase.name} second phase keeps dense {n_params:,} x {n_params:,} matrices (one row per "
        f"network parameter): about {need / 2**30:.1f} GiB, and {have / 2**30:.1f} GiB are free: use "
        "--second-phase lbfgs (memory linear in the parameters) or a smaller network"
    )


def assemble(problem, spec) -> Assembly:
    """The loss, data, network factory and evaluator of `spec` on `problem` (a `Problem`, or
    None to load `spec.problem` by name). ValueError with a clear message if impossible."""
    import equinox as eqx
    import jax
    import jax.numpy as jnp
    import jax.random as jr

    from ..losses import PINNLoss, Residual, dirichlet_loss, dirichlet_residual, neumann_loss, neumann_residual
    from ..train import LeastSquares
    from ..losses._group import AbstractGroupVariant
    from ..problems import Dirichlet, Neumann

    if problem is None:
        problem = load_problem(spec.problem)
    check_problem(problem, spec)
    recipe = spec.recipe
    conditioned = is_conditioned(problem)
    variant = spec.loss
    loss = variant.interior_loss(problem)
    res_loss = loss if isinstance(variant, Residual) else Residual().interior_loss(problem)
    if hasattr(loss, "lowered"):
        check_memory(loss, recipe, recipe.n_collocation)

    def residual(model, points):
        r = res_loss.pointwise(model, points)
        rows = [v for k, v in r.items() if k.startswith("residual")]
        return rows[0] if len(rows) == 1 else jnp.stack(rows)

    lo, hi = problem.bounds
    hard = spec.constraints == "hard"
    transform = hard_constraint(problem) if hard else None
    f64 = bool(recipe.adam_float64)
    dtype = jnp.float64 if f64 else jnp.float32

    def array(a):  # float64 data needs x64 on when it is made (the trainer keeps the dtype)
        with jax.enable_x64(f64):
            return jnp.asarray(a, dtype)

    network = spec.network or default_network(problem)

    def make_model(key):
        with jax.enable_x64(f64):  # Normalise(dtype="float64") then holds true float64 bounds
            return network.build(problem, recipe, transform=transform, float64=f64, key=key)

    colloc = recipe.collocation(lo, hi, residual=residual)
    data: dict[str, Any] = {"interior": colloc}
    bc = problem.boundary
    neumann = isinstance(bc, Neumann)
    if not hard:
        ic_pts = array(initial_points(problem, spec.n_initial))
        data["ic_points"] = ic_pts
        if conditioned:
            fam, coefs = ic_family(problem, spec.n_ics, TRAIN_IC_KEY)
            data["branch"] = array(fam.evaluate(coefs, sensor_points(problem, network.sensors)))
            axes = _space_axes(problem)  # the family at the IC points: (P,) in 1-D, (P, d) otherwise
            data["ic_values"] = array(fam.evaluate(coefs, np.asarray(ic_pts)[:, axes[0] if len(axes) == 1 else axes]))
            if hasattr(loss, "for_initial_conditions"):  # a loss with data per IC: int T(u0) dx
                loss = loss.for_initial_conditions(problem, [fam.expression(*c) for c in zip(*coefs)])
                data["loss_initial"] = array(loss.ic_initial)
        else:
            data["ic_values"] = array(problem.initial_values(np.asarray(ic_pts)).T)
    if isinstance(bc, (Dirichlet, Neumann)) and spec.n_boundary > 0 and (neumann or not hard):
        faces = boundary_faces(problem, spec.n_boundary)
        pts = np.concatenate([f for _, f in faces])
        data["bc_points"] = array(pts)
        data["bc_values"] = array(problem.boundary_values(pts).T)
        if neumann:  # the derivative along +x_i on the faces of x_i (as `Neumann` says)
            normals = np.zeros_like(pts)
            row = 0
            for i, f in faces:
                normals[row:row + len(f), i] = 1.0
                row += len(f)
            data["bc_normals"] = array(normals)
    ic_w, bc_w = float(spec.ic_weight), float(spec.bc_weight)

    # every extra term calibrated on a fixed network (InitialBalance; others: unchanged)
    calib_key = jr.PRNGKey(CALIBRATION_KEY)
    calib = make_model(calib_key)
    check_second_phase_memory(recipe.second_phase, sum(
        x.size for x in jax.tree.leaves(calib) if eqx.is_inexact_array(x)))
    if conditioned:
        calib = calib.condition(data["branch"][0])
    loss = variant.calibrate(loss, calib, colloc.init(calib_key))

    def single(model, batch, ic_values, loss_initial=None):
        if loss_initial is None:
            total, terms = loss(model, batch["interior"])
        else:
            total, terms = loss(model, batch["interior"], initial=loss_initial)
        if "ic_points" not in batch and "bc_points" not in batch:
            return total, terms
        terms = dict(terms)
        if "ic_points" in batch:
            terms["initial"] = dirichlet_loss(model, batch["ic_points"], ic_values)
            total = total + ic_w * terms["initial"]
        if "bc_points" in batch:
            if neumann:
                terms["boundary"] = neumann_loss(model, batch["bc_points"], batch["bc_values"], batch["bc_normals"])
            else:
                terms["boundary"] = dirichlet_loss(model, batch["bc_points"], batch["bc_values"])
            total = total + bc_w * terms["boundary"]
        return total, terms

    def pointwise(batch):
        # every term's residuals point by point, times sqrt(weight / size): their squares sum
        # to the total of `single` (the hook of the residual-vector phases, liepinn.train.ENG)
        pts = batch["interior"]
        w, n = loss.term_weights(), pts.shape[0]

        def interior(model, x):
            r = loss.pointwise(model, x)
            return jnp.stack([jnp.sqrt(w[k] / n) * r[k] for k in sorted(r)], axis=1)

        groups = {"interior": (interior, (pts,))}
        if "ic_points" in batch:
            size = batch["ic_values"].size
            groups["initial"] = (lambda model, x, v: jnp.sqrt(ic_w / size) * dirichlet_residual(model, x, v),
                                 (batch["ic_points"], batch["ic_values"]))
        if "bc_points" in batch:
            size = batch["bc_values"].size
            if neumann:
                groups["boundary"] = (
                    lambda model, x, v, nrm: jnp.sqrt(bc_w / size) * neumann_residual(model, x, v, nrm),
                    (batch["bc_points"], batch["bc_values"], batch["bc_normals"]))
            else:
                groups["boundary"] = (lambda model, x, v: jnp.sqrt(bc_w / size) * dirichlet_residual(model, x, v),
                                      (batch["bc_points"], batch["bc_values"]))
        return groups

    if conditioned:
        def loss_fn(model, batch):
            def per_ic(branch, ic_values, loss_initial):
                return single(model.condition(branch), batch, ic_values, loss_initial)

            totals, terms = jax.vmap(per_ic)(batch["branch"], batch["ic_values"], batch.get("loss_initial"))
            return jnp.mean(totals), {k: jnp.mean(v) for k, v in terms.items()}
    else:
        def total_and_terms(model, batch):
            return single(model, batch, batch.get("ic_values"))

        loss_fn = total_and_terms
        if isinstance(loss, PINNLoss):  # per-point terms known: the residual vector too
            loss_fn = LeastSquares(total_and_terms, pointwise=pointwise)

    out = Assembly(problem=problem, spec=spec, loss=loss, loss_fn=loss_fn, data=data, make_model=make_model,
                   residual=residual, residual_loss=res_loss, network=network, conditioned=conditioned)
    if isinstance(variant, AbstractGroupVariant):  # extra ICs along orbits, or the equivariance term
        from ._group import extend_assembly

        out = extend_assembly(out)
    return out
