r"""Finite point transformations $g: (x, u) \mapsto (\tilde x, \tilde u)$ of a jet space.

A `FiniteTransformation` is the map itself, given by the images of every independent and
dependent variable, possibly depending on group parameters $\varepsilon_1, \dots$: the flow
$\exp(\varepsilon v)$ of a generator, a composition of flows, or a discrete map such as
$x \to -x$. It is the common currency of the group-action side of liepinn (flows, discrete
symmetries, what a problem admits, and the compiled actions used in training).

Symbolic layer: sympy only, never JAX.
"""

from __future__ import annotations

import types
from collections.abc import Mapping, Sequence

import sympy as sp

from ..symbolic._jet import JetSpace, _compositions
from ..symbolic._parse import parse_expression
from ._generator import (
    FAILED,
    NUMERIC,
    SYMBOLIC,
    Verification,
    _simplify_zero,
    _tidy,
    _vanishes_near_identity as _vanishes,
    _zero_near_identity,
)


class TransformationError(ValueError):
    """A finite transformation cannot do what was asked (no closed-form inverse, a graph that
    cannot be parametrised, ...); the message says which transformation and why."""


def _expr(value, jet: JetSpace | None, where: str) -> sp.Expr:
    """A sympy expression from an expression, a number or a string (parsed, never evaluated)."""
    if isinstance(value, str):
        return parse_expression(value, jet, where=where, allow_equals=False)[0]
    try:
        return sp.sympify(value, strict=True)
    except sp.SympifyError:
        raise TypeError(f"{where}: expected a sympy expression, a number or a string, "
                        f"got {type(value).__name__}") from None


def _variables(jet: JetSpace) -> tuple[sp.Symbol, ...]:
    return tuple(jet.independent) + tuple(jet.dependent)


class FiniteTransformation:
    r"""A point transformation $z \mapsto \tilde z(z; \varepsilon)$, $z = (x, u)$.

    **Arguments:**

    - `images`: variable (Symbol or name) -> its image, an expression in the variables and
      `parameters`; variables not given are left fixed.
    - `jet`: the `JetSpace` it acts on.
    - `parameters`: the group parameters (Symbols or names), () for a discrete map.
    - `label`: a short name for reports (e.g. ``"exp(eps v1)"``, ``"x -> -x"``).

    Composition follows maps: ``(g @ h)(z) = g(h(z))``.
    """

    __slots__ = ("_images", "jet", "parameters", "label", "_factors")

    def __init__(self, images: Mapping, jet: JetSpace, parameters: Sequence = (), label: str = "",
                 *, factors: Sequence["FiniteTransformation"] = ()):
        if not isinstance(jet, JetSpace):
            raise TypeError(f"jet must be a JetSpace, got {type(jet).__name__}")
        variables = _variables(jet)
        by_name = {str(z): z for z in variables}
        out = {z: z for z in variables}
        for key, value in images.items():
            z = by_name.get(str(key))
            if z is None:
                raise ValueError(f"{key!r} is not a variable of the jet space "
                                 f"(variables: {', '.join(by_name)})")
            out[z] = _expr(value, jet, f"image of {z}")
        self.jet = jet
        self._images = types.MappingProxyType(out)
        self.parameters = tuple(sp.Symbol(p) if isinstance(p, str) else p for p in parameters)
        self.label = label
        # the factors of a composition, first applied first (used to invert it factor by factor)
        self._factors = tuple(factors)

    @property
    def images(self) -> Mapping[sp.Symbol, sp.Expr]:
        r"""Variable -> image $\tilde z(z; \varepsilon)$, for every variable."""
        return self._images

    @property
    def variables(self) -> tuple[sp.Symbol, ...]:
        return _variables(self.jet)

    @property
    def is_discrete(self) -> bool:
        return not self.parameters

    def image(self, expr) -> sp.Expr:
        r"""$f(\tilde z)$: `expr` with every variable replaced by its image."""
        return _expr(expr, self.jet, "expression").xreplace(dict(self._images))

    @property
    def factors(self) -> tuple["FiniteTransformation", ...]:
        """The one-parameter subgroups and discrete maps this is a composition of, first applied
        first; ``(self,)`` for a single one."""
        return self._factors or (self,)

    def __matmul__(self, other: "FiniteTransformation") -> "FiniteTransformation":
        r"""$g \circ h$: first `other`, then `self`; parameters are concatenated (renamed on clash)."""
        if not isinstance(other, FiniteTransformation):
            return NotImplemented
        if other.jet.independent != self.jet.independent or other.jet.dependent != self.jet.dependent:
            raise ValueError("cannot compose transformations of different jet spaces")
        mine = self
        clash = set(self.parameters) & set(other.parameters)
        if clash:
            taken = {str(p) for p in self.parameters + other.parameters}
            rename = {}
            for p in sorted(clash, key=str):
                k = 2
                while f"{p}_{k}" in taken:
                    k += 1
                rename[p] = sp.Symbol(f"{p}_{k}")
                taken.add(f"{p}_{k}")
            mine = self._renamed(rename)
        composed = {z: e.xreplace(dict(other._images)) for z, e in mine._images.items()}
        label = f"({self.label}) o ({other.label})" if self.label and other.label else ""
        return FiniteTransformation(composed, self.jet, list(other.parameters) + list(mine.parameters), label,
                                    factors=other.factors + mine.factors)

    def _renamed(self, rename: Mapping) -> "FiniteTransformation":
        return FiniteTransformation({z: e.xreplace(rename) for z, e in self._images.items()}, self.jet,
                                    [rename.get(p, p) for p in self.parameters], self.label,
                                    factors=[f._renamed(rename) for f in self._factors])

    def at(self, values: Mapping) -> "FiniteTransformation":
        """The transformation with some group parameters fixed to values."""
        subs = {sp.Symbol(str(k)) if isinstance(k, str) else k: _expr(v, None, f"value of {k}")
                for k, v in values.items()}
        unknown = [k for k in subs if k not in self.parameters]
        if unknown:
            raise ValueError(f"{', '.join(map(str, unknown))} not among the parameters "
                             f"{', '.join(map(str, self.parameters)) or '(none)'}")
        return FiniteTransformation({z: e.xreplace(subs) for z, e in self._images.items()}, self.jet,
                                    [p for p in self.parameters if p not in subs], self.label,
                                    factors=[f._at(subs) for f in self._factors])

    def _at(self, subs: Mapping) -> "FiniteTransformation":
        mine = {k: v for k, v in subs.items() if k in self.parameters}
        return self.at(mine) if mine else self

    # -- structure ------------------------------------------------------------------------
    @property
    def points_depend_on_u(self) -> bool:
        r"""True if some $\tilde x^i$ involves a dependent variable (then $g$ does not act on
        functions pointwise in $x$, and `act` has to parametrise the transformed graph)."""
        deps = set(self.jet.dependent)
        return any(self._images[x].free_symbols & deps for x in self.jet.independent)

    def is_identity(self) -> bool:
        r"""True if every image equals its variable ($\tilde z = z$ for all parameter values)."""
        return all(_vanishes(self._images[z] - z, self.parameters) for z in self.variables)

    def inverse(self) -> "FiniteTransformation":
        r"""$g^{-1}$, with the same parameters: $g^{-1}(\varepsilon)\,(g(\varepsilon)\,z) = z$.

        Tried in turn, each checked by substitution ($g(g^{-1}(z)) = z$, symbolically, else at
        random points with small parameters): $\exp(-\varepsilon v)$ for a one-parameter
        subgroup (all parameters negated); the factors' inverses in reverse order for a
        composition; `sympy.solve` of $\tilde z(z) = w$ for $z$. Raises `TransformationError`
        when none gives a closed form.
        """
        label = f"({self.label})^-1" if self.label else ""
        tried = []
        if self.parameters and len(self.factors) == 1:
            cand = {z: e.xreplace({p: -p for p in self.parameters}) for z, e in self._images.items()}
            if self._inverts(cand):
                return FiniteTransformation({z: _tidy(e) for z, e in cand.items()}, self.jet, self.parameters, label)
            tried.append("negated parameters")
        if len(self.factors) > 1:
            inv = self.factors[0].inverse()
            for f in self.factors[1:]:
                inv = inv @ f.inverse()
            return FiniteTransformation(inv.images, self.jet, self.parameters, label, factors=inv.factors)
        w = {z: sp.Dummy(f"w_{z}") for z in self.variables}
        try:
            sols = sp.solve([self._images[z] - w[z] for z in self.variables], list(self.variables), dict=True)
        except (NotImplementedError, ValueError, TypeError) as e:
            sols = []
            tried.append(f"sympy.solve ({type(e).__name__})")
        back = {v: z for z, v in w.items()}
        for sol in sols:
            if set(sol) != set(self.variables):
                continue
            cand = {z: sol[z].xreplace(back) for z in self.variables}
            if self._inverts(cand):
                return FiniteTransformation(cand, self.jet, self.parameters, label)
        tried.append("sympy.solve")
        raise TransformationError(
            f"{self!r} is not invertible in closed form: no candidate from {', '.join(tried)} "
            "satisfies g(g^-1(z)) = z")

    def _inverts(self, cand: Mapping) -> bool:
        return all(_vanishes(self._images[z].xreplace(dict(cand)) - z, self.parameters)
                   for z in self.variables)

    # -- the action on jets and on equations ---------------------------------------------
    def prolong(self, order: int) -> dict[sp.Symbol, sp.Expr]:
        r"""The prolonged map $\mathrm{pr}^{(n)} g$: every jet coordinate -> its image.

        $\tilde u_{J,i} = \tilde D_i \tilde u_J$ with $\tilde D_i = \sum_j (M^{-1})_{ji} D_j$,
        $M_{ij} = D_j \tilde x^i$ (total derivatives on the graph of u), starting from
        $\tilde u = \tilde u(x, u)$. The keys are $x^i$, $u^a$ and every $u^a_J$, $|J| \le n$.
        """
        jet = self.jet
        p = jet.p
        xt = [self._images[x] for x in jet.independent]
        M = sp.Matrix([[jet.D(xt[i], j) for j in range(p)] for i in range(p)])
        det = sp.cancel(M.det())
        if det == 0:
            raise TransformationError(
                f"{self!r} does not map graphs to graphs: the total Jacobian det(D_j x~^i) vanishes")
        Minv = (M.adjugate() / det).applyfunc(sp.cancel)
        out: dict[sp.Symbol, sp.Expr] = {x: self._images[x] for x in jet.independent}
        for u in jet.dependent:
            out[u] = self._images[u]
        for k in range(1, order + 1):
            for alpha in _compositions(k, p):
                i = max(j for j, n in enumerate(alpha) if n)
                lower = list(alpha)
                lower[i] -= 1
                for a in range(jet.q):
                    f = out[jet.jet(a, tuple(lower))]
                    out[jet.jet(a, alpha)] = sum((Minv[j, i] * jet.D(f, j) for j in range(p)), sp.S.Zero)
        return out

    def verify(self, pde, *, numeric: bool = True, points: int = 4, seed: int = 0) -> Verification:
        r"""Check that $g$ maps solutions to solutions: $\Delta_k(\mathrm{pr}\,g(z^{(n)}))$ vanishes
        on $\Delta = 0$ for every k.

        Parameters with values in `pde` are substituted in the equations and in the images.
        Each transformed equation is reduced with the principal derivatives of the system
        (`PDE.reduce`) and tested for zero symbolically; if inconclusive and `numeric`, at
        `points` random points with small group parameters (``"numeric"``, as in
        `Generator.verify`).
        """
        if pde.jet.independent != self.jet.independent or pde.jet.dependent != self.jet.dependent:
            raise ValueError(f"transformation acts on {self.jet}, the PDE lives on {pde.jet}")
        table = self.prolong(pde.order)
        values = {s: v for s, v in pde.parameters.items() if v is not None}
        if values:
            # the PDE's parameter values hold in the images too (heat's flows involve mu)
            pde = pde.substitute_parameters()
            table = {k: e.xreplace(values) for k, e in table.items()}
        residuals = [pde.reduce(eq.xreplace(table)) for eq in pde.equations]
        method = SYMBOLIC
        for k, r in enumerate(residuals):
            r = _simplify_zero(r)
            residuals[k] = r
            if r == 0:
                continue
            if numeric and _zero_near_identity(r, self.parameters, points, seed):
                method = NUMERIC
                continue
            return Verification(FAILED, residuals)
        return Verification(method, residuals)

    def is_symmetry(self, pde) -> bool:
        """True if `verify(pde)` succeeds (symbolically or numerically)."""
        return bool(self.verify(pde))

    def __eq__(self, other) -> bool:
        return (isinstance(other, FiniteTransformation) and self.jet.independent == other.jet.independent
                and self.jet.dependent == other.jet.dependent and self.parameters == other.parameters
                and all(sp.simplify(self._images[z] - other._images[z]) == 0 for z in self.variables))

    __hash__ = None

    def __str__(self) -> str:
        moved = [f"{z} -> {sp.sstr(e)}" for z, e in self._images.items() if e != z]
        return ", ".join(moved) if moved else "identity"

    def __repr__(self) -> str:
        params = f"; {', '.join(map(str, self.parameters))}" if self.parameters else ""
        return f"FiniteTransformation({self}{params})"

    def to_dict(self) -> dict:
        return {"label": self.label, "parameters": [str(p) for p in self.parameters],
                "images": {str(z): sp.sstr(e) for z, e in self._images.items()}}


def one_parameter_subgroup(generator, eps="epsilon", label: str = "", *, strict: bool = False,
                           timeout: float | None = 30) -> FiniteTransformation | None:
    r"""$\exp(\varepsilon v)$ of a `Generator` as a `FiniteTransformation`, or None without a closed form.

    The images come from `Generator.flow` (a terminating Lie series, else the characteristic
    system solved block by block), which checks them by substitution into
    $d\tilde z/d\varepsilon = v(\tilde z)$, $\tilde z(0) = z$. With `strict`, a missing closed
    form raises `TransformationError` saying why instead of returning None. `timeout` bounds
    each `dsolve` call (seconds).
    """
    eps = sp.Symbol(eps) if isinstance(eps, str) else eps
    images = generator.flow_or_reason(eps, timeout=timeout)
    if isinstance(images, str):
        if strict:
            raise TransformationError(images)
        return None
    return FiniteTransformation(images, generator.jet, (eps,), label or f"exp({eps} v)")


def compose(*transformations: FiniteTransformation) -> FiniteTransformation:
    r"""$g_1 \circ g_2 \circ \dots \circ g_k$ (the last one is applied first), i.e. ``g1 @ g2 @ ...``;
    its parameters are those of $g_k$, then $g_{k-1}$, ... (first applied first)."""
    if not transformations:
        raise ValueError("compose needs at least one transformation")
    for k, g in enumerate(transformations):
        if not isinstance(g, FiniteTransformation):
            raise TypeError(f"argument {k + 1} of compose is a {type(g).__name__}, not a FiniteTransformation")
    out = transformations[-1]
    for g in reversed(transformations[:-1]):
        out = g @ out
    return out


class Subgroups:
    r"""The one-parameter subgroups $\exp(\varepsilon_k v_k)$ of an algebra's basis.

    `subgroups[k]` is a `FiniteTransformation` in the parameter ``eps_{k+1}`` or None, and then
    `failures[k]` says why no closed form was found. `general()` is the product
    $\exp(\varepsilon_1 v_1) \cdots \exp(\varepsilon_r v_r)$ of those found ($v_r$ applied first:
    the images stay smallest when the most nonlinear flows, listed last, are substituted into
    the simpler ones), a general element of the connected group near the identity; its
    parameters are in the order ``eps_1, ..., eps_r``.
    """

    __slots__ = ("algebra", "subgroups", "failures")

    def __init__(self, algebra, subgroups: Sequence, failures: Sequence):
        self.algebra = algebra
        self.subgroups: tuple[FiniteTransformation | None, ...] = tuple(subgroups)
        self.failures: tuple[str | None, ...] = tuple(failures)

    def __len__(self) -> int:
        return len(self.subgroups)

    def __iter__(self):
        return iter(self.subgroups)

    def __getitem__(self, k: int) -> FiniteTransformation | None:
        return self.subgroups[k]

    def found(self) -> tuple[FiniteTransformation, ...]:
        return tuple(g for g in self.subgroups if g is not None)

    def general(self) -> FiniteTransformation:
        found = self.found()
        if not found:
            raise TransformationError("no one-parameter subgroup has a closed form: "
                                      + "; ".join(f for f in self.failures if f))
        g = compose(*found)
        return FiniteTransformation(g.images, g.jet, [p for f in found for p in f.parameters], g.label,
                                    factors=g.factors)

    def __repr__(self) -> str:
        lines = [f"v{k + 1} = {v}: " + (str(g) if g is not None else f"no closed form ({why})")
                 for k, (v, g, why) in enumerate(zip(self.algebra.basis, self.subgroups, self.failures))]
        return "Subgroups(\n  " + "\n  ".join(lines) + "\n)"

    def to_dict(self) -> dict:
        return {"subgroups": [
            {"generator": str(v), **(g.to_dict() if g is not None else {"images": None, "failure": why})}
            for v, g, why in zip(self.algebra.basis, self.subgroups, self.failures)]}


def transformations(algebra, *, eps: str = "eps", timeout: float | None = 30) -> Subgroups:
    r"""$\exp(\varepsilon_k v_k)$ for every basis generator $v_k$ of a `SymmetryAlgebra`, with
    parameters ``eps_1, ..., eps_r`` (labels ``exp(eps_k v_k)``)."""
    subgroups, failures = [], []
    for k, v in enumerate(algebra.basis, 1):
        name = sp.Symbol(f"{eps}_{k}")
        images = v.flow_or_reason(name, timeout=timeout)
        if isinstance(images, str):
            subgroups.append(None)
            failures.append(images)
        else:
            subgroups.append(FiniteTransformation(images, v.jet, (name,), f"exp({name} v{k})"))
            failures.append(None)
    return Subgroups(algebra, subgroups, failures)


def act(transformation: FiniteTransformation, solution):
    r"""The image $g\cdot f$ of a function $u = f(x)$, as expressions in the original variable names.

    The graph $\{(x, f(x))\}$ is mapped to $\{(\tilde x, \tilde u)\}$ and read again as a
    graph: $(g \cdot f)(y) = \tilde u(x, f(x))$ at the $x$ with $\tilde x(x, f(x)) = y$. When
    $\tilde x$ does not involve u, $x = \tilde x^{-1}(y)$ comes from `inverse`; otherwise
    $\tilde x(x, f(x)) = y$ is solved for x with `sympy.solve`, and a `TransformationError`
    says why when it has no (unique) closed-form solution.

    `solution`: an expression (one dependent variable) or a mapping dependent variable -> expression;
    the result has the same shape.
    """
    g = transformation
    jet = g.jet
    single = not isinstance(solution, Mapping)
    if single:
        if jet.q != 1:
            raise ValueError(f"{jet.q} dependent variables: give the solution as a mapping name -> expression")
        solution = {jet.dependent[0]: solution}
    by_name = {u.name: u for u in jet.dependent}
    f = {}
    for key, value in solution.items():
        u = by_name.get(str(key))
        if u is None:
            raise ValueError(f"{key!r} is not a dependent variable (dependent: {', '.join(by_name)})")
        f[u] = _expr(value, jet, f"solution for {u}")
    missing = [u.name for u in jet.dependent if u not in f]
    if missing:
        raise ValueError(f"no expression given for {', '.join(missing)}")
    for u, e in f.items():
        bad = e.free_symbols & set(jet.dependent) or {s for s in e.free_symbols if jet.is_jet(s)}
        if bad:
            raise ValueError(f"the solution for {u} must be a function of {', '.join(x.name for x in jet.independent)} "
                             f"only, got {sp.sstr(e)} (contains {', '.join(sorted(map(str, bad)))})")
    x_of_y = None
    if not g.points_depend_on_u:
        try:
            back = g.inverse()
        except TransformationError:
            pass  # the u-part may not invert while x~(x) does: solve x~(x) = y below
        else:
            x_of_y = {x: back.images[x] for x in jet.independent}
    if x_of_y is None:
        x_of_y = _solve_graph(g, f)
    on_graph = {**x_of_y, **{u: e.xreplace(x_of_y) for u, e in f.items()}}
    out = {u: g.images[u].xreplace(on_graph) for u in jet.dependent}
    return out[jet.dependent[0]] if single else out


def _solve_graph(g: FiniteTransformation, f: Mapping) -> dict:
    jet = g.jet
    xs = list(jet.independent)
    w = {x: sp.Dummy(f"y_{x}") for x in xs}
    eqs = [g.images[x].xreplace(f) - w[x] for x in xs]
    why = (f"{g!r} moves the independent variables depending on u, so g.u needs x~(x, u(x)) = y "
           "solved for x" if g.points_depend_on_u else
           f"{g!r} has no closed-form inverse, so g.u needs x~(x) = y solved for x")
    try:
        sols = sp.solve(eqs, xs, dict=True)
    except (NotImplementedError, ValueError, TypeError) as e:
        raise TransformationError(f"{why}; sympy.solve cannot ({type(e).__name__}: {str(e)[:100]})") from None
    sols = [s for s in sols if set(s) == set(xs)]
    back = {v: x for x, v in w.items()}
    sols = [{x: s[x].xreplace(back) for x in xs} for s in sols]
    if len(sols) > 1 and g.parameters:
        # keep the branch through the identity: x(y) = y at zero parameters
        zero = {p: 0 for p in g.parameters}
        sols = [s for s in sols if all(_simplify_zero(s[x].xreplace(zero) - x) == 0 for x in xs)]
    if not sols:
        raise TransformationError(f"{why}; sympy.solve finds no closed-form solution for "
                                  f"{', '.join(x.name for x in xs)}")
    if len(sols) > 1:
        raise TransformationError(f"{why}; the solution is not unique ({len(sols)} branches), so the "
                                  "transformed graph is not the graph of one function")
    return sols[0]
