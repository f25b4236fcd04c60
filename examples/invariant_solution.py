"""A PINN target that liepinn derived itself: the KdV soliton as an invariant solution.

    u_t + lambda1 u u_x + lambda2 u_xxx = 0

1. derive the symmetry algebra (v1 = d_x, v2 = d_t, ...) with lambda1, lambda2 symbolic;
2. reduce by the travelling-wave generator v2 + c v1 (`liepinn.reduce`): the invariants are
   y = x - c t and W = u, the reduced ODE  -c W' + lambda1 W W' + lambda2 W''' = 0  is
   integrated twice (an exact derivative, then the energy integral of the autonomous ODE)
   and by a quadrature; with the two first-integral constants zero (decay at infinity)
   this is the sech^2 soliton, verified by substitution and by invariance;
3. give the constants values (speed c = 1/2, centre at x = -1/4 at t = 0) and use the
   solution as the `exact=` of a `Problem` with the catalogue's lambda1 = 1,
   lambda2 = 0.0025 on x in [-1, 1], t in [0, 1]: initial and Dirichlet data come from it, and
   the problem's rel. L2 metric is measured against it;
4. check the Problem's exact solution once more, numerically, on a grid.

Run:  python examples/invariant_solution.py          (symbolic part, about 20 s)
Training against it is the usual API (e.g. `liepinn.runs` with this `Problem`); not run here.
"""

from __future__ import annotations

import time

import numpy as np
import sympy as sp

import liepinn
from liepinn.problems import Dirichlet, Problem


def soliton() -> sp.Expr:
    """The invariant solution of KdV under v2 + c*v1 with zero first-integral constants."""
    pde = liepinn.PDE.from_text("u_t + lambda1*u*u_x + lambda2*u_xxx = 0", independent="x,t", dependent="u")
    algebra = liepinn.symmetries(pde)
    print(algebra)
    red = liepinn.reduce(pde, "v2 + c*v1", basis=list(algebra))
    print(red)
    for s in red.solutions:
        if all(c.rhs == 0 for c in s.conditions):
            return s.values[sp.Symbol("u")]
    raise SystemExit("no soliton found")


def main() -> int:
    t0 = time.perf_counter()
    u = soliton()
    x, t, c, C1, l1, l2 = sp.symbols("x t c C1 lambda1 lambda2")
    # speed 1/2; the soliton is even in x - c t + C1, so C1 = 1/4 puts the crest at x = -1/4 + t/2
    exact = u.subs({c: sp.Rational(1, 2), C1: sp.Rational(1, 4), l1: 1, l2: sp.Rational(1, 400)})
    print(f"exact solution (c = 1/2, crest at x = -1/4 + t/2): u = {exact}")
    problem = Problem(
        name="kdv_soliton",
        pde=liepinn.PDE.from_text("u_t + lambda1*u*u_x + lambda2*u_xxx = 0", independent="x,t", dependent="u"),
        domain={"x": (-1, 1), "t": (0, 1)},
        initial={"u": exact.subs(t, 0)},
        boundary=Dirichlet({"u": exact}),
        parameters={"lambda1": 1, "lambda2": "0.0025"},
        exact={"u": exact},
        description="KdV soliton derived by liepinn.reduce (v2 + c v1, c = 1/2), Dirichlet data from it",
    )
    print(problem)
    # the exact solution on a grid: the crest travels at speed 1/2 with height 3c/lambda1 = 3/2
    xs, ts = np.meshgrid(np.linspace(-1, 1, 401), np.linspace(0, 1, 5), indexing="ij")
    values = problem.exact_values(np.stack([xs.ravel(), ts.ravel()], axis=1)).reshape(401, 5)
    for k in range(5):
        i = int(np.argmax(values[:, k]))
        print(f"  t = {ts[0, k]:.2f}: crest at x = {xs[i, k]:+.3f}, height {values[i, k]:.4f}")
    # the residual of the PDE on the exact solution, at the problem's parameter values
    res = sp.lambdify((x, t), exact.diff(t) + exact * exact.diff(x) + exact.diff(x, 3) / 400, "numpy")
    print(f"max |residual| on the grid: {np.max(np.abs(res(xs, ts))):.2e}")
    print(f"done in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
