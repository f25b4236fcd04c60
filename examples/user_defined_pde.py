"""A PDE that is not in pdes/, from a sympy definition to a sample-efficiency comparison.

Advection-diffusion  u_t + c u_x = nu u_xx  (c = 1, nu = 1/20) on the periodic interval
[0, 2), t in [0, 1], with the exact solution

    u(x, t) = exp(-nu pi^2 t) sin(pi (x - c t)) + 1/2 exp(-4 nu pi^2 t) sin(2 pi (x - c t)).

Steps, all through the Python API:
1. write the equation with sympy `Function`/`Derivative` and make a `liepinn.PDE`;
2. derive its Lie point symmetry algebra (`liepinn.symmetries`) with c and nu symbolic,
   verify every generator, and ask what each one can add as a loss term (`degeneracy`);
3. wrap it in a `Problem` (domain, periodic boundary, initial condition, parameter values,
   exact solution);
4. run a small resumable sweep (plain PINN, evolutionary symmetry loss, gPINN and the
   compute-matched plain PINN, several seeds vmapped) and write the table and plots.

Run:  python examples/user_defined_pde.py --out examples/results/user_defined_pde
(about 10 minutes of CPU time with the defaults; rerunning resumes.)
"""

from __future__ import annotations

import argparse
import time

import sympy as sp

import liepinn
from liepinn.experiments import Sweep, run_sweep, write_report
from liepinn.problems import Periodic, Problem

def build_pde() -> liepinn.PDE:
    x, t, c, nu = sp.symbols("x t c nu")
    u = sp.Function("u")(x, t)
    equation = sp.Eq(u.diff(t) + c * u.diff(x), nu * u.diff(x, 2))
    return liepinn.PDE.from_sympy([equation], independent=[x, t], dependent=[u])

def build_problem(pde: liepinn.PDE) -> Problem:
    x, t, c, nu = sp.symbols("x t c nu")
    xi = x - c * t
    exact = (sp.exp(-nu * sp.pi**2 * t) * sp.sin(sp.pi * xi)
             + sp.Rational(1, 2) * sp.exp(-4 * nu * sp.pi**2 * t) * sp.sin(2 * sp.pi * xi))
    return Problem(
        name="advection_diffusion",
        pde=pde,
        domain={"x": (0, 2), "t": (0, 1)},
        initial={"u": exact.subs(t, 0)},
        boundary=Periodic(),
        parameters={"c": 1, "nu": "1/20"},
        exact={"u": exact},
        description="advection-diffusion u_t + c u_x = nu u_xx, c = 1, nu = 1/20, periodic on [0, 2)",
    )

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="examples/results/user_defined_pde")
    ap.add_argument("--samples", default="64,256")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--lbfgs-steps", type=int, default=300)
    args = ap.parse_args(argv)

    # 1. the equation
    pde = build_pde()
    print("PDE:", pde)

    # 2. its symmetries, verified, and what each generator can contribute as a loss term
    t0 = time.perf_counter()
    algebra = liepinn.symmetries(pde)
    print(algebra)
    print(f"derived in {time.perf_counter() - t0:.1f} s")
    for k, g in enumerate(algebra.basis, 1):
        check = g.verify(pde)
        assert check, f"v{k} does not verify"
    for d in liepinn.degeneracy(pde, algebra):
        print(f"  {d.name}: lambda = {d.lam[0, 0]};  prolonged: {d.prolonged};  evolutionary: {d.evolutionary}")

    # 3. the problem
    problem = build_problem(pde)
    print(problem)

    # 4. the comparison (resumable: runs already in --out are skipped)
    sweep = Sweep(
        problems=[problem],  # a Problem object is registered under its name
        samples=tuple(int(s) for s in args.samples.split(",")),
        variants=("residual", "evolutionary", "gpinn", "matched"),
        seeds=args.seeds, steps=args.steps, lbfgs_steps=args.lbfgs_steps,
        n_boundary=128,  # as the stored results were made (the default is 64; periodic: no boundary term)
    )
    outcome = run_sweep(sweep, args.out)
    report = write_report(outcome.records, args.out, title="Advection-diffusion (user-defined PDE)",
                          notes=[f"`python examples/user_defined_pde.py`: {args.steps} Adam + "
                                 f"{args.lbfgs_steps} L-BFGS steps, {args.seeds} seeds per arm."])
    print(report.text)
    print("plots:", ", ".join(str(p) for p in report.plots))
    return 0

if __name__ == "__main__":
    raise SystemExit(main())
