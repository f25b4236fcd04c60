"""The Allen-Cahn equation u_t = eps u_xx - 5 u^3 + 5 u."""

from liepinn import PDE

pde = PDE.from_text("u_t = eps*u_xx - 5*u^3 + 5*u", independent="x,t", dependent="u")

literature = dict(
    dimension=2,
    generators=[
        {"xi": {"x": "1"}, "phi": {}},
        {"xi": {"t": "1"}, "phi": {}},
    ],
    superposition=False,
    reference="P. A. Clarkson, E. L. Mansfield, Symmetry reductions and exact solutions of a class of nonlinear heat equations, Physica D 70 (1994) 250-288",
)

# -- problem: domain, conditions and parameter values (Raissi et al. 2019, AC.mat) ------------
from liepinn.problems import Periodic, Problem  # noqa: E402

problem = Problem(
    name="allen_cahn",
    pde=pde,
    domain={"x": (-1, 1), "t": (0, 1)},
    initial={"u": "x^2*cos(pi*x)"},
    boundary=Periodic(),
    parameters={"eps": "0.0001"},
    description="Allen-Cahn, eps = 0.0001, u(x,0) = x^2 cos(pi x), periodic on [-1, 1) "
    "(Raissi, Perdikaris & Karniadakis 2019; data AC.mat)",
)
