"""PDE systems Delta_k(x, u^(n)) = 0 in jet coordinates."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import sympy as sp
from sympy.core.sorting import default_sort_key

from ._jet import JetSpace, MultiIndex
from ._parse import PDEInputError, parse_expression, parse_value


class _ArbitraryFunction(sp.Function):
    """Base of the classes made by `arbitrary_function` (not an undefined function, so the jet
    space does not read ``f(u)`` as a dependent variable)."""


_ARBITRARY: dict[str, type] = {}


def arbitrary_function(name: str) -> type:
    """The sympy function class of the arbitrary function `name` (one class per name)."""
    cls = _ARBITRARY.get(name)
    if cls is None:
        cls = _ARBITRARY[name] = type(name, (_ArbitraryFunction,), {})
    return cls


def _from_functions(jet: JetSpace, e):
    """`JetSpace.from_functions`, with the arbitrary functions and their derivatives kept."""
    held = {a: sp.Dummy() for a in e.atoms(sp.Derivative, _ArbitraryFunction)
            if isinstance(a, _ArbitraryFunction) or isinstance(a.expr, _ArbitraryFunction)}
    if not held:
        return jet.from_functions(e)
    return jet.from_functions(e.xreplace(held)).xreplace({d: a for a, d in held.items()})


def _is_derivative_of(alpha: MultiIndex, beta: MultiIndex) -> bool:
    """True if u_alpha is a (proper or improper) derivative of u_beta."""
    return all(a >= b for a, b in zip(alpha, beta))


class PDE:
    r"""A system of differential equations $\Delta_k(x, u^{(n)}) = 0$.

    **Arguments:**

    - `equations`: sympy expressions in jet coordinates, each meaning "= 0".
    - `jet`: the `JetSpace` they live on.
    - `parameters`: parameter symbol -> exact value, or None for a generic nonzero constant.
    """

    def __init__(self, equations: Sequence, jet: JetSpace,
                 parameters: Mapping | None = None, *, source: Sequence[str] | None = None):
        self.jet = jet
        eqs = []
        for k, e in enumerate(equations):
            e = sp.sympify(e)
            if isinstance(e, sp.Equality):
                e = e.lhs - e.rhs
            eqs.append(_from_functions(jet, e))
        self.equations: tuple[sp.Expr, ...] = tuple(eqs)
        self.source = tuple(source) if source is not None else tuple(sp.sstr(e) for e in eqs)
        known = set(jet.independent) | set(jet.dependent)
        params: dict[sp.Symbol, sp.Expr | None] = {}
        for e in self.equations:
            for s in e.free_symbols:
                if s not in known and not jet.is_jet(s):
                    params[s] = None
        for name, value in (parameters or {}).items():
            sym = sp.Symbol(name) if isinstance(name, str) else name
            if sym in known or jet.is_jet(sym):
                raise PDEInputError(
                    f"parameter {sym.name!r}: {sym.name} is a variable of the equation "
                    f"(independent {[s.name for s in jet.independent]}, dependent "
                    f"{[s.name for s in jet.dependent]}), not a parameter"
                )
            if value is not None and not isinstance(value, sp.Basic):
                value = parse_value(str(value), where=f"parameter {sym.name}")
            params[sym] = value
        self.parameters: dict[sp.Symbol, sp.Expr | None] = dict(
            sorted(params.items(), key=lambda kv: kv[0].name)
        )
        self._check()

    # -- construction --------------------------------------------------------------
    @classmethod
    def from_text(cls, equations: str | Sequence[str], *, independent: str | Sequence,
                  dependent: str | Sequence, parameters: Mapping | None = None,
                  functions: Sequence[str] = ()) -> "PDE":
        """Parse equations such as ``"u_t = nu*u_xx - u*u_x"`` (no eval); `functions` names
        arbitrary functions such as ``f`` in ``"u_t = u_xx + f(u)"`` (see `arbitrary_function`)."""
        if isinstance(equations, str):
            equations = [equations]
        if not equations:
            raise PDEInputError("no equation given; expected at least one, e.g. 'u_t = u_xx'")
        jet = JetSpace(independent, dependent)
        taken = {s.name for s in jet.independent + jet.dependent}
        for name in functions:
            if not name.isidentifier() or name in taken:
                raise PDEInputError(f"arbitrary function {name!r}: expected a new name, not a variable")
        funcs = {name: arbitrary_function(name) for name in functions}
        exprs = []
        for k, text in enumerate(equations, 1):
            expr, _ = parse_expression(text, jet, where=f"equation {k} ({text.strip()!r})", functions=funcs)
            exprs.append(expr)
        return cls(exprs, jet, parameters, source=[t.strip() for t in equations])

    @property
    def functions(self) -> tuple:
        """The arbitrary functions applied in the equations (``f(u)``), in name order."""
        found = {a for e in self.equations for a in e.atoms(sp.Function) if isinstance(a, _ArbitraryFunction)}
        return tuple(sorted(found, key=default_sort_key))

    @classmethod
    def from_sympy(cls, equations, *, independent: Sequence, dependent: Sequence,
                   parameters: Mapping | None = None) -> "PDE":
        """Build from sympy `Eq`s or expressions written with `Function` and `Derivative`."""
        if isinstance(equations, (sp.Basic, sp.Equality)):
            equations = [equations]
        jet = JetSpace(list(independent), list(dependent))
        return cls(list(equations), jet, parameters)

    def _check(self) -> None:
        if not self.equations:
            raise PDEInputError("no equation given")
        for k, e in enumerate(self.equations, 1):
            if e == 0:
                raise PDEInputError(f"equation {k} ({self.source[k - 1]!r}) is identically zero")
            if self.jet.order(e) < 0:
                raise PDEInputError(
                    f"equation {k} ({self.source[k - 1]!r}) contains no dependent variable "
                    f"({', '.join(u.name for u in self.jet.dependent)})"
                )
            for f in e.atoms(sp.core.function.AppliedUndef):
                raise PDEInputError(
                    f"equation {k} ({self.source[k - 1]!r}): unknown function {f}; expected the "
                    "dependent variables applied to the independent ones"
                )
        if self.order < 1:
            raise PDEInputError("the equations contain no derivative: nothing to solve")

    # -- facts -----------------------------------------------------------------------
    @property
    def order(self) -> int:
        return max(self.jet.order(e) for e in self.equations)

    @property
    def independent(self) -> tuple[sp.Symbol, ...]:
        return self.jet.independent

    @property
    def dependent(self) -> tuple[sp.Symbol, ...]:
        return self.jet.dependent

    def __repr__(self) -> str:
        eqs = "; ".join(f"{sp.sstr(e)} = 0" for e in self.equations)
        return f"PDE({eqs}; independent={[s.name for s in self.independent]}, dependent={[s.name for s in self.dependent]})"

    def substitute_parameters(self) -> "PDE":
        """The same system with every parameter that has a value replaced by it."""
        reps = {s: v for s, v in self.parameters.items() if v is not None}
        eqs = [e.xreplace(reps) for e in self.equations]
        rest = {s: None for s, v in self.parameters.items() if v is None}
        out = PDE(eqs, self.jet, None, source=self.source)
        out.parameters = {s: None for s in rest if any(s in e.free_symbols for e in eqs)}
        return out

    def is_linear_homogeneous(self) -> bool:
        """Linear and homogeneous in u and its derivatives."""
        syms = [self.jet.jet(a, al) for e in self.equations for a, al in self.jet.jet_variables(e)]
        lam = sp.Dummy("lam")
        for e in self.equations:
            scaled = e.xreplace({s: lam * s for s in syms})
            if sp.expand(scaled - lam * e) != 0:
                return False
        return True

    # -- principal derivatives -----------------------------------------------------
    def principal_derivatives(self) -> tuple[sp.Symbol, ...]:
        """One leading derivative per equation, chosen so the system can be solved for them.

        Preference: the equation is linear in it with a coefficient free of variables,
        highest order, a pure derivative, then a fixed ranking. No other jet variable of the
        equation may be a derivative of it (the substitution would not terminate). When no
        such choice exists (Navier-Stokes with pressure, the eikonal equation), the keys of
        `ranked_form` instead: autoreduced leaders of an orderly ranking, plus the derivatives
        of an algebraic leader (see `relations`).
        """
        return tuple(self._solve_principal()[0])

    def solved_form(self) -> dict[sp.Symbol, sp.Expr]:
        """principal derivative -> right-hand side (free of every principal derivative)."""
        return dict(self._solve_principal()[1])

    def _solve_principal(self):
        cache = getattr(self, "_principal_cache", None)
        if cache is not None:
            return cache
        try:
            chosen, rhs = self._greedy_form()
            relations: tuple = ()
        except PDEInputError as first:
            try:
                chosen, rhs, relations = ranked_form(self.jet, self.equations)
            except PDEInputError as second:
                raise PDEInputError(f"{first}; {second}") from None
        self._principal_cache = (chosen, rhs)
        self._relations = relations
        return self._principal_cache

    @property
    def relations(self) -> tuple:
        r"""Algebraic relations $(\ell, P)$: $P(\ell, \dots) = 0$ with $\ell$ kept as a coordinate.

        Empty unless an equation has no derivative appearing linearly (the eikonal equation
        $u_x^2 + u_y^2 = 1$): then its highest-ranked derivative $\ell$ stays in `reduce`'s
        results, polynomially of degree below $\deg_\ell P$, and its derivatives are principal.
        """
        self._solve_principal()
        return getattr(self, "_relations", ())

    @property
    def assumptions(self) -> tuple:
        r"""Relations assumed on solutions: the separant $\partial P/\partial\ell \ne 0$ of each relation."""
        return tuple(sp.Ne(sp.Mul(*[b for b, _ in sp.factor_list(sp.diff(P, ell))[1]]), 0)
                     for ell, P in self.relations)

    def _greedy_form(self):
        jet = self.jet
        chosen: list[sp.Symbol] = []
        chosen_keys: list[tuple[int, MultiIndex]] = []
        for k, e in enumerate(self.equations, 1):
            variables = jet.jet_variables(e)
            cands = []
            for a, alpha in variables:
                s = jet.jet(a, alpha)
                if s in chosen:
                    continue
                if any(b == a and beta != alpha and _is_derivative_of(beta, alpha) for b, beta in variables):
                    continue
                if any(b == a and (_is_derivative_of(alpha, beta) or _is_derivative_of(beta, alpha))
                       for b, beta in chosen_keys):
                    continue
                poly = sp.Poly(sp.expand(e), s) if e.is_polynomial(s) else None
                if poly is None or poly.degree() != 1:
                    continue
                coeff = poly.coeff_monomial(s)
                coeff_vars = coeff.free_symbols - set(self.parameters)
                rank = (
                    0 if not coeff_vars else 1,
                    -sum(alpha),
                    0 if sum(1 for n in alpha if n) <= 1 else 1,
                    tuple(-n for n in reversed(alpha)),
                    a,
                )
                cands.append((rank, s, (a, alpha)))
            if not cands:
                raise PDEInputError(
                    f"equation {k} ({self.source[k - 1]!r}) has no principal derivative: no "
                    "derivative appears linearly without its own derivatives in the equation, "
                    "so the system cannot be put in solved form"
                )
            cands.sort(key=lambda c: c[0])
            chosen.append(cands[0][1])
            chosen_keys.append(cands[0][2])
        sol = sp.solve(list(self.equations), chosen, dict=True)
        if len(sol) != 1 or set(sol[0]) != set(chosen):
            raise PDEInputError(
                f"the system cannot be solved for its principal derivatives "
                f"{', '.join(s.name for s in chosen)}"
            )
        rhs = {s: sp.expand(sol[0][s]) for s in chosen}
        for s, r in rhs.items():
            for t in r.free_symbols:
                hit = jet.decode(t)
                if hit is None:
                    continue
                if any(hit[0] == b and _is_derivative_of(hit[1], beta) for b, beta in chosen_keys):
                    raise PDEInputError(
                        f"the right-hand side for {s} contains {t}, a derivative of a principal "
                        "derivative: choose a different form of the system"
                    )
        return chosen, rhs

    def evolution_form(self, time: str | sp.Symbol = "t") -> dict[sp.Symbol, sp.Expr]:
        r"""Right-hand sides F_a of $u^a_t = F_a(x, u, u_x, \dots)$ (no t-derivatives in F)."""
        jet = self.jet
        ti = jet.index(time)
        targets = [jet.jet(a, tuple(1 if i == ti else 0 for i in range(jet.p))) for a in range(jet.q)]
        if len(self.equations) != jet.q:
            raise PDEInputError(
                f"evolution form needs one equation per dependent variable: {len(self.equations)} "
                f"equation(s) for {jet.q} variable(s)"
            )
        try:
            sol = sp.solve(list(self.equations), targets, dict=True)
        except NotImplementedError:
            sol = []
        if len(sol) != 1 or set(sol[0]) != set(targets):
            raise PDEInputError(
                f"the system is not in evolution form: it cannot be solved uniquely for "
                f"{', '.join(s.name for s in targets)}"
            )
        out = {}
        for a, s in enumerate(targets):
            rhs = sp.expand(sol[0][s])
            for v in rhs.free_symbols:
                hit = jet.decode(v)
                if hit is not None and hit[1][ti] > 0:
                    raise PDEInputError(
                        f"the system is not in evolution form: the right-hand side for {s} "
                        f"contains the time derivative {v}"
                    )
            out[jet.dependent[a]] = rhs
        return out

    def reduce(self, expr, order: int | None = None):
        """Substitute the principal derivatives and their differential consequences into `expr`.

        The result contains parametric derivatives only: on solutions of the system it equals
        `expr`, and its remaining jet coordinates are free (up to the algebraic `relations`,
        modulo which it is in normal form).
        """
        chosen, rhs = self._solve_principal()
        cache: dict[sp.Symbol, sp.Expr] = getattr(self, "_reduce_cache", {})
        self._reduce_cache = cache
        return substitute_principal(self.jet, chosen, rhs, sp.sympify(expr), cache, self.relations)

    def parametric_symbols(self, expr) -> list[sp.Symbol]:
        """Jet coordinates (order >= 1) occurring in `expr`, in a canonical order."""
        syms = [s for s in sp.sympify(expr).free_symbols if self.jet.decode(s) is not None]
        return sorted(syms, key=default_sort_key)

    # -- serialisation ----------------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "pde": [sp.sstr(e) for e in self.equations],
            "independent": [s.name for s in self.independent],
            "dependent": [s.name for s in self.dependent],
            "parameters": {s.name: (None if v is None else sp.sstr(v)) for s, v in self.parameters.items()},
        }


def normal_mod(expr, relations: Sequence) -> sp.Expr:
    r"""`expr` modulo the relations $P(\ell) = 0$: a polynomial of degree $< \deg_\ell P$ in each
    $\ell$ over rational functions of the other coordinates (denominators inverted modulo $P$)."""
    if not relations:
        return expr
    num, den = sp.fraction(sp.together(expr))
    for ell, P in relations:
        num, den = _rem(num, P, ell), _rem(den, P, ell)
        if den.has(ell):
            num, den = _rem(sp.expand(num * _inverse(den, P, ell)), P, ell), sp.Integer(1)
    num, den = sp.fraction(sp.cancel(num / den))
    return sp.expand(num) / den


def _domain(ell, *exprs):
    gens = sorted(set().union(*(e.free_symbols for e in exprs)) - {ell}, key=default_sort_key)
    return sp.QQ.frac_field(*gens) if gens else sp.QQ


def _poly(e, ell, dom):
    try:
        return sp.Poly(e, ell, domain=dom)
    except (sp.polys.polyerrors.PolynomialError, sp.polys.polyerrors.CoercionFailed):
        return sp.Poly(e, ell, domain="EX")


def _rem(e, P, ell):
    e = sp.expand(e)
    if not e.has(ell):
        return e
    dom = _domain(ell, e, P)
    f, g = _poly(e, ell, dom), _poly(P, ell, dom)
    if f.domain != g.domain:
        f, g = f.unify(g)
    return sp.together(f.rem(g).as_expr())


def _inverse(den, P, ell):
    dom = _domain(ell, den, P)
    f, g = _poly(den, ell, dom), _poly(P, ell, dom)
    if f.domain != g.domain:
        f, g = f.unify(g)
    s, _, h = f.gcdex(g)
    if h.degree() != 0:
        raise PDEInputError(f"{den} is not invertible modulo {P}: the equation's branches meet")
    return sp.together(s.as_expr() / h.as_expr())


def substitute_principal(jet: JetSpace, chosen, rhs, expr, cache: dict, relations: Sequence = ()):
    """`expr` with every derivative of a key of `rhs` replaced (recursively), then `normal_mod`."""
    keys = [jet.decode(s) for s in chosen]

    def reduce_symbol(s):
        if s in cache:
            return cache[s]
        hit = jet.decode(s)
        for (b, beta), p in zip(keys, chosen):
            if hit[0] == b and _is_derivative_of(hit[1], beta):
                # Differentiate the solved form along the shortest path.
                delta = tuple(x - y for x, y in zip(hit[1], beta))
                if sum(delta) == 0:
                    val = rhs[p]
                else:
                    i = next(j for j, d in enumerate(delta) if d)
                    lower = list(hit[1])
                    lower[i] -= 1
                    val = jet.D(reduce_symbol(jet.jet(b, tuple(lower))), i)
                    val = full_reduce(val)
                cache[s] = val
                return val
        cache[s] = s
        return s

    def full_reduce(e):
        for _ in range(50):
            reps = {}
            for s in e.free_symbols:
                hit = jet.decode(s)
                if hit is None:
                    continue
                r = reduce_symbol(s)
                if r != s:
                    reps[s] = r
            if not reps:
                return normal_mod(sp.expand(e), relations) if relations else sp.expand(e)
            e = sp.expand(e.xreplace(reps))
        raise RuntimeError("substitution of principal derivatives did not terminate")

    return full_reduce(expr)


def _rank(key: tuple[int, MultiIndex]) -> tuple:
    """Orderly ranking: higher order first, then earlier dependent variable, then lex."""
    a, alpha = key
    return (sum(alpha), -a, alpha)


def ranked_form(jet: JetSpace, equations: Sequence, *, steps: int = 200):
    r"""Solved form by autoreduction with respect to an orderly ranking (`_rank`).

    Each equation, reduced by the keys found so far, is solved for its highest-ranked
    derivative $\ell$; a key that is a derivative of $\ell$ is taken back and its equation
    reduced again. An equation polynomial of degree $d \ge 2$ in $\ell$ (squarefree) becomes an
    algebraic relation: $\ell$ stays a coordinate, and $D_i P = (\partial P/\partial\ell)\,
    \ell_{,i} + \dots$ give its derivatives. Returns (keys, rhs, relations); raises
    `PDEInputError` when a leader enters non-polynomially or twice algebraically.
    """
    solved: dict[sp.Symbol, sp.Expr] = {}
    relations: list = []
    pending = [(sp.expand(e), k) for k, e in enumerate(equations, 1)]
    for _ in range(steps):
        if not pending:
            break
        e, k = pending.pop(0)
        e = substitute_principal(jet, list(solved), solved, e, {}, relations)
        e = sp.expand(sp.fraction(sp.together(e))[0])
        if e == 0:
            continue
        variables = jet.jet_variables(e)
        if not variables:
            raise PDEInputError(f"equation {k} reduces to {e} = 0: the system is inconsistent")
        a, alpha = max(variables, key=_rank)
        ell = jet.jet(a, alpha)
        if any(ell == r for r, _ in relations):
            raise PDEInputError(f"equation {k}: {ell} is already fixed by an algebraic relation")
        if not e.is_polynomial(ell):
            raise PDEInputError(
                f"equation {k}: its highest derivative {ell} enters non-polynomially, so it "
                "cannot be solved for a principal derivative"
            )
        poly = sp.Poly(e, ell)
        if poly.degree() == 1:
            c = poly.coeff_monomial(ell)
            for s in [s for s in solved if jet.decode(s)[0] == a and jet.decode(s)[1] != alpha
                      and _is_derivative_of(jet.decode(s)[1], alpha)]:
                pending.append((s - solved.pop(s), k))
            solved[ell] = sp.expand(-(e - c * ell) / c)
            continue
        if relations:
            raise PDEInputError(
                f"equation {k}: a second equation with no derivative appearing linearly "
                f"({ell} enters with degree {poly.degree()}); only one is supported"
            )
        sep = sp.diff(e, ell)
        if sp.gcd(e, sep).has(ell):
            raise PDEInputError(f"equation {k} has a repeated factor in {ell}: write it without the repeat")
        relations.append((ell, e))
        for i in range(jet.p):
            pending.append((jet.D(e, i), k))
    else:
        raise PDEInputError(f"no solved form found within {steps} reduction steps")
    chosen = sorted(solved, key=lambda s: _rank(jet.decode(s)))
    rhs = {s: substitute_principal(jet, [t for t in chosen if t != s], solved, solved[s], {}, relations)
           for s in chosen}
    keys = [jet.decode(s) for s in chosen]
    for s, r in rhs.items():
        for t in r.free_symbols:
            hit = jet.decode(t)
            if hit is not None and any(hit[0] == b and _is_derivative_of(hit[1], be) for b, be in keys):
                raise PDEInputError(f"the right-hand side for {s} keeps {t}, a derivative of a principal derivative")
    return chosen, rhs, tuple(relations)
