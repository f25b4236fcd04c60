"""`liepinn demo` step 4: the symmetry group (augmentation) on an IC-conditioned problem."""

from __future__ import annotations

import math

import pytest


@pytest.mark.parametrize("argv, message", [
    (["--group-problem", "heat"], "'heat' has one initial condition; step 4 needs an IC-conditioned problem"),
    (["--group-steps", "0"], "--group-steps must be >= 1"),
])
def test_demo_group_step_bad_arguments_exit_2_before_training(tmp_path, capsys, argv, message):
    from liepinn.cli import main

    assert main(["demo", "--out", str(tmp_path / "d"), *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "d" / "runs").exists()  # refused before step 2 trained anything


@pytest.mark.slow
def test_demo_group_step_trains_plain_and_augment(tmp_path, capsys):
    from liepinn.cli._demo import group_step

    errors = group_step("burgers_sines", tmp_path, steps=20, seeds=2, n_ics=4, samples=64, width=8,
                        options={"n_test_ics": 2, "eval_nx": 32, "eval_nt": 9})
    out = capsys.readouterr().out
    assert set(errors) == {"residual", "augment"}
    for arm in errors.values():
        assert len(arm["in"]) == len(arm["ood"]) == 2
        assert all(math.isfinite(e) and e > 0 for e in arm["in"] + arm["ood"])
    assert "x -> x + eps t, u -> u + eps" in out  # the admitted boost orbit is listed
    assert "out of distribution" in out and "demo budget" in out and "not a claim" in out
    assert "moves lie inside augment's training orbits" in out


def test_compare_help_documents_the_group_arms(capsys):
    from liepinn.cli import main

    with pytest.raises(SystemExit):
        main(["compare", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for words in ("augment (the training ICs plus one IC g.u0", "equivariant (the training ICs plus the consistency",
                  "side held fixed for translations, boosts and shifts, both sides trained for u -> lambda u",
                  "(copies, orbits, weight, hold_source)", "moved out of the family (OOD)",
                  "--orbits ORBITS the orbits of the augment and equivariant arms", "names (translation, "
                  "boost, scaling, shift, reflection", "Each is checked before training", "--copies COPIES moved ICs per "
                  "training IC of the augment and equivariant arms"):
        assert words in text, words
