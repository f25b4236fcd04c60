"""Collocation samplers: uniform, Latin hypercube, Sobol; fixed, resampled or residual-adaptive.

Samplers are objects (``Sobol()``, ``LatinHypercube()``, ``Uniform()``) with one method,
``sample(n, lower, upper, *, key)``. Point sets are drawn on the host with NumPy/SciPy
(``scipy.stats.qmc``) from an integer seed derived deterministically from a JAX PRNG key
(or an int), so the same key gives the same points on every machine.

:class:`Collocation` describes one point set of a training batch: how many points, the
box, the sampler, whether to resample every ``k`` steps, and an optional residual-based
refinement (:class:`RAR`, :class:`RAD`). The trainer (``liepinn.train``) accepts
``Collocation`` objects anywhere in its ``data`` pytree and keeps them up to date.
"""

from __future__ import annotations

import abc
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
from jaxtyping import ArrayLike, Array, Float, PRNGKeyArray
from scipy.stats import qmc

__all__ = [
    "AbstractSampler",
    "Uniform",
    "LatinHypercube",
    "Sobol",
    "Grid",
    "AbstractRefinement",
    "RAR",
    "RAD",
    "Collocation",
    "seed_from_key",
]


def seed_from_key(key: PRNGKeyArray | int) -> int:
    """A 63-bit NumPy seed derived deterministically from a JAX key or an int."""
    if isinstance(key, (int, np.integer)):
        words = [int(key) & 0xFFFFFFFF, (int(key) >> 32) & 0xFFFFFFFF]
    else:
        if jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
            key = jr.key_data(key)
        data = np.asarray(key)
        if data.dtype != np.uint32 or data.ndim != 1:
            raise TypeError(f"expected a single PRNG key or an int; got array of shape {data.shape} and dtype {data.dtype}")
        words = [int(w) for w in data]
    return int(np.random.SeedSequence(words).generate_state(2, np.uint64)[0] >> np.uint64(1))


def _box(lower, upper) -> tuple[np.ndarray, np.ndarray]:
    lo = np.asarray(lower, dtype=np.float64).reshape(-1)
    hi = np.asarray(upper, dtype=np.float64).reshape(-1)
    if lo.shape != hi.shape or lo.size == 0:
        raise ValueError(f"lower and upper must have the same positive length; got {lo.shape}, {hi.shape}")
    if not np.all(hi > lo):
        raise ValueError(f"need upper > lower componentwise; got lower={lo}, upper={hi}")
    return lo, hi


class AbstractSampler(eqx.Module):
    """Draws ``n`` points in a box. Subclasses implement :meth:`unit` on ``[0, 1)^d``."""

    @abc.abstractmethod
    def unit(self, n: int, dim: int, seed: int) -> np.ndarray:
        """``(n, dim)`` float64 points in the unit cube."""

    def sample(
        self, n: int, lower: Sequence[float] | ArrayLike, upper: Sequence[float] | ArrayLike, *,
        key: PRNGKeyArray | int, dtype=None
    ) -> Float[Array, "n p"]:
        """``n`` points in the box ``[lower, upper]`` as a JAX array ``(n, p)``."""
        if not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"n must be a positive int; got {n!r}")
        lo, hi = _box(lower, upper)
        u = self.unit(int(n), lo.size, seed_from_key(key))
        pts = lo + (hi - lo) * u
        return jnp.asarray(pts, dtype=jnp.float32 if dtype is None else dtype)


class Uniform(AbstractSampler):
    """I.i.d. uniform points (NumPy's PCG64 generator)."""

    def unit(self, n, dim, seed):
        return np.random.default_rng(seed).random((n, dim))


class LatinHypercube(AbstractSampler):
    """Latin hypercube sampling (``scipy.stats.qmc.LatinHypercube``): one point per stratum per axis."""

    strength: int = 1

    def unit(self, n, dim, seed):
        return qmc.LatinHypercube(dim, strength=self.strength, rng=seed).random(n)


class Sobol(AbstractSampler):
    """Scrambled Sobol' sequence (``scipy.stats.qmc.Sobol``); best balance when ``n`` is a power of 2."""

    scramble: bool = True

    def unit(self, n, dim, seed):
        engine = qmc.Sobol(dim, scramble=self.scramble, rng=seed)
        with warnings.catch_warnings():
            # the balance warning for n not a power of two is informational only
            warnings.simplefilter("ignore", UserWarning)
            return engine.random(n)


class Grid(AbstractSampler):
    """Tensor grid with about ``n`` points (``round(n ** (1/d))`` per axis, endpoints included).

    Deterministic (the seed is ignored); returns exactly ``m ** d`` points.
    """

    def unit(self, n, dim, seed):
        m = max(2, int(round(n ** (1.0 / dim))))
        axes = [np.linspace(0.0, 1.0, m)] * dim
        return np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, dim)


class AbstractRefinement(eqx.Module):
    """Residual-based refinement of a point set, applied every ``every`` steps."""

    every: eqx.AbstractVar[int]

    @abc.abstractmethod
    def refine(self, points: np.ndarray, candidates: np.ndarray, residual: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """New point set from the current points, candidate points and ``|r|`` at the candidates."""


class RAR(AbstractRefinement):
    r"""Greedy residual-based adaptive refinement (Lu et al., DeepXDE, SIAM Rev. 2021).

    Every ``every`` steps, evaluate $|r|$ on ``n_candidates`` fresh points and add the
    ``n_add`` with the largest residual, until the set holds ``max_points`` points. The set
    grows, so the training step is re-compiled once per refinement.
    """

    every: int
    n_add: int = 100
    n_candidates: int = 10_000
    max_points: int | None = None

    def refine(self, points, candidates, residual, rng):
        room = self.n_add if self.max_points is None else min(self.n_add, self.max_points - len(points))
        if room <= 0:
            return points
        top = np.argsort(-residual, kind="stable")[:room]
        return np.concatenate([points, candidates[top]], axis=0)


class RAD(AbstractRefinement):
    r"""Residual-based adaptive distribution (Wu et al., CMAME 2023), fixed size.

    Every ``every`` steps, draw the whole point set from ``n_candidates`` candidates with
    probability $p(x) \propto |r(x)|^k / \mathbb E|r|^k + c$, without replacement.
    ``keep`` of the current points (a fraction) are kept unchanged; $k=1, c=1$ is a robust
    default, large $k$ and small $c$ concentrate on the worst regions.
    """

    every: int
    k: float = 1.0
    c: float = 1.0
    n_candidates: int = 50_000
    keep: float = 0.0

    def refine(self, points, candidates, residual, rng):
        n = len(points)
        n_keep = int(round(self.keep * n))
        n_new = n - n_keep
        w = residual.astype(np.float64) ** self.k
        mean = w.mean()
        w = (w / mean if mean > 0 else np.zeros_like(w)) + self.c
        if not np.all(np.isfinite(w)) or w.sum() <= 0:
            raise FloatingPointError("RAD: the residual on the candidate points is not finite")
        idx = rng.choice(len(candidates), size=n_new, replace=False, p=w / w.sum())
        kept = points[rng.choice(n, size=n_keep, replace=False)] if n_keep else points[:0]
        return np.concatenate([kept, candidates[np.sort(idx)]], axis=0)


class Collocation(eqx.Module):
    """One collocation point set for training: box, size, sampler, schedule, refinement.

    **Arguments:**
    - ``lower``, ``upper``: the box (one entry per independent variable).
    - ``n``: number of points.
    - ``sampler``: an :class:`AbstractSampler` (default :class:`Sobol`).
    - ``resample_every``: draw a fresh set every this many steps (``None``: fixed).
    - ``refinement``: :class:`RAR` or :class:`RAD` (``None``: none).
    - ``residual``: ``residual(model, points) -> (N,)`` (or ``(k, N)``, summed in squares)
      used by the refinement; required when ``refinement`` is set.
    - ``dtype``: of the points (default float32; the trainer casts for float64 phases).

    The trainer calls :meth:`init` once and :meth:`update` at the steps where
    :meth:`due` is true, with keys derived from the run's key and the step.
    """

    lower: tuple[float, ...] = eqx.field(static=True, converter=lambda v: tuple(float(a) for a in np.ravel(v)))
    upper: tuple[float, ...] = eqx.field(static=True, converter=lambda v: tuple(float(a) for a in np.ravel(v)))
    n: int = eqx.field(static=True)
    sampler: AbstractSampler = eqx.field(static=True, default_factory=Sobol)
    resample_every: int | None = eqx.field(static=True, default=None)
    refinement: AbstractRefinement | None = eqx.field(static=True, default=None)
    residual: Callable | None = eqx.field(static=True, default=None)
    dtype: Any = eqx.field(static=True, default=None)

    def __check_init__(self):
        _box(self.lower, self.upper)
        if not isinstance(self.n, (int, np.integer)) or self.n < 1:
            raise ValueError(f"Collocation.n must be a positive int; got {self.n!r}")
        if self.resample_every is not None and self.resample_every < 1:
            raise ValueError(f"resample_every must be a positive int or None; got {self.resample_every!r}")
        if self.refinement is not None and self.residual is None:
            raise ValueError("Collocation with a refinement needs residual=(model, points) -> (N,)")
        if self.refinement is not None and self.refinement.every < 1:
            raise ValueError(f"refinement.every must be a positive int; got {self.refinement.every!r}")

    @property
    def periods(self) -> tuple[int, ...]:
        """The step periods at which this set changes (for the trainer's chunking)."""
        out = []
        if self.resample_every is not None:
            out.append(int(self.resample_every))
        if self.refinement is not None:
            out.append(int(self.refinement.every))
        return tuple(out)

    def due(self, step: int) -> bool:
        return step > 0 and any(step % k == 0 for k in self.periods)

    def init(self, key: PRNGKeyArray | int) -> Float[Array, "n p"]:
        return self.sampler.sample(self.n, self.lower, self.upper, key=key, dtype=self.dtype)

    def update(self, points: Array, model: Any, *, step: int, key: PRNGKeyArray) -> Float[Array, "m p"]:
        """The point set to use from ``step`` on (``key`` should already depend on ``step``)."""
        out = points
        resample = self.resample_every is not None and step % self.resample_every == 0
        if resample:
            out = self.sampler.sample(len(points) if self.refinement is None else self.n, self.lower, self.upper,
                                      key=jr.fold_in(key, 0), dtype=points.dtype)
        if self.refinement is not None and step % self.refinement.every == 0:
            ref = self.refinement
            cand = self.sampler.sample(ref.n_candidates, self.lower, self.upper, key=jr.fold_in(key, 1), dtype=points.dtype)
            r = _residual_magnitude(self.residual, model, cand)
            rng = np.random.default_rng(seed_from_key(jr.fold_in(key, 2)))
            out = jnp.asarray(ref.refine(np.asarray(out), np.asarray(cand), r, rng), dtype=points.dtype)
        return out

    def describe(self) -> dict:
        """JSON-friendly summary (for configs)."""
        return {
            "lower": list(self.lower), "upper": list(self.upper), "n": int(self.n),
            "sampler": type(self.sampler).__name__, "resample_every": self.resample_every,
            "refinement": None if self.refinement is None else {
                "kind": type(self.refinement).__name__,
                **{f: getattr(self.refinement, f) for f in self.refinement.__dataclass_fields__},
            },
        }


_RESIDUAL_CHUNK = 16384


def _residual_magnitude(residual: Callable, model: Any, points: Array) -> np.ndarray:
    """``|r|`` (root of the sum of squares over equations) at ``points``, evaluated in chunks."""
    fn = _jitted_residual(residual)
    outs = []
    for start in range(0, points.shape[0], _RESIDUAL_CHUNK):
        r = np.asarray(fn(model, points[start : start + _RESIDUAL_CHUNK]), dtype=np.float64)
        if r.ndim == 2:
            r = np.sqrt(np.sum(r**2, axis=0))
        elif r.ndim == 1:
            r = np.abs(r)
        else:
            raise ValueError(f"residual(model, points) must return (N,) or (k, N); got shape {r.shape}")
        outs.append(r)
    return np.concatenate(outs)


_JIT_CACHE: dict[int, tuple[Callable, Callable]] = {}


def _jitted_residual(residual: Callable) -> Callable:
    hit = _JIT_CACHE.get(id(residual))
    if hit is not None and hit[0] is residual:
        return hit[1]
    fn = eqx.filter_jit(residual)
    _JIT_CACHE[id(residual)] = (residual, fn)
    return fn
