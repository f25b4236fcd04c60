r"""Variational calculus on the jet space: Euler operator, divergences, the homotopy operator.

Euler operator: $E_{u^a}(F) = \sum_J (-D)_J\, \partial F / \partial u^a_J$; it annihilates
exactly the divergences $F = D_i \Phi^i$ (on a star-shaped domain).

Homotopy operator (Olver, *Applications of Lie Groups to Differential Equations*, 5.4;
Hereman, Deconinck & Poole 2007 for the coefficients): if $E(F) = 0$ and $F[0] = 0$,

$$\Phi^i = \int_0^1 \sum_a \sum_{I,\,I_i \ge 1} \sum_{J \le I - e_i}
  \frac{M(J)\, M(I - J - e_i)}{M(I)}\; u^a_J\, (-D)^{I-J-e_i}
  \frac{\partial F}{\partial u^a_I}\Big|_{\lambda u} \frac{d\lambda}{\lambda},$$

with $M(K) = |K|! / (K_1! \cdots K_p!)$, satisfies $D_i \Phi^i = F$. The $u$-free part of
$F$, a function of $x$ alone, is integrated directly in one variable.
"""

from __future__ import annotations

import itertools
from math import factorial

import sympy as sp

from ._jet import JetSpace


class HomotopyError(ValueError):
    """The homotopy integral diverges or cannot be done in closed form."""


def euler_operator(expr, jet: JetSpace, u) -> sp.Expr:
    r"""$E_{u}(F) = \sum_J (-D)_J\, \partial F/\partial u_J$ (u a dependent variable)."""
    a = jet.dep_index(u)
    expr = sp.sympify(expr)
    out = sp.Integer(0)
    for b, alpha in jet.jet_variables(expr):
        if b != a:
            continue
        d = sp.diff(expr, jet.jet(a, alpha))
        out += (-1) ** sum(alpha) * jet.D_multi(d, alpha)
    return sp.expand(out)


def divergence(fluxes, jet: JetSpace) -> sp.Expr:
    r"""$\sum_i D_i \Phi^i$ for `fluxes` mapping independent variables to expressions."""
    return sp.Add(*[jet.D(f, x) for x, f in fluxes.items()])


def _multinomial(k) -> int:
    n = factorial(sum(k))
    for x in k:
        n //= factorial(x)
    return n


def _below(alpha):
    return itertools.product(*[range(k + 1) for k in alpha])


def _lambda_integral(expr, lam) -> sp.Expr:
    r"""$\int_0^1 \text{expr}\, d\lambda/\lambda$ term by term: $\lambda^s \mapsto 1/s$ (s may be
    symbolic: u^m scales as lambda^m); anything else goes to `integrate`."""
    out = []
    expr = sp.expand(sp.expand_power_base(sp.expand(expr), force=True))
    for term in sp.Add.make_args(expr):
        s, rest = sp.Integer(0), []
        for f in sp.Mul.make_args(term):
            base, e = f.as_base_exp()
            if base == lam:
                s += e
            else:
                rest.append(f)
        c = sp.Mul(*rest)
        if not c.has(lam):
            if sp.expand(s) == 0:
                raise HomotopyError(f"the homotopy integral of {term} diverges (scaling degree 0)")
            out.append(c / s)
            continue
        val = sp.integrate(term / lam, (lam, 0, 1), conds="none")
        if val.has(sp.Integral) or val.has(sp.oo, sp.zoo, sp.nan):
            raise HomotopyError(f"cannot integrate {term} over the homotopy parameter")
        out.append(val)
    return sp.expand(sp.Add(*out))


def _degree_zero(F, jet: JetSpace, lam) -> sp.Expr:
    """The terms of F invariant under u -> lambda u (u_xx/u, u_x^2/u^2): the homotopy about
    u = 0 cannot reach them."""
    out = []
    for term in sp.Add.make_args(F):
        scale = {v: lam * v for v in term.free_symbols if jet.decode(v) is not None}
        scaled = sp.expand(sp.expand_power_base(term.xreplace(scale), force=True))
        if scaled.is_Add:
            continue
        s, rest = sp.Integer(0), []
        for f in sp.Mul.make_args(scaled):
            base, e = f.as_base_exp()
            if base == lam:
                s += e
            else:
                rest.append(f)
        if not sp.Mul(*rest).has(lam) and sp.expand(s) == 0:
            out.append(term)
    return sp.Add(*out)


def _core(F, jet: JetSpace, lam) -> dict:
    variables = jet.jet_variables(F)
    out = {}
    for i, x in enumerate(jet.independent):
        integrand = sp.Integer(0)
        for a, I in variables:
            if I[i] < 1:
                continue
            dF = sp.diff(F, jet.jet(a, I))
            if dF == 0:
                continue
            top = I[:i] + (I[i] - 1,) + I[i + 1:]
            for J in _below(top):
                K = tuple(p - q for p, q in zip(top, J))
                coeff = sp.Rational(_multinomial(J) * _multinomial(K), _multinomial(I))
                term = jet.D_multi(dF, K)
                if sum(K) % 2:
                    term = -term
                integrand += coeff * jet.jet(a, J) * term
        integrand = sp.expand(integrand)
        scale = {s: lam * s for s in integrand.free_symbols if jet.decode(s) is not None}
        out[x] = _lambda_integral(integrand.xreplace(scale), lam) if integrand != 0 else sp.Integer(0)
    return out


def _free_part(expr, jet: JetSpace, x) -> sp.Expr:
    val = sp.integrate(expr, x, conds="none")
    if val.has(sp.Integral):
        raise HomotopyError(f"cannot integrate the u-free part {expr} in {x}")
    return val


def homotopy(expr, jet: JetSpace, *, integrate_free_in=None) -> dict:
    r"""Fluxes $\Phi^i$ with $\sum_i D_i \Phi^i = F$ for a divergence $F$ (see the module).

    Terms invariant under $u \to \lambda u$ (a divergence by themselves) go through the
    homotopy about $u = 1$ instead: $u = 1 + w$, the operator in w, then back.
    `integrate_free_in`: the independent variable in which the $u$-free part of F is
    integrated (default: the first). Raises `HomotopyError` when an integral fails.
    """
    expr = sp.expand(sp.sympify(expr))
    syms = {jet.jet(a, al) for a, al in jet.jet_variables(expr)}
    x0 = jet.independent[0] if integrate_free_in is None else sp.Symbol(str(integrate_free_in))
    free_part = sp.Add(*[t for t in sp.Add.make_args(expr) if not (t.free_symbols & syms)])
    F = sp.expand(expr - free_part)
    lam = sp.Dummy("lam", positive=True)
    F0 = _degree_zero(F, jet, lam)
    out = _core(sp.expand(F - F0), jet, lam)
    if F0 != 0:
        shift = {u: u + 1 for u in jet.dependent}
        back = {u: u - 1 for u in jet.dependent}
        G = sp.expand(F0.xreplace(shift))
        G0 = G.xreplace({s: 0 for s in G.free_symbols if jet.decode(s) is not None})
        for x, v in _core(sp.expand(G - G0), jet, lam).items():
            out[x] = out.get(x, sp.Integer(0)) + v.xreplace(back)
        if G0 != 0:
            free_part += G0
    if free_part != 0:
        out[x0] = out.get(x0, sp.Integer(0)) + _free_part(free_part, jet, x0)
    return {x: sp.expand(out[x]) for x in sorted(out, key=lambda s: jet.index(s))}
