"""`liepinn reduce`: invariant solutions of a PDE by similarity reduction.

    liepinn reduce PROBLEM --generator "v2 + c*v1" [--json]
    liepinn reduce --pde TEXT --indep x,t --dep u [--param nu=0.1] --generator "x*D_x + 2*t*D_t - u*D_u"

The generator is a combination of the basis that `liepinn symmetries` prints (v1, v2, ...)
or a vector field written out with D_x (also written ∂x or d_x) for the basis vector fields.
Bad input gives one line on stderr and exit status 2. Never imports JAX.
"""

from __future__ import annotations

from ._symmetries import add_pde_arguments, compute_and_print, pde_or_exit


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "reduce",
        help="Invariant solutions: reduce a PDE by a symmetry generator and solve.",
        description="Reduce a PDE by the invariants of a symmetry generator to an equation in one "
        "fewer independent variable, integrate it when it is an ODE, and verify every invariant "
        "solution by substitution and invariance.",
    )
    add_pde_arguments(p)
    p.add_argument("--generator", required=True, metavar="EXPR",
                   help="'v2 + c*v1' (the basis of `liepinn symmetries`) or 'x*D_x + 2*t*D_t - u*D_u'")
    p.add_argument("--no-solve", action="store_true", help="only reduce; do not integrate the reduced ODE")
    p.add_argument("--json", action="store_true", help="print the reduction as JSON")
    p.add_argument("--timeout", type=float, metavar="SECONDS",
                   help="give up (exit status 1) after this many seconds")


def run(args) -> int:
    from ..symmetry._reduce import reduce

    pde, _ = pde_or_exit(args, "reduce")
    if pde is None:
        return 2
    rc, _ = compute_and_print("reduce", lambda: reduce(pde, args.generator, solve=not args.no_solve),
                              as_json=args.json, timeout=args.timeout)
    return rc
