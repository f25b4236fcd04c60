"""`liepinn train`: the training directory, resume / refuse / overwrite, metrics, bad arguments."""

import csv
import json

import numpy as np
import pytest

from liepinn import cli
from liepinn.runs import Recipe

# tiny settings: a few compiled steps on the periodic heat problem (exact solution known)
TINY = ["--steps", "10", "--lbfgs-steps", "0", "--n-collocation", "32", "--width", "8", "--depth", "2",
        "--log-every", "5", "--eval-nx", "32", "--eval-nt", "9", "--quiet"]


def _main(argv, capsys=None):
    rc = cli.main(argv)
    out = capsys.readouterr() if capsys is not None else None
    return rc, out


def _history(path):
    with open(path) as f:
        return list(csv.DictReader(f))


# the shared run also takes two steps of the default recipe's float64 second phase (float64
# weights, float32 constants)
FIXTURE = [*TINY, "--lbfgs-steps", "2"]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "heat"
    assert cli.main(["train", "heat", *FIXTURE, "--out", str(out)]) == 0
    return out


def test_tiny_run_writes_the_training_directory(tiny_run):
    names = {p.name for p in tiny_run.iterdir()}
    for f in ("config.json", "history.csv", "model.eqx", "metrics.json", "solution.png", "snapshots.png",
              "loss.png"):
        assert f in names, f
    assert not any(n.startswith("checkpoint") for n in names)  # removed once finished
    cfg = json.loads((tiny_run / "config.json").read_text())
    assert cfg["config"]["problem"] == "heat" and cfg["config"]["recipe"]["steps"] == 10
    assert cfg["config"]["problem_id"] and "jax" in cfg["versions"]
    m = json.loads((tiny_run / "metrics.json").read_text())
    assert 0 < m["rel_l2"] < 10 and m["seeds"] == [0] and m["reference"]["kind"] == "exact"
    assert m["per_seed"][0]["rel_l2"] == m["rel_l2"] and isinstance(m["converged"], bool)
    assert m["steps_done"] == 10 and m["lbfgs_steps_done"] == 2 and m["wall_time_s"] > 0
    assert set(m["final"]) == {"total", "residual", "grad_norm"} and m["final"]["grad_norm"] is None
    assert "float64" in m["model_dtypes"]
    rows = _history(tiny_run / "history.csv")
    assert [int(r["step"]) for r in rows] == [0, 5, 10, 12] and {r["seed"] for r in rows} == {"0"}
    second = Recipe().second_phase.name
    assert [r["phase"] for r in rows] == ["adam", "adam", second, second]
    assert float(rows[-1]["total"]) == pytest.approx(m["final"]["total"])
    # the loss went down in 10 Adam steps
    assert float(rows[-1]["total"]) < float(rows[0]["total"])


def test_load_run_rebuilds_the_model_and_reproduces_the_metric(tiny_run):
    from liepinn.runs._assemble import References
    from liepinn.runs._directory import load_run

    run = load_run(tiny_run)
    assert run.seeds == (0,) and run.settings.recipe.width == 8
    x, t, ref = References(tiny_run).get(run.problem, 32, 9)
    pred = run.predict(x, t)
    err = np.linalg.norm(pred - ref) / np.linalg.norm(ref)
    assert err == pytest.approx(run.metrics["rel_l2"], rel=1e-6)


def test_rerun_is_done_and_different_settings_are_refused(tiny_run, capsys):
    before = (tiny_run / "metrics.json").read_text()
    rc, out = _main(["train", "heat", *FIXTURE, "--out", str(tiny_run)], capsys)
    assert rc == 0 and "(stored)" in out.out
    assert (tiny_run / "metrics.json").read_text() == before
    rc, out = _main(["train", "heat", *FIXTURE, "--steps", "5", "--out", str(tiny_run)], capsys)
    assert rc == 2
    assert "different settings" in out.err and "recipe.steps: 10 in the directory, 5 now" in out.err
    assert "--overwrite" in out.err
    assert (tiny_run / "metrics.json").read_text() == before


def test_overwrite_replaces_a_different_run(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    (out / "config.json").write_text(json.dumps({"config": {"problem": "heat", "steps": 3}}))
    (out / "notes.txt").write_text("mine")
    rc, res = _main(["train", "heat", *TINY, "--steps", "5", "--out", str(out)], capsys)
    assert rc == 2 and "different settings" in res.err
    rc, res = _main(["train", "heat", *TINY, "--steps", "5", "--no-plots", "--out", str(out), "--overwrite"], capsys)
    assert rc == 0, res.err
    m = json.loads((out / "metrics.json").read_text())
    assert m["steps_done"] == 5 and "plots" not in m
    assert (out / "notes.txt").read_text() == "mine"  # only our own files are replaced


def test_interrupted_run_resumes_to_the_uninterrupted_result(tmp_path, monkeypatch, capsys):
    from liepinn.runs import _directory as _rundir

    args = ["train", "heat", *TINY, "--steps", "20", "--checkpoint-every", "5", "--no-plots"]
    assert cli.main([*args, "--out", str(tmp_path / "whole")]) == 0
    original = _rundir._train

    def interrupted(*a, **kw):
        original(*a, stop_at=10, **kw)
        raise KeyboardInterrupt

    monkeypatch.setattr(_rundir, "_train", interrupted)
    assert cli.main([*args, "--out", str(tmp_path / "cut")]) == 130
    assert (tmp_path / "cut" / "checkpoint.eqx").exists() and not (tmp_path / "cut" / "metrics.json").exists()
    monkeypatch.setattr(_rundir, "_train", original)
    capsys.readouterr()
    rc, res = _main([*args, "--out", str(tmp_path / "cut")], capsys)
    assert rc == 0
    m = json.loads((tmp_path / "cut" / "metrics.json").read_text())
    assert m["status"] == "resumed"
    whole = _history(tmp_path / "whole" / "history.csv")
    cut = _history(tmp_path / "cut" / "history.csv")
    assert [(r["step"], r["total"]) for r in cut] == [(r["step"], r["total"]) for r in whole]
    assert m["rel_l2"] == json.loads((tmp_path / "whole" / "metrics.json").read_text())["rel_l2"]


def test_evolutionary_symmetry_soft_constraints_two_seeds_report_every_term(tmp_path):
    out = tmp_path / "sym"
    argv = ["train", "heat", *TINY, "--symmetry", "evolutionary", "--generators", "1,4", "--seeds", "2",
            "--constraints", "soft", "--n-initial", "16", "--no-plots", "--out", str(out)]
    assert cli.main(argv) == 0
    m = json.loads((out / "metrics.json").read_text())
    terms = {"total", "residual", "sym:v1", "sym:v4", "initial", "grad_norm"}
    assert set(m["final"]) == terms
    assert m["seeds"] == [0, 1] and len(m["per_seed"]) == 2
    assert all(set(s["final"]) == terms for s in m["per_seed"])
    assert m["rel_l2"] == pytest.approx(np.mean([s["rel_l2"] for s in m["per_seed"]]))
    assert m["rel_l2_std"] > 0  # different seeds, different networks
    assert [g["name"] for g in m["loss"]["generators"]] == ["v1", "v4"]
    rows = _history(out / "history.csv")
    assert {r["seed"] for r in rows} == {"0", "1"} and set(terms) <= set(rows[0])
    from liepinn.runs._directory import load_run

    run = load_run(out)
    assert run.predict([0.0, 0.5], [0.0, 1.0], k=1).shape == (1, 2, 2)


def test_hard_constraint_holds_exactly_for_burgers():
    import jax.numpy as jnp
    import jax.random as jr

    from liepinn.cli._train import settings_from_args
    from liepinn.runs import assemble

    args = cli.build_parser("train").parse_args(["train", "burgers", "--width", "8", "--depth", "2",
                                                           "--out", "unused"])
    setup = assemble(None, settings_from_args(args))
    model = setup.make_model(jr.PRNGKey(3))
    x = jnp.linspace(-1.0, 1.0, 11)
    ic = model(jnp.stack([x, jnp.zeros_like(x)], 1))[:, 0]
    assert np.allclose(ic, -np.sin(np.pi * np.asarray(x)), atol=1e-6)
    t = jnp.linspace(0.0, 0.99, 7)
    for end in (-1.0, 1.0):
        assert np.allclose(model(jnp.stack([jnp.full_like(t, end), t], 1)), 0.0, atol=1e-6)
    assert set(setup.data) == {"interior"}  # no initial/boundary terms left


def test_recipe_passes_its_train_options_to_train(monkeypatch):
    from liepinn.runs import _recipe

    seen = {}

    def fake_train(loss_fn, model, data, *, key, **kw):
        seen.update(kw)

    monkeypatch.setattr(_recipe, "train", fake_train)
    recipe = _recipe.RECIPES["burgers"].replace(steps=7, adam_float64=True, max_time=5.0)
    recipe.train(None, None, None, key=0)
    assert recipe.train_options() == seen
    assert seen["steps"] == 7 and seen["dtype"] == "float64" and seen["max_time"] == 5.0


@pytest.mark.parametrize(
    "argv, message",
    [
        (["nosuch"], "not in the catalogue"),
        (["heat", "--seeds", "0"], "--seeds must be >= 1"),
        (["heat", "--weight", "2"], "--weight applies to"),
        (["heat", "--generators", "1"], "--generators applies to"),
        (["heat", "--variant", "gpinn", "--symmetry", "evolutionary"], "disagree"),
        (["heat", "--symmetry", "evolutionary", "--generators", "9"], "out of range"),
        (["heat", "--symmetry", "prolonged", "--generators", "a,b"], "1-based numbers"),
        (["heat", "--steps", "-1"], "--steps must be >= 0"),
        (["heat", "--steps", "0", "--lbfgs-steps", "0"], "nothing to train"),
        (["heat", "--n-collocation", "0"], "--n-collocation must be >= 1"),
        (["heat", "--lr", "0"], "--learning-rate must be > 0"),
        (["heat_sines"], "family of initial conditions"),
        (["heat", "--reference", "/nonexistent/ref.npz"], "not found"),
        (["heat", "--recipe", "nosuch"], "--recipe 'nosuch' unknown"),
    ],
)
def test_bad_arguments_exit_2_with_a_clear_message(tmp_path, capsys, argv, message):
    out = tmp_path / "never"
    rc, res = _main(["train", *argv, "--quiet", "--out", str(out)], capsys)
    assert rc == 2
    assert message in res.err and "Traceback" not in res.err
    assert not out.exists()


def test_train_list_says_which_entries_train_and_why_not(capsys):
    from liepinn.cli._train import trainable
    from liepinn.problems import list_entries

    rows = dict(trainable())
    assert sorted(rows) == sorted(list_entries())
    assert all(why is None or len(why) > 10 for why in rows.values())
    for name in ("heat", "burgers", "heat2d"):
        assert rows[name] is None, (name, rows[name])
    assert "liepinn compare" in rows["heat_sines"]
    rc, res = _main(["train", "--list"], capsys)
    assert rc == 0 and "heat2d" in res.out and "trains" in res.out


def test_every_listed_problem_that_trains_runs_a_step(tmp_path):
    """Each entry that `--list` says trains gets through assembly and one Adam step."""
    import jax.random as jr

    from liepinn.cli._train import trainable
    from liepinn.runs import Recipe, RunSpec, assemble
    from liepinn.train import train

    recipe = Recipe(width=4, depth=1, n_collocation=16, steps=1, second_phase=None, log_every=1)
    for name, why in trainable():
        if why is not None:
            continue
        a = assemble(None, RunSpec(name, recipe=recipe))
        key = jr.PRNGKey(0)
        res = train(a.loss_fn, a.make_model(key), a.data, key=key, **recipe.train_options())
        assert np.isfinite(float(res.history["total"][-1])), name


def test_none_lifts_a_recipe_limit():
    """`--max-time none` removes the Burgers recipe's 570 s guard (not given: the recipe's value)."""
    from liepinn.cli._train import settings_from_args

    def recipe(*extra):
        args = cli.build_parser("train").parse_args(["train", "burgers", "--out", "unused", *extra])
        return settings_from_args(args).recipe

    assert recipe().max_time == 570.0
    assert recipe("--max-time", "none").max_time is None
    assert recipe("--max-time", "60").max_time == 60.0
    assert recipe("--refinement", "none").refinement is None
