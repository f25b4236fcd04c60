"""`liepinn compare PROBLEM --samples 250,500,1000 --seeds 5 --out DIR`: a resumable sweep.

Every finished run is stored at once (DIR/runs/<key>.json, atomically); rerunning the same
command skips what is stored and continues. Several commands may share one DIR at once (on
one host, or several over a shared filesystem): they split the work, each run is trained and
stored once, and a killed worker's runs are redone. `--executor ray` sends the batches to a
Ray cluster. At the end (and with --report-only) it writes DIR/report.md, DIR/summary.csv,
DIR/runs.csv and the PNG plots. `liepinn compare --status DIR` shows what DIR holds.
"""

from __future__ import annotations

import argparse

DEFAULT_VARIANTS = "residual,prolonged,evolutionary,gpinn,matched"
SWEEP_DEFAULTS = ("Sweeps have their own defaults (`liepinn.experiments.sweep_defaults`), smaller than a single "
                  "run's (`liepinn train`, `liepinn.fit`: the recipe's 20 x 8 MLP, 10,000 points, hard "
                  "constraints): a 32 x 3 MLP, 2000 Adam + 500 L-BFGS steps, soft IC/BC terms and a 128 x 65 "
                  "evaluation grid (a 64 x 3 DeepONet and 3000 Adam steps for a family of ICs). They are part of "
                  "every stored run's key, so that stored results stay found.")


def add_parser(subparsers) -> argparse.ArgumentParser:
    from .. import cli
    from ..experiments._spec import MATCH_TARGETS
    from ..losses import Evolutionary, InitialBalance

    p = subparsers.add_parser(
        "compare",
        help=cli.SUBCOMMANDS["compare"],
        description=__doc__.splitlines()[0] + " " + SWEEP_DEFAULTS,
    )
    p.add_argument("problem", metavar="PROBLEM", nargs="?", help="a problem of pdes/ (e.g. burgers, heat), or FILE.py[:NAME] with your own liepinn.Problem (the file is imported: it runs)")
    p.add_argument("--samples", default="250,500,1000",
                   help="numbers of interior collocation points, comma-separated (default 250,500,1000)")
    p.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1 per arm (default 5)")
    p.add_argument("--variants", default=DEFAULT_VARIANTS,
                   help=f"comma-separated arms: {DEFAULT_VARIANTS} (the default), or any other registered "
                        "loss variant such as conserved (conserved-quantity terms). For an IC-conditioned "
                        "problem (one with an initial family, e.g. burgers_sines; see --n-ics) the group arms: "
                        "augment (the training ICs plus one IC g.u0 per training IC, each moved by an element "
                        "drawn from the orbits the problem admits: x-translations, the Galilean boost, "
                        "u -> lambda u, u -> u + c; data-free) and equivariant (the training ICs plus the "
                        "consistency term ||G(g.u0)(g.z) - g.G(u0)(z)||^2 / gain, weight 1: the training IC's side "
                        "held fixed for translations, boosts and shifts, both sides trained for u -> lambda u, "
                        "whose held-fixed form diverged on heat, see examples/README.md). Their options "
                        "(copies, orbits, weight, hold_source) are those of liepinn.losses.Augment / Equivariant; "
                        "--orbits and --copies set the first two, the others through the Python API "
                        "(Sweep(variants=(Equivariant(weight=0.1), ...)). "
                        "Their runs also report the error on test ICs moved out of the family (OOD)")
    p.add_argument("--orbits", default=None,
                   help="the orbits of the augment and equivariant arms, instead of those the problem admits "
                        "by default: comma-separated names (translation, boost, scaling, shift, reflection: "
                        "each with its defaults, e.g. reflection is x -> -x) or JSON (an object or a list of "
                        "them, e.g. '[{\"orbit\": \"translation\", \"range\": [0, 0.5]}, {\"orbit\": "
                        "\"reflection\", \"mapping\": {\"x\": \"-x\", \"u\": \"-u\"}}]'). Each is "
                        "checked before training: a symmetry of the PDE that the problem admits (domain, "
                        "boundary data, time window) for its whole range. Part of the runs' keys")
    p.add_argument("--copies", type=int, default=None,
                   help="moved ICs per training IC of the augment and equivariant arms (default 1; part of "
                        "the runs' keys)")
    p.add_argument("--steps", type=int, default=None, help="Adam steps (default: the sweep's, 2000; 3000 for a family of ICs)")
    p.add_argument("--lbfgs-steps", type=int, default=None, help="L-BFGS steps after Adam (default: the sweep's, 500)")
    p.add_argument("--lr", type=float, default=None, help="Adam learning rate (default: the sweep's, 1e-3)")
    p.add_argument("--weight", default="1", help="weight(s) of the symmetry / gPINN terms, comma-separated")
    p.add_argument("--normaliser", default=InitialBalance.name,
                   help="scaling of the extra terms, comma-separated: initial (each equals the residual "
                        "term on a fixed calibration network; default), coefficients (by the generator's "
                        "coefficients on the domain), none")
    p.add_argument("--generators", default="all", help="'all' or 1-based generator numbers like 1,2,5")
    p.add_argument("--n-ics", default=None,
                   help="numbers of training initial conditions (IC-conditioned problems), comma-separated")
    p.add_argument("--match", choices=("points", "steps"), default="points",
                   help="what the compute-matched arm gets more of (default points)")
    p.add_argument("--match-to", default=Evolutionary.name, choices=MATCH_TARGETS,
                   help="the arm whose cost the matched arm matches (default evolutionary)")
    p.add_argument("--cost", default="derivatives",
                   help="cost ratio of the matched arm: 'derivatives' (Taylor coefficients per point "
                        "of the two losses' derivative plans) or a fixed number >= 1")
    p.add_argument("--until-plateau", type=int, default=0, metavar="R",
                   help="up to R further L-BFGS rounds of --lbfgs-steps while a seed has not converged: "
                        "its loss reached a plateau, or its residual on fixed held-out points improved by "
                        "< 1%% in the last round (overfitting its points). Default 0: the fixed budget; the "
                        "report's 'converged' column says which runs converged")
    p.add_argument("--width", type=int, default=None, help="network width (default: the sweep's, 32; 64 for a family of ICs)")
    p.add_argument("--depth", type=int, default=None, help="network hidden layers (default: the sweep's, 3)")
    p.add_argument("--float64", action="store_true", help="train in float64")
    p.add_argument("--max-vmap", type=int, default=None, help="at most this many seeds in one vmapped program")
    p.add_argument("--alpha", type=float, default=0.05, help="level of the Welch t-tests (default 0.05)")
    p.add_argument("--report-only", action="store_true", help="only (re)write the report of stored runs")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.add_argument("--no-compilation-cache", action="store_true",
                   help="do not keep compiled XLA programs in DIR/.jax-cache (kept by default: a "
                        "resumed sweep then skips most compilation)")
    p.add_argument("--out", metavar="DIR", help="results directory (resumable; shareable by several commands at once)")
    p.add_argument("--status", metavar="DIR", default=None,
                   help="show what DIR holds (runs stored, claimed by whom, failed, pending, corrupt) and exit")
    p.add_argument("--executor", choices=("local", "ray"), default="local",
                   help="where batches train: this process (default) or tasks on a Ray cluster "
                        "(pip install 'liepinn[cluster]'; DIR must be on a filesystem all nodes share)")
    p.add_argument("--address", default=None, metavar="HOST:PORT",
                   help="the Ray cluster (default: a local one started for this sweep; 'auto': the one "
                        "`ray start` runs here)")
    p.add_argument("--lease", type=float, default=None, metavar="S",
                   help="seconds a worker's claim lives without its heartbeat (default 120): the batch of "
                        "a worker on another host that died is redone after this")
    return p


def build_sweep(args):
    """The `Sweep` that the arguments describe (ValueError with a clear message if bad)."""
    from ..experiments._spec import (
        NORMALISERS,
        SYMMETRY_VARIANTS,
        VARIANTS,
        Sweep,
        parse_float_list,
        parse_int_list,
        parse_str_list,
    )
    from ..experiments._runner import sweep_defaults

    variants = group_arms(parse_str_list(args.variants, "variants", VARIANTS), args.orbits, args.copies)
    samples = parse_int_list(args.samples, "--samples")
    weights = parse_float_list(args.weight, "--weight")
    normalisers = parse_str_list(args.normaliser, "--normaliser", NORMALISERS)
    n_ics = (None,) if args.n_ics is None else parse_int_list(args.n_ics, "--n-ics")
    if args.cost == "derivatives":
        cost: str | float = "derivatives"
    else:
        try:
            cost = float(args.cost)
        except ValueError:
            raise ValueError(f"--cost must be 'derivatives' or a number >= 1, got {args.cost!r}") from None
    for name in ("steps", "lbfgs_steps", "width", "depth", "max_vmap"):
        v = getattr(args, name)
        if v is not None and v < (0 if name.endswith("steps") else 1):
            raise ValueError(f"--{name.replace('_', '-')} must be {'>= 0' if name.endswith('steps') else '>= 1'}, got {v}")
    if args.seeds < 1:
        raise ValueError(f"--seeds must be >= 1, got {args.seeds}")
    if args.until_plateau < 0:
        raise ValueError(f"--until-plateau must be >= 0, got {args.until_plateau}")
    from ._user_problem import resolve_problem

    args.problem = resolve_problem(args.problem)
    base = sweep_defaults(args.problem)  # ValueError for an unknown problem
    conditioned = base.n_ics is not None
    if n_ics != (None,) and not conditioned:
        raise ValueError(f"--n-ics applies to IC-conditioned problems only; {args.problem!r} has one initial condition")
    if n_ics == (None,) and conditioned:
        n_ics = (base.n_ics,)
    if any(v in SYMMETRY_VARIANTS for v in variants) or args.match_to in SYMMETRY_VARIANTS:
        from ..losses._variants import select_generators
        from ..problems import load_problem

        select_generators(load_problem(args.problem), args.generators)  # ValueError if out of range
    r = base.recipe
    kw = dict(steps=r.steps, lbfgs_steps=r.lbfgs_steps, lr=r.learning_rate, width=r.width, depth=r.depth,
              n_initial=base.n_initial, n_boundary=base.n_boundary)
    for name in ("steps", "lbfgs_steps", "lr", "width", "depth"):
        if getattr(args, name) is not None:
            kw[name] = getattr(args, name)
    return Sweep(
        problems=(args.problem,), samples=samples, variants=variants, seeds=args.seeds, n_ics=n_ics,
        weights=weights, normalisers=normalisers, generators=args.generators, match=args.match,
        match_to=args.match_to, cost=cost, float64=bool(args.float64),
        options={"extra_lbfgs_rounds": args.until_plateau}, **kw,
    )


def parse_orbits(text: str) -> list:
    """`--orbits`: comma-separated orbit names, or JSON (one orbit object or a list of them)."""
    import json

    from ..experiments._spec import parse_str_list

    text = text.strip()
    if text[:1] not in "[{":
        return list(parse_str_list(text, "--orbits"))
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"--orbits: not valid JSON ({e.msg} at character {e.pos}): {text!r}") from None
    return value if isinstance(value, list) else [value]


def group_arms(variants: tuple[str, ...], orbits: str | None, copies: int | None) -> tuple:
    """`variants` with the group arms (augment, equivariant) built with `--orbits` / `--copies`
    where given; untouched otherwise, so that the default arms keep their stored runs' keys."""
    import dataclasses

    from ..experiments._spec import MATCHED
    from ..losses._group import AbstractGroupVariant
    from ..losses._variants import variant_from_name

    if orbits is None and copies is None:
        return variants
    arms = {v: variant_from_name(v) for v in variants if v != MATCHED}
    group = [v for v, arm in arms.items() if isinstance(arm, AbstractGroupVariant)]
    if not group:
        raise ValueError(f"--orbits and --copies apply to the augment and equivariant arms; --variants has neither "
                         f"({', '.join(variants)})")
    given = {}
    if orbits is not None:
        given["orbits"] = parse_orbits(orbits)
    if copies is not None:
        given["copies"] = copies
    try:
        return tuple(dataclasses.replace(arms[v], **given) if v in group else v for v in variants)
    except (TypeError, ValueError) as e:  # an unknown orbit or field, a bad range, copies < 1
        flag = "--orbits" if orbits is not None and "copies" not in str(e) else "--copies"
        raise ValueError(f"{flag}: {e}") from None


def executor_from_args(args):
    """The executor object that `--executor` / `--address` name (ValueError without Ray)."""
    from ..experiments._executors import INSTALL_RAY, LocalExecutor, RayExecutor

    if args.executor == "local":
        if args.address is not None:
            raise ValueError("--address applies to --executor ray")
        return LocalExecutor()
    try:
        import ray  # noqa: F401
    except ImportError:
        raise ValueError(f"--executor ray: {INSTALL_RAY}") from None
    return RayExecutor(address=args.address)


def run(args) -> int:
    from pathlib import Path

    from ..experiments._report import write_report
    from ..experiments._store import ResultStore
    from ..experiments._sweep import SweepFailed, run_sweep

    failed = None
    if args.status is not None:
        from ..experiments._status import store_status

        print(store_status(args.status))
        return 0
    if args.problem is None or args.out is None:
        raise ValueError("give PROBLEM and --out DIR (or --status DIR)")
    if args.lease is not None and not args.lease > 0:
        raise ValueError(f"--lease must be > 0 seconds, got {args.lease}")
    executor = executor_from_args(args)
    sweep = build_sweep(args)
    if args.max_vmap is not None and args.max_vmap < 1:
        raise ValueError(f"--max-vmap must be >= 1, got {args.max_vmap}")
    say = (lambda m: None) if args.quiet else (lambda m: print(m, flush=True))
    if args.report_only:
        keys = {c.key for c in sweep.expand()}
        records = ResultStore(args.out).records(keys)
        if not records:
            raise ValueError(f"no stored runs of this sweep in {args.out!r}; run without --report-only first")
    else:
        cache = None if args.no_compilation_cache else Path(args.out) / ".jax-cache"
        if cache is not None:
            from ..experiments._sweep import enable_compilation_cache

            enable_compilation_cache(cache)
        try:
            records = run_sweep(sweep, args.out, max_vmap=args.max_vmap, progress=say, executor=executor,
                                lease=args.lease, compilation_cache=cache).records
        except SweepFailed as e:  # the report of what is stored is still written
            import sys

            print(f"liepinn compare: error: {e}", file=sys.stderr)
            failed, records = e, e.outcome.records
    n_expected = len(sweep.expand())
    notes = [f"Sweep of `liepinn compare {args.problem}`: {len(records)} of {n_expected} runs stored in "
             f"`{Path(args.out)}`; arms share learning rate, steps, network and points (the "
             "`matched` arm excepted, as its label says)."]
    rep = write_report(records, args.out, title=f"liepinn compare {args.problem}", alpha=args.alpha, notes=notes)
    say(f"report: {rep.markdown}  table: {rep.csv}  plots: {', '.join(str(p) for p in rep.plots)}")
    if not args.quiet:
        print()
        print(rep.text)
    return 0 if failed is None else 1
