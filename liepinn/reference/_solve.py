"""`solve_reference`: method of lines in diffrax for u_t = F(x, u, u_x, ...) on a `Problem`, in
one space dimension or on a tensor-product grid in several (`_tensor.TensorGrid`)."""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.metadata
import json
import math
import time as _time
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import sympy as sp

from ..problems._problem import Dirichlet, Neumann, Periodic, Problem
from ._grid import AbstractDiscretisation, Chebyshev, ChebyshevGrid, Fourier, FourierGrid
from ._progress import SolveProgress, tracking
from ._result import Reference
from ._symbolic import (linear_expression, linear_part, linear_part_nd, reflection_compatible, spatial_keys,
                        spatial_orders)
from ._tensor import TensorGrid

_MIN_RESOLUTION = 8
ALGEBRAIC = 8.0  # a tail that shrinks less than this per doubling of n decays algebraically


def output_grid(problem: Problem, nx: int) -> np.ndarray:
    """The default output grid: x = lo + L k / nx (k < nx) if periodic, else linspace(lo, hi, nx)."""
    if len(problem.space) != 1:
        raise ValueError(f"problem {problem.name!r} has {len(problem.space)} space variables: "
                         "use output_axes(problem, nx), one axis per variable")
    return output_axes(problem, nx)[0]


def output_axes(problem: Problem, nx: int) -> tuple[np.ndarray, ...]:
    """The default output axes, one per space variable, nx points each: lo + L k / nx (k < nx)
    if periodic, else linspace(lo, hi, nx)."""
    out = []
    for v in problem.space:
        lo, hi = (float(b) for b in problem.domain[v])
        out.append(lo + (hi - lo) * np.arange(nx) / nx if problem.periodic else np.linspace(lo, hi, nx))
    return tuple(out)


def _versions() -> dict[str, str]:
    out = {}
    for pkg in ("liepinn", "jax", "diffrax", "equinox", "sympy", "numpy"):
        try:
            out[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            out[pkg] = "unknown"
    return out


class _Spec:
    """What the solver needs from the problem, checked once."""

    def __init__(self, problem: Problem):
        self.problem = problem
        pde = problem.pde_values()
        self.jet = pde.jet
        self.F = problem.evolution_form()  # raises PDEInputError if not in evolution form
        self.axes = [problem.independent.index(v) for v in problem.space]
        self.d = len(self.axes)
        self.ti = problem.time_index
        self.bounds = [tuple(float(b) for b in problem.domain[v]) for v in problem.space]
        self.t0, self.t1 = problem.t_span
        self.q = self.jet.q
        if self.d > 1:
            # d space dimensions: derivative multi-indices over the space axes; the linear part
            # (IMEX, stiffness): constant-coefficient terms of order >= 2, keyed (a, b, alpha)
            self.keys = spatial_keys(self.F, self.jet, self.axes, self.ti)
            self.orders = {sum(k) for k in self.keys}
            self.xi, self.lo, self.hi = None, None, None
            self.linear = linear_part_nd(self.F, self.jet, self.axes, min_order=2)
            lin = linear_expression(self.linear, self.jet, self.axes)
        else:
            self.xi = self.axes[0]
            self.orders = spatial_orders(self.F, self.jet, self.xi)
            self.lo, self.hi = self.bounds[0]
            self.linear = linear_part(self.F, self.jet, self.xi)
            lin = linear_expression(self.linear, self.jet, self.xi)
        rest = [F - L for F, L in zip(self.F.values(), lin)]
        self.nonlinear_derivatives = any(
            self.jet.decode(s) is not None and sum(self.jet.decode(s)[1]) > 0
            for r in rest for s in sp.expand(r).free_symbols)


def _symmetric_parity(spec: _Spec) -> tuple[int, ...] | None:
    """Parity per component for an odd/even reflected Fourier basis, or None if not applicable."""
    bc = spec.problem.boundary
    if not isinstance(bc, (Dirichlet, Neumann)):
        return None
    if any(sp.simplify(v) != 0 for v in bc.values.values()):
        return None
    s = -1 if isinstance(bc, Dirichlet) else 1
    parity = (s,) * spec.q
    for var, axis in zip(spec.problem.space, spec.axes):
        centres = [sp.nsimplify(b) for b in spec.problem.domain[var]]
        if not reflection_compatible(spec.F, spec.jet, axis, parity, centres):
            return None
    return parity


def _choose(spec: _Spec, discretisation: AbstractDiscretisation | None):
    bc = spec.problem.boundary
    if not isinstance(bc, (Periodic, Dirichlet, Neumann)):
        raise ValueError(f"problem {spec.problem.name!r}: unknown boundary condition {bc!r}; "
                         "expected Periodic(), Dirichlet({...}) or Neumann({...})")
    if discretisation is not None and not isinstance(discretisation, AbstractDiscretisation):
        raise TypeError(f"discretisation must be Fourier(...) or Chebyshev(...), got "
                        f"{discretisation!r} of type {type(discretisation).__name__}")
    if isinstance(bc, Periodic):
        if isinstance(discretisation, Chebyshev):
            raise ValueError("Chebyshev collocation needs Dirichlet or Neumann data; this problem "
                             "is periodic: use Fourier()")
        return discretisation or Fourier(), None
    parity = _symmetric_parity(spec)
    if isinstance(discretisation, Fourier):
        if parity is None:
            raise ValueError(
                f"problem {spec.problem.name!r}: Fourier() on a {bc.kind} problem needs zero boundary "
                "data and an equation covariant under reflection about both ends (an odd/even "
                "extension); use Chebyshev()")
        return discretisation, parity
    if discretisation is None and parity is not None:
        return Fourier(), parity
    return discretisation or Chebyshev(), None


def _default_resolution(spec: _Spec, disc: AbstractDiscretisation, nx: int) -> int:
    if isinstance(disc, Chebyshev):
        return 32 if spec.d == 1 else 16
    return max(64 if spec.d == 1 else 32, 1 << max(0, int(math.ceil(math.log2(max(nx, 1))))))


def _max_resolution(spec: _Spec, disc: AbstractDiscretisation, n0: int) -> int:
    """The automatic refinement's ceiling: per axis in d dimensions (dense Jacobians of
    (n - 1)^d unknowns for Chebyshev's implicit solver; n^d nodes per Fourier step)."""
    if isinstance(disc, Chebyshev):
        return {1: 256, 2: 32}.get(spec.d, 16)
    return {1: max(4 * n0, 1024), 2: max(n0, 256)}.get(spec.d, max(n0, 64))


def _boundary_fn(spec: _Spec, dtype, nodes=None):
    """t -> (q, 2) boundary data at (lo, hi), through the code generator; in d dimensions
    t -> (q, N_1, ..., N_d) at every node of the tensor grid `nodes` (per-axis nodes)."""
    import jax.numpy as jnp

    from ..losses._lower import lower

    bc = spec.problem.boundary
    exprs = [sp.sympify(bc.values[d.name]).xreplace({sp.Symbol(v): s for v, s in
                                                      zip(spec.problem.independent, spec.jet.independent)})
             for d in spec.jet.dependent]
    low = lower(exprs, spec.jet)
    if nodes is not None:
        mesh = np.meshgrid(*nodes, indexing="ij")
        shape = mesh[0].shape

        def on_grid(t):
            cols = [None] * spec.jet.p
            for axis, m in zip(spec.axes, mesh):
                cols[axis] = jnp.asarray(m.ravel(), dtype)
            cols[spec.ti] = jnp.full((mesh[0].size,), t, dtype)
            return low(jnp.stack(cols, axis=1), {}).reshape((spec.q,) + shape)

        return on_grid

    def fn(t):
        cols = [None] * spec.jet.p
        cols[spec.xi] = jnp.asarray([spec.lo, spec.hi], dtype)
        cols[spec.ti] = jnp.full((2,), t, dtype)
        return low(jnp.stack(cols, axis=1), {})

    return fn


def _build_grid(spec: _Spec, disc, parity, n: int, dtype):
    if spec.d > 1:
        if isinstance(disc, Fourier):
            return TensorGrid([FourierGrid(lo, hi, n, parity, disc.dealias) for lo, hi in spec.bounds])
        axes = [ChebyshevGrid(lo, hi, n, spec.problem.boundary.kind, None) for lo, hi in spec.bounds]
        return TensorGrid(axes, _boundary_fn(spec, dtype, [g.nodes for g in axes]))
    if isinstance(disc, Fourier):
        return FourierGrid(spec.lo, spec.hi, n, parity, disc.dealias)
    return ChebyshevGrid(spec.lo, spec.hi, n, spec.problem.boundary.kind, _boundary_fn(spec, dtype))


STIFF = 1e4  # explicit steps ~ rho (t1 - t0) / 3: beyond ~3000 steps an IMEX step pays off


def stiffness(spec: _Spec, grid) -> tuple[float, float]:
    r"""(dissipative, dispersive) stiffness $\rho\,(t_1 - t_0)$ of the constant-coefficient
    linear terms of order >= 2 on a Fourier `grid` (1-D, or a tensor product of Fourier axes):
    $\rho$ the largest |eigenvalue| of the Hermitian and of the anti-Hermitian part of their
    symbol $L(\kappa)$ ((0, 0) on other grids)."""
    if isinstance(grid, TensorGrid) and not grid.chebyshev:
        shape = tuple(len(g.kappa) for g in grid.axes)
        L = np.zeros(shape + (spec.q, spec.q), complex)
        for (a, b, alpha), c in spec.linear.items():  # order >= 2 already
            sym = np.ones(shape, complex)
            for k, (g, m) in enumerate(zip(grid.axes, alpha)):
                sym = sym * g.symbol(m).reshape((1,) * k + (-1,) + (1,) * (grid.d - k - 1))
            L[..., a, b] += c * sym
        L = L.reshape((-1, spec.q, spec.q))
        if not spec.linear:
            return 0.0, 0.0
    elif not isinstance(grid, FourierGrid):
        return 0.0, 0.0
    else:
        lin = {k: c for k, c in spec.linear.items() if k[2] >= 2}
        if not lin:
            return 0.0, 0.0
        L = np.zeros((len(grid.kappa), spec.q, spec.q), complex)
        for (a, b, m), c in lin.items():
            L[:, a, b] += c * grid.symbol(m)
    LH = np.conj(np.swapaxes(L, 1, 2))
    span = spec.t1 - spec.t0
    herm = float(np.max(np.abs(np.linalg.eigvalsh(0.5 * (L + LH))))) * span
    anti = float(np.max(np.abs(np.linalg.eigvalsh(-0.5j * (L - LH))))) * span
    return herm, anti


def _default_solver(spec: _Spec, grid):
    r"""Kvaerno5 on Chebyshev grids. On Fourier grids Tsit5, except KenCarp5 (IMEX: the linear
    terms implicit, solved spectrally) when dispersive terms are stiff and the nonlinear terms
    contain x-derivatives (KdV).

    Measured (benchmarks/reference.py): explicit steps on dissipative stiffness are cheap
    (Burgers n = 1024: Tsit5 2.8 s CPU, KenCarp5 5.7 s); on dispersive stiffness they are
    limited by the imaginary-axis stability of Tsit5 (KdV n = 256: 217,000 steps; KenCarp5
    1,400 steps, 3.3 s). But when the data are not smooth (NLS: 2 sech(x) is not periodic to
    all orders on [-5, 5)), the high modes carry energy that an implicit method must still
    follow in time, and KenCarp5 loses (NLS n = 512: Tsit5 6.8 s, KenCarp5 25 s CPU).
    In d >= 2 dimensions a stiff diffusion also takes KenCarp5 (each explicit step costs a
    d-dimensional FFT per stage): 2-D Allen-Cahn with diffusion 1 on a 256^2 Fourier grid
    (dissipative stiffness 32768, t in [0, 1]) took Tsit5 11,864 steps, 78.0 s CPU, and KenCarp5
    25 steps, 5.6 s CPU, max difference 5.7e-9 (benchmarks/reference_imex2d.py).
    """
    import diffrax as dfx

    if isinstance(grid, ChebyshevGrid) or (isinstance(grid, TensorGrid) and grid.chebyshev):
        return dfx.Kvaerno5()
    dissipative, dispersive = stiffness(spec, grid)
    if dispersive > STIFF and spec.nonlinear_derivatives:
        return dfx.KenCarp5()
    if isinstance(grid, TensorGrid) and dissipative > STIFF:
        return dfx.KenCarp5()
    return dfx.Tsit5()


def _implicit_solver(solver) -> bool:
    import diffrax as dfx

    return isinstance(solver, dfx.AbstractImplicitSolver)


def _imex_solver(solver) -> bool:
    import diffrax as dfx

    return isinstance(solver, (dfx.KenCarp3, dfx.KenCarp4, dfx.KenCarp5))


class _System:
    """The semi-discrete system y' = F(t, y) on one grid, through `codegen.lower`."""

    def __init__(self, spec: _Spec, grid, dtype, *, imex: bool):
        import jax.numpy as jnp

        from ..losses._lower import lower

        self.spec, self.grid, self.dtype = spec, grid, dtype
        jet = spec.jet
        self.lowered = lower(list(spec.F.values()), jet)
        x = grid.state_nodes
        self.n = len(x)
        self._x = x
        self.imex = None
        self._jnp = jnp
        if spec.d > 1:
            self.orders = sorted({self._key(al) for _, al in self.lowered.required})
            lin, where = spec.linear, spec.axes
        else:
            self.orders = sorted({al[spec.xi] for _, al in self.lowered.required})
            lin, where = {k: v for k, v in spec.linear.items() if k[2] >= 2}, spec.xi
        if imex:
            if not lin:
                raise ValueError("an IMEX solver needs a stiff linear part (constant-coefficient "
                                 "terms of order 2 or higher, such as u_xx); this equation has none: use "
                                 "an explicit or fully implicit solver")
            self.imex = lower(linear_expression(lin, jet, where), jet)

    def _key(self, alpha) -> tuple[int, ...]:
        """A jet multi-index (all variables) -> the orders along the space axes."""
        return tuple(alpha[i] for i in self.spec.axes)

    def _points(self, t):
        jnp = self._jnp
        cols = [None] * self.spec.jet.p
        if self.spec.d > 1:
            for k, axis in enumerate(self.spec.axes):
                cols[axis] = jnp.asarray(self._x[:, k], self.dtype)
        else:
            cols[self.spec.xi] = jnp.asarray(self._x, self.dtype)
        cols[self.spec.ti] = jnp.full((self.n,), t, self.dtype)
        return jnp.stack(cols, axis=1)

    def _eval(self, low, t, y):
        d = self.grid.derivatives(y, self.orders, t)
        if self.spec.d > 1:  # values on the tensor grid, flattened for the lowered function
            derivs = {(a, al): d[self._key(al)][a].reshape(-1) for a, al in low.required}
            return low(self._points(t), derivs).reshape(y.shape)
        derivs = {(a, al): d[al[self.spec.xi]][a] for a, al in low.required}
        return low(self._points(t), derivs)

    def rhs(self, t, y, args=None):
        return self.grid.filter(self._eval(self.lowered, t, y))

    def implicit(self, t, y, args=None):
        return self._eval(self.imex, t, y)

    def explicit(self, t, y, args=None):
        return self.rhs(t, y) - self.implicit(t, y)


def _solve_once(spec, grid, y0, t_eval, *, solver, rtol, atol, dt0, max_steps, progress, dtype,
                step_to_outputs):
    import diffrax as dfx
    import equinox as eqx
    import jax.numpy as jnp

    # The compiled solve depends on the equation, grid, solver and options, not on the initial
    # values: reuse it (references for many initial conditions of a family compile once).
    key = json.dumps([[sp.srepr(f) for f in spec.F.values()], spec.problem.boundary.describe(),
                      spec.problem.independent, spec.problem.time, spec.t0, float(t_eval[-1]),
                      len(t_eval), grid.describe(), repr(solver), rtol, atol, dt0, max_steps,
                      bool(progress), str(dtype), bool(step_to_outputs)], default=str)
    hit = _RUN_CACHE.get(key)
    if hit is None:
        hit = _compile(spec, grid, t_eval, solver=solver, rtol=rtol, atol=atol, dt0=dt0,
                       max_steps=max_steps, progress=progress, dtype=dtype,
                       step_to_outputs=step_to_outputs)
        _RUN_CACHE[key] = hit
        while len(_RUN_CACHE) > _RUN_CACHE_SIZE:
            _RUN_CACHE.pop(next(iter(_RUN_CACHE)))
    system, run = hit
    sol = run(jnp.asarray(y0, dtype), jnp.asarray(t_eval, dtype))
    ys = np.asarray(sol.ys)  # (nt, q, n_state)
    stats = {k: int(v) for k, v in sol.stats.items() if np.ndim(v) == 0}
    if sol.result != dfx.RESULTS.successful:
        msg = str(sol.result)
        raise RuntimeError(f"diffrax failed at resolution {grid.n}: {msg} (steps {stats.get('num_steps')}); "
                           "try a smaller resolution, a stiff solver or larger max_steps")
    grid = system.grid
    full = np.stack([np.asarray(grid.full(jnp.asarray(ys[j]), t_eval[j])) for j in range(len(t_eval))])
    return np.moveaxis(full, 0, -1), stats, system  # (q, n_full, nt)


_RUN_CACHE: dict = {}
_RUN_CACHE_SIZE = 8


def _compile(spec, grid, t_eval, *, solver, rtol, atol, dt0, max_steps, progress, dtype, step_to_outputs):
    import diffrax as dfx
    import equinox as eqx

    imex = _imex_solver(solver)
    system = _System(spec, grid, dtype, imex=imex)
    if imex:
        term = dfx.MultiTerm(dfx.ODETerm(system.explicit), dfx.ODETerm(system.implicit))
        if isinstance(solver.root_finder, dfx.VeryChord):
            # The implicit terms are linear: one Newton step solves a stage; on Fourier grids
            # they are a Fourier multiplier, solved spectrally.
            from ._spectral_solver import LinearChord, SpectralSolver

            linear_solver = solver.root_finder.linear_solver
            if isinstance(grid, FourierGrid) or (isinstance(grid, TensorGrid) and not grid.chebyshev):
                linear_solver = SpectralSolver(grid, spec.q)
            rf = LinearChord(rtol=rtol, atol=atol, linear_solver=linear_solver)
            solver = eqx.tree_at(lambda s: s.root_finder, solver, rf)
    else:
        term = dfx.ODETerm(system.rhs)
    from ._progress import meter_class

    meter = meter_class()()  # reports to the active SolveProgress: estimate, warning, display
    controller = dfx.PIDController(rtol=rtol, atol=atol)

    @eqx.filter_jit
    def run(y0, ts):
        # Step onto every output time: no dense-output interpolation error (the implicit
        # solvers' interpolants are of low order).
        clip = dfx.ClipStepSizeController(controller, step_ts=ts) if step_to_outputs else controller
        return dfx.diffeqsolve(term, solver, spec.t0, float(t_eval[-1]), dt0, y0,
                               saveat=dfx.SaveAt(ts=ts), stepsize_controller=clip,
                               max_steps=max_steps, progress_meter=meter, throw=False)

    return system, run


def _slow_advice(problem: Problem, grid, solver, rtol: float, refining: bool) -> str:
    """Why a solve is slow and what to do instead (the text of `SlowReferenceWarning`)."""
    implicit = _implicit_solver(solver)
    kind = grid.describe().get("kind", "")
    why = (f"the solver needs many small steps on this {kind} grid of {grid.n} intervals (the "
           "semi-discrete system is stiff: its fastest modes grow like a power of n"
           + (", and each implicit step solves a linear system of that size)" if implicit
              else ", and explicit steps are limited by stability)")
           + (f"; the resolution is being refined, so the next attempt (n={2 * grid.n}) costs more" if refining
              else "") + ". ")
    alternatives = ["a fixed coarser grid (resolution=..., --resolution)",
                    f"looser tolerances (rtol={rtol:g} now; rtol=1e-6, --rtol)"]
    if not implicit:
        alternatives.insert(0, "an implicit or IMEX solver (solver=diffrax.Kvaerno5() or KenCarp5(), --solver)")
    if not problem.periodic:
        alternatives.append("a periodic domain, where Fourier grids and IMEX steps are much cheaper")
    if problem.exact is not None:
        alternatives.append("the problem's exact solution, which needs no reference")
    return "Why: " + why + "Alternatives: " + "; ".join(alternatives) + "."


def solve_reference(
    problem: Problem,
    *,
    nx: int | None = None,
    nt: int | None = None,
    x_eval: Sequence[float] | np.ndarray | Sequence[np.ndarray] | None = None,
    t_eval: Sequence[float] | np.ndarray | None = None,
    discretisation: AbstractDiscretisation | None = None,
    resolution: int | None = None,
    solver: Any = None,
    rtol: float = 1e-10,
    atol: float = 1e-12,
    dt0: float | None = None,
    max_steps: int = 2_000_000,
    resolution_tol: float = 1e-6,
    max_resolution: int | None = None,
    initial: Mapping[str, Any] | Any | None = None,
    float64: bool = True,
    progress: bool = False,
    warn_after: float | None = 180.0,
    keep_solver_grid: bool = True,
    step_to_outputs: bool = True,
) -> Reference:
    r"""Solve $u_t = F(x, u, u_x, \dots)$ by the method of lines and return a `Reference`.

    The right-hand side is the problem's PDE solved for $u_t$ and lowered by
    `liepinn.losses.lower`; x-derivatives come from the discretisation. Periodic problems and
    zero Dirichlet/Neumann problems covariant under reflection use Fourier (odd/even extension),
    the rest Chebyshev collocation. The ODE system is integrated by diffrax with a PID step-size
    controller.

    In d >= 2 space dimensions the grid is a tensor product of one such grid per axis (the
    same resolution on each; Chebyshev Neumann data are imposed line by line, one axis after
    the other) and mixed derivatives $\partial_x^i \partial_y^j u$ are products of the
    per-axis operators; the output is the tensor grid of `x_eval` (one axis per space
    variable). IMEX solvers take the constant-coefficient terms of order >= 2 (e.g.
    $\varepsilon\Delta u$) implicitly, solved by d-dimensional FFTs on Fourier grids.

    **Main arguments:**

    - `problem`: a `Problem` (any number of space variables).
    - `nx`, `nt`: output grid sizes: x = lo + L k/nx on periodic problems, linspace(lo, hi, nx)
      otherwise (per axis in d dimensions; default 256 in 1-D, 64 per axis otherwise);
      t = linspace(t0, t1, nt). Or give the points: `x_eval` (d axes in d dimensions), `t_eval`.
    - `discretisation`: `Fourier(resolution, dealias)` or `Chebyshev(resolution)`; None: chosen
      from the boundary conditions. With resolution None the grid is refined (doubling, from the
      power of two >= nx) until the top third of the spectrum is below `resolution_tol` relative
      to its maximum at every output time; or until a doubling shrinks that tail by less than
      `ALGEBRAIC` (non-smooth data: power-law spectrum), or `max_resolution` is reached (both
      with a warning).
    - `resolution`: shorthand for the discretisation's resolution (grid intervals).
    - `solver`: a diffrax solver. Default: `Kvaerno5()` on Chebyshev grids; on Fourier grids
      `Tsit5()`, or `KenCarp5()` when dispersive linear terms are stiff and the nonlinear terms
      have x-derivatives (see `_default_solver` for the measurements behind this).
      IMEX solvers (`KenCarp3/4/5`) take the constant-coefficient linear terms of order >= 2
      implicitly (one exact Newton step per stage, spectral linear solve on Fourier grids).
    - `rtol`, `atol`: tolerances of the PID controller (atol below rtol: on stability-limited
      explicit steps the highest modes carry noise of the size of atol).
    - `initial`: initial conditions overriding the problem's (a dict, or one expression).

    **Other arguments:** `dt0` (first step; None lets diffrax choose), `max_steps`,
    `float64` (solve in double precision, inside `jax.enable_x64`; the global setting is
    restored), `progress` (print the fraction of the time span done, the steps and the estimated
    time left to stderr), `warn_after` (seconds: a `SlowReferenceWarning` with the reason and
    the alternatives when the solve is estimated, from its first seconds, to take longer; None:
    never), `keep_solver_grid` (store the solution on the solver's grid for spectral
    `Reference.sample`).
    """
    import jax

    if not isinstance(problem, Problem):
        raise TypeError(f"problem must be a liepinn Problem, got {type(problem).__name__}")
    if initial is not None:
        problem = problem.with_initial(initial)
    if problem.initial is None:
        raise ValueError(f"problem {problem.name!r} has only a family of initial conditions: pass initial=")
    spec = _Spec(problem)
    disc, parity = _choose(spec, discretisation)
    if resolution is not None:
        if disc.resolution is not None and disc.resolution != resolution:
            raise ValueError(f"resolution={resolution} conflicts with {disc!r}")
        disc = dataclasses.replace(disc, resolution=resolution)

    # output grid
    if x_eval is None:
        nx = (256 if spec.d == 1 else 64) if nx is None else nx
        if not (isinstance(nx, (int, np.integer)) and nx >= 2):
            raise ValueError(f"nx must be an int >= 2, got {nx!r}")
        x_eval = output_axes(problem, int(nx))
        x_eval = x_eval[0] if spec.d == 1 else x_eval
    if spec.d > 1:
        if isinstance(x_eval, np.ndarray) or len(x_eval) != spec.d:
            raise ValueError(f"x_eval must be {spec.d} arrays, one axis per space variable "
                             f"{list(problem.space)}, got {type(x_eval).__name__}")
        x_eval = tuple(np.asarray(a, float).reshape(-1) for a in x_eval)
        if any(a.size == 0 for a in x_eval):
            raise ValueError("x_eval: every axis needs at least one point")
    else:
        x_eval = np.asarray(x_eval, float).reshape(-1)
    if t_eval is None:
        nt = 101 if nt is None else nt
        if not (isinstance(nt, (int, np.integer)) and nt >= 2):
            raise ValueError(f"nt must be an int >= 2, got {nt!r}")
        t_eval = np.linspace(spec.t0, spec.t1, int(nt))
    t_eval = np.asarray(t_eval, float).reshape(-1)
    if t_eval.size == 0 or np.any(np.diff(t_eval) <= 0) or t_eval[0] < spec.t0 or t_eval[-1] > spec.t1 + 1e-12:
        raise ValueError(f"t_eval must be increasing within [{spec.t0}, {spec.t1}]")
    for var, a, (lo, hi) in zip(problem.space, x_eval if spec.d > 1 else (x_eval,), spec.bounds):
        if np.any(a < lo - 1e-12) or np.any(a > hi + 1e-12):
            raise ValueError(f"x_eval must lie in [{lo}, {hi}]" + (f" along {var}" if spec.d > 1 else ""))
    if not (rtol > 0 and atol > 0):
        raise ValueError(f"rtol and atol must be positive, got rtol={rtol}, atol={atol}")

    # resolution: fixed, or doubled until the spectrum's tail is small
    if disc.resolution is not None:
        sizes = [int(disc.resolution)]
        if sizes[0] < _MIN_RESOLUTION + max(spec.orders, default=0):
            raise ValueError(f"resolution {sizes[0]} is too small for derivatives of order "
                             f"{max(spec.orders)}")
    else:
        n0 = _default_resolution(spec, disc, max(len(a) for a in x_eval) if spec.d > 1 else len(x_eval))
        top = max_resolution or _max_resolution(spec, disc, n0)
        sizes = [n0]
        while sizes[-1] * 2 <= top:
            sizes.append(sizes[-1] * 2)


    dtype = "float64" if float64 else "float32"
    ctx = jax.enable_x64(True) if float64 else contextlib.nullcontext()
    wall0 = _time.perf_counter()
    attempts = []
    with ctx:
        for n in sizes:
            grid = _build_grid(spec, disc, parity, n, dtype)
            if spec.d > 1:
                y0 = problem.initial_values(grid.state_nodes).reshape((spec.q,) + grid.state_shape)
            else:
                y0 = problem.initial_values(grid.state_nodes[:, None])
            if isinstance(grid, (FourierGrid, TensorGrid)):
                y0 = grid.project(y0)
            t_start = _time.perf_counter()
            chosen = solver if solver is not None else _default_solver(spec, grid)
            meter = SolveProgress(f"{problem.name}: {type(grid).__name__[:-4]} n={n}, {type(chosen).__name__}",
                                  display=progress, warn_after=warn_after,
                                  advice=_slow_advice(problem, grid, chosen, rtol, n != sizes[-1]))
            with tracking(meter):
                values, stats, system = _solve_once(
                    spec, grid, y0, t_eval, solver=chosen, rtol=rtol, atol=atol, dt0=dt0,
                    max_steps=max_steps, progress=progress, dtype=dtype, step_to_outputs=step_to_outputs)
            tail = grid.tail(values)
            attempts.append({"resolution": n, "tail": tail, "seconds": _time.perf_counter() - t_start,
                             **stats, **meter.summary()})
            if not np.all(np.isfinite(values)):
                raise RuntimeError(f"the solution is not finite at resolution {n}")
            if tail <= resolution_tol or len(sizes) == 1:
                break
            if len(attempts) >= 2 and tail > attempts[-2]["tail"] / ALGEBRAIC:
                # Doubling n gained less than ALGEBRAIC: the spectrum decays like a power of k
                # (data not smooth, or not periodic), so further doubling buys little.
                warnings.warn(f"problem {problem.name!r}: the spectrum's tail decays algebraically "
                              f"({attempts[-2]['tail']:.1e} at n={attempts[-2]['resolution']}, {tail:.1e} "
                              f"at n={n}): the data are not smooth (or not periodic); stopping at n={n}",
                              stacklevel=2)
                break
        else:
            warnings.warn(f"problem {problem.name!r}: the spectrum's tail is still {tail:.1e} > "
                          f"resolution_tol={resolution_tol:g} at resolution {grid.n} (max_resolution); "
                          "the initial data may not be smooth (or periodic)", stacklevel=2)
    out = grid.interpolate(values, x_eval)
    settings = {
        "problem": problem.describe(),
        "discretisation": grid.describe(),
        "solver": type(chosen).__name__,
        "imex": system.imex is not None,
        "stiffness": dict(zip(("dissipative", "dispersive"), stiffness(spec, grid))),
        "rtol": rtol, "atol": atol, "dt0": dt0, "max_steps": max_steps,
        "step_to_outputs": step_to_outputs,
        "float64": float64,
        "resolution": grid.n,
        "resolution_tol": resolution_tol,
        "spectral_tail": tail,
        "attempts": attempts,
        "wall_seconds": _time.perf_counter() - wall0,
        "versions": _versions(),
    }
    if settings["problem"]["initial"] is None:
        settings["problem"]["initial"] = {k: sp.sstr(v) for k, v in problem.initial.items()}
    names = problem.dependent
    fields = {k: out[a] for a, k in enumerate(names)}
    fine = {k: values[a] for a, k in enumerate(names)} if keep_solver_grid else None
    return Reference(x_eval, t_eval, fields, settings,
                     nodes=grid.nodes if keep_solver_grid else None, fine=fine)
