r"""Linear determining systems for unknown functions on the jet space.

Multipliers $\Lambda_a(x, u^{(k)})$ of conservation laws and characteristics $Q_a(x, u^{(k)})$
of generalised symmetries are unknown functions of the independent variables and the
*parametric* jet coordinates of order at most $k$ (those that are not derivatives of a
principal derivative: on solutions every function of the jet is one of them). Their
determining equations are linear in the unknowns. They are built here as linear forms
(`_linear`) whose coefficients may still contain the other jet coordinates, which are
free: the coefficients of their monomials vanish separately. The forms then go to the same
differential-elimination solver as the point-symmetry determining equations (`_solve`).

The class searched can be restricted: `xt_degree` makes the dependence on the independent
variables polynomial of total degree at most Q, `jet_degree` the dependence on the jet
coordinates polynomial of degree at most P (each monomial gets its own unknown).
"""

from __future__ import annotations

import itertools
import weakref
from dataclasses import dataclass

import sympy as sp
from sympy.core.sorting import default_sort_key

from ..symbolic._jet import JetSpace, _compositions
from ..symbolic._pde import PDE, _is_derivative_of
from ._determining import DeterminingSystem, complete_system
from ._linear import Form, Space, clean, normal
from ._ode import ODEFailure
from ._solve import _Solver, _tidy_family_expr


def parametric_jets(pde: PDE, order: int) -> list[sp.Symbol]:
    """The jet coordinates u^a_J, |J| <= order, that are not derivatives of a principal one."""
    jet = pde.jet
    keys = [jet.decode(s) for s in pde.principal_derivatives()]
    out = []
    for n in range(order + 1):
        for alpha in _compositions(n, jet.p):
            for a in range(jet.q):
                if any(a == b and _is_derivative_of(alpha, beta) for b, beta in keys):
                    continue
                out.append(jet.jet(a, alpha))
    return out


def time_variable(pde: PDE) -> sp.Symbol:
    """The evolution variable: ``t`` if declared, else the last independent variable."""
    for s in pde.independent:
        if s.name == "t":
            return s
    return pde.independent[-1]


_KOVALEVSKAYA: "weakref.WeakKeyDictionary[PDE, PDE | bool]" = weakref.WeakKeyDictionary()


def kovalevskaya_form(pde: PDE) -> PDE:
    """`_kovalevskaya_form`, computed once per PDE object (it calls `sympy.solve`)."""
    hit = _KOVALEVSKAYA.get(pde)
    if hit is None:
        hit = _kovalevskaya_form(pde)
        # the PDE itself is not stored as its own value (that would keep the key alive)
        _KOVALEVSKAYA[pde] = False if hit is pde else hit
    return pde if hit is False else hit


def _kovalevskaya_form(pde: PDE) -> PDE:
    r"""`pde` solved for the highest pure time derivatives $u^a_{t^n}$ (one per equation), so
    that the parametric coordinates are those a multiplier or characteristic depends on on
    solutions (KdV: u, u_x, u_xx, ... rather than u_t). Returns `pde` itself when the system
    cannot be put in that form; then its own principal derivatives are used."""
    jet = pde.jet
    ti = jet.index(time_variable(pde))
    chosen = []
    for e in pde.equations:
        best = None
        for a, al in jet.jet_variables(e):
            if al[ti] == 0 or sum(al) != al[ti]:
                continue
            s = jet.jet(a, al)
            if s in chosen or not e.is_polynomial(s) or sp.Poly(e, s).degree() != 1:
                continue
            if any(b == a and _is_derivative_of(be, al) and be != al for b, be in jet.jet_variables(e)):
                continue
            if best is None or al[ti] > jet.decode(best)[1][ti]:
                best = s
        if best is None:
            return pde
        chosen.append(best)
    if len({jet.decode(s)[0] for s in chosen}) != len(chosen):
        return pde
    try:
        sol = sp.solve(list(pde.equations), chosen, dict=True)
    except NotImplementedError:
        return pde
    if len(sol) != 1 or set(sol[0]) != set(chosen):
        return pde
    keys = [jet.decode(s) for s in chosen]
    rhs = {s: sp.expand(sol[0][s]) for s in chosen}
    for r in rhs.values():
        for v in r.free_symbols:
            hit = jet.decode(v)
            if hit is not None and any(hit[0] == b and _is_derivative_of(hit[1], be) for b, be in keys):
                return pde
    out = PDE(list(pde.equations), jet, dict(pde.parameters), source=pde.source)
    # PDE.reduce and principal_derivatives read this solved form
    out._principal_cache = (chosen, rhs)
    return out


def _monomials(symbols, degree: int):
    """All monomials of total degree <= degree in `symbols`, lowest degree first."""
    out = []
    for d in range(degree + 1):
        for combo in itertools.combinations_with_replacement(symbols, d):
            out.append(sp.Mul(*combo))
    return out


class JetUnknowns:
    r"""Unknown functions $F_t(x, u^{(k)})$, one per target, as linear forms on a `Space`.

    The base variables of the space are the independent variables and the parametric jet
    coordinates of order at most `order`. `value(t)` is the form of target t (a sum
    monomial x unknown under a degree restriction).
    """

    def __init__(self, pde: PDE, targets, order: int, *, prefix: str,
                 xt_degree: int | None = None, jet_degree: int | None = None):
        if any(v is not None for v in pde.parameters.values()):
            pde = pde.substitute_parameters()
        self.pde = pde
        self.work = kovalevskaya_form(pde)
        if self.work is pde:
            self.work = complete_system(pde)
        self.jet: JetSpace = pde.jet
        self.order = order
        self.base_jets = parametric_jets(self.work, order)
        variables = tuple(self.jet.independent) + tuple(self.base_jets)
        params = tuple(sorted(pde.parameters, key=default_sort_key))
        self.space = Space(variables, params, reserved=[s.name for s in pde.jet.dependent])
        self.targets = list(targets)
        p = self.jet.p
        xt_idx = list(range(p))
        jet_idx = list(range(p, len(variables)))
        args = (xt_idx if xt_degree is None else []) + (jet_idx if jet_degree is None else [])
        xt_monos = [sp.Integer(1)] if xt_degree is None else _monomials(self.jet.independent, xt_degree)
        jet_monos = [sp.Integer(1)] if jet_degree is None else _monomials(self.base_jets, jet_degree)
        zero = self.space.zero_alpha()
        self.values: dict = {}
        count = itertools.count()
        for t in self.targets:
            form = {}
            for m1 in xt_monos:
                for m2 in jet_monos:
                    k = next(count)
                    u = self.space.new_unknown(f"{prefix}{k}", args)
                    form[(u.name, zero)] = m1 * m2
            self.values[t] = form
        self.is_jet = {v: (i >= p) for i, v in enumerate(variables)}
        self._Dvar: dict = {}
        self._Dc: dict = {}

    # -- total derivatives of forms ------------------------------------------------------------
    def _D_var(self, v, i: int, on_solutions: bool):
        key = (v, i, on_solutions)
        hit = self._Dvar.get(key)
        if hit is None:
            hit = self.jet.D(v, i)
            if on_solutions:
                hit = self.work.reduce(hit)
            self._Dvar[key] = hit
        return hit

    def _D_coefficient(self, c, i: int, on_solutions: bool):
        # the same coefficient (an equation, a product with one) recurs under many unknowns
        key = (c, i, on_solutions)
        hit = self._Dc.get(key)
        if hit is None:
            hit = self.jet.D(c, i)
            if on_solutions:
                hit = self.work.reduce(hit)
            self._Dc[key] = hit
        return hit

    def D(self, form: Form, i: int, *, on_solutions: bool = False) -> Form:
        r"""Total derivative $D_i$ of $\sum c\, \partial^\beta F$, by the chain rule through the
        jet coordinates among the unknowns' arguments (reduced on solutions if asked)."""
        space = self.space
        acc: dict = {}
        for (name, beta), c in form.items():
            dc = self._D_coefficient(c, i, on_solutions)
            if dc != 0:
                acc.setdefault((name, beta), []).append(dc)
            for j in space.unknowns[name].args:
                if j < self.jet.p:
                    if j != i:
                        continue
                    dv = sp.Integer(1)
                else:
                    dv = self._D_var(space.vars[j], i, on_solutions)
                    if dv == 0:
                        continue
                up = beta[:j] + (beta[j] + 1,) + beta[j + 1:]
                acc.setdefault((name, up), []).append(c * dv)
        return _sum_form(acc)

    def D_multi(self, form: Form, alpha, *, on_solutions: bool = False) -> Form:
        for i, k in enumerate(alpha):
            for _ in range(k):
                form = self.D(form, i, on_solutions=on_solutions)
        return form

    def partial(self, form: Form, v) -> Form:
        """Partial derivative of a form with respect to a jet coordinate v."""
        j = self.space.var_index.get(v)
        acc: dict = {}
        for (name, beta), c in form.items():
            dc = sp.diff(c, v)
            if dc != 0:
                acc.setdefault((name, beta), []).append(dc)
            if j is not None and j in self.space.unknowns[name].args:
                up = beta[:j] + (beta[j] + 1,) + beta[j + 1:]
                acc.setdefault((name, up), []).append(c)
        return _sum_form(acc)

    # -- splitting ---------------------------------------------------------------------------------
    def split(self, form: Form) -> list[Form]:
        """Coefficients of the monomials in the jet coordinates that are not base variables."""
        groups: dict = {}
        for key, c in form.items():
            for term in sp.Add.make_args(sp.expand(c)):
                mono = []
                rest = []
                for f in sp.Mul.make_args(term):
                    base, e = f.as_base_exp()
                    if base.is_Symbol and base not in self.is_jet and self.jet.decode(base) is not None:
                        if not (e.is_Integer and e > 0):
                            raise ValueError(f"cannot split {term}: {base} occurs as {f}")
                        mono.append(f)
                    elif any(s not in self.is_jet and self.jet.decode(s) is not None
                             for s in f.free_symbols):
                        raise ValueError(f"cannot split {term}: {f} is not polynomial in the "
                                         "jet coordinates above the unknowns' order")
                    else:
                        rest.append(f)
                mk = sp.Mul(*mono)
                g = groups.setdefault(mk, {})
                g[key] = g.get(key, sp.Integer(0)) + sp.Mul(*rest)
        out = []
        for mk in sorted(groups, key=default_sort_key):
            f = clean(groups[mk])
            if f:
                out.append(f)
        return out

    def system(self, forms) -> DeterminingSystem:
        """The determining system for the `_Solver` (targets stand in as phi components)."""
        seen = set()
        eqs = []
        for f in forms:
            for g in self.split(f):
                key = tuple(sorted((k, sp.srepr(c)) for k, c in g.items()))
                if key not in seen:
                    seen.add(key)
                    eqs.append(g)
        return DeterminingSystem(self.pde, self.space, {}, dict(self.values), eqs)


def _sum_form(acc: dict) -> Form:
    """{key: [terms]} -> {key: expanded sum}, zeros dropped (the coefficients are sums of
    products of the equations' coefficients: expanding is their normal form)."""
    out = {}
    for k, terms in acc.items():
        c = sp.expand(sp.Add(*terms))
        if c != 0:
            out[k] = c
    return out


@dataclass(frozen=True)
class LinearSolution:
    r"""Solutions of a linear determining system: a basis of the constant-coefficient part
    (target -> value) and the families with free functions and their constraint PDEs."""

    basis: tuple
    families: tuple
    assumptions: tuple
    warnings: tuple


class _LinearSolver(_Solver):
    """The determining-equation solver, finishing with plain target values (no generators)."""

    jets: frozenset = frozenset()

    def _solve_ode(self, e, name, i, order, a):
        # A linear ODE in one jet coordinate whose coefficients involve the others is
        # integrated by sympy with symbolic coefficients, which can run for minutes (u_tt =
        # (u + u^2)_xx); the completion handles such systems, or leaves a family.
        z = self.space.vars[i]
        if any(normal(c / a[-1]).free_symbols & (self.jets - {z}) for c in a[:-1]):
            raise ODEFailure(f"coefficients depend on jet coordinates other than {z}")
        return super()._solve_ode(e, name, i, order, a)

    def finish(self) -> LinearSolution:
        sp_ = self.space
        const_names, const_eqs, families = self._partition()
        basis = self._constant_solutions(const_names, const_eqs)
        fams = []
        for members, ceqs in families:
            vals = {}
            for t in self.targets:
                val = sp.Add(*[c * sp_.key_expr(k) for k, c in self.sol[t].items() if k[0] in members])
                val = _tidy_family_expr(val)
                if val != 0:
                    vals[t] = val
            if not vals:
                continue
            fams.append({
                "values": vals,
                "functions": [sp_.applied(m) for m in members if sp_.unknowns[m].args],
                "constraints": [_tidy_family_expr(sp_.form_expr(_content_free(e))) for e in ceqs],
            })
        return LinearSolution(tuple(basis), tuple(fams), tuple(self.assumptions), tuple(self.warnings))


def constant_members(family: dict) -> list[dict]:
    """The members of a family with one free function set to 1 and the others to 0, when
    that satisfies its constraints (heat: the multiplier 1 among the adjoint solutions)."""
    out = []
    funcs = list(family["functions"])
    for f in funcs:
        reps = {g: (sp.Integer(1) if g == f else sp.Integer(0)) for g in funcs}
        try:
            ok = all(sp.expand(c.subs(reps).doit()) == 0 for c in family["constraints"])
        except (TypeError, ValueError):
            continue
        if not ok:
            continue
        vals = {t: sp.expand(v.subs(reps).doit()) for t, v in family["values"].items()}
        vals = {t: v for t, v in vals.items() if v != 0}
        if vals and not any(v.has(sp.Derivative, sp.core.function.AppliedUndef) for v in vals.values()):
            out.append(vals)
    return out


def _content_free(form: Form) -> Form:
    """The form times the lcm of its denominators, divided by the gcd of its coefficients
    (the completion's fraction-free steps can leave huge common factors)."""
    try:
        cs = {k: sp.together(c) for k, c in form.items()}
        L = sp.lcm_list([sp.fraction(c)[1] for c in cs.values()])
        cs = {k: sp.cancel(c * L) for k, c in cs.items()}
        g = sp.gcd_list(list(cs.values()))
        if g != 0:
            cs = {k: sp.expand(sp.cancel(c / g)) for k, c in cs.items()}
        return cs
    except (sp.PolynomialError, TypeError, ValueError):  # exotic coefficients: leave the form
        return form


def solve_linear(system: DeterminingSystem, progress=None) -> LinearSolution:
    """Solve `system` by differential elimination (the point-symmetry solver's steps)."""
    solver = _LinearSolver(system, progress)
    solver.jets = frozenset(v for v in system.space.vars if system.pde.jet.decode(v) is not None)
    solver.eliminate()
    return solver.finish()


# -- canonical form --------------------------------------------------------------------------------
def _atom_key(atom, jet: JetSpace):
    """Most complex first: highest jet order, jet degree, degree in x, then a fixed order."""
    syms = atom.free_symbols
    js = [s for s in syms if jet.decode(s) is not None]
    xs = [s for s in syms if s in jet.independent]
    deg_j = sp.Poly(atom, *js).total_degree() if js and atom.is_polynomial(*js) else 99
    deg_x = sp.Poly(atom, *xs).total_degree() if xs and atom.is_polynomial(*xs) else 99
    return (-jet.order(atom), -deg_j, -deg_x, default_sort_key(atom))


def canonical_vectors(vectors, targets, jet: JetSpace, parameters):
    r"""The reduced row-echelon basis of the span of `vectors` (target -> value), most complex
    terms as pivots, returned simplest first; and the assumptions (pivots with parameters).

    Each value is a vector of coefficients over atoms (target, term free of numbers and
    parameters); the RREF of a row space is unique, so the result does not depend on the
    order the solver found the vectors in.
    """
    from ._algebra import _assumption_factors, _primitive, _rref

    if not vectors:
        return [], []
    decomposed = []
    for vec in vectors:
        d: dict = {}
        for ti, t in enumerate(targets):
            val = sp.expand(normal(vec.get(t, sp.Integer(0))))
            if val == 0:
                continue
            variables = [s for s in val.free_symbols
                         if s in jet.independent or jet.decode(s) is not None]
            for term in sp.Add.make_args(val):
                c, atom = term.as_independent(*variables, as_Add=False)
                d[(ti, atom)] = d.get((ti, atom), sp.Integer(0)) + c
        decomposed.append(d)
    atoms = sorted({k for d in decomposed for k in d},
                   key=lambda k: _atom_key(k[1], jet) + (k[0],))
    rows = [[d.get(a, sp.Integer(0)) for a in atoms] for d in decomposed]
    reduced, pivots, divisors = _rref(rows)
    assumptions = [a for dv in divisors for a in _assumption_factors(dv, parameters)]
    out = []
    for row, piv in zip(reduced, pivots):
        row = _primitive(row, piv)
        vec = {}
        for (ti, atom), c in zip(atoms, row):
            if c != 0:
                vec[targets[ti]] = vec.get(targets[ti], sp.Integer(0)) + c * atom
        out.append(vec)
    out.reverse()
    return out, list(dict.fromkeys(assumptions))


def reduce_modulo(expr, constraints, rounds: int = 30):
    """`expr` with each constraint solved for its highest derivative, substituted with its
    derivatives until nothing changes (zero means: zero on the constraints' solutions)."""
    rules = []
    for c in constraints:
        c = sp.expand(c)
        cands = list(c.atoms(sp.Derivative)) + list(c.atoms(sp.core.function.AppliedUndef))
        if not cands:
            continue
        lead = max(cands, key=lambda d: (_deriv_order(d), default_sort_key(d)))
        coeff = sp.diff(c, lead) if not isinstance(lead, sp.Derivative) else c.coeff(lead)
        if coeff == 0 or coeff.has(lead):
            continue
        rules.append((lead, sp.expand(-(c - coeff * lead) / coeff)))
    expr = sp.expand(expr)
    for _ in range(rounds):
        reps = {}
        for d in expr.atoms(sp.Derivative):
            for lead, rhs in rules:
                extra = _extra_derivative(d, lead)
                if extra is not None:
                    reps[d] = sp.diff(rhs, *extra) if extra else rhs
                    break
        if not reps:
            break
        expr = sp.expand(expr.xreplace(reps))
    return normal(expr)


def _deriv_order(d) -> int:
    return sum(k for _, k in d.variable_count) if isinstance(d, sp.Derivative) else 0


def _extra_derivative(d, lead):
    """The differentiations taking `lead` to `d` (None if d is not a derivative of lead)."""
    f = d.expr
    base = lead.expr if isinstance(lead, sp.Derivative) else lead
    if f != base:
        return None
    have = dict(d.variable_count)
    need = dict(lead.variable_count) if isinstance(lead, sp.Derivative) else {}
    if any(have.get(v, 0) < k for v, k in need.items()):
        return None
    return [(v, have[v] - need.get(v, 0)) for v in have if have[v] - need.get(v, 0) > 0]
