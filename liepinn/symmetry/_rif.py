r"""Completion of a linear PDE system (rif / Janet style) with respect to a ranking.

Gauss-Jordan elimination: every equation is solved for its leading derivative and no term of
another equation is a derivative of a leading derivative. Integrability conditions are the
cross-derivatives of two equations whose leaders are derivatives of the same unknown, and
$D_z E$ for an equation whose leading unknown does not depend on $z$ (the cross-derivative
with the implicit equation $f_z = 0$). Reduction is fraction-free (multiply by the leading
coefficient instead of dividing by it) and the common factor of the coefficients is removed.

Two coefficient back-ends with one interface: sympy expressions (`ExprOps`, anything), and
polynomials over $\mathbb{Q}$ in the variables and parameters (`RingOps`, sympy's sparse
polynomial ring: much faster when every coefficient is a polynomial, the common case).
"""

from __future__ import annotations

import itertools

import sympy as sp
from sympy.polys.polyerrors import CoercionFailed, PolynomialError
from sympy.polys.rings import PolyRing

from ._linear import (
    Derivatives,
    Form,
    Space,
    clean,
    combine,
    diff_form,
    is_derivative_of,
    is_monomial,
    primitive,
)


def _form_key(form: Form) -> tuple:
    return tuple(sorted((k, sp.srepr(c)) for k, c in form.items()))


class ExprOps:
    """Coefficients are sympy expressions (kept in `normal` form)."""

    def __init__(self, space: Space):
        self.space = space

    def combine(self, *pairs) -> Form:
        return combine(*pairs)

    def diff(self, form: Form, i: int) -> Form:
        return diff_form(self.space, form, i)

    def is_one(self, c) -> bool:
        return c == 1

    def normalize(self, form: Form, lead, assume) -> tuple[Form, bool]:
        c0 = form[lead]
        if c0 == 1:
            return form, False
        if not c0.is_Number:
            assume(c0)
        if is_monomial(c0):
            return clean({k: c / c0 for k, c in form.items()}), not c0.is_Number
        return form, False

    def primitive(self, form: Form) -> Form:
        return primitive(form)

    def key(self, form: Form) -> tuple:
        return _form_key(form)

    def coef_vars(self, form: Form) -> set:
        return self.space.coef_vars(form)

    def to_expr(self, form: Form) -> Form:
        return form


class RingOps:
    """Coefficients are polynomials over QQ in the base variables and the parameters."""

    def __init__(self, space: Space, gens):
        self.space = space
        self.R = PolyRing(list(gens), sp.QQ)
        self.var_gen = {i: self.R.gens[list(gens).index(v)] for i, v in enumerate(space.vars)}
        self.var_pos = {i: list(gens).index(v) for i, v in enumerate(space.vars)}

    @classmethod
    def try_make(cls, space: Space, forms: list[Form]):
        """(ops, forms in the ring), or None if a coefficient is not a Laurent polynomial."""
        gens = list(space.vars) + list(space.params)
        allowed = set(gens)
        ops = None
        out = []
        for form in forms:
            nums = {}
            dens = []
            for k, c in form.items():
                if not c.free_symbols <= allowed:
                    return None
                n, d = c.as_numer_denom()
                nums[k] = n
                dens.append(d)
            if ops is None:
                ops = cls(space, gens)
            R = ops.R
            try:
                rn = {k: R.from_expr(n) for k, n in nums.items()}
                rd = [R.from_expr(d) for d in dens]
            except (CoercionFailed, PolynomialError, ValueError, TypeError):
                return None
            for d in rd:
                if len(d.terms()) != 1:
                    return None  # a sum in a denominator
            L = R.one
            for d in rd:
                L = L.lcm(d)
            conv = {}
            for (k, n), d in zip(rn.items(), rd):
                conv[k] = n * L.exquo(d)
            out.append(ops.primitive(conv))
        if ops is None:
            ops = cls(space, gens)
        return ops, out

    def from_expr_form(self, form: Form):
        try:
            return self.try_make(self.space, [form])
        except Exception:
            return None

    def combine(self, *pairs) -> Form:
        out: dict = {}
        for s, F in pairs:
            for k, c in F.items():
                v = out.get(k)
                out[k] = s * c if v is None else v + s * c
        return {k: c for k, c in out.items() if c}

    def diff(self, form: Form, i: int) -> Form:
        g = self.var_gen[i]
        out: dict = {}
        U = self.space.unknowns
        for (name, alpha), c in form.items():
            dc = c.diff(g)
            if dc:
                v = out.get((name, alpha))
                out[(name, alpha)] = dc if v is None else v + dc
            if i in U[name].args:
                up = alpha[:i] + (alpha[i] + 1,) + alpha[i + 1:]
                v = out.get((name, up))
                out[(name, up)] = c if v is None else v + c
        return {k: c for k, c in out.items() if c}

    def is_one(self, c) -> bool:
        return c == 1

    def normalize(self, form: Form, lead, assume) -> tuple[Form, bool]:
        c0 = form[lead]
        if c0 == 1:
            return form, False
        if c0.is_ground:
            inv = self.R.domain.quo(self.R.domain.one, c0.LC)
            return {k: c * inv for k, c in form.items()}, False
        assume(c0.as_expr())
        return form, False

    def primitive(self, form: Form) -> Form:
        g = None
        for c in form.values():
            g = c if g is None else g.gcd(c)
            if g == 1:
                break
        if g is None or g == 1:
            return form
        if g.is_ground:
            return form
        return {k: c.exquo(g) for k, c in form.items()}

    def key(self, form: Form) -> tuple:
        return tuple(sorted((k, tuple(sorted(c.terms()))) for k, c in form.items()))

    def coef_vars(self, form: Form) -> set:
        out = set()
        for c in form.values():
            degs = c.degrees()
            for i, pos in self.var_pos.items():
                if degs[pos] > 0:
                    out.add(i)
        return out

    def to_expr(self, form: Form) -> Form:
        return {k: c.as_expr() for k, c in form.items()}


class Completion:
    """Autoreduction and integrability conditions of a list of forms."""

    def __init__(self, space: Space, ops, assume, done: set):
        self.space = space
        self.ops = ops
        self.assume = assume
        self.done = done

    def derivs(self, form: Form) -> Derivatives:
        return Derivatives(self.space, form, diff=self.ops.diff)

    def reduce(self, E: Form, B: dict, by_name: dict) -> Form:
        rank = self.space.rank
        ops = self.ops
        while E:
            best = None
            for k in E:
                for l in by_name.get(k[0], ()):
                    if is_derivative_of(k[1], l[1]):
                        if best is None or rank(k) > rank(best[0]):
                            best = (k, l)
                        break
            if best is None:
                return E
            k, l = best
            delta = tuple(a - b for a, b in zip(k[1], l[1]))
            DF = B[l][1](delta)
            cF = B[l][0][l]
            if ops.is_one(cF):
                E = ops.combine((1, E), (-E[k], DF))
            else:
                # fraction-free: c_F E - E_k D^delta F
                E = ops.primitive(ops.combine((cF, E), (-E[k], DF)))
        return E

    def autoreduce(self, eqs: list[Form]):
        rank = self.space.rank
        leader = self.space.leader
        queue = sorted(eqs, key=lambda f: rank(leader(f)))
        B: dict = {}
        by_name: dict = {}
        changed = False
        while queue:
            E = queue.pop(0)
            E2 = self.reduce(E, B, by_name)
            if E2 is not E:
                changed = True
            if not E2:
                continue
            lead = leader(E2)
            E2, ch = self.ops.normalize(E2, lead, self.assume)
            changed = changed or ch
            for l2 in list(B):
                F = B[l2][0]
                if any(k[0] == lead[0] and is_derivative_of(k[1], lead[1]) for k in F):
                    del B[l2]
                    by_name[l2[0]].remove(l2)
                    queue.append(F)
                    changed = True
            B[lead] = (E2, self.derivs(E2), self.ops.key(E2))
            by_name.setdefault(lead[0], []).append(lead)
        return B, by_name, changed

    def conditions(self, B: dict, by_name: dict) -> list[Form]:
        new = []
        seen = set()
        U = self.space.unknowns
        elim = self.space.elimination
        ops = self.ops
        # f independent of z while the equation is not: D_z E is a condition (the
        # cross-derivative with the implicit equation f_z = 0)
        for lead, (F, DF, fkey) in B.items():
            fa = set(U[lead[0]].args)
            zs = (ops.coef_vars(F) | self.space.unknown_vars(F)) - fa
            for i in sorted(zs):
                if (fkey, i, elim) in self.done:
                    continue
                self.done.add((fkey, i, elim))
                C = self.reduce(DF(self.space.unit(i)), B, by_name)
                if C:
                    key = ops.key(C)
                    if key not in seen:
                        seen.add(key)
                        new.append(C)
        for name in sorted(by_name):
            leads = by_name[name]
            for l1, l2 in itertools.combinations(sorted(leads, key=self.space.rank), 2):
                pair = (B[l1][2], B[l2][2], elim)
                if pair in self.done:
                    continue
                self.done.add(pair)
                gamma = tuple(max(a, b) for a, b in zip(l1[1], l2[1]))
                d1 = tuple(g - a for g, a in zip(gamma, l1[1]))
                d2 = tuple(g - a for g, a in zip(gamma, l2[1]))
                c1, c2 = B[l1][0][l1], B[l2][0][l2]
                if ops.is_one(c1) and ops.is_one(c2):
                    C = ops.combine((1, B[l1][1](d1)), (-1, B[l2][1](d2)))
                else:
                    C = ops.primitive(ops.combine((c2, B[l1][1](d1)), (-c1, B[l2][1](d2))))
                C = self.reduce(C, B, by_name)
                if C:
                    key = ops.key(C)
                    if key not in seen:
                        seen.add(key)
                        new.append(C)
        return new
