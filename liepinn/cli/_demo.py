"""`liepinn demo [--out DIR]`: the whole pipeline on the heat equation in a few minutes.

1. derive and print the Lie point symmetries of u_t = mu u_xx (and what each generator can
   contribute as a loss term);
2. train a plain PINN and PINNs with the evolutionary symmetry loss and the gPINN loss, and
   a plain PINN given the symmetry loss's extra compute as extra points, at a small budget,
   several seeds vmapped;
3. evaluate against the exact solution (or the diffrax reference) and write the table, CSVs
   and plots into DIR (resumable, like `liepinn compare`);
4. the symmetry group in operator training, the use the study `examples/group_action_study.py`
   supports best: IC-conditioned training on burgers_sines with and without `Augment()` (the
   training ICs plus copies moved along the admissible orbits, data-free), evaluated in
   distribution and on test ICs moved out of the training family (DIR/group).
"""

from __future__ import annotations

import argparse
import time

# A budget that runs in a few minutes on 2 CPU cores (see examples/README.md for timings).
DEMO = dict(problem="heat", samples="64,256", seeds=3, steps=1000, lbfgs_steps=200,
            variants="residual,evolutionary,gpinn,matched")
# step 4: the study's Burgers setting (16 training ICs, 32 x 2 DeepONet, 256 points) at a
# demo budget: 500 Adam steps, 3 seeds (~1.5 min on 2 idle cores)
GROUP = dict(problem="burgers_sines", n_ics=16, samples=256, seeds=3, steps=500, width=32, depth=2)


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
    p.add_argument("--group-problem", default=GROUP["problem"], metavar="PROBLEM",
                   help=f"step 4: an IC-conditioned problem trained plain and with augment (default "
                        f"{GROUP['problem']}; 'none' skips step 4)")
    p.add_argument("--group-steps", type=int, default=GROUP["steps"],
                   help=f"step 4: Adam steps of both arms (default {GROUP['steps']})")
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

    if args.group_problem != "none":  # before anything trains: a bad step 4 fails at once
        _check_group(args.group_problem, args.group_steps)
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
    if args.group_problem != "none":
        group_step(args.group_problem, Path(args.out) / "group", steps=args.group_steps)
    print(f"demo finished in {time.perf_counter() - t_start:.0f} s")
    return 0


def _check_group(problem_name: str, steps: int):
    """The sweep defaults of step 4's problem (ValueError unless it is IC-conditioned and steps >= 1)."""
    from ..experiments._runner import sweep_defaults

    if steps < 1:
        raise ValueError(f"--group-steps must be >= 1, got {steps}")
    base = sweep_defaults(problem_name)
    if base.n_ics is None:
        raise ValueError(f"--group-problem: {problem_name!r} has one initial condition; step 4 needs an "
                         "IC-conditioned problem (an initial_family), e.g. burgers_sines, or 'none'")
    return base


def group_step(problem_name: str, out, *, steps: int = GROUP["steps"], seeds: int = GROUP["seeds"],
               n_ics: int = GROUP["n_ics"], samples: int = GROUP["samples"], width: int = GROUP["width"],
               depth: int = GROUP["depth"], options=None) -> dict[str, dict[str, list[float]]]:
    """Step 4: `residual` and `augment` on an IC-conditioned problem at a demo budget; prints the
    report and the in-distribution and OOD comparison. Returns {arm: {"in": [...], "ood": [...]}}
    (per seed)."""
    import math

    import numpy as np

    from ..experiments import significance
    from ..experiments._report import write_report
    from ..experiments._spec import Sweep
    from ..experiments._sweep import run_sweep
    from ..losses import Augment, default_orbits
    from ..problems._registry import load_problem

    base = _check_group(problem_name, steps)
    problem = load_problem(problem_name)
    _banner(f"4. the symmetry group: augmentation on {problem_name}")
    orbits = default_orbits(problem)
    print(f"IC-conditioned training (physics-informed DeepONet, data-free) on {n_ics} training ICs of "
          f"{problem_name}.\n`augment` adds {n_ics} ICs g.u0, each a training IC moved by an element of the "
          f"orbits the problem admits:")
    for o in orbits:
        print(f"  {o.label}   eps in {o.parameter_range(problem)}")
    print("The residual and IC terms apply to the moved ICs as to the originals (no solution data).")
    sweep = Sweep(problems=(problem_name,), samples=(samples,), variants=("residual", Augment()), seeds=seeds,
                  n_ics=(n_ics,), steps=steps, lbfgs_steps=0, lr=base.recipe.learning_rate, width=width,
                  depth=depth, n_initial=base.n_initial, n_boundary=base.n_boundary, options=options or {})
    outcome = run_sweep(sweep, out, progress=lambda m: print(m, flush=True))
    notes = [f"`liepinn demo` step 4: {problem_name}, {n_ics} training ICs, {steps} Adam steps, {seeds} seeds; "
             "a demo budget, far from converged."]
    rep = write_report(outcome.records, out, title=f"liepinn demo: the group on {problem_name}", notes=notes)
    print(rep.text)
    errors: dict[str, dict[str, list[float]]] = {}
    for r in sorted(outcome.records, key=lambda r: r.config.seed):
        fields = r.result.get("rel_l2_fields") or {}
        e = errors.setdefault(r.config.variant, {"in": [], "ood": []})
        e["in"].append(r.rel_l2)
        e["ood"].append(float(fields.get("ood", math.nan)))
    moves = next((r.result["rel_l2_fields"].get("ood_moves") for r in outcome.records if r.config.variant == "augment"
                  and (r.result.get("rel_l2_fields") or {}).get("ood_moves")), None)
    if moves:
        print(f"OOD test ICs: the family's test ICs moved by {', '.join(moves)}")
        inside = sum("(inside" in m for m in moves)
        print(f"{inside} of {len(moves)} moves lie inside augment's training orbits: the OOD test shows the group "
              "extending the training distribution to them, not generalisation beyond every orbit.")
    plain, aug = errors.get("residual"), errors.get("augment")
    if plain and aug:
        print(f"\naugment against the plain arm (mean rel. L2 over {seeds} seeds; ratio < 1: augment better):")
        for what, key in (("in distribution", "in"), ("out of distribution", "ood")):
            a, b = np.asarray(aug[key]), np.asarray(plain[key])
            if not (np.isfinite(a).any() and np.isfinite(b).any()):
                print(f"  {what}: not available")
                continue
            _, p, _ = significance(list(a), list(b))
            sig = f"Welch/Mann-Whitney p = {p:.2g}" if math.isfinite(p) else "too few seeds for a test"
            print(f"  {what:20s} plain {np.nanmean(b):.3g}  augment {np.nanmean(a):.3g}  ratio "
                  f"{np.nanmean(a) / np.nanmean(b):.2f}  ({sig})")
        print(f"This is a demo budget ({steps} Adam steps, {seeds} seeds), not a claim. The evidence, "
              "5 seeds at equal budget against the plain, extra-family-ICs and compute-matched arms, "
              "is the study in examples/README.md (examples/group_action_study.py).")
    return errors
