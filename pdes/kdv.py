"""The Korteweg-de Vries equation u_t + lambda1 u u_x + lambda2 u_xxx = 0."""

from liepinn import PDE

pde = PDE.from_text("u_t + lambda1*u*u_x + lambda2*u_xxx = 0", independent="x,t", dependent="u")

literature = dict(
    dimension=4,
    generators=[
        {"xi": {"x": "1"}, "phi": {}},
        {"xi": {"t": "1"}, "phi": {}},
        {"xi": {"x": "lambda1*t"}, "phi": {"u": "1"}},
        {"xi": {"x": "x", "t": "3*t"}, "phi": {"u": "-2*u"}},
    ],
    superposition=False,
    reference="P. J. Olver, Applications of Lie Groups to Differential Equations, 2nd ed., Springer, 1993 (Sec. 2.4, the Korteweg-de Vries equation)",
)

# -- problem: domain, conditions and parameter values (Raissi et al. 2019, KdV.mat) -----------
from liepinn.problems import Periodic, Problem  # noqa: E402

problem = Problem(
    name="kdv",
    pde=pde,
    domain={"x": (-1, 1), "t": (0, 1)},
    initial={"u": "cos(pi*x)"},
    boundary=Periodic(),
    parameters={"lambda1": 1, "lambda2": "0.0025"},
    description="KdV, lambda1 = 1, lambda2 = 0.0025, u(x,0) = cos(pi x), periodic on [-1, 1) "
    "(Raissi, Perdikaris & Karniadakis 2019; data KdV.mat)",
)
