"""SIGKILL-and-resume check of ``liepinn compare`` (the acceptance test of the experiments issue).

Runs the same sweep twice:

1. uninterrupted, into ``<work>/straight``;
2. into ``<work>/killed``, killing the process group with SIGKILL ``--kills`` times at
   moments chosen to fall inside a run (a fixed delay after the last stored run appeared)
   and restarting the same command each time, until the sweep reports itself complete.

Then it checks that both stores hold the same run keys, no duplicates, no temporary files,
and the same errors run by run (bit for bit on one machine: a resumed run is retrained
from its seed, and the store's keys are config hashes). Wall times are not compared.

Run:  PYTHONPATH=. .venv/bin/python benchmarks/compare_resume.py [--steps 200 --lbfgs-steps 50]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def command(out: Path, args) -> list[str]:
    return [sys.executable, "-m", "liepinn.cli", "compare", "heat", "--samples", args.samples,
            "--seeds", str(args.seeds), "--steps", str(args.steps),
            "--lbfgs-steps", str(args.lbfgs_steps), "--out", str(out)]


def stored(out: Path) -> dict[str, dict]:
    runs = {}
    for f in sorted((out / "runs").glob("*.json")) if (out / "runs").exists() else []:
        runs[f.stem] = json.loads(f.read_text())
    return runs


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", default="250,500,1000")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--lbfgs-steps", type=int, default=50)
    ap.add_argument("--kills", type=int, default=3)
    ap.add_argument("--delay", type=float, default=4.0,
                    help="seconds after a new run is stored (or the start) before each kill")
    ap.add_argument("--work", help="working directory (default: a temporary one, removed)")
    ap.add_argument("--json", help="write the outcome here")
    args = ap.parse_args(argv)

    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="liepinn-resume-"))
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    straight, killed = work / "straight", work / "killed"
    for d in (straight, killed):
        shutil.rmtree(d, ignore_errors=True)

    t0 = time.perf_counter()
    subprocess.run(command(straight, args), env=env, check=True, stdout=subprocess.DEVNULL)
    t_straight = time.perf_counter() - t0
    n_all = len(stored(straight))
    print(f"uninterrupted: {n_all} runs in {t_straight:.0f} s", flush=True)

    kills = []
    for k in range(args.kills):
        before = len(stored(killed))
        proc = subprocess.Popen(command(killed, args), env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        # wait for one more stored run (or the start), then kill inside the next run
        deadline = time.perf_counter() + 600
        while len(stored(killed)) <= before and proc.poll() is None and time.perf_counter() < deadline:
            time.sleep(0.2)
        time.sleep(args.delay)
        if proc.poll() is not None:
            print(f"kill {k + 1}: the sweep finished before the kill", flush=True)
            break
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        kills.append(len(stored(killed)))
        print(f"kill {k + 1}: SIGKILL with {kills[-1]} of {n_all} runs stored", flush=True)
    subprocess.run(command(killed, args), env=env, check=True, stdout=subprocess.DEVNULL)

    a, b = stored(straight), stored(killed)
    leftovers = [p.name for p in (killed / "runs").iterdir() if not p.name.endswith(".json")]
    same_keys = set(a) == set(b)
    diffs = {k: (a[k]["result"]["rel_l2"], b[k]["result"]["rel_l2"]) for k in set(a) & set(b)
             if a[k]["result"]["rel_l2"] != b[k]["result"]["rel_l2"]}
    outcome = {
        "command": "liepinn " + " ".join(command(Path("DIR"), args)[3:]),
        "runs": n_all, "kills_at_stored": kills, "same_keys": same_keys,
        "temporary_files_left": leftovers, "runs_with_different_rel_l2": len(diffs),
        "max_abs_rel_l2_difference": max((abs(x - y) for x, y in diffs.values()), default=0.0),
        "uninterrupted_wall_s": round(t_straight, 1),
    }
    print(json.dumps(outcome, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(outcome, indent=1) + "\n")
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    ok = same_keys and not leftovers and not diffs and len(kills) > 0
    print("OK: same runs, same errors" if ok else "FAILED", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
