"""The run assembly: RunSpec (JSON round trip, older settings migrated), strategy objects for
the loss variants, and a variant defined outside liepinn run through a sweep."""

import dataclasses
import json
import os
from pathlib import Path
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
    import csv

    def rows(path):
        with open(path) as f:
            return list(csv.DictReader(f))

    new, old = rows(tmp_path / "summary.csv"), rows(stored / "summary.csv")
    common = sorted(set(new[0]) & set(old[0]))
    assert len(common) >= 8 and "rel_l2_mean" in common
    assert [[r[k] for k in common] for r in new] == [[r[k] for k in common] for r in old]
    assert rep.markdown.exists()


USER_2D = Path(__file__).parent / "data" / "user_problems" / "heat2d_dirichlet.py"


@pytest.mark.slow  # heavy (compiles several programs); default-suite time
def test_a_users_2d_problem_trains_from_its_file_and_reloads_in_a_new_process(tmp_path):
    """`liepinn train FILE.py:problem` on a 2-D heat problem (Dirichlet, exact solution), then
    `load_run(DIR, problem=...)` in a fresh process."""
    import subprocess
    import sys

    out = tmp_path / "run"
    env = dict(os.environ, LIEPINN_TYPECHECK="0")
    cmd = [sys.executable, "-m", "liepinn.cli", "train", f"{USER_2D}:problem", "--width", "16", "--depth", "3",
           "--n-collocation", "512", "--steps", "200", "--lbfgs-steps", "100", "--eval-nx", "16", "--eval-nt", "5",
           "--quiet", "--out", str(out)]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    assert res.returncode == 0, res.stderr
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["rel_l2"] < 0.05 and set(metrics["plots"]) == {"snapshots.png", "loss.png"}
    code = (f"import sys, runpy, numpy as np, liepinn; p = runpy.run_path({str(USER_2D)!r})['problem']; "
            f"r = liepinn.load_run({str(out)!r}, problem=p); "
            "print(r.predict((np.linspace(0, 1, 3), np.linspace(0, 1, 4)), np.array([0.0, 1.0])).shape, "
            "r.metrics['rel_l2'])")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split()[:4] == ["(1,", "3,", "4,", "2)"]


def test_2d_point_sets_and_grids():
    import runpy

    from liepinn.runs._assemble import boundary_faces, evaluation_axes, grid_points, initial_points

    problem = runpy.run_path(str(USER_2D))["problem"]
    ic = initial_points(problem, 100)
    assert ic.shape == (100, 3) and np.all(ic[:, 2] == 0.0)
    faces = boundary_faces(problem, 64)
    assert [i for i, _ in faces] == [0, 0, 1, 1]
    for (i, pts), side in zip(faces, (0, 1, 0, 1)):
        assert np.all(pts[:, i] == side) and pts.shape[1] == 3
    x, y = evaluation_axes(problem, 256)
    assert len(x) == len(y) == 64
    pts = grid_points(problem, (x[:3], y[:4]), np.array([0.0, 0.5]))
    assert pts.shape == (24, 3) and np.all(pts[:2, 0] == x[0]) and np.all(pts[:8, 0] == x[0])




def test_trained_run_at_scattered_points(tmp_path):
    import runpy

    import liepinn

    problem = runpy.run_path(str(USER_2D))["problem"]
    spec = RunSpec(problem="x", recipe=TINY.replace(n_collocation=128), eval_nx=8, eval_nt=3)
    run = liepinn.fit(problem, spec, out=tmp_path / "fit", progress=False, plots=False)
    assert run.spec.problem == "my_heat2d" and np.isfinite(run.metrics["rel_l2"])
    pts = np.array([[0.5, 0.5, 0.0], [0.25, 0.75, 0.0]])
    # the hard constraint: the initial condition exactly at t = 0
    np.testing.assert_allclose(run.at(pts)[0], np.sin(np.pi * pts[:, 0]) * np.sin(np.pi * pts[:, 1]), atol=1e-6)
    with pytest.raises(ValueError, match="points must have shape"):
        run.at(np.zeros((3, 2)))


def test_compute_matched_arm_as_an_object():
    from liepinn.experiments import ComputeMatched, Sweep

    kw = dict(problems=("heat",), samples=(32,), seeds=1, steps=10, lbfgs_steps=0)
    named = Sweep(variants=("residual", "matched"), match="steps", cost=2.0, **kw).expand()
    objects = Sweep(variants=("residual", ComputeMatched(match="steps", cost=2.0)), **kw).expand()
    assert [c.key for c in named] == [c.key for c in objects]
    assert objects[1].steps == 20 and objects[1].loss() == Residual()
    both = Sweep(variants=(ComputeMatched(to="gpinn"), ComputeMatched(to="prolonged", cost=3.0)), **kw).expand()
    assert [(c.matched_to, c.n_collocation) for c in both] == [("gpinn", both[0].n_collocation), ("prolonged", 96)]
    with pytest.raises(ValueError, match="match must be one of"):
        ComputeMatched(match="flops")


@pytest.mark.slow  # heavy (compiles several programs); default-suite time
def test_a_2d_sweep_with_the_symmetry_loss(tmp_path):
    """`liepinn compare FILE.py:problem` on a 2-D problem: soft IC/BC point sets on every face,
    symmetry terms of the 2-D algebra, evaluation against the exact solution."""
    import subprocess
    import sys

    env = dict(os.environ, LIEPINN_TYPECHECK="0")
    cmd = [sys.executable, "-m", "liepinn.cli", "compare", f"{USER_2D}:problem", "--samples", "32", "--seeds", "1",
           "--steps", "10", "--lbfgs-steps", "0", "--width", "8", "--variants", "residual,evolutionary",
           "--generators", "1,2", "--out", str(tmp_path)]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    assert res.returncode == 0, res.stderr
    from liepinn.experiments import ResultStore

    records = {r.config.variant: r for r in ResultStore(tmp_path).records()}
    evo = records["evolutionary"].result
    assert {"sym:v1", "sym:v2", "initial", "boundary"} <= set(evo["final_loss"])
    assert all(np.isfinite(r.rel_l2) for r in records.values())
