"""`liepinn conservation-laws`: conservation laws of a PDE by the direct method.

    liepinn conservation-laws PROBLEM [--order K] [--xt-degree Q] [--jet-degree P] [--json]
    liepinn conservation-laws --pde TEXT [--pde TEXT ...] --indep x,t --dep u [--param nu=0.1] ...

Also the runner of `liepinn symmetries --generalized` (the same search-class options).
Bad input gives one line on stderr and exit status 2. Never imports JAX.
"""

from __future__ import annotations

import sys

from ._symmetries import _InputError, add_pde_arguments, compute_and_print, pde_or_exit


def add_class_options(p, *, order_default: int | None, what: str) -> None:
    """--order, --xt-degree, --jet-degree: the class of multipliers or characteristics."""
    p.add_argument("--order", type=int, default=order_default, metavar="K",
                   help=f"highest derivative order of the {what}, on solutions"
                   + (f" (default {order_default})" if order_default is not None else ""))
    p.add_argument("--xt-degree", type=int, metavar="Q",
                   help="only polynomials of total degree <= Q in the independent variables "
                   "(0: no explicit dependence; default: arbitrary)")
    p.add_argument("--jet-degree", type=int, metavar="P",
                   help="only polynomials of degree <= P in the dependent variables and their "
                   "derivatives (default: arbitrary)")


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "conservation-laws",
        help="Derive and verify the conservation laws of a PDE (multipliers, densities, fluxes).",
        description="Conservation laws D_t T + D_i X^i = Λ·Δ by the direct method: multipliers Λ "
        "of order <= K annihilated by the Euler operator, densities and fluxes by the homotopy "
        "operator, each law verified.",
    )
    add_pde_arguments(p)
    add_class_options(p, order_default=2, what="multipliers")
    p.add_argument("--json", action="store_true", help="print the laws as JSON")
    p.add_argument("--timeout", type=float, metavar="SECONDS",
                   help="give up (exit status 1) after this many seconds")
    p.add_argument("-v", "--verbose", action="store_true", help="report the solver's steps on stderr")


def _check_class(args, command: str) -> None:
    for flag, value in (("--order", args.order), ("--xt-degree", args.xt_degree),
                        ("--jet-degree", args.jet_degree)):
        if value is not None and value < 0:
            raise _InputError(f"{flag} {value}: expected a non-negative integer")
    if args.order is None:
        raise _InputError(f"{command} needs --order K, the highest derivative order to search")


def search(args, command: str, kind: str) -> int:
    """Build the PDE, run the search (`kind`: "conservation" or "generalized"), print it."""
    pde, _ = pde_or_exit(args, command, check=lambda: _check_class(args, command))
    if pde is None:
        return 2
    progress = (lambda msg: print(f"  {msg}", file=sys.stderr, flush=True)) if args.verbose else None
    if kind == "conservation":
        from ..symmetry._conservation import ConservationVerificationError as Failed
        from ..symmetry._conservation import conservation_laws as find
    else:
        from ..symmetry._generalized import GeneralizedVerificationError as Failed
        from ..symmetry._generalized import generalized_symmetries as find
    rc, _ = compute_and_print(
        command, lambda: find(pde, args.order, xt_degree=args.xt_degree, jet_degree=args.jet_degree,
                              progress=progress),
        as_json=args.json, timeout=args.timeout, failures=(Failed,))
    return rc


def run(args) -> int:
    return search(args, "conservation-laws", "conservation")
