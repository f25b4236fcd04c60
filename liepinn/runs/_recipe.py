"""Training recipes: a network + collocation + optimiser configuration in one typed object.

A :class:`Recipe` is what the command line and the benchmarks pass around: it builds the
model (MLP on inputs normalised to [-1, 1], optional Fourier features, optional hard
constraint), the collocation set (sampler, optional residual-based refinement) and runs
:func:`liepinn.train` (Adam with an exponential schedule, then a quasi-Newton phase,
by default self-scaled Broyden in float64). It is problem-agnostic: the PDE enters through ``loss_fn``/``residual`` and the
initial/boundary conditions through a hard-constraint ``transform``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import jax.random as jr

from ..nn._networks import Chain, FourierFeatures, HardConstraint, MLP, Normalise
from ..train import AbstractSecondPhase, SSBroyden, TrainResult, train
from ..train import second_phase_from_json, second_phase_from_legacy
from ..train._sampling import RAD, RAR, Collocation, Grid, LatinHypercube, Sobol, Uniform

__all__ = ["Recipe", "RECIPES"]

# fields of recipes stored before `second_phase` -> the old option of `liepinn.train.train`
_LEGACY = {"lbfgs_steps": "lbfgs_steps", "lbfgs_memory": "lbfgs_memory", "quasi_newton": "quasi_newton",
           "lbfgs_resample": "lbfgs_resample", "float64": None}

_SAMPLERS = {"sobol": Sobol, "lhs": LatinHypercube, "uniform": Uniform, "grid": Grid}


@dataclasses.dataclass(frozen=True)
class Recipe:
    """Network, collocation and optimiser settings for one PINN training run.

    Network: ``width`` x ``depth`` MLP with ``activation``, inputs normalised to
    [-1, 1]^p, ``fourier_features`` random Fourier features of scale ``fourier_sigma``
    (0: none).
    Collocation: ``n_collocation`` points from ``sampler`` (``"sobol"``, ``"lhs"``,
    ``"uniform"``, ``"grid"``), resampled every ``resample_every`` steps, and
    residual-based refinement ``refinement`` (``None``, ``"rad"`` or ``"rar"``) every
    ``refine_every`` Adam steps with ``refine_k``, ``refine_c`` (RAD density
    |r|^k / E|r|^k + c) from ``refine_candidates`` candidates.
    Optimiser: ``steps`` Adam steps from ``learning_rate`` decayed exponentially to
    ``decay * learning_rate``, then ``second_phase`` (a `liepinn.train` second phase:
    ``SSBroyden(steps=4000)``, float64, by default; ``LBFGS(steps=5000, memory=50,
    dtype="float64")``, ...; None: Adam only; its ``resample`` continues the refinement inside it); ``adam_float64`` runs Adam in
    float64 too. ``max_time`` (seconds) stops at the first chunk boundary after it.
    """

    width: int = 20
    depth: int = 8
    activation: str = "tanh"
    fourier_features: int = 0
    fourier_sigma: float = 1.0
    n_collocation: int = 10_000
    sampler: str = "sobol"
    resample_every: int | None = None
    refinement: str | None = None
    refine_every: int = 1000
    refine_k: float = 1.0
    refine_c: float = 1.0
    refine_candidates: int = 50_000
    steps: int = 1000
    learning_rate: float = 1e-3
    decay: float = 0.1
    # self-scaled Broyden, float64 (dense: ~8 n^2 bytes for n parameters, 90 MB for the 8 x 20
    # MLP): on KdV, Allen-Cahn and NLS its held-out residual after the same time is 4x to 20x
    # below L-BFGS(memory 50)'s (benchmarks/second_phase.py; benchmarks/README.md)
    second_phase: AbstractSecondPhase | None = SSBroyden(steps=4000)
    adam_float64: bool = False
    log_every: int = 100
    max_time: float | None = None

    def __post_init__(self):
        if self.sampler not in _SAMPLERS:
            raise ValueError(f"sampler must be one of {sorted(_SAMPLERS)}; got {self.sampler!r}")
        if self.second_phase is not None and not isinstance(self.second_phase, AbstractSecondPhase):
            raise TypeError(f"second_phase must be a liepinn.train second phase (LBFGS(...), SSBroyden(...), ...) "
                            f"or None; got {self.second_phase!r}")
        if self.refinement not in (None, "rad", "rar"):
            raise ValueError(f"refinement must be None, 'rad' or 'rar'; got {self.refinement!r}")

    def replace(self, **changes) -> "Recipe":
        return dataclasses.replace(self, **changes)

    @property
    def lbfgs_steps(self) -> int:
        """Steps of the second phase (0 without one)."""
        return 0 if self.second_phase is None else self.second_phase.steps

    def to_json(self) -> dict:
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        d["second_phase"] = None if self.second_phase is None else self.second_phase.to_json()
        return d

    @classmethod
    def from_json(cls, d: dict) -> "Recipe":
        """Inverse of `to_json`; also reads recipes stored before the second phase was an object
        (`lbfgs_steps`, `lbfgs_memory`, `quasi_newton`, `float64`, `lbfgs_resample`)."""
        d = dict(d)
        legacy = {k: d.pop(k) for k in _LEGACY if k in d}
        if "second_phase" in d:
            d["second_phase"] = second_phase_from_json(d["second_phase"])
        elif legacy:
            float64 = legacy.pop("float64", True)
            d["second_phase"] = second_phase_from_legacy(
                lbfgs_dtype="float64" if float64 else None,
                **{_LEGACY[k]: v for k, v in legacy.items() if _LEGACY[k] is not None})
        return cls(**d)

    def model(
        self,
        in_size: int,
        out_size: int,
        lower: Sequence[float],
        upper: Sequence[float],
        *,
        transform: Callable | None = None,
        key,
    ):
        """The network ``(p,) -> (q,)`` on physical coordinates (normalised inside).

        ``transform(point, out)`` makes it a :class:`HardConstraint` (see there).
        """
        kf, km = jr.fold_in(key, 2), jr.fold_in(key, 1)
        embedding: Any = Normalise(lower, upper, dtype="float64" if self.adam_float64 else None)
        if self.fourier_features:
            embedding = Chain(
                embedding,
                FourierFeatures(in_size, self.fourier_features, self.fourier_sigma, key=kf),
            )
        net = MLP(in_size, out_size, self.width, self.depth, activation=self.activation,
                  embedding=embedding, key=km)
        return net if transform is None else HardConstraint(net, transform)

    def collocation(self, lower, upper, *, residual: Callable | None = None) -> Collocation:
        """The interior collocation set; ``residual(model, points) -> (N,)`` for refinement."""
        refinement = None
        if self.refinement == "rad":
            refinement = RAD(every=self.refine_every, k=self.refine_k, c=self.refine_c,
                             n_candidates=self.refine_candidates)
        elif self.refinement == "rar":
            refinement = RAR(every=self.refine_every, n_add=max(1, self.n_collocation // 20),
                             n_candidates=self.refine_candidates)
        return Collocation(lower, upper, self.n_collocation, _SAMPLERS[self.sampler](),
                           resample_every=self.resample_every, refinement=refinement,
                           residual=residual if refinement is not None else None)

    def train_options(self) -> dict[str, Any]:
        """The keyword options of `liepinn.train.train` / `train_seeds` this recipe sets."""
        return dict(
            steps=self.steps,
            learning_rate=self.learning_rate,
            decay=self.decay,
            second_phase=self.second_phase,
            dtype="float64" if self.adam_float64 else None,
            log_every=self.log_every,
            max_time=self.max_time,
        )

    def train(self, loss_fn: Callable, model, data, *, key, **options) -> TrainResult:
        """Run :func:`liepinn.train.train` with this recipe's optimiser settings (``options`` override)."""
        kw = self.train_options()
        kw.update(options)
        return train(loss_fn, model, data, key=key, **kw)


# Recipes found by benchmarks/train_burgers.py (figures in benchmarks/README.md).
RECIPES: dict[str, Recipe] = {
    "default": Recipe(),
    # Raissi et al.'s Burgers setup with the hard constraint u = u0(x) + t (1 - x^2) N (the
    # IC and the zero Dirichlet BCs hold exactly; the loss is the residual alone). RAD moves
    # about half of the 8,192 points onto the front at steps 500 and 1000 (as the second phase
    # starts). Second phase: self-scaled Broyden in float64, 4,000 steps (benchmarks/README.md,
    # "Second-phase optimisers", "On one GPU"; on 2 CPU cores a step costs ~0.1-0.2 s, the dense
    # 3,021 x 3,021 update and the line search, so 4,000 fit in 10 minutes). 8,192 points, not
    # 4,096, chosen on the held-out residual (benchmarks/burgers_selection.py): with 4,096 the
    # held-out residual (mostly from the front) stayed ~300 x the training loss (held-out 1.1e-8
    # at a loss of 3.4e-11), with 8,192 it follows the loss (2.2e-10 at 4.1e-11) for about the
    # same CPU time per step. max_time stops the run inside 10 minutes on a slow or shared machine.
    "burgers": Recipe(
        width=20, depth=8, n_collocation=8192, sampler="sobol",
        refinement="rad", refine_every=500, refine_k=1.0, refine_c=1.0, refine_candidates=50_000,
        steps=1000, learning_rate=1e-3, decay=0.1,
        second_phase=SSBroyden(steps=4_000, dtype="float64"), max_time=570.0,
    ),
}
