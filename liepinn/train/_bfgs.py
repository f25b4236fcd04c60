r"""Dense quasi-Newton methods of the self-scaled Broyden family, as optax transformations.

L-BFGS forgets curvature beyond its memory; for networks of a few thousand parameters the
dense inverse-Hessian approximation $H_k$ ($n^2$ numbers, a few $n^2$ operations per
iteration) costs far less than one loss evaluation on the collocation points, and keeps
everything. With $s_k = w_{k+1} - w_k$, $y_k = g_{k+1} - g_k$, the self-scaled Broyden
family updates the inverse Hessian as (Urbán, Stefanou & Pons 2025, eq. 14; Al-Baali,
Spedicato & Maggioni 2014)

$$H_{k+1} = \frac{1}{\tau_k}\Big[H_k - \frac{H_k y_k y_k^\top H_k}{y_k^\top H_k y_k}
  + \phi_k v_k v_k^\top\Big] + \frac{s_k s_k^\top}{y_k^\top s_k},\qquad
  v_k = \sqrt{y_k^\top H_k y_k}\,\Big[\frac{s_k}{y_k^\top s_k}
  - \frac{H_k y_k}{y_k^\top H_k y_k}\Big],$$

with the scalars $b_k = s_k^\top B_k s_k / s_k^\top y_k$ ($B_k = H_k^{-1}$; since the step
is $s_k = -\alpha_k H_k g_k$, $s_k^\top B_k s_k = -\alpha_k s_k^\top g_k$ needs no inverse),
$h_k = y_k^\top H_k y_k / s_k^\top y_k$ and $a_k = b_k h_k - 1 \ge 0$. The members:

- BFGS: $\tau_k = 1$, $\phi_k = 1$.
- Self-scaled BFGS (Al-Baali's scaling, as used for PINNs by Urbán et al. 2025 and Kiyani
  et al. 2025): $\phi_k = 1$, $\tau_k = \min(1, 1/b_k)$.
- Self-scaled Broyden (same papers): with $c_k = \sqrt{a_k/(1+a_k)}$,
  $\rho_k^- = \min(1, h_k(1-c_k))$, $\theta_k^- = (\rho_k^- - 1)/a_k$, $\theta_k^+ = 1/\rho_k^-$,
  $\theta_k = \max(\theta_k^-, \min(\theta_k^+, (1-b_k)/b_k))$ and $\sigma_k = 1 + a_k\theta_k$,

  $$\tau_k = \begin{cases}\min(1, 1/b_k)\,\min(\sigma_k^{-1/(n-1)}, 1/\theta_k) & \theta_k > 0\\
  \min\big(\min(1, 1/b_k)\,\sigma_k^{-1/(n-1)}, \sigma_k\big) & \theta_k \le 0\end{cases},
  \qquad \phi_k = \frac{1-\theta_k}{1+a_k\theta_k}$$

  ($\theta_k$ is the Broyden parameter of the direct update of $B_k$: 0 is BFGS, 1 is DFP).

$H_0 = \gamma_0 I$ with $\gamma_0 = \min(1, 1/\|g_0\|)$ for the first step. The first update
uses the initial scaling $\tau_0 = h_0/(1 + a_0\theta_0)$ instead of the formula above
(Al-Baali & Khalfan 2012; as in the SSBroyden reference implementation of Bioli &
Abarrategi 2026, which follows Urbán et al.); for the BFGS members ($\theta_0 = 0$) this is
$H_0 \leftarrow (s^\top y / y^\top H_0 y) H_0$, i.e. Nocedal & Wright's eq. 6.20. An update
is skipped when the curvature condition $s^\top y > \epsilon \|s\|\|y\|$ fails or the new
matrix is not finite. The transformation outputs the direction $H_k g_k$; chain it with
``scale(-1)`` and a line search, as :func:`bfgs` and :func:`ssbroyden` do with optax's zoom
line search (strong Wolfe conditions, Nocedal & Wright Alg. 3.5-3.6), like ``optax.lbfgs``.

References: J. F. Urbán, P. Stefanou, J. A. Pons, "Unveiling the optimization process of
physics informed neural networks: how accurate and competitive can PINNs be?", J. Comput.
Phys. (2025), arXiv:2405.04230. E. Kiyani, K. Shukla, J. F. Urbán, J. Darbon,
G. E. Karniadakis, "Which optimizer works best for physics-informed neural networks and
Kolmogorov-Arnold networks?", arXiv:2501.16371 (2025). M. Al-Baali, E. Spedicato,
F. Maggioni, Optim. Methods Softw. 29 (2014) 937-954. S. S. Oren, D. G. Luenberger,
Management Sci. 20 (1974) 845-862. M. Al-Baali, H. Khalfan, Comput. Optim. Appl. 53 (2012)
437-459 (the initial scaling). I. Bioli, M. Mendibe Abarrategi, "Self-Scaled Broyden Family of
Quasi-Newton Methods in JAX", arXiv:2603.10599 (2026).
"""

from __future__ import annotations

import abc
from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax
from jax.flatten_util import ravel_pytree

__all__ = ["scale_by_bfgs", "scale_by_ssbroyden", "bfgs", "ssbroyden", "zoom_linesearch"]


class ScaleByBroydenState(NamedTuple):
    count: jax.Array
    inv_hessian: jax.Array
    prev_params: jax.Array
    prev_grads: jax.Array
    prev_direction: jax.Array


class _Member(abc.ABC):
    """A member of the self-scaled Broyden family: the scalars of the update."""

    @abc.abstractmethod
    def coefficients(self, b, h, a, n):
        r"""``(theta, tau)`` for $k \ge 1$: $\theta_k$ (the Python float 0.0 for the BFGS
        members, whose $v_k v_k^\top$ correction is then left out of the computation) and
        $\tau_k$."""


class _BFGS(_Member):
    def coefficients(self, b, h, a, n):
        return 0.0, 1.0


class _SSBFGS(_Member):
    def coefficients(self, b, h, a, n):
        return 0.0, jnp.minimum(1.0, 1.0 / b)


class _SSBroyden(_Member):
    def coefficients(self, b, h, a, n):
        tau0 = jnp.minimum(1.0, 1.0 / b)
        degenerate = a <= 1e-12  # B s parallel to y: every member coincides, take BFGS
        a_ = jnp.where(degenerate, 1.0, a)
        c = jnp.sqrt(a_ / (a_ + 1.0))
        rho_minus = jnp.minimum(1.0, h * (1.0 - c))
        theta_minus = (rho_minus - 1.0) / a_
        theta_plus = 1.0 / rho_minus
        theta = jnp.maximum(theta_minus, jnp.minimum(theta_plus, (1.0 - b) / b))
        theta = jnp.where(degenerate, 0.0, theta)
        sigma = 1.0 + a * theta
        sigma_pow = sigma ** (-1.0 / (n - 1)) if n > 1 else jnp.ones_like(sigma)
        safe_theta = jnp.where(theta > 0, theta, 1.0)
        tau = jnp.where(theta > 0, tau0 * jnp.minimum(sigma_pow, 1.0 / safe_theta),
                        jnp.minimum(tau0 * sigma_pow, sigma))
        return theta, tau


def _scale_by_broyden(member: _Member, eps: float) -> optax.GradientTransformation:
    def init_fn(params):
        flat, _ = ravel_pytree(params)
        n = flat.size
        return ScaleByBroydenState(
            count=jnp.zeros((), jnp.int32),
            inv_hessian=jnp.eye(n, dtype=flat.dtype),
            prev_params=jnp.zeros_like(flat),
            prev_grads=jnp.zeros_like(flat),
            prev_direction=jnp.zeros_like(flat),
        )

    def update_fn(updates, state, params=None):
        if params is None:
            raise ValueError("the Broyden-family transformations need params: update(grads, state, params)")
        g, unravel = ravel_pytree(updates)
        w, _ = ravel_pytree(params)
        dtype = g.dtype
        n = g.size
        eye = jnp.eye(n, dtype=dtype)
        s = w - state.prev_params
        y = g - state.prev_grads
        sy = jnp.dot(s, y)
        yy = jnp.dot(y, y)
        ss = jnp.dot(s, s)
        ok = (state.count > 0) & (sy > eps * jnp.sqrt(ss * yy))
        safe_sy = jnp.where(ok, sy, 1.0)
        H = state.inv_hessian
        Hy = H @ y
        yHy = jnp.dot(y, Hy)
        rho = 1.0 / safe_sy
        # s^T B s, B = H^{-1}: the step was s = -alpha p with p = H g_old, so s^T B s =
        # (s.p)(s.g_old)/(p.p) = -alpha s.g_old needs no inverse
        p = state.prev_direction
        pp = jnp.dot(p, p)
        sBs = jnp.dot(s, p) * jnp.dot(s, state.prev_grads) / jnp.where(pp > 0, pp, 1.0)
        b = sBs * rho
        h = yHy * rho
        a = jnp.maximum(b * h - 1.0, 0.0)
        theta, tau = member.coefficients(b, h, a, n)
        # the first update: the initial scaling tau_0 = h_0 / (1 + a_0 theta_0)
        tau = jnp.where(state.count == 1, h / (1.0 + a * theta), tau)
        scale = 1.0 / jnp.where(tau > 0, tau, 1.0)
        core = H - rho * (jnp.outer(s, Hy) + jnp.outer(Hy, s)) + (rho**2 * yHy) * jnp.outer(s, s)
        if not (isinstance(theta, float) and theta == 0.0):
            # phi v v^T = v v^T + (phi - 1) v v^T, and H - Hy Hy^T / yHy + v v^T is `core`
            phi = (1.0 - theta) / (1.0 + a * theta)
            u = s * rho - Hy / jnp.where(yHy > 0, yHy, 1.0)
            core = core + ((phi - 1.0) * yHy) * jnp.outer(u, u)
        H_new = scale * core + rho * jnp.outer(s, s)
        H_new = 0.5 * (H_new + H_new.T)
        ok = ok & jnp.all(jnp.isfinite(H_new))
        gamma0 = jnp.minimum(1.0, 1.0 / jnp.maximum(jnp.linalg.norm(g), 1e-30)).astype(dtype)
        H = jnp.where(ok, H_new, jnp.where(state.count == 0, gamma0 * eye, H))
        direction = H @ g
        new_state = ScaleByBroydenState(count=state.count + 1, inv_hessian=H, prev_params=w, prev_grads=g,
                                        prev_direction=direction)
        return unravel(direction), new_state

    return optax.GradientTransformation(init_fn, update_fn)


def scale_by_bfgs(self_scaling: bool = True, eps: float = 1e-10) -> optax.GradientTransformation:
    r"""Direction $H_k g_k$ of dense BFGS, self-scaled ($\tau_k = \min(1, 1/b_k)$) when
    ``self_scaling``; see the module docstring."""
    return _scale_by_broyden(_SSBFGS() if self_scaling else _BFGS(), eps)


def scale_by_ssbroyden(eps: float = 1e-10) -> optax.GradientTransformation:
    r"""Direction $H_k g_k$ of the self-scaled Broyden method (Urbán et al. 2025); see the
    module docstring for $\tau_k$ and $\phi_k$."""
    return _scale_by_broyden(_SSBroyden(), eps)


def zoom_linesearch(max_steps: int = 20) -> optax.GradientTransformationExtraArgs:
    r"""optax's zoom line search for the strong Wolfe conditions
    $f(w + \eta u) \le f(w) + c_1 \eta\, u^\top g$ and $|u^\top g(w + \eta u)| \le c_2 |u^\top g|$
    ($c_1 = 10^{-4}$, $c_2 = 0.9$), starting each search at the quasi-Newton step $\eta = 1$."""
    return optax.scale_by_zoom_linesearch(max_linesearch_steps=max_steps, initial_guess_strategy="one")


def bfgs(
    self_scaling: bool = True,
    linesearch: optax.GradientTransformationExtraArgs | None = None,
) -> optax.GradientTransformationExtraArgs:
    """(Self-scaled) dense BFGS with a strong-Wolfe line search; drop-in for ``optax.lbfgs``.

    Use with ``optax.value_and_grad_from_state`` and ``update(..., value=, grad=, value_fn=)``
    exactly as ``optax.lbfgs``.
    """
    if linesearch is None:
        linesearch = zoom_linesearch(20)
    return optax.chain(scale_by_bfgs(self_scaling), optax.scale(-1.0), linesearch)


def ssbroyden(linesearch: optax.GradientTransformationExtraArgs | None = None) -> optax.GradientTransformationExtraArgs:
    """Self-scaled Broyden with a strong-Wolfe line search; used as :func:`bfgs`."""
    if linesearch is None:
        linesearch = zoom_linesearch(20)
    return optax.chain(scale_by_ssbroyden(), optax.scale(-1.0), linesearch)
