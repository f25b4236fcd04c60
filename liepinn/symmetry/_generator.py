r"""Infinitesimal generators $v = \xi^i(x,u)\,\partial_{x^i} + \phi_a(x,u)\,\partial_{u^a}$.

Symbolic layer: sympy only, never JAX.
"""

from __future__ import annotations

import functools
import random
import types
from collections.abc import Mapping, Sequence

import sympy as sp
from sympy.core.sorting import default_sort_key
from sympy.printing.str import StrPrinter

from ..symbolic._jet import JetSpace

# Methods by which a generator can have been checked, strongest first.
SYMBOLIC = "symbolic"
NUMERIC = "numeric"
UNVERIFIED = "unverified"
FAILED = "failed"


class Verification:
    r"""Outcome of `Generator.verify`: truthy when $\mathrm{pr}\,v(\Delta_k) = 0$ on solutions.

    `method` is ``"symbolic"`` (the reduced prolongation simplifies to zero),
    ``"numeric"`` (only a zero test at random exact points succeeded) or ``"failed"``;
    `residuals` are the reduced $\mathrm{pr}\,v(\Delta_k)$, one per equation.
    """

    __slots__ = ("method", "residuals")

    def __init__(self, method: str, residuals: Sequence[sp.Expr]):
        self.method = method
        self.residuals = tuple(residuals)

    def __bool__(self) -> bool:
        return self.method in (SYMBOLIC, NUMERIC)

    def __repr__(self) -> str:
        return f"Verification({self.method!r})"


def _prolong_module():
    # The prolongation formulas live in `_prolong` (one place for that knowledge); they are
    # imported lazily so a generator can be built and printed without them.
    from . import _prolong

    return _prolong


def _vars_key(jet: JetSpace):
    return tuple(jet.independent) + tuple(jet.dependent)


class Generator:
    r"""A Lie point symmetry generator on the jet space of a PDE.

    $$v = \sum_i \xi^i(x,u)\,\frac{\partial}{\partial x^i} + \sum_a \phi_a(x,u)\,\frac{\partial}{\partial u^a}$$

    **Arguments:**

    - `xi`: independent variable (Symbol or name) -> coefficient; missing ones are 0.
    - `phi`: dependent variable (Symbol or name) -> coefficient; missing ones are 0.
    - `jet`: the `JetSpace` the generator acts on.

    Components are stored expanded, so two generators compare equal when their
    coefficients are equal as expressions.
    """

    __slots__ = ("_xi", "_phi", "jet")

    def __init__(self, xi: Mapping, phi: Mapping, jet: JetSpace):
        if not isinstance(jet, JetSpace):
            raise TypeError(f"jet must be a JetSpace, got {type(jet).__name__}")
        self.jet = jet
        self._xi = types.MappingProxyType(self._components(xi, jet.independent, "xi", jet.index))
        self._phi = types.MappingProxyType(self._components(phi, jet.dependent, "phi", jet.dep_index))

    @staticmethod
    def _components(given: Mapping, variables, what: str, index) -> dict:
        if not isinstance(given, Mapping):
            raise TypeError(f"{what} must be a mapping variable -> expression, got {type(given).__name__}")
        out = {v: sp.S.Zero for v in variables}
        for key, value in given.items():
            name = key if isinstance(key, str) else getattr(key, "name", None)
            if name is None:
                raise TypeError(f"{what} key {key!r} is not a variable name or Symbol")
            var = variables[index(name)]
            try:
                out[var] = sp.expand(sp.sympify(value))
            except (sp.SympifyError, TypeError) as e:
                raise TypeError(f"{what}[{name}] = {value!r} is not a sympy expression") from e
        return out

    # -- components -------------------------------------------------------------------
    @property
    def xi(self) -> Mapping[sp.Symbol, sp.Expr]:
        r"""$\xi^i$, one entry per independent variable (in declared order)."""
        return self._xi

    @property
    def phi(self) -> Mapping[sp.Symbol, sp.Expr]:
        r"""$\phi_a$, one entry per dependent variable (in declared order)."""
        return self._phi

    @property
    def components(self) -> tuple[sp.Expr, ...]:
        """(xi^1, ..., xi^p, phi_1, ..., phi_q) in the jet space's order."""
        return tuple(self._xi.values()) + tuple(self._phi.values())

    def is_zero(self) -> bool:
        return all(c == 0 for c in self.components)

    def free_functions(self) -> set:
        """Undetermined functions (e.g. ``f(x + t)``) occurring in the components."""
        out = set()
        for c in self.components:
            out |= c.atoms(sp.core.function.AppliedUndef)
        return out

    def __eq__(self, other) -> bool:
        if not isinstance(other, Generator):
            return NotImplemented
        return self.jet == other.jet and all(
            sp.expand(a - b) == 0 for a, b in zip(self.components, other.components)
        )

    def __hash__(self) -> int:
        return hash((self.jet, tuple(sp.srepr(c) for c in self.components)))

    # -- linear structure ---------------------------------------------------------------
    def __add__(self, other: "Generator") -> "Generator":
        self._same_space(other)
        return Generator(
            {k: self._xi[k] + other._xi[k] for k in self._xi},
            {k: self._phi[k] + other._phi[k] for k in self._phi},
            self.jet,
        )

    def __sub__(self, other: "Generator") -> "Generator":
        return self + (-1) * other

    def __mul__(self, c) -> "Generator":
        c = sp.sympify(c)
        return Generator({k: c * v for k, v in self._xi.items()}, {k: c * v for k, v in self._phi.items()}, self.jet)

    __rmul__ = __mul__

    def __neg__(self) -> "Generator":
        return (-1) * self

    def _same_space(self, other) -> None:
        if not isinstance(other, Generator):
            raise TypeError(f"expected a Generator, got {type(other).__name__}")
        if other.jet != self.jet:
            raise ValueError(f"generators live on different jet spaces: {self.jet} and {other.jet}")

    def map(self, fn) -> "Generator":
        """Apply `fn` to every component."""
        return Generator({k: fn(v) for k, v in self._xi.items()}, {k: fn(v) for k, v in self._phi.items()}, self.jet)

    # -- the vector field -------------------------------------------------------------
    def apply(self, f) -> sp.Expr:
        r"""$v(f) = \xi^i\,\partial f/\partial x^i + \phi_a\,\partial f/\partial u^a$ for $f(x, u)$."""
        f = sp.sympify(f)
        out = sp.S.Zero
        for var, c in list(self._xi.items()) + list(self._phi.items()):
            if c != 0:
                out += c * sp.diff(f, var)
        return sp.expand(out)

    def bracket(self, other: "Generator") -> "Generator":
        r"""Lie bracket $[v, w]$, the vector field with components $v(w^k) - w(v^k)$."""
        self._same_space(other)
        xi = {k: self.apply(other._xi[k]) - other.apply(self._xi[k]) for k in self._xi}
        phi = {k: self.apply(other._phi[k]) - other.apply(self._phi[k]) for k in self._phi}
        return Generator(xi, phi, self.jet)

    def characteristic(self) -> tuple[sp.Expr, ...]:
        r"""$Q_a = \phi_a - \xi^i u^a_i$, one per dependent variable."""
        return tuple(_prolong_module().characteristic(self.jet, dict(self._xi), dict(self._phi)))

    def prolong(self, expr) -> sp.Expr:
        r"""$\mathrm{pr}\,v(f) = \xi^i \partial_{x^i} f + \sum_{a,J} \phi_a^J\,\partial f/\partial u^a_J$,
        with $\phi_a^J = D_J Q_a + \xi^i u^a_{J,i}$."""
        return _prolong_module().prolong(self.jet, dict(self._xi), dict(self._phi), sp.sympify(expr))

    # -- checking ---------------------------------------------------------------------
    def verify(self, pde, *, numeric: bool = True, points: int = 4, seed: int = 0) -> Verification:
        r"""Check the invariance criterion $\mathrm{pr}\,v(\Delta_k)\big|_{\Delta = 0} = 0$ for all k.

        Each $\mathrm{pr}\,v(\Delta_k)$ is reduced with the principal derivatives of the
        system and their differential consequences (`PDE.reduce`), leaving free jet
        coordinates only, and tested for zero symbolically. If that is inconclusive and
        `numeric` is true, the residual is evaluated at `points` random exact rational
        points (50 digits); success is then reported as ``"numeric"``, not ``"symbolic"``.
        """
        if pde.jet != self.jet:
            raise ValueError(f"generator lives on {self.jet}, the PDE on {pde.jet}")
        if any(v is not None for v in pde.parameters.values()):
            pde = pde.substitute_parameters()
        residuals = [pde.reduce(self.prolong(eq)) for eq in pde.equations]
        method = SYMBOLIC
        for k, r in enumerate(residuals):
            if r == 0:
                continue
            r = _simplify_zero(r)
            residuals[k] = r
            if r == 0:
                continue
            if numeric and not r.atoms(sp.core.function.AppliedUndef) and _numeric_zero(r, points, seed):
                method = NUMERIC
                continue
            return Verification(FAILED, residuals)
        return Verification(method, residuals)

    # -- finite transformations ----------------------------------------------------------
    def flow(self, eps=None, *, max_order: int = 12, timeout: float | None = 30):
        r"""The one-parameter group $\exp(\varepsilon v)$ in closed form, or None.

        Returns a dict variable -> image (e.g. ``{x: x + eps, t: t, u: u}``) solving
        $dz/d\varepsilon = v(z)$, $z(0) = z$, or None when no closed form was found
        (`flow_failure` says why). See `flow_or_reason`.
        """
        out = self.flow_or_reason(eps, max_order=max_order, timeout=timeout)
        return out if isinstance(out, dict) else None

    def flow_failure(self, eps=None, *, max_order: int = 12, timeout: float | None = 30) -> str | None:
        """Why `flow` finds no closed form (None when it does)."""
        out = self.flow_or_reason(eps, max_order=max_order, timeout=timeout)
        return None if isinstance(out, dict) else out

    def flow_or_reason(self, eps=None, *, max_order: int = 12, timeout: float | None = 30) -> dict | str:
        r"""$\exp(\varepsilon v)$ as a dict variable -> image, or a sentence saying why not.

        Tried in turn: a terminating Lie series $\sum_n \varepsilon^n v^n(z)/n!$; then the
        characteristic system $dz/d\varepsilon = v(z)$ solved block by block with `dsolve`,
        in the order its dependencies allow (components that do not involve $u$ first, so that
        e.g. the projective flows of heat and Burgers reduce to scalar Riccati and linear
        ODEs). Every result is checked by substitution. `timeout` bounds each `dsolve` call
        (seconds; None: no limit).
        """
        eps = sp.Symbol("epsilon") if eps is None else sp.sympify(eps)
        variables = _vars_key(self.jet)
        images = {}
        for z in variables:
            term, total, done = z, z, False
            for n in range(1, max_order + 1):
                term = self.apply(term)
                if term == 0:
                    done = True
                    break
                if len(sp.Add.make_args(term)) > 64:
                    break  # growing terms: the series does not terminate
                total += eps**n / sp.factorial(n) * term
            if not done:
                break
            images[z] = sp.expand(total)
        else:
            if self._is_flow(images, eps):
                return images
        return self._flow_dsolve(eps, timeout)

    def _flow_dsolve(self, eps, timeout: float | None = None) -> dict | str:
        from ..symbolic._deadline import OutOfTime, deadline

        from sympy.utilities.iterables import strongly_connected_components

        variables = _vars_key(self.jet)
        comps = dict(zip(variables, self.components))
        needs = {z: comps[z].free_symbols & set(variables) for z in variables}
        edges = [(z, w) for z in variables for w in needs[z]]
        # Blocks of mutually dependent variables, each after the blocks it needs.
        blocks = strongly_connected_components((list(variables), edges))
        images: dict = {}
        for block in blocks:
            block = sorted(block, key=variables.index)
            fns = [sp.Function(f"_z{variables.index(z)}")(eps) for z in block]
            at = {z: images[z] for z in variables if z in images}
            at.update(zip(block, fns))
            odes = [sp.Eq(f.diff(eps), comps[z].xreplace(at)) for f, z in zip(fns, block)]
            names = ", ".join(z.name for z in block)
            shown = {f: sp.Function(z.name)(eps) for f, z in zip(fns, block)}
            system = ", ".join(sp.sstr(o.rhs.xreplace(shown)) for o in odes)
            if all(o.rhs == 0 for o in odes):
                images.update({z: z for z in block})
                continue
            if len(block) == 1:
                linear = _linear_flow(odes[0].rhs, fns[0], eps, block[0])
                if linear is not None:
                    images[block[0]] = linear
                    continue
            ics = {f.subs(eps, 0): z for f, z in zip(fns, block)}
            try:
                with deadline(timeout):
                    if len(block) == 1:
                        sol = sp.dsolve(odes[0], fns[0], ics=ics)
                    else:
                        sol = sp.dsolve(odes, fns, ics=ics)
            except OutOfTime:
                return (f"no closed form for the flow of {self}: dsolve found none for "
                        f"d({names})/d{eps} = ({system}) "
                        f"within {timeout} s")
            except Exception as e:  # sympy raises many types for systems it cannot do
                return (f"no closed form for the flow of {self}: dsolve cannot solve "
                        f"d({names})/d{eps} = ({system}) "
                        f"({type(e).__name__}: {str(e)[:120]})")
            sol = sol if isinstance(sol, list) else [sol]
            found = self._pick_solution(sol, block, fns, eps)
            if found is None:
                return (f"no closed form for the flow of {self}: dsolve's solution of "
                        f"d({names})/d{eps} = ({system}) is implicit "
                        "or fails the initial condition")
            images.update(found)
        images = {z: images[z] for z in variables}
        if not self._is_flow(images, eps):
            return f"no closed form for the flow of {self}: dsolve's solution fails the check by substitution"
        return images

    @staticmethod
    def _pick_solution(sol, block, fns, eps) -> dict | None:
        if len(block) == 1:
            # a scalar ODE may have several branches: keep one with the right initial value
            for s in sol:
                if isinstance(s, sp.Equality) and s.lhs == fns[0] and not s.rhs.has(fns[0]) \
                        and not s.rhs.free_symbols & {sp.Symbol("C1"), sp.Symbol("C2")} \
                        and sp.simplify(s.rhs.subs(eps, 0) - block[0]) == 0:
                    return {block[0]: _tidy(s.rhs)}
            return None
        if len(sol) != len(fns):
            return None
        out = {}
        for z, f in zip(block, fns):
            match = [s.rhs for s in sol if s.lhs == f]
            if len(match) != 1 or match[0].has(*fns):
                return None
            out[z] = match[0]
        return out

    def _is_flow(self, images, eps) -> bool:
        variables = _vars_key(self.jet)
        for z, c in zip(variables, self.components):
            img = images[z]
            if not _vanishes_near_identity(img.subs(eps, 0) - z, (eps,)):
                return False
            if not _vanishes_near_identity(sp.diff(img, eps) - c.xreplace(images), (eps,)):
                return False
        return True

    # -- printing and serialisation --------------------------------------------------------
    def __str__(self) -> str:
        parts = []
        for var, c in list(self._xi.items()) + list(self._phi.items()):
            if c == 0:
                continue
            d = f"∂{var.name}"
            if c == 1:
                parts.append(d)
            elif c == -1:
                parts.append("-" + d)
            else:
                shown = sp.factor_terms(c)  # -u*(x**2 + 2*t) rather than -u*x**2 - 2*t*u
                s = sp.sstr(shown)
                if isinstance(shown, sp.Add):
                    s = f"({s})"
                parts.append(f"{s}*{d}")
        if not parts:
            return "0"
        out = parts[0]
        for p in parts[1:]:
            out += f" - {p[1:]}" if p.startswith("-") else f" + {p}"
        return out

    def __repr__(self) -> str:
        return f"Generator({self})"

    def to_dict(self) -> dict:
        """``{"xi": {"x": "..."}, "phi": {"u": "..."}}``, zero components left out."""
        return {
            "xi": {k.name: json_str(v) for k, v in self._xi.items() if v != 0},
            "phi": {k.name: json_str(v) for k, v in self._phi.items() if v != 0},
        }

    @classmethod
    def from_dict(cls, data: Mapping, jet: JetSpace, *, names: Mapping | None = None) -> "Generator":
        """Inverse of `to_dict`; `names` adds symbols/functions for parsing (e.g. parameters)."""
        ns = _namespace(jet, names)
        try:
            xi = {k: _parse(v, ns) for k, v in data.get("xi", {}).items()}
            phi = {k: _parse(v, ns) for k, v in data.get("phi", {}).items()}
        except AttributeError as e:
            raise TypeError(f"a generator must be a dict with 'xi' and 'phi' dicts, got {data!r}") from e
        return cls(xi, phi, jet)


def _linear_flow(rhs: sp.Expr, f, eps: sp.Symbol, z: sp.Symbol) -> sp.Expr | None:
    r"""The solution of $f' = a(\varepsilon) f + b(\varepsilon)$, $f(0) = z$, by quadrature, or None.

    $f = e^{A}\,(z + \int_0^\varepsilon b\,e^{-A})$ with $A = \int_0^\varepsilon a$. Logarithms of
    the antiderivatives are taken of the argument that is positive-looking at $\varepsilon = 0$
    (log(1 - 4 mu eps t), not log(4 mu eps t - 1)), so that real flows stay real.
    """
    w = sp.Dummy("w")
    expr = sp.expand(rhs.xreplace({f: w}))
    if expr.has(f):
        return None
    a = sp.cancel(sp.diff(expr, w))
    if a.has(w):
        return None
    b = sp.cancel(expr - a * w)
    if b.has(w):
        return None
    s = sp.Dummy("s")

    def definite(integrand):
        integrand = sp.sympify(integrand).xreplace({eps: s})
        if integrand == 0:
            return sp.S.Zero
        F = sp.piecewise_fold(sp.integrate(integrand, s))
        if isinstance(F, sp.Piecewise):
            F = F.args[0].expr  # the generic case (e.g. sigma != 0); the flow is checked below
        if F.has(sp.Integral, sp.Piecewise):
            return None
        flips = {g: sp.log(-g.args[0]) for g in F.atoms(sp.log)
                 if g.args[0].subs(s, 0).could_extract_minus_sign()}
        F = F.xreplace(flips)
        return F.subs(s, eps) - F.subs(s, 0)

    A = definite(a)
    if A is None:
        return None
    growth = _exp_of_sum(A)
    out = z * growth
    if b != 0:
        B = definite(sp.cancel(b * sp.exp(-A)))
        if B is None:
            return None
        out = out + growth * B
    return _tidy(out)


def _exp_of_sum(A: sp.Expr) -> sp.Expr:
    """exp(A) with each log term of A as a power: exp(log(w)/2 + c) -> sqrt(w) exp(c)."""
    A = sp.expand(sp.expand_log(A, force=True))
    logs = sorted(A.atoms(sp.log), key=default_sort_key)
    parts = sp.collect(A, logs, evaluate=False) if logs else {sp.S.One: A}
    out = sp.S.One
    for key, coeff in parts.items():
        out *= sp.exp(sp.cancel(coeff) * key)
    return out


def _tidy(expr: sp.Expr) -> sp.Expr:
    """The shortest of a few equivalent forms (by operation count), avoiding nested 1/x."""
    forms = [expr]
    for fn in (sp.cancel, sp.factor, sp.factor_terms, sp.powsimp):  # (simplify: far too slow here)
        try:
            forms.append(fn(expr))
        except Exception:  # a failed rewrite only loses a candidate form
            continue
    # no 1/t inside a denominator: -t/(eps t - 1) is defined at t = 0, -1/(eps - 1/t) is not
    def nested(e):
        return sum(1 for p in e.atoms(sp.Pow) if p.exp.is_negative and p.base.is_Symbol)

    return min(forms, key=lambda e: (nested(e), sp.count_ops(e)))


@functools.lru_cache(maxsize=None)
def _clashes(name: str) -> bool:
    """True if `sympify(name)` is not the plain symbol `name` (E, I, S, N, Q, beta, gamma, ...)."""
    try:
        return sp.sympify(name) != sp.Symbol(name)
    except (sp.SympifyError, SyntaxError, TypeError, ValueError, AttributeError):
        return True


class _JSONPrinter(StrPrinter):
    """`sstr`, except that symbols whose names sympy reads as something else (E, I, S, N,
    gamma, ...) are written ``Symbol('E')``, so `sympify` gives back the same expression."""

    def _print_Symbol(self, expr):
        return f"Symbol({expr.name!r})" if _clashes(expr.name) else expr.name


def json_str(expr) -> str:
    """A string `sympy.sympify` parses back to `expr` (used for every expression in JSON)."""
    return _JSONPrinter().doprint(sp.sympify(expr))


def family_condition(functions, constraints: str) -> str:
    """How a printed family's free functions are restricted: ' with C = 0; ...', or
    ' for arbitrary F(y)' when no constraint remains."""
    if constraints:
        return f" with {constraints}"
    return " for arbitrary " + ", ".join(sp.sstr(f) for f in functions) if functions else ""


class BasisSequence:
    """`len`, iteration and indexing over a result's basis (the field named by `_basis_field`)."""

    _basis_field: str = "basis"

    def __len__(self) -> int:
        return len(getattr(self, self._basis_field))

    def __iter__(self):
        return iter(getattr(self, self._basis_field))

    def __getitem__(self, k: int):
        return getattr(self, self._basis_field)[k]


def pde_json(pde) -> dict:
    """The PDE part of every result's JSON: equations (each "= 0"), variables, parameters."""
    return {
        "pde": [json_str(e) for e in pde.equations],
        "independent": [s.name for s in pde.independent],
        "dependent": [s.name for s in pde.dependent],
        "parameters": {s.name: (None if v is None else json_str(v)) for s, v in pde.parameters.items()},
    }


# Names read as sympy functions when called; any other called name is an undetermined function.
_SYMPY_CALLS = {
    "sin", "cos", "tan", "cot", "sec", "csc", "asin", "acos", "atan", "atan2", "acot",
    "sinh", "cosh", "tanh", "coth", "sech", "csch", "asinh", "acosh", "atanh",
    "exp", "log", "ln", "sqrt", "root", "Abs", "abs", "sign", "re", "im", "erf", "erfc", "Heaviside",
    "Derivative", "Subs", "Function", "Symbol", "Rational", "Integer", "Float", "Pow", "Mul", "Add",
    "Eq", "Ne", "Lt", "Le", "Gt", "Ge", "Piecewise", "LambertW", "besselj", "bessely", "besseli",
    "besselk", "gamma", "factorial", "binomial", "floor", "ceiling", "Max", "Min",
}


def _namespace(jet: JetSpace, names: Mapping | None = None) -> dict:
    ns = {s.name: s for s in _vars_key(jet)}
    ns.update(names or {})
    return ns


def _parse(text, ns: dict) -> sp.Expr:
    """Parse a sympy-syntax string with our variables taking precedence over sympy's names."""
    if not isinstance(text, str):
        return sp.sympify(text)
    from sympy.parsing.sympy_parser import parse_expr

    local = dict(ns)
    # Called names other than known functions are undetermined functions (beta(x, t) of a
    # superposition is not Euler's beta function). Bare names keep sympy's meaning unless
    # given in `ns` (E is e; a symbol named E is written Symbol('E'), see `json_str`).
    for tok in _names_in(text):
        if tok not in local and _is_call(text, tok) and tok not in _SYMPY_CALLS:
            local[tok] = sp.Function(tok)
    try:
        return parse_expr(text, local_dict=local)
    except Exception as e:  # parse_expr raises SyntaxError, TokenError, TypeError ...
        raise ValueError(f"cannot parse expression {text!r}: {e}") from None


def _names_in(text: str) -> list[str]:
    import re

    return re.findall(r"[A-Za-z_][A-Za-z_0-9]*", text)


def _is_call(text: str, name: str) -> bool:
    import re

    return re.search(rf"(?<![A-Za-z_0-9]){re.escape(name)}\s*\(", text) is not None


def _simplify_zero(r: sp.Expr) -> sp.Expr:
    """Cheap-to-expensive zero tests; returns 0 or the simplest nonzero form found."""
    r = sp.expand(r)
    if r == 0:
        return r
    t = sp.cancel(sp.together(r))
    if t == 0:
        return t
    if r.has(sp.exp, sp.sinh, sp.cosh, sp.tanh, sp.coth, sp.sech, sp.csch):
        # sech(x) in the equation, exp(2x) in a generator: one rational function of exponentials
        t = sp.cancel(sp.together(r.rewrite(sp.exp)))
        if t == 0:
            return t
    for fn in (lambda e: sp.expand(sp.powsimp(sp.powdenest(e, force=True), force=True)),
               lambda e: sp.expand(sp.expand_log(e, force=True)),
               lambda e: sp.expand(e.rewrite(sp.exp)),
               lambda e: sp.simplify(e)):
        try:
            t = fn(r)
        except Exception:  # a failed rewrite is not a verdict
            continue
        if t == 0:
            return t
    return r


def _zero_near_identity(r: sp.Expr, parameters: Sequence[sp.Symbol], points: int = 4, seed: int = 0) -> bool:
    """Zero at `points` random points, every symbol in (1/2, 3/2) but the group parameters small
    (in [-1/10, 1/10]): near the identity, where a finite transformation's real branch (sqrt, log
    of its Jacobian factors) is the right one. Evaluated in 40-digit floating point, as nested
    exponentials of exact rationals can take forever."""
    rng = random.Random(seed + 1)
    syms = sorted(r.free_symbols, key=default_sort_key)
    terms = sp.Add.make_args(r)
    done = tries = 0
    while done < points and tries < 4 * points:
        tries += 1
        vals = {s: sp.Float(rng.uniform(-0.1, 0.1) if s in parameters else rng.uniform(0.5, 1.5), 40)
                for s in syms}
        try:
            value = sp.N(r.xreplace(vals), 40)
            scale = sum(abs(sp.N(t.xreplace(vals), 30)) for t in terms)
        except (TypeError, ValueError, ZeroDivisionError):
            continue
        if not (value.is_number and scale.is_number) or value.has(sp.nan, sp.zoo, sp.oo):
            continue
        if abs(complex(value)) > 1e-25 * (1 + float(scale)):
            return False
        done += 1
    return done == points


def _vanishes_near_identity(r: sp.Expr, parameters: Sequence[sp.Symbol]) -> bool:
    """Zero symbolically (`_simplify_zero`), else numerically near the identity."""
    r = _simplify_zero(r)
    return r == 0 or (not r.atoms(sp.core.function.AppliedUndef) and _zero_near_identity(r, parameters))


def _numeric_zero(r: sp.Expr, points: int, seed: int) -> bool:
    """True if `r` vanishes at `points` random rational points (every free symbol in (1/2, 3/2))."""
    rng = random.Random(seed)
    syms = sorted(r.free_symbols, key=default_sort_key)
    done = 0
    tries = 0
    while done < points and tries < 4 * points:
        tries += 1
        vals = {s: sp.Rational(rng.randint(505, 1513), 1009) for s in syms}  # avoids x = 1, 1/2, ...
        terms = sp.Add.make_args(r)
        try:
            value = sp.N(r.xreplace(vals), 50)
            scale = sum(abs(sp.N(t.xreplace(vals), 30)) for t in terms)
        except (TypeError, ValueError, ZeroDivisionError):
            continue
        if not (value.is_number and scale.is_number) or value.has(sp.nan, sp.zoo, sp.oo):
            continue
        if abs(complex(value)) > 1e-30 * (1 + float(scale)):
            return False
        done += 1
    return done == points
