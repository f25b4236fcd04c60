"""Snapshots of a run in three space dimensions."""

import numpy as np


def test_3d_snapshots_cut_through_the_middle_of_the_third_axis(tmp_path):
    """The snapshots of a 3-D run are (x, y) maps at the middle z (labelled), not a y-cut."""
    from liepinn.runs._plots import middle_slice, plot_slices_2d

    axes = (np.linspace(0, 1, 4), np.linspace(0, 2, 5), np.linspace(0, 3, 7))
    t = np.array([0.0, 1.0])
    X, Y, Z, T = np.meshgrid(*axes, t, indexing="ij")
    ref = X + 10 * Y + 100 * Z + T
    pred, cut, label = middle_slice(axes, ref + 1, ref, ("x", "y", "z"))
    assert pred.shape == (4, 5, 2) and label == "z = 1.5"
    np.testing.assert_allclose(cut, (X + 10 * Y + 100 * 1.5 + T)[:, :, 3])
    plot_slices_2d(axes, t, (ref + 1)[None], ref[None], tmp_path / "s.png", space=("x", "y", "z"), title="run")
    assert (tmp_path / "s.png").stat().st_size > 0
