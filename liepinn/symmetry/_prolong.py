r"""Characteristic and prolongation of a point vector field on jet space.

For $v = \xi^i(x,u)\,\partial_{x^i} + \varphi_a(x,u)\,\partial_{u^a}$:

- characteristic $Q_a = \varphi_a - \xi^i u^a_i$;
- prolonged coefficients $\varphi_a^J = D_J Q_a + \xi^i u^a_{J,i}$;
- $\mathrm{pr}^{(n)} v = v + \sum_{a,\,1\le|J|\le n} \varphi_a^J\,\partial_{u^a_J}$.

Symbolic layer: sympy only.
"""

from __future__ import annotations

from collections.abc import Mapping

import sympy as sp

from ..symbolic._jet import JetSpace


def _component(jet: JetSpace, table: Mapping | None, variables, what: str) -> tuple:
    """Read `table` (keyed by Symbol or name) into a tuple ordered like `variables`."""
    table = dict(table or {})
    names = {v.name: k for k, v in enumerate(variables)}
    out = [sp.Integer(0)] * len(variables)
    for key, value in table.items():
        name = key if isinstance(key, str) else getattr(key, "name", None)
        if name not in names:
            raise ValueError(
                f"{what} component {key!r} is not one of {[v.name for v in variables]}"
            )
        out[names[name]] = sp.sympify(value)
    return tuple(out)


def characteristic(jet: JetSpace, xi: Mapping, phi: Mapping) -> tuple:
    r"""The characteristic $Q_a = \varphi_a - \sum_i \xi^i u^a_i$, one entry per dependent variable."""
    xs = _component(jet, xi, jet.independent, "xi")
    ps = _component(jet, phi, jet.dependent, "phi")
    out = []
    for a in range(jet.q):
        q = ps[a]
        for i in range(jet.p):
            if xs[i] != 0:
                q = q - xs[i] * jet.jet(a, tuple(int(k == i) for k in range(jet.p)))
        out.append(q)
    return tuple(out)


class _Prolongation:
    """Memoised $D_J Q_a$ and $\\varphi^J_a$ for one vector field."""

    def __init__(self, jet: JetSpace, xi: Mapping, phi: Mapping):
        self.jet = jet
        self.xi = _component(jet, xi, jet.independent, "xi")
        self.phi = _component(jet, phi, jet.dependent, "phi")
        self.Q = characteristic(jet, xi, phi)
        self._DQ: dict[tuple[int, tuple[int, ...]], sp.Expr] = {}

    def DQ(self, a: int, alpha: tuple[int, ...]) -> sp.Expr:
        key = (a, alpha)
        hit = self._DQ.get(key)
        if hit is not None:
            return hit
        if sum(alpha) == 0:
            val = self.Q[a]
        else:
            i = max(k for k, n in enumerate(alpha) if n)
            lower = list(alpha)
            lower[i] -= 1
            val = self.jet.D(self.DQ(a, tuple(lower)), i)
        self._DQ[key] = val
        return val

    def coefficient(self, a: int, alpha: tuple[int, ...]) -> sp.Expr:
        r"""$\varphi^J_a = D_J Q_a + \xi^i u^a_{J,i}$."""
        if sum(alpha) == 0:
            return self.phi[a]
        out = self.DQ(a, alpha)
        for i in range(self.jet.p):
            if self.xi[i] != 0:
                up = list(alpha)
                up[i] += 1
                out = out + self.xi[i] * self.jet.jet(a, tuple(up))
        return out


def prolong(jet: JetSpace, xi: Mapping, phi: Mapping, expr, order: int | None = None) -> sp.Expr:
    r"""$\mathrm{pr}^{(n)} v\,(\mathrm{expr})$ for $v = \xi^i\partial_{x^i} + \varphi_a\partial_{u^a}$.

    `xi` maps independent variables to expressions in $(x, u)$ (sympy expressions, possibly
    containing unknown `Function`s); `phi` maps dependent variables likewise. Missing entries
    are zero. `order` is the prolongation order $n$ (default: the order of `expr`); `expr`
    may not contain derivatives of higher order.
    """
    expr = sp.sympify(expr)
    n = jet.order(expr)
    if order is not None and n > order:
        raise ValueError(f"expression of order {n} cannot be acted on by pr^({order}) v")
    pr = _Prolongation(jet, xi, phi)
    out = sp.Integer(0)
    for i, x in enumerate(jet.independent):
        if pr.xi[i] != 0:
            d = sp.diff(expr, x)
            if d != 0:
                out += pr.xi[i] * d
    for a, alpha in jet.jet_variables(expr):
        s = jet.jet(a, alpha)
        d = sp.diff(expr, s)
        if d != 0:
            out += pr.coefficient(a, alpha) * d
    return out
