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

A loss that evaluates the network at points of its own besides the collocation points
states its cost per training step through a `step_cost(n_collocation)` method: the
conserved-quantity loss (`ConservedLoss.step_cost`) adds its quadrature and flux points,
each at the plan cost of the densities' and fluxes' derivatives. Its cost ratio to the plain
PINN then depends on the number of interior points N, so the compute-matched arm of a sweep
gets it per sample count.
"""

from __future__ import annotations

import functools

from ..derivatives._strategies import plan_cost as plan_cost


def step_cost(loss, n_collocation: int) -> float:
    """Taylor coefficients per training step of `loss` on `n_collocation` interior points: the
    loss's own `step_cost(n)` hook where it has one (a loss with points of its own, such as
    the conserved-quantity loss's quadrature), else n x the plan cost of `loss.lowered`."""
    hook = getattr(loss, "step_cost", None)
    if callable(hook):
        return float(hook(n_collocation))
    return n_collocation * float(plan_cost(alpha for _, alpha in loss.lowered.required))


@functools.lru_cache(maxsize=64)
def derivative_cost(problem: str, variant, generators: str = "all", samples: int | None = None) -> float:
    """Cost (Taylor coefficients per interior point) of `variant`'s loss (a name, or a variant
    object with its own settings) on the named problem; with `samples`, `step_cost` on that
    many points divided by it (the same number for losses whose work is all at the
    collocation points)."""
    from ..losses import NoScaling
    from ..losses._variants import variant_from_name
    from ..problems import load_problem

    loss = variant_from_name(variant, weight=1.0, normaliser=NoScaling(),
                             generators=generators).interior_loss(load_problem(problem))
    if samples is None:
        if callable(getattr(loss, "step_cost", None)):
            raise ValueError(f"the cost of variant {getattr(variant, 'name', variant)!r} depends on the "
                             "number of interior points: pass samples")
        return float(plan_cost(alpha for _, alpha in loss.lowered.required))
    return step_cost(loss, samples) / samples
