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

A diverged run is a failure, never dropped: a run whose error, or any other metric it records
(the error on the training ICs, out of distribution, the conservation drift), is non-finite
(`run_diverged`). Every table shows "k/n diverged" per arm; means and std of every metric are
over the runs that did not diverge (and say so), the median counts a diverged run as +inf,
and when either arm of a comparison has a diverged run the test is the
Mann-Whitney U test (`SignificanceTest.MANN_WHITNEY`) on log10 errors with each diverged run
ranked worst (+inf), so an arm cannot look better by diverging on its bad seeds. The
direction of a verdict then comes from the ranks, and an arm called better that diverged
more often is said to have done so. `significance` applies the same to raw per-seed errors.

Runs that record a conservation drift (evolution problems with conservation laws: the
runner's `conservation_drift`, max over laws of max_j |int T(u_theta)(x, t_j) dx -
int T(u0) dx + flux| / int |T(u0)| dx) show its mean ± std over seeds beside the error.

Every arm's measured wall time per run stands beside its error, with its ratio to the plain
arm's; the compute-matched arm (matched by a recorded cost, not a clock) gets a line saying
how close the match came: its wall time over that of the arm it matches.
"""

from __future__ import annotations

import csv
import dataclasses
import enum
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._spec import MATCHED, VARIANTS, Residual
from ._store import RunRecord, _float

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
    rel_l2_mean: float  # over the runs that did not diverge (`non_finite` counts the others)
    rel_l2_std: float  # sample std over the same runs (ddof=1); nan with one
    rel_l2_median: float  # over all runs, a diverged one counted as +inf
    rel_l2_min: float
    rel_l2_max: float
    log10_rel_l2: tuple[float, ...]
    wall_mean: float
    wall_std: float
    converged: int
    non_finite: int  # diverged runs: a non-finite error or other recorded metric (`run_diverged`)
    train_ics_mean: float = math.nan  # IC-conditioned runs: error on (some of) the training ICs
    train_ics_std: float = math.nan
    ood_mean: float = math.nan  # IC-conditioned runs: error on test ICs moved out of the family
    ood_std: float = math.nan
    drift_mean: float = math.nan  # conservation drift (largest over the laws), over the same runs
    drift_std: float = math.nan
    matched_to: str | None = None  # the compute-matched arm: the variant whose cost it matches
    cost_ratio: float | None = None  # ... and the recorded cost ratio it was given
    wall_vs_residual: float = math.nan  # wall_mean / the plain arm's, same cell
    wall_vs_matched: float = math.nan  # compute-matched arm: wall_mean / its target arm's

    @property
    def setting(self) -> tuple[str, int | None]:
        return (self.problem, self.n_ics)

    @property
    def diverged(self) -> str:
        """"k/n diverged" (k runs with a non-finite error out of n), or "" when none did."""
        return f"{self.non_finite}/{self.seeds} diverged" if self.non_finite else ""


class SignificanceTest(enum.StrEnum):
    """The significance test of a comparison (stored as its string value)."""

    WELCH = "welch"  # Welch's t-test on log10 errors: no diverged run in either arm
    MANN_WHITNEY = "mann-whitney"  # U test on log10 errors, a diverged run ranked worst (+inf)


@dataclass(frozen=True)
class Comparison:
    """One arm against a baseline arm at one sample count."""

    problem: str
    n_ics: int | None
    samples: int
    arm: str
    baseline: str
    ratio: float  # geometric-mean error of arm / baseline over finite runs (< 1: arm better)
    p_value: float  # nan when too few seeds
    significant: bool
    intervals_overlap: bool | None  # mean +- std intervals of rel L2 overlap; None: an arm has 1 seed
    seeds: tuple[int, int] = (0, 0)  # runs of (arm, baseline), diverged ones included
    failures: tuple[int, int] = (0, 0)  # diverged runs of (arm, baseline)
    test: SignificanceTest = SignificanceTest.WELCH
    prob_lower: float = math.nan  # P(an arm run's error < a baseline run's), ties half, diverged = +inf

    @property
    def too_few_seeds(self) -> bool:
        """Fewer than `MIN_SEEDS` seeds in either arm: no significance statement."""
        return min(self.seeds) < MIN_SEEDS

    @property
    def better(self) -> bool:
        """The arm's errors are lower: by the geometric mean (Welch), by the ranks with diverged
        runs as worst (Mann-Whitney)."""
        if self.test is SignificanceTest.MANN_WHITNEY:
            return self.prob_lower > 0.5
        return self.ratio < 1

    @property
    def fails_more(self) -> bool:
        """The arm diverged in a larger fraction of its runs than the baseline."""
        (fa, fb), (na, nb) = self.failures, self.seeds
        return fa * nb > fb * na


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
        failed = np.array([run_diverged(r) for r in recs], dtype=bool)
        err = np.array([r.rel_l2 for r in recs], dtype=float)
        fin = err[~failed]
        worst = np.where(failed, np.inf, err)  # a diverged run: the worst error
        wall = np.array([r.wall_time for r in recs], dtype=float)
        wall = wall[np.isfinite(wall)]
        nan = math.nan
        healthy = [run_metrics(r) for r, f in zip(recs, failed) if not f]
        tr, ood, drift = (np.array([m[k] for m in healthy if k in m]) for k in ("train_ics", "ood", "drift"))
        rows.append(Row(
            problem=problem, n_ics=n_ics, label=label, variant=variant, samples=samples,
            n_collocation=recs[0].config.n_collocation, steps=recs[0].config.steps,
            seeds=len(recs),
            rel_l2_mean=float(fin.mean()) if fin.size else nan,
            rel_l2_std=_std(fin) if fin.size else nan,
            rel_l2_median=float(np.median(worst)),
            rel_l2_min=float(fin.min()) if fin.size else nan,
            rel_l2_max=float(fin.max()) if fin.size else nan,
            log10_rel_l2=tuple(float(v) for v in np.log10(fin[fin > 0])),
            wall_mean=float(wall.mean()) if wall.size else nan,
            wall_std=_std(wall) if wall.size else nan,
            converged=sum(r.converged for r in recs),
            non_finite=int(failed.sum()),
            train_ics_mean=float(tr.mean()) if tr.size else nan,
            train_ics_std=_std(tr) if tr.size else nan,
            ood_mean=float(ood.mean()) if ood.size else nan,
            ood_std=_std(ood) if ood.size else nan,
            drift_mean=float(drift.mean()) if drift.size else nan,
            drift_std=_std(drift) if drift.size else nan,
            matched_to=recs[0].config.matched_to, cost_ratio=recs[0].config.cost_ratio,
        ))
    rows = _wall_ratios(rows)
    rows.sort(key=lambda r: (r.problem, -1 if r.n_ics is None else r.n_ics, r.samples,
                             _arm_sort_key(r.label, r.variant)))
    return rows


def run_metrics(record: RunRecord) -> dict[str, float]:
    """The metrics of a run that the tables summarise over seeds: "rel_l2" (in distribution) and,
    where the run records them, "train_ics", "ood" (IC-conditioned runs) and "drift"
    (conservation drift, largest law). A metric the run does not record is absent, one it
    records as non-finite (stored as "nan") is nan."""
    out = {"rel_l2": record.rel_l2}
    fields = record.result.get("rel_l2_fields") or {}
    for k in ("train_ics", "ood"):
        if fields.get(k) is not None:
            out[k] = _float(fields[k])
    d = record.result.get("conservation_drift")
    if isinstance(d, dict) and "max" in d:
        out["drift"] = _float(d["max"])
    return out


def run_diverged(run: RunRecord | Mapping[str, float]) -> bool:
    """A failure: some metric the run records (`run_metrics`, or a mapping name -> value for
    studies that keep their own records) is non-finite. Such a run counts as diverged in every
    table and test, whichever metric failed, so that no mean can leave it out silently (e.g. a
    finite error in distribution but a NaN one out of it)."""
    metrics = run_metrics(run) if isinstance(run, RunRecord) else run
    return not all(math.isfinite(_float(v)) for v in metrics.values())


def run_drift(record: RunRecord) -> float:
    """A run's conservation drift, the largest over its laws (nan when not recorded)."""
    d = record.result.get("conservation_drift")
    return float(d["max"]) if isinstance(d, dict) and d.get("max") is not None else math.nan


def _cells(rows: Sequence[Row]) -> dict[tuple, list[Row]]:
    """Rows by (problem, n_ics, samples): the arms that compare with each other."""
    out: dict[tuple, list[Row]] = {}
    for r in rows:
        out.setdefault((r.problem, r.n_ics, r.samples), []).append(r)
    return out


def _targets(row: Row, cell: Sequence[Row]) -> list[Row]:
    """The arms a compute-matched row matches (its `matched_to` variant, any weight)."""
    return [r for r in cell if row.variant == MATCHED and r.variant == row.matched_to]


def _wall_ratios(rows: list[Row]) -> list[Row]:
    """Each row with its wall time over the plain arm's and, for the compute-matched arm, over
    the mean wall time of the arms it matches (all share the recorded derivative cost)."""
    out = []
    for cell in _cells(rows).values():
        base = [r.wall_mean for r in cell if r.variant == Residual.name and math.isfinite(r.wall_mean)]
        for r in cell:
            to = [t.wall_mean for t in _targets(r, cell) if math.isfinite(t.wall_mean)]
            out.append(dataclasses.replace(
                r, wall_vs_residual=r.wall_mean / base[0] if base else math.nan,
                wall_vs_matched=r.wall_mean / float(np.mean(to)) if to else math.nan))
    return out


@dataclass(frozen=True)
class WallMatch:
    """How close a compute-matched arm came to the wall time of an arm it matches."""

    problem: str
    n_ics: int | None
    samples: int
    arm: str
    target: str
    ratio: float  # wall time of arm / target (1: matched exactly)
    cost_ratio: float | None  # the recorded cost ratio the arm was given


def wall_matches(rows: Sequence[Row]) -> list[WallMatch]:
    """Every compute-matched arm against every arm it matches, by measured wall time."""
    out = []
    for (problem, n_ics, samples), cell in _cells(rows).items():
        for r in cell:
            for t in _targets(r, cell):
                out.append(WallMatch(problem, n_ics, samples, r.label, t.label,
                                     r.wall_mean / t.wall_mean if t.wall_mean > 0 else math.nan, r.cost_ratio))
    return out


def significance(arm: Sequence[float], baseline: Sequence[float]) -> tuple[SignificanceTest, float, float]:
    """(test, two-sided p-value, P(an arm run's error < a baseline run's)) of two arms' per-seed
    errors, a non-finite error being a diverged run, ranked worst: Welch's t-test on log10
    errors when neither arm has one, else the Mann-Whitney U test with diverged runs as +inf.
    The p-value is nan below `MIN_SEEDS` runs in either arm. The statistic of `compare_arms`,
    for studies that keep their own tables."""
    def split(errors):
        e = np.asarray(errors, float)
        fin = e[np.isfinite(e)]
        return list(np.log10(fin[fin > 0])), int(e.size - fin.size)

    (a, fa), (b, fb) = split(arm), split(baseline)
    if not (a or fa) or not (b or fb):
        raise ValueError(f"significance needs at least one run per arm, got {len(arm)} and {len(baseline)}")
    return _significance(a, fa, b, fb)


def _significance(a: Sequence[float], fa: int, b: Sequence[float], fb: int) -> tuple[SignificanceTest, float, float]:
    """`significance` on finite log10 errors `a`, `b` and the counts `fa`, `fb` of diverged runs."""
    # every run takes part: a diverged one as the worst error (+inf)
    a_all, b_all = list(a) + [math.inf] * fa, list(b) + [math.inf] * fb
    test = SignificanceTest.MANN_WHITNEY if fa or fb else SignificanceTest.WELCH
    p_mw, lower = _mann_whitney(a_all, b_all)
    if min(len(a_all), len(b_all)) < MIN_SEEDS:
        return test, math.nan, lower
    return test, (p_mw if test is SignificanceTest.MANN_WHITNEY else _welch(a, b)), lower


def _mann_whitney(a: Sequence[float], b: Sequence[float]) -> tuple[float, float]:
    """(two-sided p-value, P(a < b) + P(a = b)/2) of the Mann-Whitney U test; +inf allowed."""
    from scipy import stats

    res = stats.mannwhitneyu(a, b, alternative="two-sided")
    return float(res.pvalue), 1.0 - float(res.statistic) / (len(a) * len(b))


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
    for (problem, n_ics, samples), cell in _cells(rows).items():
        baselines = [r for r in cell if r.variant in (Residual.name, MATCHED)]
        for base in baselines:
            for arm in cell:
                if arm is base or arm.variant == Residual.name or (arm.variant == MATCHED and base.variant == MATCHED):
                    continue
                a, b = arm.log10_rel_l2, base.log10_rel_l2
                if not (a or arm.non_finite) or not (b or base.non_finite):
                    continue
                test, p, lower = _significance(a, arm.non_finite, b, base.non_finite)
                ratio = 10 ** (float(np.mean(a)) - float(np.mean(b))) if a and b else math.nan
                overlap = None
                if len(a) > 1 and len(b) > 1:
                    lo_a, hi_a = arm.rel_l2_mean - arm.rel_l2_std, arm.rel_l2_mean + arm.rel_l2_std
                    lo_b, hi_b = base.rel_l2_mean - base.rel_l2_std, base.rel_l2_mean + base.rel_l2_std
                    overlap = not (hi_a < lo_b or hi_b < lo_a)
                out.append(Comparison(problem, n_ics, samples, arm.label, base.label, ratio, p,
                                      bool(math.isfinite(p) and p < alpha), overlap,
                                      (len(a) + arm.non_finite, len(b) + base.non_finite),
                                      (arm.non_finite, base.non_finite), test, lower))
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


def _ratio(v: float) -> str:
    return f"{v:.2f}x" if math.isfinite(v) else "n/a"


def markdown_report(rows: Sequence[Row], comparisons: Sequence[Comparison], *,
                    title: str = "Sample-efficiency sweep", alpha: float = 0.05,
                    notes: Sequence[str] = ()) -> str:
    """The Markdown table (mean ± std over seeds, diverged runs, wall time), how close the
    compute match came, and the significance statement."""
    lines = [f"# {title}", ""]
    lines += list(notes) + ([""] if notes else [])
    settings = sorted({r.setting for r in rows}, key=lambda s: (s[0], -1 if s[1] is None else s[1]))
    for setting in settings:
        sub = [r for r in rows if r.setting == setting]
        train = any(math.isfinite(r.train_ics_mean) for r in sub)
        ood = any(math.isfinite(r.ood_mean) for r in sub)
        drift = any(math.isfinite(r.drift_mean) for r in sub)
        head = ("| samples | arm | seeds | diverged | rel. L2 error (mean ± std, diverged runs left out) | "
                "median (diverged = worst) |")
        rule = "|---:|---|---:|---:|---|---:|"
        if train:
            head += " on training ICs |"
            rule += "---|"
        if ood:
            head += " out of distribution (moved test ICs) |"
            rule += "---|"
        if drift:
            head += " conservation drift (largest law, mean ± std) |"
            rule += "---|"
        lines += [f"## {_setting_name(*setting)}", "",
                  head + " wall time per run, s (mean ± std) | wall time / residual's | converged | "
                  "points used | Adam steps |",
                  rule + "---|---:|---:|---:|---:|"]
        for r in sub:
            tr = f" {_fmt(r.train_ics_mean, r.train_ics_std)} |" if train else ""
            tr += f" {_fmt(r.ood_mean, r.ood_std)} |" if ood else ""
            tr += f" {_fmt(r.drift_mean, r.drift_std)} |" if drift else ""
            median = f"{r.rel_l2_median:.3g}" if math.isfinite(r.rel_l2_median) else "diverged"
            lines.append(
                f"| {r.samples} | {r.label} | {r.seeds} | {r.non_finite}/{r.seeds} | "
                f"{_fmt(r.rel_l2_mean, r.rel_l2_std)} | {median} |{tr} {_fmt(r.wall_mean, r.wall_std)} | "
                f"{_ratio(r.wall_vs_residual)} | {r.converged}/{r.seeds} | {r.n_collocation} | {r.steps} |"
            )
        lines.append("")
        failed = [r for r in sub if r.non_finite]
        if failed:
            lines += ["Diverged runs (a non-finite error in or out of distribution, on the training "
                      "ICs or in the drift) count as failures: means and std above are over the other "
                      "runs only, the median and the tests below rank a diverged run worst. " + "; ".join(f"{r.label} at n={r.samples}: {r.diverged}" for r in failed)
                      + ".", ""]
        matches = wall_matches(sub)
        if matches:
            lines += ["Compute match (recorded cost, measured wall time):"]
            lines += [f"- n={m.samples}: {m.arm} took {m.ratio:.2f}x the wall time of {m.target} "
                      f"(recorded cost ratio {m.cost_ratio:g}; 1.00x is an exact match)" for m in matches]
            lines.append("")
        comps = [c for c in comparisons if (c.problem, c.n_ics) == setting]
        if comps:
            lines += [
                "Differences against the seed-to-seed spread: Welch's t-test on log10(rel. L2) over "
                f"seeds, two-sided, level {alpha:g}, when neither arm has a diverged run; otherwise "
                "the Mann-Whitney U test on log10(rel. L2) with every diverged run ranked worst "
                "(its error taken as +inf), so that an arm does not gain by diverging on its bad "
                "seeds. 'ratio' is the geometric-mean error of the arm over the baseline over "
                "finite runs (< 1: the arm is better); with diverged runs the verdict's direction "
                "comes from the ranks. 'intervals' says whether the mean ± std intervals overlap. "
                "No correction for multiple comparisons: with many rows, some 'yes' at p near the "
                f"level are expected by chance. Below {MIN_SEEDS} seeds in either arm no test is "
                "made ('too few seeds').", "",
                "| samples | arm | baseline | diverged (arm, baseline) | ratio | test | p | exceeds spread | intervals |",
                "|---:|---|---|---|---:|---|---:|---|---|"]
            for c in comps:
                if c.too_few_seeds:
                    verdict = f"too few seeds ({c.seeds[0]} and {c.seeds[1]}; need {MIN_SEEDS} per arm)"
                elif c.significant:
                    verdict = "**yes, better**" if c.better else "**yes, worse**"
                    if c.better and c.fails_more:
                        verdict += " but diverged more often"
                else:
                    verdict = "no"
                p = f"{c.p_value:.3g}" if math.isfinite(c.p_value) else "n/a"
                ratio = f"{c.ratio:.3g}" if math.isfinite(c.ratio) else "n/a"
                intervals = ("n/a (one run)" if c.intervals_overlap is None
                             else "overlap" if c.intervals_overlap else "disjoint")
                test = "Welch" if c.test is SignificanceTest.WELCH else "Mann-Whitney"
                lines.append(f"| {c.samples} | {c.arm} | {c.baseline} | {c.failures[0]}/{c.seeds[0]}, "
                             f"{c.failures[1]}/{c.seeds[1]} | {ratio} | {test} | {p} | {verdict} | {intervals} |")
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
        word = "lower" if c.better else "higher"
        ratio = f"x{c.ratio:.3g}, " if math.isfinite(c.ratio) else ""
        if c.test is SignificanceTest.WELCH:
            out.append(f"- n={c.samples}: {c.arm} has {word} error than {c.baseline} ({ratio}p={c.p_value:.2g})")
            continue
        caveat = (f"; note: {c.arm} diverged more often" if c.better and c.fails_more else "")
        out.append(f"- n={c.samples}: {c.arm} has {word} error than {c.baseline} ({ratio}p={c.p_value:.2g}, "
                   f"Mann-Whitney with diverged runs ranked worst; diverged: {c.arm} "
                   f"{c.failures[0]}/{c.seeds[0]}, {c.baseline} {c.failures[1]}/{c.seeds[1]}{caveat})")
    return out


def write_csv(rows: Sequence[Row], path: str | os.PathLike) -> None:
    """One line per arm and sample count. rel_l2 mean, std, min and max (and every other metric's
    mean and std) are over the runs that did not diverge; `non_finite` counts the diverged ones; the median ranks a diverged run worst (inf when at
    least half diverged); wall times over the plain arm's and, for the compute-matched arm,
    over the arm it matches."""
    fields = ["problem", "n_ics", "arm", "variant", "samples", "n_collocation", "steps", "seeds",
              "rel_l2_mean", "rel_l2_std", "rel_l2_median", "rel_l2_min", "rel_l2_max",
              "wall_mean_s", "wall_std_s", "converged", "non_finite", "train_ics_mean", "train_ics_std",
              "wall_vs_residual", "matched_to", "wall_vs_matched_to", "ood_mean", "ood_std",
              "drift_mean", "drift_std"]
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(fields)
        for r in rows:
            w.writerow([r.problem, "" if r.n_ics is None else r.n_ics, r.label, r.variant, r.samples,
                        r.n_collocation, r.steps, r.seeds, r.rel_l2_mean, r.rel_l2_std,
                        r.rel_l2_median, r.rel_l2_min, r.rel_l2_max, r.wall_mean, r.wall_std,
                        r.converged, r.non_finite, r.train_ics_mean, r.train_ics_std,
                        r.wall_vs_residual, r.matched_to or "", r.wall_vs_matched, r.ood_mean, r.ood_std,
                        r.drift_mean, r.drift_std])


def write_runs_csv(records: Sequence[RunRecord], path: str | os.PathLike) -> None:
    """One line per run: the raw numbers behind the summary."""
    fields = ["key", "problem", "n_ics", "arm", "variant", "samples", "n_collocation", "steps",
              "lbfgs_steps", "lbfgs_steps_done", "seed", "rel_l2", "wall_time_s", "converged", "converged_by",
              "diverged", "conservation_drift"]
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
                        r.converged, r.result.get("converged_by") or "", run_diverged(r),
                        run_drift(r)])


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
    every = [r for r in rows if r.setting == (problem, n_ics)]
    sub = [r for r in every if math.isfinite(r.rel_l2_mean)]
    if not sub:
        return []
    note = _failure_note(every)
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
        ax.errorbar(x, m, yerr=[lower, s], marker=markers[k % len(markers)], capsize=3,
                    label=_arm_label(label, [r for r in every if r.label == label]),
                    linestyle="--" if variant == MATCHED else "-")
        _mark_failures(ax, x, m, pts)
    paths.append(_finish(plt, fig, ax, samples, "interior collocation points (nominal)",
                         "relative L2 error (mean ± std over finite runs)", f"{name}: error vs samples" + note,
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
                    marker=markers[k % len(markers)], capsize=3,
                    label=_arm_label(label, [r for r in every if r.label == label]),
                    linestyle="--" if variant == MATCHED else "-")
        _mark_failures(ax, [r.wall_mean for r in pts], [r.rel_l2_mean for r in pts], pts)
        for r in pts:
            ax.annotate(str(r.samples), (r.wall_mean, r.rel_l2_mean), fontsize=7,
                        xytext=(3, 3), textcoords="offset points")
    _log_axis(ax, "x", [r.wall_mean for r in sub if math.isfinite(r.wall_mean)]
              + [r.wall_mean + _nz(r.wall_std) for r in sub if math.isfinite(r.wall_mean)]
              + [max(r.wall_mean - _nz(r.wall_std), r.wall_mean * 0.5) for r in sub if math.isfinite(r.wall_mean)])
    _log_axis(ax, "y", _y_extent(sub))
    ax.set_xlabel("wall time per run, s (labels: nominal points)")
    ax.set_ylabel("relative L2 error")
    ax.set_title(f"{name}: error vs wall time" + note)
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
    every = [r for r in rows if r.problem == problem and r.samples == samples and r.n_ics is not None]
    sub = [r for r in every if math.isfinite(r.rel_l2_mean)]
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
                           capsize=3, label=_arm_label(label, [r for r in every if r.label == label]),
                           linestyle="--" if variant == MATCHED else "-")
        _mark_failures(ax, x, m, pts)
        tr = np.array([r.train_ics_mean for r in pts])
        if np.all(np.isfinite(tr)):
            ax.plot(x, tr, linestyle=":", marker=markers[k % len(markers)], markersize=3,
                    color=line[0].get_color(), alpha=0.7)
    return [_finish(plt, fig, ax, ics, "training initial conditions",
                    "relative L2 error (solid: test ICs, dotted: training ICs)",
                    f"{problem}, {samples} interior points: error vs training ICs" + _failure_note(every),
                    Path(out_dir) / f"error_vs_ics_{problem}_n{samples}.png")]


def _arm_label(label: str, rows: Sequence[Row]) -> str:
    """A legend entry: the arm, and how many of its runs diverged (if any)."""
    k, n = sum(r.non_finite for r in rows), sum(r.seeds for r in rows)
    return f"{label} ({k}/{n} runs diverged)" if k else label


def _mark_failures(ax, x, y, rows: Sequence[Row]) -> None:
    """Label each point whose mean leaves out diverged runs with "k/n div."."""
    for xi, yi, r in zip(x, y, rows):
        if r.non_finite:
            ax.annotate(f"{r.non_finite}/{r.seeds} div.", (xi, yi), fontsize=7, color="red",
                        xytext=(3, -9), textcoords="offset points")


def _failure_note(rows: Sequence[Row]) -> str:
    """A title line naming the points where every run diverged (nothing to plot there)."""
    gone = [f"{r.label}, n={r.samples}" + ("" if r.n_ics is None else f", {r.n_ics} ICs")
            for r in rows if not math.isfinite(r.rel_l2_mean) and r.seeds]
    if not gone:
        return ""
    more = f" and {len(gone) - 2} more" if len(gone) > 2 else ""
    return "\nall runs diverged (not shown): " + "; ".join(gone[:2]) + more


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
