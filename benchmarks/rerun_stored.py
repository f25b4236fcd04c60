"""Rerun stored sweep runs with the code at hand and compare their rel. L2 with the stored value.

    python benchmarks/rerun_stored.py examples/results/heat_weights --variants residual,evolutionary,gpinn \
        [--out benchmarks/results/rerun_stored.json]

For each variant it reruns the cheapest stored run of that variant (its RunConfig exactly as
stored) and prints stored and recomputed errors. Run it under two versions of liepinn (e.g.
`PYTHONPATH=<old checkout>`) to check that a refactor kept the numbers bit for bit; the stored
values themselves may come from another machine (XLA's CPU code differs between CPUs).
"""

import argparse
import glob
import json
import os
import platform
import subprocess


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results")
    ap.add_argument("--variants", default="residual,evolutionary,gpinn")
    ap.add_argument("--out", default=None, help="append the outcome to this JSON file (a list)")
    args = ap.parse_args()

    import liepinn
    from liepinn.experiments import RunConfig, TrainRunner

    rows = []
    for f in glob.glob(os.path.join(args.results, "runs", "*.json")):
        with open(f) as fh:
            d = json.load(fh)
        c = d["config"]
        cost = c["steps"] + c["lbfgs_steps"] * (1 + dict(c.get("options") or {}).get("extra_lbfgs_rounds", 0))
        rows.append((cost, c["n_collocation"], d["key"], d))
    rows.sort(key=lambda r: r[:3])
    want = args.variants.split(",")
    out = []
    for _, _, key, d in rows:
        config = RunConfig.from_dict(d["config"])
        if config.variant not in want:
            continue
        want.remove(config.variant)
        assert config.key == key, f"{key}: the stored config hashes to {config.key}"
        now = TrainRunner()([config])[0]["rel_l2"]
        out.append({"key": key, "arm": config.label, "samples": config.samples, "seed": config.seed,
                    "stored": d["result"]["rel_l2"], "now": now})
        print(f"{config.label:40s} stored {d['result']['rel_l2']!r:24} now {now!r}", flush=True)
        if not want:
            break
    if args.out:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                             cwd=os.path.dirname(liepinn.__file__)).stdout.strip()
        record = {"results": args.results, "liepinn": os.path.dirname(liepinn.__file__), "commit": rev,
                  "machine": platform.machine(), "runs": out}
        old = json.load(open(args.out)) if os.path.exists(args.out) else []
        with open(args.out + ".tmp", "w") as fh:
            json.dump(old + [record], fh, indent=1)
        os.replace(args.out + ".tmp", args.out)


if __name__ == "__main__":
    main()
