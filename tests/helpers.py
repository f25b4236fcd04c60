"""Helpers shared by the tests (no stand-ins: everything here uses the real modules)."""

from __future__ import annotations

import sympy as sp

from liepinn.symmetry._solve import RawAlgebra


def raw_algebra(generators, *, superposition=None, infinite=(), assumptions=()) -> RawAlgebra:
    """The solver's own result type, built by hand so the algebra layer is tested on its own."""
    return RawAlgebra(list(generators), superposition, list(infinite), list(assumptions))


def problem_1d(name, equation, *, length=2, lo=0, boundary=None, parameters=None, initial=None):
    """A 1-D problem on [lo, lo + length] x [0, 1], periodic unless `boundary`: an IC family of
    sums of sines unless `initial`."""
    from liepinn import PDE
    from liepinn.problems import Periodic, Problem, SineSeries

    hi = length if lo == 0 else sp.sympify(lo) + sp.sympify(length)
    return Problem(name=name, pde=PDE.from_text(equation, independent="x,t", dependent="u",
                                                parameters=dict.fromkeys(parameters or {})),
                   domain={"x": (lo, hi), "t": (0, 1)}, initial=initial,
                   initial_family=None if initial else SineSeries(length=length, lo=lo),
                   boundary=boundary or Periodic(), parameters=parameters or {})


def heat_torus(lx, ly, *, name="torus", initial=None):
    """u_t = u_xx + u_yy on the periodic box [0, lx] x [0, ly] x [0, 1], the IC sin(2 pi x / lx)
    unless `initial`."""
    from liepinn import PDE
    from liepinn.problems import Periodic, Problem

    pde = PDE.from_text("u_t = u_xx + u_yy", independent="x,y,t", dependent="u")
    return Problem(name=name, pde=pde, domain={"x": (0, lx), "y": (0, ly), "t": (0, 1)},
                   initial={"u": initial or f"sin(2*pi*x/{lx})"}, boundary=Periodic())
