"""Several hosts (liepinn.train.PointSharding after `jax.distributed.initialize`): two
processes on localhost, 2 CPU devices each, with JAX's gloo CPU collectives, train one run
over the 4 global devices and give the loss history of one process on one device."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]

_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import jax
    n, i, port = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    jax.config.update("jax_enable_x64", True)
    if n > 1:
        jax.config.update("jax_cpu_collectives_implementation", "gloo")
        jax.distributed.initialize(coordinator_address=f"localhost:{port}", num_processes=n, process_id=i)
        assert jax.process_count() == n and len(jax.devices()) == 2 * n, jax.devices()
    import jax.random as jr, numpy as np
    from liepinn.experiments import Sweep
    from liepinn.problems import load_problem
    from liepinn.runs._assemble import assemble
    from liepinn.train import PointSharding, train
    c = Sweep(problems=("heat",), samples=(64,), variants=("residual",), seeds=1, n_initial=16, n_boundary=8,
              steps=20, lbfgs_steps=0, width=8, depth=2, float64=True, cost=2.0).expand()[0]
    asm = assemble(load_problem(c.problem), c.spec())
    key = jr.PRNGKey(0)
    res = train(asm.loss_fn, asm.make_model(key), asm.data, key=key, steps=20, learning_rate=1e-2,
                dtype="float64", log_every=5, sharding=PointSharding() if n > 1 else None)
    print("RESULT" + json.dumps(np.asarray(res.history["total"], float).tolist()), flush=True)
    """
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_two_processes_with_jax_distributed_match_one_process(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT), JAX_PLATFORMS="cpu",
               XLA_FLAGS="--xla_force_host_platform_device_count=2")
    port = str(_free_port())
    runs = [[sys.executable, "-c", _SCRIPT, "2", str(i), port] for i in range(2)]
    runs.append([sys.executable, "-c", _SCRIPT, "1", "0", port])
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for cmd in runs]
    outs = [p.communicate(timeout=600) for p in procs]
    histories = []
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err[-3000:]
        (line,) = [ln for ln in out.splitlines() if ln.startswith("RESULT")]
        histories.append(json.loads(line[len("RESULT"):]))
    *distributed, single = histories
    assert distributed[0] == distributed[1]  # every process sees the same global run
    np.testing.assert_allclose(distributed[0], single, rtol=1e-6, atol=0)
