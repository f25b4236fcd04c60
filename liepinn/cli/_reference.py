"""`liepinn reference`: a diffrax method-of-lines reference solution, written as .npz.

    liepinn reference PROBLEM [--nx N] [--nt M] [--rtol R] [--atol A] [--resolution N]
                      [--solver NAME] [--dealias] [--ic-seed S] [--compare FILE.mat]
                      [--no-progress] [--warn-after SECONDS] --out ref.npz

Progress (the fraction of the time span done, the steps and the time left, estimated from the
first seconds of the solve) goes to stderr unless --no-progress; a solve estimated to take longer
than --warn-after seconds (default 180) prints a warning with the reason and the alternatives.

Grids: x = lo + L k/nx (k < nx) on periodic problems, linspace(lo, hi, nx) otherwise;
t = linspace(t0, t1, nt). So `burgers --nx 256 --nt 100` is the grid of burgers_shock.mat and
`kdv --nx 512 --nt 201` that of KdV.mat. With several space variables the output is the tensor
grid of nx points per axis (default 64) and the .npz holds the axes `x0`, `x1`, ...
"""

from __future__ import annotations

import argparse
import sys
import time

SOLVERS = ("tsit5", "dopri5", "dopri8", "kencarp3", "kencarp4", "kencarp5", "kvaerno3", "kvaerno4",
           "kvaerno5")


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "reference",
        help="Compute a diffrax method-of-lines reference solution.",
        description="Solve a problem from pdes/ by the method of lines (Fourier or Chebyshev in x, "
        "diffrax in t) and save x, t, the fields and the settings as .npz.",
    )
    p.add_argument("problem", metavar="PROBLEM", help="a problem from pdes/ (e.g. burgers, kdv, nls)")
    p.add_argument("--nx", type=int, default=None,
                   help="output points in x (default 256; per axis in 2-D and 3-D, default 64)")
    p.add_argument("--nt", type=int, default=101, help="output times (default 101)")
    p.add_argument("--rtol", type=float, default=1e-10, help="relative tolerance (default 1e-10)")
    p.add_argument("--atol", type=float, default=1e-12, help="absolute tolerance (default 1e-12)")
    p.add_argument("--resolution", type=int, default=None, metavar="N",
                   help="solver grid intervals (default: refined until the spectrum's tail is small)")
    p.add_argument("--discretisation", choices=("auto", "fourier", "chebyshev"), default="auto",
                   help="spatial discretisation (default: from the boundary conditions)")
    p.add_argument("--solver", choices=SOLVERS, default=None,
                   help="diffrax solver (default: chosen from the stiffness)")
    p.add_argument("--dealias", action="store_true", help="2/3-rule de-aliasing (Fourier)")
    p.add_argument("--float32", action="store_true", help="solve in float32 (default float64)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=True,
                   help="show progress and the estimated time left on stderr (default on)")
    p.add_argument("--warn-after", type=float, default=180.0, metavar="SECONDS",
                   help="warn when the solve is estimated to take longer (default 180)")
    p.add_argument("--ic-seed", type=int, default=None, metavar="S",
                   help="problems with a family of initial conditions (heat_sines, burgers_sines): "
                   "solve for the family's member drawn with this seed")
    p.add_argument("--compare", metavar="FILE.mat",
                   help="print the relative L2 error against a PINN data file (.mat) or a .npz reference")
    p.add_argument("--out", required=True, metavar="FILE.npz", help="where to write the reference")


def _solver(name: str | None):
    if name is None:
        return None
    import diffrax as dfx

    return {
        "tsit5": dfx.Tsit5, "dopri5": dfx.Dopri5, "dopri8": dfx.Dopri8, "kencarp3": dfx.KenCarp3,
        "kencarp4": dfx.KenCarp4, "kencarp5": dfx.KenCarp5, "kvaerno3": dfx.Kvaerno3,
        "kvaerno4": dfx.Kvaerno4, "kvaerno5": dfx.Kvaerno5,
    }[name]()


def run(args) -> int:
    start = time.perf_counter()
    from ..problems._catalogue import load_entry

    entry = load_entry(args.problem)
    problem = entry.problem
    if problem is None:
        raise ValueError(f"pdes/{args.problem}.py defines no `problem` (domain, initial and boundary "
                         "conditions): nothing to solve")
    from ..reference import Chebyshev, Fourier, Reference, load_mat, solve_reference

    if not args.warn_after > 0:
        raise ValueError(f"--warn-after must be > 0 seconds, got {args.warn_after:g}")
    if (args.nx is not None and args.nx < 2) or args.nt < 2:
        raise ValueError(f"--nx and --nt must be at least 2, got {args.nx} and {args.nt}")
    disc = None
    if args.discretisation == "fourier" or (args.dealias and args.discretisation == "auto"):
        disc = Fourier(args.resolution, dealias=args.dealias)
    elif args.discretisation == "chebyshev":
        if args.dealias:
            raise ValueError("--dealias applies to the Fourier discretisation only")
        disc = Chebyshev(args.resolution)
    initial = None
    if args.ic_seed is not None:
        if problem.initial_family is None:
            raise ValueError(f"problem {problem.name!r} has no family of initial conditions: drop --ic-seed")
        initial = problem.initial_family.sample(args.ic_seed, 1)[0]
    elif problem.initial is None:
        raise ValueError(f"problem {problem.name!r} has a family of initial conditions and no single "
                         "one: choose a member with --ic-seed S")
    import warnings

    def one_line(message, category, *args, **kwargs):  # a warning as one line, no source line
        return f"liepinn reference: {category.__name__}: {message}\n"

    old_format, warnings.formatwarning = warnings.formatwarning, one_line
    try:
        ref = solve_reference(
            problem, nx=args.nx, nt=args.nt, rtol=args.rtol, atol=args.atol, initial=initial,
            discretisation=disc, resolution=args.resolution, solver=_solver(args.solver),
            float64=not args.float32, progress=args.progress, warn_after=args.warn_after,
        )
    finally:
        warnings.formatwarning = old_format
    ref.save(args.out)
    s = ref.settings
    last = s["attempts"][-1]
    print(f"{problem.name}: {s['discretisation']['kind']} n={s['resolution']} "
          f"({', '.join(str(a['resolution']) for a in s['attempts'])} tried; spectral tail "
          f"{s['spectral_tail']:.1e}), {s['solver']}, {last.get('num_steps', '?')} steps, "
          f"rtol={args.rtol:g} atol={args.atol:g} -> {args.out} "
          f"[{' x '.join(str(len(a)) for a in ref.axes)} x {len(ref.t)}] in {time.perf_counter() - start:.1f} s")
    if args.compare:
        other = load_mat(args.compare) if args.compare.endswith(".mat") else Reference.load(args.compare)
        errs = other.errors(ref)
        print("relative L2 vs " + args.compare + ": "
              + ", ".join(f"{k} {v:.2e}" for k, v in errs.items()))
    sys.stdout.flush()
    return 0
