"""Networks for PINNs: MLP, input embeddings, IC-conditioned DeepONet, hard constraints.

Every model maps one point `(p,) -> (q,)`, the shape the derivative engine and the
losses expect; the dense layers are written as `x @ W.T + b` so the same module also
runs on a batch `(N, p) -> (N, q)` without `vmap` (one matmul per layer).

Arrays that must not be trained (random Fourier matrices, sensor grids, the branch
input of a conditioned DeepONet) are wrapped in `Constant`; `trainable`
builds the filter the trainer partitions the model with.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
from jaxtyping import Array, ArrayLike, Float, PRNGKeyArray

__all__ = [
    "Constant",
    "trainable",
    "MLP",
    "Normalise",
    "FourierFeatures",
    "PeriodicEmbedding",
    "Chain",
    "HardConstraint",
    "DeepONet",
    "ConditionedDeepONet",
]


def _dtype(dtype):
    return jnp.float32 if dtype is None else jnp.dtype(dtype)


class Constant(eqx.Module):
    """An array that is part of a model but never trained.

    The trainer excludes it (see `trainable`), and reading it through
    `get` stops gradients, so it stays fixed even under a plain `eqx.filter_grad`.
    """

    value: Array

    @property
    def get(self) -> Array:
        return jax.lax.stop_gradient(self.value)


def trainable(model: Any) -> Any:
    """Filter spec (a prefix pytree of bools) marking the trainable leaves of `model`.

    A leaf is trainable when it is a floating-point array outside any `Constant`.
    Use it as `params, static = eqx.partition(model, trainable(model))`.
    """

    def leaf(x):
        if isinstance(x, Constant):
            return False
        return eqx.is_inexact_array(x)

    return jax.tree.map(leaf, model, is_leaf=lambda x: isinstance(x, Constant))


def _out_size(module: Callable, in_size: int, dtype) -> int:
    """Width of `module`'s output on a single point (traced, no FLOPs spent)."""
    shape = jax.eval_shape(module, jax.ShapeDtypeStruct((in_size,), dtype)).shape
    if len(shape) != 1:
        raise ValueError(f"an embedding must map (p,) to (m,); got output shape {shape}")
    return shape[0]


_ACTIVATIONS: dict[str, Callable[[Array], Array]] = {
    "tanh": jnp.tanh,
    "sin": jnp.sin,
    "gelu": jax.nn.gelu,
    "silu": jax.nn.silu,
    "swish": jax.nn.silu,
    "softplus": jax.nn.softplus,
}


def _activation(act):
    if callable(act):
        return act
    if isinstance(act, str) and act in _ACTIVATIONS:
        return _ACTIVATIONS[act]
    raise ValueError(
        f"activation must be a callable or one of {sorted(_ACTIVATIONS)}; got {act!r} "
        f"of type {type(act).__name__}"
    )


class MLP(eqx.Module):
    r"""Fully connected network $h_{k+1} = \sigma(W_k h_k + b_k)$, linear last layer.

    Glorot (Xavier) initialisation, $W \sim \mathcal N(0, 2/(n_\text{in}+n_\text{out}))$
    (`init="glorot_normal"`, default) or $U(\pm\sqrt{6/(n_\text{in}+n_\text{out})})$
    (`"glorot_uniform"`), zero biases. An optional `embedding` (e.g.
    `FourierFeatures`, `PeriodicEmbedding`, `Normalise`, or a
    `Chain` of them) is applied to the input first.

    Calling it on `(p,)` gives `(q,)`; on `(N, p)` it gives `(N, q)`.

    **Arguments:**

    - `in_size`: number of inputs `p` (before the embedding).
    - `out_size`: number of outputs `q`.
    - `width`, `depth`: hidden width and number of hidden layers.
    - `activation`: callable or name (`"tanh"`, `"sin"`, `"gelu"`, `"silu"`...).
    - `embedding`: optional module `(p,) -> (m,)`.
    - `key`: PRNG key (keyword only).
    """

    weights: tuple[Array, ...]
    biases: tuple[Array, ...]
    embedding: Callable | None
    activation: Callable = eqx.field(static=True)
    in_size: int = eqx.field(static=True)
    out_size: int = eqx.field(static=True)
    width: int = eqx.field(static=True)
    depth: int = eqx.field(static=True)

    def __init__(
        self,
        in_size: int,
        out_size: int,
        width: int = 32,
        depth: int = 4,
        *,
        activation: Callable | str = "tanh",
        embedding: Callable | None = None,
        init: str = "glorot_normal",
        dtype=None,
        key: PRNGKeyArray,
    ):
        for name, v in (("in_size", in_size), ("out_size", out_size), ("width", width)):
            if not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be a positive int; got {v!r} of type {type(v).__name__}")
        if not isinstance(depth, int) or depth < 0:
            raise ValueError(f"depth must be a non-negative int; got {depth!r}")
        if init not in ("glorot_normal", "glorot_uniform"):
            raise ValueError(f"init must be 'glorot_normal' or 'glorot_uniform'; got {init!r}")
        dtype = _dtype(dtype)
        first = in_size if embedding is None else _out_size(embedding, in_size, dtype)
        sizes = [first] + [width] * depth + [out_size]
        keys = jr.split(key, len(sizes) - 1)
        weights, biases = [], []
        for k, n_in, n_out in zip(keys, sizes[:-1], sizes[1:]):
            if init == "glorot_normal":
                w = jr.normal(k, (n_out, n_in), dtype) * math.sqrt(2.0 / (n_in + n_out))
            else:
                lim = math.sqrt(6.0 / (n_in + n_out))
                w = jr.uniform(k, (n_out, n_in), dtype, -lim, lim)
            weights.append(w)
            biases.append(jnp.zeros((n_out,), dtype))
        self.weights = tuple(weights)
        self.biases = tuple(biases)
        self.embedding = embedding
        self.activation = _activation(activation)
        self.in_size = in_size
        self.out_size = out_size
        self.width = width
        self.depth = depth

    def __call__(self, x: Float[Array, "*batch p"], *, key=None) -> Float[Array, "*batch q"]:
        if x.shape[-1] != self.in_size:
            raise ValueError(f"MLP expects inputs with last axis {self.in_size}; got shape {x.shape}")
        h = x if self.embedding is None else _batched(self.embedding, x)
        for w, b in zip(self.weights[:-1], self.biases[:-1]):
            h = self.activation(h @ w.T + b)
        return h @ self.weights[-1].T + self.biases[-1]


def _batched(module, x):
    """Apply a single-point module to `(p,)` or any `(..., p)`."""
    if x.ndim == 1:
        return module(x)
    flat = x.reshape(-1, x.shape[-1])
    out = jax.vmap(module)(flat)
    return out.reshape(*x.shape[:-1], out.shape[-1])


class Normalise(eqx.Module):
    r"""Affine map of the box $[\ell, u]$ onto $[-1, 1]^p$: $z = 2(x-\ell)/(u-\ell) - 1$."""

    lower: Constant
    upper: Constant

    def __init__(self, lower: ArrayLike | Sequence[float], upper: ArrayLike | Sequence[float], *, dtype=None):
        lo = jnp.asarray(lower, _dtype(dtype))
        hi = jnp.asarray(upper, _dtype(dtype))
        if lo.ndim != 1 or lo.shape != hi.shape:
            raise ValueError(f"lower and upper must be 1-d of equal length; got {lo.shape} and {hi.shape}")
        if not bool(jnp.all(hi > lo)):
            raise ValueError(f"need upper > lower componentwise; got lower={lower}, upper={upper}")
        self.lower = Constant(lo)
        self.upper = Constant(hi)

    def __call__(self, x: Float[Array, " p"]) -> Float[Array, " p"]:
        lo = self.lower.get.astype(x.dtype)
        hi = self.upper.get.astype(x.dtype)
        return 2 * (x - lo) / (hi - lo) - 1


class FourierFeatures(eqx.Module):
    r"""Random Fourier features $\gamma(x) = [\cos 2\pi Bx, \sin 2\pi Bx]$ (Tancik et al. 2020).

    $B \in \mathbb R^{m\times p}$ has i.i.d. $\mathcal N(0, \sigma^2)$ entries and is not
    trained. `keep_input=True` appends $x$ itself. `axes` restricts the features to
    some input coordinates (e.g. only $x$, not $t$).
    """

    B: Constant
    axes: tuple[int, ...] = eqx.field(static=True)
    in_size: int = eqx.field(static=True)
    keep_input: bool = eqx.field(static=True)

    def __init__(
        self,
        in_size: int,
        n_features: int,
        sigma: float = 1.0,
        *,
        axes: Sequence[int] | None = None,
        keep_input: bool = True,
        dtype=None,
        key: PRNGKeyArray,
    ):
        axes = tuple(range(in_size)) if axes is None else tuple(int(a) for a in axes)
        if not axes or any(a < 0 or a >= in_size for a in axes):
            raise ValueError(f"axes must be indices in [0, {in_size}); got {axes}")
        self.B = Constant(sigma * jr.normal(key, (n_features, len(axes)), _dtype(dtype)))
        self.axes = axes
        self.in_size = in_size
        self.keep_input = keep_input

    def __call__(self, x: Float[Array, " p"]) -> Float[Array, " m"]:
        z = 2 * jnp.pi * (self.B.get.astype(x.dtype) @ x[jnp.array(self.axes)])
        parts = [jnp.cos(z), jnp.sin(z)]
        if self.keep_input:
            parts.insert(0, x)
        return jnp.concatenate(parts)


class PeriodicEmbedding(eqx.Module):
    r"""Exact periodicity in coordinate `axis` with period $L$.

    Replaces $x_i$ by $[\cos(2\pi k x_i/L), \sin(2\pi k x_i/L)]_{k=1..K}$ and passes the
    other coordinates through, so any network on top is exactly $L$-periodic in $x_i$,
    derivatives included (Dong & Ni 2021).
    """

    period: float = eqx.field(static=True)
    axis: int = eqx.field(static=True)
    n_harmonics: int = eqx.field(static=True)
    in_size: int = eqx.field(static=True)

    def __init__(self, in_size: int, *, axis: int = 0, period: float = 2.0, n_harmonics: int = 1):
        if not 0 <= axis < in_size:
            raise ValueError(f"axis must be in [0, {in_size}); got {axis}")
        if not period > 0:
            raise ValueError(f"period must be positive; got {period}")
        if n_harmonics < 1:
            raise ValueError(f"n_harmonics must be >= 1; got {n_harmonics}")
        self.period = float(period)
        self.axis = axis
        self.n_harmonics = n_harmonics
        self.in_size = in_size

    def __call__(self, x: Float[Array, " p"]) -> Float[Array, " m"]:
        k = jnp.arange(1, self.n_harmonics + 1, dtype=x.dtype)
        z = (2 * jnp.pi / self.period) * k * x[self.axis]
        rest = jnp.concatenate([x[: self.axis], x[self.axis + 1 :]])
        return jnp.concatenate([jnp.cos(z), jnp.sin(z), rest])


class Chain(eqx.Module):
    """Compose single-point modules left to right: `Chain(a, b)(x) == b(a(x))`."""

    layers: tuple[Callable, ...]

    def __init__(self, *layers: Callable):
        if not layers:
            raise ValueError("Chain needs at least one layer")
        self.layers = tuple(layers)

    def __call__(self, x: Float[Array, " p"], *, key=None) -> Array:
        for layer in self.layers:
            x = layer(x)
        return x


class HardConstraint(eqx.Module):
    r"""Output transform enforcing conditions exactly: $u(x) = g(x, N(x))$.

    `transform(point, out)` receives one point `(p,)` and the network output `(q,)`
    and returns `(q,)`. Examples, for $x\in[-1,1]$, $t \ge 0$ and IC $u_0$:

    - Dirichlet zero and IC: `lambda z, n: u0(z[0]) + z[1] * (1 - z[0]**2) * n`
      (`u0` must vanish at $x=\pm1$).
    - IC only: `lambda z, n: u0(z[0]) + z[1] * n`.

    `transform` may be a plain function (static) or an `eqx.Module` holding arrays
    (e.g. the initial condition of a conditioned DeepONet); in the latter case put
    those arrays in `Constant` unless they should be trained.
    """

    net: Callable
    transform: Callable

    def __call__(self, x: Float[Array, "*batch p"], *, key=None) -> Float[Array, "*batch q"]:
        if x.ndim == 1:
            return self.transform(x, self.net(x))
        out = self.net(x)
        flat_x = x.reshape(-1, x.shape[-1])
        flat_o = out.reshape(-1, out.shape[-1])
        res = jax.vmap(self.transform)(flat_x, flat_o)
        return res.reshape(*x.shape[:-1], res.shape[-1])


class DeepONet(eqx.Module):
    r"""IC-conditioned physics-informed DeepONet (Lu et al. 2021; Wang et al. 2021).

    $G(u_0)(y)_a = \sum_{k=1}^{K} b_{a k}(u_0(s_1), \dots, u_0(s_m))\, \tau_{a k}(y) + c_a$:
    the branch net sees the initial condition at a FIXED sensor grid $s_1..s_m$ (stored
    here, not trained), the trunk net sees the point $y = (x, t)$. `q` output channels.

    Use `condition` to bind one initial condition and obtain a model
    `(p,) -> (q,)` for the derivative engine; the branch is then evaluated once per
    batch because its input does not depend on the point.

    **Arguments:**

    - `sensors`: sensor locations, shape `(m,)` or `(m, d)`.
    - `in_size`: trunk input size `p` (e.g. 2 for `(x, t)`).
    - `out_size`: number of channels `q`; `n_basis`: `K`.
    - `width`, `depth`: of both branch and trunk MLPs (or `branch_width` etc.).
    - `sensor_channels`: number of IC components sampled at each sensor (default
      `out_size`).
    - `trunk_embedding`: optional embedding for the trunk (e.g. periodic in x).
    """

    branch: MLP
    trunk: MLP
    bias: Array
    sensors: Constant
    out_size: int = eqx.field(static=True)
    n_basis: int = eqx.field(static=True)
    sensor_channels: int = eqx.field(static=True)

    def __init__(
        self,
        sensors: ArrayLike,
        in_size: int,
        out_size: int = 1,
        *,
        n_basis: int = 32,
        width: int = 64,
        depth: int = 3,
        branch_width: int | None = None,
        branch_depth: int | None = None,
        sensor_channels: int | None = None,
        activation: Callable | str = "tanh",
        trunk_embedding: Callable | None = None,
        dtype=None,
        key: PRNGKeyArray,
    ):
        sensors = jnp.asarray(sensors, _dtype(dtype))
        if sensors.ndim not in (1, 2) or sensors.shape[0] < 1:
            raise ValueError(f"sensors must have shape (m,) or (m, d); got {sensors.shape}")
        sensor_channels = out_size if sensor_channels is None else sensor_channels
        kb, kt = jr.split(key)
        m = sensors.shape[0]
        self.branch = MLP(
            m * sensor_channels,
            out_size * n_basis,
            branch_width or width,
            depth if branch_depth is None else branch_depth,
            activation=activation,
            dtype=dtype,
            key=kb,
        )
        # the trunk's last layer also goes through the activation (standard DeepONet)
        self.trunk = MLP(
            in_size, out_size * n_basis, width, depth,
            activation=activation, embedding=trunk_embedding, dtype=dtype, key=kt,
        )
        self.bias = jnp.zeros((out_size,), _dtype(dtype))
        self.sensors = Constant(sensors)
        self.out_size = out_size
        self.n_basis = n_basis
        self.sensor_channels = sensor_channels

    @property
    def n_sensors(self) -> int:
        return self.sensors.value.shape[0]

    def sample_ic(self, ic: Callable) -> Float[Array, " mc"]:
        """Values of an IC callable at the sensors, flattened for the branch."""
        vals = jax.vmap(ic)(self.sensors.get)
        return vals.reshape(-1)

    def __call__(
        self, y: Float[Array, "*batch p"], branch_input: Float[Array, " mc"], *, key=None
    ) -> Float[Array, "*batch q"]:
        expect = self.n_sensors * self.sensor_channels
        if branch_input.shape != (expect,):
            raise ValueError(
                f"branch input must have shape ({expect},) = (sensors * channels,); "
                f"got {branch_input.shape}"
            )
        b = self.branch(branch_input).reshape(self.out_size, self.n_basis)
        tau = self.trunk.activation(self.trunk(y))
        tau = tau.reshape(*tau.shape[:-1], self.out_size, self.n_basis)
        return jnp.sum(b * tau, axis=-1) + self.bias

    def condition(self, branch_input: ArrayLike) -> "ConditionedDeepONet":
        """Bind one initial condition (its sensor values): a model `(p,) -> (q,)`."""
        return ConditionedDeepONet(self, Constant(jnp.asarray(branch_input)))


class ConditionedDeepONet(eqx.Module):
    """A `DeepONet` with its branch input bound: a model `(p,) -> (q,)`.

    The branch input is a `Constant`, so only the DeepONet's weights train.
    Vmap over `branch_input` (e.g. `eqx.filter_vmap`) for a family of ICs.
    """

    deeponet: DeepONet
    branch_input: Constant

    def __call__(self, y: Float[Array, "*batch p"], *, key=None) -> Float[Array, "*batch q"]:
        return self.deeponet(y, self.branch_input.get)
