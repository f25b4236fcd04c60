"""Reports of a sweep: a Markdown table, CSV files, PNG plots and a significance statement.

Statistics are over seeds, per (problem, n_ics, arm, samples). Which differences are larger
than the seed-to-seed spread is decided by Welch's unequal-variance t-test on log10 of the
relative L2 error (errors are roughly log-normal across seeds; the log makes the test about
ratios), two-sided, at level `alpha` (default 0.05), against the plain PINN (`residual`) and,
when present, the compute-matched arm. With few seeds the test has little power: a
difference reported as "within the spread" is not evidence of no effect. Below `MIN_SEEDS`
(3) seeds in either arm no test is made at all ("too few seeds"): two values per arm give a
variance estimate with one degree of freedom, and the t-test's error rates then rest entirely
on the normality assumption. With one seed an arm has no spread: the table shows the single
value without "± 0" and no interval comparison.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._spec import MATCHED, VARIANTS, Residual
from ._store import RunRecord

_VARIANT_ORDER = {v: i for i, v in enumerate(VARIANTS)}
MIN_SEEDS = 3  # fewest seeds per arm for a significance statement


@dataclass(frozen=True)
class Row:
    """Statistics over seeds of one arm at one sample count."""

    problem: str
    n_ics: int | None
    label: str
    variant: str
    samples: int
    n_collocation: int
    steps: int
    seeds: int
    rel_l2_mean: float
    rel_l2_std: float  # sample std over seeds (ddof=1); nan with one seed
    rel_l2_median: float
    rel_l2_min: float
    rel_l2_max: float
    log10_rel_l2: tuple[float, ...]
    wall_mean: float
    wall_std: float
    converged: int
    non_finite: int
    train_ics_mean: float = math.nan  # IC-conditioned runs: error on (some of) the training ICs
    train_ics_std: float = math.nan

    @property
    def setting(self) -> tuple[str, int | None]:
        return (self.problem, self.n_ics)


@dataclass(frozen=True)
class Comparison:
    """One arm against a baseline arm at one sample count."""

    problem: str
    n_ics: int | None
    samples: int
    arm: str
    baseline: str
    ratio: float  # geometric-mean error of arm / baseline (< 1: arm better)
    p_value: float  # nan when too few seeds
    significant: bool
    intervals_overlap: bool | None  # mean +- std intervals of rel L2 overlap; None: an arm has 1 seed
    seeds: tuple[int, int] = (0, 0)  # finite runs of (arm, baseline)

    @property
    def too_few_seeds(self) -> bool:
        """Fewer than `MIN_SEEDS` seeds in either arm: no significance statement."""
        return min(self.seeds) < MIN_SEEDS


def _std(x: np.ndarray) -> float:
    return float(np.std(x, ddof=1)) if x.size > 1 else math.nan


def _arm_sort_key(label: str, variant: str) -> tuple:
    return (_VARIANT_ORDER.get(variant, 99), label)


def summarise(records: Iterable[RunRecord]) -> list[Row]:
    """Group runs by (problem, n_ics, arm, samples) and reduce over seeds."""
    groups: dict[tuple, list[RunRecord]] = {}
    for r in records:
        c = r.config
        groups.setdefault((c.problem, c.n_ics, c.label, c.variant, c.samples), []).append(r)
    rows = []
    for (problem, n_ics, label, variant, samples), recs in groups.items():
        recs = sorted(recs, key=lambda r: r.config.seed)
        err = np.array([r.rel_l2 for r in recs], dtype=float)
        fin = err[np.isfinite(err)]
        wall = np.array([r.wall_time for r in recs], dtype=float)
        wall = wall[np.isfinite(wall)]
        nan = math.nan
        tr = np.array([float((r.result.get("rel_l2_fields") or {}).get("train_ics", nan)) for r in recs])
        tr = tr[np.isfinite(tr)]
        rows.append(Row(
            problem=problem, n_ics=n_ics, label=label, variant=variant, samples=samples,
            n_collocation=recs[0].config.n_collocation, steps=recs[0].config.steps,
            seeds=len(recs),
            rel_l2_mean=float(fin.mean()) if fin.size else nan,
            rel_l2_std=_std(fin) if fin.size else nan,
            rel_l2_median=float(np.median(fin)) if fin.size else nan,
            rel_l2_min=float(fin.min()) if fin.size else nan,
            rel_l2_max=float(fin.max()) if fin.size else nan,
            log10_rel_l2=tuple(float(v) for v in np.log10(fin[fin > 0])),
            wall_mean=float(wall.mean()) if wall.size else nan,
            wall_std=_std(wall) if wall.size else nan,
            converged=sum(r.converged for r in recs),
            non_finite=int(err.size - fin.size),
            train_ics_mean=float(tr.mean()) if tr.size else nan,
            train_ics_std=_std(tr) if tr.size else nan,
        ))
    rows.sort(key=lambda r: (r.problem, -1 if r.n_ics is None else r.n_ics, r.samples,
                             _arm_sort_key(r.label, r.variant)))
    return rows


def _welch(a: Sequence[float], b: Sequence[float]) -> float:
    """Two-sided Welch t-test p-value (nan when a side has < 2 values or no spread)."""
    if len(a) < 2 or len(b) < 2:
        return math.nan
    from scipy import stats

    if np.std(a) == 0 and np.std(b) == 0:
        return 0.0 if np.mean(a) != np.mean(b) else 1.0
    return float(stats.ttest_ind(a, b, equal_var=False).pvalue)


def compare_arms(rows: Sequence[Row], *, alpha: float = 0.05) -> list[Comparison]:
    """Every arm against `residual` and against the compute-matched arm, per sample count."""
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    out = []
    by_cell: dict[tuple, list[Row]] = {}
    for r in rows:
        by_cell.setdefault((r.problem, r.n_ics, r.samples), []).append(r)
    for (problem, n_ics, samples), cell in by_cell.items():
        baselines = [r for r in cell if r.variant in (Residual.name, MATCHED)]
        for base in baselines:
            for arm in cell:
                if arm is base or arm.variant == Residual.name or (arm.variant == MATCHED and base.variant == MATCHED):
                    continue
                a, b = arm.log10_rel_l2, base.log10_rel_l2
                if not a or not b:
                    continue
                few = min(len(a), len(b)) < MIN_SEEDS
                p = math.nan if few else _welch(a, b)
                ratio = 10 ** (float(np.mean(a)) - float(np.mean(b)))
                overlap = None
                if len(a) > 1 and len(b) > 1:
                    lo_a, hi_a = arm.rel_l2_mean - arm.rel_l2_std, arm.rel_l2_mean + arm.rel_l2_std
                    lo_b, hi_b = base.rel_l2_mean - base.rel_l2_std, base.rel_l2_mean + base.rel_l2_std
                    overlap = not (hi_a < lo_b or hi_b < lo_a)
                out.append(Comparison(problem, n_ics, samples, arm.label, base.label, ratio, p,
                                      bool(math.isfinite(p) and p < alpha), overlap, (len(a), len(b))))
    return out


def _fmt(m: float, s: float, digits: int = 3) -> str:
    if not math.isfinite(m):
        return "n/a"
    if not math.isfinite(s):  # one seed: no spread to show
        return f"{m:.{digits}g} (one run)"
    return f"{m:.{digits}g} ± {s:.2g}"


def _setting_name(problem: str, n_ics: int | None) -> str:
    return problem if n_ics is None else f"{problem}, {n_ics} training ICs"


def _setting_slug(problem: str, n_ics: int | None) -> str:
    return problem if n_ics is None else f"{problem}_ics{n_ics}"


def markdown_report(rows: Sequence[Row], comparisons: Sequence[Comparison], *,
                    title: str = "Sample-efficiency sweep", alpha: float = 0.05,
                    notes: Sequence[str] = ()) -> str:
    """The Markdown table (mean ± std over seeds) and the significance statement."""
    lines = [f"# {title}", ""]
    lines += list(notes) + ([""] if notes else [])
    settings = sorted({r.setting for r in rows}, key=lambda s: (s[0], -1 if s[1] is None else s[1]))
    for setting in settings:
        sub = [r for r in rows if r.setting == setting]
        train = any(math.isfinite(r.train_ics_mean) for r in sub)
        head = "| samples | arm | seeds | rel. L2 error (mean ± std) | median |"
        rule = "|---:|---|---:|---|---:|"
        if train:
            head += " on training ICs |"
            rule += "---|"
        lines += [f"## {_setting_name(*setting)}", "",
                  head + " wall time per run, s (mean ± std) | converged | points used | Adam steps |",
                  rule + "---|---:|---:|---:|"]
        for r in sub:
            nf = f" ({r.non_finite} diverged)" if r.non_finite else ""
            tr = f" {_fmt(r.train_ics_mean, r.train_ics_std)} |" if train else ""
            lines.append(
                f"| {r.samples} | {r.label} | {r.seeds} | {_fmt(r.rel_l2_mean, r.rel_l2_std)}{nf} | "
                f"{r.rel_l2_median:.3g} |{tr} {_fmt(r.wall_mean, r.wall_std)} | {r.converged}/{r.seeds} | "
                f"{r.n_collocation} | {r.steps} |"
            )
        lines.append("")
        comps = [c for c in comparisons if (c.problem, c.n_ics) == setting]
        if comps:
            lines += [
                "Differences against the seed-to-seed spread: Welch's t-test on log10(rel. L2) over "
                f"seeds, two-sided, level {alpha:g}; 'ratio' is the geometric-mean error of the arm "
                "over the baseline (< 1: the arm is better); 'intervals' says whether the "
                "mean ± std intervals overlap. No correction for multiple comparisons: with many "
                f"rows, some 'yes' at p near the level are expected by chance. Below {MIN_SEEDS} seeds "
                "in either arm no test is made ('too few seeds').", "",
                "| samples | arm | baseline | ratio | p (Welch) | exceeds spread | intervals |",
                "|---:|---|---|---:|---:|---|---|"]
            for c in comps:
                if c.too_few_seeds:
                    verdict = f"too few seeds ({c.seeds[0]} and {c.seeds[1]}; need {MIN_SEEDS} per arm)"
                else:
                    verdict = ("**yes, better**" if c.ratio < 1 else "**yes, worse**") if c.significant else "no"
                p = f"{c.p_value:.3g}" if math.isfinite(c.p_value) else "n/a"
                intervals = ("n/a (one run)" if c.intervals_overlap is None
                             else "overlap" if c.intervals_overlap else "disjoint")
                lines.append(f"| {c.samples} | {c.arm} | {c.baseline} | {c.ratio:.3g} | {p} | {verdict} | "
                             f"{intervals} |")
            lines.append("")
            lines += _statement(comps)
            lines.append("")
    return "\n".join(lines)


def _statement(comps: Sequence[Comparison]) -> list[str]:
    tested = [c for c in comps if not c.too_few_seeds]
    few = (f"Too few seeds for a significance statement on {len(comps) - len(tested)} of {len(comps)} "
           f"comparisons (fewer than {MIN_SEEDS} per arm): their ratios are single observations, not "
           "evidence either way.")
    if not tested:
        return [f"Too few seeds for a significance statement (fewer than {MIN_SEEDS} per arm): the ratios "
                "above are single observations, not evidence either way."]
    sig = [c for c in tested if c.significant]
    head = [few] if len(tested) < len(comps) else []
    if not sig:
        return head + ["No difference between arms exceeds the seed-to-seed spread."]
    out = head + ["Differences larger than the seed-to-seed spread:"]
    for c in sig:
        word = "lower" if c.ratio < 1 else "higher"
        out.append(f"- n={c.samples}: {c.arm} has {word} error than {c.baseline} "
                   f"(x{c.ratio:.3g}, p={c.p_value:.2g})")
    return out


def write_csv(rows: Sequence[Row], path: str | os.PathLike) -> None:
    fields = ["problem", "n_ics", "arm", "variant", "samples", "n_collocation", "steps", "seeds",
              "rel_l2_mean", "rel_l2_std", "rel_l2_median", "rel_l2_min", "rel_l2_max",
              "wall_mean_s", "wall_std_s", "converged", "non_finite", "train_ics_mean", "train_ics_std"]
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(fields)
        for r in rows:
            w.writerow([r.problem, "" if r.n_ics is None else r.n_ics, r.label, r.variant, r.samples,
                        r.n_collocation, r.steps, r.seeds, r.rel_l2_mean, r.rel_l2_std,
                        r.rel_l2_median, r.rel_l2_min, r.rel_l2_max, r.wall_mean, r.wall_std,
                        r.converged, r.non_finite, r.train_ics_mean, r.train_ics_std])


def write_runs_csv(records: Sequence[RunRecord], path: str | os.PathLike) -> None:
    """One line per run: the raw numbers behind the summary."""
    fields = ["key", "problem", "n_ics", "arm", "variant", "samples", "n_collocation", "steps",
              "lbfgs_steps", "lbfgs_steps_done", "seed", "rel_l2", "wall_time_s", "converged", "converged_by"]
    recs = sorted(records, key=lambda r: (r.config.problem, r.config.n_ics or 0, r.config.samples,
                                          _arm_sort_key(r.config.label, r.config.variant), r.config.seed))
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(fields)
        for r in recs:
            c = r.config
            w.writerow([r.key, c.problem, "" if c.n_ics is None else c.n_ics, c.label, c.variant,
                        c.samples, c.n_collocation, c.steps, c.lbfgs_steps,
                        r.result.get("lbfgs_steps_done", ""), c.seed, r.rel_l2, r.wall_time,
                        r.converged, r.result.get("converged_by") or ""])


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def plot_setting(rows: Sequence[Row], out_dir: str | os.PathLike, problem: str,
                 n_ics: int | None) -> list[Path]:
    """Error vs samples (error bars: std over seeds) and error vs wall time, one line per arm."""
    plt = _plt()
    out_dir = Path(out_dir)
    sub = [r for r in rows if r.setting == (problem, n_ics) and math.isfinite(r.rel_l2_mean)]
    if not sub:
        return []
    arms = sorted({(r.variant, r.label) for r in sub}, key=lambda vl: _arm_sort_key(vl[1], vl[0]))
    markers = "osD^vP*X"
    paths = []
    slug = _setting_slug(problem, n_ics)
    name = _setting_name(problem, n_ics)

    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    samples = sorted({r.samples for r in sub})
    for k, (variant, label) in enumerate(arms):
        pts = sorted((r for r in sub if r.label == label), key=lambda r: r.samples)
        x = np.array([r.samples for r in pts], float)
        # a small horizontal offset keeps error bars of different arms apart
        x = x * (1 + 0.025 * (k - (len(arms) - 1) / 2))
        m = np.array([r.rel_l2_mean for r in pts])
        s = np.nan_to_num(np.array([r.rel_l2_std for r in pts]))  # one seed: no bar
        lower = np.minimum(s, m * 0.999)  # log axis: keep the lower bar above zero
        ax.errorbar(x, m, yerr=[lower, s], marker=markers[k % len(markers)], capsize=3, label=label,
                    linestyle="--" if variant == MATCHED else "-")
    paths.append(_finish(plt, fig, ax, samples, "interior collocation points (nominal)",
                         "relative L2 error (mean ± std over seeds)", f"{name}: error vs samples",
                         out_dir / f"error_vs_samples_{slug}.png"))

    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for k, (variant, label) in enumerate(arms):
        pts = sorted((r for r in sub if r.label == label and math.isfinite(r.wall_mean)), key=lambda r: r.samples)
        if not pts:
            continue
        xs = [_nz(r.wall_std) for r in pts]
        ys = [_nz(r.rel_l2_std) for r in pts]
        ax.errorbar([r.wall_mean for r in pts], [r.rel_l2_mean for r in pts],
                    xerr=[[min(e, r.wall_mean * 0.999) for e, r in zip(xs, pts)], xs],
                    yerr=[[min(e, r.rel_l2_mean * 0.999) for e, r in zip(ys, pts)], ys],
                    marker=markers[k % len(markers)], capsize=3, label=label,
                    linestyle="--" if variant == MATCHED else "-")
        for r in pts:
            ax.annotate(str(r.samples), (r.wall_mean, r.rel_l2_mean), fontsize=7,
                        xytext=(3, 3), textcoords="offset points")
    _log_axis(ax, "x", [r.wall_mean for r in sub if math.isfinite(r.wall_mean)]
              + [r.wall_mean + _nz(r.wall_std) for r in sub if math.isfinite(r.wall_mean)]
              + [max(r.wall_mean - _nz(r.wall_std), r.wall_mean * 0.5) for r in sub if math.isfinite(r.wall_mean)])
    _log_axis(ax, "y", _y_extent(sub))
    ax.set_xlabel("wall time per run, s (labels: nominal points)")
    ax.set_ylabel("relative L2 error")
    ax.set_title(f"{name}: error vs wall time")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    p = out_dir / f"error_vs_walltime_{slug}.png"
    fig.savefig(p, dpi=120)
    plt.close(fig)
    paths.append(p)
    return paths


def plot_ics(rows: Sequence[Row], out_dir: str | os.PathLike, problem: str, samples: int) -> list[Path]:
    """IC-conditioned sweeps with several numbers of training ICs: error vs training ICs, one
    colour per arm; solid: test ICs, dotted: training ICs (the gap is the generalisation error)."""
    plt = _plt()
    sub = [r for r in rows if r.problem == problem and r.samples == samples and r.n_ics is not None
           and math.isfinite(r.rel_l2_mean)]
    ics = sorted({r.n_ics for r in sub})
    if len(ics) < 2:
        return []
    arms = sorted({(r.variant, r.label) for r in sub}, key=lambda vl: _arm_sort_key(vl[1], vl[0]))
    markers = "osD^vP*X"
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for k, (variant, label) in enumerate(arms):
        pts = sorted((r for r in sub if r.label == label), key=lambda r: r.n_ics)
        x = np.array([r.n_ics for r in pts], float) * (1 + 0.025 * (k - (len(arms) - 1) / 2))
        m = np.array([r.rel_l2_mean for r in pts])
        s = np.nan_to_num(np.array([r.rel_l2_std for r in pts]))
        line = ax.errorbar(x, m, yerr=[np.minimum(s, m * 0.999), s], marker=markers[k % len(markers)],
                           capsize=3, label=label, linestyle="--" if variant == MATCHED else "-")
        tr = np.array([r.train_ics_mean for r in pts])
        if np.all(np.isfinite(tr)):
            ax.plot(x, tr, linestyle=":", marker=markers[k % len(markers)], markersize=3,
                    color=line[0].get_color(), alpha=0.7)
    return [_finish(plt, fig, ax, ics, "training initial conditions",
                    "relative L2 error (solid: test ICs, dotted: training ICs)",
                    f"{problem}, {samples} interior points: error vs training ICs",
                    Path(out_dir) / f"error_vs_ics_{problem}_n{samples}.png")]


def _nz(v: float) -> float:
    return v if math.isfinite(v) else 0.0


def _y_extent(rows: Sequence[Row]) -> list[float]:
    """The values a log error axis must show: means, bars, and the training-IC errors."""
    out = []
    for r in rows:
        if math.isfinite(r.rel_l2_mean):
            out += [r.rel_l2_mean, r.rel_l2_mean + _nz(r.rel_l2_std),
                    max(r.rel_l2_mean - _nz(r.rel_l2_std), r.rel_l2_mean * 0.001)]
        if math.isfinite(r.train_ics_mean):
            out.append(r.train_ics_mean)
    return out


def log_ticks(lo: float, hi: float) -> list[float]:
    """At least two round tick values in [lo, hi] (0 < lo <= hi) for a log axis: powers of ten
    when the range spans decades, else 1-2-5 steps, else every digit, else 3 rounded values."""
    if not (0 < lo <= hi and math.isfinite(hi)):
        raise ValueError(f"log ticks need 0 < lo <= hi, got {lo}, {hi}")
    decades = range(math.floor(math.log10(lo)) - 1, math.ceil(math.log10(hi)) + 1)
    for subs in ((1,), (1, 2, 5), tuple(range(1, 10))):
        ticks = [m * 10.0**e for e in decades for m in subs if lo * (1 - 1e-9) <= m * 10.0**e <= hi * (1 + 1e-9)]
        if len(ticks) >= (3 if len(subs) < 9 else 2):
            return ticks
    vals = np.geomspace(lo, hi, 3)
    for digits in range(2, 17):  # as few digits as keep the values distinct
        ticks = sorted({float(f"{v:.{digits}g}") for v in vals})
        if len(ticks) == len(set(vals)):
            break
    return ticks


def _log_axis(ax, which: str, values: Sequence[float], ticks: Sequence[float] | None = None) -> None:
    """Log scale with padded limits (one value: a factor 2 each side, else 1.25) and labelled
    ticks: `ticks`, else `log_ticks` over the shown range, so at least two carry numbers."""
    import matplotlib.ticker as mticker

    vals = [float(v) for v in values if math.isfinite(v) and v > 0]
    if not vals:
        return
    lo, hi = min(vals), max(vals)
    pad = 2.0 if hi <= lo * 1.01 else 1.25
    lo, hi = lo / pad, hi * pad
    getattr(ax, f"set_{which}scale")("log")
    axis = getattr(ax, f"{which}axis")
    axis.set_major_locator(mticker.FixedLocator(list(ticks) if ticks is not None else log_ticks(lo, hi)))
    axis.set_major_formatter(mticker.FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_locator(mticker.NullLocator())
    getattr(ax, f"set_{which}lim")(lo, hi)


def _finish(plt, fig, ax, ticks, xlabel: str, ylabel: str, title: str, path: Path) -> Path:
    """Log-log axes with `ticks` labelled on x (the data sit inside, never on the edges) and a
    labelled error axis, grid, legend; saved to `path` and closed."""
    lines = [ln for ln in ax.get_lines() if len(ln.get_ydata())]
    ys = [float(y) for ln in lines for y in np.asarray(ln.get_ydata(), float)]
    for c in ax.collections:  # error bars
        for seg in getattr(c, "get_segments", lambda: [])():
            ys += [float(y) for y in np.asarray(seg)[:, 1]]
    _log_axis(ax, "x", [min(ticks) * 0.95, max(ticks) * 1.05], ticks=ticks)
    _log_axis(ax, "y", ys)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


@dataclass(frozen=True)
class Report:
    """Paths of a written report and its statistics."""

    markdown: Path
    csv: Path
    runs_csv: Path
    plots: tuple[Path, ...]
    rows: tuple[Row, ...]
    comparisons: tuple[Comparison, ...]
    text: str


def write_report(records: Sequence[RunRecord], out_dir: str | os.PathLike, *,
                 title: str = "Sample-efficiency sweep", alpha: float = 0.05,
                 notes: Sequence[str] = (), plots: bool = True) -> Report:
    """Write report.md, summary.csv, runs.csv and the PNG plots into `out_dir`."""
    records = list(records)
    if not records:
        raise ValueError("no finished runs to report on")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = summarise(records)
    comps = compare_arms(rows, alpha=alpha)
    notes = list(notes)
    if any("seeds_in_batch" in r.result for r in records):
        notes.append("Wall time per run: the training time of its vmapped group of seeds divided by "
                     "the number of seeds, JAX compilation included (evaluation excluded).")
    text = markdown_report(rows, comps, title=title, alpha=alpha, notes=notes)
    md = out_dir / "report.md"
    md.write_text(text + "\n", encoding="utf-8")
    summary = out_dir / "summary.csv"
    write_csv(rows, summary)
    runs = out_dir / "runs.csv"
    write_runs_csv(records, runs)
    pngs: list[Path] = []
    if plots:
        for setting in sorted({r.setting for r in rows}, key=lambda s: (s[0], -1 if s[1] is None else s[1])):
            pngs += plot_setting(rows, out_dir, *setting)
        for problem, samples in sorted({(r.problem, r.samples) for r in rows if r.n_ics is not None}):
            pngs += plot_ics(rows, out_dir, problem, samples)
    return Report(md, summary, runs, tuple(pngs), tuple(rows), tuple(comps), text)
