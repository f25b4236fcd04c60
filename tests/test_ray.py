"""Sweeps on a Ray cluster (liepinn.experiments.RayExecutor): a local cluster of 2 workers
gives the store of the single-process sweep, bit for bit, even when a worker is SIGKILLed.
Skipped without Ray (`pip install 'liepinn[cluster]'`)."""

from __future__ import annotations

import sys

import pytest

from liepinn.experiments import ResultStore, Sweep, run_sweep

FAKE = '''
import hashlib, os, signal, time
def fake_runner(configs, kill_marker=None):
    if kill_marker is not None and not os.path.exists(kill_marker):
        open(kill_marker, "w").close()
        os.kill(os.getpid(), signal.SIGKILL)  # this Ray worker dies mid-batch, once
    time.sleep(0.1)
    out = []
    for c in configs:
        h = int(hashlib.sha256(c.key.encode()).hexdigest()[:8], 16) / 16**8
        out.append({"rel_l2": 0.1 * (1 + h), "wall_time_s": 1.0, "converged": True, "pid": os.getpid()})
    return out

def killing_once(marker):
    return lambda configs: fake_runner(configs, kill_marker=marker)
'''
_ns: dict = {}
exec(FAKE, _ns)
fake_runner = _ns["fake_runner"]


def stored(path) -> dict[str, float]:
    return {r.key: r.rel_l2 for r in ResultStore(path).records()}


@pytest.fixture(scope="module")
def cluster():
    ray = pytest.importorskip("ray")
    # Ray's workers cannot import this test module: send its functions by value
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.mark.slow
def test_real_sweep_on_two_ray_workers_matches_one_process(cluster, tmp_path):
    from liepinn.experiments import RayExecutor

    sweep = Sweep(problems=("heat",), samples=(32,), seeds=2, variants=("residual", "gpinn"), steps=20,
                  lbfgs_steps=0, width=8, depth=2, options={"eval_nx": 32, "eval_nt": 9, "log_every": 10})
    lines: list[str] = []
    out = run_sweep(sweep, tmp_path / "ray", executor=RayExecutor(), progress=lines.append, poll=0.1)
    ref = run_sweep(sweep, tmp_path / "local", progress=None)
    assert out.trained == 4 and stored(tmp_path / "ray") == stored(tmp_path / "local")  # bit for bit
    workers = {ln.rsplit(" on ", 1)[1].split(")")[0] for ln in lines if "rel L2" in ln}
    assert len(workers) == 2  # both batches ran as tasks, in parallel
    assert {r.key for r in ref.records} == set(stored(tmp_path / "ray"))


def test_sigkilled_ray_worker_batch_is_redone(cluster, tmp_path):
    from liepinn.experiments import RayExecutor

    sweep = Sweep(problems=("toy",), samples=(100, 200), seeds=2, variants=("residual", "gpinn"), steps=10,
                  lbfgs_steps=0)
    marker = str(tmp_path / "killed-once")
    out = run_sweep(sweep, tmp_path / "ray", executor=RayExecutor(max_retries=2), progress=None, poll=0.1,
                    runner=_ns["killing_once"](marker))
    ref = run_sweep(sweep, tmp_path / "local", runner=fake_runner, progress=None)
    assert (tmp_path / "killed-once").exists()
    assert stored(tmp_path / "ray") == stored(tmp_path / "local") and out.trained == len(ref.records)
    assert not list((tmp_path / "ray" / "claims").glob("*.json"))


def test_executor_ray_without_ray_says_how_to_install(tmp_path, capsys, monkeypatch):
    from liepinn.cli import main

    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    assert main(["compare", "heat", "--executor", "ray", "--out", str(tmp_path)]) == 2
    assert "pip install 'liepinn[cluster]'" in capsys.readouterr().err
