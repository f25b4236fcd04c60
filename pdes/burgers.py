"""Burgers' equation u_t + u u_x = nu u_xx."""

from liepinn import PDE

pde = PDE.from_text("u_t + u*u_x = nu*u_xx", independent="x,t", dependent="u")

literature = dict(
    dimension=5,
    generators=[
        {"xi": {"x": "1"}, "phi": {}},
        {"xi": {"t": "1"}, "phi": {}},
        {"xi": {"x": "t"}, "phi": {"u": "1"}},
        {"xi": {"x": "x", "t": "2*t"}, "phi": {"u": "-u"}},
        {"xi": {"x": "t*x", "t": "t**2"}, "phi": {"u": "x - t*u"}},
    ],
    superposition=False,
    reference="P. J. Olver, Applications of Lie Groups to Differential Equations, 2nd ed., Springer, 1993 (Sec. 2.4, Burgers' equation)",
)

# -- problem: domain, conditions and parameter values (Raissi et al. 2019, burgers_shock.mat) --
from liepinn.problems import Dirichlet, Problem  # noqa: E402

problem = Problem(
    name="burgers",
    pde=pde,
    domain={"x": (-1, 1), "t": (0, "0.99")},
    initial={"u": "-sin(pi*x)"},
    boundary=Dirichlet({"u": 0}),
    parameters={"nu": "0.01/pi"},
    description="viscous Burgers, nu = 0.01/pi, u(x,0) = -sin(pi x), u(+-1,t) = 0: a front at x = 0 "
    "(Raissi, Perdikaris & Karniadakis 2019; data burgers_shock.mat)",
)
