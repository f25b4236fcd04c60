r"""The Lie algebra of point symmetries of a PDE: canonical basis, commutators, JSON.

Symbolic layer: sympy only, never JAX.

Canonical basis. Each generator is a vector of coefficients over "atoms": pairs
(component, term free of numeric and parameter factors), e.g. ``(xi^x, t*x)``. Atoms are
sorted by a fixed key (polynomial degree, component, exponents; non-polynomial atoms
after), the coefficient matrix is brought to reduced row-echelon form over the field of
rational functions of the parameters, and each row is scaled to have coprime polynomial
entries with a positive pivot. The RREF of a row space is unique, so the basis depends only
on the span that the solver found, never on its order or on the hash seed.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import random
from fractions import Fraction
from collections.abc import Callable, Mapping, Sequence

import mpmath
import sympy as sp
from sympy.core.sorting import default_sort_key

from ..symbolic._pde import PDE
from ._generator import (
    FAILED,
    NUMERIC,
    SYMBOLIC,
    UNVERIFIED,
    Generator,
    _namespace,
    _numeric_zero,
    _parse,
    _simplify_zero,
    json_str,
    pde_json,
)
from ._linear import SPECIAL, special_reduce
from ._linear import normal as _linear_normal


class SymmetryVerificationError(RuntimeError):
    """A computed generator failed the invariance check: it is not returned."""


@dataclasses.dataclass(frozen=True)
class Superposition:
    r"""The superposition part $\beta(x)\,\partial_u$ of a linear homogeneous system.

    `phi`: dependent variable -> $\beta_a$ (undetermined functions); `constraints`: the
    PDEs (each "= 0") that the $\beta_a$ must satisfy, i.e. the system itself.
    """

    phi: Mapping[sp.Symbol, sp.Expr]
    constraints: tuple[sp.Expr, ...]
    verification: str = UNVERIFIED


@dataclasses.dataclass(frozen=True)
class InfiniteFamily:
    """An infinite-dimensional family of generators: components with free `functions`
    subject to the PDEs `constraints` (each "= 0")."""

    generator: Generator
    functions: tuple[sp.Expr, ...]
    constraints: tuple[sp.Expr, ...]
    verification: str = UNVERIFIED


# ---------------------------------------------------------------------------------------
# Atoms and the canonical basis
# ---------------------------------------------------------------------------------------


def _normal(expr: sp.Expr) -> sp.Expr:
    """A canonical expanded form: hyperbolic functions as exponentials, trig sums expanded,
    and sin(a)**2 written as 1 - cos(a)**2 (a polynomial in cos, at most linear in sin)."""
    if expr.has(sp.sinh, sp.cosh, sp.tanh, sp.coth, sp.sech, sp.csch):
        expr = expr.rewrite(sp.exp)
    if expr.has(*SPECIAL):
        expr = special_reduce(expr)
    if any(not p.exp.is_Number and p.base.free_symbols for p in expr.atoms(sp.Pow)):
        # symbolic powers: cancelled first (x**2/x**a over x**a - ... would hide the atoms)
        expr = _linear_normal(expr)
    if not expr.has(sp.sin, sp.cos, sp.tan):
        return sp.expand(expr)
    if expr.has(sp.tan):
        expr = expr.rewrite(sp.sin)
    expr = sp.expand(expr, trig=True)
    for _ in range(8):
        new = expr.replace(
            lambda e: e.is_Pow and isinstance(e.base, sp.sin) and e.exp.is_Integer and e.exp >= 2,
            lambda e: sp.sin(e.base.args[0]) ** (int(e.exp) % 2) * (1 - sp.cos(e.base.args[0]) ** 2) ** (int(e.exp) // 2),
        )
        new = sp.expand(new)
        if new == expr:
            break
        expr = new
    return expr


def _decompose(gen: Generator, modulo_superposition: bool) -> dict[tuple[int, sp.Expr], sp.Expr]:
    """Generator -> {(component index, atom): coefficient}; coefficients free of x and u."""
    variables = tuple(gen.jet.independent) + tuple(gen.jet.dependent)
    dependent = set(gen.jet.dependent)
    p = gen.jet.p
    out: dict[tuple[int, sp.Expr], sp.Expr] = {}
    for c, comp in enumerate(gen.components):
        if comp == 0:
            continue
        for term in sp.Add.make_args(_normal(comp)):
            coeff, atom = term.as_independent(*variables, as_Add=False)
            if modulo_superposition and c >= p and not (atom.free_symbols & dependent):
                continue  # beta(x) d/du with beta a solution: part of the superposition
            key = (c, atom)
            out[key] = out.get(key, sp.S.Zero) + coeff
    return {k: v for k, v in out.items() if sp.cancel(v) != 0}


def _atom_key(key: tuple[int, sp.Expr], variables) -> tuple:
    c, atom = key
    if atom.is_polynomial(*variables):
        monoms = sp.Poly(atom, *variables).monoms()
        if len(monoms) == 1:
            degs = monoms[0]
            return (0, sum(degs), c, tuple(-d for d in degs), ())
    return (1, sp.count_ops(atom), c, (), default_sort_key(atom))


def _rref(rows: list[list[sp.Expr]]) -> tuple[list[list[sp.Expr]], list[int], list[sp.Expr]]:
    """Reduced row-echelon form over Q(parameters); returns rows, pivot columns, divisors."""
    if all(isinstance(e, sp.Rational) for r in rows for e in r):
        return _rref_rational(rows)
    m = [[sp.cancel(e) for e in r] for r in rows]
    nrows = len(m)
    ncols = len(m[0]) if m else 0
    pivots: list[int] = []
    divisors: list[sp.Expr] = []
    r = 0
    for col in range(ncols):
        if r == nrows:
            break
        piv = next((i for i in range(r, nrows) if m[i][col] != 0), None)
        if piv is None:
            continue
        m[r], m[piv] = m[piv], m[r]
        p = m[r][col]
        divisors.append(p)
        m[r] = [sp.cancel(e / p) for e in m[r]]
        for i in range(nrows):
            if i != r and m[i][col] != 0:
                f = m[i][col]
                m[i] = [sp.cancel(a - f * b) for a, b in zip(m[i], m[r])]
        pivots.append(col)
        r += 1
    return m[:r], pivots, divisors


def _rref_rational(rows):
    # The same elimination in exact machine fractions (parameter-free systems, the common case).
    m = [[Fraction(int(e.p), int(e.q)) for e in r] for r in rows]
    nrows = len(m)
    ncols = len(m[0]) if m else 0
    pivots: list[int] = []
    r = 0
    for col in range(ncols):
        if r == nrows:
            break
        piv = next((i for i in range(r, nrows) if m[i][col] != 0), None)
        if piv is None:
            continue
        m[r], m[piv] = m[piv], m[r]
        p = m[r][col]
        m[r] = [e / p for e in m[r]]
        for i in range(nrows):
            if i != r and m[i][col] != 0:
                f = m[i][col]
                m[i] = [a - f * b for a, b in zip(m[i], m[r])]
        pivots.append(col)
        r += 1
    out = [[sp.Rational(e.numerator, e.denominator) for e in row] for row in m[:r]]
    return out, pivots, []


def _primitive(row: list[sp.Expr], pivot: int, sign_at: int | None = None) -> list[sp.Expr]:
    """Scale a row to coprime polynomial entries, the entry `sign_at` (default: the pivot) positive."""
    nonzero = [e for e in row if e != 0]
    try:
        den = sp.lcm_list([sp.fraction(sp.together(e))[1] for e in nonzero])
        row = [sp.cancel(e * den) for e in row]
        g = sp.gcd_list([e for e in row if e != 0])
        if g != 0:
            row = [sp.cancel(e / g) for e in row]
    except (sp.PolynomialError, sp.GeneratorsNeeded, TypeError):
        row = [sp.cancel(e / row[pivot]) for e in row]
    if row[pivot if sign_at is None else sign_at].could_extract_minus_sign():
        row = [-e for e in row]
    return [sp.expand(e) for e in row]


def _assumption_factors(expr: sp.Expr, parameters) -> list[sp.Expr]:
    """Non-constant factors of numerator and denominator of `expr` (what a division assumed)."""
    out = []
    num, den = sp.fraction(sp.cancel(expr))
    for part in (num, den):
        if not (part.free_symbols & set(parameters)):
            continue
        try:
            _, factors = sp.factor_list(part)
        except (sp.PolynomialError, sp.GeneratorsNeeded, TypeError, ValueError):
            factors = [(part, 1)]
        for f, _ in factors:
            if f.free_symbols:
                out.append(sp.Ne(f, 0))
    return out


def canonical_basis(
    generators: Sequence[Generator], *, modulo_superposition: bool = False, parameters=()
) -> tuple[list[Generator], list[sp.Basic]]:
    """A canonical basis of the span of `generators` (see module docstring).

    Returns the basis and the assumptions made (pivots that depend on parameters).
    """
    if not generators:
        return [], []
    jet = generators[0].jet
    variables = tuple(jet.independent) + tuple(jet.dependent)
    vectors = [_decompose(g, modulo_superposition) for g in generators]
    atoms = sorted({k for v in vectors for k in v}, key=lambda k: _atom_key(k, variables))
    if not atoms:
        return [], []
    rows = [[v.get(a, sp.S.Zero) for a in atoms] for v in vectors]
    reduced, pivots, divisors = _rref(rows)
    assumptions = [a for d in divisors for a in _assumption_factors(d, parameters)]
    basis = []
    # Sign: the first nonzero coefficient with the xi components before the phi ones is
    # positive (4*t*x*d_x + ... - (x**2 + 2*t)*d_u rather than its negative).
    by_component = sorted(range(len(atoms)), key=lambda k: (atoms[k][0], _atom_key(atoms[k], variables)))
    for row, piv in zip(reduced, pivots):
        first = next(k for k in by_component if row[k] != 0)
        row = _primitive(row, piv, first)
        comps = [sp.S.Zero] * len(variables)
        for (c, atom), coeff in zip(atoms, row):
            comps[c] += coeff * atom
        basis.append(_from_components(comps, jet))
    # Atoms that look different may be dependent functions (sin(x)**2 + cos(x)**2 = 1):
    # drop generators that are numerically dependent on earlier ones.
    keep = _independent_subset(basis, parameters)
    return [basis[i] for i in keep], _unique(assumptions)


def _from_components(comps, jet) -> Generator:
    p = jet.p
    return Generator(dict(zip(jet.independent, comps[:p])), dict(zip(jet.dependent, comps[p:])), jet)


def _unique(items) -> list:
    seen, out = set(), []
    for a in items:
        key = sp.srepr(a)
        if key not in seen:
            seen.add(key)
            out.append(a)
    return sorted(out, key=default_sort_key)


# ---------------------------------------------------------------------------------------
# Numeric rank at random points (independent of how expressions are written)
# ---------------------------------------------------------------------------------------


def _sample_values(symbols, rng: random.Random) -> dict:
    # in (0.55, 1.45), over a prime denominator: never 1, 1/2 or another simple value where
    # coefficients such as 1/(x - 1) or log(x) are singular or degenerate
    return {s: sp.Rational(rng.randint(2201, 5799), 4001) for s in symbols}


def numeric_matrix(generators: Sequence[Generator], parameters=(), *, points: int = 6, seed: int = 0,
                   modulo_superposition: bool = False) -> list[list]:
    """Components of each generator at `points` random points (parameters at random values too)."""
    if not generators:
        return []
    jet = generators[0].jet
    variables = tuple(jet.independent) + tuple(jet.dependent)
    if modulo_superposition:
        generators = [_project(g) for g in generators]
    rng = random.Random(seed)
    extra = sorted({s for g in generators for c in g.components for s in c.free_symbols} - set(variables),
                   key=default_sort_key)
    par = _sample_values(sorted(set(parameters) | set(extra), key=default_sort_key), rng)
    pts = [_sample_values(variables, rng) for _ in range(points)]
    mat = []
    with mpmath.workdps(40):
        for g in generators:
            row = []
            for pt in pts:
                vals = {**par, **pt}
                for c in g.components:
                    row.append(_to_mpmath(c.xreplace(vals)) if c != 0 else mpmath.mpf(0))
            mat.append(row)
    return mat


def _to_mpmath(value) -> mpmath.mpc:
    re, im = sp.N(value, 40).as_real_imag()
    return mpmath.mpc(mpmath.mpf(sp.Float(re, 40)), mpmath.mpf(sp.Float(im, 40)))


def numeric_rank(generators: Sequence[Generator], parameters=(), *, points: int = 6, seed: int = 0,
                 modulo_superposition: bool = False) -> int:
    """Rank of the generators as vector fields, from their values at random points."""
    return _rank(numeric_matrix(generators, parameters, points=points, seed=seed,
                                modulo_superposition=modulo_superposition))


def _rank(mat, tol=mpmath.mpf(10) ** -25) -> int:
    if not mat:
        return 0
    with mpmath.workdps(40):
        m = [list(r) for r in mat]
        scale = max((abs(e) for r in m for e in r), default=mpmath.mpf(0))
        if scale == 0:
            return 0
        rank, col = 0, 0
        ncols = len(m[0])
        while rank < len(m) and col < ncols:
            piv = max(range(rank, len(m)), key=lambda i: abs(m[i][col]))
            if abs(m[piv][col]) <= tol * scale:
                col += 1
                continue
            m[rank], m[piv] = m[piv], m[rank]
            for i in range(rank + 1, len(m)):
                f = m[i][col] / m[rank][col]
                m[i] = [a - f * b for a, b in zip(m[i], m[rank])]
            rank += 1
            col += 1
        return rank


def _independent_subset(basis: Sequence[Generator], parameters) -> list[int]:
    if not basis:
        return []
    mat = numeric_matrix(basis, parameters)
    if _rank(mat) == len(basis):
        return list(range(len(basis)))
    keep: list[int] = []
    for i in range(len(basis)):
        if _rank([mat[j] for j in keep + [i]]) == len(keep) + 1:
            keep.append(i)
    return keep


def _project(gen: Generator) -> Generator:
    """Drop the parts of phi free of u (superposition elements, for linear systems)."""
    dependent = set(gen.jet.dependent)
    phi = {}
    for u, c in gen.phi.items():
        phi[u] = sp.Add(*[t for t in sp.Add.make_args(_normal(c))
                          if t.as_independent(*gen.jet.independent, *gen.jet.dependent, as_Add=False)[1].free_symbols & dependent])
    return Generator(dict(gen.xi), phi, gen.jet)


# ---------------------------------------------------------------------------------------
# Verification of the parts with free functions
# ---------------------------------------------------------------------------------------


def _verify_with_functions(gen: Generator, pde: PDE, constraints: Sequence[sp.Expr], *,
                           budget: int = 4000, seed: int = 0) -> str:
    """Invariance of a generator containing undetermined functions subject to `constraints`.

    1. The reduced prolongation is reduced modulo the constraints (a linear PDE system for
       the functions, completed with its integrability conditions, see `_FunctionSystem`)
       within a work `budget` (terms handled): zero gives ``"symbolic"``; a nonzero normal form
       modulo a passive (complete) system gives ``"failed"``.
    2. If the budget runs out, the residuals are checked at random exact points of jet
       space: each must lie in the span of the constraints and their prolongations there
       (exact arithmetic modulo a large prime, see `_numeric_membership`); success gives
       ``"numeric"``, never ``"symbolic"``.
       An inconclusive symbolic reduction (no passive system reached) is also checked so.
    3. Otherwise the completion is run without a budget (the slow path), as in 1; a family
       is never accepted without one of these checks succeeding.
    """
    if any(v is not None for v in pde.parameters.values()):
        pde = pde.substitute_parameters()
    residuals = [sp.expand(pde.reduce(gen.prolong(eq))) for eq in pde.equations]
    if all(r == 0 for r in residuals):
        return SYMBOLIC
    hyperbolic = (sp.sinh, sp.cosh, sp.tanh, sp.coth, sp.sech, sp.csch)
    if any(r.has(*hyperbolic) for r in residuals) or any(c.has(*hyperbolic) for c in constraints):
        # the solver writes hyperbolic functions as exponentials: one form for the reduction
        residuals = [sp.expand(r.rewrite(sp.exp)) for r in residuals]
        constraints = [c.rewrite(sp.exp) for c in constraints]
    if not constraints:
        return SYMBOLIC if all(_simplify_zero(r) == 0 for r in residuals) else FAILED
    try:
        status = _verify_modulo(residuals, constraints, budget)
    except _BudgetExceeded:
        status = None
    if status in (SYMBOLIC, FAILED):
        return status
    try:
        if _numeric_membership(residuals, constraints, seed=seed):
            return NUMERIC
    except (ValueError, NotImplementedError, ZeroDivisionError):
        pass
    if status is not None:
        return status  # inconclusive (constraints not completed), not accepted
    return _verify_modulo(residuals, constraints, None)


def _verify_modulo(residuals, constraints, budget: int | None) -> str:
    try:
        system = _FunctionSystem(constraints, budget=budget)
        reduced = [system.reduce(r) for r in residuals]
    except (ValueError, RuntimeError, NotImplementedError):
        return UNVERIFIED
    if all(r == 0 or _simplify_zero(r) == 0 for r in reduced):
        return SYMBOLIC
    return FAILED if system.passive else UNVERIFIED


class _BudgetExceeded(Exception):
    """The symbolic reduction modulo the constraints ran past its work budget."""


_PRIME = 2**61 - 1  # a Mersenne prime: exact arithmetic in GF(p)


def _mod_p(value) -> int:
    if value.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        raise ZeroDivisionError
    if not isinstance(value, sp.Rational):
        raise ValueError(f"{value} is not rational")
    num, den = int(value.p) % _PRIME, int(value.q) % _PRIME
    if den == 0:
        raise ZeroDivisionError
    return num * pow(den, _PRIME - 2, _PRIME) % _PRIME


def _rank_mod_p(rows: list[list[int]]) -> int:
    rows = [r[:] for r in rows if any(r)]
    rank, ncols = 0, len(rows[0]) if rows else 0
    for col in range(ncols):
        piv = next((i for i in range(rank, len(rows)) if rows[i][col]), None)
        if piv is None:
            continue
        rows[rank], rows[piv] = rows[piv], rows[rank]
        inv = pow(rows[rank][col], _PRIME - 2, _PRIME)
        prow = [v * inv % _PRIME for v in rows[rank]]
        rows[rank] = prow
        for i in range(len(rows)):
            if i != rank and rows[i][col]:
                f = rows[i][col]
                rows[i] = [(a - f * b) % _PRIME for a, b in zip(rows[i], prow)]
        rank += 1
    return rank


def _numeric_membership(residuals, constraints, *, points: int = 3, seed: int = 0, extra: int = 1) -> bool:
    r"""Probabilistic invariance check of residuals linear in undetermined functions.

    At a random rational point of the space (the functions' arguments, the jet coordinates
    and any other symbol), the residuals and the constraints $C_i$ with their prolongations
    $D^\beta C_i$ (up to order max(order of residuals, order of constraints) + `extra`)
    become linear forms in the values of the functions' derivatives at that point. True if
    every residual lies in the span of the constraint forms at `points` points (exact
    arithmetic in GF(p)). A residual vanishing on all solutions of a formally integrable
    system passes; a family the solver got wrong fails (with high probability).
    """
    residuals = [sp.expand(r) for r in residuals if r != 0]
    constraints = [sp.expand(sp.sympify(c)) for c in constraints]
    leaders = lambda e: [d for d in e.atoms(sp.Derivative, sp.core.function.AppliedUndef) if _derivative_parts(d)]

    def order(e):
        return max((sum(_derivative_parts(d)[1]) for d in leaders(e)), default=0)

    def linear(e):
        ds = leaders(e)
        names = {d: sp.Dummy() for d in ds}
        lin = e.xreplace(names)
        coeffs = {}
        for d, L in names.items():
            key = _derivative_parts(d)
            coeffs[key] = coeffs.get(key, 0) + lin.coeff(L)
        rest = sp.expand(lin.xreplace({L: 0 for L in names.values()}))
        if rest != 0:
            raise NotImplementedError("not a linear homogeneous expression in the functions")
        return coeffs

    def diff_form(form, a):
        out = {}
        for (f, alpha), c in form.items():
            dc = sp.diff(c, a)
            if dc != 0:
                out[f, alpha] = out.get((f, alpha), 0) + dc
            if a in f.args:
                i = f.args.index(a)
                key = (f, alpha[:i] + (alpha[i] + 1,) + alpha[i + 1:])
                out[key] = out.get(key, 0) + c
        return {k: v for k, v in out.items() if v != 0}

    top = max(order(e) for e in residuals + constraints) + extra
    forms_c = []
    for c in constraints:
        args = sorted({a for d in leaders(c) for a in _derivative_parts(d)[0].args}, key=default_sort_key)
        # D^beta C for every multi-index beta with |beta| <= top - order(C), each once
        layer = {(0,) * len(args): linear(c)}
        forms_c.extend(layer.values())
        for _ in range(top - order(c)):
            nxt = {}
            for beta, form in layer.items():
                last = max((i for i, b in enumerate(beta) if b), default=0)
                for i in range(last, len(args)):
                    nxt[beta[:i] + (beta[i] + 1,) + beta[i + 1:]] = diff_form(form, args[i])
            layer = nxt
            forms_c.extend(layer.values())
            if len(forms_c) > 5000:
                raise NotImplementedError("too many prolonged constraints")

    forms_r = [linear(e) for e in residuals]
    columns = sorted({k for f in forms_c + forms_r for k in f},
                     key=lambda k: (sum(k[1]), k[0].func.__name__, k[1]))
    index = {k: i for i, k in enumerate(columns)}
    symbols = sorted({s for f in forms_c + forms_r for c in f.values() for s in c.free_symbols},
                     key=default_sort_key)
    exponents = {s for f in forms_c + forms_r for c in f.values() for pw in c.atoms(sp.Pow)
                 for s in pw.exp.free_symbols}
    rng = random.Random(seed)
    done = tries = 0
    while done < points:
        tries += 1
        if tries > 4 * points:
            return False
        # symbols in exponents (parameters such as k in r**k) get integer values, keeping values rational
        vals = {s: (sp.Integer(rng.randint(2, 9)) if s in exponents else
                    sp.Rational(rng.randint(1, 10**6), rng.randint(1, 10**6))) for s in symbols}

        def row(form):
            out = [0] * len(columns)
            for k, c in form.items():
                out[index[k]] = (out[index[k]] + _mod_p(c.xreplace(vals))) % _PRIME
            return out

        try:
            rows = [row(f) for f in forms_c]
            rrows = [row(f) for f in forms_r]
        except ZeroDivisionError:
            continue
        base = _rank_mod_p(rows)
        if _rank_mod_p(rows + rrows) != base:
            return False
        done += 1
    return True


def _derivative_parts(d) -> tuple | None:
    """(function, multi-index over its arguments) of f(..) or Derivative(f(..), ...)."""
    if isinstance(d, sp.core.function.AppliedUndef):
        f, counts = d, {}
    elif isinstance(d, sp.Derivative) and isinstance(d.expr, sp.core.function.AppliedUndef):
        f, counts = d.expr, dict(d.variable_count)
    else:
        return None
    if not all(isinstance(a, sp.Symbol) for a in f.args) or set(counts) - set(f.args):
        return None
    return f, tuple(counts.get(a, 0) for a in f.args)


def _rank_key(d) -> tuple:
    f, alpha = _derivative_parts(d)
    return (sum(alpha), f.func.__name__, alpha)


class _FunctionSystem:
    """A linear PDE system for undetermined functions, solved for leading derivatives in an
    orderly ranking and completed with integrability conditions (a small Janet/rif-style
    completion), so that `reduce` gives a normal form modulo the system."""

    def __init__(self, constraints: Sequence[sp.Expr], *, rounds: int = 6, budget: int | None = None):
        self.rules: list[tuple[sp.Expr, tuple, sp.Expr]] = []  # (f, alpha, rhs)
        self._budget = budget  # terms left to handle before giving up (`_BudgetExceeded`); None: no limit
        pending = [sp.expand(sp.sympify(c)) for c in constraints]
        self.passive = False
        for _ in range(rounds):
            added = False
            for c in pending:
                if self._add(c):
                    added = True
            pending = self._integrability_conditions()
            if not pending and not added:
                self.passive = True
                break
            if not pending:
                self.passive = True
                break

    def _leaders(self, expr):
        return [d for d in expr.atoms(sp.Derivative, sp.core.function.AppliedUndef) if _derivative_parts(d)]

    def _add(self, c: sp.Expr) -> bool:
        c = self.reduce(c)
        if c == 0:
            return False
        ds = self._leaders(c)
        if not ds:
            raise ValueError(f"constraint {c} involves no derivative of a function")
        lead = max(ds, key=_rank_key)
        L = sp.Dummy("L")
        e = c.xreplace({lead: L})
        coeff = sp.diff(e, L)
        if coeff.has(L) or coeff == 0:
            raise NotImplementedError(f"constraint {c} is not linear in {lead}")
        if self._budget is not None and len(sp.Add.make_args(sp.expand(coeff))) > 2:
            # dividing by a polynomial makes the expanded normal forms blow up
            raise _BudgetExceeded
        rhs = sp.expand(-e.subs(L, 0) / coeff)
        self._spend(rhs)
        f, alpha = _derivative_parts(lead)
        self.rules.append((f, alpha, rhs))
        # keep every right-hand side in normal form with respect to the new rule
        self.rules = [(g, beta, self.reduce(r) if (g, beta) != (f, alpha) else r) for g, beta, r in self.rules]
        return True

    def _derive(self, f, alpha, rhs, target):
        delta = [b - a for a, b in zip(alpha, target)]
        out = rhs
        for arg, k in zip(f.args, delta):
            if k:
                out = sp.diff(out, arg, k)
        return out

    def _integrability_conditions(self) -> list[sp.Expr]:
        out = []
        for (f, a, r), (g, b, s) in itertools.combinations(self.rules, 2):
            if f != g:
                continue
            top = tuple(max(i, j) for i, j in zip(a, b))
            if top == a or top == b:
                continue
            cond = self.reduce(self._derive(f, a, r, top) - self._derive(g, b, s, top))
            if cond != 0 and sp.cancel(cond) != 0:
                out.append(cond)
        return out

    def _spend(self, expr: sp.Expr) -> None:
        if self._budget is not None:
            self._budget -= len(sp.Add.make_args(expr))
            if self._budget < 0:
                raise _BudgetExceeded

    def reduce(self, expr: sp.Expr, *, limit: int = 200) -> sp.Expr:
        expr = sp.expand(expr)
        self._spend(expr)
        for _ in range(limit):
            reps = {}
            for d in self._leaders(expr):
                f, beta = _derivative_parts(d)
                for g, alpha, rhs in self.rules:
                    if g == f and all(x >= y for x, y in zip(beta, alpha)):
                        reps[d] = self._derive(g, alpha, rhs, beta)
                        break
            if not reps:
                return expr
            # substitute the highest derivatives first (a Derivative contains its base function)
            for d in sorted(reps, key=_rank_key, reverse=True):
                expr = expr.xreplace({d: reps[d]})
            expr = sp.expand(expr)
            self._spend(expr)
        raise RuntimeError("reduction modulo the constraints did not terminate")


# ---------------------------------------------------------------------------------------
# The algebra
# ---------------------------------------------------------------------------------------


class SymmetryAlgebra:
    r"""The Lie point symmetry algebra of a PDE system.

    **Attributes:**

    - `pde`: the system (with any parameter values it was given).
    - `basis`: canonical basis of the finite-dimensional part, modulo superposition.
    - `superposition`: `Superposition` ($\beta\,\partial_u$, $\beta$ any solution) or None.
    - `infinite`: `InfiniteFamily`s with free functions, for infinite-dimensional algebras.
    - `assumptions`: sympy relations assumed (expressions divided by, generic parameters).
    - `verification`: per basis generator, ``"symbolic"``, ``"numeric"`` or ``"unverified"``.
    - `annotations`: extra per-generator columns for printing and JSON (e.g. ``degeneracy``):
      name -> one entry per generator, a string/number or an object with ``summary()``
      (the table cell) and ``to_dict()`` (the JSON value).
    - `warnings`: what the solver could not finish (the algebra may then be incomplete).
    """

    def __init__(self, pde: PDE, basis: Sequence[Generator], *, superposition: Superposition | None = None,
                 infinite: Sequence[InfiniteFamily] = (), assumptions: Sequence = (),
                 verification: Sequence[str] | None = None,
                 annotations: Mapping[str, Sequence] | None = None, warnings: Sequence[str] = ()):
        if not isinstance(pde, PDE):
            raise TypeError(f"pde must be a PDE, got {type(pde).__name__}")
        for g in basis:
            if not isinstance(g, Generator):
                raise TypeError(f"basis elements must be Generators, got {type(g).__name__}")
            if g.jet != pde.jet:
                raise ValueError(f"generator {g} lives on {g.jet}, the PDE on {pde.jet}")
        self.pde = pde
        self.basis: tuple[Generator, ...] = tuple(basis)
        self.superposition = superposition
        self.infinite: tuple[InfiniteFamily, ...] = tuple(infinite)
        self.assumptions: tuple = tuple(_unique(assumptions))
        if verification is None:
            verification = [UNVERIFIED] * len(self.basis)
        if len(verification) != len(self.basis):
            raise ValueError(f"{len(verification)} verification entries for {len(self.basis)} generators")
        self.verification: tuple[str, ...] = tuple(verification)
        self.annotations: dict[str, list] = {k: list(v) for k, v in (annotations or {}).items()}
        self.warnings: tuple[str, ...] = tuple(str(w) for w in warnings)
        self._constants = None

    # -- construction ----------------------------------------------------------------------
    @classmethod
    def from_raw(cls, pde: PDE, raw, *, verify: bool = True) -> "SymmetryAlgebra":
        """Canonicalise and verify the solver's output (a `RawAlgebra`)."""
        jet = pde.jet
        gens = [g if isinstance(g, Generator) else Generator(g[0], g[1], jet) for g in raw.generators]
        superposition = None
        sup = getattr(raw, "superposition", None)
        if sup is not None:
            superposition = Superposition(
                phi=dict(Generator({}, sup["phi"], jet).phi),
                constraints=tuple(sp.sympify(c) for c in sup.get("constraints", ())),
            )
        basis, extra = canonical_basis(gens, modulo_superposition=superposition is not None,
                                       parameters=list(pde.parameters))
        infinite = []
        for fam in getattr(raw, "infinite", None) or ():
            g = fam["generator"] if "generator" in fam else Generator(fam.get("xi", {}), fam.get("phi", {}), jet)
            infinite.append(InfiniteFamily(g, tuple(sp.sympify(f) for f in fam.get("functions", ())),
                                           tuple(sp.sympify(c) for c in fam.get("constraints", ()))))
        assumptions = list(getattr(raw, "assumptions", None) or ()) + extra
        alg = cls(pde, basis, superposition=superposition, infinite=infinite, assumptions=assumptions,
                  warnings=getattr(raw, "warnings", None) or ())
        if verify:
            alg = alg.verified()
        return alg

    def verified(self) -> "SymmetryAlgebra":
        """A copy with every part checked; raises `SymmetryVerificationError` on a failure."""
        status = []
        bad = []
        for k, g in enumerate(self.basis, 1):
            v = g.verify(self.pde)
            if not v:
                bad.append(f"v{k} = {g} (reduced pr v(Delta) = {', '.join(sp.sstr(r) for r in v.residuals)})")
            status.append(v.method)
        if bad:
            raise SymmetryVerificationError(
                "generator(s) failed the invariance check pr v(Delta) = 0 on solutions: " + "; ".join(bad)
            )
        sup = self.superposition
        if sup is not None:
            g = Generator({}, sup.phi, self.pde.jet)
            sup = dataclasses.replace(sup, verification=_verify_with_functions(g, self.pde, sup.constraints))
            if sup.verification == FAILED:
                raise SymmetryVerificationError(f"superposition part {g} fails the invariance check")
        infinite = []
        for fam in self.infinite:
            status_f = _verify_with_functions(fam.generator, self.pde, fam.constraints)
            if status_f == FAILED:
                raise SymmetryVerificationError(f"infinite family {fam.generator} fails the invariance check")
            infinite.append(dataclasses.replace(fam, verification=status_f))
        return SymmetryAlgebra(self.pde, self.basis, superposition=sup, infinite=infinite,
                               assumptions=self.assumptions, verification=status,
                               annotations=self.annotations, warnings=self.warnings)

    # -- facts -------------------------------------------------------------------------------
    @property
    def dimension(self) -> int:
        """Dimension of the finite part (modulo superposition)."""
        return len(self.basis)

    def __len__(self) -> int:
        return len(self.basis)

    def __iter__(self):
        return iter(self.basis)

    def __getitem__(self, k: int) -> Generator:
        return self.basis[k]

    @property
    def is_verified(self) -> bool:
        return all(s in (SYMBOLIC, NUMERIC) for s in self.verification)

    # -- linear algebra in the basis ------------------------------------------------------------
    def _pivots(self):
        cache = getattr(self, "_pivot_cache", None)
        if cache is None:
            mod = self.superposition is not None
            vecs = [_decompose(g, mod) for g in self.basis]
            variables = tuple(self.pde.jet.independent) + tuple(self.pde.jet.dependent)
            cache = []
            for k, v in enumerate(vecs):
                # the pivot: the first atom (in the canonical order) no earlier generator uses
                others = set().union(*(vecs[j].keys() for j in range(len(vecs)) if j != k)) if len(vecs) > 1 else set()
                free = [a for a in v if a not in others]
                if not free:
                    cache = None
                    break
                a = min(free, key=lambda k_: _atom_key(k_, variables))
                cache.append((a, v[a]))
            self._pivot_cache = cache
        return cache

    def coordinates(self, gen: Generator) -> list[sp.Expr] | None:
        r"""Coefficients $c_k$ with $g = \sum_k c_k v_k$ (modulo superposition), or None."""
        mod = self.superposition is not None
        target = _decompose(gen, mod)
        pivots = self._pivots()
        if pivots is not None:
            coeffs = [sp.cancel(target.get(a, sp.S.Zero) / val) for a, val in pivots]
            rest = gen - sum((c * g for c, g in zip(coeffs, self.basis)), Generator({}, {}, gen.jet))
            if not _decompose(rest, mod):
                return coeffs
        exact = self._coordinates_exact(gen)
        if exact is not None:
            return exact
        return self._coordinates_numeric(gen)

    def _coordinates_exact(self, gen: Generator) -> list[sp.Expr] | None:
        # Solve sum_k c_k v_k = gen atom by atom: RREF of the augmented system [A | b].
        mod = self.superposition is not None
        vecs = [_decompose(g, mod) for g in self.basis]
        target = _decompose(gen, mod)
        atoms = sorted({a for v in vecs + [target] for a in v}, key=default_sort_key)
        if not atoms:
            return [sp.S.Zero] * len(vecs)
        n = len(vecs)
        rows = [[v.get(a, sp.S.Zero) for v in vecs] + [target.get(a, sp.S.Zero)] for a in atoms]
        reduced, pivots, _ = _rref(rows)
        if n in pivots:
            return None  # inconsistent: gen is not a combination of the basis (in these atoms)
        coeffs = [sp.S.Zero] * n
        for row, piv in zip(reduced, pivots):
            coeffs[piv] = row[n]
        return coeffs

    def _coordinates_numeric(self, gen: Generator) -> list[sp.Expr] | None:
        # Solve the least-squares system at random points; accept rational coefficients only
        # when the residual vanishes exactly.
        mod = self.superposition is not None
        params = list(self.pde.parameters)
        if not self.basis:
            return [] if not _decompose(gen, mod) else None
        if any(c.free_symbols & set(params) for g in self.basis for c in g.components):
            return None  # numeric coefficients would hide their parameter dependence
        mat = numeric_matrix(list(self.basis) + [gen], params, modulo_superposition=mod)
        if _rank(mat) > _rank(mat[:-1]):
            return None
        with mpmath.workdps(40):
            # least squares through the normal equations, real and imaginary parts as rows
            cols = [[z for e in r for z in (mpmath.re(e), mpmath.im(e))] for r in mat]
            n = len(cols) - 1
            ata = mpmath.matrix(n, n)
            atb = mpmath.matrix(n, 1)
            for i in range(n):
                atb[i] = mpmath.fsum(a * b for a, b in zip(cols[i], cols[n]))
                for j in range(n):
                    ata[i, j] = mpmath.fsum(a * b for a, b in zip(cols[i], cols[j]))
            sol = mpmath.lu_solve(ata, atb)
        coeffs = [sp.nsimplify(sp.Float(c, 30), rational=True, tolerance=1e-20) for c in sol]
        rest = gen - sum((c * g for c, g in zip(coeffs, self.basis)), Generator({}, {}, gen.jet))
        rest = _project(rest) if mod else rest
        if all(_simplify_zero(c) == 0 or _numeric_zero(c, 3, 1) for c in rest.components):
            return coeffs
        return None

    def contains(self, gen: Generator) -> bool:
        """True if `gen` lies in the span of the basis (modulo superposition)."""
        return self.coordinates(gen) is not None

    # -- commutators --------------------------------------------------------------------------
    def structure_constants(self) -> dict[tuple[int, int], dict[int, sp.Expr]]:
        r"""$c_{ij}^k$ with $[v_i, v_j] = \sum_k c_{ij}^k v_k$, for i < j (0-based, nonzero only).

        Raises ValueError if a bracket leaves the span (the basis is then incomplete).
        """
        if self._constants is None:
            out = {}
            n = len(self.basis)
            for i in range(n):
                for j in range(i + 1, n):
                    b = self.basis[i].bracket(self.basis[j])
                    coeffs = self.coordinates(b)
                    if coeffs is None:
                        raise ValueError(
                            f"the algebra does not close: [v{i + 1}, v{j + 1}] = {b} is not in the span "
                            "of the basis"
                        )
                    out[(i, j)] = {k: c for k, c in enumerate(coeffs) if c != 0}
            self._constants = out
        return self._constants

    def _closing_brackets(self):
        """The structure constants of the brackets that lie in the span, and the pairs (i, j)
        whose bracket does not."""
        out, open_ = {}, []
        n = len(self.basis)
        for i in range(n):
            for j in range(i + 1, n):
                coeffs = self.coordinates(self.basis[i].bracket(self.basis[j]))
                if coeffs is None:
                    open_.append((i, j))
                else:
                    out[(i, j)] = {k: c for k, c in enumerate(coeffs) if c != 0}
        return out, open_

    def commutator(self, i: int, j: int) -> dict[int, sp.Expr]:
        """Coefficients of $[v_i, v_j]$ (0-based, any order)."""
        if i == j:
            return {}
        if i < j:
            return dict(self.structure_constants()[(i, j)])
        return {k: -c for k, c in self.structure_constants()[(j, i)].items()}

    def commutator_table(self) -> list[list[dict[int, sp.Expr]]]:
        """n x n table: entry `[i][j]` = coefficients of $[v_i, v_j]$ (0-based)."""
        n = len(self.basis)
        return [[self.commutator(i, j) for j in range(n)] for i in range(n)]

    def jacobi(self) -> bool:
        r"""Check the Jacobi identity $\sum_{cyc} [[v_i, v_j], v_k] = 0$ on the structure constants."""
        n = len(self.basis)
        c = [[self.commutator(i, j) for j in range(n)] for i in range(n)]

        def bracket_of(coeffs: dict[int, sp.Expr], k: int) -> dict[int, sp.Expr]:
            out: dict[int, sp.Expr] = {}
            for l_, a in coeffs.items():
                for m, b in c[l_][k].items():
                    out[m] = out.get(m, sp.S.Zero) + a * b
            return out

        for i in range(n):
            for j in range(i + 1, n):
                for k in range(j + 1, n):
                    total: dict[int, sp.Expr] = {}
                    for a, b, d in ((i, j, k), (j, k, i), (k, i, j)):
                        for m, val in bracket_of(c[a][b], d).items():
                            total[m] = total.get(m, sp.S.Zero) + val
                    if any(sp.cancel(v) != 0 for v in total.values()):
                        return False
        return True

    # -- printing ------------------------------------------------------------------------------
    @staticmethod
    def _combination(coeffs: Mapping[int, sp.Expr]) -> str:
        if not coeffs:
            return "0"
        parts = []
        for k in sorted(coeffs):
            c = coeffs[k]
            name = f"v{k + 1}"
            if c == 1:
                parts.append(name)
            elif c == -1:
                parts.append("-" + name)
            else:
                s = sp.sstr(c)
                parts.append(f"({s})*{name}" if isinstance(c, sp.Add) else f"{s}*{name}")
        out = parts[0]
        for p in parts[1:]:
            out += f" - {p[1:]}" if p.startswith("-") else f" + {p}"
        return out

    def _header(self) -> list[str]:
        jet = self.pde.jet
        source = getattr(self.pde, "source", None) or [f"{sp.sstr(e)} = 0" for e in self.pde.equations]
        eqs = "; ".join(s if "=" in s else f"{s} = 0" for s in source)
        lines = [f"Lie point symmetries of  {eqs}",
                 f"  independent: {', '.join(s.name for s in jet.independent)};  "
                 f"dependent: {', '.join(s.name for s in jet.dependent)}"]
        if self.pde.parameters:
            pars = ", ".join(f"{s.name} = {'generic' if v is None else sp.sstr(v)}"
                             for s, v in self.pde.parameters.items())
            lines.append(f"  parameters: {pars}")
        return lines

    def __str__(self) -> str:
        lines = self._header()
        n = len(self.basis)
        lines.append(f"Finite part: {n} generator{'s' if n != 1 else ''}"
                     + (" (modulo superposition)" if self.superposition is not None else ""))
        names = [f"v{k + 1}" for k in range(n)]
        gens = [str(g) for g in self.basis]
        cols = [("", names), ("generator", gens), ("verified", list(self.verification))]
        for key, values in self.annotations.items():
            cols.append((key, [v.summary() if hasattr(v, "summary") else str(v) for v in values]))
        lines += _table(cols)
        if self.superposition is not None:
            sup = self.superposition
            g = Generator({}, sup.phi, self.pde.jet)
            cons = ", ".join(f"{sp.sstr(c)} = 0" for c in sup.constraints)
            lines.append(f"Superposition: {g}  where  {cons}  [{sup.verification}]")
        for fam in self.infinite:
            cons = ", ".join(f"{sp.sstr(c)} = 0" for c in fam.constraints) or "none"
            funcs = ", ".join(sp.sstr(f) for f in fam.functions)
            lines.append(f"Infinite family: {fam.generator}  (free: {funcs}; constraints: {cons})  "
                         f"[{fam.verification}]")
        if self.assumptions:
            lines.append("Assumptions: " + ", ".join(sp.sstr(a) for a in self.assumptions))
        for w in self.warnings:
            lines.append(f"Warning: {w}")
        if n:
            lines.append("Commutators [v_i, v_j] (row i, column j):")
            try:
                table = self.commutator_table()
                cells = [[self._combination(table[i][j]) for j in range(n)] for i in range(n)]
                lines += _table([("", names)] + [(names[j], [cells[i][j] for i in range(n)]) for j in range(n)])
            except ValueError as e:
                lines.append(f"  not available: {e}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"SymmetryAlgebra(dimension={self.dimension}, pde={self.pde!r})"

    # -- JSON ---------------------------------------------------------------------------------
    def to_json(self) -> dict:
        """The JSON schema of DESIGN.md (every expression a sympify-parsable string)."""
        pde = self.pde
        out = {
            **pde_json(pde),
            "generators": [g.to_dict() for g in self.basis],
            "superposition": None,
            "infinite": [],
            "assumptions": [json_str(a) for a in self.assumptions],
            "commutators": {},
            "verification": list(self.verification),
        }
        if self.superposition is not None:
            sup = self.superposition
            out["superposition"] = {
                "phi": {u.name: json_str(v) for u, v in sup.phi.items() if v != 0},
                "constraints": [json_str(c) for c in sup.constraints],
            }
        for fam in self.infinite:
            entry = fam.generator.to_dict()
            entry["functions"] = [json_str(f) for f in fam.functions]
            entry["constraints"] = [json_str(c) for c in fam.constraints]
            out["infinite"].append(entry)
        warnings = list(self.warnings)
        try:
            constants = self.structure_constants()
        except ValueError:
            if not self.infinite:
                raise
            # with an infinite part the finite basis spans a complement of it, not always a
            # subalgebra: brackets may have components in the infinite families
            constants, open_ = self._closing_brackets()
            warnings.append("brackets with components in the infinite part (left out of commutators): "
                            + ", ".join(f"[v{i + 1}, v{j + 1}]" for i, j in open_))
        for (i, j), coeffs in constants.items():
            out["commutators"][f"{i + 1},{j + 1}"] = {str(k + 1): json_str(c) for k, c in coeffs.items()}
        if warnings:
            out["warnings"] = warnings
        for key, values in self.annotations.items():
            out[key] = [v.to_dict() if hasattr(v, "to_dict") else v for v in values]
        return out

    def dumps(self, **kwargs) -> str:
        """`to_json()` as a JSON string."""
        return json.dumps(self.to_json(), **kwargs)

    @classmethod
    def from_json(cls, data: Mapping | str) -> "SymmetryAlgebra":
        """Inverse of `to_json` (expressions are parsed with sympy: trusted input only)."""
        if isinstance(data, str):
            data = json.loads(data)
        from ..symbolic._jet import JetSpace

        try:
            jet = JetSpace(list(data["independent"]), list(data["dependent"]))
            params = dict(data.get("parameters") or {})
            ns = _namespace(jet, {name: sp.Symbol(name) for name in params})
            equations = [_parse(e, ns) for e in data["pde"]]
        except KeyError as e:
            raise ValueError(f"symmetry JSON lacks the key {e.args[0]!r}") from None
        values = {sp.Symbol(k): (None if v is None else _parse(v, {})) for k, v in params.items()}
        pde = PDE(equations, jet, values)
        basis = [Generator.from_dict(g, pde.jet, names=ns) for g in data.get("generators", [])]
        sup = None
        if data.get("superposition"):
            s = data["superposition"]
            sup = Superposition(
                phi=dict(Generator({}, {k: _parse(v, ns) for k, v in s["phi"].items()}, pde.jet).phi),
                constraints=tuple(_parse(c, ns) for c in s.get("constraints", ())),
                verification=UNVERIFIED,
            )
        infinite = []
        for fam in data.get("infinite", []):
            infinite.append(InfiniteFamily(
                Generator.from_dict(fam, pde.jet, names=ns),
                tuple(_parse(f, ns) for f in fam.get("functions", ())),
                tuple(_parse(c, ns) for c in fam.get("constraints", ())),
            ))
        assumptions = [_parse(a, ns) for a in data.get("assumptions", [])]
        verification = data.get("verification") or None
        known = {"pde", "independent", "dependent", "parameters", "generators", "superposition",
                 "infinite", "assumptions", "commutators", "verification", "warnings"}
        annotations = {k: v for k, v in data.items() if k not in known and isinstance(v, list)}
        return cls(pde, basis, superposition=sup, infinite=infinite, assumptions=assumptions,
                   verification=verification, annotations=annotations,
                   warnings=data.get("warnings") or ())


def _table(cols: Sequence[tuple[str, Sequence[str]]]) -> list[str]:
    widths = [max([len(h)] + [len(x) for x in vals]) for h, vals in cols]
    n = len(cols[0][1])
    lines = ["  " + "  ".join(h.ljust(w) for (h, _), w in zip(cols, widths)).rstrip()]
    for r in range(n):
        lines.append("  " + "  ".join(vals[r].ljust(w) for (_, vals), w in zip(cols, widths)).rstrip())
    return lines


# ---------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------


def symmetries(pde: PDE, *, verify: bool = True, progress: Callable | None = None) -> SymmetryAlgebra:
    r"""The Lie point symmetry algebra of `pde`, canonicalised and verified.

    Solves the determining equations by differential elimination (`solve_symmetries`),
    brings the finite part to its canonical basis, and checks every generator against the
    invariance criterion $\mathrm{pr}\,v(\Delta)|_{\Delta=0} = 0$. A generator that fails
    raises `SymmetryVerificationError` instead of being returned. Parameters with values
    are substituted before solving.
    """
    if not isinstance(pde, PDE):
        raise TypeError(f"pde must be a liepinn PDE, got {type(pde).__name__}")
    from ._solve import solve_symmetries

    work = pde.substitute_parameters() if any(v is not None for v in pde.parameters.values()) else pde
    raw = solve_symmetries(work, progress=progress)
    return SymmetryAlgebra.from_raw(pde, raw, verify=verify)
