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


class _NoRing(Exception):
    pass


def _atomize(c, space: Space, atoms: dict):
    """Replace transcendental atoms of `c` by symbols, registering them in `atoms`.

    Atoms: b^r for a variable b and a symbolic exponent r (b^(n+r) = b^n * [b^r]),
    exp(t) (exp(k t) = [exp(t)]^k for integer k), log(b) for a variable b. Anything else
    (trigonometric functions, roots, ...) has algebraic relations the ring does not know:
    raise _NoRing.
    """
    variables = set(space.vars)

    def atom(expr, deriv):
        a = atoms.get(expr)
        if a is None:
            a = atoms[expr] = (sp.Dummy(f"A{len(atoms)}"), deriv)
        return a[0]

    def rep(e):
        if e.is_Atom:
            return e
        if e.is_Pow:
            b, ex = e.base, e.exp
            if ex.is_Integer:
                return rep(b) ** ex
            if b in variables and not (ex.free_symbols & variables) and not ex.is_Number:
                n, r = ex.as_coeff_Add()
                c, r0 = r.as_coeff_Mul()
                if not (n.is_Integer and c.is_Integer):
                    raise _NoRing
                return atom(sp.Pow(b, r0), ("pow", b, r0)) ** c * b**n
            raise _NoRing
        if isinstance(e, sp.exp):
            out = sp.Integer(1)
            for t in sp.Add.make_args(sp.expand(e.args[0])):
                k, t0 = t.as_coeff_Mul()
                if not k.is_Integer:
                    raise _NoRing
                if not (t0.free_symbols & variables):
                    if t0.free_symbols:
                        raise _NoRing
                    out *= sp.exp(t)  # a number such as E
                    raise _NoRing
                out *= atom(sp.exp(t0), ("exp", t0)) ** k
            return out
        if isinstance(e, sp.log) and e.args[0] in variables:
            return atom(e, ("log", e.args[0]))
        if e.is_Function:
            raise _NoRing
        return e.func(*[rep(a) for a in e.args])

    return rep(c)


class RingOps:
    """Coefficients are polynomials over QQ in the variables, the parameters and atoms
    (symbolic powers, exponentials, logarithms of variables).

    The derivative of an atom may bring a monomial denominator (d b^r / db = r b^r / b):
    the derivative of a form is then multiplied by it (the equations are homogeneous), so
    a derived form is a nonzero multiple of the true derivative.
    """

    def __init__(self, space: Space, params, atoms: dict):
        self.space = space
        self.atoms = atoms
        gens = list(space.vars) + list(params) + [a for a, _ in atoms.values()]
        self.gens = gens
        self.R = PolyRing(gens, sp.QQ)
        self.n_var_like = len(space.vars)
        self.param_pos = set(range(len(space.vars), len(space.vars) + len(params)))
        pos = {g: j for j, g in enumerate(gens)}
        self.var_pos = {i: pos[v] for i, v in enumerate(space.vars)}
        self.var_gen = {i: self.R.gens[pos[v]] for i, v in enumerate(space.vars)}
        self.back = {a: e for e, (a, _) in atoms.items()}
        # d atom / d z_i = num / den (den a monomial in the variables)
        self.atom_diff: dict = {i: [] for i in range(space.n)}
        self.atom_vars: dict = {}
        R = self.R
        for expr, (a, info) in atoms.items():
            g = R.gens[pos[a]]
            dep = set()
            for i, z in enumerate(space.vars):
                d = sp.diff(expr, z)
                if d == 0:
                    continue
                dep.add(i)
                if info[0] == "pow":
                    _, b, r = info
                    num, den = r * a, b  # d b^r / db = r b^r / b
                elif info[0] == "exp":
                    num, den = sp.diff(info[1], z) * a, sp.Integer(1)
                else:
                    num, den = sp.Integer(1), info[1]
                try:
                    rn = R.from_expr(num)
                    rd = R.from_expr(den)
                except (CoercionFailed, PolynomialError, ValueError, TypeError):
                    raise _NoRing
                self.atom_diff[i].append((g, rn, rd))
            self.atom_vars[pos[a]] = dep
        self.diff_den = {}
        for i in range(space.n):
            L = R.one
            for _, _, d in self.atom_diff[i]:
                L = L.lcm(d)
            self.diff_den[i] = L

    @classmethod
    def try_make(cls, space: Space, forms: list[Form]):
        """(ops, forms in the ring), or None if a coefficient does not fit."""
        atoms: dict = {}
        allowed = set(space.vars) | set(space.params)
        try:
            pre = []
            for form in forms:
                pf = {}
                for k, c in form.items():
                    c2 = _atomize(c, space, atoms)
                    if not c2.free_symbols <= allowed | {a for a, _ in atoms.values()}:
                        return None
                    pf[k] = c2.as_numer_denom()
                pre.append(pf)
            ops = cls(space, space.params, atoms)
        except _NoRing:
            return None
        R = ops.R
        out = []
        for pf in pre:
            try:
                rn = {k: R.from_expr(n) for k, (n, d) in pf.items()}
                rd = [R.from_expr(d) for (n, d) in pf.values()]
            except (CoercionFailed, PolynomialError, ValueError, TypeError):
                return None
            for d in rd:
                # allowed: (monomial in variables and atoms) * (polynomial in parameters)
                shapes = {tuple(e for j, e in enumerate(m) if j not in ops.param_pos)
                          for m in d.monoms()}
                if len(shapes) != 1:
                    return None  # a sum of variables in a denominator
            L = R.one
            for d in rd:
                L = L.lcm(d)
            out.append(ops.primitive({k: n * L.exquo(d) for (k, n), d in zip(rn.items(), rd)}))
        return ops, out

    def combine(self, *pairs) -> Form:
        out: dict = {}
        for s, F in pairs:
            for k, c in F.items():
                v = out.get(k)
                out[k] = s * c if v is None else v + s * c
        return {k: c for k, c in out.items() if c}

    def _dcoef(self, c, i):
        L = self.diff_den[i]
        out = c.diff(self.var_gen[i])
        if L != 1:
            out = out * L
        for g, num, den in self.atom_diff[i]:
            dg = c.diff(g)
            if dg:
                out += dg * num * (L.exquo(den) if den != L else self.R.one)
        return out

    def diff(self, form: Form, i: int) -> Form:
        L = self.diff_den[i]
        out: dict = {}
        U = self.space.unknowns
        for (name, alpha), c in form.items():
            dc = self._dcoef(c, i)
            if dc:
                v = out.get((name, alpha))
                out[(name, alpha)] = dc if v is None else v + dc
            if i in U[name].args:
                up = alpha[:i] + (alpha[i] + 1,) + alpha[i + 1:]
                cc = c * L if L != 1 else c
                v = out.get((name, up))
                out[(name, up)] = cc if v is None else v + cc
        return self.primitive({k: c for k, c in out.items() if c}) if L != 1 else \
            {k: c for k, c in out.items() if c}

    def is_one(self, c) -> bool:
        return c == 1

    def normalize(self, form: Form, lead, assume) -> tuple[Form, bool]:
        c0 = form[lead]
        if c0 == 1:
            return form, False
        if c0.is_ground:
            inv = self.R.domain.quo(self.R.domain.one, c0.LC)
            return {k: c * inv for k, c in form.items()}, False
        assume(self.expr(c0))
        return form, False

    def primitive(self, form: Form) -> Form:
        if any(c.is_ground for c in form.values()):
            return form
        g = None
        for c in form.values():
            g = c if g is None else g.gcd(c)
            if g == 1:
                break
        if g is None or g == 1 or g.is_ground:
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
            for pos, dep in self.atom_vars.items():
                if degs[pos] > 0:
                    out |= dep
        return out

    def expr(self, c):
        e = c.as_expr()
        return e.xreplace(self.back) if self.back else e

    def to_expr(self, form: Form) -> Form:
        return {k: sp.expand(self.expr(c)) for k, c in form.items()}


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
            cF = DF[k]
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
                D1, D2 = B[l1][1](d1), B[l2][1](d2)
                top = (name, gamma)
                c1, c2 = D1[top], D2[top]
                if ops.is_one(c1) and ops.is_one(c2):
                    C = ops.combine((1, D1), (-1, D2))
                else:
                    C = ops.primitive(ops.combine((c2, D1), (-c1, D2)))
                C = self.reduce(C, B, by_name)
                if C:
                    key = ops.key(C)
                    if key not in seen:
                        seen.add(key)
                        new.append(C)
        return new
