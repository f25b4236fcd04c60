"""Symbolic analysis of an evolution equation u_t = F(x, u, u_x, ...) for the reference solver.

Sympy only: which terms are linear with constant coefficients (treated exactly, or implicitly),
and whether F is compatible with an odd/even reflection of the domain.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import sympy as sp

from ..symbolic._jet import JetSpace
from ..symbolic._parse import PDEInputError


def spatial_orders(F: Mapping[sp.Symbol, sp.Expr], jet: JetSpace, x: int) -> set[int]:
    """Orders of x-derivatives occurring in F; an error for derivatives in other variables."""
    orders = set()
    for rhs in F.values():
        for a, alpha in jet.jet_variables(rhs):
            other = [k for i, k in enumerate(alpha) if i != x and k]
            if other:
                raise PDEInputError(
                    f"the right-hand side contains {jet.jet(a, alpha)}, a derivative in a variable "
                    f"other than {jet.independent[x]} and time: not a 1-D evolution equation"
                )
            orders.add(alpha[x])
    return orders


def spatial_keys(F: Mapping[sp.Symbol, sp.Expr], jet: JetSpace, axes: Sequence[int],
                 t: int) -> set[tuple[int, ...]]:
    """Multi-indices (orders along the space `axes`) of the derivatives in F; an error for
    derivatives in time `t`."""
    keys = set()
    for rhs in F.values():
        for a, alpha in jet.jet_variables(rhs):
            if alpha[t]:
                raise PDEInputError(
                    f"the right-hand side contains {jet.jet(a, alpha)}, a derivative in time "
                    f"{jet.independent[t]}: not an evolution equation u_t = F(x, u, u_x, ...)")
            keys.add(tuple(alpha[i] for i in axes))
    return keys


def _constant_linear_terms(F: Mapping[sp.Symbol, sp.Expr], jet: JetSpace):
    r"""(a, b, alpha, c) for each constant-coefficient linear term $c\,u^b_\alpha$ of each $F_a$."""
    jets = set()
    for rhs in F.values():
        jets |= {s for s in rhs.free_symbols if jet.decode(s) is not None}
    for a, rhs in enumerate(F.values()):
        for term in sp.Add.make_args(sp.expand(rhs)):
            coeff, rest = term.as_independent(*jets, as_Add=False)
            if coeff.free_symbols or not isinstance(rest, sp.Symbol):
                continue
            hit = jet.decode(rest)
            if hit is None:
                continue
            value = complex(sp.N(coeff, 30))
            yield a, hit[0], hit[1], (value.real if value.imag == 0 else value)


def linear_part(F: Mapping[sp.Symbol, sp.Expr], jet: JetSpace, x: int,
                min_order: int = 1) -> dict[tuple[int, int, int], complex]:
    r"""Constant-coefficient linear terms $c\,\partial_x^k u^b$ ($k \ge$ `min_order`) of each $F_a$.

    Returns (a, b, k) -> c (a Python number). These terms have the Fourier symbol
    $L_{ab}(\kappa) = \sum_k c_{abk} (i\kappa)^k$.
    """
    out: dict[tuple[int, int, int], complex] = {}
    for a, b, alpha, value in _constant_linear_terms(F, jet):
        k = alpha[x]
        if k >= min_order:
            out[(a, b, k)] = out.get((a, b, k), 0) + value
    return out


def linear_part_nd(F: Mapping[sp.Symbol, sp.Expr], jet: JetSpace, axes: Sequence[int],
                   min_order: int = 2) -> dict[tuple[int, int, tuple[int, ...]], complex]:
    r"""The d-dimensional `linear_part`: constant-coefficient terms $c\,\partial^\alpha u^b$ with
    $|\alpha| \ge$ `min_order` (alpha over the space `axes`), as (a, b, alpha) -> c; their symbol
    is $L_{ab}(\kappa) = \sum_\alpha c_{ab\alpha} \prod_k (i\kappa_k)^{\alpha_k}$."""
    out: dict[tuple[int, int, tuple[int, ...]], complex] = {}
    for a, b, alpha, value in _constant_linear_terms(F, jet):
        key = tuple(alpha[i] for i in axes)
        if sum(key) >= min_order:
            out[(a, b, key)] = out.get((a, b, key), 0) + value
    return out


def linear_expression(part: Mapping[tuple, complex], jet: JetSpace, x: int | Sequence[int]) -> list[sp.Expr]:
    """The linear part as sympy expressions, one per equation (`x`: the space axis of a
    `linear_part`, or the space axes of a `linear_part_nd`)."""
    axes = (x,) if isinstance(x, int) else tuple(x)
    exprs = [sp.Integer(0)] * jet.q
    for (a, b, k), c in part.items():
        orders = dict(zip(axes, (k,) if isinstance(k, int) else k))
        alpha = tuple(orders.get(i, 0) for i in range(jet.p))
        exprs[a] = exprs[a] + sp.nsimplify(c) * jet.jet(b, alpha)
    return exprs


def reflection_compatible(F: Mapping[sp.Symbol, sp.Expr], jet: JetSpace, x: int,
                          parity: Sequence[int], centres: Sequence[sp.Expr | float]) -> bool:
    r"""Is F covariant under the reflections $x \to 2c - x$, $u^b \to s_b u^b$ about each centre?

    Under the reflection $\partial_x^k u^b \to s_b (-1)^k \partial_x^k u^b$; the extension of a
    solution by reflection solves the equation iff $F_a \to s_a F_a$. Homogeneous Dirichlet data
    go with $s = -1$ (odd extension), homogeneous Neumann data with $s = +1$ (even).
    """
    xs = jet.independent[x]
    syms = set()
    for rhs in F.values():
        syms |= {s for s in rhs.free_symbols if jet.decode(s) is not None}
    for c in centres:
        reps = {xs: 2 * c - xs}
        for s in syms:
            b, alpha = jet.decode(s)
            reps[s] = parity[b] * (-1) ** alpha[x] * s
        for a, rhs in enumerate(F.values()):
            diff = sp.expand(rhs.xreplace(reps) - parity[a] * rhs)
            if diff != 0 and sp.simplify(diff) != 0:
                return False
    return True
