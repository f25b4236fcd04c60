r"""The recorded cost of a loss variant: network derivative values per collocation point.

The compute-matched arm must be matched by a number that does not depend on the machine or
its load, so that a rerun (or a resumed sweep) builds the same runs. liepinn's losses compute
every network derivative they need through one derivative plan (`liepinn.derivatives`):
boxes $\{\beta \le c\}$ of multi-indices, one nested Taylor stream per corner $c$, carrying
$\prod_i (c_i + 1) - 1$ coefficients besides the value itself. The cost of a variant is

    1 + sum over the plan's corners c of (prod_i (c_i + 1) - 1),

the number of Taylor coefficients per point and output, for the derivative set of the
variant's lowered loss (`PINNLoss.lowered.required`). For heat and Burgers the residual
needs {u, u_t, u_xx} (corners (2,0), (0,1): cost 4) and the evolutionary form adds the third
order {u_xxx, u_xxt, u_xt, u_tt, ...} (corners (3,1), (0,2): cost 10), a ratio of 2.5.
It is a proxy: it counts derivative work, not the extra arithmetic of the symmetry terms
(measured step-cost ratios are in benchmarks/; pass one as a fixed `cost` to use it instead).
"""

from __future__ import annotations

import functools


def plan_cost(alphas) -> int:
    """Taylor coefficients per point of the derivative plan covering `alphas`."""
    from ..derivatives._strategies import _box_cost, _plan

    alphas = {tuple(a) for a in alphas}
    if not alphas:
        return 1
    return 1 + sum(_box_cost(c) for c in _plan(alphas) if any(c))


@functools.lru_cache(maxsize=64)
def derivative_cost(problem: str, variant: str, generators: str = "all") -> float:
    """Cost (Taylor coefficients per point) of `variant`'s loss on the named problem."""
    from ..losses import NoScaling
    from ..losses._variants import variant_from_name
    from ..problems import load_problem

    loss = variant_from_name(variant, weight=1.0, normaliser=NoScaling(),
                             generators=generators).interior_loss(load_problem(problem))
    return float(plan_cost(alpha for _, alpha in loss.lowered.required))
