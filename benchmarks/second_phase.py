"""Which second phase for the default recipe: L-BFGS against self-scaled BFGS / Broyden on
KdV, Allen-Cahn and NLS, chosen without looking at the reference solution.

For each problem and method the same `liepinn train` command as `benchmarks/accuracy.py`, with
the second phase swapped and the steps fixed high so that the time cap ends it:

    liepinn train NAME --out DIR --reference tests/data/FILE.mat --max-time T --steps A
        --second-phase METHOD --lbfgs-steps 100000 [--lbfgs-memory 50] --no-plots --quiet

one run at a time, each in a fresh process. Recorded: the final training loss, the mean squared
residual on 16,384 held-out Sobol points (key 1234; not trained on: a loss far below it means
the collocation set is overfitted), the second-phase steps done, training wall and CPU seconds,
the load average, and the rel. L2 on the data file's grid (also per quarter of its time axis). The choice is by the held-out
residual (no solution data); the rel. L2 is reported beside it, not used to choose. The loss
trace (`history.csv`) is kept as (step, loss) pairs at the log steps, to see whether a longer
budget still pays.

Run:  PYTHONPATH=. nice -n 5 .venv/bin/python benchmarks/second_phase.py [--max-time 150]
          [--steps 1000] [--only kdv,allen_cahn,nls] [--methods lbfgs,ssbroyden] [--extra '--refinement rad']
Writes benchmarks/results/second_phase.json after every run (atomically; a rerun replaces only
the (problem, method, cap) entries it ran).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from accuracy import PROBLEMS, ROOT, machine  # noqa: E402  (the same data files and machine record)

OUT = ROOT / "benchmarks" / "results" / "second_phase.json"
HELD_OUT_POINTS, HELD_OUT_KEY = 16_384, 1234
LBFGS_MEMORY = 50  # the default recipe's L-BFGS before it moved to self-scaled Broyden


def command(name: str, method: str, out: Path, max_time: float, steps: int, extra: str = "") -> list[str]:
    return [sys.executable, "-m", "liepinn.cli", "train", name, "--out", str(out),
            "--reference", str(Path("tests/data") / PROBLEMS[name]), "--max-time", f"{max_time:g}",
            "--steps", str(steps), "--second-phase", method, "--lbfgs-steps", "100000",
            *(["--lbfgs-memory", str(LBFGS_MEMORY)] if method == "lbfgs" else []), "--no-plots", "--quiet",
            *shlex.split(extra)]


def evaluate(directory: Path) -> dict:
    """The trained model's mean squared PDE residual on fixed Sobol points of its domain, and its
    rel. L2 error on each quarter of the data file's time axis (error growing with t: the
    network fits late times before the early ones it depends on)."""
    import jax
    import jax.random as jr
    import numpy as np

    from liepinn.runs import References, load_run
    from liepinn.runs._assemble import is_float64
    from liepinn.train import Sobol

    run = load_run(directory)
    model = run.model_for(0)
    lo, hi = run.problem.bounds
    with jax.enable_x64(is_float64(model)):
        dtype = np.float64 if is_float64(model) else np.float32
        pts = Sobol().sample(HELD_OUT_POINTS, lo, hi, key=jr.PRNGKey(HELD_OUT_KEY), dtype=dtype)
        held_out = float(run.assembly.residual_loss(model, pts)[0])
    x, t, ref, _ = run.assembly.reference(References(None))
    err = run.predict(x, t) - ref
    quarters = np.array_split(np.arange(len(t)), 4)
    return {"held_out_residual": held_out,
            "rel_l2_by_time": [float(np.linalg.norm(err[..., q]) / np.linalg.norm(ref[..., q])) for q in quarters]}


def trace(directory: Path) -> list[tuple[int, str, float]]:
    with open(directory / "history.csv") as f:
        return [(int(r["step"]), r["phase"], float(r["total"])) for r in csv.DictReader(f)]


def run_one(name: str, method: str, max_time: float, steps: int, workdir: Path, extra: str = "") -> dict:
    out = workdir / f"{name}-{method}"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    load = os.getloadavg()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(command(name, method, out, max_time, steps, extra), cwd=ROOT, env=env,
                          capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{name} {method} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    m = json.loads((out / "metrics.json").read_text())
    return {
        "problem": name, "method": method, "extra": extra, "max_time": max_time, "adam_steps": m["steps_done"],
        "second_phase_steps": m["lbfgs_steps_done"], "stopped": m["stopped"],
        "final_loss": m["final"]["total"], **evaluate(out), "rel_l2": m["rel_l2"],
        "training_wall_s": m["wall_time_s"], "training_cpu_s": m["cpu_time_s"],
        "command_wall_s": wall,
        "command_cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "load_average_before": load, "load_average_after": os.getloadavg(),
        "trace": trace(out), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def main(argv: list[str] | None = None) -> int:
    from liepinn.experiments import atomic_write_json

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--max-time", type=float, default=150.0, help="training-time cap per run in s")
    p.add_argument("--steps", type=int, default=1000, help="Adam steps before the second phase")
    p.add_argument("--only", default="kdv,allen_cahn,nls")
    p.add_argument("--methods", default="lbfgs,ssbroyden")
    p.add_argument("--extra", default="", help="more `liepinn train` options, e.g. '--refinement rad'")
    p.add_argument("--out", type=Path, default=OUT)
    args = p.parse_args(argv)
    names = [n for n in args.only.split(",") if n]
    if unknown := [n for n in names if n not in PROBLEMS]:
        p.error(f"--only: unknown problem(s) {', '.join(unknown)}; choose from {', '.join(PROBLEMS)}")
    data = json.loads(args.out.read_text()) if args.out.exists() else {"runs": []}
    data["machine"] = machine()
    with tempfile.TemporaryDirectory(prefix="liepinn-second-phase-") as tmp:
        for name in names:
            for method in args.methods.split(","):
                r = run_one(name, method, args.max_time, args.steps, Path(tmp), args.extra)
                key = (name, method, args.extra, args.max_time, r["adam_steps"])
                data["runs"] = [x for x in data["runs"]
                                if (x["problem"], x["method"], x.get("extra", ""), x["max_time"], x["adam_steps"]) != key] + [r]
                atomic_write_json(args.out, data)
                print(f"{name} {method}: {r['second_phase_steps']} steps, loss {r['final_loss']:.3e}, held-out "
                      f"{r['held_out_residual']:.3e}, rel. L2 {r['rel_l2']:.3e}, {r['training_wall_s']:.0f} s "
                      f"({r['training_cpu_s']:.0f} s CPU), load {r['load_average_after'][0]:.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
