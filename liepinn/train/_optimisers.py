r"""The second optimisation phase as a strategy object.

After Adam, :func:`liepinn.train.train` runs a quasi-Newton phase with a line search on the
full batch. The phase is an object (``second_phase=SSBroyden(steps=2000)``) that says how
many iterations, in which precision, whether the collocation points may still move, and
which optax ``GradientTransformationExtraArgs`` does the work (:meth:`optimiser`):

- :class:`LBFGS`: ``optax.lbfgs`` (Liu & Nocedal 1989), ``memory`` pairs;
- :class:`BFGS`: dense BFGS;
- :class:`SSBFGS`: dense self-scaled BFGS (Urbán, Stefanou & Pons 2025; Kiyani et al. 2025);
- :class:`SSBroyden`: dense self-scaled Broyden (same papers);
- :class:`ENG`: energy natural gradient (Müller & Zeinhofer 2023), a Gauss-Newton step with
  a grid line search; it needs the loss's residual vector (:mod:`liepinn.train._eng`).

The dense updates are stated in :mod:`liepinn.train._bfgs`; every method uses optax's zoom
line search (strong Wolfe conditions), its state (the dense $H_k$ included) is part of the
optimiser state saved in training checkpoints.

This module is the JSON and command-line boundary for the phases: ``to_json`` /
:func:`second_phase_from_json` and :func:`second_phase_from_name`. A new method is one
subclass with a ``name`` (registered when the class is defined) and ``_transformation``.
:func:`second_phase_from_legacy` maps the old keyword options of ``train`` (``lbfgs_steps``,
``lbfgs_memory``, ``quasi_newton``, ...) onto these objects.
"""

from __future__ import annotations

import abc
import dataclasses
import functools
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import optax

from ._bfgs import bfgs, ssbroyden, zoom_linesearch
from ._eng import energy_natural_gradient

__all__ = [
    "AbstractSecondPhase",
    "LBFGS",
    "BFGS",
    "SSBFGS",
    "SSBroyden",
    "ENG",
    "second_phase_from_json",
    "second_phase_from_name",
    "second_phase_from_legacy",
    "second_phase_names",
]

_PHASES: dict[str, type[AbstractSecondPhase]] = {}
_DTYPES = {"float32": "float32", "float64": "float64"}


def _positive_int(name, v, minimum=1):
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}; got {v!r} ({type(v).__name__})")
    return int(v)


def _dtype_name(v):
    if v is None:
        return None
    try:
        name = np.dtype(v).name
    except TypeError:
        name = None
    if name not in _DTYPES:
        raise ValueError(f"dtype must be None, 'float32' or 'float64'; got {v!r}")
    return name


@dataclasses.dataclass(frozen=True, kw_only=True)
class AbstractSecondPhase(abc.ABC):
    """The phase after Adam. Fields shared by every method:

    - ``steps``: iterations (each one line search, usually 1-3 loss evaluations);
    - ``dtype``: ``"float64"`` runs the phase in double precision (enabling x64 for it),
      ``"float32"``, or ``None`` for the precision of the first phase;
    - ``resample``: keep updating the collocation sets inside this phase (the optimiser's
      memory restarts after each change); otherwise they are updated a last time as the
      phase starts and then stay fixed;
    - ``linesearch_steps``: the most evaluations of one zoom line search.
    """

    name: ClassVar[str]
    citation: ClassVar[str] = ""
    # the transformation takes the loss's residual vector (``residual_fn=``; see _eng.py)
    needs_residuals: ClassVar[bool] = False
    # n x n arrays a step holds for n parameters (dense quasi-Newton: H_k, I and the update's
    # outer products); 0: memory linear in n
    dense_arrays: ClassVar[int] = 0

    steps: int = 0
    dtype: str | None = None
    resample: bool = False
    linesearch_steps: int = 20

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        name = cls.__dict__.get("name")
        if name is None:  # an abstract intermediate class
            return
        old = _PHASES.get(name)
        if old is not None and old.__qualname__ != cls.__qualname__:
            raise TypeError(f"{cls.__qualname__}: the name {name!r} is taken by {old.__qualname__}")
        _PHASES[name] = cls

    def __post_init__(self):
        object.__setattr__(self, "steps", _positive_int("steps", self.steps, 0))
        object.__setattr__(self, "linesearch_steps", _positive_int("linesearch_steps", self.linesearch_steps))
        object.__setattr__(self, "dtype", _dtype_name(self.dtype))
        if not isinstance(self.resample, (bool, np.bool_)):
            raise TypeError(f"resample must be a bool; got {self.resample!r} ({type(self.resample).__name__})")
        object.__setattr__(self, "resample", bool(self.resample))

    @abc.abstractmethod
    def _transformation(self) -> optax.GradientTransformationExtraArgs:
        """Build the transformation (called once per distinct setting, see :meth:`optimiser`)."""

    def optimiser(self) -> optax.GradientTransformationExtraArgs:
        """The optax transformation of this phase, with its line search. Use it as
        ``optax.lbfgs``: ``optax.value_and_grad_from_state`` and
        ``update(grads, state, params, value=, grad=, value_fn=)``.

        The same settings give the same object, so runs that differ only in ``steps``,
        ``dtype`` or ``resample`` share compiled code."""
        return _cached_transformation(dataclasses.replace(self, steps=0, dtype=None, resample=False))

    def step_memory(self, n: int) -> int:
        """Bytes of the n x n arrays one step holds for a network of n parameters (0: none)."""
        return self.dense_arrays * n * n * (4 if self.dtype == "float32" else 8)

    def to_json(self) -> dict[str, Any]:
        return {"method": self.name, **{f.name: getattr(self, f.name) for f in dataclasses.fields(self)}}

    def replace(self, **changes) -> AbstractSecondPhase:
        return dataclasses.replace(self, **changes)


@functools.lru_cache(maxsize=64)
def _cached_transformation(phase: AbstractSecondPhase) -> optax.GradientTransformationExtraArgs:
    return phase._transformation()


@dataclasses.dataclass(frozen=True, kw_only=True)
class LBFGS(AbstractSecondPhase):
    r"""L-BFGS (``optax.lbfgs``): the inverse Hessian from the last ``memory`` pairs
    $(s_i, y_i)$ by the two-loop recursion, scaled by $s^\top y / y^\top y$
    (Liu & Nocedal, Math. Program. 45 (1989) 503-528), with the zoom line search."""

    name: ClassVar[str] = "lbfgs"
    citation: ClassVar[str] = "Liu & Nocedal, Math. Program. 45 (1989) 503-528"

    memory: int = 20

    def __post_init__(self):
        super().__post_init__()
        object.__setattr__(self, "memory", _positive_int("memory", self.memory))

    def _transformation(self):
        return optax.lbfgs(memory_size=self.memory, linesearch=zoom_linesearch(self.linesearch_steps))


@dataclasses.dataclass(frozen=True, kw_only=True)
class BFGS(AbstractSecondPhase):
    r"""Dense BFGS: $H_{k+1} = (I - \rho s y^\top) H_k (I - \rho y s^\top) + \rho s s^\top$,
    $\rho = 1/s^\top y$ (Nocedal & Wright, eq. 6.17), with the zoom line search. $n^2$
    memory: for networks of up to a few thousand parameters."""

    name: ClassVar[str] = "bfgs"
    dense_arrays: ClassVar[int] = 4
    citation: ClassVar[str] = "Nocedal & Wright, Numerical Optimization (2006), ch. 6"

    dtype: str | None = "float64"

    def _transformation(self):
        return bfgs(self_scaling=False, linesearch=zoom_linesearch(self.linesearch_steps))


@dataclasses.dataclass(frozen=True, kw_only=True)
class SSBFGS(AbstractSecondPhase):
    r"""Dense self-scaled BFGS: the BFGS update of $H_k$ with its old part multiplied by
    $1/\tau_k$, $\tau_k = \min(1, 1/b_k)$, $b_k = s^\top B_k s / s^\top y$ (Al-Baali's
    scaling; Urbán, Stefanou & Pons, J. Comput. Phys. 2025; Kiyani et al. 2025), with the
    zoom line search. Float64 by default, as in those papers."""

    name: ClassVar[str] = "ssbfgs"
    dense_arrays: ClassVar[int] = 4
    citation: ClassVar[str] = ("Urbán, Stefanou & Pons, J. Comput. Phys. (2025), arXiv:2405.04230; "
                               "Kiyani et al., arXiv:2501.16371 (2025)")

    dtype: str | None = "float64"

    def _transformation(self):
        return bfgs(self_scaling=True, linesearch=zoom_linesearch(self.linesearch_steps))


@dataclasses.dataclass(frozen=True, kw_only=True)
class SSBroyden(AbstractSecondPhase):
    r"""Dense self-scaled Broyden: the Broyden-family update of $H_k$ with the parameter
    $\phi_k$ and scaling $\tau_k$ chosen per step from $b_k$, $h_k$ (Urbán, Stefanou & Pons,
    J. Comput. Phys. 2025, after Al-Baali et al. 2014; Kiyani et al. 2025; the formulas are
    in :mod:`liepinn.train._bfgs`), with the zoom line search. Float64 by default."""

    name: ClassVar[str] = "ssbroyden"
    dense_arrays: ClassVar[int] = 4
    citation: ClassVar[str] = SSBFGS.citation

    dtype: str | None = "float64"

    def _transformation(self):
        return ssbroyden(linesearch=zoom_linesearch(self.linesearch_steps))


def _non_negative_float(name, v):
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not 0 <= v < np.inf:
        raise ValueError(f"{name} must be a finite float >= 0; got {v!r} ({type(v).__name__})")
    return float(v)


@dataclasses.dataclass(frozen=True, kw_only=True)
class ENG(AbstractSecondPhase):
    r"""Energy natural gradient: $\theta \leftarrow \theta - \eta^* (G + \mu I)^{-1} J^\top R$,
    $G = J^\top J$ the Gram matrix of the residual vector $R$ (interior and boundary/initial
    residuals, $L = \|R\|^2$, so $J^\top R = \nabla L / 2$ and $\eta = 1$ is the Gauss-Newton
    step), $\eta^*$ the best of $2^{-k}$, $k < $ ``linesearch_steps`` (their grid line search;
    no move if none lowers the loss). ``damping`` is $\mu$. The loss function must have a
    ``residuals(model, batch)`` method (:class:`liepinn.train.LeastSquares`); $J$ is then built
    point by point in reverse mode if it also has ``pointwise`` (built runs do), otherwise from
    forward-mode passes over ``jacobian_chunk`` parameter directions at a time. Dense
    $n \times n$: small networks. Float64 by default. (Müller & Zeinhofer, ICML 2023,
    arXiv:2302.13163.)"""

    name: ClassVar[str] = "eng"
    citation: ClassVar[str] = ("Müller & Zeinhofer, Achieving high accuracy with PINNs via energy natural "
                               "gradient descent, ICML 2023, arXiv:2302.13163")
    needs_residuals: ClassVar[bool] = True

    dtype: str | None = "float64"
    linesearch_steps: int = 31
    damping: float = 1e-10
    jacobian_chunk: int = 64

    def __post_init__(self):
        super().__post_init__()
        object.__setattr__(self, "damping", _non_negative_float("damping", self.damping))
        object.__setattr__(self, "jacobian_chunk", _positive_int("jacobian_chunk", self.jacobian_chunk))

    def _transformation(self):
        return energy_natural_gradient(self.damping, self.linesearch_steps, self.jacobian_chunk)


def second_phase_names() -> tuple[str, ...]:
    """The registered methods' names (the command-line choices)."""
    return tuple(_PHASES)


def second_phase_from_name(name: str, **settings) -> AbstractSecondPhase:
    """The phase called ``name`` (``"lbfgs"``, ``"ssbroyden"``, ...) with ``settings``; a
    setting the method does not have (``memory`` for a dense method) is an error."""
    cls = _PHASES.get(name)
    if cls is None:
        raise ValueError(f"unknown second phase {name!r}; choose from {list(_PHASES)}")
    fields = {f.name for f in dataclasses.fields(cls)}
    unknown = set(settings) - fields
    if unknown:
        raise TypeError(f"{cls.__name__} has no setting(s) {sorted(unknown)}; it has {sorted(fields)}")
    return cls(**settings)


def second_phase_from_json(d: Mapping[str, Any] | None) -> AbstractSecondPhase | None:
    """Inverse of :meth:`AbstractSecondPhase.to_json` (``None`` stays ``None``)."""
    if d is None:
        return None
    d = dict(d)
    name = d.pop("method", None)
    if name not in _PHASES:
        raise ValueError(f"unknown second phase {name!r} in a stored spec; known: {sorted(_PHASES)} "
                         "(a user-defined method must be imported before loading)")
    return second_phase_from_name(name, **d)


# the keyword options of train() before the phase was an object, with their old defaults
LEGACY_OPTIONS: dict[str, Any] = {
    "lbfgs_steps": 0,
    "lbfgs_memory": 20,
    "lbfgs_linesearch_steps": 20,
    "lbfgs_dtype": None,
    "lbfgs_resample": False,
    "quasi_newton": "lbfgs",
}


def second_phase_from_legacy(**options) -> AbstractSecondPhase | None:
    """The phase that the old options of :func:`liepinn.train.train` described, or ``None``
    for ``lbfgs_steps=0``: ``quasi_newton`` ``"lbfgs"`` (with ``lbfgs_memory``), ``"bfgs"``
    or ``"ssbfgs"``; ``lbfgs_steps``, ``lbfgs_dtype``, ``lbfgs_resample``,
    ``lbfgs_linesearch_steps``. Missing options take their old defaults (``lbfgs_dtype=None``
    for every method, as before). Also reads recipes and checkpoints stored with them."""
    unknown = set(options) - set(LEGACY_OPTIONS)
    if unknown:
        raise TypeError(f"not old second-phase options: {sorted(unknown)}")
    o = {**LEGACY_OPTIONS, **{k: v for k, v in options.items() if v is not None}}
    method = o["quasi_newton"]
    if method not in ("lbfgs", "bfgs", "ssbfgs"):
        raise ValueError(f"quasi_newton must be 'lbfgs', 'bfgs' or 'ssbfgs'; got {method!r}")
    if method == "lbfgs":
        # validated even when no phase runs, as before
        _positive_int("lbfgs_memory", o["lbfgs_memory"])
    steps = _positive_int("lbfgs_steps", o["lbfgs_steps"], 0)
    if steps == 0:
        return None
    common = dict(steps=steps, dtype=options.get("lbfgs_dtype"), resample=o["lbfgs_resample"],
                  linesearch_steps=o["lbfgs_linesearch_steps"])
    if method == "lbfgs":
        return LBFGS(memory=o["lbfgs_memory"], **common)
    return (BFGS if method == "bfgs" else SSBFGS)(**common)
