"""Time to compute and verify the symmetry algebra of every catalogue entry.

Each entry runs in a fresh Python process (no warm sympy cache from other entries), with a
time limit. Reported per entry: the solve (determining equations + elimination), the
canonical basis + verification of every generator, their total (what `liepinn symmetries`
spends after start-up), the dimension found against the literature, and how the
generators were verified. `--cli` also times the whole command `liepinn symmetries NAME --json`
(imports included) for a few entries.

    python benchmarks/symmetries.py [--entries heat,burgers] [--timeout 300] [--cli heat,burgers,kdv]

Writes benchmarks/results/symmetries.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "symmetries.json"


def one(name: str) -> dict:
    """Run in the child process: solve, canonicalise and verify one entry."""
    t0 = time.perf_counter()
    from liepinn import load_entry
    from liepinn.symmetry import SymmetryAlgebra
    from liepinn.symmetry._solve import solve_symmetries

    t_import = time.perf_counter() - t0
    entry = load_entry(name)
    pde = entry.pde
    t1 = time.perf_counter()
    raw = solve_symmetries(pde)
    t2 = time.perf_counter()
    alg = SymmetryAlgebra.from_raw(pde, raw, verify=True)
    t3 = time.perf_counter()
    closes = True
    try:
        alg.structure_constants()
        jacobi = alg.jacobi()
    except ValueError:
        closes, jacobi = False, False
    t4 = time.perf_counter()
    lit = entry.literature or {}
    return {
        "name": name,
        "dimension": alg.dimension,
        "literature_dimension": lit.get("dimension"),
        "superposition": alg.superposition is not None,
        "infinite": len(alg.infinite),
        "verification": sorted(set(alg.verification)),
        "closes": closes,
        "jacobi": jacobi,
        "import_s": t_import,
        "solve_s": t2 - t1,
        "canonical_verify_s": t3 - t2,
        "total_s": t3 - t1,
        "commutators_s": t4 - t3,
    }


def run_entry(name: str, timeout: float) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    t0 = time.perf_counter()
    try:
        res = subprocess.run([sys.executable, __file__, "--one", name], capture_output=True, text=True,
                             timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"name": name, "error": f"timeout after {timeout:g} s"}
    if res.returncode != 0:
        last = (res.stderr.strip().splitlines() or ["?"])[-1]
        return {"name": name, "error": last[:200], "wall_s": time.perf_counter() - t0}
    out = json.loads(res.stdout.strip().splitlines()[-1])
    out["wall_s"] = time.perf_counter() - t0
    return out


def time_cli(name: str, timeout: float) -> float | None:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    t0 = time.perf_counter()
    try:
        res = subprocess.run([sys.executable, "-m", "liepinn.cli", "symmetries", name, "--json"],
                             capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return None
    return time.perf_counter() - t0 if res.returncode == 0 else None


def table(rows: list[dict], cli: dict) -> str:
    lines = ["| entry | dim | literature | verified | solve (s) | canonical + verify (s) | total (s) | CLI wall (s) |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        c = cli.get(r["name"])
        cs = "" if c is None else f"{c:.2f}"
        if "error" in r:
            lines.append(f"| {r['name']} | - | - | {r['error']} | | | | {cs} |")
            continue
        lit = r["literature_dimension"]
        mark = "" if lit is None or lit == r["dimension"] else " (MISMATCH)"
        extra = " + sup." if r["superposition"] else ""
        extra += f" + {r['infinite']} inf." if r["infinite"] else ""
        lines.append(
            f"| {r['name']} | {r['dimension']}{extra}{mark} | {lit if lit is not None else '-'} | "
            f"{'/'.join(r['verification']) or '-'} | {r['solve_s']:.2f} | {r['canonical_verify_s']:.2f} | "
            f"{r['total_s']:.2f} | {cs} |"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--entries", help="comma-separated entries (default: all)")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per entry")
    ap.add_argument("--cli", default="heat,burgers,kdv", help="entries to time end to end through the CLI")
    ap.add_argument("--out", default=str(RESULTS))
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one)))
        return
    sys.path.insert(0, str(ROOT))
    from liepinn import list_entries

    names = args.entries.split(",") if args.entries else list_entries()
    rows = []
    for name in names:
        r = run_entry(name, args.timeout)
        rows.append(r)
        status = r.get("error") or f"dim {r['dimension']} in {r['total_s']:.2f} s"
        print(f"{name:22s} {status}", file=sys.stderr, flush=True)
    cli = {}
    for name in [n for n in args.cli.split(",") if n]:
        cli[name] = time_cli(name, args.timeout)
    import sympy

    report = {
        "machine": {"platform": platform.platform(), "python": platform.python_version(),
                    "sympy": sympy.__version__, "cpus": os.cpu_count()},
        "entries": rows,
        "cli_wall_s": cli,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1) + "\n")
    print(table(rows, cli))


if __name__ == "__main__":
    main()
