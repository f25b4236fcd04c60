"""`liepinn reduce`: invariant solutions of a PDE by similarity reduction.

    liepinn reduce PROBLEM --generator "v2 + c*v1" [--json]
    liepinn reduce --pde TEXT --indep x,t --dep u [--param nu=0.1] --generator "x*D_x + 2*t*D_t - u*D_u"

The generator is a combination of the basis that `liepinn symmetries` prints (v1, v2, ...)
or a vector field written out with D_x (also written ∂x or d_x) for the basis vector fields.
Bad input gives one line on stderr and exit status 2. Never imports JAX.
"""

from __future__ import annotations

import json
import os
import sys

from ._symmetries import _build_pde, _InputError, _one_line, _time_limit, _TimeLimit, add_pde_arguments


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
    from ..symbolic._parse import PDEInputError
    from ..symmetry._reduce import reduce

    try:
        pde, _ = _build_pde(args)
    except (PDEInputError, _InputError, ValueError) as e:
        print(f"liepinn reduce: error: {_one_line(e)}", file=sys.stderr)
        return 2
    try:
        with _time_limit(args.timeout):
            result = reduce(pde, args.generator, solve=not args.no_solve)
        text = json.dumps(result.to_json(), indent=2) if args.json else str(result)
    except PDEInputError as e:
        print(f"liepinn reduce: error: {_one_line(e)}", file=sys.stderr)
        return 2
    except _TimeLimit:
        print(f"liepinn reduce: gave up after {args.timeout:g} s (--timeout)", file=sys.stderr)
        return 1
    except Exception as e:  # noqa: BLE001 - one line for the user, traceback on request
        if os.environ.get("LIEPINN_DEBUG"):
            raise
        print(f"liepinn reduce: failed: {type(e).__name__}: {_one_line(e)} "
              "(set LIEPINN_DEBUG=1 for a traceback)", file=sys.stderr)
        return 1
    try:
        print(text)
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stdout = open(os.devnull, "w")
    return 0
