"""Jet space: independent variables x^i, dependent variables u^a and their derivatives u^a_J.

Symbolic layer: sympy only, never JAX.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence

import sympy as sp

MultiIndex = tuple[int, ...]


def _as_symbol(v: str | sp.Basic | sp.core.function.UndefinedFunction, what: str) -> sp.Symbol:
    # sympy Function classes are not valid hints for runtime checkers (their repr is not their name)
    if isinstance(v, sp.Symbol):
        return sp.Symbol(v.name)
    if isinstance(v, str):
        if not v.isidentifier():
            raise ValueError(f"{what} name {v!r} is not a valid identifier")
        return sp.Symbol(v)
    if isinstance(v, sp.core.function.UndefinedFunction):
        return sp.Symbol(v.__name__)
    if isinstance(v, sp.Function) or isinstance(v, sp.core.function.AppliedUndef):
        return sp.Symbol(v.func.__name__)
    raise TypeError(f"{what} must be a name or a sympy Symbol, got {v!r} of type {type(v).__name__}")


def _split_names(names: str | Sequence) -> list:
    if isinstance(names, str):
        return [n.strip() for n in names.split(",") if n.strip()]
    return list(names)


class JetSpace:
    r"""The jet space of $p$ independent variables $x^i$ and $q$ dependent variables $u^a$.

    A jet coordinate $u^a_J$ is a plain sympy Symbol named after $u$ and the derivative's
    variables in declared order (`u_x`, `u_xt`, `u_xxt`; multi-letter names are joined by
    underscores: `u_x1_x1`). The total derivative is
    $D_i = \partial_{x^i} + \sum_{a,J} u^a_{J+i}\,\partial_{u^a_J}$.
    """

    def __init__(self, independent: str | Sequence, dependent: str | Sequence):
        self.independent: tuple[sp.Symbol, ...] = tuple(
            _as_symbol(v, "independent variable") for v in _split_names(independent)
        )
        self.dependent: tuple[sp.Symbol, ...] = tuple(
            _as_symbol(v, "dependent variable") for v in _split_names(dependent)
        )
        if not self.independent:
            raise ValueError("at least one independent variable is needed")
        if not self.dependent:
            raise ValueError("at least one dependent variable is needed")
        names = [s.name for s in self.independent + self.dependent]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"variable names used twice: {sorted(dup)}")
        self._short = all(len(s.name) == 1 for s in self.independent)
        self._decode: dict[sp.Symbol, tuple[int, MultiIndex]] = {}
        self._encode: dict[tuple[int, MultiIndex], sp.Symbol] = {}
        for a, u in enumerate(self.dependent):
            self._register(a, (0,) * self.p, u)

    # -- basic facts -------------------------------------------------------------
    @property
    def p(self) -> int:
        return len(self.independent)

    @property
    def q(self) -> int:
        return len(self.dependent)

    def __repr__(self) -> str:
        ind = ",".join(s.name for s in self.independent)
        dep = ",".join(s.name for s in self.dependent)
        return f"JetSpace(independent={ind!r}, dependent={dep!r})"

    def __eq__(self, other) -> bool:
        return (
            isinstance(other, JetSpace)
            and self.independent == other.independent
            and self.dependent == other.dependent
        )

    def __hash__(self) -> int:
        return hash((self.independent, self.dependent))

    def index(self, var: int | str | sp.Symbol) -> int:
        """Position of an independent variable."""
        if isinstance(var, int):
            if not 0 <= var < self.p:
                raise IndexError(f"independent variable index {var} out of range 0..{self.p - 1}")
            return var
        name = var if isinstance(var, str) else var.name
        for i, s in enumerate(self.independent):
            if s.name == name:
                return i
        raise ValueError(
            f"{name!r} is not an independent variable (expected one of "
            f"{[s.name for s in self.independent]})"
        )

    def dep_index(self, u: int | str | sp.Symbol) -> int:
        if isinstance(u, int):
            return u
        name = u if isinstance(u, str) else u.name
        for a, s in enumerate(self.dependent):
            if s.name == name:
                return a
        raise ValueError(
            f"{name!r} is not a dependent variable (expected one of "
            f"{[s.name for s in self.dependent]})"
        )

    # -- jet coordinates -----------------------------------------------------------
    def _register(self, a: int, alpha: MultiIndex, sym: sp.Symbol) -> None:
        self._decode[sym] = (a, alpha)
        self._encode[(a, alpha)] = sym

    def jet(self, u: int | str | sp.Symbol, alpha: MultiIndex | Sequence) -> sp.Symbol:
        """The jet coordinate $u^a_\\alpha$ (alpha counts derivatives per variable)."""
        a = self.dep_index(u)
        if isinstance(alpha, (str, sp.Symbol)):
            alpha = self.multi_index([alpha])
        alpha = tuple(int(k) for k in alpha)
        if len(alpha) != self.p or any(k < 0 for k in alpha):
            raise ValueError(f"multi-index {alpha} must have {self.p} non-negative entries")
        key = (a, alpha)
        sym = self._encode.get(key)
        if sym is None:
            letters = [self.independent[i].name for i, k in enumerate(alpha) for _ in range(k)]
            sep = "" if self._short else "_"
            sym = sp.Symbol(self.dependent[a].name + "_" + sep.join(letters))
            self._register(a, alpha, sym)
        return sym

    def multi_index(self, variables: Iterable[int | str | sp.Symbol]) -> MultiIndex:
        """Multi-index of differentiating once by each of `variables` (order irrelevant)."""
        alpha = [0] * self.p
        for v in variables:
            alpha[self.index(v)] += 1
        return tuple(alpha)

    def decode(self, sym) -> tuple[int, MultiIndex] | None:
        """(a, alpha) of a jet coordinate, or None if `sym` is not one."""
        if not isinstance(sym, sp.Symbol):
            return None
        hit = self._decode.get(sym)
        if hit is not None:
            return hit
        hit = self._parse_name(sym.name)
        if hit is not None:
            self.jet(*hit)
        return hit

    def _parse_name(self, name: str) -> tuple[int, MultiIndex] | None:
        for a, u in enumerate(self.dependent):
            prefix = u.name + "_"
            if not name.startswith(prefix):
                continue
            rest = name[len(prefix):]
            if not rest:
                return None
            if self._short:
                letters = list(rest)
            else:
                letters = rest.split("_")
            try:
                return a, self.multi_index(letters)
            except ValueError:
                return None
        return None

    def is_jet(self, sym) -> bool:
        return self.decode(sym) is not None

    def jet_variables(self, expr) -> list[tuple[int, MultiIndex]]:
        """All (a, alpha) occurring in `expr` (u itself included), in a canonical order."""
        found = {self.decode(s) for s in sp.sympify(expr).free_symbols}
        found.discard(None)
        return sorted(found, key=lambda k: (sum(k[1]), k[0], tuple(-x for x in k[1])))

    def order(self, expr) -> int:
        """Highest derivative order in `expr` (0 if only u appears, -1 if no jet variable)."""
        return max((sum(al) for _, al in self.jet_variables(expr)), default=-1)

    def derivatives_up_to(self, n: int) -> list[sp.Symbol]:
        """All jet coordinates of order 1..n."""
        out = []
        for k in range(1, n + 1):
            for alpha in _compositions(k, self.p):
                for a in range(self.q):
                    out.append(self.jet(a, alpha))
        return out

    # -- total derivatives -------------------------------------------------------
    def D(self, expr, var: int | str | sp.Symbol):
        r"""Total derivative $D_i$ of `expr` (a function on jet space)."""
        i = self.index(var)
        expr = sp.sympify(expr)
        out = sp.diff(expr, self.independent[i])
        for s in expr.free_symbols:
            hit = self.decode(s)
            if hit is None:
                continue
            a, alpha = hit
            up = list(alpha)
            up[i] += 1
            out += sp.diff(expr, s) * self.jet(a, tuple(up))
        return out

    def D_multi(self, expr, alpha: MultiIndex):
        r"""$D_\alpha$ = composition of total derivatives."""
        for i, k in enumerate(alpha):
            for _ in range(k):
                expr = self.D(expr, i)
        return expr

    # -- conversion to and from sympy Function/Derivative form ----------------------
    @functools.cached_property
    def functions(self) -> tuple:
        """u(x, t) as applied sympy Functions, one per dependent variable."""
        return tuple(sp.Function(u.name)(*self.independent) for u in self.dependent)

    def from_functions(self, expr):
        """Replace `Derivative(u(x,t), x, t)` by `u_xt` and `u(x,t)` by `u`."""
        expr = sp.sympify(expr)
        reps = {}
        for d in expr.atoms(sp.Derivative):
            f = d.expr
            if not isinstance(f, sp.core.function.AppliedUndef):
                raise ValueError(f"cannot convert derivative of non-function {f} in {d}")
            a = self._function_index(f)
            reps[d] = self.jet(a, self.multi_index([v for v, k in d.variable_count for _ in range(k)]))
        expr = expr.xreplace(reps)
        reps = {}
        for f in expr.atoms(sp.core.function.AppliedUndef):
            reps[f] = self.dependent[self._function_index(f)]
        return expr.xreplace(reps)

    def _function_index(self, f) -> int:
        name = f.func.__name__
        a = self.dep_index(name)
        if tuple(f.args) != self.independent:
            raise ValueError(
                f"{f} should depend on {self.independent} (the declared independent variables)"
            )
        return a

    def to_functions(self, expr):
        """Inverse of `from_functions`."""
        expr = sp.sympify(expr)
        reps = {}
        for s in expr.free_symbols:
            hit = self.decode(s)
            if hit is None:
                continue
            a, alpha = hit
            f = self.functions[a]
            if sum(alpha) == 0:
                reps[s] = f
            else:
                reps[s] = sp.Derivative(
                    f, *[(self.independent[i], k) for i, k in enumerate(alpha) if k]
                )
        return expr.xreplace(reps)


def _compositions(n: int, p: int):
    """All multi-indices of length p summing to n, in a fixed order."""
    if p == 1:
        yield (n,)
        return
    for k in range(n, -1, -1):
        for rest in _compositions(n - k, p - 1):
            yield (k,) + rest
