r"""Invariant solutions: similarity reduction of a PDE by one symmetry generator.

Symbolic layer: sympy only, never JAX.

For a projectable generator $v = \xi^i(x)\,\partial_{x^i} + \phi_a(x, u)\,\partial_{u^a}$ with
$\xi^k \ne 0$, the invariants are the first integrals of the characteristic system
$dx^j/dx^k = \xi^j/\xi^k$, $du^a/dx^k = \phi_a/\xi^k$ (one fewer than the variables): $p - 1$
invariants $y_j(x)$ of the independent variables alone and $q$ invariants $w_a(x, u)$ solved
for $u$. The ansatz $w_a = W_a(y)$, i.e. $u^a = G_a(x, W(y))$, turns $\Delta = 0$ into
$\lambda(x)\,R(y, W^{(n)}) = 0$: the reduced equation $R$ in one fewer independent variable. It
is read off on the cross-section $x^k = s_0$ and checked on the whole space (the ratio
$\Delta / R$ must be free of $W$ and its derivatives).

When $R$ is an ODE for one function it is integrated: first integrals where $R$ is an exact
derivative $D_y P$ (also after the integrating factor $W'$ of an autonomous equation, the
translation $y \mapsto y + c$ that the reduced equation inherits), a quadrature for an
autonomous first-order equation, then `dsolve`. If the general solution is out of reach, the
constants of the first integrals are set to zero (recorded in `conditions`). Every solution is
verified by substitution into the PDE and by invariance, $Q_a = \phi_a - \xi^i u^a_i = 0$ on
its graph (that is, $v(u^a - f_a) = 0$ where $u = f$).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence

import sympy as sp
from sympy.core.sorting import default_sort_key

from ..symbolic._deadline import OutOfTime, deadline

from ..symbolic._parse import PDEInputError, parse_expression
from ..symbolic._pde import PDE
from ._generator import FAILED, NUMERIC, SYMBOLIC, Generator, _numeric_zero, _simplify_zero, json_str

__all__ = ["InvariantSolution", "Reduction", "ReductionError", "parse_generator", "reduce"]


# verified symbolically where the bases of symbolic powers are positive (real branches)
POSITIVE_BASES = "symbolic, where the bases of powers are positive"
NUMERIC_POSITIVE_BASES = "numeric, where the bases of powers are positive"


class ReductionError(PDEInputError):
    """The generator cannot be used for a similarity reduction (the message says why)."""


@dataclasses.dataclass(frozen=True)
class InvariantSolution:
    r"""An exact solution $u^a = f_a(x)$ invariant under the generator.

    `constants`: its arbitrary constants; `conditions`: the choices made for the constants of
    first integrals (e.g. ``Eq(K1, 0)``); `verification`: how $\Delta[f] = 0$ and
    $Q[f] = 0$ were checked (``"symbolic"`` or ``"numeric"``).
    """

    values: Mapping[sp.Symbol, sp.Expr]
    constants: tuple[sp.Symbol, ...] = ()
    conditions: tuple[sp.Expr, ...] = ()
    verification: str = SYMBOLIC

    def to_dict(self) -> dict:
        out: dict = {u.name: json_str(f) for u, f in self.values.items()}
        if self.conditions:
            out["conditions"] = [json_str(c) for c in self.conditions]
        out["verification"] = self.verification
        return out


@dataclasses.dataclass(frozen=True)
class Reduction:
    r"""The reduction of `pde` by `generator`.

    - `invariants`: $y_1, \dots, y_{p-1}$ (functions of $x$), then $w_1, \dots, w_q$.
    - `variables`, `functions`: the symbols $y_j$ and the unknowns $W_a(y)$ of the reduced system.
    - `ansatz`: $u^a = G_a(x, W(y(x)))$, the general invariant function.
    - `reduced`: the reduced equations (each "= 0") in $y$ and $W(y)$.
    - `solutions`: verified invariant solutions; `notes`: what was not integrated.
    - `assumptions`: what was divided by (nonzero) on the way.
    """

    pde: PDE
    generator: Generator
    invariants: tuple[sp.Expr, ...]
    variables: tuple[sp.Symbol, ...]
    functions: tuple[sp.Expr, ...]
    ansatz: Mapping[sp.Symbol, sp.Expr]
    reduced: tuple[sp.Expr, ...]
    solutions: tuple[InvariantSolution, ...]
    assumptions: tuple[sp.Expr, ...] = ()
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {
            "generator": self.generator.to_dict(),
            "invariants": [json_str(i) for i in self.invariants],
            "variables": {y.name: json_str(i) for y, i in zip(self.variables, self.invariants)},
            "ansatz": {u.name: json_str(g) for u, g in self.ansatz.items()},
            "reduced": [json_str(r) for r in self.reduced],
            "solutions": [s.to_dict() for s in self.solutions],
            "assumptions": [json_str(a) for a in self.assumptions],
            "notes": list(self.notes),
        }

    def __str__(self) -> str:
        lines = [f"Reduction of  {'; '.join(self.pde.source)}  by  {self.generator}"]
        names = [y.name for y in self.variables] + [
            f.name if isinstance(f, sp.Symbol) else f.func.__name__ for f in self.functions]
        for n, inv in zip(names, self.invariants):
            lines.append(f"  invariant {n} = {sp.sstr(inv)}")
        for u, g in self.ansatz.items():
            lines.append(f"  ansatz    {u} = {sp.sstr(g)}")
        for r in self.reduced:
            lines.append(f"  reduced   {sp.sstr(r)} = 0")
        if self.solutions:
            lines.append(f"Invariant solutions ({len(self.solutions)}), each verified in the PDE and by invariance:")
            for s in self.solutions:
                vals = ", ".join(f"{u} = {sp.sstr(f)}" for u, f in s.values.items())
                cond = f"   [{', '.join(sp.sstr(c) for c in s.conditions)}]" if s.conditions else ""
                lines.append(f"  {vals}{cond}   ({s.verification})")
        else:
            lines.append("No invariant solution in closed form.")
        for n in self.notes:
            lines.append(f"Note: {n}")
        if self.assumptions:
            lines.append("Assumptions: " + ", ".join(sp.sstr(a) for a in self.assumptions))
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------
# Generators from text
# ---------------------------------------------------------------------------------------

_PARTIAL = re.compile(r"∂\s*([A-Za-z][A-Za-z0-9_]*)")


def parse_generator(text: str, pde: PDE, basis: Sequence[Generator] | None = None) -> Generator:
    r"""A generator from text: a combination of the basis, ``"v2 + c*v1"`` (needs `basis`), or a
    vector field written out, ``"x*D_x + 2*t*D_t - u*D_u"`` (also ``∂x`` or ``d_x``)."""
    if not isinstance(text, str) or not text.strip():
        raise PDEInputError("--generator: empty; expected e.g. 'v2 + c*v1' or 'x*D_x + 2*t*D_t'")
    jet = pde.jet
    variables = list(jet.independent) + list(jet.dependent)
    where = f"generator {text.strip()!r}"
    expr, names = parse_expression(_PARTIAL.sub(r"D_\1", text), None, where=where, allow_equals=False)
    field = {}
    for s in names:
        head, sep, tail = s.name.partition("_")
        if sep and head in ("D", "d"):
            var = next((v for v in variables if v.name == tail), None)
            if var is None:
                raise PDEInputError(
                    f"{where}: {s.name} differentiates by {tail!r}, which is not a variable "
                    f"(declared: {', '.join(v.name for v in variables)})"
                )
            field[var] = s
    vs = {s for s in names if re.fullmatch(r"v[0-9]+", s.name)}
    if field and vs:
        raise PDEInputError(f"{where}: mixes basis generators ({', '.join(sorted(v.name for v in vs))}) and D_ terms")
    atoms = list(field.values()) if field else sorted(vs, key=default_sort_key)
    if not atoms:
        raise PDEInputError(
            f"{where}: names no generator; expected a combination of the basis such as "
            "'v2 + c*v1' or a vector field such as 'x*D_x + 2*t*D_t - u*D_u'"
        )
    expr = sp.expand(expr)
    coeffs = {}
    for a in atoms:
        c = expr.coeff(a)
        if any(c.has(b) for b in atoms):
            raise PDEInputError(f"{where}: not linear in {a.name}")
        coeffs[a] = c
    rest = sp.expand(expr - sum(c * a for a, c in coeffs.items()))
    if rest != 0:
        raise PDEInputError(f"{where}: the term {sp.sstr(rest)} multiplies no generator")
    if field:
        comps = {var: coeffs[sym] for var, sym in field.items()}
        return Generator({x: comps.get(x, 0) for x in jet.independent},
                         {u: comps.get(u, 0) for u in jet.dependent}, jet)
    if basis is None:
        raise PDEInputError(f"{where}: basis generators need the symmetry algebra")
    out = None
    for v, c in coeffs.items():
        k = int(v.name[1:])
        if not 1 <= k <= len(basis):
            raise PDEInputError(
                f"{where}: {v.name} is not a basis generator; the algebra has {len(basis)} "
                f"(v1..v{len(basis)})"
            )
        term = c * basis[k - 1]
        out = term if out is None else out + term
    return out


# ---------------------------------------------------------------------------------------
# Time limits for sympy calls that can run away
# ---------------------------------------------------------------------------------------


# one implementation, in the symbolic layer
_OutOfTime = OutOfTime
_deadline = deadline


def _attempt(fn, seconds: float):
    """`fn()` or None if it fails or runs out of time (sympy raises many exception types)."""
    try:
        with _deadline(seconds):
            return fn()
    except (_OutOfTime, Exception):  # noqa: BLE001 - a failed heuristic is not an error
        return None


# ---------------------------------------------------------------------------------------
# Invariants from the characteristic system
# ---------------------------------------------------------------------------------------


def _fresh(name: str, taken: set[str]) -> sp.Symbol:
    while name in taken:
        name += "_"
    taken.add(name)
    return sp.Symbol(name)


def _zero(expr) -> bool:
    return _simplify_zero(sp.sympify(expr)) == 0


def _integrate_characteristic(rhs: sp.Expr, z: sp.Symbol, s: sp.Symbol, const: sp.Symbol) -> sp.Expr:
    r"""General solution z(s) of dz/ds = rhs(s, z), with `const` its constant.

    Linear: $z = e^{A}(c + \int b\,e^{-A} ds)$ with $A = \int a\,ds$ for $z' = a z + b$
    (dsolve would treat the parameters as complex); otherwise `dsolve`.
    """
    a = sp.diff(rhs, z)
    if not a.has(z):
        b = sp.expand(rhs - a * z)
        A = _attempt(lambda: sp.integrate(a, s, conds="none"), 20)
        if A is not None and not A.has(sp.Integral):
            A = sp.expand(sp.powsimp(A))
            B = sp.S.Zero if b == 0 else _attempt(
                lambda: sp.integrate(sp.powsimp(sp.expand(b * sp.exp(-A))), s, conds="none"), 20)
            if B is not None and not B.has(sp.Integral):
                return _tidy(sp.powsimp(sp.expand(sp.exp(A) * (const + B))))
    f = sp.Function("_z")
    ode = sp.Eq(f(s).diff(s), rhs.xreplace({z: f(s)}))
    sol = _attempt(lambda: sp.dsolve(ode, f(s)), 20)
    sols = sol if isinstance(sol, list) else [sol]
    for sl in sols:
        if sl is None or not isinstance(sl, sp.Eq) or sl.lhs != f(s) or sl.rhs.has(f(s)):
            continue
        cs = sorted(sl.rhs.free_symbols - rhs.free_symbols - {s}, key=default_sort_key)
        if len(cs) == 1:
            return sl.rhs.xreplace({cs[0]: const})
    raise ReductionError(f"the characteristic equation d{z}/d{s} = {sp.sstr(rhs)} was not integrated")


def _tidy(expr: sp.Expr) -> sp.Expr:
    """exp(c*log(b) + r) as b**c * exp(r)."""
    def split(e):
        out = sp.S.One
        for k in sp.Add.make_args(sp.expand(e.args[0])):
            c, lg = k.as_independent(sp.log, as_Add=False)
            out *= lg.args[0] ** c if isinstance(lg, sp.log) else sp.exp(k)
        return out

    return expr.replace(lambda e: isinstance(e, sp.exp), split)


def _solve_for(eq: sp.Expr, target: sp.Symbol, what: str) -> sp.Expr:
    # check=False: a branch such as x = -sqrt(C - y^2) is still inverted (every invariant is
    # checked against the generator afterwards)
    sols = _attempt(lambda: sp.solve(eq, target, dict=False, check=False), 20) or []
    sols = [s for s in sols if not s.has(sp.I)] or sols
    if not sols:
        raise ReductionError(f"cannot solve {sp.sstr(eq)} = 0 for {target} ({what})")
    return sorted(sols, key=lambda e: (sp.count_ops(e), default_sort_key(e)))[0]


@dataclasses.dataclass(frozen=True)
class _Characteristics:
    k: int                                   # index of the parameter x^k of the characteristics
    inv_x: tuple[sp.Expr, ...]               # y_j(x), j != k
    x_of: dict                               # x^j -> F_j(x^k, y)
    inv_u: tuple[sp.Expr, ...]               # w_a(x, u)
    u_of: dict                               # u^a -> G_a(x, W)


def _characteristics(gen: Generator, ys: Sequence[sp.Symbol], ws: Sequence[sp.Symbol]) -> _Characteristics:
    jet = gen.jet
    xs, us = list(jet.independent), list(jet.dependent)
    xi = [sp.expand(gen.xi[x]) for x in xs]
    phi = [sp.expand(gen.phi[u]) for u in us]
    if all(c == 0 for c in xi):
        raise ReductionError(
            f"the generator {gen} has no component along the independent variables: a solution "
            "invariant under it satisfies phi = 0, there is nothing to reduce"
        )
    if any(c.free_symbols & set(us) for c in xi):
        raise ReductionError(
            f"the generator {gen} is not projectable (xi depends on "
            f"{', '.join(u.name for u in us)}): only generators with xi = xi(x) are reduced"
        )
    cands = [i for i in range(len(xs)) if xi[i] != 0]
    k = sorted(cands, key=lambda i: (not xi[i].is_number, -i))[0]  # constant, else the last (time-like)
    s = xs[k]
    others = [j for j in range(len(xs)) if j != k]
    x_of: dict = {}
    # dx^j/ds = xi^j/xi^k, solved in an order where each right-hand side involves solved x's only
    pending = list(others)
    consts = dict(zip(others, ys))
    while pending:
        for j in pending:
            r = sp.simplify(xi[j] / xi[k])
            deps = {xs[i] for i in pending if i != j} & r.free_symbols
            if not deps:
                break
        else:
            raise ReductionError(
                f"the characteristic system of {gen} is coupled in "
                f"{', '.join(xs[j].name for j in pending)}; not integrated"
            )
        r = sp.powdenest(sp.expand_log(r.xreplace(x_of), force=True), force=True)
        x_of[xs[j]] = _integrate_characteristic(r, xs[j], s, consts[j])
        pending.remove(j)
    # y_j(x): invert x^j = F_j(s, y) for the constants
    inv_x = []
    for j in others:
        inv_x.append(_solve_for(xs[j] - x_of[xs[j]], consts[j], "invariant of the independent variables"))
    # a later x^j may have been integrated with the constants of earlier ones in it
    back = {consts[j]: inv for j, inv in zip(others, inv_x)}
    for _ in others:
        back = {c: inv.xreplace(back) for c, inv in back.items()}
    inv_x = [back[consts[j]] for j in others]
    # du^a/ds along the characteristics, one dependent variable at a time
    u_of: dict = {}
    pending = list(range(len(us)))
    while pending:
        for a in pending:
            # log(exp(z)) -> z on the characteristic (forced; the invariants are checked after)
            r = sp.simplify(sp.powdenest(sp.expand_log((phi[a] / xi[k]).xreplace(x_of), force=True), force=True))
            deps = {us[b] for b in pending if b != a} & r.free_symbols
            if not deps:
                break
        else:
            raise ReductionError(f"the characteristic system of {gen} is coupled in the dependent variables; not integrated")
        u_of[us[a]] = _integrate_characteristic(r.xreplace(u_of), us[a], s, ws[a])
        pending.remove(a)
    # w_a(x, u) and the ansatz u = G(x, W) in the original variables
    inv_u, ansatz = [], {}
    for a, u in enumerate(us):
        g = u_of[u].xreplace(back)
        ansatz[u] = g
    if len(us) > 1 and any(ansatz[u].has(*(ws[b] for b in range(len(us)) if b != a))
                           for a, u in enumerate(us)):
        raise ReductionError(f"the invariants of {gen} mix the dependent variables; not reduced")
    for a, u in enumerate(us):
        inv_u.append(_solve_for(u - ansatz[u], ws[a], "invariant of the dependent variables"))
    return _Characteristics(k, tuple(inv_x), x_of, tuple(inv_u), ansatz)


def _check_invariant(gen: Generator, inv: sp.Expr) -> None:
    r = gen.apply(inv)
    if not _zero(r) and not _attempt(lambda: _numeric_zero(r, 4, 2), 20):
        raise ReductionError(f"internal check failed: {sp.sstr(inv)} is not an invariant of {gen}")


# ---------------------------------------------------------------------------------------
# The reduced equation
# ---------------------------------------------------------------------------------------


def _substitute_ansatz(pde: PDE, ansatz: Mapping, inv_x: Sequence[sp.Expr], xs: Sequence[sp.Symbol],
                       ys: Sequence[sp.Symbol]) -> list[sp.Expr]:
    r"""$\Delta_k$ on $u^a = G_a(x, W(y(x)))$, by the chain rule
    $D_i = \partial_{x^i} + \sum_j (\partial y_j/\partial x^i)\,\partial_{y_j}$."""
    jet = pde.jet
    dy = [[sp.diff(inv, x) for inv in inv_x] for x in xs]

    def D(f, i):
        out = sp.diff(f, xs[i])
        for j, y in enumerate(ys):
            if dy[i][j] != 0:
                out += dy[i][j] * sp.diff(f, y)
        return out

    cache: dict = {}

    def value(a, alpha):
        key = (a, alpha)
        if key in cache:
            return cache[key]
        if sum(alpha) == 0:
            val = ansatz[jet.dependent[a]]
        else:
            i = next(j for j, n in enumerate(alpha) if n)
            lower = list(alpha)
            lower[i] -= 1
            val = D(value(a, tuple(lower)), i)
        cache[key] = val
        return val

    out = []
    for e in pde.equations:
        reps = {jet.jet(a, alpha): value(a, alpha) for a, alpha in jet.jet_variables(e)}
        out.append(e.xreplace(reps))
    return out


def _w_atoms(expr, funcs) -> list:
    atoms = [d for d in expr.atoms(sp.Derivative) if d.expr in funcs]
    atoms += [f for f in funcs if expr.has(f)]
    return sorted(set(atoms), key=default_sort_key)


def _power_normal(e: sp.Expr) -> sp.Expr:
    return sp.powdenest(sp.expand_power_base(sp.expand(e), force=True), force=True)


def _clean(r: sp.Expr, funcs) -> tuple[sp.Expr, list[sp.Expr]]:
    """Numerator of `r` without the factors free of the unknowns; those factors returned."""
    r = sp.together(_power_normal(r))
    num = sp.factor_terms(sp.expand(sp.numer(r)))
    keep, dropped = [], []
    for f in sp.Mul.make_args(num):
        if any(f.has(w) for w in funcs):
            keep.append(f)
        elif not f.is_number:
            dropped.append(f)
    return sp.expand(sp.Mul(*keep)), dropped


def _reduced_equations(pde, gen, ch: _Characteristics, ys, funcs) -> tuple[list[sp.Expr], list]:
    jet = pde.jet
    xs = list(jet.independent)
    s = xs[ch.k]
    others = [j for j in range(len(xs)) if j != ch.k]
    y_syms = [sp.Symbol(f"_y{j}") for j in range(len(ys))]
    # the unknowns as functions of plain symbols while differentiating in x
    fsub = {w: w.func(*y_syms) for w in funcs} if ys else {}
    ansatz = {u: g.xreplace(fsub) for u, g in ch.u_of.items()}
    eqs = _substitute_ansatz(pde, ansatz, ch.inv_x, xs, y_syms)
    to_y = {xs[j]: ch.x_of[xs[j]] for j in others}
    reduced, dropped_all = [], []
    for k, e in enumerate(eqs, 1):
        e = e.xreplace(to_y).xreplace(dict(zip(y_syms, ys)))
        e = _power_normal(e)
        r = None
        for s0 in (1, 2, 3, -1):
            cand = e.subs(s, s0)
            if cand.has(sp.nan, sp.zoo, sp.oo, -sp.oo) or cand == 0:
                continue
            r, dropped = _clean(cand, funcs)
            if r != 0:
                break
            r = None
        if r is None:
            if _zero(e):
                continue  # the equation holds identically on the ansatz
            raise ReductionError(f"equation {k}: no cross-section of {s} where the reduction is defined")
        _check_reduction(e, r, funcs, k)
        reduced.append(r)
        dropped_all += dropped
    return reduced, dropped_all


def _check_reduction(e: sp.Expr, r: sp.Expr, funcs, k: int) -> None:
    r"""$\Delta_k / R$ must not depend on $W$ or its derivatives (it is $\lambda(x)$)."""
    atoms = _w_atoms(e, funcs) + _w_atoms(r, funcs)
    syms = {a: sp.Dummy(f"w{i}") for i, a in enumerate(sorted(set(atoms), key=default_sort_key))}
    ratio = _replace_atoms(e, syms) / _replace_atoms(r, syms)
    for a in syms.values():
        d = sp.diff(ratio, a)
        if _zero(d):
            continue
        if not d.atoms(sp.core.function.AppliedUndef) and _attempt(lambda: _numeric_zero(sp.together(d), 4, 0), 20):
            continue
        raise ReductionError(
            f"equation {k} does not reduce on the invariant ansatz: is the generator a symmetry?"
        )


def _replace_atoms(e, syms: Mapping) -> sp.Expr:
    # highest derivatives first, so W(y) inside Derivative(W(y), y) is not replaced early
    for a in sorted(syms, key=lambda a: -_order(a)):
        e = e.subs(a, syms[a])
    return e


def _order(a) -> int:
    return sum(c for _, c in a.variable_count) if isinstance(a, sp.Derivative) else 0


# ---------------------------------------------------------------------------------------
# Integrating the reduced ODE
# ---------------------------------------------------------------------------------------


class _ODE:
    r"""An ODE for $W(y)$ in jet symbols $W_0 = W, W_1 = W', \dots$ with $D_y$."""

    def __init__(self, y: sp.Symbol, W: sp.Expr, order_cap: int):
        self.y, self.W = y, W
        self.w = [sp.Dummy(f"W{n}") for n in range(order_cap + 2)]

    def to_jet(self, e):
        atoms = sorted(e.atoms(sp.Derivative), key=lambda d: -_order(d))
        for d in atoms:
            if d.expr == self.W:
                e = e.subs(d, self.w[_order(d)])
        return e.subs(self.W, self.w[0])

    def to_func(self, e):
        return e.xreplace({self.w[n]: (self.W if n == 0 else self.W.diff(self.y, n)) for n in range(len(self.w))})

    def order(self, e) -> int:
        return max((n for n in range(len(self.w)) if e.has(self.w[n])), default=-1)

    def D(self, e):
        out = sp.diff(e, self.y)
        for n in range(len(self.w) - 1):
            if e.has(self.w[n]):
                out += sp.diff(e, self.w[n]) * self.w[n + 1]
        return out

    def potential(self, e) -> sp.Expr | None:
        """P with D_y P = e, or None if e is not an exact derivative."""
        P, rem = sp.S.Zero, sp.expand(e)
        for _ in range(len(self.w) + 2):
            if rem == 0:
                return P
            n = self.order(rem)
            if n <= 0:
                if n == 0:
                    return None
                q = _attempt(lambda: sp.integrate(rem, self.y, conds="none"), 10)
                if q is None or q.has(sp.Integral):
                    return None
                return P + q
            g = sp.diff(rem, self.w[n])
            if g.has(self.w[n]):
                return None
            q = _attempt(lambda: sp.integrate(g, self.w[n - 1], conds="none"), 10)
            if q is None or q.has(sp.Integral):
                return None
            P += q
            # powsimp: W**(m - 1) and W**m/W must meet to cancel
            rem = sp.powsimp(sp.expand(sp.cancel(sp.together(rem - self.D(q)))))
        return None


def _solve_ode(R: sp.Expr, y: sp.Symbol, W: sp.Expr, taken: set[str], notes: list[str]):
    """Closed-form solutions W = f(y) of R = 0: a list of (f, constants, conditions)."""
    n0 = max((_order(d) for d in R.atoms(sp.Derivative)), default=0)
    ode = _ODE(y, W, n0)
    eq = ode.to_jet(R)
    consts: list[sp.Symbol] = []
    # first integrals: exact derivatives, and the integrating factor W' of autonomous equations
    for _ in range(n0):
        n = ode.order(eq)
        if n < 1:
            break
        P = ode.potential(eq)
        if P is None and n >= 2 and not eq.has(y):
            P = ode.potential(sp.expand(ode.w[1] * eq))
        if P is None:
            break
        K = _fresh(f"K{len(consts) + 1}", taken)
        consts.append(K)
        eq = sp.expand(P - K)
    general = _integrate(ode, eq)
    out = [(f, (), ()) for f in general]
    if consts:
        # The member with zero first-integral constants (often the physical one: the soliton,
        # the source solution) is integrated on its own: its closed form is simpler than the
        # general one at K = 0, which may even be 0/0.
        zero = {K: 0 for K in consts}
        conds = tuple(sp.Eq(K, 0) for K in consts)
        special = _integrate(ode, sp.expand(eq.xreplace(zero)))
        if not special:
            special = [f.xreplace(zero) for f in general]
        out += [(f, (), conds) for f in special if not f.has(sp.nan, sp.zoo)]
        if special and not general:
            notes.append(
                f"the general solution of {sp.sstr(ode.to_func(eq))} = 0 was not found; "
                f"solutions given for {', '.join(f'{K} = 0' for K in consts)}"
            )
    if not out:
        notes.append(f"the reduced ODE {sp.sstr(ode.to_func(eq))} = 0 was not integrated in closed form")
    return out


def _integrate(ode: _ODE, eq: sp.Expr) -> list[sp.Expr]:
    """Explicit solutions of eq = 0 (jet form): a quadrature if autonomous of first order,
    else `dsolve` with a non-series hint."""
    n = ode.order(eq)
    y, W = ode.y, ode.W
    if n == 0:
        return _attempt(lambda: sp.solve(eq, ode.w[0]), 10) or []
    if n == 1 and not eq.has(y) and not _linear(eq, ode.w[:2]):
        # dsolve would try the same separable quadrature, only slower; linear equations go to
        # dsolve, whose constant multiplies the homogeneous solution (any sign)
        return _quadrature(ode, eq)
    expr = ode.to_func(eq)
    hints = _attempt(lambda: sp.classify_ode(expr, W), 20) or ()
    # 'factorable' recurses without end on irreducible Riccati equations (sympy 1.14)
    hints = [h for h in hints if "series" not in h and not h.endswith("_Integral")
             and h not in ("default", "factorable")]
    # linear solvers first: their constants multiply the solutions (a separable quadrature of
    # a linear equation writes C*exp(-y) as exp(C - y), which misses the sign)
    hints.sort(key=lambda h: "linear" not in h)
    for h in hints[:3]:
        sol = _attempt(lambda: sp.dsolve(expr, W, hint=h), 15)
        if sol is None:
            continue
        sols = sol if isinstance(sol, list) else [sol]
        good = [s.rhs for s in sols if isinstance(s, sp.Eq) and s.lhs == W and not s.rhs.has(W)
                and not s.rhs.has(sp.Integral, sp.Order)]
        if good:
            return good
    return []


def _linear(eq: sp.Expr, ws) -> bool:
    return all(sp.diff(eq, a, b) == 0 for a in ws for b in ws)


def _quadrature(ode: _ODE, eq: sp.Expr) -> list[sp.Expr]:
    r"""$F(W, W') = 0$: solve for $W' = g(W)$, then $\int dW/g(W) = y + c$ and invert."""
    w0, w1 = ode.w[0], ode.w[1]
    slopes = _attempt(lambda: sp.solve(eq, w1), 10) or []
    out = []
    c = sp.Symbol("C1")
    done: list[sp.Expr] = []
    for g in slopes:
        if g == 0 or g.has(ode.w[1]) or _elliptic(g, w0):
            continue
        if any(sp.expand(g + h) == 0 for h in done):
            # W' = -g(W) is solved by f(-y) when W' = g(W) is solved by f(y)
            for f in list(out):
                r = f.xreplace({ode.y: -ode.y})
                if not any(_zero(r.xreplace({c: -c}) - o) for o in out):
                    out.append(r)
            continue
        done.append(g)
        F = _attempt(lambda: sp.integrate(1 / g, w0, conds="none"), 30)
        if F is None or F.has(sp.Integral):
            continue
        # log(a) - log(b) as log(a/b): solve then inverts one function instead of failing on two
        F = sp.logcombine(sp.factor_terms(sp.expand(F)), force=True)
        ws = _attempt(lambda: sp.solve(sp.Eq(F, ode.y + c), w0), 30) or []
        out += [sp.powdenest(f, force=True) for f in ws if not f.has(w0)]
    return out


def _elliptic(g: sp.Expr, w: sp.Symbol) -> bool:
    r"""True if $g(W)^2$ is rational in $W$ with at least three simple roots and poles in all:
    then $\int dW/g$ is an elliptic (or worse) integral, not worth a `integrate` call."""
    h = sp.together(g**2)
    if not h.is_rational_function(w):
        return False
    num, den = sp.fraction(h)
    try:
        deg = sum(sp.Poly(sp.sqf_part(f, w), w).degree() for f in (num, den) if f.has(w))
    except sp.PolynomialError:
        return False
    return deg >= 3


# ---------------------------------------------------------------------------------------
# Verification and the entry point
# ---------------------------------------------------------------------------------------


def _verify(pde: PDE, gen: Generator, values: Mapping[sp.Symbol, sp.Expr]) -> str:
    r"""``"symbolic"``, ``"numeric"`` or ``"failed"``: $\Delta[f] = 0$ and $Q[f] = 0$."""
    jet = pde.jet
    fun = {}
    for e in pde.equations:
        for a, alpha in jet.jet_variables(e):
            f = values[jet.dependent[a]]
            for i, n in enumerate(alpha):
                if n:
                    f = sp.diff(f, jet.independent[i], n)
            fun[jet.jet(a, alpha)] = f
    on_graph = dict(values)
    residuals = [e.xreplace(fun) for e in pde.equations]
    for u, f in values.items():
        q = gen.phi[u].xreplace(on_graph) - sum(gen.xi[x] * sp.diff(f, x) for x in jet.independent)
        residuals.append(q)
    method = SYMBOLIC
    for r in residuals:
        z = _attempt(lambda: _simplify_zero(r), 20)
        if z == 0:
            continue
        # evaluation can hang too (huge powers at a random point): bounded like the rest
        if not r.atoms(sp.core.function.AppliedUndef) and _attempt(lambda: _numeric_zero(r, 4, 1), 20):
            method = NUMERIC if method == SYMBOLIC else NUMERIC_POSITIVE_BASES if method == POSITIVE_BASES else method
            continue
        # (b**(1/m))**m = b holds where b > 0: the solution is real there
        z = _attempt(lambda: sp.cancel(sp.together(sp.powdenest(r, force=True))), 20)
        if z == 0:
            method = POSITIVE_BASES if method in (SYMBOLIC, POSITIVE_BASES) else NUMERIC_POSITIVE_BASES
            continue
        if _attempt(lambda: _zero_where_real(r), 20):
            method = NUMERIC_POSITIVE_BASES
            continue
        return FAILED
    return method


def _zero_where_real(r: sp.Expr, points: int = 3, tries: int = 60, seed: int = 3) -> bool:
    """True if `r` vanishes at `points` random points (coordinates in [-2, 2]) where the bases of
    all non-integer powers are positive, i.e. on the real domain of the solution."""
    import random

    rng = random.Random(seed)
    syms = sorted(r.free_symbols, key=default_sort_key)
    bases = [p.base for p in r.atoms(sp.Pow) if not p.exp.is_Integer and p.base.free_symbols]
    done = 0
    for _ in range(tries):
        at = {s: sp.Rational(rng.choice([-1, 1]) * rng.randint(200, 2000), 1000) for s in syms}
        try:
            if not all(sp.N(b.xreplace(at), 20) > 0 for b in bases):
                continue
            value = complex(sp.N(r.xreplace(at), 40))
            scale = 1 + sum(abs(complex(sp.N(t.xreplace(at), 20))) for t in sp.Add.make_args(r))
        except (TypeError, ValueError, ZeroDivisionError):
            continue
        if abs(value) > 1e-25 * scale:
            return False
        done += 1
        if done == points:
            return True
    return False


def reduce(pde: PDE, generator: Generator | str, *, solve: bool = True,
           basis: Sequence[Generator] | None = None) -> Reduction:
    r"""Reduce `pde` by the symmetry `generator` to an equation in one fewer independent variable.

    **Arguments:**
    - `pde`: the `PDE` (parameters with values are substituted).
    - `generator`: a `Generator` or its text (``"v2 + c*v1"`` with the basis of
      `liepinn.symmetries(pde)`, or ``"x*D_x + 2*t*D_t - u*D_u"``).
    - `solve`: integrate the reduced equation when it is an ODE.
    - `basis`: the basis that ``v1, v2, ...`` refer to (computed when needed and not given).

    Returns a `Reduction` whose solutions all satisfy the PDE and $v(u - f) = 0$.
    Raises `ReductionError` when the generator is not a symmetry or cannot be used.
    """
    if any(v is not None for v in pde.parameters.values()):
        pde = pde.substitute_parameters()
    jet = pde.jet
    if isinstance(generator, str):
        if basis is None and not re.search(r"∂|\b[Dd]_", generator):
            from ._algebra import symmetries

            basis = list(symmetries(pde))
        generator = parse_generator(generator, pde, basis)
    if not isinstance(generator, Generator):
        raise TypeError(f"generator must be a Generator or a string, got {type(generator).__name__}")
    if generator.jet != jet:
        raise ReductionError(f"the generator lives on {generator.jet}, the PDE on {jet}")
    if generator.is_zero():
        raise ReductionError("the generator is zero")
    if not generator.verify(pde):
        raise ReductionError(f"{generator} is not a symmetry of {'; '.join(pde.source)}")
    taken = {s.name for s in jet.independent + jet.dependent} | {
        s.name for e in pde.equations for s in e.free_symbols} | {
        s.name for c in generator.components for s in c.free_symbols}
    p, q = jet.p, jet.q
    ys = [_fresh("y" if p == 2 else f"y{j + 1}", taken) for j in range(p - 1)]
    wnames = ["W"] if q == 1 else [f"W{a + 1}" for a in range(q)]
    wsyms = [_fresh(n, taken) for n in wnames]
    ch = _characteristics(generator, ys, wsyms)
    for inv in ch.inv_x + ch.inv_u:
        _check_invariant(generator, inv)
    funcs = [sp.Function(w.name)(*ys) if ys else w for w in wsyms]
    u_of = {u: g.xreplace({w: f for w, f in zip(wsyms, funcs)}) for u, g in ch.u_of.items()}
    ch = dataclasses.replace(ch, u_of=u_of)
    reduced, dropped = _reduced_equations(pde, generator, ch, ys, funcs)
    params = set(pde.parameters) | {s for c in generator.components for s in c.free_symbols} - set(jet.independent) - set(jet.dependent)
    assumptions = [a for a in (sp.Ne(d, 0) for d in _unique(dropped) if d.free_symbols and d.free_symbols <= params)
                   if a is not sp.true]
    notes: list[str] = []
    ansatz = {u: g.xreplace({y: inv for y, inv in zip(ys, ch.inv_x)}) for u, g in u_of.items()}
    solutions: list[InvariantSolution] = []
    if solve and reduced:
        candidates = []
        if p == 1:
            sols = _attempt(lambda: sp.solve(reduced, funcs, dict=True), 20) or []
            candidates = [({f: s.get(f, f) for f in funcs}, ()) for s in sols]
            if not sols:
                notes.append("the reduced algebraic equations were not solved")
        elif p == 2 and q == 1 and len(reduced) == 1:
            for f, _, cond in _solve_ode(reduced[0], ys[0], funcs[0], taken, notes):
                candidates.append(({funcs[0]: f}, cond))
        elif p == 2:
            notes.append("reduced ODE systems are not integrated")
        else:
            notes.append(f"the reduced equation is a PDE in {p - 1} variables; not solved")
        for vals, cond in candidates:
            at_x = {y: inv for y, inv in zip(ys, ch.inv_x)}
            values = {u: sp.powsimp(g.xreplace(vals).xreplace(at_x)) for u, g in u_of.items()}
            status = _verify(pde, generator, values)
            if status == FAILED:
                notes.append(f"a candidate solution {', '.join(f'{u} = {sp.sstr(v)}' for u, v in values.items())} failed verification; dropped")
                continue
            if all(v == 0 or (v.is_Pow and v.base == 0) for v in values.values()) and candidates[0][0] is not vals:
                continue  # the trivial member of a family
            if any(all(_zero(v - s.values[u]) for u, v in values.items()) for s in solutions):
                continue
            consts = tuple(sorted((set().union(*[v.free_symbols for v in values.values()])
                                   - {s for e in pde.equations for s in e.free_symbols}
                                   - set(jet.independent)), key=default_sort_key))
            solutions.append(InvariantSolution(values, consts, tuple(cond), status))
    return Reduction(
        pde=pde, generator=generator, invariants=tuple(ch.inv_x) + tuple(ch.inv_u),
        variables=tuple(ys), functions=tuple(funcs), ansatz=ansatz, reduced=tuple(reduced),
        solutions=tuple(solutions), assumptions=tuple(assumptions), notes=tuple(notes),
    )


def _unique(items) -> list:
    out = []
    for i in items:
        if not any(sp.expand(i - o) == 0 for o in out):
            out.append(i)
    return out
