"""Accuracy and wall time of `liepinn reference` per problem, and a few solver comparisons.

Part 1 (the command line, what a user runs): for each problem, in a fresh process,
`liepinn reference NAME --nx NX --nt NT --out FILE` with the default settings (automatic
discretisation, resolution, solver; rtol 1e-10, atol 1e-12; float64). Timed from the outside
(interpreter start, imports, sympy, compilation, every resolution tried, writing the file), wall
clock and CPU (user + sys of the child). The result is compared with the PINN data file on its
own grid (burgers, kdv, allen_cahn, nls), with the exact Cole-Hopf solution (burgers, by
Gauss-Hermite quadrature) and with the exact solution (heat).

Part 2 (in process, fixed resolution): solver choices on the same problems, to show why the
defaults are what they are (explicit Tsit5 vs IMEX KenCarp5 vs implicit Kvaerno5, Fourier vs
Chebyshev). Times include compilation.

Run:  PYTHONPATH=. .venv/bin/python benchmarks/reference.py [--repeat 2] [--skip-solvers]
Writes benchmarks/results/reference.json.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
sys.path.insert(0, str(ROOT))

CASES = [
    # name, data file, nx, nt, acceptance (issue #4)
    ("burgers", "burgers_shock.mat", 256, 100, 1e-6),
    ("kdv", "KdV.mat", 512, 201, 1e-4),
    ("allen_cahn", "AC.mat", 512, 201, 1e-4),
    ("nls", "NLS.mat", 256, 201, 1e-3),
    ("heat", None, 256, 101, 1e-10),
]


def cole_hopf(xs, ts, nu, n=800):
    """Burgers, u(x,0) = -sin(pi x): Cole-Hopf by Gauss-Hermite quadrature (log-sum-exp)."""
    from scipy.special import roots_hermite

    z, w = roots_hermite(n)
    X, T = np.meshgrid(xs, ts, indexing="ij")
    out = -np.sin(np.pi * X)
    pos = T > 0
    y = X[pos][:, None] - np.sqrt(4 * nu * T[pos])[:, None] * z[None, :]
    e = -np.cos(np.pi * y) / (2 * np.pi * nu)
    e -= e.max(axis=1, keepdims=True)
    f = w[None, :] * np.exp(e)
    out[pos] = -np.sum(np.sin(np.pi * y) * f, axis=1) / np.sum(f, axis=1)
    return out


def rel(a, b):
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def accuracy(name, file, ref):
    from liepinn import load_entry
    from liepinn.reference import load_mat

    out = {}
    if file is not None:
        out["rel_l2_vs_data"] = load_mat(DATA / file).errors(ref)["all"]
    if name == "burgers":
        out["rel_l2_vs_cole_hopf"] = rel(ref["u"], cole_hopf(ref.x, ref.t, 0.01 / math.pi))
    if name == "heat":
        p = load_entry("heat").problem
        X, T = np.meshgrid(ref.x, ref.t, indexing="ij")
        exact = p.exact_values(np.stack([X.ravel(), T.ravel()], 1))[0].reshape(X.shape)
        out["rel_l2_vs_exact"] = rel(ref["u"], exact)
    return out


def run_cli(name, nx, nt, out):
    cmd = [sys.executable, "-m", "liepinn.cli", "reference", name, "--nx", str(nx), "--nt", str(nt),
           "--out", str(out)]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if res.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{res.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, res.stdout.strip()


def part1(repeat):
    from liepinn.reference import Reference

    rows = []
    for name, file, nx, nt, tol in CASES:
        walls, cpus = [], []
        with tempfile.TemporaryDirectory() as d:
            out = Path(d) / f"{name}.npz"
            for _ in range(repeat):
                load0 = os.getloadavg()[0]
                wall, cpu, msg = run_cli(name, nx, nt, out)
                walls.append(wall)
                cpus.append(cpu)
                print(f"  {msg}  (wall {wall:.1f} s, cpu {cpu:.1f} s, load {load0:.1f})", flush=True)
            ref = Reference.load(out)
        s = ref.settings
        row = {
            "problem": name, "command": f"liepinn reference {name} --nx {nx} --nt {nt} --out {name}.npz",
            "discretisation": s["discretisation"], "solver": s["solver"], "resolution": s["resolution"],
            "tried": [a["resolution"] for a in s["attempts"]], "steps": s["attempts"][-1]["num_steps"],
            "spectral_tail": s["spectral_tail"], "wall_s": walls, "cpu_s": cpus, "acceptance": tol,
            **accuracy(name, file, ref),
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


SOLVER_CASES = [
    # problem, resolution, discretisation, solver, nx, nt
    ("burgers", 1024, "fourier", "Tsit5"),
    ("burgers", 1024, "fourier", "KenCarp5"),
    ("burgers", 256, "chebyshev", "Kvaerno5"),
    ("kdv", 256, "fourier", "KenCarp5"),
    ("kdv", 128, "fourier", "Tsit5"),
    ("nls", 256, "fourier", "Tsit5"),
    ("nls", 256, "fourier", "KenCarp5"),
    ("allen_cahn", 512, "fourier", "Tsit5"),
    ("heat", 256, "fourier", "Tsit5"),
    ("heat", 256, "fourier", "KenCarp5"),
]


def part2():
    import diffrax as dfx

    from liepinn import load_entry
    from liepinn.reference import Chebyshev, Fourier, solve_reference

    info = {c[0]: c for c in CASES}
    rows = []
    for name, n, disc, solver in SOLVER_CASES:
        _, file, nx, nt, _ = info[name]
        p = load_entry(name).problem
        d = Fourier(n) if disc == "fourier" else Chebyshev(n)
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            ref = solve_reference(p, nx=nx, nt=nt, discretisation=d, solver=getattr(dfx, solver)(),
                                  max_steps=400_000)
        except Exception as e:  # noqa: BLE001 - record and go on
            rows.append({"problem": name, "resolution": n, "discretisation": disc, "solver": solver,
                         "error": f"{type(e).__name__}: {str(e).splitlines()[0]}"})
            print(rows[-1], flush=True)
            continue
        row = {"problem": name, "resolution": n, "discretisation": disc, "solver": solver,
               "steps": ref.settings["attempts"][-1]["num_steps"],
               "wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0,
               **accuracy(name, file, ref)}
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=2, help="runs of each command (default 2)")
    ap.add_argument("--skip-solvers", action="store_true", help="only part 1")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "reference.json"))
    args = ap.parse_args()
    import diffrax
    import jax

    meta = {"python": platform.python_version(), "jax": jax.__version__, "diffrax": diffrax.__version__,
            "cpus": len(os.sched_getaffinity(0)), "load_start": os.getloadavg()[0],
            "date": time.strftime("%Y-%m-%d %H:%M")}
    print("part 1: liepinn reference (fresh process each)", flush=True)
    cli = part1(args.repeat)
    solvers = [] if args.skip_solvers else (print("part 2: solvers", flush=True) or part2())
    meta["load_end"] = os.getloadavg()[0]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"meta": meta, "cli": cli, "solvers": solvers}, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
