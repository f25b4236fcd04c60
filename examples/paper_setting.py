"""The setting of Akhound-Sadegh et al. (NeurIPS 2023), with seeds and a compute-matched arm.

Heat (mu = 0.01, L = 6, T = 16) and Burgers (nu = 0.1, L = 2 pi, T = 2.475), periodic, initial
conditions random sums of sines (`pdes/heat_sines.py`, `pdes/burgers_sines.py`), one
IC-conditioned physics-informed DeepONet per run (branch: the IC at a fixed sensor grid;
trunk: (x, t), exactly periodic in x), no solution data in training. Sample-efficiency axis:
interior collocation points 500 / 1000 / 2000, >= 5 seeds per arm, vmapped. Arms:

- residual: plain physics-informed DeepONet;
- evolutionary: + the symmetry loss L_Delta[Q] for every generator of the derived algebra,
  each term scaled to equal the residual term on a fixed calibration network (normaliser
  "initial": an a priori balance, no tuning on test errors), weight 1 (`--weights`);
- gpinn: + ||D_i Delta||^2, scaled the same way (the natural competitor: the same
  derivatives, no generator weights);
- matched: the plain DeepONet given the evolutionary loss's extra derivative work as extra
  points (recorded cost: Taylor coefficients per point, 2.5x for heat and Burgers).

Errors: relative L2 against diffrax references for 8 fixed test initial conditions (not
used in training), averaged over them. Everything resumes: rerun the same command after an
interruption and it continues where it stopped. Results, tables and plots go to --out.

    python examples/paper_setting.py                       # the full protocol (~2 h, 2 cores)
    python examples/paper_setting.py --report-only         # tables and plots of what is stored
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from liepinn.experiments import ResultStore, Sweep, run_sweep, write_report

# The protocol committed under examples/results/paper_setting (sized for ~2 h on 2 CPU cores).
PROTOCOL = dict(
    problems=("heat_sines", "burgers_sines"),
    samples=(500, 1000, 2000),
    n_ics=(16,),
    seeds=5,
    variants=("residual", "evolutionary", "gpinn", "matched"),
    weights=(1.0,),
    normalisers=("initial",),
    steps=1000,
    lbfgs_steps=100,
    lr=1e-3,
    width=32,
    depth=3,
    n_initial=64,
    n_boundary=0,
    options=dict(sensors=32, n_basis=32, n_test_ics=8, eval_nx=96, eval_nt=49, harmonics=3),
)


def sweep_for(problem: str, args, samples=None) -> Sweep:
    kw = dict(PROTOCOL)
    kw.pop("problems")
    kw["samples"] = tuple(samples or (int(s) for s in args.samples.split(",")))
    kw["seeds"] = args.seeds
    kw["steps"] = args.steps
    kw["lbfgs_steps"] = args.lbfgs_steps
    kw["weights"] = tuple(float(w) for w in args.weights.split(","))
    kw["n_ics"] = tuple(int(n) for n in args.n_ics.split(","))
    return Sweep(problems=(problem,), **kw)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="examples/results/paper_setting")
    ap.add_argument("--problems", default=",".join(PROTOCOL["problems"]))
    ap.add_argument("--samples", default=",".join(map(str, PROTOCOL["samples"])))
    ap.add_argument("--seeds", type=int, default=PROTOCOL["seeds"])
    ap.add_argument("--steps", type=int, default=PROTOCOL["steps"])
    ap.add_argument("--lbfgs-steps", type=int, default=PROTOCOL["lbfgs_steps"])
    ap.add_argument("--weights", default=",".join(map(str, PROTOCOL["weights"])))
    ap.add_argument("--n-ics", default=",".join(map(str, PROTOCOL["n_ics"])),
                    help="numbers of training initial conditions (comma-separated)")
    ap.add_argument("--report-only", action="store_true")
    args = ap.parse_args(argv)

    out = Path(args.out)
    problems = args.problems.split(",")
    samples = [int(n) for n in args.samples.split(",")]
    if not args.report_only:
        from liepinn.experiments._sweep import enable_compilation_cache

        enable_compilation_cache(out / ".jax-cache")
        # cheapest first, all problems at one sample count before the next: partial results
        # cover every problem early (each sitting resumes where the last stopped)
        for n in samples:
            for problem in problems:
                run_sweep(sweep_for(problem, args, samples=(n,)), out / problem)
    for problem in problems:
        sweep = sweep_for(problem, args)
        d = out / problem
        records = ResultStore(d).records({c.key for c in sweep.expand()})
        if not records:
            print(f"{problem}: nothing stored yet in {d}", file=sys.stderr)
            continue
        n_all = len(sweep.expand())
        notes = [
            f"`python examples/paper_setting.py` ({problem}): {len(records)} of {n_all} runs stored; "
            f"{sweep.steps} Adam + {sweep.lbfgs_steps} L-BFGS steps, IC-conditioned DeepONet "
            f"{sweep.width} x {sweep.depth}, {'/'.join(map(str, sweep.n_ics))} training ICs, error averaged over "
            f"{sweep.options['n_test_ics']} test ICs against diffrax references. Trained with "
            + ", ".join(sorted({f"jax {r.versions.get('jax')} on {r.versions.get('jax_backend')}"
                                for r in records}))
            + "."
        ]
        rep = write_report(records, d, title=f"Paper setting: {problem}", notes=notes)
        print(rep.text)
        print(f"{problem}: {len(records)}/{n_all} runs; plots: {', '.join(str(p) for p in rep.plots)}",
              flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
