r"""Networks invariant under a discrete symmetry by construction.

For an involution $g$ ($g^2 = 1$) acting on points by $\tilde x(x)$ and affinely on values,
the Reynolds average
$$N_g = \tfrac12\big(N + g\cdot N\big), \qquad (g\cdot N)(y) = \tilde u\big(x, N(x)\big),\ x = \tilde x^{-1}(y),$$
is exactly $g$-invariant, $g\cdot N_g = N_g$, for every network $N$ (the action on functions is
affine, so it commutes with the average; Bronstein et al. 2021, "Encoding involutory invariance
in neural networks", Bhattacharya et al. 2023). Example: Burgers with $u_0 = -\sin\pi x$ and zero
Dirichlet data is odd, $g: (x, u) \mapsto (-x, -u)$, so $N_g(x, t) = (N(x, t) - N(-x, t))/2$.

Wrapped around a hard-constrained network whose data ($u_0$, the boundary values) are
themselves $g$-invariant, the average keeps the constraints: both terms satisfy them.
"""

from __future__ import annotations

from collections.abc import Callable

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Float

from ..losses._action import GroupAction, act_on_values


class Symmetrised(eqx.Module):
    r"""$\tfrac12(N + g\cdot N)$ for a discrete involution $g$ given as a compiled `GroupAction`
    (no group parameters; PDE parameters substituted). `model` maps points (N, p) or (p,) to
    values (N, q) or (q,)."""

    model: Callable
    action: GroupAction

    def __check_init__(self):
        if self.action.group_parameters:
            raise ValueError(f"Symmetrised needs a discrete map, got group parameters {self.action.group_parameters}")
        if self.action.parameters:
            raise ValueError(f"Symmetrised needs the PDE parameters substituted, got {self.action.parameters}")

    def __call__(self, x: Float[Array, "*batch p"], *, key=None) -> Float[Array, "*batch q"]:
        if x.ndim == 1:  # one point (the derivative strategies vmap over points): the model unbatched
            back = self.action.inverse()
            pre = back(None, x[None], jnp.zeros((1, len(self.action.dependent)), x.dtype))[0][0]
            n_pre = self.model(pre)
            _, gu = self.action(None, pre[None], n_pre[None])
            return 0.5 * (self.model(x) + gu[0])
        flat = x.reshape(-1, x.shape[-1])
        u = self.model(flat)
        gu = act_on_values(self.action, self.model, None, flat)
        out = 0.5 * (u + gu.reshape(u.shape))
        return out.reshape(*x.shape[:-1], out.shape[-1])
