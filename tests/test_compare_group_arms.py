"""`liepinn compare` with the group arms (augment, equivariant): a problem that admits none of
their default orbits, or a refused hand-given orbit, is a one-line error before any training;
`--orbits` / `--copies` reach the runs' keys, and the default arms keep theirs."""

from __future__ import annotations

import warnings

import pytest

from liepinn.cli import build_parser, main
from liepinn.losses import Boost, Translation

FISHER_BOX = (
    "from liepinn import PDE, Problem\n"
    "from liepinn.problems import Dirichlet, SineSeries\n"
    "problem = Problem(name='fisher_box_cli', pde=PDE.from_text('u_t = u_xx + u*(1 - u)', independent='x,t', "
    "dependent='u'), domain={'x': (0, 1), 't': (0, 1)}, initial_family=SineSeries(length=1), "
    "boundary=Dirichlet({'u': 0}))\n"
)
TINY = ["--samples", "16", "--seeds", "1", "--n-ics", "2", "--steps", "1", "--lbfgs-steps", "0", "--quiet"]


def _keys(*argv):
    from liepinn.cli._compare import build_sweep

    args = build_parser("compare").parse_args(["compare", "burgers_sines", *TINY, "--out", "unused", *argv])
    return {c.variant: c for c in build_sweep(args).expand()}


def test_a_problem_without_default_orbits_is_refused_before_training(tmp_path, capsys):
    path = tmp_path / "fisher.py"
    path.write_text(FISHER_BOX)
    out = tmp_path / "sweep"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the sines do not vanish on the box: IncompatibleDataWarning
        rc = main(["compare", f"{path}:problem", "--variants", "residual,augment", *TINY, "--out", str(out)])
    err = capsys.readouterr().err
    assert rc == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    for words in ("'fisher_box_cli' admits none of the default orbits", "the augment arm's orbits",
                  "liepinn compare --orbits", "Augment(orbits=(...))"):
        assert words in err, words
    assert not (out / "runs").exists()  # the residual arm did not train either


def test_default_group_arms_keep_their_keys_and_orbits_copies_change_them():
    """The keys of the default arms as before `--orbits` / `--copies` existed (stored sweeps
    resume with nothing retrained); hand-given settings are recorded and give other keys."""
    default = _keys("--variants", "augment,equivariant")
    assert default["augment"].variant_options == (("copies", 1), ("orbits", None))
    assert default["equivariant"].variant_options == (("copies", 1), ("hold_source", "unit-gain"), ("orbits", None),
                                                      ("weight", 1.0))
    copies = _keys("--variants", "augment,equivariant,residual", "--copies", "2")
    assert dict(copies["augment"].variant_options)["copies"] == 2
    assert copies["residual"].key == _keys("--variants", "residual")["residual"].key
    orbits = _keys("--variants", "augment", "--orbits", '{"orbit": "translation", "range": [0, 0.5]}')
    assert dict(orbits["augment"].variant_options)["orbits"] == [{"orbit": "translation", "variable": "x",
                                                                  "range": [0.0, 0.5]}]
    named = _keys("--variants", "augment", "--orbits", "translation,boost")["augment"].loss()
    assert named.orbits == (Translation(), Boost()) and named.copies == 1
    keys = {default["augment"].key, copies["augment"].key, orbits["augment"].key,
            _keys("--variants", "augment", "--orbits", "translation")["augment"].key}
    assert len(keys) == 4


@pytest.mark.parametrize("argv, message", [
    (["--variants", "residual", "--orbits", "translation"], "--orbits and --copies apply to the augment and "
                                                            "equivariant arms; --variants has neither"),
    (["--variants", "augment", "--orbits", "rotation"], "--orbits: unknown orbit 'rotation'; known: boost"),
    (["--variants", "augment", "--orbits", '[{"orbit": "shift"'], "--orbits: not valid JSON"),
    (["--variants", "augment", "--orbits", '{"orbit": "shift", "range": [1, -1]}'], "range must be finite with lo <= hi"),
    (["--variants", "equivariant", "--copies", "0"], "--copies: copies must be an int >= 1, got 0"),
    (["--variants", "augment", "--orbits", "scaling"], "orbit 'u -> eps u' is not a symmetry of 'burgers_sines'"),
])
def test_bad_orbits_and_copies_exit_2_before_training(tmp_path, capsys, argv, message):
    assert main(["compare", "burgers_sines", *TINY, "--out", str(tmp_path / "s"), *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "s" / "runs").exists()
