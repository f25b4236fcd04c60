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
    def flow(self, eps=None, *, max_order: int = 12):
        r"""The one-parameter group $\exp(\varepsilon v)$ in closed form, or None.

        Returns a dict variable -> image (e.g. ``{x: x + eps, t: t, u: u}``) solving
        $dz/d\varepsilon = v(z)$, $z(0) = z$. Tried in turn: a terminating Lie series
        $\sum_n \varepsilon^n v^n(z)/n!$, then `dsolve` on the ODE system; the result is
        checked by substitution. None when no closed form was found.
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
                total += eps**n / sp.factorial(n) * term
            if not done:
                break
            images[z] = sp.expand(total)
        else:
            return images if self._is_flow(images, eps) else None
        return self._flow_dsolve(eps)

    def _flow_dsolve(self, eps):
        variables = _vars_key(self.jet)
        fns = [sp.Function(f"_z{k}")(eps) for k in range(len(variables))]
        at = dict(zip(variables, fns))
        odes = [sp.Eq(f.diff(eps), c.xreplace(at)) for f, c in zip(fns, self.components)]
        ics = {f.subs(eps, 0): z for f, z in zip(fns, variables)}
        try:
            sol = sp.dsolve(odes, fns, ics=ics)
        except Exception:  # sympy raises many types for systems it cannot do
            return None
        sol = sol if isinstance(sol, list) else [sol]
        if len(sol) != len(fns):
            return None
        images = {}
        for z, f in zip(variables, fns):
            match = [s.rhs for s in sol if s.lhs == f]
            if len(match) != 1 or match[0].has(*fns):
                return None
            images[z] = match[0]
        return images if self._is_flow(images, eps) else None

    def _is_flow(self, images, eps) -> bool:
        variables = _vars_key(self.jet)
        for z, c in zip(variables, self.components):
            img = images[z]
            if sp.simplify(img.subs(eps, 0) - z) != 0:
                return False
            if sp.simplify(sp.diff(img, eps) - c.xreplace(images)) != 0:
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
