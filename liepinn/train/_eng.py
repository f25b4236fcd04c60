r"""Energy natural gradient (ENG) as an optax transformation, and the residual-vector hook it
needs on the loss.

A PINN loss is a sum of squares, $L(\theta) = \sum_i R_i(\theta)^2$, with $R$ the
interior residuals and the boundary/initial misfits at every point, each scaled by
$\sqrt{w/N}$ of its term's weight $w$ and its number of points $N$. With $J = \partial R /
\partial\theta$ (dense, $m \times n$), the Gram matrix of the energy inner product is
$G = J^\top J$, and $\nabla L = 2 J^\top R$. One ENG step (Müller & Zeinhofer 2023, Alg. 1,
a Gauss-Newton step in function space) is

$$\theta \leftarrow \theta - \eta^*\, d, \qquad (G + \mu I)\, d = J^\top R = \tfrac12 \nabla L,$$

$$\eta^* = \operatorname*{arg\,min}_{\eta \in \{1, \frac12, \dots, 2^{1-K}\}} L(\theta - \eta d)$$

(their grid line search; $\eta^* = 0$, no move, when no grid point lowers the loss, so the
loss never increases). $\eta = 1$ is the Gauss-Newton step: for a residual linear in
$\theta$ and $\mu \to 0$ it lands on the least-squares solution. $G$ is formed densely and
$G + \mu I$ solved by Cholesky (lineax): $n^2$ memory and $n^2 m$ work per step, for networks
of up to a few thousand parameters.

The hook: the loss function has a ``residuals(model, batch)`` method returning a pytree of
arrays whose squares sum to the loss (:class:`LeastSquares` pairs a loss with one). The
trainer passes their concatenation to the transformation as ``residual_fn``, and $J$ comes
from forward-mode passes over chunks of parameter directions ($n$ passes). When the loss
also says how $R$ splits into points (``LeastSquares(pointwise=...)``), the trainer passes
``residual_jacobian_fn`` instead: one reverse pass per point, vmapped, far cheaper for PINNs
(built runs, :func:`liepinn.runs.assemble`, do this).

Reference: J. Müller, M. Zeinhofer, "Achieving high accuracy with PINNs via energy natural
gradient descent", ICML 2023, PMLR 202:25471-25485, arXiv:2302.13163.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import lineax as lx
import optax
from jax.flatten_util import ravel_pytree
from jaxtyping import Array, Float

__all__ = ["LeastSquares", "residual_vector", "residual_and_jacobian", "energy_natural_gradient", "ScaleByENGState"]


@dataclasses.dataclass(frozen=True)
class LeastSquares:
    r"""A loss function with its residual vector: ``loss(model, batch)`` is the loss as the
    trainer takes it (total, or ``(total, terms)``); ``residuals(model, batch)`` a pytree of
    arrays $R$ with $\sum_i R_i^2$ equal to the total. Calling the object calls ``loss``.

    ``pointwise`` (optional) says how $R$ splits into points, which makes $J$ far cheaper (one
    reverse pass per point instead of one forward pass per parameter): ``pointwise(batch)``
    returns ``{name: (fn, args)}``, ``args`` arrays with the points along their first axis and
    ``fn(model, *args)`` the scaled residuals of those points, one row per point; evaluated on
    one point (``args`` sliced ``[i:i+1]``) it gives that point's row. ``residuals`` may then
    be left out: it is the concatenation of ``fn(model, *args)``."""

    loss: Callable[..., Any]
    residuals: Callable[..., Any] | None = None
    pointwise: Callable[..., Any] | None = None

    def __post_init__(self):
        if self.residuals is None and self.pointwise is None:
            raise TypeError("LeastSquares needs residuals=(model, batch) -> residuals or pointwise=batch -> groups")
        if self.residuals is None:
            object.__setattr__(self, "residuals", self._from_pointwise)

    def __call__(self, model, batch):
        return self.loss(model, batch)

    def _from_pointwise(self, model, batch):
        return {name: fn(model, *args) for name, (fn, args) in self.pointwise(batch).items()}


def residual_vector(residuals: Any) -> Float[Array, " m"]:
    """The leaves of a ``residuals`` pytree, flattened and concatenated."""
    leaves = [jnp.ravel(x) for x in jax.tree.leaves(residuals)]
    return leaves[0] if len(leaves) == 1 else jnp.concatenate(leaves)


def residual_and_jacobian(pointwise, params, static, batch) -> tuple[Float[Array, " m"], Float[Array, "m n"]]:
    r"""$R$ and $J = \partial R / \partial\theta$ (flattened trainable ``params``) point by
    point from a :class:`LeastSquares` ``pointwise``: a vmap over points of a reverse-mode
    Jacobian of one point's residual row."""
    import equinox as eqx

    w, unravel = ravel_pytree(params)
    Rs, Js = [], []
    groups = pointwise(batch)
    for fn, args in (groups[k] for k in sorted(groups)):  # the order of residual_vector (pytree order)
        def row(v, *a, fn=fn):
            return jnp.ravel(fn(eqx.combine(unravel(v), static), *[x[None] for x in a]))

        axes = (None,) + (0,) * len(args)
        Rs.append(jnp.ravel(jax.vmap(row, in_axes=axes)(w, *args)))
        Js.append(jax.vmap(jax.jacrev(row), in_axes=axes)(w, *args).reshape(-1, w.size))
    return jnp.concatenate(Rs), jnp.concatenate(Js)


class ScaleByENGState(NamedTuple):
    count: jax.Array
    learning_rate: jax.Array  # the last step's eta (0: no grid point lowered the loss)


def energy_natural_gradient(
    damping: float = 1e-10,
    grid: int = 31,
    jacobian_chunk: int = 64,
) -> optax.GradientTransformationExtraArgs:
    r"""The ENG step of the module docstring: ``damping`` $\mu$, ``grid`` $K$ step sizes
    $2^{-k}$, $k = 0..K-1$, ``jacobian_chunk`` directions per forward-mode pass for $J$.

    ``update(grads, state, params, *, value, value_fn, residual_fn, **extra)``:
    ``residual_fn(params)`` is the residual vector $R$, ``value_fn(params)`` the loss
    ($= \|R\|^2$), ``value`` its value at ``params``; ``grads`` is not used. Instead of
    ``residual_fn``, ``residual_jacobian_fn(params)`` may give $(R, J)$ directly. Returns the
    update $-\eta^* d$."""
    def init_fn(params):
        flat, _ = ravel_pytree(params)
        return ScaleByENGState(count=jnp.zeros((), jnp.int32), learning_rate=jnp.zeros((), flat.dtype))

    def update_fn(updates, state, params=None, *, value, value_fn, residual_fn=None, residual_jacobian_fn=None,
                  **extra):
        del updates, extra
        w, unravel = ravel_pytree(params)
        dtype = w.dtype
        n = w.size
        if residual_jacobian_fn is not None:
            R, J = residual_jacobian_fn(params)
            Jt = J.T
        else:
            R, jvp = jax.linearize(lambda v: residual_fn(unravel(v)), w)
            # J^T, one row per parameter, from forward-mode passes over chunks of directions
            Jt = jax.lax.map(jvp, jnp.eye(n, dtype=dtype), batch_size=min(jacobian_chunk, n))
        G = Jt @ Jt.T + damping * jnp.eye(n, dtype=dtype)
        rhs = Jt @ R
        op = lx.MatrixLinearOperator(G, lx.positive_semidefinite_tag)
        d = lx.linear_solve(op, rhs, lx.Cholesky(), throw=False).value

        etas = 0.5 ** jnp.arange(grid, dtype=dtype)

        def trial(eta):
            v = value_fn(unravel(w - eta * d))
            return jnp.where(jnp.isfinite(v), v, jnp.inf)

        losses = jax.lax.map(trial, etas, batch_size=min(8, grid))
        best = jnp.argmin(losses)
        eta = jnp.where(losses[best] < value, etas[best], jnp.zeros((), dtype))
        step = jnp.where(jnp.all(jnp.isfinite(d)), -eta * d, jnp.zeros_like(d))
        return unravel(step), ScaleByENGState(count=state.count + 1, learning_rate=eta)

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)
