r"""Determining equations of the Lie point symmetries of a PDE system.

Unknowns $\xi^i(x,u)$, $\varphi_a(x,u)$. The invariance condition
$\mathrm{pr}^{(n)} v\,(\Delta_k) = 0$ on solutions is formed with the derivatives of the
unknowns standing in as symbols (so $D_J Q_a$ is a polynomial with integer coefficients,
computed by a small dedicated routine), the principal derivatives and their differential
consequences are substituted (`PDE.reduce`), and the coefficients of the monomials in the
remaining (free) jet coordinates are collected: each is a linear form in the derivatives of
the unknowns, a determining equation.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import sympy as sp
from sympy.core.sorting import default_sort_key

from ..symbolic._jet import JetSpace
from ..symbolic._pde import PDE
from ._linear import Form, Space, add_into, clean

# A D_J Q term: (unknown index, beta over base variables, jet monomial) -> integer.
# jet monomial: tuple of ((a, alpha), exponent), sorted.


def _mono_mul(mono: tuple, key, e: int = 1) -> tuple:
    d = dict(mono)
    d[key] = d.get(key, 0) + e
    if d[key] == 0:
        del d[key]
    return tuple(sorted(d.items()))


class _Characteristic:
    """Total derivatives of Q_a = phi_a - xi^i u^a_i with symbolic unknown derivatives."""

    def __init__(self, p: int, q: int):
        self.p, self.q = p, q
        self.N = p + q
        self.memo: dict = {}

    def _unit(self, i):
        return tuple(int(k == i) for k in range(self.N))

    def Q(self, a: int) -> dict:
        zero = (0,) * self.N
        out = {(self.p + a, zero, ()): 1}
        for i in range(self.p):
            jet_i = (a, tuple(int(k == i) for k in range(self.p)))
            out[(i, zero, ((jet_i, 1),))] = -1
        return out

    def D(self, poly: dict, i: int) -> dict:
        out: dict = {}

        def add(k, c):
            v = out.get(k, 0) + c
            if v:
                out[k] = v
            else:
                out.pop(k, None)

        for (k, beta, mono), c in poly.items():
            # derivative of the unknown: explicit x^i and through u^b(x)
            up = list(beta)
            up[i] += 1
            add((k, tuple(up), mono), c)
            for b in range(self.q):
                up = list(beta)
                up[self.p + b] += 1
                jb = (b, tuple(int(m == i) for m in range(self.p)))
                add((k, tuple(up), _mono_mul(mono, jb)), c)
            # derivative of the jet monomial
            for (jkey, e) in mono:
                a, alpha = jkey
                al = list(alpha)
                al[i] += 1
                m2 = _mono_mul(mono, jkey, -1)
                m2 = _mono_mul(m2, (a, tuple(al)))
                add((k, beta, m2), c * e)
        return out

    def DQ(self, a: int, alpha: tuple) -> dict:
        key = (a, alpha)
        hit = self.memo.get(key)
        if hit is not None:
            return hit
        if not any(alpha):
            val = self.Q(a)
        else:
            i = max(k for k, n in enumerate(alpha) if n)
            lower = list(alpha)
            lower[i] -= 1
            val = self.D(self.DQ(a, tuple(lower)), i)
        self.memo[key] = val
        return val


@dataclass
class DeterminingSystem:
    r"""The determining equations of a PDE system.

    `unknowns` maps the name of each unknown function ($\xi^i$: ``xi_x``, $\varphi_a$:
    ``phi_u``) to its arguments; `xi`, `phi` give the generator's components in terms of
    them; `forms` are the equations as linear forms (see `_linear`), `equations` the same as
    sympy expressions with `Function`/`Derivative` (each meaning "= 0").
    """

    pde: PDE
    space: Space
    xi: dict
    phi: dict
    forms: list
    names: dict = field(default_factory=dict)  # target Symbol -> unknown name

    @property
    def unknowns(self) -> dict:
        return {n: tuple(self.space.vars[i] for i in u.args) for n, u in self.space.unknowns.items()}

    @property
    def equations(self) -> list:
        return [self.space.form_expr(f) for f in self.forms]

    def __len__(self) -> int:
        return len(self.forms)


def _unknown_names(pde: PDE) -> dict:
    used = {s.name for s in pde.independent + pde.dependent} | {s.name for s in pde.parameters}
    for e in pde.equations:
        used |= {s.name for s in e.free_symbols}
    names = {}
    for x in pde.independent:
        n = f"xi_{x.name}"
        while n in used:
            n = "_" + n
        names[x] = n
        used.add(n)
    for u in pde.dependent:
        n = f"phi_{u.name}"
        while n in used:
            n = "_" + n
        names[u] = n
        used.add(n)
    return names


def invariance_condition(pde: PDE, equation, chi: _Characteristic, fsym) -> sp.Expr:
    """pr v (equation) with unknown derivatives as symbols `fsym(k, beta)` (not reduced)."""
    jet = pde.jet
    p, q, N = jet.p, jet.q, jet.p + jet.q
    zero = (0,) * N
    out = []
    for i, x in enumerate(jet.independent):
        d = sp.diff(equation, x)
        if d != 0:
            out.append(fsym(i, zero) * d)
    for a, alpha in jet.jet_variables(equation):
        s = jet.jet(a, alpha)
        d = sp.diff(equation, s)
        if d == 0:
            continue
        if not any(alpha):
            out.append(fsym(p + a, zero) * d)
            continue
        terms = []
        for (k, beta, mono), c in chi.DQ(a, alpha).items():
            m = sp.Mul(*[jet.jet(b, be) ** e for (b, be), e in mono])
            terms.append(c * fsym(k, beta) * m)
        for i in range(p):
            up = list(alpha)
            up[i] += 1
            terms.append(fsym(i, zero) * jet.jet(a, tuple(up)))
        out.append(sp.Add(*terms) * d)
    return sp.Add(*out)


def _integrability_conditions(pde: PDE) -> list:
    """Cross-derivatives of two principal derivatives of the same dependent variable.

    For `v_x = u, v_t = u_x - u^2/2` the two ways to v_xt give u_t = u_xx - u u_x, an
    equation the solution manifold satisfies but the solved form does not show.
    """
    from ..symbolic._pde import _is_derivative_of

    jet = pde.jet
    rhs = pde.solved_form()
    keys = [(s, jet.decode(s)) for s in pde.principal_derivatives()]
    out = []
    for (s1, (a1, al1)), (s2, (a2, al2)) in itertools.combinations(keys, 2):
        if a1 != a2 or _is_derivative_of(al1, al2) or _is_derivative_of(al2, al1):
            continue
        gamma = tuple(max(p, q) for p, q in zip(al1, al2))
        v1 = pde.reduce(jet.D_multi(rhs[s1], tuple(g - p for g, p in zip(gamma, al1))))
        v2 = pde.reduce(jet.D_multi(rhs[s2], tuple(g - p for g, p in zip(gamma, al2))))
        c = sp.expand(v1 - v2)
        if c != 0:
            c = sp.together(c)
            out.append(sp.fraction(c)[0])
    return out


def complete_system(pde: PDE, rounds: int = 4) -> PDE:
    """`pde` with its integrability conditions added until there are none (a few rounds)."""
    work = pde
    for _ in range(rounds):
        try:
            conds = _integrability_conditions(work)
        except Exception:  # a system we cannot put in solved form: keep what we have
            return work
        if not conds:
            return work
        try:
            work = PDE(list(work.equations) + conds, work.jet,
                       {s: v for s, v in work.parameters.items()})
            work.solved_form()
        except Exception:
            return work
    return work


def determining_equations(pde: PDE) -> DeterminingSystem:
    r"""The determining system of `pde` (parameters with values are substituted first)."""
    if any(v is not None for v in pde.parameters.values()):
        pde = pde.substitute_parameters()
    original = pde
    pde = complete_system(pde)
    jet = pde.jet
    p, q = jet.p, jet.q
    variables = tuple(jet.independent) + tuple(jet.dependent)
    params = tuple(sorted(pde.parameters, key=default_sort_key))
    space = Space(variables, params)
    names = _unknown_names(pde)
    targets = list(jet.independent) + list(jet.dependent)
    for t in targets:
        space.new_unknown(names[t], range(len(variables)))
    N = len(variables)

    fsyms: dict = {}
    fdecode: dict = {}

    def fsym(k, beta):
        s = fsyms.get((k, beta))
        if s is None:
            s = sp.Symbol(f"!{k}:{','.join(map(str, beta))}")
            fsyms[(k, beta)] = s
            fdecode[s] = (names[targets[k]], beta)
        return s

    chi = _Characteristic(p, q)
    forms: list[Form] = []
    seen = set()
    for eq in original.equations:
        expr = invariance_condition(pde, eq, chi, fsym)
        expr = pde.reduce(expr)
        for f in _split_by_jets(jet, expr, fdecode):
            key = tuple(sorted((k, sp.srepr(c)) for k, c in f.items()))
            if key not in seen:
                seen.add(key)
                forms.append(f)
    xi = {x: {(names[x], (0,) * N): sp.Integer(1)} for x in jet.independent}
    phi = {u: {(names[u], (0,) * N): sp.Integer(1)} for u in jet.dependent}
    return DeterminingSystem(original, space, xi, phi, forms, names)


def _split_by_jets(jet: JetSpace, expr, fdecode: dict) -> list[Form]:
    """Coefficients of the monomials in the free jet coordinates (order >= 1)."""
    expr = sp.expand(expr)
    groups: dict = {}
    order = []
    needs_together = False
    terms = []
    for term in sp.Add.make_args(expr):
        fkey = None
        mono = {}
        coeff = []
        ok = True
        for f in sp.Mul.make_args(term):
            hit = fdecode.get(f)
            if hit is not None:
                fkey = hit
                continue
            base, e = f.as_base_exp()
            dec = jet.decode(base) if base.is_Symbol else None
            if dec is not None and sum(dec[1]) > 0 and e.is_Number:
                mono[base] = mono.get(base, 0) + e
                continue
            if any((d := jet.decode(s)) is not None and sum(d[1]) > 0 for s in f.free_symbols):
                ok = False
                break
            coeff.append(f)
        if not ok:
            needs_together = True
            break
        terms.append((fkey, mono, sp.Mul(*coeff)))
    if needs_together:
        num, _ = sp.fraction(sp.together(expr))
        return _split_by_jets_opaque(jet, sp.expand(num), fdecode)
    for fkey, mono, c in terms:
        if fkey is None:
            raise RuntimeError("invariance condition has a term free of the unknowns")
        mk = tuple(sorted(mono.items(), key=default_sort_key))
        g = groups.get(mk)
        if g is None:
            g = groups[mk] = {}
            order.append(mk)
        add_into(g, fkey, c)
    out = []
    for mk in sorted(order, key=default_sort_key):
        f = clean(groups[mk])
        if f:
            out.append(f)
    return out


def _split_by_jets_opaque(jet: JetSpace, expr, fdecode: dict) -> list[Form]:
    """Like `_split_by_jets`, treating non-polynomial jet factors as independent atoms."""
    groups: dict = {}
    order = []
    for term in sp.Add.make_args(expr):
        fkey = None
        mono = []
        coeff = []
        for f in sp.Mul.make_args(term):
            hit = fdecode.get(f)
            if hit is not None:
                fkey = hit
                continue
            if any((d := jet.decode(s)) is not None and sum(d[1]) > 0 for s in f.free_symbols):
                mono.append(f)
            else:
                coeff.append(f)
        mk = tuple(sorted(mono, key=default_sort_key))
        g = groups.get(mk)
        if g is None:
            g = groups[mk] = {}
            order.append(mk)
        add_into(g, fkey, sp.Mul(*coeff))
    out = []
    for mk in sorted(order, key=default_sort_key):
        f = clean(groups[mk])
        if f:
            out.append(f)
    return out
