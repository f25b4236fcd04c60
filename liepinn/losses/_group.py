r"""Training with the symmetry group itself: orbits of initial conditions and the variants that
use them (`Augment`, `Equivariant`).

If $u$ solves the PDE so does $g\cdot u$; for the solution operator $G: u_0 \mapsto u$ of a problem
that $g$ maps into itself, $G(g\cdot u_0) = g\cdot G(u_0)$. An IC is represented by its values;
for a transformation whose $\tilde x$ at $t = t_0$ depends on $x$ only (and fixes $t_0$),
$(g\cdot u_0)(y) = \tilde u(x, u_0(x))$ at $x = \tilde x^{-1}(y)$ (`liepinn.losses.act_on_values`).

An *orbit* is a strategy object: a finite transformation with one group parameter (or none,
for a discrete map) and the range its parameter is drawn from:

- `Translation(variable, range)`: $x \to x + \varepsilon$; default range: the full period;
- `Boost(range)`: Galilean boost $x \to x + \varepsilon t$, $u \to u + \varepsilon$ (Burgers);
  at $t_0 = 0$ it adds $\varepsilon$ to the IC (shifts its mean);
- `Scaling(range)`: $u \to \lambda u$ (linear PDEs);
- `Shift(range)`: $u \to u + \varepsilon$ (superposition with a constant solution: heat);
- `Reflection(images)`: a discrete map such as $x \to -x$, $u \to -u$.

Every orbit is checked to be a symmetry of the PDE (`FiniteTransformation.is_symmetry`) when a
run is assembled (`orbit_actions`); a periodic domain is what makes translations and boosts
map the problem to itself (checked there too).
"""

from __future__ import annotations

import dataclasses
import enum
import math
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from ._variants import AbstractVariant, NoScaling, Residual, _check_weight, parameter_values

_ORBITS: dict[str, type[AbstractOrbit]] = {}


def _check_range(name: str, rng) -> tuple[float, float] | None:
    if rng is None:
        return None
    try:
        lo, hi = (float(r) for r in rng)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: range must be two numbers (lo, hi), got {rng!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo <= hi):
        raise ValueError(f"{name}: range must be finite with lo <= hi, got {rng!r}")
    return lo, hi


@dataclasses.dataclass(frozen=True)
class AbstractOrbit:
    """A family of transformations $g_\\varepsilon$, $\\varepsilon$ uniform in `range`."""

    name: ClassVar[str]

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        if "name" in cls.__dict__:
            _ORBITS[cls.name] = cls

    def __post_init__(self):
        if "range" in {f.name for f in dataclasses.fields(self)}:
            object.__setattr__(self, "range", _check_range(self.name, self.range))

    def images(self, problem) -> dict[str, str]:
        """Variable name -> image, in the problem's variables and the group parameter `eps`."""
        raise NotImplementedError

    def parameter_range(self, problem) -> tuple[float, float]:
        """The range of $\\varepsilon$ (ValueError when there is no default for `problem`)."""
        rng = getattr(self, "range", None)
        if rng is None:
            raise ValueError(f"{self.name}: give a range for {problem.name!r}")
        return rng

    @property
    def discrete(self) -> bool:
        return False

    def transformation(self, problem):
        """The `FiniteTransformation` (group parameter `eps`, none when discrete). A problem
        with a parameter or variable named `eps` gets a fresh name (`eps_`) for the group
        parameter instead, so that the problem's value is never substituted for it."""
        import sympy as sp

        from ..symmetry import FiniteTransformation

        ft = FiniteTransformation(self.images(problem), problem.pde.jet, () if self.discrete else ("eps",),
                                  label=self.label)
        eps = group_parameter(problem)
        return ft if self.discrete or eps.name == "eps" else ft._renamed({sp.Symbol("eps"): eps})

    @property
    def label(self) -> str:
        return self.name

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"orbit": self.name}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            out[f.name] = list(v) if isinstance(v, tuple) else (dict(v) if isinstance(v, Mapping) else v)
        return out


@dataclasses.dataclass(frozen=True)
class Translation(AbstractOrbit):
    r"""$x \to x + \varepsilon$; default range: the full period $[0, L)$ of a periodic domain."""

    variable: str = "x"
    range: Sequence[float] | None = None
    name: ClassVar[str] = "translation"

    def images(self, problem):
        if self.variable not in problem.space:
            raise ValueError(f"translation: {self.variable!r} is not a space variable of {problem.name!r} "
                             f"({', '.join(problem.space)})")
        return {self.variable: f"{self.variable} + eps"}

    def parameter_range(self, problem):
        if self.range is not None:
            return self.range
        if not problem.periodic:
            raise ValueError(f"translation: {problem.name!r} is not periodic, so translations do not map its "
                             "domain to itself (no default range)")
        lo, hi = (float(b) for b in problem.domain[self.variable])
        return 0.0, hi - lo

    @property
    def label(self) -> str:
        return f"{self.variable} -> {self.variable} + eps"


@dataclasses.dataclass(frozen=True)
class Boost(AbstractOrbit):
    r"""Galilean boost $x \to x + c\,\varepsilon t$, $u \to u + \varepsilon$, the speed $c$ that of
    the boost in the problem's algebra (`liepinn.problems.admissible`): 1 for Burgers
    $u_t + u u_x = \nu u_{xx}$, 6 for KdV $u_t + 6 u u_x + u_{xxx} = 0$; 1 when the algebra has
    none (then it is not a symmetry, which `orbit_actions` reports). On a periodic domain it
    moves a zero-mean IC to mean $\varepsilon$. Default range: $[-1, 1]$."""

    range: Sequence[float] | None = (-1.0, 1.0)
    name: ClassVar[str] = "boost"

    def images(self, problem):
        x, t, u = problem.space[0], problem.independent[problem.time_index], problem.dependent[0]
        c = _boost_speed(problem)
        return {x: f"{x} + eps*{t}" if c == 1 else f"{x} + ({c})*eps*{t}", u: f"{u} + eps"}

    @property
    def label(self) -> str:
        return "x -> x + eps t, u -> u + eps"


@dataclasses.dataclass(frozen=True)
class Scaling(AbstractOrbit):
    r"""$u \to \varepsilon u$ (linear PDEs). Default range: $[0.5, 3]$."""

    range: Sequence[float] | None = (0.5, 3.0)
    name: ClassVar[str] = "scaling"

    def images(self, problem):
        u = problem.dependent[0]
        return {u: f"eps*{u}"}

    @property
    def label(self) -> str:
        return "u -> eps u"


@dataclasses.dataclass(frozen=True)
class Shift(AbstractOrbit):
    r"""$u \to u + \varepsilon$ (superposition with a constant solution). Default range: $[-1, 1]$."""

    range: Sequence[float] | None = (-1.0, 1.0)
    name: ClassVar[str] = "shift"

    def images(self, problem):
        u = problem.dependent[0]
        return {u: f"{u} + eps"}

    @property
    def label(self) -> str:
        return "u -> u + eps"


@dataclasses.dataclass(frozen=True)
class Reflection(AbstractOrbit):
    r"""A discrete map given by its images, e.g. `Reflection({"x": "-x", "u": "-u"})`."""

    mapping: Mapping[str, str] = dataclasses.field(default_factory=lambda: {"x": "-x"})
    name: ClassVar[str] = "reflection"

    def __post_init__(self):
        if not isinstance(self.mapping, Mapping) or not self.mapping:
            raise ValueError(f"reflection: images must be a non-empty mapping like {{'x': '-x'}}, got {self.mapping!r}")
        object.__setattr__(self, "mapping", {str(k): str(v) for k, v in self.mapping.items()})

    def __hash__(self):
        return hash(tuple(sorted(self.mapping.items())))

    @property
    def discrete(self) -> bool:
        return True

    def images(self, problem):
        return dict(self.mapping)

    def parameter_range(self, problem):
        return 0.0, 0.0

    @property
    def label(self) -> str:
        return ", ".join(f"{k} -> {v}" for k, v in self.mapping.items())


def group_parameter(problem):
    """The Symbol of an orbit's group parameter on `problem`: `eps`, or a fresh name when the
    problem already uses `eps` (a parameter such as a diffusivity, or a variable)."""
    from ..symmetry._reduce import _fresh

    taken = set(problem.parameters) | set(problem.independent) | set(problem.dependent)
    return _fresh("eps", taken)


def orbit_from_json(d) -> AbstractOrbit:
    """Inverse of `AbstractOrbit.to_json` (an orbit object passes through; a bare name gets the defaults)."""
    if isinstance(d, AbstractOrbit):
        return d
    d = {"orbit": d} if isinstance(d, str) else dict(d)
    name = d.pop("orbit", None)
    cls = _ORBITS.get(name)
    if cls is None:
        raise ValueError(f"unknown orbit {name!r}; known: {', '.join(sorted(_ORBITS))}")
    if "range" in d and d["range"] is not None:
        d["range"] = tuple(d["range"])
    return cls(**d)


def default_orbits(problem) -> tuple[AbstractOrbit, ...]:
    r"""The orbits that map `problem`'s IC family into ICs of the same problem (each kept only
    if `liepinn.problems.admissible` admits it for every parameter value): on a periodic
    domain, translations in each space variable over its full period and the Galilean
    boost over $[-1, 1]$; for linear PDEs, $u \to \lambda u$, $\lambda \in [0.5, 3]$, and
    $u \to u + c$, $c \in [-1, 1]$. Each candidate is kept only if it leaves the PDE invariant."""
    cands: list[AbstractOrbit] = []
    if problem.periodic:
        cands += [*(Translation(v) for v in problem.space), Boost()]
    cands += [Scaling(), Shift()]
    report = _report(problem)
    return tuple(o for o in cands if _is_symmetry(o, problem) and _admitted(o, problem, report))


def _is_symmetry(orbit: AbstractOrbit, problem) -> bool:
    return orbit.transformation(problem).is_symmetry(problem.pde_values())


_REPORTS: dict[str, Any] = {}


def _report(problem):
    """`liepinn.problems.admissible(problem)` (cached by fingerprint), None if it fails."""
    from ..problems import admissible, fingerprint

    key = fingerprint(problem)
    if key not in _REPORTS:
        try:
            _REPORTS[key] = admissible(problem)
        except Exception:  # noqa: BLE001 - the PDE-symmetry check above still applies
            _REPORTS[key] = None
    return _REPORTS[key]


def _boost_speed(problem):
    r"""$c$ of a basis subgroup $x \to x + a\varepsilon t$, $u \to u + b\varepsilon$ ($a$, $b \ne 0$
    constants, nothing else moved) of the problem's algebra, $c = a/b$; 1 when there is none."""
    import sympy as sp

    report = _report(problem)
    x, t, u = (sp.Symbol(n) for n in (problem.space[0], problem.time, problem.dependent[0]))
    for e in report or ():
        ft = e.transformation
        if ft is None or len(ft.parameters) != 1 or not e.name.startswith("v"):
            continue
        (p,) = ft.parameters
        img = ft.images
        if {z for z in ft.variables if img[z] != z} != {x, u}:
            continue
        a, b = sp.diff(img[x], p) / t, sp.diff(img[u], p)
        if a.free_symbols or b.free_symbols or b == 0 or a == 0:
            continue
        if sp.expand(img[x] - x - a * p * t) == 0 and sp.expand(img[u] - u - b * p) == 0:
            return sp.nsimplify(a / b)
    return sp.Integer(1)


def _admitted(orbit: AbstractOrbit, problem, report) -> bool:
    r"""Whether the admissibility report admits `orbit` for every $\varepsilon$: an entry with the
    same images (its parameter renamed to eps); `Shift` by the superposition entry on a
    periodic domain (constants solve the problem's boundary conditions there). No report: the
    orbit is kept (its PDE invariance is checked anyway)."""
    import sympy as sp

    if report is None:
        return True
    if isinstance(orbit, Shift) and problem.periodic and any(e.name == "superposition" and e.admissible
                                                             for e in report):
        return True
    mine = orbit.transformation(problem)
    eps = mine.parameters[0] if mine.parameters else sp.Symbol("eps")
    for e in report:
        ft = e.transformation
        if ft is None or not e.admissible or type(e.status).__name__ != "Admissible":
            continue
        if len(ft.parameters) != len(mine.parameters):
            continue
        ren = {p: eps for p in ft.parameters}
        if all(sp.simplify(ft.images[z].xreplace(ren) - mine.images[z]) == 0 for z in mine.variables):
            return True
        if len(mine.parameters) == 1 and _same_subgroup(ft, mine):
            return True
    return False


def _tangent(ft):
    """The generator of a one-parameter family of transformations: d(images)/d eps at the
    parameter value (0 or 1) where it is the identity; None if neither is."""
    import sympy as sp

    (eps,) = ft.parameters
    for e0 in (sp.Integer(0), sp.Integer(1)):
        if all(sp.simplify(ft.images[z].xreplace({eps: e0}) - z) == 0 for z in ft.variables):
            return [sp.simplify(sp.diff(ft.images[z], eps).xreplace({eps: e0})) for z in ft.variables]
    return None


def _same_subgroup(a, b) -> bool:
    r"""Two parametrisations of one one-parameter group ($u \to e^\varepsilon u$ and
    $u \to \lambda u$): their generators at the identity are proportional by a nonzero constant."""
    import sympy as sp

    if set(a.variables) != set(b.variables):
        return False
    ta, tb = _tangent(a), _tangent(b)
    if ta is None or tb is None:
        return False
    tb = dict(zip(b.variables, tb))
    tb = [tb[z] for z in a.variables]
    k = next((i for i, v in enumerate(tb) if v != 0), None)
    if k is None:
        return False
    c = sp.simplify(ta[k] / tb[k])
    if c == 0 or not c.is_number:
        return False
    return all(sp.simplify(x - c * y) == 0 for x, y in zip(ta, tb))


def orbit_actions(problem, orbits: Sequence[AbstractOrbit]):
    """[(orbit, GroupAction, (lo, hi))] for `orbits` on `problem`; ValueError when an orbit is not a
    symmetry of the PDE, moves the independent variables depending on u, moves $t_0$, or is
    not admitted by the problem for every parameter of its range (`liepinn.problems.admits`:
    domain, boundary data, time window), so that a hand-given orbit is held to the same
    standard as the defaults."""
    import sympy as sp

    from ._action import lower_transformation

    out = []
    t = sp.Symbol(problem.independent[problem.time_index])
    t0 = problem.t_span[0]
    for orbit in orbits:
        ft = orbit.transformation(problem)
        if not ft.is_symmetry(problem.pde_values()):
            raise ValueError(f"orbit {orbit.label!r} is not a symmetry of {problem.name!r} ({problem.pde})")
        if ft.points_depend_on_u:
            raise ValueError(f"orbit {orbit.label!r} moves the independent variables depending on u: its action "
                             "on an IC given by values is not pointwise")
        t_image = ft.images[t].subs(t, t0)
        if t_image.free_symbols - set(ft.parameters) or sp.simplify(t_image - t0) != 0:
            raise ValueError(f"orbit {orbit.label!r} moves t = {t0} (t -> {ft.images[t]}): it does not map ICs to ICs")
        rng = orbit.parameter_range(problem)
        _check_admitted(orbit, ft, problem, rng)
        action = lower_transformation(ft, values={sp.Symbol(k): sp.sympify(v) for k, v in problem.parameters.items()})
        out.append((orbit, action, rng))
    return out


def _check_admitted(orbit: AbstractOrbit, ft, problem, rng) -> None:
    r"""ValueError unless `problem` admits `ft` for every $\varepsilon$ of `rng` (a discrete map:
    the map itself), with the report's first reason."""
    from ..problems import Admissible, admits

    entry = admits(problem, ft, name=orbit.name)
    ok = isinstance(entry.status, Admissible) or (
        entry.status.admissible and ft.parameters and rng[0] == rng[1]
        and ft.at({ft.parameters[0]: rng[0]}).is_identity())
    if not ok:
        why = entry.reasons[0] if entry.reasons else entry.summary()
        which = "it" if not ft.parameters else f"it for every eps in [{rng[0]:g}, {rng[1]:g}]"
        only = "" if entry.status.kind == "none" or not ft.parameters else f" (admitted: {entry.summary()})"
        raise ValueError(f"orbit {orbit.label!r}: {problem.name!r} does not admit {which}{only}: {why}")


# ------------------------------------------------------------------------------------------
# variants


def _orbits(orbits) -> tuple[AbstractOrbit, ...] | None:
    if orbits is None or orbits == "default":
        return None
    if isinstance(orbits, (AbstractOrbit, str, Mapping)):
        orbits = (orbits,)
    out = tuple(orbit_from_json(o) for o in orbits)
    if not out:
        raise ValueError("orbits must be None (the problem's defaults) or a non-empty sequence of orbits")
    return out


def _copies(copies) -> int:
    if isinstance(copies, bool) or not isinstance(copies, int) or copies < 1:
        raise ValueError(f"copies must be an int >= 1, got {copies!r}")
    return copies


def _plain(value):
    """A field as JSON holds it (an enum by its value)."""
    return value.value if isinstance(value, enum.Enum) else value


class AbstractGroupVariant(AbstractVariant):
    """A variant that trains an IC-conditioned network on the residual plus what the group adds
    (extra ICs, a consistency term); `liepinn.runs.assemble` extends the run's data and loss."""

    orbits: Any
    copies: int

    def interior_loss(self, problem):
        return Residual().interior_loss(problem)

    @property
    def normaliser(self):
        return NoScaling()

    def resolved_orbits(self, problem) -> tuple[AbstractOrbit, ...]:
        return self.orbits if self.orbits is not None else default_orbits(problem)

    def actions(self, problem):
        """`orbit_actions` of the arm's orbits on `problem` (its defaults when none are given);
        ValueError naming the problem, the arm and how to give orbits when `problem` has one
        initial condition or admits none of the default orbits (a sweep asks before training)."""
        from ..problems import is_conditioned

        if not is_conditioned(problem):
            raise ValueError(f"the {self.name} variant trains an IC-conditioned network: {problem.name!r} has "
                             "one initial condition (give it an initial_family)")
        orbits = self.resolved_orbits(problem)
        if not orbits:
            raise ValueError(f"{problem.name!r} admits none of the default orbits (translations and the Galilean "
                             "boost on a periodic domain, u -> lambda u and u -> u + c where the problem admits "
                             f"them): give the {self.name} arm's orbits, `liepinn compare --orbits` (names such as "
                             f"reflection, or JSON) or {type(self).__name__}(orbits=(...)) in the Python API, e.g. "
                             "Reflection({'x': '-x'})")
        return orbit_actions(problem, orbits)

    def to_json(self) -> dict[str, Any]:
        return {"variant": self.name, "orbits": None if self.orbits is None else [o.to_json() for o in self.orbits],
                **{f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self) if f.name != "orbits"}}


@dataclasses.dataclass(frozen=True)
class Augment(AbstractGroupVariant):
    r"""Symmetry augmentation, data-free: train on the $n$ training ICs plus `copies` x $n$ ICs
    $g_\varepsilon\cdot u_0$ ($u_0$ a training IC, the orbit uniform among `orbits`, $\varepsilon$
    uniform in its range, drawn once per run); the residual and IC losses apply to them as to
    the originals. `orbits=None`: `default_orbits(problem)`."""

    orbits: Sequence[AbstractOrbit | Mapping | str] | AbstractOrbit | None = None
    copies: int = 1
    name: ClassVar[str] = "augment"

    def __post_init__(self):
        object.__setattr__(self, "orbits", _orbits(self.orbits))
        object.__setattr__(self, "copies", _copies(self.copies))


class HoldSource(enum.StrEnum):
    r"""Which equivariance terms hold the training IC's side $G(u_0)$ fixed (stop-gradient)."""

    UNIT_GAIN = "unit-gain"  # actions with gain dũ/du = 1 (translations, boosts, shifts); the others train both sides
    ALWAYS = "always"  # every action (the semi-gradient form; diverged on heat with u -> lambda u)


def unit_gain(problem, orbit: AbstractOrbit) -> bool:
    r"""Whether `orbit`'s action on the dependent variables has gain
    $J = \partial\tilde u/\partial u = I$ for every $\varepsilon$ (translations, boosts, shifts;
    not $u \to \lambda u$, nor $u \to -u$)."""
    import sympy as sp

    ft = orbit.transformation(problem)
    us = [sp.Symbol(d) for d in problem.dependent]
    return all(sp.simplify(sp.diff(ft.images.get(ui, ui), uj) - (1 if ui == uj else 0)) == 0
               for ui in us for uj in us)


@dataclasses.dataclass(frozen=True)
class Equivariant(AbstractGroupVariant):
    r"""Residual + IC losses on the training ICs, plus the equivariance (consistency) term
    $w\,\big\|J^{-1}\big(G(g\cdot u_0)(\tilde z) - \tilde u(z, G(u_0)(z))\big)\big\|^2$ at the
    collocation points $z$, $\tilde z = \tilde x(z)$, for `copies` pairs $(u_0, g_\varepsilon)$ per
    training IC (drawn once per run), $J = \partial\tilde u/\partial u$ the action's gain (a
    weight, held fixed: the mismatch is measured in the frame of $u_0$).

    Which side is trained (`hold_source`):

    - Gain 1 (translations, boosts, shifts): the side on the training IC is held fixed,
      $\mathrm{sg}[G(u_0)]$. It is anchored by the IC loss and the residual, $G(g\cdot u_0)$ has
      no IC term of its own; without the stop-gradient the term would also pull the anchored
      prediction towards the unanchored one. Stable on Burgers (the study's best arm).
    - Gain $\ne 1$ ($u \to \lambda u$): both sides are trained, so the term is a genuine loss
      $E(\theta)$ and the step follows $-\nabla(L + wE)$ of one fixed objective. Held fixed, it
      was a semi-gradient (a self-training target $\lambda\,\mathrm{sg}[G(u_0)]$): along the
      output scale $a$ (prediction $a f$) it moved $a$ at the rate $2w\,t(Js - t)/J^2 > 0$
      whenever $0 < t < Js$ ($s = f(u_0)$, $t = f(\lambda u_0)$, a sublinear answer), i.e. it
      grew the very target it chased, and heat with $\lambda \in [0.5, 3]$ diverged to errors
      ~300 (5 of 5 seeds; divided by $J$, 4 of 5; `examples/README.md`). As a loss,
      $E(a\theta_{\rm out}) = a^2 E$: along the output scale its gradient only shrinks $a$,
      and in every direction it is the gradient of the one objective, so descent with small
      enough steps lowers $L + wE$ and cannot feed back on its own target. Both sides
      shrinking to a trivially consistent pair ($G \equiv 0$) is excluded by the IC term and
      the residual, which pin $G(u_0)$ to the training IC; the cost is the pull of
      $G(u_0)$ towards $G(\lambda u_0)/\lambda$, which $w$ weighs against them.

    `HoldSource.ALWAYS` restores the semi-gradient for every orbit (for comparison only)."""

    orbits: Sequence[AbstractOrbit | Mapping | str] | AbstractOrbit | None = None
    copies: int = 1
    weight: float = 1.0
    hold_source: HoldSource | str = HoldSource.UNIT_GAIN
    name: ClassVar[str] = "equivariant"

    def __post_init__(self):
        object.__setattr__(self, "orbits", _orbits(self.orbits))
        object.__setattr__(self, "copies", _copies(self.copies))
        object.__setattr__(self, "weight", _check_weight(self.weight))
        try:
            object.__setattr__(self, "hold_source", HoldSource(self.hold_source))
        except ValueError:
            raise ValueError(f"equivariant: hold_source must be one of {[h.value for h in HoldSource]}, "
                             f"got {self.hold_source!r}") from None

    def holds_source(self, problem, orbit: AbstractOrbit) -> bool:
        """Whether the term of `orbit` holds the training IC's side fixed (stop-gradient)."""
        return self.hold_source is HoldSource.ALWAYS or unit_gain(problem, orbit)

    def term(self, problem) -> dict[str, str]:
        """How the term treats each orbit: {orbit label: "training side held fixed" or "both
        sides trained"}; stored with results so that a stale one is not reused."""
        return {o.label: "training side held fixed" if self.holds_source(problem, o) else "both sides trained"
                for o in self.resolved_orbits(problem)}


__all__ = ["AbstractOrbit", "Translation", "Boost", "Scaling", "Shift", "Reflection", "orbit_from_json",
           "default_orbits", "orbit_actions", "AbstractGroupVariant", "Augment", "Equivariant", "HoldSource", "unit_gain",
           "parameter_values"]
