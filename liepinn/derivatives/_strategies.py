"""Partial derivatives of a network at a batch of points, by interchangeable strategies.

A model u_theta : R^p -> R^q (an equinox Module applied to one point) and a set of
multi-indices (a, alpha) give the arrays

    d^|alpha| u^a / dx_1^alpha_1 ... dx_p^alpha_p   at every point,

for exactly the requested set. Four strategies share one interface:

- `NestedReverse`: jax.grad nested once per derivative, per scalar output, vmapped over
  points. What most PINN code does; the baseline.
- `Forward`: nested jax.jvp along coordinate directions, on the batched model.
- `Taylor`: jax.experimental.jet (Taylor mode) along one coordinate direction for the pure
  part of order m in one stream (u, u_x, ..., u_x^m together), with a jvp (or a further jet)
  over it for the mixed part.
- `MultiTaylor` (default): truncated multivariate Taylor polynomials over exactly the
  downward closure of the requested set, pushed through the model's jaxpr in one pass
  (`liepinn.derivatives._taylor`): one matrix product per coefficient and layer.

Forward and Taylor cover the requested set by "boxes" {beta : beta <= c} (componentwise), one
nested stream per box corner c; the corners are chosen by `_plan` to keep the number of Taylor
coefficients small (e.g. Burgers' order-3 set {u, u_x, u_t, u_xx, u_xt, u_tt, u_xxx, u_xxt} is
two streams: jvp_t(jet_x^3) for the box (3, 1) and jet_t^2 for (0, 2)).

Networks see inputs scaled to [-1, 1] by a `Box`: z = 2 (x - lo) / (hi - lo) - 1, hence
d/dx_i = s_i d/dz_i with s_i = 2 / (hi_i - lo_i), and the returned derivatives are with respect
to the physical x: d^alpha u / dx^alpha = prod_i s_i^alpha_i  d^alpha u / dz^alpha.

Measured (benchmarks/derivatives.py; jax 0.10.2 on 2 shared CPU cores, float32, jitted,
N = 10,000 points, MLP 2 -> 4 x 50 tanh -> 1; value_and_grad of the mean squares w.r.t. the
parameters, i.e. what a training step pays; process CPU ms per call, median, and XLA's
GFLOP estimate):

    set                                      NestedReverse  Forward   Taylor(jet)  MultiTaylor
    order 2: u, u_x, u_t, u_xx                 151 / 3.5    116 / 2.6  162 / 3.1    80 / 1.9
    order 3: + u_xt, u_tt, u_xxx, u_xxt        516 / 12.3   319 / 7.9  394 / 7.2   160 / 4.1

Hence the default `MultiTaylor`. `jax.experimental.jet` loses to Forward here because it
instantiates the zero Taylor series of every constant (the weights), so a matrix product of
order m costs up to (m+1)(m+2)/2 products instead of m+1 (XLA folds some); applying it point by point under vmap
instead of to the batched model doubles the cost of the gradient again.
"""

from __future__ import annotations

import abc
import itertools
import math
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.experimental.jet import jet
from jaxtyping import Array, ArrayLike, Float

from ._taylor import taylor_derivatives

MultiIndex = tuple[int, ...]
Request = tuple[int, MultiIndex]


# --------------------------------------------------------------------------------------
# Affine scaling of the inputs
# --------------------------------------------------------------------------------------


def _as_float_array(x):
    try:
        return np.asarray(x, dtype=np.float64)
    except (TypeError, jax.errors.TracerArrayConversionError):
        return jnp.asarray(x)


class Box(eqx.Module):
    """An axis-aligned box [lo_1, hi_1] x ... x [lo_p, hi_p] and its affine map onto [-1, 1]^p.

    `to_unit(x) = 2 (x - lo) / (hi - lo) - 1`, `from_unit(z) = lo + (z + 1) (hi - lo) / 2`;
    `unit_scale = dz/dx = 2 / (hi - lo)`, so that d/dx_i = unit_scale_i * d/dz_i.
    """

    lo: Float[np.ndarray | Array, " p"]
    hi: Float[np.ndarray | Array, " p"]

    def __init__(self, lo: ArrayLike | Sequence[float], hi: ArrayLike | Sequence[float]):
        # Concrete bounds are kept in float64 (numpy) so that the map is exact to the working
        # precision whether or not float64 is enabled in JAX; traced bounds stay as they are.
        self.lo = _as_float_array(lo)
        self.hi = _as_float_array(hi)

    def __check_init__(self):
        if self.lo.ndim != 1 or self.lo.shape != self.hi.shape:
            raise ValueError(
                f"Box needs lo and hi of the same shape (p,), got {self.lo.shape} and "
                f"{self.hi.shape}"
            )
        try:
            lo, hi = np.asarray(self.lo), np.asarray(self.hi)
        except Exception:  # traced values (inside jit/vmap): nothing to check eagerly
            return
        if not np.all(np.isfinite(lo) & np.isfinite(hi) & (hi > lo)):
            raise ValueError(f"Box needs finite lo < hi in every coordinate, got lo={lo}, hi={hi}")

    @property
    def p(self) -> int:
        return self.lo.shape[0]

    @property
    def unit_scale(self) -> Float[np.ndarray | Array, " p"]:
        """dz/dx = 2 / (hi - lo), per coordinate."""
        return 2 / (self.hi - self.lo)

    def to_unit(self, x: Float[Array, "*batch p"]) -> Float[Array, "*batch p"]:
        lo, hi = jnp.asarray(self.lo, x.dtype), jnp.asarray(self.hi, x.dtype)
        return 2 * (x - lo) / (hi - lo) - 1

    def from_unit(self, z: Float[Array, "*batch p"]) -> Float[Array, "*batch p"]:
        lo, hi = jnp.asarray(self.lo, z.dtype), jnp.asarray(self.hi, z.dtype)
        return lo + (z + 1) * (hi - lo) / 2


# --------------------------------------------------------------------------------------
# Planning: cover a set of multi-indices by boxes {beta <= c}
# --------------------------------------------------------------------------------------


def _leq(a: MultiIndex, b: MultiIndex) -> bool:
    return all(x <= y for x, y in zip(a, b))


def _join(a: MultiIndex, b: MultiIndex) -> MultiIndex:
    return tuple(max(x, y) for x, y in zip(a, b))


def _box_cost(c: MultiIndex) -> int:
    """Taylor coefficients a nested stream with corner c carries, besides the value itself."""
    return math.prod(ci + 1 for ci in c) - 1


def _nested_jvp_cost(c: MultiIndex) -> int:
    """Tangent streams of |c| nested jvps (before XLA merges duplicates)."""
    return 2 ** sum(c) - 1


def _plan(
    alphas: Iterable[MultiIndex], cost: Callable[[MultiIndex], int] = _box_cost
) -> tuple[MultiIndex, ...]:
    """Corners c_k whose boxes {beta <= c_k} cover `alphas`, at a small total `cost`.

    Start from the maximal elements (one box each) and merge two boxes into the box of
    their join while that does not raise the total cost. Every box also holds u itself,
    which XLA shares between streams (common subexpression), so it is not counted.
    """
    alphas = set(alphas)
    maximal = sorted(
        a for a in alphas if sum(a) > 0 and not any(a != b and _leq(a, b) for b in alphas)
    )
    corners = list(maximal)
    while len(corners) > 1:
        best = None
        for i, j in itertools.combinations(range(len(corners)), 2):
            merged = _join(corners[i], corners[j])
            gain = cost(corners[i]) + cost(corners[j]) - cost(merged)
            if gain >= 0 and (best is None or gain > best[0]):
                best = (gain, i, j, merged)
        if best is None:
            break
        _, i, j, merged = best
        corners = [c for k, c in enumerate(corners) if k not in (i, j)] + [merged]
        # a merged box may now contain another corner
        corners = [c for c in corners if c == merged or not _leq(c, merged)]
    if not corners:  # only the value itself was asked for
        corners = [tuple(0 for _ in next(iter(alphas)))]
    return tuple(sorted(corners))


def plan_cost(alphas: Iterable[MultiIndex]) -> int:
    """Taylor coefficients per point and output of the derivative plan covering `alphas`:
    1 (the value) + the sum over the plan's corners c of prod_i (c_i + 1) - 1."""
    alphas = {tuple(a) for a in alphas}
    if not alphas:
        return 1
    return 1 + sum(_box_cost(c) for c in _plan(alphas) if any(c))


def _axis_steps(corner: MultiIndex) -> list[tuple[int, int]]:
    """(axis, order) levels of a nested stream, innermost first: the highest order innermost,
    so that the most coefficients come from one jet."""
    axes = [i for i, c in enumerate(corner) if c > 0]
    axes.sort(key=lambda i: (-corner[i], i))
    return [(i, corner[i]) for i in axes]


def _needed(beta: MultiIndex, remaining: Sequence[int], wanted: Iterable[MultiIndex]) -> bool:
    """Whether beta, with `remaining[i]` more differentiations still to come along axis i,
    leads to a wanted multi-index."""
    return any(
        all(0 <= a - b <= r for a, b, r in zip(alpha, beta, remaining)) for alpha in wanted
    )


def _unit(z: Array, axis: int) -> Array:
    return jnp.zeros_like(z).at[..., axis].set(1)


# --------------------------------------------------------------------------------------
# Strategies
# --------------------------------------------------------------------------------------


class AbstractStrategy(eqx.Module):
    """How `derivatives` computes partial derivatives (in the network's unit coordinates)."""

    @abc.abstractmethod
    def evaluate(
        self,
        model: Callable[[Float[Array, " p"]], Float[Array, " q"]],
        z: Float[Array, "N p"],
        requests: tuple[Request, ...],
    ) -> dict[Request, Float[Array, " N"]]:
        """Return d^alpha u^a / dz^alpha at the points z for every (a, alpha) in `requests`.

        `model` maps one point to a vector of q outputs.
        """


class NestedReverse(AbstractStrategy):
    """Nested reverse mode: d^alpha u^a = grad(... grad(u^a)[i_1] ...)[i_k] per point, vmapped.

    The textbook PINN construction; the baseline the other strategies are measured against.
    Each requested derivative is its own chain of `jax.grad`; chains that share a prefix are
    merged by XLA's common-subexpression elimination under jit.
    """

    def evaluate(self, model, z, requests):
        out = {}
        for a, alpha in requests:
            axes = [i for i, c in enumerate(alpha) for _ in range(c)]

            def h(x, a=a):
                return model(x)[a]

            for i in axes:
                h = (lambda g, i: lambda x: jax.grad(g)(x)[i])(h, i)
            out[(a, alpha)] = jax.vmap(h)(z)
        return out


class _AbstractBoxStrategy(AbstractStrategy):
    """Shared driver of `Forward` and `Taylor`: the batched model F(Z) = vmap(model)(Z)
    (matrix-matrix products over the whole batch), one nested stream per box of `_plan`."""

    def _corners(self, wanted: set[MultiIndex]) -> tuple[MultiIndex, ...]:
        return _plan(wanted)

    @abc.abstractmethod
    def _lift(
        self, g: Callable[[Array], dict], z: Array, axis: int, order: int
    ) -> dict[MultiIndex, Array]:
        """Given g(Z) = {beta: d^beta F(Z)}, return {beta + k e_axis: ...} for 0 <= k <= order."""

    def evaluate(self, model, z, requests):
        p = z.shape[-1]
        batched = jax.vmap(model)
        wanted = {alpha for _, alpha in requests}
        values: dict[MultiIndex, Array] = {}
        for corner in self._corners(wanted):
            in_box = {alpha for alpha in wanted if _leq(alpha, corner)}
            g: Callable[[Array], dict] = lambda Z: {(0,) * p: batched(Z)}
            steps = _axis_steps(corner)
            for level, (axis, order) in enumerate(steps):
                remaining = [0] * p
                for later_axis, later_order in steps[level + 1 :]:
                    remaining[later_axis] = later_order

                def g(Z, g=g, axis=axis, order=order, remaining=tuple(remaining)):
                    lifted = self._lift(g, Z, axis, order)
                    return {b: v for b, v in lifted.items() if _needed(b, remaining, in_box)}

            for alpha, v in g(z).items():
                values.setdefault(alpha, v)
        return {(a, alpha): values[alpha][:, a] for a, alpha in requests}


class Forward(_AbstractBoxStrategy):
    """Forward mode: one `jax.jvp` per differentiation, nested along coordinate directions.

    A jvp of a stream that already returns {u, u_x, ...} returns their x-derivatives as its
    tangents, so lower orders come out of the same nested call (jvp_x jvp_x jvp_x F gives
    u, u_x, u_xx, u_xxx). Nested jvps along one direction duplicate work (2^m streams for m
    differentiations, partly merged by XLA); `Taylor` avoids that.
    """

    def _corners(self, wanted):
        return _plan(wanted, _nested_jvp_cost)

    def _lift(self, g, z, axis, order):
        for _ in range(order):
            g = (lambda g: lambda Z: _jvp_lift(g, Z, axis))(g)
        return g(z)


def _jvp_lift(g, z, axis):
    primal, tangent = jax.jvp(g, (z,), (_unit(z, axis),))
    out = dict(primal)
    for beta, t in tangent.items():
        out.setdefault(tuple(b + (i == axis) for i, b in enumerate(beta)), t)
    return out


class Taylor(_AbstractBoxStrategy):
    """Taylor mode (`jax.experimental.jet`): F(Z + tau e_i) = sum_k tau^k / k! d_i^k F(Z).

    One jet of order m along axis i carries u, u_i, ..., u_i^(m) in one stream whose cost
    grows like m^2 in the nonlinearities and m in the matrix products (nested grads or jvps
    grow like 2^m). Mixed derivatives: a jvp over the jet (order 1 in the other direction) or
    a jet over the jet (higher orders), i.e. a tensor product of truncated Taylor series.

    `jet` gives constants (the weights) instantiated zero series, so its matrix products cost
    more than `MultiTaylor`'s; see the module docstring for measurements.
    """

    def _lift(self, g, z, axis, order):
        if order == 1:  # a first-order jet is a jvp, without jet's instantiated zero terms
            return _jvp_lift(g, z, axis)
        zero = jnp.zeros_like(z)
        # unscaled Taylor coefficients: input z + tau e_axis, output sum_k c_k tau^k
        try:
            primal, series = jet(g, (z,), ((_unit(z, axis),) + (zero,) * (order - 1),),
                                 factorial_scaled=False)
        except KeyError as err:  # jet's rule table has no entry for this primitive
            raise NotImplementedError(
                f"jax.experimental.jet has no rule for the primitive {err.args[0]}; use "
                "MultiTaylor() or Forward()"
            ) from None
        out = dict(primal)
        for beta, coeffs in series.items():
            for k, c in enumerate(coeffs, start=1):
                key = tuple(b + k * (i == axis) for i, b in enumerate(beta))
                out.setdefault(key, c * math.factorial(k))
        return out


class MultiTaylor(AbstractStrategy):
    """Multivariate Taylor mode: one pass of truncated multivariate Taylor polynomials.

    Every intermediate value of the batched network carries its coefficients
    d^beta v / beta! for beta in the downward closure S of the requested multi-indices, so one
    pass computes exactly those derivatives (products by Cauchy's rule, tanh & co. by their
    ODE recurrences, the weights as constants: one matrix product per coefficient and layer).
    See `liepinn.derivatives._taylor`. A model using a primitive without a rule there is handed to
    `fallback` (with a warning), or raises if `fallback` is None.
    """

    fallback: AbstractStrategy | None = Forward()

    def evaluate(self, model, z, requests):
        wanted = {alpha for _, alpha in requests}
        try:
            values = taylor_derivatives(jax.vmap(model), z, wanted)
        except NotImplementedError as err:
            if self.fallback is None:
                raise
            warnings.warn(f"{err}; falling back to {type(self.fallback).__name__}()", stacklevel=3)
            return self.fallback.evaluate(model, z, requests)
        return {(a, alpha): values[alpha][:, a] for a, alpha in requests}


# --------------------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------------------


def _is_int(x: Any) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def _check_requests(multi_indices: Iterable, p: int, q: int) -> tuple[Request, ...]:
    out: dict[Request, None] = {}
    for item in multi_indices:
        try:
            a, alpha = item
            alpha = tuple(alpha)
        except (TypeError, ValueError):
            raise ValueError(
                f"a multi-index must be a pair (a, alpha) with a the output index and alpha a "
                f"tuple of {p} ints; got {item!r} of type {type(item).__name__}"
            ) from None
        if not _is_int(a) or not 0 <= a < q:
            raise ValueError(
                f"output index a={a!r} in {item!r} is out of range: the model has q={q} outputs"
            )
        if len(alpha) != p:
            raise ValueError(
                f"multi-index alpha={alpha!r} in {item!r} has length {len(alpha)}, but the "
                f"points have p={p} coordinates"
            )
        if not all(_is_int(c) and c >= 0 for c in alpha):
            raise ValueError(
                f"multi-index alpha={alpha!r} in {item!r} must hold non-negative ints"
            )
        out[(int(a), tuple(int(c) for c in alpha))] = None
    return tuple(out)


DEFAULT_STRATEGY: AbstractStrategy = MultiTaylor()


def derivatives(
    model: Callable[[Float[Array, " p"]], Float[Array, " q"]],
    points: ArrayLike,  # float (N, p): checked below with a message for users,
    multi_indices: Iterable,  # pairs (a, alpha): likewise; the type checker would pre-empt them
    *,
    strategy: AbstractStrategy = DEFAULT_STRATEGY,
    scaling: Box | None = None,
) -> dict[tuple[int, MultiIndex], Float[Array, " N"]]:
    r"""Partial derivatives of a network at a batch of points.

    Returns `{(a, alpha): d^|alpha| u^a / dx^alpha evaluated at every point}` where
    u(x) = model(z(x)) and z = `scaling.to_unit(x)` (z = x without scaling); by the chain
    rule d^alpha u / dx^alpha = prod_i s_i^alpha_i  d^alpha model / dz^alpha, s = 2/(hi - lo).

    **Main arguments:**

    - `model`: maps one point, shape (p,), to the q outputs, shape (q,) (or () for q = 1).
    - `points`: the points in physical coordinates, shape (N, p).
    - `multi_indices`: pairs (a, alpha): a the output index, alpha a tuple of p non-negative
      ints (how often to differentiate along each input); alpha = (0, ..., 0) is u^a itself.

    **Other arguments:**

    - `strategy`: `MultiTaylor()` (default, fastest measured), `Taylor()`, `Forward()` or
      `NestedReverse()`; all give the same numbers up to rounding.
    - `scaling`: a `Box` whose affine map sends the points to the network's [-1, 1]^p.
    """
    if not isinstance(strategy, AbstractStrategy):
        raise TypeError(
            f"strategy must be an AbstractStrategy such as Taylor(), got {strategy!r} of type "
            f"{type(strategy).__name__}"
        )
    points = jnp.asarray(points)
    if points.ndim != 2 or not jnp.issubdtype(points.dtype, jnp.floating):
        raise ValueError(
            f"points must be a float array of shape (N, p), got shape {points.shape} and dtype "
            f"{points.dtype}"
        )
    p = points.shape[1]
    if scaling is not None:
        if not isinstance(scaling, Box):
            raise TypeError(f"scaling must be a Box or None, got {type(scaling).__name__}")
        if scaling.p != p:
            raise ValueError(f"scaling is a Box in {scaling.p} dimensions, points have p={p}")
    out_shape = jax.eval_shape(model, jax.ShapeDtypeStruct((p,), points.dtype)).shape
    if len(out_shape) == 0:
        q = 1
        vector_model = lambda x: jnp.reshape(model(x), (1,))
    elif len(out_shape) == 1:
        q = out_shape[0]
        vector_model = model
    else:
        raise ValueError(f"model must map a point (p,) to outputs (q,) or (), got {out_shape}")
    requests = _check_requests(multi_indices, p, q)
    if not requests:
        return {}

    z = points if scaling is None else scaling.to_unit(points)
    values = strategy.evaluate(vector_model, z, requests)
    if scaling is None:
        return {r: values[r] for r in requests}
    s = jnp.asarray(scaling.unit_scale, points.dtype)
    out = {}
    for a, alpha in requests:
        factor = math.prod(s[i] ** c for i, c in enumerate(alpha) if c) if any(alpha) else 1
        out[(a, alpha)] = values[(a, alpha)] * factor
    return out
