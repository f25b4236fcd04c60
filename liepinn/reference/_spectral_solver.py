"""A lineax solver for operators diagonalised by a Fourier grid's transform (1-D, or a tensor
product of Fourier axes)."""

from __future__ import annotations

from typing import Any

import diffrax as dfx
import equinox as eqx
import jax.numpy as jnp
import lineax as lx
import numpy as np
import optimistix as optx

from ._grid import FourierGrid
from ._tensor import TensorGrid


class SpectralSolver(lx.AbstractLinearSolver):
    r"""Solve $A x = b$ when $A$ is a Fourier multiplier on `grid` (block q x q per wavenumber).

    The implicit stages of an IMEX method have Jacobian $A = I - c\,J$ with $J$ the
    constant-coefficient linear terms: translation invariant, so diagonalised by the grid's
    FFT (a sine/cosine series on reflected grids). $A$ is probed with one unit impulse per
    component; the ratio of spectra gives its symbol $\hat A(\kappa)$ (q x q), inverted per
    wavenumber. O(q n log n) per factorisation instead of a dense O((qn)^3) LU. On a tensor
    grid (`grid.transform`: the d-dimensional FFT of the extended node values) the impulse sits
    at the first unknown and $\hat A$ is a q x q block per wavevector: O(q n^d log n).
    """

    grid: FourierGrid | TensorGrid = eqx.field(static=True)
    q: int = eqx.field(static=True)

    def init(self, operator: lx.AbstractLinearOperator, options: dict[str, Any]):
        del options
        struct = operator.in_structure()
        shape, dtype = struct.shape, struct.dtype
        g = self.grid
        first = (0,) * (len(shape) - 1)  # the first unknown (a node of every axis)
        cols = []
        for b in range(self.q):
            v = jnp.zeros(shape, dtype).at[(b,) + first].set(1.0)
            w = operator.mv(v)
            W = g.transform(w).reshape(self.q, -1)  # (q, nk), nk wavevectors
            P = g.transform(v)[b].reshape(-1)       # (nk,)
            ok = jnp.abs(P) > 1e-8
            col = jnp.where(ok[None, :], W / jnp.where(ok, P, 1.0)[None, :],
                            jnp.asarray(np.eye(self.q)[:, b], W.dtype)[:, None])
            cols.append(col)
        M = jnp.stack(cols, axis=-1)      # (q, nk, q): M[a, k, b]
        M = jnp.moveaxis(M, 1, 0)         # (nk, q, q)
        return jnp.linalg.inv(M)

    def compute(self, state, vector, options):
        del options
        V = self.grid.transform(vector)   # (q, nk) or (q, nk_1, ..., nk_d)
        X = jnp.einsum("kab,bk->ak", state, V.reshape(self.q, -1))
        return self.grid.inverse(X.reshape(V.shape)), lx.RESULTS.successful, {}

    def transpose(self, state, options):
        raise NotImplementedError("SpectralSolver does not support transposes (no autodiff needed)")

    def conj(self, state, options):
        raise NotImplementedError("SpectralSolver does not support conjugation")

    def assume_full_rank(self):
        return True


class LinearChord(dfx.VeryChord):
    r"""`diffrax.VeryChord` for implicit terms that are linear (affine) in the state.

    The stage equation $f - g(y_0 + c f) = 0$ is then affine in $f$: one Newton step with the
    exact Jacobian solves it. VeryChord's convergence-rate test needs a second step, whose
    correction is pure round-off; comparing two round-off sizes, it can report divergence and
    reject good steps (seen on KdV: 408 rejected of 696). Stop after the first step instead.
    """

    def terminate(self, fn, y, args, options, state, tags):
        del fn, y, args, options, tags
        done = state.step >= 1
        failed = state.result != optx.RESULTS.successful
        return done | failed, optx.RESULTS.where(failed, state.result, optx.RESULTS.successful)
