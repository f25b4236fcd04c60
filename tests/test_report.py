"""Honest small-sample reports: fake `RunRecord`s, no training."""

import math

import matplotlib
import numpy as np
import pytest

from liepinn.experiments import RunConfig, RunRecord
from liepinn.experiments._report import MIN_SEEDS, compare_arms, log_ticks, summarise, write_report

matplotlib.use("Agg", force=True)


def records(seeds: int, samples=(100,), errors=None) -> list[RunRecord]:
    """residual and evolutionary arms; evolutionary 10x better with a 5% spread over seeds."""
    errors = errors or {"residual": 1e-2, "evolutionary": 1e-3}
    out = []
    for n in samples:
        for variant, err in errors.items():
            for seed in range(seeds):
                c = RunConfig(problem="toy", samples=n, n_collocation=n, variant=variant, seed=seed, steps=10,
                              lbfgs_steps=0, lr=1e-3)
                out.append(RunRecord(c, {"rel_l2": err * (1 + 0.05 * seed) * (100 / n) ** 0.5,
                                         "wall_time_s": 2.0 + 0.1 * seed, "converged": True}))
    return out


def test_two_seeds_make_no_significance_statement(tmp_path):
    rep = write_report(records(2), tmp_path, plots=False)
    (c,) = rep.comparisons
    assert c.too_few_seeds and not c.significant and math.isnan(c.p_value) and c.seeds == (2, 2)
    assert c.ratio == pytest.approx(0.1)
    assert "yes, worse" not in rep.text and "yes, better" not in rep.text
    assert f"too few seeds (2 and 2; need {MIN_SEEDS} per arm)" in rep.text
    assert "Too few seeds for a significance statement" in rep.text
    assert "exceeds the seed-to-seed spread" not in rep.text


def test_three_seeds_are_tested():
    (c,) = compare_arms(summarise(records(3)))
    assert not c.too_few_seeds and c.significant and c.p_value < 0.05 and c.intervals_overlap is False


def test_one_seed_shows_no_zero_spread(tmp_path):
    rep = write_report(records(1), tmp_path, plots=False)
    assert "± 0" not in rep.text and "disjoint" not in rep.text
    assert "0.01 (one run)" in rep.text and "n/a (one run)" in rep.text
    (row, _) = rep.rows
    assert math.isnan(row.rel_l2_std)
    (c,) = rep.comparisons
    assert c.intervals_overlap is None and c.too_few_seeds


def test_mixed_seed_counts_say_which_comparisons_were_not_tested(tmp_path):
    recs = records(3, samples=(100,)) + records(1, samples=(400,))
    rep = write_report(recs, tmp_path, plots=False)
    assert [c.too_few_seeds for c in rep.comparisons] == [False, True]
    assert "on 1 of 2 comparisons" in rep.text
    assert "evolutionary has lower error than residual" in rep.text


def test_log_ticks_label_at_least_two_values():
    assert log_ticks(1e-4, 1e-1) == pytest.approx([1e-4, 1e-3, 1e-2, 1e-1])
    assert log_ticks(3e-3, 4e-2) == pytest.approx([5e-3, 1e-2, 2e-2])  # about one decade: 1-2-5
    assert len(log_ticks(1.1e-3, 1.9e-3)) >= 2  # well inside one decade
    assert len(log_ticks(1.21e-3, 1.22e-3)) >= 2
    with pytest.raises(ValueError, match="0 < lo <= hi"):
        log_ticks(0.0, 1.0)




def test_plots_with_one_sample_count_keep_points_inside_and_label_axes(tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    seen = []
    real_savefig = matplotlib.figure.Figure.savefig

    def spy(fig, path, *a, **kw):
        fig.canvas.draw()
        seen.append([(ax.get_xlim(), ax.get_ylim(),
                      [t.get_text() for t in ax.get_xticklabels() if t.get_text()],
                      [t.get_text() for t in ax.get_yticklabels() if t.get_text()],
                      [np.asarray(ln.get_xdata(), float) for ln in ax.get_lines()],
                      [np.asarray(ln.get_ydata(), float) for ln in ax.get_lines()]) for ax in fig.axes])
        return real_savefig(fig, path, *a, **kw)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", spy)
    rep = write_report(records(3, samples=(500,)), tmp_path)
    assert len(rep.plots) == 2 and all(p.read_bytes()[:4] == b"\x89PNG" for p in rep.plots)
    for (xlim, ylim, xlabels, ylabels, xs, ys) in (axes[0] for axes in seen):
        data_x = np.concatenate([x for x in xs if x.size])
        data_y = np.concatenate([y for y in ys if y.size])
        # every point well inside the axes (in log coordinates, at least 5% from each edge)
        for lim, data in ((xlim, data_x), (ylim, data_y)):
            lo, hi = np.log10(lim)
            frac = (np.log10(data) - lo) / (hi - lo)
            assert frac.min() > 0.05 and frac.max() < 0.95, (lim, data)
        assert len(ylabels) >= 2, ylabels  # errors within one decade still carry numbers
        assert len(xlabels) >= 1
    assert "500" in seen[0][0][2]
    plt.close("all")
