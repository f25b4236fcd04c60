r"""Tensor-product grids for the method of lines in d >= 2 space dimensions.

One 1-D grid per axis (`FourierGrid`: periodic, or odd/even reflection of the interval;
`ChebyshevGrid`: Lobatto collocation with Dirichlet values), combined axis by axis: a
derivative $\partial^\alpha u = \partial_{x_1}^{\alpha_1} \cdots \partial_{x_d}^{\alpha_d} u$
applies each axis's 1-D operator along its own array axis to the values on the full node grid,
then keeps the unknowns. Arrays are (q, n_1, ..., n_d) (state) or (q, N_1, ..., N_d) (all
nodes); interpolation is a product of per-axis interpolation matrices.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from ._grid import ChebyshevGrid, FourierGrid, PointsGrid, interpolator


def axis_matrix(grid, x: np.ndarray) -> np.ndarray:
    """Interpolation matrix (len(x), N) from the node values of one 1-D grid."""
    x = np.asarray(x, float).reshape(-1)
    if isinstance(grid, (ChebyshevGrid, PointsGrid)):
        return grid.interp_matrix(x)
    if isinstance(grid, FourierGrid):
        n_full = len(grid.nodes)
        one = FourierGrid(grid.lo, grid.hi, grid.n, None if grid.parity is None else grid.parity[:1])
        return one.interpolate(np.eye(n_full)[None], x)[0]  # (len(x), n_full)
    raise TypeError(f"no interpolation for the grid {grid!r}")


def _slab(d: int, axis: int, sl) -> tuple:
    """An index selecting `sl` along space axis `axis` of a (q, n_1, ..., n_d) array."""
    out = [slice(None)] * (d + 1)
    out[axis + 1] = sl
    return tuple(out)


class TensorGrid:
    r"""A tensor product of 1-D grids, one per space axis (the same resolution n on each).

    `boundary(t) -> (q, N_1, ..., N_d)`: the Dirichlet data, or the Neumann data (the
    derivative along $+x_k$ on the faces of $x_k$), at every node (only the faces are read),
    needed when an axis is Chebyshev; None for a grid that only interpolates.
    """

    def __init__(self, axes: Sequence, boundary: Callable | None = None):
        self.axes = tuple(axes)
        self.d = len(self.axes)
        self.n = int(self.axes[0].n)
        self.boundary = boundary
        self.nodes = tuple(g.nodes for g in self.axes)
        self.full_shape = tuple(len(g.nodes) for g in self.axes)
        self.state_shape = tuple(len(g.state_index) for g in self.axes)
        # the unknowns are a contiguous block of the node grid along every axis
        self._block = tuple(slice(int(g.state_index[0]), int(g.state_index[-1]) + 1) for g in self.axes)
        self.chebyshev = any(isinstance(g, ChebyshevGrid) for g in self.axes)

    # -- layout -----------------------------------------------------------------------------
    @property
    def state_nodes(self) -> np.ndarray:
        """The unknowns' points (n_1 ... n_d, d), axis 1 slowest."""
        mesh = np.meshgrid(*[g.state_nodes for g in self.axes], indexing="ij")
        return np.stack([m.ravel() for m in mesh], axis=1)

    def full(self, y, t):
        """Values at every node (q, N_1, ..., N_d) from the state (JAX)."""
        import jax.numpy as jnp

        if self.chebyshev and self.axes[0].kind == "neumann":
            return self._neumann_full(y, jnp.asarray(self.boundary(t), y.dtype))
        if self.chebyshev:
            base = jnp.asarray(self.boundary(t), y.dtype)
        else:  # Fourier: odd reflections vanish at the ends, other axes keep every node
            base = jnp.zeros((y.shape[0],) + self.full_shape, y.dtype)
        return base.at[(slice(None),) + self._block].set(y)

    def _neumann_full(self, y, g):
        r"""Face values from $D_k[0] u = g$, $D_k[N] u = g$ along every line of each axis k in
        turn (two unknowns per line, as in 1-D); a later axis's lines see the faces of the
        earlier ones, so an edge or corner value satisfies the condition of the last axis."""
        import jax.numpy as jnp

        v = jnp.zeros((y.shape[0],) + self.full_shape, y.dtype).at[(slice(None),) + self._block].set(y)
        for k, grid in enumerate(self.axes):
            D = grid.D
            A = np.array([[D[0, 0], D[0, -1]], [D[-1, 0], D[-1, -1]]])
            inner = v[_slab(self.d, k, slice(1, -1))]
            rest = [jnp.tensordot(inner, jnp.asarray(D[row, 1:-1]), axes=([k + 1], [0])) for row in (0, -1)]
            rhs = [jnp.take(g, i, axis=k + 1) - r for i, r in zip((0, -1), rest)]
            inv = np.linalg.inv(A)
            lo = inv[0, 0] * rhs[0] + inv[0, 1] * rhs[1]
            hi = inv[1, 0] * rhs[0] + inv[1, 1] * rhs[1]
            v = v.at[_slab(self.d, k, 0)].set(lo).at[_slab(self.d, k, -1)].set(hi)
        return v

    def _restrict(self, v):
        return v[(slice(None),) + self._block]

    # -- one axis ----------------------------------------------------------------------------
    def _axis_derivative(self, v, k: int, m: int, cache: dict | None):
        r"""$\partial_{x_k}^m$ of node values v (q, N_1, ..., N_d) along axis k (JAX); `cache`
        keeps the transforms of one array (the full node values) across orders."""
        import jax.numpy as jnp

        g = self.axes[k]
        ax = k + 1
        if isinstance(g, ChebyshevGrid):
            out = jnp.tensordot(v, jnp.asarray(g.matrix(m).T), axes=([ax], [0]))
            return jnp.moveaxis(out, -1, ax)
        if cache is None or k not in cache:
            vh = jnp.fft.rfft(self._extend(v, k, jnp), axis=ax)
            if cache is not None:
                cache[k] = vh
        else:
            vh = cache[k]
        sym = jnp.asarray(g.symbol(m)).reshape((-1,) + (1,) * (self.d - k - 1))
        d = jnp.fft.irfft(vh * sym, g.n_ext, axis=ax)
        return d[_slab(self.d, k, slice(0, self.full_shape[k]))]

    def _extend(self, v, k: int, xp):
        """Node values along axis k -> the periodic extension (odd/even reflection) there."""
        g = self.axes[k]
        if g.parity is None:
            return v
        inner = xp.flip(v[_slab(self.d, k, slice(1, -1))], axis=k + 1)
        return xp.concatenate([v, g.parity[0] * inner], axis=k + 1)

    # -- the method of lines -------------------------------------------------------------------
    def derivatives(self, y, keys, t) -> dict:
        r"""$\partial^\alpha$ of the state y (q, n_1, ..., n_d) for each multi-index alpha in
        `keys` (tuples over the space axes), on the unknowns (JAX)."""
        full = None
        cache: dict = {}
        out = {}
        for alpha in keys:
            if not any(alpha):
                out[alpha] = y
                continue
            if full is None:
                full = self.full(y, t)
            v = full
            for k, m in enumerate(alpha):
                if m:
                    v = self._axis_derivative(v, k, m, cache if v is full else None)
            out[alpha] = self._restrict(v)
        return out

    def transform(self, y):
        """Spectra (q, M_1, ..., M_d) of states (q, n_1, ..., n_d): the d-dimensional FFT of the
        node values, each axis extended by its reflection (Fourier axes only; JAX)."""
        import jax.numpy as jnp

        if self.chebyshev:
            raise TypeError("transform: a tensor grid with Chebyshev axes has no Fourier transform")
        v = jnp.zeros((y.shape[0],) + self.full_shape, y.dtype).at[(slice(None),) + self._block].set(y)
        for k in range(self.d):
            v = self._extend(v, k, jnp)
        return jnp.fft.fftn(v, axes=tuple(range(1, self.d + 1)))

    def inverse(self, vh):
        """States (q, n_1, ..., n_d) from spectra (q, M_1, ..., M_d) (inverse of `transform`)."""
        import jax.numpy as jnp

        v = jnp.fft.ifftn(vh, axes=tuple(range(1, self.d + 1))).real
        return self._restrict(v[(slice(None),) + tuple(slice(0, n) for n in self.full_shape)])

    def filter(self, f):
        """The 2/3 rule on Fourier axes with `dealias` (identity otherwise)."""
        if not any(isinstance(g, FourierGrid) and g.mask is not None for g in self.axes):
            return f
        import jax.numpy as jnp

        return self._dealias(f, jnp)

    def _dealias(self, f, xp):
        v = f
        if any(s != n for s, n in zip(self.state_shape, self.full_shape)):
            v = xp.zeros((f.shape[0],) + self.full_shape, f.dtype)
            v = v.at[(slice(None),) + self._block].set(f) if xp is not np else _np_set(v, self._block, f)
        for k, g in enumerate(self.axes):
            if isinstance(g, FourierGrid) and g.mask is not None:
                mask = xp.asarray(g.mask.astype(float)).reshape((-1,) + (1,) * (self.d - k - 1))
                vh = xp.fft.rfft(self._extend(v, k, xp), axis=k + 1) * mask
                v = xp.fft.irfft(vh, g.n_ext, axis=k + 1)[_slab(self.d, k, slice(0, self.full_shape[k]))]
        return v[(slice(None),) + self._block]

    def project(self, y0: np.ndarray) -> np.ndarray:
        """Initial state (numpy), de-aliased if asked."""
        if not any(isinstance(g, FourierGrid) and g.mask is not None for g in self.axes):
            return y0
        return self._dealias(y0, np)

    # -- after the solve (numpy) ------------------------------------------------------------------
    def coefficients(self, values: np.ndarray) -> np.ndarray:
        """|spectral coefficients| of node values (q, N_1, ..., N_d, ...) along every space axis
        (Fourier modes of the extension, all of them (fft); Chebyshev coefficients)."""
        c = np.asarray(values, complex)
        for k, g in enumerate(self.axes):
            ax = k + 1
            if isinstance(g, ChebyshevGrid):
                def cheb(v):
                    return np.moveaxis(g.coefficients(np.moveaxis(v, ax, -1)), -1, ax)

                c = cheb(c.real) + 1j * cheb(c.imag)
            else:
                c = np.fft.fft(self._extend(c, k, np), axis=ax) / g.n_ext
        return np.abs(c)

    def _top(self, k: int, size: int) -> np.ndarray:
        """Along axis k, the coefficients (of `size`) in the top third of the spectrum."""
        g = self.axes[k]
        if isinstance(g, ChebyshevGrid):
            return np.arange(size) >= int(math.ceil(2 * size / 3))
        m = np.abs(np.fft.fftfreq(size, 1.0 / size))  # |wavenumber index| of the fft
        return m >= int(math.ceil(2 * (size // 2 + 1) / 3))

    def tail(self, values: np.ndarray) -> float:
        """Largest coefficient with some axis in the top third of its spectrum, relative to the
        largest coefficient."""
        c = self.coefficients(values)
        shell = np.zeros(c.shape[1:self.d + 1], bool)
        for k in range(self.d):
            shell |= self._top(k, c.shape[k + 1]).reshape((-1,) + (1,) * (self.d - k - 1))
        ref = c.max()
        if ref == 0 or not shell.any():
            return 0.0
        return float(np.moveaxis(c, 0, -1)[shell].max() / ref)

    def interpolate(self, values: np.ndarray, x: Sequence[np.ndarray]) -> np.ndarray:
        """Node values (q, N_1, ..., N_d, nt) -> (q, len(x_1), ..., len(x_d), nt)."""
        return tensor_interpolate(self.axes, values, x)

    def describe(self) -> dict:
        return {"kind": "tensor", "n": self.n, "axes": [g.describe() for g in self.axes]}


def _np_set(v: np.ndarray, block: tuple, f: np.ndarray) -> np.ndarray:
    v = v.copy()
    v[(slice(None),) + block] = f
    return v


def tensor_interpolate(axes: Sequence, values: np.ndarray, x: Sequence[np.ndarray]) -> np.ndarray:
    """Node values (q, N_1, ..., N_d, ...) on the 1-D grids `axes` at the tensor grid x."""
    out = np.asarray(values)
    for k, (g, xk) in enumerate(zip(axes, x)):
        M = axis_matrix(g, xk)
        out = np.moveaxis(np.tensordot(M, out, axes=([1], [k + 1])), 0, k + 1)
    return out


def tensor_sample(axes: Sequence, values: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Node values (q, N_1, ..., N_d, m) at scattered points (P, d) -> (q, P, m)."""
    d = len(axes)
    mats = [axis_matrix(g, points[:, k]) for k, g in enumerate(axes)]  # (P, N_k)
    out = np.tensordot(mats[0], values, axes=([1], [1]))              # (P, q, N_2.., m)
    letters = "abcdefgh"[: d - 1]
    for k in range(1, d):
        rest = letters[k:]
        out = np.einsum(f"pq{letters[k - 1]}{rest}z,p{letters[k - 1]}->pq{rest}z", out, mats[k])
    return np.moveaxis(out, 0, 1)


def tensor_interpolator(description: dict, nodes: Sequence[np.ndarray]) -> list:
    """The per-axis interpolating grids of a `TensorGrid.describe()` with its node axes."""
    return [interpolator(a, np.asarray(n, float)) for a, n in zip(description["axes"], nodes)]
