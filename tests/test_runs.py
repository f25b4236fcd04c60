"""The run assembly: RunSpec (JSON round trip, older settings migrated), strategy objects for
the loss variants, and a variant defined outside liepinn run through a sweep."""

import dataclasses
import json
from typing import ClassVar

import numpy as np
import pytest

from liepinn.losses import (
    GPINN,
    AbstractVariant,
    CoefficientScale,
    Evolutionary,
    InitialBalance,
    NoScaling,
    Prolonged,
    Residual,
    Symmetry,
)
from liepinn.runs import Recipe, RunSpec

TINY = Recipe(width=8, depth=2, n_collocation=32, steps=20, second_phase=None, log_every=10)


@pytest.mark.parametrize("loss", [
    Residual(),
    Symmetry(),
    Symmetry(form=Prolonged(), generators=(1, 4), weight=0.5, normaliser=NoScaling()),
    GPINN(weight=0.1, normaliser=CoefficientScale()),
])
def test_run_spec_roundtrips_through_json(loss):
    spec = RunSpec(problem="heat", recipe=TINY, loss=loss, seeds=(0, 3), constraints="soft")
    text = json.dumps(spec.to_json())
    back = RunSpec.from_json(json.loads(text))
    assert back == spec and back.loss == loss and type(back.loss) is type(loss)


def test_strategy_objects_parse_their_names_and_reject_bad_ones():
    s = Symmetry(form="prolonged", normaliser="coefficients", generators="2,1")
    assert s.form == Prolonged() and s.normaliser == CoefficientScale() and s.generators == (1, 2)
    assert Symmetry().form == Evolutionary() and Symmetry().normaliser == InitialBalance()
    with pytest.raises(ValueError, match="form must be one of"):
        Symmetry(form="sideways")
    with pytest.raises(ValueError, match="normaliser must be one of"):
        GPINN(normaliser="largest")
    with pytest.raises(ValueError, match="weight must be"):
        GPINN(weight=-1.0)
    with pytest.raises(ValueError, match="generators must be"):
        Symmetry(generators="0,2")
    with pytest.raises(TypeError, match="loss must be a liepinn.losses variant"):
        RunSpec(problem="heat", loss="evolutionary")


def test_settings_of_an_older_training_directory_are_migrated():
    old = {"problem": "burgers", "recipe": Recipe().to_json(), "variant": "evolutionary", "generators": "1,2",
           "weight": 2.0, "normaliser": None, "seeds": [0], "constraints": "hard", "n_initial": 128,
           "n_boundary": 64, "ic_weight": 1.0, "bc_weight": 1.0, "harmonics": 4, "eval_nx": 256, "eval_nt": 100,
           "reference": None, "checkpoint_every": 1000, "problem_id": None}
    spec = RunSpec.from_json(old)
    assert spec.loss == Symmetry(form=Evolutionary(), generators=(1, 2), weight=2.0, normaliser=InitialBalance())
    assert RunSpec.from_json(dict(old, variant="residual", generators=None, weight=None)).loss == Residual()


def test_sweep_records_of_built_in_objects_equal_the_named_ones():
    from liepinn.experiments import Sweep

    kw = dict(problems=("heat",), samples=(32,), seeds=1, steps=5, lbfgs_steps=0)
    named = Sweep(variants=("residual", "evolutionary", "gpinn"), **kw).expand()
    objects = Sweep(variants=(Residual(), Symmetry(), GPINN()), **kw).expand()
    assert [c.key for c in named] == [c.key for c in objects]
    assert [c.loss() for c in objects] == [Residual(), Symmetry(), GPINN()]


@dataclasses.dataclass(frozen=True)
class ScaledResidual(AbstractVariant):
    """A variant defined outside liepinn: the residual term times `factor`."""

    factor: float = 3.0
    name: ClassVar[str] = "test-scaled-residual"

    def interior_loss(self, problem):
        from liepinn.losses import PINNLoss

        return PINNLoss(problem.pde, (), normalisation="none", residual_weight=self.factor,
                        parameter_values={k: float(v) for k, v in problem.parameters.items()})


def test_a_variant_defined_outside_the_package_runs_through_a_sweep(tmp_path):
    from liepinn.experiments import ResultStore, Sweep, run_sweep

    sweep = Sweep(problems=("heat",), samples=(32,), seeds=1, variants=("residual", ScaledResidual(factor=3.0)),
                  steps=20, lbfgs_steps=0, width=8, depth=2, options={"eval_nx": 32, "eval_nt": 9, "log_every": 10})
    out = run_sweep(sweep, tmp_path, progress=None)
    assert out.trained == 2
    by = {r.config.variant: r for r in out.records}
    mine = by["test-scaled-residual"]
    assert mine.config.loss() == ScaledResidual(factor=3.0) and "factor=3.0" in mine.config.label
    assert mine.result["loss"]["residual_weight"] == 3.0
    # the same seed and points: the loss is 3x the plain residual's at step 0 (before any update
    # the networks are identical), and training differs afterwards
    assert 0 < mine.rel_l2 < 10 and mine.rel_l2 != by["residual"].rel_l2
    # stored, reloaded and skipped on a rerun
    again = run_sweep(sweep, tmp_path, progress=None)
    assert again.trained == 0 and again.skipped == 2
    assert ResultStore(tmp_path).read(mine.key).config.variant_options == (("factor", 3.0),)


def test_one_assembly_for_train_and_sweeps():
    """The sweep runner and `liepinn train` build the same loss and data from equal specs."""
    import jax.random as jr

    from liepinn.experiments import Sweep
    from liepinn.runs import assemble

    config = Sweep(problems=("heat",), samples=(32,), seeds=1, variants=("evolutionary",), steps=5,
                   lbfgs_steps=0, width=8, depth=2).expand()[0]
    spec = config.spec()
    a, b = assemble(None, spec), assemble(None, RunSpec.from_json(spec.to_json()))
    key = jr.PRNGKey(0)
    pts = a.data["interior"].init(key)
    ta, tb = a.loss_fn(a.make_model(key), {**a.data, "interior": pts}), b.loss_fn(b.make_model(key), {**b.data, "interior": pts})
    np.testing.assert_array_equal(np.asarray(ta[0]), np.asarray(tb[0]))
    assert set(ta[1]) == {"residual", "initial"} | {f"sym:v{k}" for k in range(1, 7)}  # periodic: no boundary term


@pytest.mark.parametrize("name", ["heat_residual", "heat_evolutionary"])
def test_training_directories_written_before_runspec_still_load(name, tmp_path):
    """Directories of `liepinn train` from before RunSpec (format 1, commit df9b446): their settings
    are migrated and the stored model reproduces the stored error on the stored grid."""
    import shutil
    from pathlib import Path

    from liepinn.runs import load_run

    src = Path(__file__).parent / "data" / "legacy_runs" / name
    shutil.copytree(src, tmp_path / name)
    run = load_run(tmp_path / name)
    assert run.spec.problem == "heat" and run.spec.recipe.width == 8
    if name == "heat_evolutionary":
        assert run.spec.loss == Symmetry(form=Evolutionary(), generators=(1, 2), weight=1.0,
                                         normaliser=InitialBalance())
    else:
        assert run.spec.loss == Residual()
    from liepinn.runs import References

    x, t, ref, _ = run.assembly.reference(References(None))
    from liepinn.runs._assemble import rel_l2

    assert rel_l2(run.predict(x, t), ref) == pytest.approx(run.metrics["rel_l2"], rel=1e-9)


def test_a_sweep_stored_before_runspec_loads_and_reports_the_same(tmp_path):
    """examples/results/heat_weights (written at commit e883781): every record loads, keeps its key,
    converts to a RunSpec, and the regenerated summary table equals the committed one."""
    from pathlib import Path

    from liepinn.experiments import ResultStore, write_report

    stored = Path(__file__).parents[1] / "examples" / "results" / "heat_weights"
    records = ResultStore(stored).records()
    assert len(records) == 39
    for r in records:
        assert r.config.key == r.key and r.config.spec().problem == "heat"
    rep = write_report(records, tmp_path)
    assert (tmp_path / "summary.csv").read_text() == (stored / "summary.csv").read_text()
    assert rep.markdown.exists()
