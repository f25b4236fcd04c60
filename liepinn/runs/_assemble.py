r"""What a training run is made of, shared by `liepinn train` (`_rundir`) and the sweep runner
(`_experiments._train`): the interior loss of a variant, the initial/boundary point sets, the
"initial" calibration of the extra terms, and evaluation against a cached reference.

- `build_interior_loss`: residual (`residual`, `matched`), + $\|D_i\Delta\|^2$ (`gpinn`), or +
  one symmetry term per generator of the derived algebra (`prolonged`, `evolutionary`).
- `initial_scales`: each extra term rescaled to equal the residual term on a calibration
  network, $s \leftarrow s\sqrt{T/T_\mathrm{res}}$.
- `References`: exact solution or diffrax reference on an nx x nt grid, cached in memory and
  on disk (atomic writes); `rel_l2` = $\|u - u_\mathrm{ref}\|_2 / \|u_\mathrm{ref}\|_2$.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
from pathlib import Path

import numpy as np

from ..problems._registry import fingerprint, load_problem

TRAIN_IC_KEY = 7_001  # fixed keys: training and test ICs, calibration network
TEST_IC_KEY = 9_002
CALIBRATION_KEY = 31_337
HELD_OUT_KEY = 47_711  # held-out residual points (convergence check of extra L-BFGS rounds)


@functools.lru_cache(maxsize=32)
def _algebra(problem_key: str, problem_name: str):
    from ..symmetry import symmetries

    return symmetries(load_problem(problem_name).pde)


def select_generators(problem, spec: str = "all") -> tuple[list, list[str] | None]:
    """(basis of the problem's derived algebra, names v<k> of the selected ones or None for all).

    `spec` is "all" or 1-based generator numbers like "1,2,5" (the numbering of
    `liepinn symmetries`, kept in the loss-term names: sym:v1, sym:v2, sym:v5).
    """
    basis = list(_algebra(fingerprint(problem), problem.name).basis)
    if spec == "all":
        return basis, None
    try:
        idx = [int(s) for s in spec.split(",") if s.strip()]
    except ValueError:
        raise ValueError(f"generators must be 'all' or 1-based numbers like 1,2,5, got {spec!r}") from None
    bad = [i for i in idx if not 1 <= i <= len(basis)]
    if bad or not idx:
        raise ValueError(f"generator numbers {bad or spec!r} out of range: the algebra has {len(basis)} (1..{len(basis)})")
    return basis, [f"v{i}" for i in sorted(set(idx))]


def _parameter_values(problem) -> dict[str, float]:
    return {k: float(v) for k, v in problem.parameters.items()}


def _u_scale(problem) -> float:
    """Typical size of u: max |u0| on the spatial domain (a sample of the family's members)."""
    lo, hi = (float(b) for b in problem.domain[problem.space[0]])
    x = np.linspace(lo, hi, 257)
    if problem.initial is not None:
        vals = problem.initial_values(x[:, None])
    else:
        fam = problem.initial_family
        vals = fam.evaluate(fam.sample_coefficients(TRAIN_IC_KEY, 64), x)
    scale = float(np.max(np.abs(vals)))
    return scale if scale > 0 and math.isfinite(scale) else 1.0


def build_interior_loss(problem, variant: str, generators: str = "all", *, weight: float | None = 1.0,
                        normaliser: str | None = "coefficients"):
    """The `PINNLoss` of a variant (before any "initial" calibration); `generators` as in
    `select_generators`."""
    from ..losses._pinn import PINNLoss

    params = _parameter_values(problem)
    box = problem.box
    if variant in ("residual", "matched"):
        return PINNLoss(problem.pde, (), normalisation="none", parameter_values=params)
    if normaliser not in ("coefficients", "initial", "none"):
        raise ValueError(f"normaliser must be 'coefficients', 'initial' or 'none', got {normaliser!r}")
    norm = "none" if normaliser == "none" else "coefficients"
    if variant == "gpinn":
        return PINNLoss(problem.pde, (), gpinn=float(weight), normalisation=norm, domain=box,
                        parameter_values=params)
    if variant not in ("prolonged", "evolutionary"):
        raise ValueError(f"unknown variant {variant!r}")
    basis, select = select_generators(problem, generators)
    return PINNLoss(problem.pde, basis, form=variant, weights=float(weight), normalisation=norm, select=select,
                    domain=box, u_scale=_u_scale(problem), parameter_values=params)


def initial_points(problem, n: int) -> np.ndarray:
    """n points on t = t0, uniform in x (periodic: the right end left out)."""
    lo, hi = (float(b) for b in problem.domain[problem.space[0]])
    x = lo + (hi - lo) * np.arange(n) / n if problem.periodic else np.linspace(lo, hi, n)
    pts = np.zeros((n, len(problem.independent)))
    pts[:, problem.independent.index(problem.space[0])] = x
    pts[:, problem.time_index] = problem.t_span[0]
    return pts


def boundary_points(problem, n: int) -> tuple[np.ndarray, np.ndarray]:
    t0, t1 = problem.t_span
    t = np.linspace(t0, t1, n)
    xi, ti = problem.independent.index(problem.space[0]), problem.time_index
    ends = []
    for b in (0, 1):
        pts = np.zeros((n, len(problem.independent)))
        pts[:, ti] = t
        pts[:, xi] = float(problem.domain[problem.space[0]][b])
        ends.append(pts)
    return ends[0], ends[1]


def ic_family(problem, n: int, key: int):
    fam = problem.initial_family
    coefs = fam.sample_coefficients(key, n)
    return fam, coefs


class References:
    """Reference solutions on the evaluation grid, cached in memory and (optionally) on disk."""

    def __init__(self, cache_dir: str | os.PathLike | None):
        self.cache_dir = None if cache_dir is None else Path(cache_dir)
        self.memory: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def get(self, problem, nx: int, nt: int, initial=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(x (nx,), t (nt,), u (q, nx, nt))."""
        import sympy as sp

        tag = json.dumps([fingerprint(problem), nx, nt, None if initial is None else
                          {k: sp.srepr(v) for k, v in initial.items()}], sort_keys=True)
        key = hashlib.sha256(tag.encode()).hexdigest()[:24]
        if key in self.memory:
            return self.memory[key]
        path = None if self.cache_dir is None else self.cache_dir / f"ref-{problem.name}-{key}.npz"
        if path is not None and path.exists():
            with np.load(path, allow_pickle=False) as z:
                out = (z["x"], z["t"], z["u"])
        else:
            out = self._compute(problem, nx, nt, initial)
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_name(path.name + f".tmp{os.getpid()}.npz")
                np.savez(tmp, x=out[0], t=out[1], u=out[2])
                os.replace(tmp, path)
        self.memory[key] = out
        return out

    @staticmethod
    def _compute(problem, nx, nt, initial):
        from ..reference._solve import output_grid, solve_reference

        if problem.exact is not None and initial is None:
            x = output_grid(problem, nx)
            t = np.linspace(*problem.t_span, nt)
            X, T = np.meshgrid(x, t, indexing="ij")
            pts = np.zeros((X.size, len(problem.independent)))
            pts[:, problem.independent.index(problem.space[0])] = X.ravel()
            pts[:, problem.time_index] = T.ravel()
            u = problem.exact_values(pts).reshape(len(problem.dependent), nx, nt)
            return x, t, u
        ref = solve_reference(problem, nx=nx, nt=nt, initial=initial)
        u = np.stack([np.asarray(ref.fields[d]) for d in problem.dependent])
        return np.asarray(ref.x), np.asarray(ref.t), u


def grid_points(problem, x, t) -> np.ndarray:
    X, T = np.meshgrid(x, t, indexing="ij")
    pts = np.zeros((X.size, len(problem.independent)))
    pts[:, problem.independent.index(problem.space[0])] = X.ravel()
    pts[:, problem.time_index] = T.ravel()
    return pts


def rel_l2(pred: np.ndarray, ref: np.ndarray) -> float:
    num = float(np.sum((pred - ref) ** 2))
    den = float(np.sum(ref**2))
    return math.sqrt(num / den) if den > 0 else math.sqrt(num)


def is_float64(tree) -> bool:
    """Whether any floating-point array of `tree` is float64."""
    import equinox as eqx
    import jax

    leaves = jax.tree_util.tree_leaves(eqx.filter(tree, eqx.is_inexact_array))
    return any(leaf.dtype.itemsize == 8 for leaf in leaves)


def initial_scales(loss, model, points):
    r"""Rescale every extra term (symmetry or gPINN) to equal the residual term on `model`:
    $s \leftarrow s\sqrt{T / T_\mathrm{res}}$ (terms that vanish keep their scale)."""
    import equinox as eqx
    import jax.numpy as jnp

    if loss.names:
        loss = loss.with_initial_scales(model, points)
    if loss.gpinn_weight is None:
        return loss
    _, terms = loss(model, points)
    res = float(sum(v for k, v in terms.items() if k.startswith("residual")))
    scales = []
    for i, x in enumerate(loss.independent):
        t = float(sum(v for k, v in terms.items() if k.startswith(f"gpinn:{x}")))
        s = float(loss.gpinn_scales[i])
        scales.append(s * math.sqrt(t / res) if res > 0 and t / res > 1e-30 else s)
    return eqx.tree_at(lambda l: l.gpinn_scales, loss, jnp.asarray(scales, dtype=float))
