"""Problems: a PDE plus its domain, initial and boundary conditions and parameter values.

Sympy and numpy only at import time (the catalogue imports every `pdes/` module); JAX is
imported only by `SineSeries.sample` with a JAX key. The numeric layer builds its
`liepinn.derivatives.Box` from `Problem.bounds`.
"""

from __future__ import annotations

import abc
import dataclasses
import functools
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
import sympy as sp

from ..symbolic._parse import PDEInputError, parse_expression, parse_value
from ..symbolic._pde import PDE

__all__ = [
    "AbstractBoundary",
    "Dirichlet",
    "Neumann",
    "Periodic",
    "AbstractInitialFamily",
    "SineSeries",
    "SineSeriesND",
    "Problem",
    "Bounds",
]


# -- conditions ----------------------------------------------------------------------------
class AbstractBoundary(abc.ABC):
    """A boundary condition on the spatial interval (both ends)."""

    kind: str = "abstract"

    def describe(self) -> dict:
        return {"kind": self.kind}


@dataclasses.dataclass(frozen=True)
class Periodic(AbstractBoundary):
    r"""Periodic in every spatial variable: $u(x + L) = u(x)$ with $L = hi - lo$."""

    kind = "periodic"


def _expr_dict(values, what: str) -> dict[str, Any]:
    if values is None:
        return {}
    if not isinstance(values, Mapping):
        raise TypeError(
            f"{what} values must be a dict dependent-variable name -> expression, got "
            f"{type(values).__name__}"
        )
    out = {}
    for k, v in values.items():
        name = k.name if isinstance(k, sp.Symbol) else getattr(k, "__name__", k)
        if not isinstance(name, str):
            raise TypeError(f"{what}: key {k!r} is not a variable name")
        out[name] = v
    return out


@dataclasses.dataclass(frozen=True)
class Dirichlet(AbstractBoundary):
    r"""Prescribed values $u^a = g_a(x, t)$ at both ends of the interval.

    `values` maps a dependent variable (name) to an expression in the independent variables
    (strings are parsed); variables left out are zero.
    """

    values: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    kind = "dirichlet"

    def __post_init__(self):
        object.__setattr__(self, "values", _expr_dict(self.values, "Dirichlet"))

    def describe(self) -> dict:
        return {"kind": self.kind, "values": {k: sp.sstr(v) for k, v in self.values.items()}}


@dataclasses.dataclass(frozen=True)
class Neumann(AbstractBoundary):
    r"""Prescribed $x$-derivatives $\partial_x u^a = g_a(x, t)$ at both ends of the interval.

    (The derivative along $+x$, not the outward normal.) Variables left out are zero.
    """

    values: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    kind = "neumann"

    def __post_init__(self):
        object.__setattr__(self, "values", _expr_dict(self.values, "Neumann"))

    def describe(self) -> dict:
        return {"kind": self.kind, "values": {k: sp.sstr(v) for k, v in self.values.items()}}


# -- families of initial conditions -----------------------------------------------------------
class AbstractInitialFamily(abc.ABC):
    """A random family of initial conditions (for IC-conditioned training)."""

    @abc.abstractmethod
    def sample(self, key, n: int) -> list[sp.Expr]:
        """`n` initial conditions (sympy expressions in the spatial variable)."""

    @abc.abstractmethod
    def describe(self) -> dict:
        """JSON-ready description."""


def _uniform(key, shape, lo, hi):
    """U(lo, hi) draws from an int seed, a numpy Generator or a JAX PRNG key (float64 numpy)."""
    if isinstance(key, (int, np.integer)):
        return np.random.default_rng(int(key)).uniform(lo, hi, shape)
    if isinstance(key, np.random.Generator):
        return key.uniform(lo, hi, shape)
    import jax  # a JAX key: draw with JAX so results follow JAX's key discipline

    with jax.enable_x64(True):
        return np.asarray(jax.random.uniform(key, shape, minval=lo, maxval=hi, dtype="float64"))


def _split3(key):
    if isinstance(key, (int, np.integer)):
        seeds = np.random.SeedSequence(int(key)).spawn(3)
        return [np.random.default_rng(s) for s in seeds]
    if isinstance(key, np.random.Generator):
        return [key, key, key]
    import jax

    return list(jax.random.split(key, 3))


class _SineFamily(AbstractInitialFamily):
    """A family given by random coefficients (A, l, phi): members drawn by `sample_coefficients`."""

    def sample(self, key, n: int) -> list[sp.Expr]:
        """`n` members as sympy expressions; `key` an int seed, numpy Generator or JAX key."""
        amp, ell, phase = self.sample_coefficients(key, n)
        return [self.expression(a, l, p) for a, l, p in zip(amp, ell, phase)]


@dataclasses.dataclass(frozen=True)
class SineSeries(_SineFamily):
    r"""Sums of sines $u_0(x) = \sum_{j=1}^J A_j \sin(2\pi l_j (x - lo) / L + \varphi_j)$.

    $A_j \sim U(a_{lo}, a_{hi})$, $l_j$ uniform over `wavenumbers`, $\varphi_j \sim U(0, 2\pi)$:
    the family of Brandstetter, Worrall & Welling, "Lie point symmetry data augmentation for
    neural PDE solvers", ICML 2022 (J = 5), used by Akhound-Sadegh et al., NeurIPS 2023.
    Each member is $L$-periodic.

    **Arguments:**
    - `length`: the period $L$.
    - `terms`: $J$. `amplitude`: $(a_{lo}, a_{hi})$. `wavenumbers`: the allowed $l$.
    - `variable`, `dependent`: names of $x$ and $u$. `lo`: the left end of the domain.
    """

    length: Any
    terms: int = 5
    amplitude: tuple[float, float] = (-0.5, 0.5)
    wavenumbers: tuple[int, ...] = (1, 2, 3)
    variable: str = "x"
    dependent: str = "u"
    lo: Any = 0

    def __post_init__(self):
        object.__setattr__(self, "length", _exact(self.length, "SineSeries length"))
        object.__setattr__(self, "lo", _exact(self.lo, "SineSeries lo"))
        if not (isinstance(self.terms, int) and self.terms >= 1):
            raise ValueError(f"SineSeries terms must be a positive int, got {self.terms!r}")
        if not self.wavenumbers or any(int(k) != k or k < 1 for k in self.wavenumbers):
            raise ValueError(f"SineSeries wavenumbers must be positive ints, got {self.wavenumbers!r}")
        object.__setattr__(self, "wavenumbers", tuple(int(k) for k in self.wavenumbers))
        a, b = self.amplitude
        if not float(a) < float(b):
            raise ValueError(f"SineSeries amplitude range must have lo < hi, got {self.amplitude!r}")
        if float(self.length) <= 0:
            raise ValueError(f"SineSeries length must be positive, got {self.length}")

    def sample_coefficients(self, key, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(A, l, phi), each (n, terms): the random coefficients of `n` members."""
        if not (isinstance(n, (int, np.integer)) and n >= 0):
            raise ValueError(f"n must be a non-negative int, got {n!r}")
        ka, kl, kp = _split3(key)
        shape = (int(n), self.terms)
        amp = _uniform(ka, shape, float(self.amplitude[0]), float(self.amplitude[1]))
        idx = np.floor(_uniform(kl, shape, 0.0, 1.0) * len(self.wavenumbers)).astype(int)
        idx = np.minimum(idx, len(self.wavenumbers) - 1)
        ell = np.asarray(self.wavenumbers)[idx]
        phase = _uniform(kp, shape, 0.0, 2 * math.pi)
        return amp, ell, phase

    def expression(self, amp, ell, phase) -> sp.Expr:
        """The member with coefficients (A_j), (l_j), (phi_j) as a sympy expression."""
        x = sp.Symbol(self.variable)
        return sp.Add(*[
            sp.Float(float(a), 17) * sp.sin(2 * sp.pi * int(l) * (x - self.lo) / self.length
                                            + sp.Float(float(p), 17))
            for a, l, p in zip(amp, ell, phase)
        ])

    def evaluate(self, coefficients, x) -> np.ndarray:
        """Members at points `x` (numpy): coefficients from `sample_coefficients`, result (n, len(x))."""
        amp, ell, phase = (np.asarray(c, float) for c in coefficients)
        x = np.asarray(x, float)
        arg = 2 * np.pi * ell[..., None] * (x - float(self.lo)) / float(self.length) + phase[..., None]
        return np.sum(amp[..., None] * np.sin(arg), axis=-2)

    def describe(self) -> dict:
        return {
            "family": "SineSeries", "length": sp.sstr(self.length), "terms": self.terms,
            "amplitude": [float(a) for a in self.amplitude], "wavenumbers": list(self.wavenumbers),
            "variable": self.variable, "dependent": self.dependent, "lo": sp.sstr(self.lo),
        }


@dataclasses.dataclass(frozen=True)
class SineSeriesND(_SineFamily):
    r"""The d-dimensional `SineSeries`: sums of plane waves on a box,
    $u_0(x) = \sum_{j=1}^J A_j \sin(2\pi \sum_i l_{ji} (x_i - lo_i) / L_i + \varphi_j)$.

    $A_j \sim U(a_{lo}, a_{hi})$; $|l_{ji}|$ uniform over `wavenumbers`, with a random sign on
    every component after the first (the sign of the whole wavevector is absorbed by $A_j$ and
    $\varphi_j$); $\varphi_j \sim U(0, 2\pi)$. Each member is $L_i$-periodic in $x_i$.

    **Arguments:**
    - `lengths`: the periods $(L_1, \dots, L_d)$; `lo`: the lower corner of the box.
    - `terms`: $J$. `amplitude`: $(a_{lo}, a_{hi})$. `wavenumbers`: the allowed $|l|$.
    - `variables`, `dependent`: names of $x_1, \dots, x_d$ and $u$.
    """

    lengths: tuple
    terms: int = 5
    amplitude: tuple[float, float] = (-0.5, 0.5)
    wavenumbers: tuple[int, ...] = (1, 2, 3)
    variables: tuple[str, ...] = ("x", "y")
    dependent: str = "u"
    lo: tuple = (0, 0)

    def __post_init__(self):
        set_ = functools.partial(object.__setattr__, self)
        variables = tuple(self.variables)
        if len(variables) < 1 or not all(isinstance(v, str) and v for v in variables):
            raise ValueError(f"SineSeriesND variables must be names, got {self.variables!r}")
        d = len(variables)
        for name in ("lengths", "lo"):
            value = getattr(self, name)
            if not (isinstance(value, Sequence) and not isinstance(value, str) and len(value) == d):
                raise ValueError(f"SineSeriesND {name} must have one entry per variable {list(variables)}, "
                                 f"got {value!r}")
        set_("variables", variables)
        set_("lengths", tuple(_exact(v, "SineSeriesND length") for v in self.lengths))
        set_("lo", tuple(_exact(v, "SineSeriesND lo") for v in self.lo))
        if not (isinstance(self.terms, int) and self.terms >= 1):
            raise ValueError(f"SineSeriesND terms must be a positive int, got {self.terms!r}")
        if not self.wavenumbers or any(int(k) != k or k < 1 for k in self.wavenumbers):
            raise ValueError(f"SineSeriesND wavenumbers must be positive ints, got {self.wavenumbers!r}")
        set_("wavenumbers", tuple(int(k) for k in self.wavenumbers))
        a, b = self.amplitude
        if not float(a) < float(b):
            raise ValueError(f"SineSeriesND amplitude range must have lo < hi, got {self.amplitude!r}")
        if any(float(v) <= 0 for v in self.lengths):
            raise ValueError(f"SineSeriesND lengths must be positive, got {self.lengths}")

    def sample_coefficients(self, key, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(A (n, terms), l (n, terms, d) signed integers, phi (n, terms)) of `n` members."""
        if not (isinstance(n, (int, np.integer)) and n >= 0):
            raise ValueError(f"n must be a non-negative int, got {n!r}")
        ka, kl, kp = _split3(key)
        d = len(self.variables)
        shape = (int(n), self.terms)
        amp = _uniform(ka, shape, float(self.amplitude[0]), float(self.amplitude[1]))
        draws = _uniform(kl, shape + (2 * d,), 0.0, 1.0)
        idx = np.minimum(np.floor(draws[..., :d] * len(self.wavenumbers)).astype(int), len(self.wavenumbers) - 1)
        sign = np.where(draws[..., d:] < 0.5, -1, 1)
        sign[..., 0] = 1
        ell = np.asarray(self.wavenumbers)[idx] * sign
        phase = _uniform(kp, shape, 0.0, 2 * math.pi)
        return amp, ell, phase

    def expression(self, amp, ell, phase) -> sp.Expr:
        """The member with coefficients (A_j), (l_j) (terms, d), (phi_j) as a sympy expression."""
        xs = [sp.Symbol(v) for v in self.variables]
        return sp.Add(*[
            sp.Float(float(a), 17) * sp.sin(2 * sp.pi * sp.Add(*[int(k) * (x - lo) / L for k, x, lo, L in
                                                                 zip(l, xs, self.lo, self.lengths)])
                                            + sp.Float(float(p), 17))
            for a, l, p in zip(amp, np.asarray(ell), phase)
        ])

    def evaluate(self, coefficients, x) -> np.ndarray:
        """Members at points `x` (P, d) (numpy): result (n, P)."""
        amp, ell, phase = (np.asarray(c, float) for c in coefficients)
        x = np.asarray(x, float)
        d = len(self.variables)
        if x.ndim != 2 or x.shape[1] != d:
            raise ValueError(f"points must have shape (P, {d}) (one column per {list(self.variables)}), "
                             f"got {x.shape}")
        scaled = (x - np.array([float(v) for v in self.lo])) / np.array([float(v) for v in self.lengths])
        arg = 2 * np.pi * ell @ scaled.T + phase[..., None]  # (n, terms, P)
        return np.sum(amp[..., None] * np.sin(arg), axis=-2)

    def describe(self) -> dict:
        return {
            "family": "SineSeriesND", "lengths": [sp.sstr(v) for v in self.lengths], "terms": self.terms,
            "amplitude": [float(a) for a in self.amplitude], "wavenumbers": list(self.wavenumbers),
            "variables": list(self.variables), "dependent": self.dependent, "lo": [sp.sstr(v) for v in self.lo],
        }


# -- helpers --------------------------------------------------------------------------------
def _exact(value, where: str) -> sp.Expr:
    """An exact sympy number from a number, string or sympy expression (floats made rational)."""
    if isinstance(value, sp.Basic):
        expr = value
    elif isinstance(value, bool):
        raise TypeError(f"{where}: expected a number, got a bool")
    elif isinstance(value, (int, np.integer)):
        expr = sp.Integer(int(value))
    elif isinstance(value, (float, np.floating)):
        if not math.isfinite(float(value)):
            raise ValueError(f"{where}: expected a finite number, got {value}")
        expr = sp.nsimplify(float(value), rational=True)
    elif isinstance(value, str):
        expr = parse_value(value, where=where)
    else:
        raise TypeError(f"{where}: expected a number, string or sympy expression, got {type(value).__name__}")
    if expr.free_symbols:
        raise ValueError(f"{where}: expected a number, got {sp.sstr(expr)} (contains "
                         f"{', '.join(sorted(s.name for s in expr.free_symbols))})")
    return expr


class Bounds(NamedTuple):
    """lo, hi: float64 arrays (p,), in the PDE's order of independent variables."""

    lo: np.ndarray
    hi: np.ndarray


# -- the problem --------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, eq=False)
class Problem:
    r"""A PDE with a domain, conditions and parameter values: everything a solver needs.

    **Arguments:**
    - `name`: a short name (`"burgers"`).
    - `pde`: the `PDE` (its parameters may be symbolic; `parameters` gives them values).
    - `domain`: independent-variable name -> `(lo, hi)`, one entry per variable (time included);
      values exact (`"pi/2"`, `sympy.pi / 2`, numbers).
    - `initial`: dependent name -> $u^a(x, t_0)$ as an expression in the spatial variables.
      May be omitted when `initial_family` is given.
    - `boundary`: `Periodic()`, `Dirichlet({...})` or `Neumann({...})`.
    - `parameters`: parameter name -> exact value; together with the PDE's own values every
      parameter must get one.
    - `time`: the name of the time variable.
    - `exact`: optional dependent name -> exact solution in (x, t).
    - `initial_family`: optional random family of initial conditions (e.g. `SineSeries`).
    - `description`: one line for humans.

    Construction checks types and names only; `check()` (called by the assembly before any
    compute) checks the mathematics: the exact solution, the data at the corners, the signs.
    Expressions may be sympy or strings (parsed safely, no eval). Instances are immutable;
    `replace(...)` and `with_initial(...)` return new ones.
    """

    name: str
    pde: PDE
    domain: Mapping[str, tuple]
    initial: Mapping[str, Any] | None = None
    boundary: AbstractBoundary = dataclasses.field(default_factory=Periodic)
    parameters: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    time: str = "t"
    exact: Mapping[str, Any] | None = None
    initial_family: AbstractInitialFamily | None = None
    description: str = ""

    # -- validation ----------------------------------------------------------------------
    def __post_init__(self):
        set_ = functools.partial(object.__setattr__, self)
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"Problem name must be a non-empty string, got {self.name!r}")
        where = f"problem {self.name!r}"
        if not isinstance(self.pde, PDE):
            raise TypeError(f"{where}: pde must be a liepinn PDE, got {type(self.pde).__name__}")
        indep = [s.name for s in self.pde.independent]
        dep = [s.name for s in self.pde.dependent]
        time = self.time.name if isinstance(self.time, sp.Symbol) else self.time
        if time not in indep:
            raise PDEInputError(f"{where}: time variable {time!r} is not an independent variable of "
                                f"the PDE (independent: {indep})")
        set_("time", time)
        if len(indep) < 2:
            raise PDEInputError(f"{where}: needs at least one spatial variable besides {time!r}")

        # domain
        if not isinstance(self.domain, Mapping):
            raise TypeError(f"{where}: domain must be a dict variable name -> (lo, hi)")
        dom = {(k.name if isinstance(k, sp.Symbol) else k): v for k, v in self.domain.items()}
        if set(dom) != set(indep):
            missing, extra = sorted(set(indep) - set(dom)), sorted(set(dom) - set(indep))
            raise PDEInputError(
                f"{where}: domain keys must be the independent variables {indep}"
                + (f"; missing {missing}" if missing else "") + (f"; unknown {extra}" if extra else "")
            )
        norm = {}
        for v in indep:
            pair = dom[v]
            if not (isinstance(pair, Sequence) and not isinstance(pair, str) and len(pair) == 2):
                raise PDEInputError(f"{where}: domain of {v!r} must be a pair (lo, hi), got {pair!r}")
            lo, hi = (_exact(b, f"{where}: domain of {v!r}") for b in pair)
            if not (lo.is_finite and hi.is_finite and bool(float(lo) < float(hi))):
                raise PDEInputError(f"{where}: domain of {v!r} must have finite lo < hi, got "
                                    f"({sp.sstr(lo)}, {sp.sstr(hi)})")
            norm[v] = (lo, hi)
        set_("domain", norm)

        # parameters: the PDE's own values, then ours
        params: dict[str, sp.Expr] = {s.name: v for s, v in self.pde.parameters.items() if v is not None}
        known = {s.name for s in self.pde.parameters}
        for k, v in dict(self.parameters or {}).items():
            k = k.name if isinstance(k, sp.Symbol) else k
            if k not in known:
                raise PDEInputError(f"{where}: unknown parameter {k!r}; the PDE's parameters are "
                                    f"{sorted(known) or 'none'}")
            params[k] = _exact(v, f"{where}: parameter {k!r}")
        unset = sorted(known - set(params))
        if unset:
            raise PDEInputError(f"{where}: parameter(s) {unset} need values (parameters={{...}})")
        set_("parameters", dict(sorted(params.items())))

        # boundary
        if not isinstance(self.boundary, AbstractBoundary):
            raise TypeError(f"{where}: boundary must be Periodic(), Dirichlet({{...}}) or "
                            f"Neumann({{...}}), got {self.boundary!r} of type {type(self.boundary).__name__}")
        if isinstance(self.boundary, (Dirichlet, Neumann)):
            vals = self._conditions(self.boundary.values, f"{self.boundary.kind} boundary values",
                                    allowed=set(indep), complete=False)
            set_("boundary", type(self.boundary)({d: vals.get(d, sp.Integer(0)) for d in dep}))

        # initial conditions
        if self.initial is None:
            if self.initial_family is None:
                raise PDEInputError(f"{where}: give initial conditions (initial={{...}}) or an initial_family")
        else:
            set_("initial", self._conditions(self.initial, "initial condition",
                                             allowed=set(self.space), complete=True))
        if self.initial_family is not None and not isinstance(self.initial_family, AbstractInitialFamily):
            raise TypeError(f"{where}: initial_family must be an AbstractInitialFamily (e.g. SineSeries), "
                            f"got {type(self.initial_family).__name__}")
        if self.exact is not None:
            set_("exact", self._conditions(self.exact, "exact solution", allowed=set(indep), complete=True))

    def _conditions(self, values, what: str, *, allowed: set[str], complete: bool) -> dict[str, sp.Expr]:
        where = f"problem {self.name!r}: {what}"
        if isinstance(values, (sp.Basic, str, int, float)) and len(self.pde.dependent) == 1:
            values = {self.pde.dependent[0].name: values}
        if not isinstance(values, Mapping):
            raise TypeError(f"{where} must be a dict dependent-variable name -> expression, got "
                            f"{type(values).__name__}")
        dep = [s.name for s in self.pde.dependent]
        vals = _expr_dict(values, where)
        unknown = sorted(set(vals) - set(dep))
        if unknown:
            raise PDEInputError(f"{where}: {unknown} are not dependent variables (expected {dep})")
        if complete and set(vals) != set(dep):
            raise PDEInputError(f"{where}: missing {sorted(set(dep) - set(vals))}")
        reps = {sp.Symbol(k): v for k, v in self.parameters.items()}
        out = {}
        for d in dep:
            if d not in vals:
                continue
            e = vals[d]
            if isinstance(e, str):
                e, _ = parse_expression(e, None, where=f"{where} for {d}", allow_equals=False)
            elif isinstance(e, (int, float, np.number)):
                e = _exact(e, f"{where} for {d}")
            elif not isinstance(e, sp.Basic):
                raise TypeError(f"{where} for {d}: expected a sympy expression or string, got {type(e).__name__}")
            # symbols by name (a user's Symbol('x', real=True) is our x)
            e = e.xreplace({s: sp.Symbol(s.name) for s in e.free_symbols}).xreplace(reps)
            bad = sorted(s.name for s in e.free_symbols if s.name not in allowed)
            if bad:
                raise PDEInputError(f"{where} for {d}: contains {bad}; only {sorted(allowed)} (and parameters "
                                    f"{sorted(self.parameters)}) may appear")
            out[d] = e
        return out

    def check(self, *, constraints: str | None = None) -> list[Warning]:
        """Check the definition before any compute: the exact solution against the PDE and the
        data, the initial against the boundary data, well-posed signs (`check_problem_definition`).

        Emits and returns the warnings; raises `ProblemDefinitionError` (a `ValueError`) on errors.
        """
        from ._checks import check_problem_definition, emit

        return emit(check_problem_definition(self, constraints=constraints), stacklevel=2)

    # -- facts ---------------------------------------------------------------------------
    @property
    def independent(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.pde.independent)

    @property
    def dependent(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.pde.dependent)

    @property
    def space(self) -> tuple[str, ...]:
        """The spatial variables (independent minus time), in the PDE's order."""
        return tuple(v for v in self.independent if v != self.time)

    @property
    def time_index(self) -> int:
        return self.independent.index(self.time)

    @property
    def bounds(self) -> Bounds:
        """Float64 (lo, hi) arrays over the independent variables, in the PDE's order."""
        lo = np.array([float(self.domain[v][0]) for v in self.independent])
        hi = np.array([float(self.domain[v][1]) for v in self.independent])
        return Bounds(lo, hi)

    @property
    def t_span(self) -> tuple[float, float]:
        lo, hi = self.domain[self.time]
        return float(lo), float(hi)

    @property
    def periodic(self) -> bool:
        return isinstance(self.boundary, Periodic)

    def parameter_symbols(self) -> dict[sp.Symbol, sp.Expr]:
        return {sp.Symbol(k): v for k, v in self.parameters.items()}

    def pde_values(self) -> PDE:
        """The PDE with every parameter replaced by its value."""
        reps = self.parameter_symbols()
        eqs = [e.xreplace(reps) for e in self.pde.equations]
        return PDE(eqs, self.pde.jet, None, source=self.pde.source)

    def evolution_form(self) -> dict[sp.Symbol, sp.Expr]:
        r"""$F_a$ of $u^a_t = F_a(x, u, u_x, \dots)$ with parameter values substituted."""
        return self.pde_values().evolution_form(self.time)

    # -- numeric evaluation ----------------------------------------------------------------
    def _spatial_columns(self, points) -> list[np.ndarray]:
        pts = np.asarray(points, dtype=float)
        if pts.ndim == 1 and len(self.space) == 1:
            pts = pts[:, None]
        if pts.ndim != 2:
            raise ValueError(f"points must be (N, {len(self.independent)}) or (N, {len(self.space)}), "
                             f"got shape {pts.shape}")
        if pts.shape[1] == len(self.independent):
            return [pts[:, self.independent.index(v)] for v in self.space]
        if pts.shape[1] == len(self.space):
            return [pts[:, i] for i in range(len(self.space))]
        raise ValueError(f"points must have {len(self.independent)} (all variables) or "
                         f"{len(self.space)} (spatial) columns, got {pts.shape[1]}")

    def _all_columns(self, points) -> list[np.ndarray]:
        pts = np.asarray(points, dtype=float)
        if pts.ndim != 2 or pts.shape[1] != len(self.independent):
            raise ValueError(f"points must be (N, {len(self.independent)}) in the order "
                             f"{list(self.independent)}, got shape {pts.shape}")
        return [pts[:, i] for i in range(pts.shape[1])]

    @staticmethod
    def _evaluate(exprs: Mapping[str, sp.Expr], names: Sequence[str], cols: list[np.ndarray],
                  order: Sequence[str]) -> np.ndarray:
        n = cols[0].shape[0] if cols else 0
        out = np.empty((len(order), n))
        syms = [sp.Symbol(v) for v in names]
        for a, d in enumerate(order):
            f = _lambdify(tuple(syms), exprs[d])
            out[a] = np.broadcast_to(np.asarray(f(*cols), dtype=float), (n,))
        return out

    def initial_values(self, points, initial: Mapping[str, Any] | None = None) -> np.ndarray:
        """$u^a(x, t_0)$ at `points` ((N, p) with all variables, or (N, p-1) spatial): (q, N) float64."""
        init = self.initial if initial is None else self.with_initial(initial).initial
        if init is None:
            raise ValueError(f"problem {self.name!r} has a family of initial conditions and no fixed "
                             "one: pass initial={...} (e.g. problem.initial_family.sample(key, 1)[0])")
        return self._evaluate(init, self.space, self._spatial_columns(points), self.dependent)

    def boundary_values(self, points) -> np.ndarray:
        """Dirichlet values, or Neumann x-derivatives, at `points` (N, p): (q, N) float64."""
        if not isinstance(self.boundary, (Dirichlet, Neumann)):
            raise ValueError(f"problem {self.name!r} has a {self.boundary.kind} boundary: no boundary values")
        return self._evaluate(self.boundary.values, self.independent, self._all_columns(points), self.dependent)

    def exact_values(self, points) -> np.ndarray:
        """The exact solution at `points` (N, p): (q, N) float64."""
        if self.exact is None:
            raise ValueError(f"problem {self.name!r} has no exact solution")
        return self._evaluate(self.exact, self.independent, self._all_columns(points), self.dependent)

    # -- variants ------------------------------------------------------------------------
    def replace(self, **changes) -> Problem:
        return dataclasses.replace(self, **changes)

    def with_initial(self, initial: Mapping[str, Any]) -> Problem:
        """The same problem with other initial conditions (the exact solution is dropped)."""
        return dataclasses.replace(self, initial=initial, exact=None)

    def describe(self) -> dict:
        """JSON-ready summary."""
        return {
            "name": self.name,
            "pde": [sp.sstr(e) for e in self.pde.equations],
            "independent": list(self.independent),
            "dependent": list(self.dependent),
            "time": self.time,
            "domain": {v: [sp.sstr(a), sp.sstr(b)] for v, (a, b) in self.domain.items()},
            "parameters": {k: sp.sstr(v) for k, v in self.parameters.items()},
            "initial": None if self.initial is None else {k: sp.sstr(v) for k, v in self.initial.items()},
            "boundary": self.boundary.describe(),
            "exact": None if self.exact is None else {k: sp.sstr(v) for k, v in self.exact.items()},
            "initial_family": None if self.initial_family is None else self.initial_family.describe(),
        }

    def __repr__(self) -> str:
        dom = ", ".join(f"{v} in [{sp.sstr(a)}, {sp.sstr(b)}]" for v, (a, b) in self.domain.items())
        return f"Problem({self.name!r}: {'; '.join(self.pde.source)}; {dom}; {self.boundary.kind})"


@functools.lru_cache(maxsize=256)
def _lambdify(symbols: tuple[sp.Symbol, ...], expr: sp.Expr) -> Callable:
    return sp.lambdify(symbols, expr, "numpy")
