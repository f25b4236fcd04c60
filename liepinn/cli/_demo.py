"""`liepinn demo [--out DIR]`: the whole pipeline on the heat equation in a few minutes.

1. derive and print the Lie point symmetries of u_t = mu u_xx (and what each generator can
   contribute as a loss term);
2. train a plain PINN and PINNs with the evolutionary symmetry loss and the gPINN loss, and
   a plain PINN given the symmetry loss's extra compute as extra points, at a small budget,
   several seeds vmapped;
3. evaluate against the exact solution (or the diffrax reference) and write the table, CSVs
   and plots into DIR (resumable, like `liepinn compare`).
"""

from __future__ import annotations

import argparse
import time

# A budget that runs in a few minutes on 2 CPU cores (see examples/README.md for timings).
DEMO = dict(problem="heat", samples="64,256", seeds=3, steps=1000, lbfgs_steps=200,
            variants="residual,evolutionary,gpinn,matched")


def add_parser(subparsers) -> argparse.ArgumentParser:
    from .. import cli

    p = subparsers.add_parser("demo", help=cli.SUBCOMMANDS["demo"], description=__doc__.splitlines()[0])
    p.add_argument("--out", default="demo-output", metavar="DIR", help="output directory (default demo-output)")
    p.add_argument("--problem", default=DEMO["problem"], help=f"a problem of pdes/ (default {DEMO['problem']})")
    p.add_argument("--samples", default=DEMO["samples"], help=f"interior points, comma-separated (default {DEMO['samples']})")
    p.add_argument("--seeds", type=int, default=DEMO["seeds"], help=f"seeds per arm (default {DEMO['seeds']})")
    p.add_argument("--steps", type=int, default=DEMO["steps"], help=f"Adam steps (default {DEMO['steps']})")
    p.add_argument("--lbfgs-steps", type=int, default=DEMO["lbfgs_steps"],
                   help=f"L-BFGS steps (default {DEMO['lbfgs_steps']})")
    p.add_argument("--variants", default=DEMO["variants"], help=f"arms (default {DEMO['variants']})")
    return p


def _banner(text: str) -> None:
    print(f"\n== {text} " + "=" * max(0, 70 - len(text)), flush=True)


def run(args) -> int:
    from pathlib import Path

    from .. import degeneracy
    from ..problems._registry import load_problem
    from ..experiments._spec import MATCHED, VARIANTS, Sweep, parse_int_list, parse_str_list
    from ..experiments._sweep import enable_compilation_cache
    from ..experiments._runner import sweep_defaults
    from ..symmetry import symmetries

    t_start = time.perf_counter()
    problem = load_problem(args.problem)
    samples = parse_int_list(args.samples, "--samples")
    variants = parse_str_list(args.variants, "--variants", VARIANTS)
    if args.seeds < 1:
        raise ValueError(f"--seeds must be >= 1, got {args.seeds}")
    if args.steps < 0 or args.lbfgs_steps < 0:
        raise ValueError("--steps and --lbfgs-steps must be >= 0")

    base = sweep_defaults(args.problem)
    if base.n_ics is not None:
        raise ValueError(f"the demo trains one initial condition; {args.problem!r} is IC-conditioned "
                         "(use `liepinn compare` or examples/paper_setting.py)")

    enable_compilation_cache(Path(args.out) / ".jax-cache")  # before anything compiles

    _banner(f"1. symmetries of {args.problem}: {'; '.join(problem.pde.source)}")
    t0 = time.perf_counter()
    algebra = symmetries(problem.pde)
    print(algebra, flush=True)
    print(f"(derived in {time.perf_counter() - t0:.1f} s)")
    print("\nWhat each generator can add as a loss term (pr v(Delta) = lambda Delta):")
    for d in degeneracy(problem.pde, algebra):
        lam = d.lam[0, 0] if d.lam.shape == (1, 1) else d.lam
        print(f"  {d.name}: lambda = {lam};  prolonged: {d.prolonged};  evolutionary: {d.evolutionary}")

    _banner("2. training with and without the symmetry loss")
    print(f"problem: {problem!r}")
    sweep = Sweep(problems=(args.problem,), samples=samples, variants=variants, seeds=args.seeds,
                  steps=args.steps, lbfgs_steps=args.lbfgs_steps, lr=base.recipe.learning_rate,
                  width=base.recipe.width, depth=base.recipe.depth, n_initial=base.n_initial,
                  n_boundary=base.n_boundary)
    if MATCHED in variants:
        print(f"compute-matched arm: {sweep.match_to} costs {sweep.cost_ratio(args.problem):.3g}x the "
              "residual's derivative work per point (recorded cost), so the plain PINN gets that many "
              "times more points")
    from ..experiments._report import write_report
    from ..experiments._sweep import run_sweep

    outcome = run_sweep(sweep, args.out, progress=lambda m: print(m, flush=True))

    _banner("3. results")
    notes = [f"`liepinn demo`: {args.problem}, {args.steps} Adam + {args.lbfgs_steps} L-BFGS steps, "
             f"{args.seeds} seeds vmapped per arm; error against the "
             f"{'exact solution' if problem.exact is not None else 'diffrax reference'}."]
    rep = write_report(outcome.records, args.out, title=f"liepinn demo: {args.problem}", notes=notes)
    print(rep.text)
    print(f"table: {rep.markdown}\nCSV:   {rep.csv}\nplots: {', '.join(str(p) for p in rep.plots)}")
    print(f"demo finished in {time.perf_counter() - t_start:.0f} s")
    return 0
