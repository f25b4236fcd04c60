"""One set of defaults for single runs: `liepinn train PROBLEM` with no options trains exactly
the `RunSpec` the Python API builds by default (`RunSpec(problem, recipe=RECIPES.get(problem,
Recipe()))`, which is also what `liepinn.fit(problem)` uses), variant by variant. Sweeps
(`liepinn compare`, `Sweep`) keep their own, smaller defaults, recorded in every run key."""

from __future__ import annotations

from pathlib import Path

import pytest

from liepinn.cli import build_parser
from liepinn.cli._train import settings_from_args
from liepinn.losses import GPINN, Prolonged, Residual, Symmetry
from liepinn.runs import RECIPES, Recipe, RunSpec

USER_2D = Path(__file__).parent / "data" / "user_problems" / "heat2d_dirichlet.py"


def _cli(*argv: str) -> RunSpec:
    args = build_parser("train").parse_args(["train", *argv, "--out", "unused"])
    return settings_from_args(args)


@pytest.mark.parametrize("problem", ["heat", "burgers", "heat2d", "allen_cahn2d", f"{USER_2D}:problem"])
def test_the_cli_trains_the_apis_default_run_spec(problem):
    spec = _cli(problem)
    name = spec.problem  # a user's file: its problem's name
    assert spec == RunSpec(name, recipe=RECIPES.get(name, Recipe()))
    assert spec.recipe == (RECIPES["burgers"] if name == "burgers" else Recipe())


@pytest.mark.parametrize("variant, loss", [
    ("residual", Residual()), ("evolutionary", Symmetry()), ("prolonged", Symmetry(form=Prolonged())),
    ("gpinn", GPINN()),
])
def test_the_cli_variants_default_to_the_apis_loss_objects(variant, loss):
    assert _cli("heat", "--variant", variant).loss == loss


def test_fit_uses_the_same_default_spec(tmp_path, monkeypatch):
    """`liepinn.fit(problem)` without a spec trains `RunSpec(problem.name)` (what the CLI
    trains for a problem without its own recipe)."""
    import runpy

    import liepinn
    from liepinn.runs import _directory

    seen = {}
    monkeypatch.setattr(_directory, "train_run", lambda spec, out, **kw: seen.setdefault("spec", spec))
    monkeypatch.setattr(_directory, "load_run", lambda out, problem=None: None)
    problem = runpy.run_path(str(USER_2D))["problem"]
    liepinn.fit(problem, out=tmp_path)
    assert seen["spec"] == _cli(f"{USER_2D}:problem")


def test_the_help_texts_state_the_defaults_that_apply():
    """`liepinn train --help` states the API's defaults; `liepinn compare --help` the sweep's
    (`sweep_defaults`), each figure checked against the code."""
    from liepinn.cli._compare import SWEEP_DEFAULTS
    from liepinn.cli._train import defaults_text
    from liepinn.experiments import sweep_defaults

    text = defaults_text()
    r = Recipe()
    assert f"{r.width} x {r.depth} tanh MLP, {r.n_collocation:,} sobol points" in text
    assert f"{r.steps} Adam steps + {r.second_phase.steps} {type(r.second_phase).__name__} steps" in text and "burgers" in text
    assert "256 x 100 evaluation grid" in text and f"{RunSpec('x').eval_nx} x {RunSpec('x').eval_nt}" in text
    one, family = sweep_defaults("heat"), sweep_defaults("heat_sines")
    assert (one.recipe.width, one.recipe.depth, one.recipe.steps) == (32, 3, 2000)
    assert one.recipe.second_phase.steps == 500 and one.recipe.learning_rate == 1e-3 and one.constraints == "soft"
    assert (family.recipe.width, family.recipe.depth, family.recipe.steps) == (64, 3, 3000)
    assert "a 32 x 3 MLP, 2000 Adam + 500 L-BFGS steps, soft IC/BC terms and a 128 x 65" in SWEEP_DEFAULTS
    assert "a 64 x 3 DeepONet and 3000 Adam steps for a family of ICs" in SWEEP_DEFAULTS
    from liepinn.experiments._spec import DEFAULT_OPTIONS

    assert (DEFAULT_OPTIONS["eval_nx"], DEFAULT_OPTIONS["eval_nt"]) == (128, 65)
    helps = {a.dest: a.help for a in build_parser("compare")._subparsers._group_actions[0].choices["compare"]._actions}
    assert "2000; 3000 for a family" in helps["steps"] and "500" in helps["lbfgs_steps"]
    assert "32; 64 for a family" in helps["width"] and "3)" in helps["depth"] and "1e-3" in helps["lr"]
