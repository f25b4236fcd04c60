"""Time to derive and verify the conservation laws of every catalogue entry, multipliers of
order <= 2 (and the generalised symmetries of a few evolution equations).

Each (entry, order) runs in a fresh Python process (no warm sympy cache), with a time limit.
Reported: the number of laws (an independent basis of the non-trivial ones, each verified:
D_t T + D_i X^i - Λ·Δ ≡ 0), the infinite families (linear equations: solutions of the adjoint),
warnings, and the wall and CPU time after imports (on a shared machine the CPU time is the
steadier figure).

    python benchmarks/conservation.py [--entries heat,kdv] [--orders 1,2] [--timeout 120]

Writes benchmarks/results/conservation.json and prints a Markdown table.
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
RESULTS = ROOT / "benchmarks" / "results" / "conservation.json"
GENERALIZED = [("burgers", 3), ("kdv", 5), ("mkdv", 5), ("fisher_kpp", 3)]


def one(name: str, order: int, kind: str) -> dict:
    """Run in the child process."""
    from liepinn import load_entry
    from liepinn.symmetry import conservation_laws, generalized_symmetries

    pde = load_entry(name).pde
    t0, c0 = time.perf_counter(), time.process_time()
    if kind == "conservation":
        res = conservation_laws(pde, order)
        found = len(res.laws)
        verified = all(law.verified for law in res.laws)
    else:
        res = generalized_symmetries(pde, order)
        found = len(res.symmetries)
        verified = all(s.verified for s in res.symmetries)
    t1, c1 = time.perf_counter(), time.process_time()
    return {"name": name, "order": order, "kind": kind, "found": found,
            "families": len(res.families), "verified": verified,
            "warnings": list(res.warnings), "seconds": round(t1 - t0, 3),
            "cpu_seconds": round(c1 - c0, 3)}


def run_child(name: str, order: int, kind: str, timeout: float) -> dict:
    cmd = [sys.executable, __file__, "--child", name, "--orders", str(order), "--kind", kind]
    t0 = time.perf_counter()
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"name": name, "order": order, "kind": kind, "error": f"timeout {timeout:g} s"}
    wall = time.perf_counter() - t0
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["?"])[-1]
        return {"name": name, "order": order, "kind": kind, "error": last}
    rec = json.loads(out.stdout.strip().splitlines()[-1])
    rec["process_seconds"] = round(wall, 3)
    return rec


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entries", help="comma-separated entries (default: the whole catalogue)")
    ap.add_argument("--orders", default="0,1,2")
    ap.add_argument("--timeout", type=float, default=120.0)
    ap.add_argument("--kind", default="conservation", choices=["conservation", "generalized"])
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--no-generalized", action="store_true", help="skip the generalised symmetries")
    args = ap.parse_args()
    if args.child:
        print(json.dumps(one(args.child, int(args.orders), args.kind)))
        return
    from liepinn import list_entries

    names = args.entries.split(",") if args.entries else list_entries()
    names = [n for n in names if not n.endswith("_sines")]  # same PDEs as heat, burgers
    orders = [int(k) for k in args.orders.split(",")]
    rows = [run_child(n, k, "conservation", args.timeout) for n in names for k in orders]
    if not args.no_generalized:
        rows += [run_child(n, k, "generalized", args.timeout) for n, k in GENERALIZED
                 if args.entries is None or n in names]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "load": os.getloadavg()[0]},
        "rows": rows}, indent=2))
    print("| entry | kind | order | found | families | verified | wall (s) | CPU (s) |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        if "error" in r:
            print(f"| {r['name']} | {r['kind']} | {r['order']} | error: {r['error']} | | | | |")
            continue
        print(f"| {r['name']} | {r['kind']} | {r['order']} | {r['found']} | {r['families']} | "
              f"{'yes' if r['verified'] else 'NO'} | {r['seconds']:.2f} | {r['cpu_seconds']:.2f} |")


if __name__ == "__main__":
    main()
