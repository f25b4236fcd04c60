"""A user's own 2-D heat problem: u_t = nu (u_xx + u_yy) on [0, 1]^2, zero Dirichlet data."""
import sympy as sp

from liepinn import PDE, Dirichlet, Problem

nu = sp.Rational(1, 10)
x, y, t = sp.symbols("x y t")
exact = sp.exp(-2 * sp.pi**2 * nu * t) * sp.sin(sp.pi * x) * sp.sin(sp.pi * y)
problem = Problem(
    name="my_heat2d",
    pde=PDE.from_text("u_t = nu*(u_xx + u_yy)", independent="x,y,t", dependent="u"),
    domain={"x": (0, 1), "y": (0, 1), "t": (0, 1)},
    initial={"u": exact.subs(t, 0)},
    boundary=Dirichlet({"u": 0}),
    parameters={"nu": nu},
    exact={"u": exact},
)
