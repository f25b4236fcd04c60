"""Spatial discretisations for the method of lines: Fourier (periodic, or odd/even reflection of
an interval) and Chebyshev collocation.

A discretisation is a strategy object chosen by the user (`Fourier()`, `Chebyshev()`); `build`
turns it into a grid for one problem and resolution. A grid maps the ODE state (the values at
its unknown nodes, shape (q, n_state)) to x-derivatives there, and interpolates stored node
values anywhere (numpy, from a JSON-able description, so a saved reference can be sampled).
"""

from __future__ import annotations

import abc
import dataclasses
import math
from collections.abc import Callable, Mapping

import numpy as np

__all__ = ["AbstractDiscretisation", "Fourier", "Chebyshev"]


# -- strategies (what the user chooses) -----------------------------------------------------
class AbstractDiscretisation(abc.ABC):
    """How x is discretised. `resolution`: the number of grid intervals (None: automatic)."""

    resolution: int | None

    def _check(self):
        r = self.resolution
        if r is not None and not (isinstance(r, (int, np.integer)) and r >= 8):
            raise ValueError(f"{type(self).__name__} resolution must be an int >= 8 (or None for "
                             f"automatic), got {r!r}")


@dataclasses.dataclass(frozen=True)
class Fourier(AbstractDiscretisation):
    r"""Fourier pseudo-spectral differentiation, $\widehat{\partial_x^m u}(\kappa) = (i\kappa)^m \hat u(\kappa)$.

    On periodic problems the grid is $x_j = lo + jL/n$. On an interval with homogeneous
    Dirichlet (Neumann) data, when the equation is covariant under the reflection
    $x \to 2c - x$, $u \to -u$ ($u \to u$) about both ends, the solution extends to an odd (even)
    $2L$-periodic function: a sine (cosine) series on $x_j = lo + jL/n$, $j = 0..n$.

    **Arguments:**

    - `resolution`: n (None: chosen automatically from the spectrum's tail).
    - `dealias`: apply the 2/3 rule (zero the top third of the modes of the right-hand side).
    """

    resolution: int | None = None
    dealias: bool = False

    def __post_init__(self):
        self._check()


@dataclasses.dataclass(frozen=True)
class Chebyshev(AbstractDiscretisation):
    r"""Chebyshev collocation on the Gauss-Lobatto points $x_j = c - h\cos(\pi j / n)$, $j = 0..n$.

    Dirichlet values are imposed at the two end points; Neumann data through the first row and
    last row of the differentiation matrix. Stiff (eigenvalues $\sim n^{2m}$ for $\partial_x^m$):
    use an implicit solver (the default with this grid is `diffrax.Kvaerno5`).
    """

    resolution: int | None = None

    def __post_init__(self):
        self._check()


# -- grids (one problem, one resolution) ---------------------------------------------------
class AbstractGrid(abc.ABC):
    """State layout, derivatives and interpolation for one resolution."""

    lo: float
    hi: float
    n: int
    nodes: np.ndarray          # all stored nodes (n_full,)
    state_index: np.ndarray    # positions of the unknowns among `nodes`

    @property
    def state_nodes(self) -> np.ndarray:
        return self.nodes[self.state_index]

    @abc.abstractmethod
    def derivatives(self, y, orders, t) -> dict:
        """x-derivatives (order -> (q, n_state)) of the state y (q, n_state) at time t (JAX)."""

    @abc.abstractmethod
    def full(self, y, t):
        """Values at every node (q, n_full) from the state (JAX)."""

    def filter(self, f):
        """Applied to the right-hand side (q, n_state); identity unless de-aliasing."""
        return f

    @abc.abstractmethod
    def describe(self) -> dict:
        """JSON-ready description; `interpolator(describe(), nodes)` rebuilds the interpolation."""

    @abc.abstractmethod
    def tail(self, values: np.ndarray) -> float:
        """Relative size of the top third of the spectrum of node values (..., n_full)."""


def _cis(a: np.ndarray) -> np.ndarray:
    return np.cos(a) + 1j * np.sin(a)


def _exp_table(theta: np.ndarray, nk: int) -> np.ndarray:
    """exp(i k theta_p) (P, nk) as products of two small tables (k = aB + b): numpy's complex
    exp is slow, a complex product is cheap."""
    B = 32
    A = -(-nk // B)
    eb = _cis(np.outer(theta, np.arange(B)))           # (P, B)
    ea = _cis(np.outer(theta, B * np.arange(A)))       # (P, A)
    return (ea[:, :, None] * eb[:, None, :]).reshape(len(theta), A * B)[:, :nk]


def _fourier_eval(c: np.ndarray, theta: np.ndarray, n_ext: int) -> np.ndarray:
    """Real trigonometric interpolant with rfft coefficients c (..., nk) (already / n_ext) at theta."""
    nk = c.shape[-1]
    w = np.full(nk, 2.0)
    w[0] = 1.0
    if n_ext % 2 == 0:
        w[-1] = 1.0
    out = np.zeros(c.shape[:-1] + theta.shape)
    # Chunk over points to bound memory (nk x chunk complex).
    chunk = max(1, 2**22 // nk)
    flat = theta.reshape(-1)
    res = np.empty(c.shape[:-1] + flat.shape)
    for s in range(0, flat.size, chunk):
        e = _exp_table(flat[s:s + chunk], nk).T  # (nk, m)
        res[..., s:s + chunk] = np.real((c * w) @ e)
    out[...] = res.reshape(c.shape[:-1] + theta.shape)
    return out


class FourierGrid(AbstractGrid):
    """Periodic (parity None) or reflected (parity 'odd'/'even' per component) Fourier grid."""

    def __init__(self, lo: float, hi: float, n: int, parity: tuple[int, ...] | None, dealias: bool = False):
        self.lo, self.hi, self.n = float(lo), float(hi), int(n)
        self.parity = None if parity is None else tuple(int(s) for s in parity)
        self.dealias = bool(dealias)
        L = self.hi - self.lo
        if self.parity is None:
            self.nodes = self.lo + L * np.arange(self.n) / self.n
            self.n_ext, self.period = self.n, L
            self.state_index = np.arange(self.n)
        else:
            self.nodes = self.lo + L * np.arange(self.n + 1) / self.n
            self.n_ext, self.period = 2 * self.n, 2 * L
            # Odd components vanish at both ends: only interior unknowns. Mixed parities keep
            # every node; the odd ones are then pinned at zero by `full`.
            if all(s == -1 for s in self.parity):
                self.state_index = np.arange(1, self.n)
            else:
                self.state_index = np.arange(self.n + 1)
        m = np.fft.rfftfreq(self.n_ext, 1.0 / self.n_ext)
        self.kappa = 2 * np.pi / self.period * m
        self.nyquist = (self.n_ext % 2 == 0)
        self.mask = (m < self.n_ext / 3.0) if self.dealias else None

    # state <-> extended periodic array
    def _ext(self, v, xp):
        """(q, n_state) -> (q, n_ext) periodic extension."""
        if self.parity is None:
            return v
        full = self._full_from_state(v, xp)
        s = xp.asarray(np.array(self.parity, float)[:, None])
        return xp.concatenate([full, s * full[:, -2:0:-1]], axis=1)

    def _full_from_state(self, v, xp):
        if self.parity is None:
            return v
        if len(self.state_index) == self.n - 1:
            z = xp.zeros((v.shape[0], 1), v.dtype)
            return xp.concatenate([z, v, z], axis=1)
        # keep every node; odd components are zero at the ends
        keep = np.ones((len(self.parity), self.n + 1))
        for a, s in enumerate(self.parity):
            if s == -1:
                keep[a, 0] = keep[a, -1] = 0.0
        return v * xp.asarray(keep)

    def _restrict(self, d):
        if self.parity is None:
            return d
        return d[:, self.state_index]

    def symbol(self, m: int) -> np.ndarray:
        """(i kappa)^m with the Nyquist mode of odd orders zeroed (keeps derivatives real)."""
        s = (1j * self.kappa) ** m
        if m % 2 == 1 and self.nyquist:
            s = s.copy()
            s[-1] = 0.0
        return s

    def derivatives(self, y, orders, t):
        import jax.numpy as jnp

        out = {}
        yh = None
        for m in sorted(orders):
            if m == 0:
                out[0] = y
                continue
            if yh is None:
                yh = jnp.fft.rfft(self._ext(y, jnp), axis=-1)
            d = jnp.fft.irfft(yh * jnp.asarray(self.symbol(m)), self.n_ext, axis=-1)
            out[m] = self._restrict(d)
        return out

    def transform(self, v):
        """Spectra (q, nk) of state vectors (q, n_state) (JAX)."""
        import jax.numpy as jnp

        return jnp.fft.rfft(self._ext(v, jnp), axis=-1)

    def inverse(self, vh):
        """State vectors (q, n_state) from spectra (q, nk) (JAX)."""
        import jax.numpy as jnp

        return self._restrict(jnp.fft.irfft(vh, self.n_ext, axis=-1))

    def filter(self, f):
        if self.mask is None:
            return f
        import jax.numpy as jnp

        fh = jnp.fft.rfft(self._ext(f, jnp), axis=-1) * jnp.asarray(self.mask)
        return self._restrict(jnp.fft.irfft(fh, self.n_ext, axis=-1))

    def project(self, y0: np.ndarray) -> np.ndarray:
        """Initial state (numpy), de-aliased if asked."""
        if self.mask is None:
            return y0
        yh = np.fft.rfft(self._ext(y0, np), axis=-1) * self.mask
        return self._restrict(np.fft.irfft(yh, self.n_ext, axis=-1))

    def full(self, y, t):
        import jax.numpy as jnp

        return self._full_from_state(y, jnp)

    def describe(self) -> dict:
        return {"kind": "fourier", "lo": self.lo, "hi": self.hi, "n": self.n,
                "parity": None if self.parity is None else list(self.parity), "dealias": self.dealias}

    def coefficients(self, values: np.ndarray) -> np.ndarray:
        """rfft coefficients / n_ext of full node values (q, n_full, ...) along axis 1."""
        v = np.moveaxis(values, 1, -1)
        if self.parity is not None:
            s = np.array(self.parity, float).reshape((-1,) + (1,) * (v.ndim - 1))
            v = np.concatenate([v, s * v[..., -2:0:-1]], axis=-1)
        return np.fft.rfft(v, axis=-1) / self.n_ext

    def tail(self, values: np.ndarray) -> float:
        c = np.abs(self.coefficients(values))
        nk = c.shape[-1]
        top = c[..., int(math.ceil(2 * nk / 3)):]
        ref = c.max()
        return float(top.max() / ref) if ref > 0 and top.size else 0.0

    def series(self, c: np.ndarray, x: np.ndarray) -> np.ndarray:
        """Real series with rfft coefficients c (q, m, nk) (already / n_ext) at x (P,) -> (q, P, m)."""
        nk = c.shape[-1]
        w = np.full(nk, 2.0)
        w[0] = 1.0
        if self.n_ext % 2 == 0:
            w[-1] = 1.0
        theta = 2 * np.pi * (np.asarray(x, float) - self.lo) / self.period
        E = _exp_table(theta, nk)  # (P, nk)
        cw = c * w
        # Re(E C^T) as two real matrix products (BLAS), per component
        return np.stack([E.real @ cw[a].real.T - E.imag @ cw[a].imag.T for a in range(len(cw))])

    def interpolate(self, values: np.ndarray, x: np.ndarray) -> np.ndarray:
        """Node values (q, n_full, nt) -> (q, len(x), nt)."""
        c = self.coefficients(values)  # (q, nt, nk)
        theta = 2 * np.pi * (np.asarray(x, float) - self.lo) / self.period
        out = _fourier_eval(c, theta, self.n_ext)  # (q, nt, nx)
        return np.moveaxis(out, -1, 1)


def cheb_nodes(lo: float, hi: float, n: int) -> np.ndarray:
    j = np.arange(n + 1)
    return 0.5 * (lo + hi) - 0.5 * (hi - lo) * np.cos(np.pi * j / n)


def cheb_matrix(nodes: np.ndarray) -> np.ndarray:
    """First-derivative matrix on Chebyshev-Lobatto nodes (Trefethen, Spectral Methods in MATLAB, cheb.m)."""
    n = len(nodes) - 1
    c = np.ones(n + 1)
    c[0] = c[-1] = 2.0
    c *= (-1.0) ** np.arange(n + 1)
    X = nodes[:, None] - nodes[None, :]
    D = np.outer(c, 1.0 / c) / (X + np.eye(n + 1))
    D -= np.diag(D.sum(axis=1))  # negative-sum trick: rows annihilate constants
    return D


def _bary_weights(n: int) -> np.ndarray:
    w = (-1.0) ** np.arange(n + 1)
    w[0] *= 0.5
    w[-1] *= 0.5
    return w


def barycentric(nodes: np.ndarray, weights: np.ndarray, values: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Barycentric interpolation of values (..., n_nodes) at x -> (..., len(x))."""
    x = np.asarray(x, float)
    diff = x[:, None] - nodes[None, :]
    exact = diff == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        k = weights[None, :] / diff
        M = k / k.sum(axis=1, keepdims=True)
    rows = exact.any(axis=1)
    M[rows] = exact[rows].astype(float)
    return values @ M.T


class ChebyshevGrid(AbstractGrid):
    r"""Chebyshev-Lobatto collocation; the unknowns are the interior values.

    `boundary(t) -> (q, 2)` gives the Dirichlet values or Neumann derivatives at (lo, hi);
    None for a grid that only interpolates stored values (`from_description`).
    """

    def __init__(self, lo: float, hi: float, n: int, kind: str, boundary: Callable | None):
        self.lo, self.hi, self.n = float(lo), float(hi), int(n)
        self.kind = kind
        self.boundary = boundary
        self.nodes = cheb_nodes(self.lo, self.hi, self.n)
        self.state_index = np.arange(1, self.n)
        self.D = cheb_matrix(self.nodes)
        self._powers = {1: self.D}

    def matrix(self, m: int) -> np.ndarray:
        if m not in self._powers:
            self._powers[m] = self.matrix(m - 1) @ self.D
        return self._powers[m]

    def full(self, y, t):
        import jax.numpy as jnp

        g = self.boundary(t)  # (q, 2)
        if self.kind == "dirichlet":
            return jnp.concatenate([g[:, :1], y, g[:, 1:]], axis=1)
        # Neumann: D[0] u = g0, D[n] u = gn, solved for the two end values.
        D = self.D
        A = jnp.asarray(np.array([[D[0, 0], D[0, -1]], [D[-1, 0], D[-1, -1]]]))
        rhs = g - jnp.stack([y @ jnp.asarray(D[0, 1:-1]), y @ jnp.asarray(D[-1, 1:-1])], axis=1)
        ends = jnp.linalg.solve(A, rhs.T).T  # (q, 2)
        return jnp.concatenate([ends[:, :1], y, ends[:, 1:]], axis=1)

    def derivatives(self, y, orders, t):
        import jax.numpy as jnp

        full = self.full(y, t)
        out = {}
        for m in sorted(orders):
            if m == 0:
                out[0] = y
            else:
                out[m] = full @ jnp.asarray(self.matrix(m)[1:-1].T)
        return out

    def describe(self) -> dict:
        return {"kind": "chebyshev", "lo": self.lo, "hi": self.hi, "n": self.n, "boundary": self.kind}

    def coefficients(self, values: np.ndarray) -> np.ndarray:
        """Chebyshev coefficients (..., n+1) of node values (..., n+1) (nodes ascending)."""
        v = values[..., ::-1]  # cos(pi j/n) ordering: x descending from hi
        ext = np.concatenate([v, v[..., -2:0:-1]], axis=-1)
        a = np.real(np.fft.fft(ext, axis=-1))[..., : self.n + 1] / self.n
        a[..., 0] /= 2
        a[..., -1] /= 2
        return a

    def tail(self, values: np.ndarray) -> float:
        c = np.abs(self.coefficients(np.moveaxis(values, 1, -1)))
        top = c[..., int(math.ceil(2 * (self.n + 1) / 3)):]
        ref = c.max()
        return float(top.max() / ref) if ref > 0 and top.size else 0.0

    def interpolate(self, values: np.ndarray, x: np.ndarray) -> np.ndarray:
        v = np.moveaxis(values, 1, -1)  # (q, nt, n+1)
        out = barycentric(self.nodes, _bary_weights(self.n), v, x)
        return np.moveaxis(out, -1, 1)

    def interp_matrix(self, x: np.ndarray) -> np.ndarray:
        """Interpolation matrix (len(x), n+1) from node values."""
        return barycentric(self.nodes, _bary_weights(self.n), np.eye(self.n + 1), x).T


class PointsGrid:
    """Stored values on arbitrary sorted nodes: local Lagrange interpolation of degree `degree`."""

    def __init__(self, nodes: np.ndarray, degree: int = 7):
        self.nodes = np.asarray(nodes, float)
        self.degree = int(min(degree, len(self.nodes) - 1))

    def describe(self) -> dict:
        return {"kind": "points", "degree": self.degree}

    def interpolate(self, values: np.ndarray, x: np.ndarray) -> np.ndarray:
        W = lagrange_matrix(self.nodes, np.asarray(x, float), self.degree)  # (len(x), n)
        return np.einsum("qnt,xn->qxt", values, W)

    def interp_matrix(self, x: np.ndarray) -> np.ndarray:
        """Interpolation matrix (len(x), n) from node values."""
        return lagrange_matrix(self.nodes, np.asarray(x, float), self.degree)


def local_lagrange(nodes: np.ndarray, x: np.ndarray, degree: int) -> tuple[np.ndarray, np.ndarray]:
    """Local Lagrange interpolation on the degree+1 nearest nodes (sorted `nodes`).

    Returns (idx, w), both (len(x), m): f(x_p) ~ sum_s w[p, s] f(nodes[idx[p, s]]); exact at nodes.
    """
    nodes = np.asarray(nodes, float)
    x = np.asarray(x, float).reshape(-1)
    n = len(nodes)
    m = min(degree + 1, n)
    start = np.clip(np.searchsorted(nodes, x) - m // 2, 0, n - m)
    idx = start[:, None] + np.arange(m)[None, :]
    st = nodes[idx]                                   # (P, m)
    diff = st[:, :, None] - st[:, None, :]            # (P, m, m)
    diff[:, np.arange(m), np.arange(m)] = 1.0
    bw = 1.0 / diff.prod(axis=2)                      # barycentric weights per stencil
    d = x[:, None] - st
    hit = d == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        k = bw / d
        w = k / k.sum(axis=1, keepdims=True)
    rows = hit.any(axis=1)
    w[rows] = hit[rows].astype(float)
    return idx, w


def lagrange_matrix(nodes: np.ndarray, x: np.ndarray, degree: int) -> np.ndarray:
    """Dense weights (len(x), len(nodes)) of `local_lagrange`."""
    idx, w = local_lagrange(nodes, x, degree)
    W = np.zeros((len(idx), len(nodes)))
    np.put_along_axis(W, idx, w, axis=1)
    return W


def interpolator(description: Mapping, nodes: np.ndarray):
    """Rebuild a grid's interpolation from `describe()` and its nodes."""
    kind = description.get("kind")
    if kind == "fourier":
        par = description.get("parity")
        return FourierGrid(description["lo"], description["hi"], description["n"],
                           None if par is None else tuple(par))
    if kind == "chebyshev":
        return ChebyshevGrid(description["lo"], description["hi"], description["n"],
                             description.get("boundary", "dirichlet"), boundary=None)
    return PointsGrid(nodes, description.get("degree", 7))
