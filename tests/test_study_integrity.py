"""Study integrity, the report's side: diverged runs count as failures in every table, test and
plot; measured wall times stand beside errors, with how close the compute match came."""

from __future__ import annotations

import math

import pytest

from liepinn.experiments import write_report


def _record(variant: str, seed: int, err: float, wall: float = 2.0, samples: int = 100, **kw):
    from liepinn.experiments import RunConfig, RunRecord

    c = RunConfig(problem="toy", samples=samples, n_collocation=kw.pop("n_collocation", samples),
                  variant=variant, seed=seed, steps=10, lbfgs_steps=0, lr=1e-3, **kw)
    diverged = not math.isfinite(err)
    return RunRecord(c, {"rel_l2": err, "wall_time_s": math.nan if diverged else wall,
                         "converged": not diverged, **({"diverged": True} if diverged else {})})


def _arm(variant, errors, wall=2.0, **kw):
    return [_record(variant, s, e, wall * (1 + 0.01 * s), **kw) for s, e in enumerate(errors)]


NAN = math.nan


def test_diverged_seeds_are_failures_not_dropped(tmp_path):
    """The arm's finite runs are 10x better, but 2 of its 5 seeds diverged. Dropping them (the
    old report) gave a Welch 'significantly better'; counted as worst, the ranks say no."""
    from liepinn.experiments._report import SignificanceTest

    recs = (_arm("residual", [1e-2 * (1 + 0.05 * s) for s in range(5)])
            + _arm("evolutionary", [1e-3, 1.1e-3, 1.2e-3, NAN, NAN]))
    rep = write_report(recs, tmp_path, plots=False)
    row = next(r for r in rep.rows if r.variant == "evolutionary")
    assert row.non_finite == 2 and row.seeds == 5 and row.diverged == "2/5 diverged"
    assert row.rel_l2_mean == pytest.approx(1.1e-3)
    assert row.rel_l2_median == 1.2e-3  # the 3rd of 5, the diverged ones last
    (c,) = rep.comparisons
    assert c.test is SignificanceTest.MANN_WHITNEY and c.failures == (2, 0) and c.seeds == (5, 5)
    assert not c.significant and c.prob_lower == pytest.approx(0.6) and c.fails_more
    assert "| 100 | evolutionary | 5 | 2/5 |" in rep.text and "| 100 | residual | 5 | 0/5 |" in rep.text
    assert "evolutionary at n=100: 2/5 diverged" in rep.text and "| 2/5, 0/5 |" in rep.text
    assert "yes, better" not in rep.text and "has lower error" not in rep.text
    csv_rows = _csv(rep.csv)
    assert [r["non_finite"] for r in csv_rows] == ["0", "2"]
    assert [r["diverged"] for r in _csv(rep.runs_csv)].count("True") == 2


def test_an_arm_that_always_diverges_is_compared_and_worse(tmp_path):
    recs = _arm("residual", [1e-2 * (1 + 0.05 * s) for s in range(5)]) + _arm("gpinn", [NAN] * 5)
    rep = write_report(recs, tmp_path)
    (c,) = rep.comparisons  # the old report skipped an arm with no finite run
    assert c.significant and not c.better and math.isnan(c.ratio) and c.p_value < 0.01
    assert "**yes, worse**" in rep.text and "gpinn has higher error than residual" in rep.text
    assert "| n/a | Mann-Whitney |" in rep.text
    assert len(rep.plots) == 2  # the plain arm is plotted; the title names the missing one


def test_significantly_better_but_diverged_more_often_says_so(tmp_path):
    recs = (_arm("residual", [1e-2 * (1 + 0.03 * s) for s in range(8)])
            + _arm("evolutionary", [1e-3 * (1 + 0.03 * s) for s in range(7)] + [NAN]))
    rep = write_report(recs, tmp_path, plots=False)
    (c,) = rep.comparisons
    assert c.significant and c.better and c.fails_more and c.p_value < 0.05
    assert "**yes, better** but diverged more often" in rep.text
    assert "note: evolutionary diverged more often" in rep.text
    assert "diverged: evolutionary 1/8, residual 0/8" in rep.text


def test_no_failures_keep_the_welch_test():
    from liepinn.experiments._report import SignificanceTest, compare_arms, summarise

    spread = [1 + 0.05 * s for s in range(3)]
    recs = _arm("residual", [1e-2 * x for x in spread]) + _arm("evolutionary", [1e-3 * x for x in spread])
    (c,) = compare_arms(summarise(recs))
    assert c.test is SignificanceTest.WELCH and c.failures == (0, 0) and c.significant and c.better


def test_wall_time_beside_error_and_how_close_the_compute_match_came(tmp_path):
    match = dict(match="points", matched_to="evolutionary", cost_model="derivatives", cost_ratio=2.5,
                 n_collocation=250)
    recs = (_arm("residual", [1e-2] * 3, wall=1.0) + _arm("evolutionary", [5e-3] * 3, wall=2.0)
            + _arm("matched", [8e-3] * 3, wall=1.24, **match))
    rep = write_report(recs, tmp_path, plots=False)
    by = {r.variant: r for r in rep.rows}
    assert by["matched"].wall_vs_matched == pytest.approx(0.62)
    assert by["evolutionary"].wall_vs_residual == pytest.approx(2.0)
    assert math.isnan(by["residual"].wall_vs_matched)
    assert "matched (points x2.5 of evolutionary) took 0.62x the wall time of evolutionary" in rep.text
    assert "(recorded cost ratio 2.5; 1.00x is an exact match)" in rep.text
    assert "| wall time / residual's |" in rep.text and "| 2.00x |" in rep.text
    rows = {r["variant"]: r for r in _csv(rep.csv)}
    assert float(rows["matched"]["wall_vs_matched_to"]) == pytest.approx(0.62)
    assert rows["matched"]["matched_to"] == "evolutionary"


def test_plots_show_failures(tmp_path, monkeypatch):
    import matplotlib
    import matplotlib.pyplot as plt

    seen = []
    real = matplotlib.figure.Figure.savefig

    def spy(fig, path, *a, **kw):
        ax = fig.axes[0]
        seen.append((ax.get_title(), [t.get_text() for t in ax.get_legend().get_texts()],
                     [t.get_text() for t in ax.texts]))
        return real(fig, path, *a, **kw)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", spy)
    recs = (_arm("residual", [1e-2, 1.1e-2, 1.2e-2]) + _arm("evolutionary", [1e-3, NAN, 1.2e-3])
            + _arm("gpinn", [NAN] * 3)
            + _arm("residual", [5e-3] * 3, samples=200) + _arm("evolutionary", [5e-4] * 3, samples=200))
    write_report(recs, tmp_path)
    (samples_title, legend, texts), (wall_title, _, _) = seen
    assert "evolutionary (1/6 runs diverged)" in legend and "residual" in legend
    assert "1/3 div." in texts
    assert "all runs diverged (not shown): gpinn, n=100" in samples_title
    assert "all runs diverged" in wall_title
    plt.close("all")


def _csv(path):
    import csv

    with open(path) as f:
        return list(csv.DictReader(f))


def test_ic_conditioned_rows_report_training_and_out_of_distribution_errors(tmp_path):
    from liepinn.experiments import RunConfig, RunRecord

    recs = [RunRecord(RunConfig(problem="toy", samples=100, n_collocation=100, variant="residual", seed=s,
                                steps=10, lbfgs_steps=0, lr=1e-3, n_ics=4),
                      {"rel_l2": 0.2, "wall_time_s": 1.0, "converged": True,
                       "rel_l2_fields": {"train_ics": 0.05, "ood": 0.9 + 0.1 * s}}) for s in range(3)]
    rep = write_report(recs, tmp_path, plots=False)
    assert rep.rows[0].ood_mean == pytest.approx(1.0) and rep.rows[0].train_ics_mean == pytest.approx(0.05)
    assert "| on training ICs | out of distribution (moved test ICs) |" in rep.text
    assert "| 1 ± 0.1 | 1 ± 0 | 1.00x |" in rep.text
    assert float(_csv(rep.csv)[0]["ood_mean"]) == pytest.approx(1.0)


def test_significance_of_raw_per_seed_errors():
    """The statistic for studies with their own tables: NaN is a diverged run, ranked worst."""
    from liepinn.experiments import SignificanceTest, significance

    good, bad = [1e-2 * (1 + 0.05 * s) for s in range(5)], [1e-3, 1.1e-3, 1.2e-3, NAN, NAN]
    test, p, lower = significance(bad, good)
    assert test is SignificanceTest.MANN_WHITNEY and p > 0.05 and lower == pytest.approx(0.6)
    test, p, lower = significance([e / 10 for e in good], good)
    assert test is SignificanceTest.WELCH and p < 0.01 and lower == 1.0
    assert math.isnan(significance([1.0, 2.0], [3.0, 4.0])[1])  # too few seeds
    with pytest.raises(ValueError, match="at least one run per arm"):
        significance([], good)


@pytest.mark.parametrize("where", ["ood", "train_ics", "drift"])
def test_a_run_finite_in_distribution_but_not_elsewhere_is_a_failure(tmp_path, where):
    """A run whose error in distribution is finite but whose OOD error (or training-IC error, or
    drift) is NaN diverged: it is counted and ranked worst, not left out of that metric's mean."""
    from liepinn.experiments import RunConfig, RunRecord, run_diverged
    from liepinn.experiments._report import SignificanceTest

    def rec(variant, s, bad):
        value = "nan" if bad else 0.5 * (1 + 0.05 * s)  # as the store writes a NaN
        fields = {"train_ics": 0.1, "ood": 0.9 + 0.01 * s}
        drift = {"max": 0.01}
        if where == "drift":
            drift["max"] = value
        else:
            fields[where] = value
        return RunRecord(RunConfig(problem="toy", samples=100, n_collocation=100, variant=variant, seed=s,
                                   steps=10, lbfgs_steps=0, lr=1e-3, n_ics=4),
                         {"rel_l2": 0.2 * (1 + 0.05 * s) / (10 if variant == "evolutionary" else 1),
                          "wall_time_s": 1.0, "converged": True, "rel_l2_fields": fields,
                          "conservation_drift": drift})

    recs = [rec("residual", s, False) for s in range(5)] + [rec("evolutionary", s, s >= 3) for s in range(5)]
    assert [run_diverged(r) for r in recs[5:]] == [False, False, False, True, True]
    rep = write_report(recs, tmp_path, plots=False)
    row = next(r for r in rep.rows if r.variant == "evolutionary")
    assert row.non_finite == 2 and "| 100 | evolutionary | 5 | 2/5 |" in rep.text
    assert row.rel_l2_mean == pytest.approx(0.021)  # the three healthy runs, every metric alike
    assert {"ood": row.ood_mean, "train_ics": row.train_ics_mean, "drift": row.drift_mean}[where] == \
        pytest.approx(0.5 * 1.05)
    (c,) = rep.comparisons  # 10x better in distribution, but 2 of 5 runs failed: not "better"
    assert c.test is SignificanceTest.MANN_WHITNEY and c.failures == (2, 0) and not c.significant
    assert [r["diverged"] for r in _csv(rep.runs_csv)].count("True") == 2
    assert not run_diverged(RunRecord(recs[0].config, {"rel_l2": 0.1}))  # metrics not recorded: absent, not failed
