"""Several workers on one results directory: claims with a lease, nothing lost, nothing done
twice, corrupt run files reported (liepinn.experiments._claims, _store, _sweep)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from liepinn.experiments import ResultStore, Sweep, run_sweep
from liepinn.experiments._claims import Claims
from liepinn.experiments._store import CorruptRunError
from liepinn.experiments._sweep import SweepFailed, batch_name, group_configs

ROOT = Path(__file__).resolve().parents[1]

# deterministic fake training: a function of the config, with a delay per batch; it logs
# which process trained which run, so a run trained twice is seen
FAKE = '''
import hashlib, os, time
def fake_runner(configs, delay=0.0, log=None):
    time.sleep(delay)
    if log:
        with open(log, "a") as f:
            f.write("".join(f"{os.getpid()} {c.key}\\n" for c in configs))
    out = []
    for c in configs:
        h = int(hashlib.sha256(c.key.encode()).hexdigest()[:8], 16) / 16**8
        out.append({"rel_l2": 0.1 * (c.samples / 100.0) ** -0.5 * (1 + h), "wall_time_s": 1.0, "converged": True})
    return out
'''
_ns: dict = {}
exec(FAKE, _ns)
fake_runner = _ns["fake_runner"]

SWEEP = "Sweep(problems=('toy',), samples=(100, 200, 400), seeds=2, variants=('residual', 'gpinn'), steps=10, lbfgs_steps=0)"


def sweep() -> Sweep:
    return eval(SWEEP)


def stored(path) -> dict[str, float]:
    return {r.key: r.rel_l2 for r in ResultStore(path).records()}


_WORKER = textwrap.dedent(
    """
    import os, sys, time
    from liepinn.experiments import Sweep, run_sweep
    {fake}
    print("ready", flush=True)
    while not os.path.exists(sys.argv[1] + ".go"):  # the test starts the workers together
        time.sleep(0.01)
    run_sweep({sweep}, sys.argv[1], progress=print, lease=float(sys.argv[3]), poll=0.05,
              runner=lambda cs: fake_runner(cs, delay=float(sys.argv[2]), log=sys.argv[1] + "/trained.log"))
    """
)


def _worker(tmp_path, out, delay, lease=30.0, go=True):
    if go:
        Path(f"{out}.go").touch()
    script = tmp_path / "worker.py"
    script.write_text(_WORKER.format(fake=FAKE, sweep=SWEEP))
    env = dict(os.environ, PYTHONPATH=str(ROOT), JAX_PLATFORMS="cpu")
    return subprocess.Popen([sys.executable, str(script), str(out), str(delay), str(lease)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _trained(out) -> list[str]:
    return [line.split()[1] for line in (out / "trained.log").read_text().splitlines()]


def test_claim_is_exclusive_renewed_and_released(tmp_path):
    claims = Claims(tmp_path, lease=0.4)
    a = claims.claim("b1", "batch one")
    assert a is not None and claims.claim("b1") is None
    with a:
        time.sleep(0.6)  # longer than the lease: the heartbeat kept it
        assert claims.claim("b1") is None
        held = claims.read("b1")
        assert held.pid == os.getpid() and not held.dead() and held.label == "batch one"
    assert claims.read("b1") is None  # released
    assert claims.claim("b1") is not None


def test_expired_claim_is_taken_over_and_the_late_owner_notices(tmp_path):
    claims = Claims(tmp_path, lease=0.2)
    a = claims.claim("b1")  # never entered: no heartbeat, like a hung worker
    assert claims.claim("b1") is None
    time.sleep(0.3)
    b = claims.claim("b1")
    assert b is not None and b.lease.owner != a.lease.owner
    assert claims.renew(a.lease) is None  # a's heartbeat would now set a.lost
    claims.release(a.lease)  # a late release leaves b's claim alone
    assert claims.read("b1").owner == b.lease.owner


def test_claim_of_a_dead_process_is_taken_over_at_once(tmp_path):
    code = ("import sys, time; from liepinn.experiments._claims import Claims; "
            "c = Claims(sys.argv[1], lease=3600).claim('b1'); print('held', flush=True); time.sleep(600)")
    proc = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert proc.stdout.readline().strip() == "held"
    claims = Claims(tmp_path, lease=3600)
    assert claims.claim("b1") is None
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert claims.read("b1").dead()
    assert claims.claim("b1") is not None


def test_sweep_waits_for_a_batch_another_worker_holds(tmp_path):
    s = sweep()
    first = group_configs(s.expand())[0]
    claim = ResultStore(tmp_path).claims().claim(batch_name(first), "held by the test")
    lines: list[str] = []
    t = threading.Thread(target=run_sweep, args=(s, tmp_path),
                         kwargs=dict(runner=fake_runner, progress=lines.append, poll=0.05))
    with claim:
        t.start()
        time.sleep(1.0)
        # everything but the held batch is stored; the sweep waits for it
        assert set(stored(tmp_path)) == {c.key for c in s.expand()} - {c.key for c in first}
        assert t.is_alive()
        assert any("running 2" in ln for ln in lines)
    t.join(10)  # released without storing: the sweep trains it itself
    assert not t.is_alive()
    assert stored(tmp_path) == stored(run_sweep(s, tmp_path / "ref", runner=fake_runner, progress=None).directory)


def test_two_sweeps_at_once_store_every_run_once(tmp_path):
    """Acceptance: two processes on one store; every run stored exactly once, trained once,
    with the numbers of one process."""
    out = tmp_path / "shared"
    procs = [_worker(tmp_path, out, 0.3, go=False) for _ in range(2)]
    assert [p.stdout.readline().strip() for p in procs] == ["ready", "ready"]
    Path(f"{out}.go").touch()
    logs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), logs
    trained = _trained(out)
    keys = {c.key for c in sweep().expand()}
    assert sorted(trained) == sorted(keys)  # no run trained twice
    assert len({ln.split()[0] for ln in (out / "trained.log").read_text().splitlines()}) == 2  # both worked
    ref = run_sweep(sweep(), tmp_path / "ref", runner=fake_runner, progress=None)
    assert stored(out) == {r.key: r.rel_l2 for r in ref.records}
    assert sorted(p.name for p in (out / "runs").iterdir()) == sorted(f"{k}.json" for k in keys)
    assert not list((out / "claims").glob("*.json"))  # all released


def test_sigkilled_worker_batch_is_redone_after_its_lease(tmp_path):
    """A worker killed mid-batch: another takes its batch over (dead pid: at once; the lease
    bounds the wait for a worker of another host) and the store is complete and unique."""
    out = tmp_path / "shared"
    victim = _worker(tmp_path, out, 30.0, lease=1.0)  # its first batch would take 30 s
    deadline = time.monotonic() + 60
    while not (out / "claims").is_dir() or not list((out / "claims").glob("*.json")):
        assert time.monotonic() < deadline and victim.poll() is None
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    (held,) = Claims(out).all()
    assert held.pid == victim.pid
    # the dead worker's claim, seen from "another host", is taken over once its lease expired
    rescue = _worker(tmp_path, out, 0.0, lease=1.0)
    log = rescue.communicate(timeout=120)
    assert rescue.returncode == 0, log
    ref = run_sweep(sweep(), tmp_path / "ref", runner=fake_runner, progress=None)
    assert stored(out) == {r.key: r.rel_l2 for r in ref.records}
    assert sorted(_trained(out)) == sorted(stored(out))  # the killed worker stored nothing


def test_truncated_or_altered_run_file_is_reported_and_redone(tmp_path):
    s = sweep()
    run_sweep(s, tmp_path, runner=fake_runner, progress=None)
    groups = group_configs(s.expand())
    keys = [groups[0][0].key, groups[3][1].key]  # runs of two batches
    store = ResultStore(tmp_path)
    bad, altered = store.path(keys[0]), store.path(keys[1])
    bad.write_text(bad.read_text()[:100])  # truncated
    d = json.loads(altered.read_text())
    d["result"]["rel_l2"] = 1e-9  # a number changed after writing
    altered.write_text(json.dumps(d))
    with pytest.raises(CorruptRunError, match="not valid JSON"):
        store.read(keys[0])
    with pytest.raises(CorruptRunError, match="checksum"):
        store.read(keys[1])
    with pytest.raises(CorruptRunError):
        store.records()
    assert sorted(e.path.name for e in store.corrupt()) == sorted([bad.name, altered.name])
    lines: list[str] = []
    again = run_sweep(s, tmp_path, runner=fake_runner, progress=lines.append)
    assert again.trained == 2  # their batches retrain whole; only the two runs are written
    assert sum("CORRUPT" in ln for ln in lines) == 2 and len(again.corrupt) == 2
    assert sorted((tmp_path / "corrupt").iterdir())  # kept for inspection
    assert stored(tmp_path) == stored(run_sweep(s, tmp_path / "ref", runner=fake_runner, progress=None).directory)


def test_failed_batch_is_recorded_and_the_others_finish(tmp_path):
    s = sweep()
    doomed = group_configs(s.expand())[1]

    def runner(configs):
        if configs[0].group == doomed[0].group:
            raise ValueError("diverged badly")
        return fake_runner(configs)

    with pytest.raises(SweepFailed, match="1 batch"):
        run_sweep(s, tmp_path, runner=runner, progress=None)
    assert len(stored(tmp_path)) == len(s.expand()) - 2
    (failure,) = ResultStore(tmp_path).failures()
    assert "diverged badly" in failure["error"] and failure["keys"] == [c.key for c in doomed]
    run_sweep(s, tmp_path, runner=fake_runner, progress=None)
    assert ResultStore(tmp_path).failures() == []  # stored since


def test_compare_status(tmp_path, capsys):
    from liepinn.cli import main

    s = sweep()
    doomed = group_configs(s.expand())[1]

    def runner(configs):
        if configs[0].group == doomed[0].group:
            raise ValueError("diverged badly")
        return fake_runner(configs)

    with pytest.raises(SweepFailed):
        run_sweep(s, tmp_path, runner=runner, progress=None)
    store = ResultStore(tmp_path)
    busy = group_configs(s.expand())[2]
    for c in busy:  # being retrained by a worker (the test holds its claim)
        store.path(c.key).unlink()
    corrupt = group_configs(s.expand())[0][0].key
    store.path(corrupt).write_text("{")
    claim = store.claims().claim(batch_name(busy), "toy n=200 residual seeds 0..1", [c.key for c in busy])
    capsys.readouterr()
    with claim:
        assert main(["compare", "--status", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "12 runs planned: 7 stored, 2 claimed, 2 failed, 1 pending" in text
    assert "diverged badly" in text and f"{os.getpid()}" in text
    assert "1 corrupt" in text and f"{corrupt}.json" in text


def test_progress_line_counts_and_estimates_time_left():
    from liepinn.experiments._progress import SweepMeter

    now = [0.0]
    meter = SweepMeter(20, 4, clock=lambda: now[0])
    assert str(meter) == "[stored 4/20 | running 0 | failed 0 | left 16 | ETA ?]"
    now[0] = 60.0
    meter.update(stored=10, running=4, failed=2)  # 6 runs stored in a minute, 8 left
    assert meter.left == 8 and meter.eta() == pytest.approx(80.0)
    assert str(meter) == "[stored 10/20 | running 4 | failed 2 | left 8 | ETA 1m20s]"
