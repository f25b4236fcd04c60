"""Throughput of one small sweep with 1, 2 and 4 local workers sharing one results directory.

    python benchmarks/scale_out.py [--workers 1,2,4] [--out /tmp/scale-out] [--json benchmarks/results/scale_out.json]

Each worker is one `liepinn compare` command on the same DIR (they split the batches by
claims); the figure is runs stored per minute, and its ratio to one worker. Every worker
compiles for itself (--no-compilation-cache), as separate machines would. `--pin`: worker i
runs on core i mod N only (`taskset`), as one worker per core of a machine would.
`--sleep S`: the workers train nothing (each batch sleeps S seconds): the cost of sharing out
the work by claims alone, free of how many cores the machine has.
`--json FILE`: store the figures under the key "sleep", "train" or "train_pin" of FILE (the
other keys are kept), for `benchmarks/tables.py`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ARGS = ["compare", "heat", "--samples", "32,64", "--seeds", "2", "--variants", "residual,gpinn,prolonged",
        "--generators", "1,4", "--steps", "300", "--lbfgs-steps", "0", "--width", "16", "--depth", "2",
        "--quiet", "--no-compilation-cache"]


FAKE = """
import os, sys, time
from liepinn.experiments import Sweep, run_sweep
sweep = Sweep(problems=("toy",), samples=(100, 200, 400, 800), seeds=2, variants=("residual", "gpinn", "prolonged"),
              steps=10, lbfgs_steps=0)
sweep.expand()
print("ready", flush=True)
while not os.path.exists(sys.argv[1] + ".go"):  # timed from when every worker is up
    time.sleep(0.01)
def runner(configs):
    time.sleep(float(sys.argv[2]))
    return [{"rel_l2": 0.1, "wall_time_s": 1.0, "converged": True} for _ in configs]
run_sweep(sweep, sys.argv[1], runner=runner, progress=None, poll=0.05)
"""


def run(n: int, out: Path, pin: bool = False, sleep: float | None = None) -> tuple[float, int]:
    shutil.rmtree(out, ignore_errors=True)
    Path(f"{out}.go").unlink(missing_ok=True)
    t0 = time.perf_counter()
    cores = os.cpu_count() or 1
    cmd = ([sys.executable, "-m", "liepinn.cli", *ARGS, "--out", str(out)] if sleep is None
           else [sys.executable, "-c", FAKE, str(out), str(sleep)])
    procs = [subprocess.Popen([*(["taskset", "-c", str(i % cores)] if pin else []), *cmd],
                              stdout=subprocess.PIPE if sleep is not None else subprocess.DEVNULL, text=True)
             for i in range(n)]
    if sleep is not None:
        assert all(p.stdout.readline().strip() == "ready" for p in procs)
        Path(f"{out}.go").touch()
        t0 = time.perf_counter()
    if any(p.wait() != 0 for p in procs):
        raise RuntimeError(f"a worker failed with {n} workers")
    wall = time.perf_counter() - t0
    return wall, len(list((out / "runs").glob("*.json")))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workers", default="1,2,4")
    p.add_argument("--out", default="/tmp/liepinn-scale-out")
    p.add_argument("--pin", action="store_true", help="worker i on core i mod N only")
    p.add_argument("--sleep", type=float, default=None, help="fake batches of this many seconds")
    p.add_argument("--json", type=Path, default=None, help="store the figures in this file (see above)")
    a = p.parse_args()
    base = None
    load_start = os.getloadavg()[0]
    rows = []
    print("| workers | runs | wall (s) | runs/min | ratio |\n|---|---|---|---|---|")
    for n in [int(x) for x in a.workers.split(",")]:
        wall, runs = run(n, Path(a.out) / f"w{n}", a.pin, a.sleep)
        rate = 60 * runs / wall
        base = base or rate
        rows.append({"workers": n, "runs": runs, "wall_s": wall, "runs_per_min": rate, "ratio": rate / base})
        print(f"| {n} | {runs} | {wall:.1f} | {rate:.2f} | {rate / base:.2f} |", flush=True)
    if a.json:
        from liepinn.experiments import atomic_write_json

        key = "sleep" if a.sleep is not None else "train_pin" if a.pin else "train"
        what = (f"--sleep {a.sleep:g}" if a.sleep is not None
                else "liepinn " + " ".join(ARGS) + (" (--pin)" if a.pin else ""))
        stored = json.loads(a.json.read_text()) if a.json.exists() else {}
        stored[key] = {"command": f"benchmarks/scale_out.py {what}".strip(), "workers": rows,
                       "date": time.strftime("%Y-%m-%d", time.gmtime()), "load_start": load_start,
                       "cpus": os.cpu_count()}
        atomic_write_json(a.json, stored)


if __name__ == "__main__":
    main()
