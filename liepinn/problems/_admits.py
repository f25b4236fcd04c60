r"""What a problem admits: for which group elements $g$ the image $g \cdot u$ of every solution
of a `Problem` is again a solution of it.

A PDE symmetry maps solutions of the equation to solutions; a problem adds a domain box, a
time window $[t_0, T]$, boundary conditions, parameter values and an initial condition (or a
family of them). For each one-parameter subgroup $\exp(\varepsilon v)$ of the algebra's basis
and each discrete symmetry, this module decides symbolically, from the transformation's
images $(\tilde x, \tilde t, \tilde u)$ and not from the generator's name, for which
$\varepsilon$ the problem's set of solutions is mapped into itself:

- time slices go to time slices ($\tilde t$ depends on $t$ only) and $t_0$ stays fixed with
  time running forward; a pure shift $\tilde t = t + s$ is the semigroup property
  $G(u_0)(\cdot, t + s) = G(G(u_0)(\cdot, s))(\cdot, t)$ instead; a rescaled window is
  reported as an effect;
- periodic box: $\tilde x = A x + c(t)$ with $A$ constant, the period lattice $\Lambda$ inside
  $A \Lambda$ (i.e. $D^{-1} A^{-1} D$ an integer matrix, $D = \mathrm{diag}(L)$: translations
  modulo $L$, reflections, and scalings by $1/k$ only), $\tilde u$ periodic in $x$;
- bounded box (Dirichlet, Neumann): each face maps onto a face, the data onto the data;
- parameters keep their values (they are substituted before anything is decided).

The initial condition is an effect, not a requirement: "maps $u_0$ to itself" (the solution
is invariant), "changes $u_0$", or for a family (`SineSeries`) "stays in the family" /
"leaves the family: how". A condition "vanishes identically" is tested symbolically, with
random rational points to reject quickly and confirm what simplification cannot; the
$\varepsilon$ for which it vanishes come from `sympy.solve` at a random point, each checked
again identically. Linear problems also get the superposition $u \to u + \beta$ and the
amplitude scaling $u \to c\,u$.

Symbolic layer: sympy only, never JAX.
"""

from __future__ import annotations

import abc
import dataclasses
import random
from collections.abc import Callable, Iterable, Sequence

import sympy as sp

from ..symbolic._deadline import OutOfTime, deadline
from ..symmetry._generator import _numeric_zero, _simplify_zero
from ..symmetry._reduce import _fresh
from ..symmetry._transform import FiniteTransformation, TransformationError, _variables, act
from ._problem import AbstractInitialFamily, Dirichlet, Neumann, Periodic, Problem, SineSeries, SineSeriesND

__all__ = [
    "AbstractStatus", "Admissible", "AdmissibleFor", "NotAdmissible", "Semigroup", "Undecided",
    "Admission", "AdmissibilityReport", "admissible", "admits",
]


# -- statuses --------------------------------------------------------------------------------
class AbstractStatus(abc.ABC):
    """For which group parameters a transformation maps the problem's solutions into themselves."""

    kind: str = "abstract"
    admissible: bool = False

    @abc.abstractmethod
    def summary(self, parameter: str | None) -> str:
        """One line: `parameter` is the group parameter's name, None for a discrete map."""

    def to_dict(self) -> dict:
        return {"kind": self.kind, "admissible": self.admissible}


@dataclasses.dataclass(frozen=True)
class Admissible(AbstractStatus):
    """Every group parameter (a discrete map: the map itself)."""

    kind = "every"
    admissible = True

    def summary(self, parameter):
        return f"every {parameter}" if parameter else "admissible"


@dataclasses.dataclass(frozen=True)
class AdmissibleFor(AbstractStatus):
    r"""A discrete set of parameters, e.g. $\varepsilon = -\log k$, $k = 1, 2, \dots$.

    `values`: the set in words. `points`: its elements when finitely many (identity included);
    `lattice`: $\varepsilon(k)$ for $k = 1, 2, \dots$ (a positive integer Symbol ``k``) when
    it is one such family; both empty when only described.
    """

    values: str
    points: tuple = ()
    lattice: sp.Expr | None = None
    kind = "discrete"
    admissible = True

    def summary(self, parameter):
        return f"only {self.values}"

    def to_dict(self):
        return {**super().to_dict(), "values": self.values, "points": [sp.sstr(v) for v in self.points],
                "lattice": None if self.lattice is None else sp.sstr(self.lattice)}


@dataclasses.dataclass(frozen=True)
class NotAdmissible(AbstractStatus):
    """Only the identity ($\\varepsilon = 0$); a discrete map: not admissible."""

    kind = "none"
    admissible = False

    def summary(self, parameter):
        return "only the identity (not admissible)" if parameter else "not admissible"


@dataclasses.dataclass(frozen=True)
class Semigroup(AbstractStatus):
    r"""A time translation $\tilde t = t + s$: the semigroup property
    $G(u_0)(\cdot, t + s) = G(G(u_0)(\cdot, s))(\cdot, t)$, $0 \le s \le T - t_0$."""

    shift: str
    window: str
    kind = "semigroup"
    admissible = True

    def summary(self, parameter):
        return f"semigroup: u(., t + s) solves it from u(., s) (s = {self.shift}, {self.window})"

    def to_dict(self):
        return {**super().to_dict(), "shift": self.shift, "window": self.window}


@dataclasses.dataclass(frozen=True)
class Undecided(AbstractStatus):
    """No decision (e.g. no closed-form flow); `reason` says why."""

    reason: str
    kind = "undecided"
    admissible = False

    def summary(self, parameter):
        return f"undecided: {self.reason}"

    def to_dict(self):
        return {**super().to_dict(), "reason": self.reason}


# -- one entry and the report ------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Admission:
    """What a problem admits of one transformation.

    - `name`: ``"v3"`` for a basis subgroup, ``"discrete"``, ``"superposition"``, ``"amplitude"``.
    - `transformation`: the `FiniteTransformation` (None when no closed form was found).
    - `status`: an `AbstractStatus`. `reasons`: what restricts it, in words.
    - `effects`: what it does to the problem's data (time window, initial condition or family).
    - `generator`: the generator it comes from, as text ("" for others).
    """

    name: str
    transformation: FiniteTransformation | None
    status: AbstractStatus
    reasons: tuple[str, ...] = ()
    effects: tuple[str, ...] = ()
    generator: str = ""

    @property
    def admissible(self) -> bool:
        return self.status.admissible

    @property
    def parameter(self) -> str | None:
        g = self.transformation
        return str(g.parameters[0]) if g is not None and g.parameters else None

    def summary(self) -> str:
        return self.status.summary(self.parameter)

    def to_dict(self) -> dict:
        return {
            "name": self.name, "generator": self.generator,
            "transformation": None if self.transformation is None else self.transformation.to_dict(),
            "status": {**self.status.to_dict(), "summary": self.summary()},
            "reasons": list(self.reasons), "effects": list(self.effects),
        }


class AdmissibilityReport:
    """The `Admission` of every basis subgroup, discrete symmetry and linear operation of a problem."""

    def __init__(self, problem: Problem, entries: Sequence[Admission]):
        self.problem = problem
        self.entries: tuple[Admission, ...] = tuple(entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self):
        return iter(self.entries)

    def __getitem__(self, key: int | str) -> Admission:
        if isinstance(key, str):
            for e in self.entries:
                if e.name == key:
                    return e
            raise KeyError(f"no entry {key!r} (entries: {', '.join(e.name for e in self.entries)})")
        return self.entries[key]

    def admissible(self) -> tuple[Admission, ...]:
        return tuple(e for e in self.entries if e.admissible)

    def to_dict(self) -> dict:
        return {"problem": self.problem.name, "setting": _setting(self.problem),
                "entries": [e.to_dict() for e in self.entries]}

    def __str__(self) -> str:
        lines = [f"What {self.problem.name} admits ({_setting(self.problem)}):"]
        names = [e.name for e in self.entries]
        maps = [_short(str(e.transformation) if e.transformation is not None else e.generator, 60)
                for e in self.entries]
        wide_n = max([len(n) for n in names] + [4])
        wide_m = max([len(m) for m in maps] + [14])
        lines.append(f"  {'':{wide_n}}  {'transformation':{wide_m}}  admits")
        for e, n, m in zip(self.entries, names, maps):
            lines.append(f"  {n:{wide_n}}  {m:{wide_m}}  {e.summary()}")
            for r in e.reasons:
                lines.append(f"  {'':{wide_n}}    - {r}")
            for f in e.effects:
                lines.append(f"  {'':{wide_n}}    * {f}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"AdmissibilityReport({self.problem.name!r}, {len(self.entries)} entries)"


def _setting(problem: Problem) -> str:
    dom = ", ".join(f"{v} in [{sp.sstr(a)}, {sp.sstr(b)}]" for v, (a, b) in problem.domain.items())
    pars = ", ".join(f"{k} = {sp.sstr(v)}" for k, v in problem.parameters.items())
    return f"{dom}; {problem.boundary.kind}" + (f"; {pars}" if pars else "")


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


# -- deciding "vanishes identically" and for which parameters ---------------------------------
def _zero(expr) -> bool:
    """`expr` vanishes identically in all its symbols."""
    expr = sp.expand(sp.sympify(expr))
    if expr == 0:
        return True
    if not expr.free_symbols:
        value = sp.N(expr, 30)
        return value.is_number and abs(complex(value)) < 1e-25
    if not _numeric_zero(expr, 2, 7):
        return False
    return _simplify_zero(expr) == 0 or _numeric_zero(expr, 4, 11)


def _show(expr) -> str:
    return sp.sstr(sp.simplify(expr) if sp.count_ops(expr) < 60 else expr)


@dataclasses.dataclass(frozen=True)
class _Set:
    """A set of group parameters: all, finitely many values, or a described discrete set
    with a membership test."""

    kind: str  # "all", "values", "described"
    values: tuple = ()
    text: str = ""
    member: Callable | None = None
    branch: sp.Expr | None = None  # described sets: eps = branch(k), k a positive integer

    def intersect(self, other: _Set) -> _Set:
        if self.kind == "all":
            return other
        if other.kind == "all":
            return self
        if self.kind == "values" or other.kind == "values":
            vals, rest = (self, other) if self.kind == "values" else (other, self)
            if rest.kind == "values":
                return _Set("values", tuple(v for v in vals.values if any(_zero(v - w) for w in rest.values)),
                            text=vals.text or rest.text)
            return _Set("values", tuple(v for v in vals.values if rest.member(v)), text=vals.text)
        if self.text == other.text:
            return self
        a, b = self.member, other.member
        return _Set("described", text=f"{self.text} and {other.text}", member=lambda v: a(v) and b(v))

    def union(self, other: _Set) -> _Set:
        if self.kind == "all" or other.kind == "all":
            return _ALL
        if self.kind == "values" and other.kind == "values":
            return _Set("values", self.values + tuple(v for v in other.values
                                                       if not any(_zero(v - w) for w in self.values)),
                        text=self.text or other.text)
        return self if other.kind == "values" and not other.values else other


_ALL = _Set("all")
_NONE = _Set("values")


def _solve_zero(exprs: Iterable, eps: sp.Symbol | None, identity: Sequence) -> _Set:
    """The parameters for which every expression of `exprs` vanishes identically."""
    nonzero = [e for e in exprs if not _zero(e)]
    if not nonzero:
        return _ALL
    if eps is None:
        return _NONE
    candidates = list(identity)
    first = nonzero[0]
    rng = random.Random(5)
    point = {s: sp.Rational(rng.randint(505, 1513), 1009) for s in first.free_symbols - {eps}}
    equation = _as_equation(first.xreplace(point))
    note = "" if _roots_complete(equation, eps) else _MAYBE_MORE
    try:
        with deadline(1 if note else 5):  # an oscillating equation: sympy.solve rarely succeeds
            sols = sp.solve(equation, eps)
    except (OutOfTime, NotImplementedError, ValueError, TypeError):
        sols, note = [], _MAYBE_MORE
    if note:  # oscillating in eps: also the multiples of pi/4 in [0, 2 pi) (rotations, reflections)
        candidates += [sp.pi * k / 4 for k in range(1, 8)]
    for v in sols if isinstance(sols, list) else []:
        if isinstance(v, sp.Expr) and not v.free_symbols and abs(complex(sp.N(v, 30)).imag) < 1e-25:
            candidates.append(sp.re(v) if v.has(sp.I) else v)
    keep = []
    for v in candidates:
        if any(_zero(v - w) for w in keep):
            continue
        if all(_zero(e.xreplace({eps: v})) for e in nonzero):
            keep.append(v)
    return _Set("values", tuple(keep), text=note)


_MAYBE_MORE = "a transcendental condition: isolated values beyond those found are not excluded"


def _roots_complete(equation: sp.Expr, eps: sp.Symbol) -> bool:
    """Whether `sympy.solve` finds every real root: a polynomial in eps, or in real
    exponentials of eps (monotone); oscillating atoms (trigonometric, imaginary exponents)
    have infinitely many roots that it does not list."""
    for atom in equation.atoms(sp.Function, sp.Pow):
        if not atom.has(eps):
            continue
        if isinstance(atom, sp.exp):
            if atom.args[0].has(sp.I):
                return False
        elif isinstance(atom, sp.Pow):
            if atom.exp.has(eps) and (atom.base.has(sp.I) or atom.exp.has(sp.I)):
                return False
        else:
            return False
    return True


def _as_equation(expr: sp.Expr) -> sp.Expr:
    r"""An equation with the same real roots that `sympy.solve` handles faster: $a - b = 0$
    with $a/b$ a single exponential becomes $\log(a/b) = 0$ (e.g. a non-periodic factor)."""
    terms = sp.Add.make_args(sp.expand(expr))
    if len(terms) == 2:
        ratio = sp.powsimp(-terms[0] / terms[1], force=True)
        if isinstance(ratio, sp.exp) or (isinstance(ratio, sp.Mul) and ratio.has(sp.exp)):
            return sp.expand_log(sp.log(ratio), force=True)
    return expr


def _angles(entries: Sequence[sp.Expr], eps: sp.Symbol, member: Callable) -> _Set:
    r"""The $\varepsilon \in [0, 2\pi)$ at which the oscillating (trigonometric) entries of
    $D^{-1} A(\varepsilon)^{-1} D$ are all integers (`member`), e.g. the quarter turns of a
    rotation of a square torus: each entry takes the integer values $n$ of its (bounded) range,
    $\mathrm{entry}(\varepsilon) = n$ is solved, and every root (reduced modulo $2\pi$) is tested."""
    import math

    candidates = [sp.pi * k / 4 for k in range(8)]
    for e in entries:
        f = sp.lambdify(eps, e, "math")
        try:
            values = [float(f(2 * math.pi * j / 720)) for j in range(721)]
        except (TypeError, ValueError, ZeroDivisionError, OverflowError):
            return _Set("values", (), text=_MAYBE_MORE)
        for n in range(math.floor(min(values)), math.ceil(max(values)) + 1):
            try:
                with deadline(2):
                    roots = sp.solve(e - n, eps)
            except (OutOfTime, NotImplementedError, ValueError, TypeError):
                continue
            candidates += [r for r in roots if isinstance(r, sp.Expr) and not r.free_symbols
                           and abs(complex(sp.N(r, 30)).imag) < 1e-25]
    keep: list = []
    for v in candidates:
        v = sp.re(v) if v.has(sp.I) else v
        v = sp.nsimplify(v - 2 * sp.pi * sp.floor(sp.N(v / (2 * sp.pi), 30)))
        if not any(_zero(v - w) for w in keep) and member(v):
            keep.append(v)
    return _Set("values", tuple(sorted(keep, key=lambda v: float(v))), text=f"modulo 2 pi; {_MAYBE_MORE}")


def _describe(s: _Set, eps: sp.Symbol | None) -> str:
    if s.kind == "described":
        return s.text
    if s.kind == "values":
        return f"{eps} in {{{', '.join(sp.sstr(v) for v in s.values)}}}" if s.values else "no value"
    return f"every {eps}"


# -- the decision for one transformation --------------------------------------------------------
class _Decision:
    """Accumulates the parameter set and the reasons that restrict it."""

    def __init__(self, eps, identity):
        self.eps = eps
        self.identity = identity
        self.set = _ALL
        self.reasons: list[str] = []

    def require(self, exprs: Iterable, reason: str | Callable[[], str]) -> None:
        if not self.dead:
            self.restrict(_solve_zero(list(exprs), self.eps, self.identity), reason)

    @property
    def dead(self) -> bool:
        """Nothing but the identity is left: later requirements cannot change the verdict."""
        return self.set.kind == "values" and self.only_identity()

    def restrict(self, s: _Set, reason, *, say_set: bool = True) -> None:
        if self.dead:
            return
        before = self.set
        self.set = self.set.intersect(s)
        if s.kind != "all" and not _same(before, self.set):
            text = reason() if callable(reason) else reason
            if self.eps is not None and say_set:
                text += f" unless {_describe(s, self.eps)}" if _nontrivial(s, self.identity) else ""
            if s.kind == "values" and s.text:
                text += f" ({s.text})"
            self.reasons.append(text)

    def only_identity(self) -> bool:
        s = self.set
        return s.kind == "values" and all(any(_zero(v - w) for w in self.identity) for v in s.values)


def _same(a: _Set, b: _Set) -> bool:
    if a.kind != b.kind:
        return False
    if a.kind == "values":
        return len(a.values) == len(b.values)
    return a.text == b.text


def _nontrivial(s: _Set, identity) -> bool:
    return s.kind != "values" or any(not any(_zero(v - w) for w in identity) for v in s.values)


def _identity_values(g: FiniteTransformation) -> tuple:
    if not g.parameters:
        return ()
    p = g.parameters[0]
    return tuple(v for v in (sp.Integer(0), sp.Integer(1)) if g.at({p: v}).is_identity())


def admits(problem: Problem, transformation: FiniteTransformation, *, name: str = "",
           generator: str = "") -> Admission:
    r"""Whether and for which group parameter `transformation` maps the solutions of `problem`
    into themselves (see the module docstring).

    `transformation` (at most one group parameter) is taken to be a symmetry of the PDE; that
    is not checked here (`FiniteTransformation.verify` does). The problem's parameter values
    are substituted into its images first.
    """
    if not isinstance(problem, Problem):
        raise TypeError(f"problem must be a liepinn Problem, got {type(problem).__name__}")
    if not isinstance(transformation, FiniteTransformation):
        raise TypeError(f"transformation must be a FiniteTransformation, got {type(transformation).__name__}")
    jet = problem.pde.jet
    g = transformation
    if g.jet.independent != jet.independent or g.jet.dependent != jet.dependent:
        raise ValueError(f"{g.label or g} acts on {g.jet}, problem {problem.name!r} on {jet}")
    if len(g.parameters) > 1:
        raise ValueError(f"{g.label or g}: decide one group parameter at a time, got "
                         f"{', '.join(map(str, g.parameters))}")
    values = problem.parameter_symbols()
    clash = sorted(p.name for p in set(values) & set(g.parameters))
    if clash:  # the problem's value would be substituted for the group parameter
        raise ValueError(f"{g.label or g}: its group parameter {clash[0]} is also a parameter of problem "
                         f"{problem.name!r}; rename it")
    g = FiniteTransformation({z: e.xreplace(values) for z, e in g.images.items()}, jet, g.parameters, g.label)
    name = name or g.label or "map"
    return _Admit(problem, g).decide(name, generator)


class _Admit:
    def __init__(self, problem: Problem, g: FiniteTransformation):
        self.problem = problem
        self.g = g
        self.jet = problem.pde.jet
        self.t = sp.Symbol(problem.time)
        self.space = [sp.Symbol(v) for v in problem.space]
        self.deps = list(self.jet.dependent)
        self.eps = g.parameters[0] if g.parameters else None
        self.img = dict(g.images)
        self.d = _Decision(self.eps, _identity_values(g))
        self.effects: list[str] = []

    # each step narrows self.d.set and explains why
    def decide(self, name: str, generator: str) -> Admission:
        p, g, d = self.problem, self.g, self.d
        t, tau = self.t, self.img[self.t]
        t0, t1 = p.domain[p.time]
        moving = [z for z in self.space + self.deps if tau.has(z)]
        d.require([sp.diff(tau, z) for z in moving],
                  lambda: f"mixes time with {', '.join(map(str, moving))} (t -> {_show(tau)}): time slices "
                          "are not mapped to time slices")
        for x in self.space:
            d.require([sp.diff(self.img[x], u) for u in self.deps],
                      lambda x=x: f"{x} -> {_show(self.img[x])} depends on the solution: the image is not a "
                                  "function on the same domain")
        shift = sp.expand(tau - t)
        semigroup = self.eps is not None and not shift.has(t) and not _zero(shift)
        if not semigroup:
            d.require([tau.xreplace({t: t0}) - t0],
                      lambda: f"moves the initial time {sp.sstr(t0)} to {_show(tau.xreplace({t: t0}))}")
            self._forward(tau, t0)
        if isinstance(p.boundary, Periodic):
            self._periodic()
        else:
            self._box()
        if d.set.kind == "values" and not d.set.values or d.only_identity():
            status = NotAdmissible()
        elif semigroup:
            status = Semigroup(shift=_show(-shift), window=f"0 <= s <= {sp.sstr(t1 - t0)}")
            if p.initial_family is not None:
                self.effects.append("the initial data become u(., s), the solution at time s: a member of the "
                                    "initial condition family only where the family is invariant under the flow")
            else:
                self.effects.append("the initial data become u(., s), the solution at time s")
            self.effects.append(f"the time window [{sp.sstr(t0)}, {sp.sstr(t1)}] shortens to "
                                f"[{sp.sstr(t0)}, {sp.sstr(t1)} - s]")
        else:
            if d.set.kind == "all":
                status = Admissible()
            else:
                status = AdmissibleFor(_describe(d.set, self.eps), points=d.set.values, lattice=d.set.branch)
            self._window(tau, t0, t1)
            if d.set.kind == "values":  # finitely many elements: the initial data under each
                for v in d.set.values:
                    if any(_zero(v - w) for w in d.identity):
                        continue
                    one = _Admit(p, g.at({self.eps: v}))
                    one._initial(t0)
                    self.effects += [f"at {self.eps} = {sp.sstr(v)}: {f}" for f in one.effects]
            elif d.set.kind == "described" and d.set.branch is not None:
                one = _Admit(p, g.at({self.eps: d.set.branch}))
                one._initial(t0)
                self.effects += [f"at {self.eps} = {sp.sstr(d.set.branch)}: {f}" for f in one.effects]
            else:
                self._initial(t0)
        return Admission(name, g, status, tuple(d.reasons), tuple(self.effects), generator)

    def _forward(self, tau, t0):
        rate = sp.diff(tau, self.t).xreplace({self.t: t0})
        if self.eps is None:
            sign = sp.N(rate, 20)
            if sign.is_number and sign.is_real and sign < 0:
                self.d.restrict(_NONE, f"reverses time (t -> {_show(tau)}): the window runs backwards")
        elif self.d.set.kind == "values":
            bad = [v for v in self.d.set.values if sp.N(rate.xreplace({self.eps: v}), 20) < 0]
            if bad:
                keep = tuple(v for v in self.d.set.values if v not in bad)
                self.d.restrict(_Set("values", keep), f"reverses time for {self.eps} in {bad}")

    # -- space ------------------------------------------------------------------------------------
    def _periodic(self):
        d, img, xs = self.d, self.img, self.space
        n = len(xs)
        A = sp.Matrix(n, n, lambda i, j: sp.diff(img[xs[i]], xs[j]))
        varying = [sp.diff(a, z) for a in A for z in xs + [self.t] + self.deps]
        d.require(varying, lambda: "does not map the period lattice to itself: "
                  + ", ".join(f"{x} -> {_show(img[x])}" for x in xs if img[x] != x)
                  + " is not a fixed linear map plus a shift (it rescales space with time)")
        lengths = [self.problem.domain[str(x)][1] - self.problem.domain[str(x)][0] for x in xs]
        D = sp.diag(*lengths)
        if d.set.kind != "values" or d.set.values:
            lattice = self._lattice(A, D)
            d.restrict(lattice, lambda: "rescales the periods ("
                       + ", ".join(f"{x} -> {_show(img[x])}" for x in xs if img[x] != x)
                       + "): the image is periodic with the problem's periods only for "
                       + _describe(lattice, self.eps), say_set=False)
        for u in self.deps:
            f = img[u]
            for x, L in zip(xs, lengths):
                if d.dead:
                    return
                cond = f.xreplace({x: x + L}) - f
                found = _solve_zero([cond], self.eps, d.identity)
                if found.kind == "values" and found.text:
                    found = self._phase_lattice(f, x, L, cond) or found
                d.restrict(found, lambda f=f, x=x, L=L, u=u: f"{u} -> {_show(f)} is not periodic in {x} with period "
                                                             f"{sp.sstr(L)}: the image is not a periodic function")

    def _phase_lattice(self, f, x, L, cond) -> _Set | None:
        r"""Phases $e^{i \omega(arepsilon) x}$ in $	ilde u$: periodic where $\omega L \in 2\pi\mathbb{Z}$
        (e.g. the Galilean boost of NLS on a periodic box)."""
        eps, k = self.eps, sp.Symbol("k", integer=True)
        omegas = []
        for atom in f.atoms(sp.exp):
            arg = sp.expand(atom.args[0])
            if arg.has(sp.I) and arg.has(eps) and arg.has(x):
                omega = sp.simplify(sp.diff(arg, x) / sp.I)
                if omega.free_symbols <= {eps} and not any(_zero(omega - w) or _zero(omega + w) for w in omegas):
                    omegas.append(omega)

        def member(v) -> bool:
            return _zero(cond.xreplace({eps: v}))

        for omega in omegas:
            try:
                with deadline(5):
                    branches = sp.solve(omega * L - 2 * sp.pi * k, eps)
            except (OutOfTime, NotImplementedError, ValueError, TypeError):
                continue
            good = [b for b in branches if isinstance(b, sp.Expr) and all(member(b.xreplace({k: j})) for j in (1, 2, -1))]
            if good:
                text = " or ".join(f"{eps} = {sp.sstr(b)}" for b in good) + ", k integer"
                return _Set("described", text=text, member=member)
        return None

    def _lattice(self, A, D) -> _Set:
        eps = self.eps
        try:
            M = (D.inv() * A.inv() * D).applyfunc(sp.simplify)
        except (ValueError, ZeroDivisionError):
            return _NONE

        def integral(m) -> bool:
            v = sp.N(m, 30)
            if not (v.is_number and abs(complex(v).imag) < 1e-20):
                return False
            return abs(float(sp.re(v)) - round(float(sp.re(v)))) < 1e-12

        def member(v) -> bool:
            Mv = M.xreplace({eps: v}) if eps is not None else M
            if any(e.free_symbols for e in Mv):
                return False
            return all(integral(e) for e in Mv) and Mv.det() != 0

        if eps is None or not any(e.has(eps) for e in M):
            return _ALL if not any(e.free_symbols for e in M) and member(0) else _NONE
        if any(e.free_symbols - {eps} for e in M):
            return _Set("described", text=f"{eps} with constant D^-1 A^-1 D", member=member)
        moving = []
        for e in M:
            if e.has(eps) and not any(_zero(e - m) for m in moving):
                moving.append(e)
        fixed = [e for e in M if not e.has(eps)]
        text = f"{eps} with D^-1 A({eps})^-1 D an integer matrix"
        if len(moving) > 1 and all(integral(e) for e in fixed) and not any(_roots_complete(e, eps) for e in moving):
            return _angles(moving, eps, member)
        if len(moving) == 1 and all(integral(e) for e in fixed):
            k = sp.Symbol("k", integer=True)
            try:
                with deadline(10):
                    sols = sp.solve(sp.Eq(moving[0], k), eps)
            except (OutOfTime, NotImplementedError, ValueError, TypeError):
                sols = []

            def real_at(s, ks):
                return all(abs(complex(sp.N(s.xreplace({k: j}), 20)).imag) < 1e-15 for j in ks)

            branches = [s for s in sols if isinstance(s, sp.Expr) and real_at(s, (1, 2, 3))]
            if branches:
                ks = "k = +-1, +-2, ..." if all(real_at(s, (-1, -2)) for s in branches) else "k = 1, 2, 3, ..."
                text = " or ".join(f"{eps} = {sp.sstr(sp.expand_log(s, force=True))}" for s in branches) + f", {ks}"
                if len(branches) == 1 and ks.startswith("k = 1"):
                    positive = sp.Symbol("k", integer=True, positive=True)
                    return _Set("described", text=text, member=member,
                                branch=sp.expand_log(branches[0], force=True).xreplace({k: positive}))
        return _Set("described", text=text, member=member)

    def _box(self):
        p, d, img, xs = self.problem, self.d, self.img, self.space
        bc = p.boundary
        faces = [(x, c) for x in xs for c in p.domain[str(x)]]
        prolonged = None
        if isinstance(bc, Neumann):
            try:
                prolonged = self.g.prolong(1)
            except TransformationError as e:
                d.restrict(_NONE, f"cannot transform the Neumann data: {e}")
                return
        data = {sp.Symbol(k): v for k, v in bc.values.items()} if isinstance(bc, (Dirichlet, Neumann)) else {}
        for x, c in faces:
            on = {x: c}
            where = lambda x=x, c=c: ", ".join(  # noqa: E731
                f"{y} -> {_show(img[y].xreplace({x: c}))}" for y in xs if img[y].xreplace({x: c}) != y)
            if d.dead:
                return
            hit = _NONE
            for y, c2 in faces:
                hit = hit.union(_solve_zero([img[y].xreplace(on) - c2], self.eps, self.d.identity))
                if hit.kind == "all":
                    break
            d.restrict(hit, lambda x=x, c=c, where=where: f"maps the face {x} = {sp.sstr(c)} off the box "
                       f"({where()}): the domain leaves the box")
            if isinstance(bc, Dirichlet):
                on_data = {u: data.get(u, sp.S.Zero) for u in self.deps}
                moved = {z: img[z] for z in xs + [self.t]}
                conds = [(img[u].xreplace(on_data) - data.get(u, sp.S.Zero).xreplace(moved)).xreplace(on)
                         for u in self.deps]
                d.require(conds, lambda x=x, c=c: f"does not map the Dirichlet data to the data on {x} = "
                          f"{sp.sstr(c)} (u -> " + ", ".join(_show(img[u]) for u in self.deps) + ")")
            elif isinstance(bc, Neumann):
                i = self.jet.index(x)
                first = {self.jet.jet(a, tuple(int(k == i) for k in range(self.jet.p))): data.get(u, sp.S.Zero)
                         for a, u in enumerate(self.deps)}
                moved = {z: img[z] for z in xs + [self.t]}
                hit = _NONE
                for y, c2 in faces:
                    j = self.jet.index(y)
                    conds = [img[y].xreplace(on) - c2]
                    for a, u in enumerate(self.deps):
                        du = prolonged[self.jet.jet(a, tuple(int(k == j) for k in range(self.jet.p)))]
                        conds.append((du.xreplace(first) - data.get(u, sp.S.Zero).xreplace(moved)).xreplace(on))
                    hit = hit.union(_solve_zero(conds, self.eps, self.d.identity))
                    if hit.kind == "all":
                        break
                d.restrict(hit, lambda x=x, c=c: f"does not map the Neumann data to the data on {x} = {sp.sstr(c)}")

    # -- effects ----------------------------------------------------------------------------------
    def _window(self, tau, t0, t1):
        end = tau.xreplace({self.t: t1})
        if _zero(end - t1):
            return
        factor = sp.simplify((end - t0) / (t1 - t0))
        self.effects.append(f"stretches the time window by a factor {sp.sstr(factor)}: [{sp.sstr(t0)}, "
                            f"{sp.sstr(t1)}] -> [{sp.sstr(t0)}, {_show(end)}]")

    def _initial(self, t0):
        p, g = self.problem, self.g
        if p.initial is not None:
            u0 = {sp.Symbol(k): v for k, v in p.initial.items()}
            try:
                image = act(g, u0)
            except (TransformationError, ValueError, NotImplementedError) as e:
                self.effects.append(f"initial condition: image not computed ({e})")
                return
            image = {u: e.xreplace({self.t: t0}) for u, e in image.items()}
            if all(_zero(image[u] - u0[u]) for u in self.deps):
                self.effects.append("maps the initial condition to itself: the solution is invariant")
            else:
                shown = ", ".join(f"{u} = {_short(_show(image[u]), 80)}" for u in self.deps)
                self.effects.append(f"changes the initial condition to {shown}: the image solves the "
                                    "problem with that initial condition")
        if p.initial_family is not None:
            self.effects.append("initial condition family: " + _family_effect(p.initial_family, self, t0))

    def inverse_at(self, t0) -> dict | None:
        try:
            back = self.g.inverse()
        except TransformationError:
            return None
        return {x: back.images[x].xreplace({self.t: t0}) for x in self.space}


def _family_effect(family: AbstractInitialFamily, work: _Admit, t0) -> str:
    analyse = _FAMILIES.get(type(family))
    if analyse is None:
        return f"membership in {type(family).__name__} not decided"
    return analyse(family, work, t0)


def _sine_series(family: SineSeries | SineSeriesND, work: _Admit, t0) -> str:
    r"""$u_0 = \sum_j A_j \sin(2\pi \sum_i l_{ji} (x_i - lo_i)/L_i + \varphi_j)$ under
    $\tilde u = \alpha u + \beta$, $x = M \tilde x + c$: the phases absorb $c$ and the signs of
    $\alpha$ and of the wavevectors, the amplitudes scale by $|\alpha|$, the wavevectors go to
    $l \to D M^T D^{-1} l$ ($D = \mathrm{diag}(L)$; in one dimension the wavenumbers scale by
    $|M|$), which keeps the family when it is a signed permutation (every $|l_i|$ allowed), and
    $\beta$ adds a mean."""
    img = work.img
    nd = isinstance(family, SineSeriesND)
    names = family.variables if nd else (family.variable,)
    lengths = family.lengths if nd else (family.length,)
    xs = [sp.Symbol(v) for v in names]
    u = sp.Symbol(family.dependent)
    if u not in img or any(x not in img for x in xs):
        return f"{family.dependent}({', '.join(names)}) is not a variable of the problem"
    f = img[u].xreplace({work.t: t0})
    alpha = sp.diff(f, u)
    if not _zero(sp.diff(alpha, u)):
        return f"leaves the family: {u} -> {_show(img[u])} is not linear in {u}"
    beta = sp.sympify(f.xreplace({u: sp.S.Zero}))
    back = work.inverse_at(t0)
    if back is None:
        return "not decided (x~ cannot be inverted in closed form)"
    alpha, beta = alpha.xreplace(back), beta.xreplace(back)
    M = sp.Matrix([[sp.diff(back[xi], xj) for xj in xs] for xi in xs])
    out = []
    if any(alpha.has(y) for y in work.space):
        out.append(f"multiplies {u}0 by {_show(alpha)}, not a constant")
    elif not _zero(alpha ** 2 - 1):
        out.append(f"scales the amplitudes by {_show(alpha)}")
    if not _zero(beta):
        if any(beta.has(y) for y in work.space):
            out.append(f"adds {_show(beta)} (not a sum of sines)")
        else:
            out.append(f"adds the constant {_show(beta)}: moves the zero-mean family to mean {_show(beta)}")
    flips = not _zero(alpha - 1)
    if any(m.has(y) for m in M for y in work.space):
        where = ", ".join(f"{x} = {_show(back[x])}" for x in xs)
        out.append(f"bends {'space' if nd else xs[0]} ({where}): not a sum of sines")
    elif not nd:
        (m,) = M
        flips = flips or not _zero(m - 1)
        if not _zero(m ** 2 - 1):
            out.append(f"multiplies the wavenumbers {list(family.wavenumbers)} by {_show(m)}")
    else:
        D = sp.diag(*lengths)
        W = (D * M.T * D.inv()).applyfunc(sp.simplify)
        flips = flips or not all(_zero(W[i, j] - int(i == j)) for i in range(W.rows) for j in range(W.cols))
        if not _signed_permutation(W):
            out.append(f"maps the wavevectors l to {sp.sstr(W.tolist())} l: not all |l_i| in "
                       f"{list(family.wavenumbers)}")
    if out:
        return "leaves the family: " + "; ".join(out)
    return "stays in the family (shifted phases" + (", amplitude signs absorbed in the phases" if flips else "") + ")"


def _signed_permutation(W: sp.Matrix) -> bool:
    return all(sum(1 for e in W.row(i) if _zero(e ** 2 - 1)) == 1
               and sum(1 for e in W.row(i) if not _zero(e)) == 1 for i in range(W.rows)) and \
        all(sum(1 for e in W.col(j) if not _zero(e)) == 1 for j in range(W.cols))


_FAMILIES: dict[type, Callable[[AbstractInitialFamily, _Admit, sp.Expr], str]] = {
    SineSeries: _sine_series, SineSeriesND: _sine_series}


# -- the report -------------------------------------------------------------------------------------
def _linear_entries(problem: Problem, algebra) -> list[Admission]:
    jet = problem.pde.jet
    out = []
    sup = algebra.superposition
    images = {u: u + sup.phi.get(u, sp.S.Zero) for u in jet.dependent}
    g = FiniteTransformation(images, jet, (), "u -> u + beta")
    bc = problem.boundary
    need = {"periodic": "beta periodic with the same periods",
            "dirichlet": "beta = 0 on the boundary (homogeneous Dirichlet data)",
            "neumann": "d beta/dx = 0 on the boundary (homogeneous Neumann data)"}.get(bc.kind, "beta compatible")
    homogeneous = not isinstance(bc, (Dirichlet, Neumann)) or all(_zero(v) for v in bc.values.values())
    effects = [f"beta any solution of the PDE with {need}"
               + ("" if homogeneous else "; the problem's own boundary data are kept"),
               f"adds beta(., {sp.sstr(problem.domain[problem.time][0])}) to the initial condition"
               + (": the sum of two family members has up to twice the terms, so it leaves the family"
                  if problem.initial_family is not None else "")]
    out.append(Admission("superposition", g, Admissible(), (), tuple(effects),
                         " + ".join(f"{sp.sstr(v)}*d/d{u}" for u, v in sup.phi.items())))
    c = _fresh("c", {*problem.parameters, *map(str, _variables(jet))})  # not a parameter of the PDE
    scale = FiniteTransformation({u: c * u for u in jet.dependent}, jet, (c,), f"u -> {c}*u")
    out.append(admits(problem, scale, name="amplitude", generator=f"u -> {c}*u, {c} != 0"))
    return out


def _infinite_translations(problem: Problem, algebra, pde) -> list[Admission]:
    r"""The translations $z \to z + \varepsilon$ that are symmetries of the PDE at the problem's
    parameter values but lie outside the finite basis: members of an infinite family (the wave
    equation's $F_1(x, t)\partial_x + F_2(x, t)\partial_t$, advection's $\xi(x, t, u)\partial_x$,
    ...), named ``"x-translation"``."""
    from ..symmetry._generator import Generator

    jet = problem.pde.jet
    out = []
    for z in jet.independent:
        eps = _fresh("eps", {*problem.parameters, *map(str, _variables(jet))})
        g = FiniteTransformation({z: z + eps}, jet, (eps,), f"{z} -> {z} + {eps}")
        if algebra.contains(Generator({z: 1}, {}, jet)) or not g.is_symmetry(pde):
            continue
        out.append(admits(problem, g, name=f"{z}-translation", generator=f"∂{z} (in an infinite family)"))
    return out


def violated_assumptions(algebra, problem: Problem) -> list:
    """The assumptions of `algebra` on the PDE's parameters (such as $n \ne 1$) that the
    problem's parameter values violate: then the algebra is not the problem's (it may be larger)."""
    values = problem.parameter_symbols()
    return [a for a in algebra.assumptions if sp.sympify(a).xreplace(values) == sp.false]


def admissible(problem: Problem, algebra=None, *, subgroups=None) -> AdmissibilityReport:
    r"""What `problem` admits: every one-parameter subgroup $\exp(\varepsilon_k v_k)$ of the
    algebra's basis, the translations that only an infinite family contains, every discrete
    symmetry and, for linear problems, superposition and amplitude scaling, each with an
    `AbstractStatus`, reasons and effects.

    **Arguments:**

    - `problem`: a `Problem` (its parameter values are used throughout).
    - `algebra`: its `SymmetryAlgebra`; default: computed for the PDE at the problem's
      parameter values. An algebra with symbolic parameters gets the values substituted; one
      whose assumptions the values violate (`violated_assumptions`) is recomputed at them.
    - `subgroups`: `transformations(algebra)` when already computed (the flows are the slow part).
    """
    if not isinstance(problem, Problem):
        raise TypeError(f"problem must be a liepinn Problem, got {type(problem).__name__}")
    from ..symmetry import symmetries
    from ..symmetry._discrete import discrete_symmetries
    from ..symmetry._transform import transformations

    pde = problem.pde_values()
    if algebra is not None and algebra.pde.jet != problem.pde.jet:
        raise ValueError(f"the algebra is of a PDE on {algebra.pde.jet}, problem {problem.name!r} is on "
                         f"{problem.pde.jet}")
    if algebra is None or violated_assumptions(algebra, problem):
        algebra, subgroups = symmetries(pde), None  # e.g. n = 1 in u_t + u^n u_x = u_xx: the boost appears
    entries = []
    if subgroups is None:
        subgroups = transformations(algebra)
    elif subgroups.algebra is not algebra:
        raise ValueError("subgroups must be transformations(algebra) of the algebra given")
    for k, (v, g, why) in enumerate(zip(algebra.basis, subgroups.subgroups, subgroups.failures), 1):
        if g is None:
            entries.append(Admission(f"v{k}", None, Undecided(f"no closed-form flow ({why})"), generator=str(v)))
        else:
            entries.append(admits(problem, g, name=f"v{k}", generator=str(v)))
    if algebra.infinite:
        entries += _infinite_translations(problem, algebra, pde)
    for k, h in enumerate(discrete_symmetries(pde), 1):
        entries.append(admits(problem, h, name=f"d{k}", generator=h.label))
    if algebra.superposition is not None:
        entries += _linear_entries(problem, algebra)
    return AdmissibilityReport(problem, entries)
