"""`Reference`: a solution on a grid, saved as .npz, sampled anywhere; the .mat loader."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence

import equinox as eqx
import numpy as np
from jaxtyping import Float, Inexact

from ._grid import PointsGrid, interpolator, lagrange_matrix, local_lagrange
from ._tensor import tensor_interpolate, tensor_interpolator, tensor_sample

FORMAT = "liepinn-reference/1"


def _axes(x) -> np.ndarray | tuple[np.ndarray, ...]:
    """One axis (an array), or d >= 2 axes (a tuple or list of arrays), as float64."""
    if isinstance(x, (tuple, list)) and len(x) > 0 and np.ndim(x[0]) == 1:
        axes = tuple(np.asarray(a, dtype=float).reshape(-1) for a in x)
        return axes[0] if len(axes) == 1 else axes
    return np.asarray(x, dtype=float).reshape(-1)


def _as_settings(settings) -> dict:
    if settings is None:
        return {}
    if isinstance(settings, str):
        return json.loads(settings)
    return dict(settings)


class Reference(eqx.Module):
    r"""A solution $u^a(x, t_j)$ on a grid, in one or more space dimensions.

    - `x` (nx,), `t` (nt,): the output grid; in d >= 2 space dimensions `x` is a tuple of d
      axes (n_1,), ..., (n_d,) (the tensor grid, space variables in the problem's order).
    - `fields`: dependent name -> (nx, nt) array with `fields[u][i, j] = u(x_i, t_j)`; in d
      dimensions (n_1, ..., n_d, nt) with `fields[u][i, k, j] = u(x_i, y_k, t_j)`.
    - `settings`: how it was made (solver, tolerances, resolution, versions, ...).
    - `nodes`, `fine`: optional solver grid (n,) (a tuple of axes in d dimensions) and the
      solution there (name -> (n, nt)); with them `sample` interpolates spectrally from the
      solver's own grid, the way it was solved.

    `save`/`load` use the .npz format of DESIGN.md: arrays `x`, `t`, one per field, `settings`
    (a JSON string); the solver grid, when kept, as `solver.x` and `solver.<name>`. In d
    dimensions the axes are `x0`, ..., `x{d-1}` (and `solver.x0`, ...) instead of `x`.
    """

    x: Float[np.ndarray, " nx"] | tuple[Float[np.ndarray, " _"], ...]
    t: Float[np.ndarray, " nt"]
    fields: dict[str, Inexact[np.ndarray, "..."]]
    settings: dict = eqx.field(static=True)
    nodes: Float[np.ndarray, " n"] | tuple[Float[np.ndarray, " _"], ...] | None = None
    fine: dict[str, Inexact[np.ndarray, "..."]] | None = None

    def __init__(self, x, t, fields: Mapping, settings=None, *, nodes=None, fine=None):
        self.x = _axes(x)
        self.t = np.asarray(t, dtype=float).reshape(-1)
        self.fields = {str(k): np.asarray(v) for k, v in fields.items()}
        self.settings = _as_settings(settings)
        self.nodes = None if nodes is None else _axes(nodes)
        self.fine = None if fine is None else {str(k): np.asarray(v) for k, v in fine.items()}

    def __check_init__(self):
        if not self.fields:
            raise ValueError("a Reference needs at least one field")
        shape = tuple(len(a) for a in self.axes) + (len(self.t),)
        for k, v in self.fields.items():
            if v.shape != shape:
                raise ValueError(f"field {k!r} has shape {v.shape}, expected "
                                 f"{'(nx, nt)' if self.dim == 1 else '(n_1, ..., n_d, nt)'} = {shape}")
        if self.fine is not None:
            if self.nodes is None or set(self.fine) != set(self.fields):
                raise ValueError("solver-grid values need `nodes` and one array per field")
            nodes = self.nodes if isinstance(self.nodes, tuple) else (self.nodes,)
            if len(nodes) != self.dim:
                raise ValueError(f"solver nodes have {len(nodes)} axes, the output grid {self.dim}")
            fine = tuple(len(a) for a in nodes) + (len(self.t),)
            for k, v in self.fine.items():
                if v.shape != fine:
                    raise ValueError(f"solver-grid field {k!r} has shape {v.shape}, expected {fine}")

    @property
    def axes(self) -> tuple[np.ndarray, ...]:
        """The spatial axes (one array per space variable)."""
        return self.x if isinstance(self.x, tuple) else (self.x,)

    @property
    def dim(self) -> int:
        """The number of space dimensions."""
        return len(self.axes)

    # -- access -------------------------------------------------------------------------
    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.fields)

    def __getitem__(self, name: str) -> np.ndarray:
        try:
            return self.fields[name]
        except KeyError:
            raise KeyError(f"no field {name!r}; fields: {list(self.fields)}") from None

    def stacked(self) -> np.ndarray:
        """All fields as one array (q, nx, nt) ((q, n_1, ..., n_d, nt) in d dimensions)."""
        return np.stack([self.fields[k] for k in self.names])

    def __repr__(self) -> str:
        src = self.settings.get("problem", {}).get("name") or self.settings.get("source", "")
        size = f"nx={len(self.x)}" if self.dim == 1 else "grid " + " x ".join(str(len(a)) for a in self.axes)
        solver = "" if self.nodes is None else ", solver grid " + (
            str(len(self.nodes)) if self.dim == 1 else " x ".join(str(len(a)) for a in self.nodes))
        return f"Reference({src!r}, fields={list(self.fields)}, {size}, nt={len(self.t)}{solver})"

    # -- sampling -----------------------------------------------------------------------
    def _spatial(self):
        """(interpolator, node values (q, n, nt)) from the finest data held."""
        if self.fine is not None:
            desc = self.settings.get("discretisation", {"kind": "points"})
            return interpolator(desc, self.nodes), np.stack([self.fine[k] for k in self.names])
        desc = self.settings.get("grid", {"kind": "points"})
        return interpolator(desc, self.x), self.stacked()

    def sample(self, x, t, *, grid: bool = False, time_degree: int = 5) -> dict[str, np.ndarray]:
        r"""Values at arbitrary points: name -> array.

        Spatially spectral (Fourier series or Chebyshev barycentric formula) from the solver's
        grid when it was kept, otherwise from the stored grid; in time, local Lagrange
        interpolation of degree `time_degree` between stored times (exact at stored times).

        **Arguments:** `x`, `t` broadcast together (pointwise), or with `grid=True` give the
        tensor grid (len(x), len(t)).

        In d >= 2 space dimensions: `x` is (..., d) points broadcasting with t, or with
        `grid=True` a tuple of d axes (the result is (len(x_1), ..., len(x_d), len(t))).
        """
        t = np.asarray(t, float)
        lo, hi = float(self.t.min()), float(self.t.max())
        span = hi - lo if hi > lo else 1.0
        if np.any(t < lo - 1e-12 * span) or np.any(t > hi + 1e-12 * span):
            raise ValueError(f"times must lie in the stored range [{lo}, {hi}]")
        if self.dim > 1:
            return self._sample_tensor(x, t, grid, time_degree)
        x = np.asarray(x, float)
        interp, vals = self._spatial()
        if grid:
            xs, ts = x.reshape(-1), t.reshape(-1)
            W = lagrange_matrix(self.t, ts, time_degree)  # (nt_q, nt)
            at_t = np.einsum("qnt,st->qns", vals, W)
            out = interp.interpolate(at_t, xs)  # (q, nx, nt_q)
            return {k: out[a].reshape(x.shape + t.shape) for a, k in enumerate(self.names)}
        xb, tb = np.broadcast_arrays(x, t)
        xs, ts = xb.reshape(-1), tb.reshape(-1)
        idx, w = local_lagrange(self.t, ts, time_degree)  # (P, m): a few stored times per point
        out = np.empty((len(self.names), xs.size))
        spectral = hasattr(interp, "series")
        data = interp.coefficients(vals) if spectral else vals  # (q, nt, nk) or (q, n, nt)
        # Points sharing a time stencil share the spatial work: one matrix product per stencil.
        m = idx.shape[1]
        starts = idx[:, 0]
        for j0 in np.unique(starts):
            group = np.nonzero(starts == j0)[0]
            for s in range(0, group.size, 4096):
                g = group[s:s + 4096]
                if spectral:
                    at = interp.series(data[:, j0:j0 + m], xs[g])  # (q, P, m)
                else:
                    at = np.einsum("pn,qnm->qpm", interp.interp_matrix(xs[g]), data[:, :, j0:j0 + m])
                out[:, g] = np.einsum("qpm,pm->qp", at, w[g])
        return {k: out[a].reshape(xb.shape) for a, k in enumerate(self.names)}

    def _tensor_data(self):
        """(per-axis interpolating grids, node values (q, n_1, ..., n_d, nt)), finest held."""
        if self.fine is not None:
            desc = self.settings.get("discretisation", {})
            if desc.get("kind") == "tensor":
                return tensor_interpolator(desc, self.nodes), np.stack([self.fine[k] for k in self.names])
        return [PointsGrid(a) for a in self.axes], self.stacked()

    def _sample_tensor(self, x, t, grid: bool, time_degree: int) -> dict[str, np.ndarray]:
        axes, vals = self._tensor_data()
        d = self.dim
        if grid:
            if not (isinstance(x, (tuple, list)) and len(x) == d):
                raise ValueError(f"grid=True in {d} space dimensions needs a tuple of {d} axes")
            xs = tuple(np.asarray(a, float).reshape(-1) for a in x)
            ts = t.reshape(-1)
            at_t = np.tensordot(vals, lagrange_matrix(self.t, ts, time_degree), axes=([-1], [1]))
            out = tensor_interpolate(axes, at_t, xs)  # (q, n_1, ..., n_d, nt_q)
            return {k: out[a].reshape(tuple(len(v) for v in xs) + t.shape) for a, k in enumerate(self.names)}
        x = np.asarray(x, float)
        if x.shape[-1:] != (d,):
            raise ValueError(f"points must have a last axis of length {d} (one coordinate per space "
                             f"variable), got shape {x.shape}")
        shape = np.broadcast_shapes(x.shape[:-1], t.shape)
        pts = np.broadcast_to(x, shape + (d,)).reshape(-1, d)
        ts = np.broadcast_to(t, shape).reshape(-1)
        idx, w = local_lagrange(self.t, ts, time_degree)
        out = np.empty((len(self.names), len(ts)))
        m = idx.shape[1]
        starts = idx[:, 0]
        for j0 in np.unique(starts):
            group = np.nonzero(starts == j0)[0]
            for s in range(0, group.size, 2048):
                g = group[s:s + 2048]
                at = tensor_sample(axes, vals[..., j0:j0 + m], pts[g])  # (q, P, m)
                out[:, g] = np.einsum("qpm,pm->qp", at, w[g])
        return {k: out[a].reshape(shape) for a, k in enumerate(self.names)}

    # -- comparison ---------------------------------------------------------------------
    def errors(self, other: Reference | Mapping[str, np.ndarray]) -> dict[str, float]:
        r"""Relative L2 error $\|u - u_{ref}\| / \|u_{ref}\|$ of `other` against self, per field
        and `"all"` (fields stacked), on self's grid. `other` is a Reference (sampled on self's
        grid unless the grids agree) or a dict name -> (nx, nt)."""
        if isinstance(other, Reference):
            same = other.dim == self.dim and all(
                a.shape == b.shape and np.allclose(a, b, atol=1e-13, rtol=0) for a, b in zip(other.axes, self.axes)) \
                and other.t.shape == self.t.shape and np.allclose(other.t, self.t, atol=1e-13, rtol=0)
            vals = other.fields if same else other.sample(self.x, self.t, grid=True)
        else:
            vals = other
        out = {}
        num = den = 0.0
        for k in self.names:
            if k not in vals:
                raise KeyError(f"field {k!r} missing from the other solution (has {list(vals)})")
            ref = self.fields[k]
            d = np.asarray(vals[k]) - ref
            e2, r2 = float(np.sum(np.abs(d) ** 2)), float(np.sum(np.abs(ref) ** 2))
            out[k] = (e2 / r2) ** 0.5 if r2 > 0 else e2 ** 0.5
            num, den = num + e2, den + r2
        out["all"] = (num / den) ** 0.5 if den > 0 else num ** 0.5
        return out

    # -- files --------------------------------------------------------------------------
    def save(self, path: str | os.PathLike, *, solver_grid: bool = True) -> None:
        """Write `path` (.npz): x, t, the fields, settings (JSON) [, solver.x, solver.<name>]."""
        axes = {"x": self.x} if self.dim == 1 else {f"x{i}": a for i, a in enumerate(self.axes)}
        arrays = {"t": self.t, **axes}
        for k, v in self.fields.items():
            if k in ("x", "t", "settings") or k in axes or k.startswith("solver."):
                raise ValueError(f"field name {k!r} clashes with the file format's own arrays")
            arrays[k] = v
        settings = dict(self.settings)
        settings["format"] = FORMAT
        settings["fields"] = list(self.names)
        if solver_grid and self.fine is not None:
            if self.dim == 1:
                arrays["solver.x"] = self.nodes
            else:
                arrays.update({f"solver.x{i}": a for i, a in enumerate(self.nodes)})
            for k, v in self.fine.items():
                arrays[f"solver.{k}"] = v
        arrays["settings"] = np.array(json.dumps(settings, sort_keys=True))
        path = os.fspath(path)
        with open(path, "wb") as f:  # np.savez would append .npz to other suffixes
            np.savez(f, **arrays)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Reference:
        """Read a file written by `save` (no pickles)."""
        with np.load(os.fspath(path), allow_pickle=False) as f:
            keys = set(f.files)
            d = sum(1 for i in range(len(keys)) if f"x{i}" in keys) if "x" not in keys else 1
            for need in ("x" if d == 1 else "x0", "t"):
                if need not in keys:
                    raise ValueError(f"{os.fspath(path)}: not a reference file (no array {need!r})")
            axes = ("x",) if d == 1 else tuple(f"x{i}" for i in range(d))
            settings = json.loads(str(f["settings"][()])) if "settings" in keys else {}
            names = settings.get("fields") or sorted(
                k for k in keys if k not in ("t", "settings", *axes) and not k.startswith("solver."))
            fields = {k: f[k] for k in names}
            x = f["x"] if d == 1 else tuple(f[a] for a in axes)
            if d == 1:
                nodes = f["solver.x"] if "solver.x" in keys else None
            else:
                nodes = tuple(f[f"solver.{a}"] for a in axes) if f"solver.{axes[0]}" in keys else None
            fine = {k: f[f"solver.{k}"] for k in names} if nodes is not None else None
            return cls(x, f["t"], fields, settings, nodes=nodes, fine=fine)

    @classmethod
    def from_mat(cls, path: str | os.PathLike, *, names: Sequence[str] | None = None,
                 periodic: bool | None = None) -> Reference:
        """Load one of the PINN data files (`burgers_shock.mat`, `KdV.mat`, `AC.mat`, `NLS.mat`).

        Arrays: `x`, `t` or `tt`, `usol` or `uu` (rows x, columns t). A complex field h is split
        into real `u` and imaginary `v` (`names` overrides the field names). `periodic`: whether
        x is a periodic grid (None: yes when it is uniform and x[0] + x[-1] = -dx, i.e. the right
        end of a symmetric period is left out, as in the KdV, AC and NLS files).
        """
        import scipy.io

        path = os.fspath(path)
        d = scipy.io.loadmat(path)
        x = np.asarray(d["x"], float).reshape(-1)
        tkey = "tt" if "tt" in d else "t"
        ukey = "uu" if "uu" in d else "usol"
        if tkey not in d or ukey not in d:
            raise ValueError(f"{path}: expected arrays x, t|tt and usol|uu, found {sorted(k for k in d if not k.startswith('__'))}")
        t = np.asarray(d[tkey], float).reshape(-1)
        U = np.asarray(d[ukey])
        if U.shape != (len(x), len(t)):
            raise ValueError(f"{path}: {ukey} has shape {U.shape}, expected ({len(x)}, {len(t)})")
        if np.iscomplexobj(U):
            names = tuple(names or ("u", "v"))
            fields = {names[0]: U.real.copy(), names[1]: U.imag.copy()}
        else:
            names = tuple(names or ("u",))
            fields = {names[0]: U.astype(float)}
        dx = np.diff(x)
        uniform = len(x) > 2 and np.allclose(dx, dx[0], rtol=1e-10, atol=1e-13)
        if periodic is None:
            periodic = bool(uniform and abs(x[0] + x[-1] + dx[0]) < 1e-9 * max(1.0, abs(x[0])))
        if periodic:
            if not uniform:
                raise ValueError(f"{path}: periodic=True needs a uniform x grid")
            grid = {"kind": "fourier", "lo": float(x[0]), "hi": float(x[0] + len(x) * dx[0]),
                    "n": len(x), "parity": None}
        else:
            grid = PointsGrid(x).describe()
        settings = {"source": os.path.basename(path), "format": "mat", "grid": grid}
        return cls(x, t, fields, settings)


def load_mat(path: str | os.PathLike, **kwargs) -> Reference:
    """`Reference.from_mat(path, ...)`."""
    return Reference.from_mat(path, **kwargs)
