r"""Dense (self-scaled) BFGS as an optax transformation, for small networks.

L-BFGS forgets curvature beyond its memory; for networks of a few thousand parameters the
dense inverse-Hessian approximation $H_k$ ($n^2$ numbers, an $n^2$ matrix-vector product
per iteration) costs far less than one loss evaluation on the collocation points, and keeps
everything. Update, with $s = w_{k+1} - w_k$, $y = g_{k+1} - g_k$, $\rho = 1/(s^\top y)$:

$$H_{k+1} = \tau_k\,(I - \rho s y^\top) H_k (I - \rho y s^\top) + \rho s s^\top,$$

$\tau_k = 1$ (BFGS) or $\tau_k = \min(1, s^\top y / y^\top H_k y)$ (self-scaled BFGS,
Oren & Luenberger 1974; used for PINNs by Urbán et al., JCP 2025, and Kiyani et al. 2025).
$H_0 = \gamma_0 I$ with $\gamma_0 = \min(1, 1/\|g_0\|)$ for the first step and
$H_1 = (s^\top y / y^\top y) I$ before the first update (Nocedal & Wright, eq. 6.20).
The update is skipped when the curvature condition $s^\top y > \epsilon \|s\|\|y\|$ fails.
The output is the direction $H_k g_k$; chain with ``scale(-1)`` and a line search
(:func:`bfgs` does, with optax's zoom line search, like ``optax.lbfgs``).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax
from jax.flatten_util import ravel_pytree

__all__ = ["scale_by_bfgs", "bfgs"]


class ScaleByBFGSState(NamedTuple):
    count: jax.Array
    inv_hessian: jax.Array
    prev_params: jax.Array
    prev_grads: jax.Array


def scale_by_bfgs(self_scaling: bool = True, eps: float = 1e-10) -> optax.GradientTransformation:
    """Direction $H_k g_k$ of (self-scaled) dense BFGS; see the module docstring."""

    def init_fn(params):
        flat, _ = ravel_pytree(params)
        n = flat.size
        return ScaleByBFGSState(
            count=jnp.zeros((), jnp.int32),
            inv_hessian=jnp.eye(n, dtype=flat.dtype),
            prev_params=jnp.zeros_like(flat),
            prev_grads=jnp.zeros_like(flat),
        )

    def update_fn(updates, state, params=None):
        if params is None:
            raise ValueError("scale_by_bfgs needs params")
        g, unravel = ravel_pytree(updates)
        w, _ = ravel_pytree(params)
        dtype = g.dtype
        n = g.size
        eye = jnp.eye(n, dtype=dtype)
        s = w - state.prev_params
        y = g - state.prev_grads
        sy = jnp.dot(s, y)
        yy = jnp.dot(y, y)
        ok = (state.count > 0) & (sy > eps * jnp.sqrt(jnp.dot(s, s) * yy))
        safe_sy = jnp.where(ok, sy, 1.0)
        # before the first update, start from the scaled identity (sy / yy) I
        H = jnp.where(state.count == 1, (safe_sy / jnp.where(yy > 0, yy, 1.0)) * eye, state.inv_hessian)
        Hy = H @ y
        yHy = jnp.dot(y, Hy)
        tau = jnp.minimum(1.0, safe_sy / jnp.where(yHy > 0, yHy, safe_sy)) if self_scaling else 1.0
        rho = 1.0 / safe_sy
        H_new = tau * (H - rho * (jnp.outer(s, Hy) + jnp.outer(Hy, s)) + (rho**2 * yHy) * jnp.outer(s, s)) + rho * jnp.outer(s, s)
        H_new = 0.5 * (H_new + H_new.T)
        gamma0 = jnp.minimum(1.0, 1.0 / jnp.maximum(jnp.linalg.norm(g), 1e-30)).astype(dtype)
        H = jnp.where(ok, H_new, jnp.where(state.count == 0, gamma0 * eye, H))
        direction = H @ g
        new_state = ScaleByBFGSState(count=state.count + 1, inv_hessian=H, prev_params=w, prev_grads=g)
        return unravel(direction), new_state

    return optax.GradientTransformation(init_fn, update_fn)


def bfgs(
    self_scaling: bool = True,
    linesearch: optax.GradientTransformationExtraArgs | None = None,
) -> optax.GradientTransformationExtraArgs:
    """(Self-scaled) dense BFGS with optax's zoom line search; drop-in for ``optax.lbfgs``.

    Use with ``optax.value_and_grad_from_state`` and ``update(..., value=, grad=, value_fn=)``
    exactly as ``optax.lbfgs``.
    """
    if linesearch is None:
        linesearch = optax.scale_by_zoom_linesearch(max_linesearch_steps=20, initial_guess_strategy="one")
    return optax.chain(scale_by_bfgs(self_scaling), optax.scale(-1.0), linesearch)
