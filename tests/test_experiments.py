"""Sweeps, the crash-safe result store and the reports (liepinn.experiments)."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from liepinn.experiments import (
    ResultStore,
    RunConfig,
    Sweep,
    compare_arms,
    run_sweep,
    summarise,
    write_report,
)

ROOT = Path(__file__).resolve().parents[1]


# A fake runner: a deterministic function of the config (no training), so store/report logic
# is tested in milliseconds. Errors fall with the number of points; "evolutionary" is better.
FAKE_RUNNER = '''
import hashlib, time
def fake_runner(configs, delay=0.0):
    out = []
    for c in configs:
        h = int(hashlib.sha256(c.key.encode()).hexdigest()[:8], 16) / 16**8
        base = {"residual": 1.0, "prolonged": 1.0, "evolutionary": 0.3, "gpinn": 0.6, "matched": 0.8}[c.variant]
        err = base * (c.samples / 100.0) ** -0.5 * (1 + 0.1 * h)
        out.append({"rel_l2": err, "wall_time_s": 1.0 + c.n_collocation / 1000 + 0.1 * h,
                    "converged": h > 0.1})
    time.sleep(delay)
    return out
'''
_ns: dict = {}
exec(FAKE_RUNNER, _ns)
fake_runner = _ns["fake_runner"]


def small_sweep(**kw) -> Sweep:
    args = dict(problems=("toy",), samples=(100, 200, 400), seeds=3,
                variants=("residual", "evolutionary", "gpinn", "matched"), cost=2.5, steps=10,
                lbfgs_steps=0)
    args.update(kw)
    return Sweep(**args)


def stored(path) -> dict[str, float]:
    return {r.key: r.rel_l2 for r in ResultStore(path).records()}


# ------------------------------------------------------------------------------------------
# spec


def test_expand_grid_and_matched_arm():
    sweep = small_sweep(weights=(0.1, 1.0), normalisers=("coefficients", "none"))
    runs = sweep.expand()
    by_variant = {v: [c for c in runs if c.variant == v] for v in sweep.variants}
    # residual: 3 samples x 3 seeds; evolutionary and gpinn: x 2 weights x 2 normalisers
    assert len(by_variant["residual"]) == 9
    assert len(by_variant["evolutionary"]) == 36
    assert len(by_variant["gpinn"]) == 36
    assert {c.normaliser for c in by_variant["gpinn"]} == {"coefficients", "none"}
    assert all(c.weight is None and c.normaliser is None for c in by_variant["residual"] + by_variant["matched"])
    matched = by_variant["matched"]
    assert len(matched) == 9
    assert all(c.n_collocation == round(2.5 * c.samples) and c.cost_ratio == 2.5 for c in matched)
    assert all(c.steps == 10 for c in matched)
    # everything else is shared by all arms
    for c in runs:
        assert (c.lr, c.width, c.depth, c.lbfgs_steps) == (runs[0].lr, 32, 3, 0)
    assert len({c.key for c in runs}) == len(runs)
    steps_matched = small_sweep(match="steps").expand()
    m = [c for c in steps_matched if c.variant == "matched"]
    assert all(c.steps == 25 and c.n_collocation == c.samples for c in m)


def test_keys_are_stable_and_roundtrip():
    c = small_sweep().expand()[5]
    assert RunConfig.from_dict(json.loads(json.dumps(c.to_dict()))) == c
    assert RunConfig.from_dict(c.to_dict()).key == c.key
    # the key depends on every field
    d = c.to_dict()
    d["lr"] = 2e-3
    assert RunConfig.from_dict(d).key != c.key
    # and the group on everything but the seed
    d = c.to_dict()
    d["seed"] = 99
    assert RunConfig.from_dict(d).group == c.group


def test_derivative_cost_ratio_used_when_no_fixed_cost():
    sweep = small_sweep(cost="derivatives")
    cost = {"residual": 4.0, "evolutionary": 10.0}
    runs = sweep.expand(cost_fn=lambda problem, variant, gens: cost[variant])
    m = [c for c in runs if c.variant == "matched"]
    assert all(c.cost_ratio == 2.5 and c.cost_model == "derivatives" for c in m)
    assert [c.n_collocation for c in m if c.seed == 0] == [250, 500, 1000]


@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(samples=()), "samples must not be empty"),
        (dict(samples=(100, -5)), "samples must be an int >= 1"),
        (dict(samples=(100, 100)), "repeated"),
        (dict(variants=("residual", "symmetric")), "unknown variant"),
        (dict(seeds=0), "seeds must be an int >= 1"),
        (dict(weights=(float("nan"),)), "weight must be a finite number"),
        (dict(match="time"), "match must be one of"),
        (dict(match_to="residual"), "match_to must be one of"),
        (dict(cost=0.5), "cost ratio must be >= 1"),
        (dict(cost="clock"), "cost must be 'derivatives'"),
        (dict(steps=0, lbfgs_steps=0), "steps \\+ lbfgs_steps"),
        (dict(problems="heat"), "problems must be a sequence"),
    ],
)
def test_bad_sweep_arguments(kw, match):
    with pytest.raises(ValueError, match=match):
        small_sweep(**kw)


# ------------------------------------------------------------------------------------------
# store and resume


def test_sweep_stores_every_run_and_skips_on_rerun(tmp_path):
    sweep = small_sweep()
    calls = []

    def runner(configs):
        calls.append([c.seed for c in configs])
        return fake_runner(configs)

    out = run_sweep(sweep, tmp_path, runner=runner, progress=None)
    n = len(sweep.expand())
    assert out.trained == n and out.skipped == 0 and len(out.records) == n
    assert all(seeds == [0, 1, 2] for seeds in calls)  # seeds of a group train together
    files = list((tmp_path / "runs").glob("*.json"))
    assert len(files) == n
    rec = json.loads(files[0].read_text())
    assert {"config", "result", "versions", "key", "created"} <= set(rec)
    assert {"jax", "sympy", "numpy", "python"} <= set(rec["versions"])
    calls.clear()
    again = run_sweep(sweep, tmp_path, runner=runner, progress=None)
    assert calls == [] and again.trained == 0 and again.skipped == n
    assert stored(tmp_path) == {r.key: r.rel_l2 for r in out.records}
    # extending the sweep trains only the new runs
    bigger = small_sweep(samples=(100, 200, 400, 800))
    more = run_sweep(bigger, tmp_path, runner=runner, progress=None)
    assert more.trained == n // 3 and more.skipped == n


def test_fault_injected_run_loses_nothing_and_resume_completes(tmp_path):
    sweep = small_sweep()
    n_groups = len({c.group for c in sweep.expand()})
    state = {"calls": 0}

    def flaky(configs):
        state["calls"] += 1
        if state["calls"] == 4:  # dies inside the fourth run
            raise KeyboardInterrupt("simulated kill")
        return fake_runner(configs)

    with pytest.raises(KeyboardInterrupt):
        run_sweep(sweep, tmp_path, runner=flaky, progress=None)
    partial = stored(tmp_path)
    assert len(partial) == 3 * 3  # three finished groups of three seeds, nothing else
    out = run_sweep(sweep, tmp_path, runner=fake_runner, progress=None)
    assert out.trained == len(sweep.expand()) - 9 and out.skipped == 9
    reference = run_sweep(sweep, tmp_path / "ref", runner=fake_runner, progress=None)
    assert stored(tmp_path) == stored(tmp_path / "ref") == {r.key: r.rel_l2 for r in reference.records}
    assert len(stored(tmp_path)) == n_groups * 3


def test_partially_stored_group_is_retrained_whole_and_only_missing_written(tmp_path):
    sweep = small_sweep(samples=(100,), variants=("residual",))
    run_sweep(sweep, tmp_path, runner=fake_runner, progress=None)
    keys = sorted(stored(tmp_path))
    victim = ResultStore(tmp_path).path(keys[1])
    before = {k: ResultStore(tmp_path).read(k).created for k in keys}
    victim.unlink()
    seen = []

    def runner(configs):
        seen.append([c.seed for c in configs])
        return fake_runner(configs)

    out = run_sweep(sweep, tmp_path, runner=runner, progress=None)
    assert seen == [[0, 1, 2]] and out.trained == 1
    assert sorted(stored(tmp_path)) == keys
    for k in keys:  # the two stored runs were not rewritten
        if k != keys[1]:
            assert ResultStore(tmp_path).read(k).created == before[k]


def test_store_refuses_duplicates_and_ignores_temp_files(tmp_path):
    store = ResultStore(tmp_path)
    c = small_sweep().expand()[0]
    store.write(c, {"rel_l2": 0.5, "wall_time_s": 1.0, "converged": True})
    with pytest.raises(FileExistsError):
        store.write(c, {"rel_l2": 0.4, "wall_time_s": 1.0, "converged": True})
    (tmp_path / "runs" / ".tmp-junk.json.abc").write_text("{")
    assert store.done_keys() == {c.key}
    assert store.clean() == 0  # young: maybe another writer's file in flight
    assert store.clean(max_age=0) == 1
    # non-finite numbers survive the JSON round trip
    c2 = small_sweep().expand()[1]
    store.write(c2, {"rel_l2": float("nan"), "wall_time_s": 1.0, "converged": False})
    assert store.read(c2.key).rel_l2 != store.read(c2.key).rel_l2


_KILL_SCRIPT = textwrap.dedent(
    """
    import sys
    from liepinn.experiments import Sweep, run_sweep
    {runner}
    sweep = Sweep(problems=("toy",), samples=(100, 200, 400), seeds=3,
                  variants=("residual", "evolutionary", "gpinn", "matched"), cost=2.5, steps=10,
                  lbfgs_steps=0)
    run_sweep(sweep, sys.argv[1], runner=lambda cs: fake_runner(cs, delay=0.15), progress=print)
    """
)


def test_sigkill_mid_sweep_then_resume_matches_uninterrupted(tmp_path):
    script = tmp_path / "sweep.py"
    script.write_text(_KILL_SCRIPT.format(runner=FAKE_RUNNER))
    out = tmp_path / "killed"
    env = dict(os.environ, PYTHONPATH=str(ROOT), JAX_PLATFORMS="cpu")
    proc = subprocess.Popen([sys.executable, str(script), str(out)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        runs = out / "runs"
        if runs.is_dir() and len(list(runs.glob("*.json"))) >= 6:
            break
        if proc.poll() is not None:
            pytest.fail(f"sweep ended before it could be killed: {proc.stderr.read().decode()}")
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    n_total = len(small_sweep().expand())
    n_partial = len(stored(out))
    assert 6 <= n_partial < n_total
    subprocess.run([sys.executable, str(script), str(out)], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    ref = run_sweep(small_sweep(), tmp_path / "ref", runner=fake_runner, progress=None)
    assert stored(out) == {r.key: r.rel_l2 for r in ref.records}
    assert len(list((out / "runs").iterdir())) == n_total  # no duplicates, no temp files


# ------------------------------------------------------------------------------------------
# reports


def test_report_from_tiny_sweep(tmp_path):
    out = run_sweep(small_sweep(), tmp_path, runner=fake_runner, progress=None)
    rep = write_report(out.records, tmp_path / "report", title="toy")
    assert rep.markdown.exists() and rep.csv.exists() and rep.runs_csv.exists()
    names = sorted(p.name for p in rep.plots)
    assert names == ["error_vs_samples_toy.png", "error_vs_walltime_toy.png"]
    for p in rep.plots:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = rep.markdown.read_text()
    assert "| 100 | residual | 3 |" in text
    assert "Welch" in text
    rows = summarise(out.records)
    assert len(rows) == 4 * 3
    r = next(r for r in rows if r.variant == "residual" and r.samples == 100)
    errs = sorted(x.rel_l2 for x in out.records if x.config.variant == "residual" and x.config.samples == 100)
    assert r.rel_l2_min == errs[0] and r.rel_l2_max == errs[-1] and r.seeds == 3
    # evolutionary errors are 0.3x residual's with a 10% spread: significant at every n
    comps = compare_arms(rows)
    evo = [c for c in comps if c.arm.startswith("evolutionary") and c.baseline == "residual"]
    assert len(evo) == 3 and all(c.significant and c.ratio < 0.5 for c in evo)
    assert "evolutionary (w=1, norm=initial) has lower error than residual" in text
    lines = rep.csv.read_text().splitlines()
    assert len(lines) == 1 + 12


def test_report_plots_error_against_training_ics(tmp_path):
    def by_ics(configs):  # error falls with the number of training ICs
        return [{"rel_l2": 1.0 / c.n_ics * (1 + 0.1 * c.seed), "wall_time_s": 1.0, "converged": True,
                 "rel_l2_fields": {"train_ics": 0.1 / c.n_ics}} for c in configs]

    out = run_sweep(small_sweep(samples=(100,), n_ics=(4, 16), variants=("residual", "evolutionary")),
                    tmp_path, runner=by_ics, progress=None)
    rep = write_report(out.records, tmp_path)
    names = sorted(p.name for p in rep.plots)
    assert "error_vs_ics_toy_n100.png" in names
    assert names.count("error_vs_ics_toy_n100.png") == 1 and len(names) == 2 * 2 + 1
    one = run_sweep(small_sweep(samples=(100,), n_ics=(4,), variants=("residual",)), tmp_path / "one",
                    runner=by_ics, progress=None)
    assert not any(p.name.startswith("error_vs_ics") for p in write_report(one.records, tmp_path / "one").plots)


def test_report_says_when_nothing_exceeds_the_spread(tmp_path):
    def same_spread(configs):  # both arms: errors 0.1, 0.2, 0.3 (by seed)
        return [{"rel_l2": 0.1 * (1 + c.seed), "wall_time_s": 1.0, "converged": True} for c in configs]

    out = run_sweep(small_sweep(seeds=3, samples=(100,), variants=("residual", "gpinn")), tmp_path,
                    runner=same_spread, progress=None)
    rep = write_report(out.records, tmp_path, plots=False)
    assert [c.significant for c in rep.comparisons] == [False]
    assert rep.comparisons[0].p_value == pytest.approx(1.0)
    assert "No difference between arms exceeds the seed-to-seed spread." in rep.text
    with pytest.raises(ValueError, match="no finished runs"):
        write_report([], tmp_path)


# ------------------------------------------------------------------------------------------
# command line


@pytest.mark.parametrize(
    "argv, message",
    [
        (["heat", "--samples", "250,abc"], "--samples must be comma-separated integers"),
        (["heat", "--seeds", "0"], "--seeds must be >= 1"),
        (["heat", "--variants", "residual,magic"], "unknown variants ['magic']"),
        (["heat", "--weight", "x"], "--weight must be comma-separated numbers"),
        (["heat", "--normaliser", "max"], "unknown --normaliser ['max']"),
        (["heat", "--cost", "0.5"], "cost ratio must be >= 1"),
        (["heat", "--cost", "clock"], "--cost must be 'derivatives' or a number"),
        (["heat", "--n-ics", "4"], "--n-ics applies to IC-conditioned problems only"),
        (["heat", "--steps", "-1"], "--steps must be >= 0"),
        (["heat", "--generators", "1,99"], "out of range"),
        (["no_such_problem"], "'no_such_problem' is not in the catalogue"),
    ],
)
def test_compare_bad_arguments_exit_2(tmp_path, capsys, argv, message):
    from liepinn.cli import main

    rc = main(["compare", *argv, "--out", str(tmp_path / "d")])
    err = capsys.readouterr().err
    assert rc == 2
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "d" / "runs").exists()  # nothing trained


def test_demo_bad_arguments_exit_2(tmp_path, capsys):
    from liepinn.cli import main

    assert main(["demo", "--out", str(tmp_path), "--seeds", "0"]) == 2
    assert "--seeds must be >= 1" in capsys.readouterr().err
    assert main(["demo", "--out", str(tmp_path), "--samples", ""]) == 2
    assert "--samples is empty" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------
# real training (the default runner), tiny


def test_tiny_real_sweep_end_to_end_and_deterministic_resume(tmp_path):
    sweep = Sweep(problems=("heat",), samples=(32,), seeds=2, variants=("residual", "evolutionary"),
                  generators="1,4", steps=20, lbfgs_steps=0, width=8, depth=2,
                  options={"eval_nx": 32, "eval_nt": 9, "log_every": 10})
    out = run_sweep(sweep, tmp_path, progress=None)
    assert out.trained == 4 and len(out.records) == 4
    by_label = {}
    for r in out.records:
        assert 0 < r.rel_l2 < 10 and r.wall_time > 0
        assert r.config.problem_id is not None
        assert "initial" in r.result["final_loss"] and "residual" in r.result["final_loss"]
        by_label.setdefault(r.config.variant, []).append(r)
    evo = by_label["evolutionary"][0].result
    assert {k for k in evo["final_loss"] if k.startswith("sym:")} == {"sym:v1", "sym:v4"}
    assert [g["form"] for g in evo["loss"]["generators"]] == ["evolutionary"] * 2
    # a run lost inside its group (as after a kill between two writes) is retrained with the
    # whole group and gets bit-identical numbers
    lost = by_label["residual"][1]
    ResultStore(tmp_path).path(lost.key).unlink()
    again = run_sweep(sweep, tmp_path, progress=None)
    assert again.trained == 1 and again.skipped == 3
    assert ResultStore(tmp_path).read(lost.key).rel_l2 == lost.rel_l2
    rep = write_report(again.records, tmp_path)
    assert "| 32 | residual | 2 |" in rep.text and len(rep.plots) == 2


@pytest.mark.slow
def test_compare_cli_sigkill_and_restart_matches_uninterrupted(tmp_path):
    """Acceptance: `liepinn compare heat ...` killed with SIGKILL mid-way and restarted gives the
    same runs with the same errors as an uninterrupted run."""
    args = ["compare", "heat", "--samples", "32,64,128", "--seeds", "3", "--variants", "residual,gpinn",
            "--steps", "30", "--lbfgs-steps", "0", "--width", "8", "--depth", "2", "--quiet"]
    env = dict(os.environ, PYTHONPATH=str(ROOT), JAX_PLATFORMS="cpu")
    killed = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "liepinn.cli", *args, "--out", str(killed)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and proc.poll() is None:
        if len(stored(killed)) >= 3:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the sweep finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = stored(killed)
    assert 3 <= len(partial) < 18
    assert _cli(*args, "--out", str(killed), timeout=900).returncode == 0
    fresh = tmp_path / "fresh"
    assert _cli(*args, "--out", str(fresh), timeout=900).returncode == 0
    assert stored(killed) == stored(fresh)
    assert len(stored(fresh)) == 18
    assert all(stored(killed)[k] == v for k, v in partial.items())


def _cli(*argv, timeout=120):
    env = dict(os.environ, PYTHONPATH=str(ROOT), JAX_PLATFORMS="cpu")
    return subprocess.run([sys.executable, "-m", "liepinn.cli", *argv], env=env, capture_output=True,
                          text=True, timeout=timeout)


@pytest.mark.slow
def test_tiny_ic_conditioned_sweep(tmp_path):
    """The IC-conditioned DeepONet path: training ICs fixed, errors on test and training ICs."""
    sweep = Sweep(problems=("heat_sines",), samples=(16,), n_ics=(2,), seeds=2,
                  variants=("residual", "evolutionary"), generators="1", steps=10, lbfgs_steps=0,
                  width=8, depth=1, n_initial=8, n_boundary=0,
                  options={"eval_nx": 16, "eval_nt": 5, "n_test_ics": 2, "sensors": 8, "n_basis": 4,
                           "log_every": 5})
    out = run_sweep(sweep, tmp_path, progress=None)
    assert out.trained == 4
    for r in out.records:
        f = r.result["rel_l2_fields"]
        assert len(f["per_test_ic"]) == 2 and len(f["per_train_ic"]) == 2
        assert r.rel_l2 == pytest.approx(sum(f["per_test_ic"]) / 2)
        assert r.result["network"] == "deeponet"
    # 2 test, 2 training and 2 moved test ICs (out of distribution)
    assert len(list((tmp_path / "references").glob("*.npz"))) == 6


def _extra_rounds_sweep(problem, **kw):
    args = dict(problems=(problem,), samples=(16,), seeds=2, variants=("residual",), steps=20,
                lbfgs_steps=5, width=8, depth=1, n_initial=8, n_boundary=0)
    opts = {"eval_nx": 16, "eval_nt": 5, "log_every": 5, "extra_lbfgs_rounds": 4}
    opts.update(kw.pop("options", {}))
    args.update(kw)
    return Sweep(options=opts, **args)


def _check_extra_rounds(records, rounds_max):
    for r in records:
        res = r.result
        rounds = res["extra_lbfgs_rounds_done"]
        h = res["held_out_residual"]
        assert 1 <= rounds <= rounds_max and len(h) == rounds + 1
        assert all(math.isfinite(v) and v >= 0 for v in h)
        assert res["converged_by"] in (None, "loss", "held-out residual")
        assert res["converged"] == (res["converged_by"] is not None)
        used = res["lbfgs_steps_used"]
        assert 5 <= used <= res["lbfgs_steps_done"] and used % 5 == 0
        if res["converged_by"] == "held-out residual":  # early stopping: the best model so far
            i = used // 5 - 1
            assert h[i] == min(h[: i + 1])
        assert res["lbfgs_steps_done"] == 5 * (1 + rounds)
    # rounds stop only when every seed of the group has converged, or at the maximum
    rounds = {r.result["extra_lbfgs_rounds_done"] for r in records}
    assert len(rounds) == 1
    if rounds.pop() < rounds_max:
        assert all(r.result["converged"] for r in records)


@pytest.mark.slow  # heavy (compiles several programs); default-suite time
def test_extra_lbfgs_rounds_stop_on_plateau_or_held_out_residual(tmp_path):
    out = run_sweep(_extra_rounds_sweep("heat"), tmp_path, progress=None)
    assert out.trained == 2
    _check_extra_rounds(out.records, 4)


@pytest.mark.slow
def test_extra_lbfgs_rounds_ic_conditioned(tmp_path):
    sweep = _extra_rounds_sweep("heat_sines", n_ics=(2,),
                                options={"n_test_ics": 1, "sensors": 8, "n_basis": 4})
    out = run_sweep(sweep, tmp_path, progress=None)
    _check_extra_rounds(out.records, 4)
