"""Evaluation plots of a training run (matplotlib, Agg backend; PNG files).

- `plot_solution`: prediction, reference and pointwise error |u - u_ref| (log scale) as
  heatmaps over (t, x) on the reference grid, one row per dependent variable;
- `plot_snapshots`: u(x) at a few times, prediction against reference;
- `plot_history`: every loss term against the step (log scale), one line per seed, the
  Adam -> L-BFGS switch marked.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import numpy as np

__all__ = ["plot_solution", "plot_snapshots", "plot_history", "plot_slices_2d"]


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path) -> None:
    tmp = f"{os.fspath(path)}.tmp.png"
    fig.savefig(tmp, dpi=110, bbox_inches="tight")
    os.replace(tmp, path)


def plot_solution(x, t, pred, ref, path, *, names: Sequence[str] = ("u",), space: str = "x",
                  time: str = "t", title: str = "") -> None:
    """Heatmaps of `pred`, `ref` (q, nx, nt) and |pred - ref| on the grid x (nx,) x t (nt,)."""
    plt = _plt()
    from matplotlib.colors import LogNorm, Normalize

    pred, ref = np.asarray(pred, float), np.asarray(ref, float)
    q = pred.shape[0]
    fig, axes = plt.subplots(q, 3, figsize=(13, 3.2 * q), squeeze=False)
    extent = (float(t[0]), float(t[-1]), float(x[0]), float(x[-1]))
    for a in range(q):
        lim = float(np.max(np.abs(ref[a]))) or 1.0
        err = np.abs(pred[a] - ref[a])
        top = float(err.max()) or 1.0
        # the error on a log scale (4 decades below its maximum): fronts and smooth regions both show
        log = LogNorm(vmin=top * 1e-4, vmax=top)
        panels = ((pred[a], f"prediction {names[a]}", "RdBu_r", Normalize(-lim, lim)),
                  (ref[a], f"reference {names[a]}", "RdBu_r", Normalize(-lim, lim)),
                  (np.maximum(err, top * 1e-4), f"|error| {names[a]} (max {err.max():.2e})", "magma", log))
        for ax, (img, label, cmap, norm) in zip(axes[a], panels):
            im = ax.imshow(img, origin="lower", aspect="auto", extent=extent, cmap=cmap, norm=norm,
                           interpolation="nearest")
            ax.set_title(label, fontsize=10)
            ax.set_xlabel(time)
            ax.set_ylabel(space)
            fig.colorbar(im, ax=ax)
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)


def plot_snapshots(x, t, pred, ref, path, *, names: Sequence[str] = ("u",), space: str = "x",
                   time: str = "t", fractions: Sequence[float] = (0.0, 0.25, 0.5, 0.75, 1.0),
                   title: str = "") -> None:
    """u(x, t_j) at the grid times nearest the given fractions of the time span."""
    plt = _plt()
    pred, ref = np.asarray(pred, float), np.asarray(ref, float)
    t = np.asarray(t, float)
    idx = sorted({int(np.argmin(np.abs(t - (t[0] + f * (t[-1] - t[0]))))) for f in fractions})
    q = pred.shape[0]
    fig, axes = plt.subplots(q, len(idx), figsize=(3.0 * len(idx), 2.6 * q), squeeze=False, sharey="row")
    for a in range(q):
        for ax, j in zip(axes[a], idx):
            ax.plot(x, ref[a, :, j], color="0.2", lw=2.2, label="reference")
            ax.plot(x, pred[a, :, j], color="tab:red", lw=1.2, ls="--", label="prediction")
            ax.set_title(f"{time} = {t[j]:.3g}", fontsize=10)
            ax.set_xlabel(space)
        axes[a][0].set_ylabel(names[a])
    axes[0][0].legend(fontsize=8)
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)


def plot_history(history: Mapping[str, np.ndarray], path, *, title: str = "") -> None:
    """Loss terms against the step (`history` in the layout of `history.csv`: columns seed,
    step, phase and one per term), one colour per term, one line per seed."""
    plt = _plt()
    seeds = np.asarray(history["seed"])
    step = np.asarray(history["step"])
    phase = np.asarray(history["phase"], dtype=object)
    terms = [k for k in history if k not in ("seed", "step", "phase", "grad_norm")]
    fig, ax = plt.subplots(figsize=(8, 4.5))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, name in enumerate(terms):
        colour = colours[i % len(colours)]
        for j, s in enumerate(np.unique(seeds)):
            m = seeds == s
            v = np.asarray(history[name], float)[m]
            ok = np.isfinite(v) & (v > 0)
            ax.plot(step[m][ok], v[ok], color=colour, lw=1.6 if name == "total" else 1.0,
                    alpha=0.9 if j == 0 else 0.45, label=name if j == 0 else None)
    switch = step[phase != "adam"]
    if switch.size and np.any(phase == "adam"):
        ax.axvline(float(switch.min()), color="0.5", ls=":", lw=1)
        second = str(phase[phase != "adam"][0])  # the second phase's name (lbfgs, ssbroyden, ...)
        ax.text(float(switch.min()), 1.0, " " + second, transform=ax.get_xaxis_transform(), va="top",
                fontsize=8, color="0.4")
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("mean square (unweighted)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, ncol=2)
    if len(np.unique(seeds)) > 1:
        title = (title + " " if title else "") + f"({len(np.unique(seeds))} seeds)"
    if title:
        ax.set_title(title, fontsize=11)
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)


def middle_slice(axes, pred: np.ndarray, ref: np.ndarray, space: Sequence[str]):
    """(pred, ref, label): fields (n_1, ..., n_d, nt) cut to (n_1, n_2, nt) through the middle
    node of every space axis after the first two; label names the cut ("z = 0.5")."""
    fixed = []
    for j in range(pred.ndim - 2, 1, -1):
        mid = pred.shape[j] // 2
        pred, ref = np.take(pred, mid, axis=j), np.take(ref, mid, axis=j)
        fixed.append(f"{space[j]} = {float(axes[j][mid]):.3g}")
    return pred, ref, ", ".join(reversed(fixed))


def plot_slices_2d(axes, t, pred, ref, path, *, names: Sequence[str] = ("u",), space: Sequence[str] = ("x", "y"),
                   time: str = "t", title: str = "", n_times: int = 3) -> None:
    """Two space dimensions: prediction, reference and |error| over (x, y) at `n_times` times
    (first, middle, last), for the first dependent variable; in d > 2 the slice through the
    middle of the other axes. `pred`, `ref`: (q, n_1, ..., n_d, nt)."""
    plt = _plt()
    from matplotlib.colors import Normalize

    pred, ref, where = middle_slice(axes, np.asarray(pred, float)[0], np.asarray(ref, float)[0], space)
    if where:
        title = f"{title}; slice {where}" if title else f"slice {where}"
    ks = sorted({0, len(t) // 2, len(t) - 1})[:n_times]
    fig, grid = plt.subplots(len(ks), 3, figsize=(12, 3.4 * len(ks)), squeeze=False)
    x, y = axes[0], axes[1]
    extent = (float(y[0]), float(y[-1]), float(x[0]), float(x[-1]))
    lim = float(np.max(np.abs(ref))) or 1.0
    for row, k in zip(grid, ks):
        err = np.abs(pred[..., k] - ref[..., k])
        panels = ((pred[..., k], f"prediction {names[0]}, {time} = {t[k]:.3g}", "RdBu_r", Normalize(-lim, lim)),
                  (ref[..., k], f"reference {names[0]}", "RdBu_r", Normalize(-lim, lim)),
                  (err, f"|error| (max {err.max():.2e})", "magma", Normalize(0, float(err.max()) or 1.0)))
        for ax, (img, label, cmap, norm) in zip(row, panels):
            im = ax.imshow(img, origin="lower", aspect="auto", extent=extent, cmap=cmap, norm=norm)
            ax.set_title(label, fontsize=10)
            ax.set_xlabel(space[1])
            ax.set_ylabel(space[0])
            fig.colorbar(im, ax=ax)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)
