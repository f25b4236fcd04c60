"""The Allen-Cahn equation in two space dimensions u_t = eps (u_xx + u_yy) + u - u^3."""

from liepinn import PDE

pde = PDE.from_text("u_t = eps*(u_xx + u_yy) + u - u^3", independent="x,y,t", dependent="u")

literature = dict(
    dimension=4,
    generators=[
        {"xi": {"x": "1"}, "phi": {}},
        {"xi": {"y": "1"}, "phi": {}},
        {"xi": {"t": "1"}, "phi": {}},
        {"xi": {"x": "y", "y": "-x"}, "phi": {}},
    ],
    superposition=False,
    reference="P. A. Clarkson, E. L. Mansfield, Symmetry reductions and exact solutions of a class of "
    "nonlinear heat equations, Physica D 70 (1994) 250-288 (the reaction-diffusion equation in n "
    "dimensions: translations and rotations only)",
)

# -- problem: a periodic box and a smooth initial condition; no exact solution, so runs are
# evaluated against the 2-D diffrax reference (Fourier x Fourier, `liepinn reference allen_cahn2d`)
from liepinn.problems import Periodic, Problem  # noqa: E402

problem = Problem(
    name="allen_cahn2d",
    pde=pde,
    domain={"x": ("-pi", "pi"), "y": ("-pi", "pi"), "t": (0, 1)},
    initial={"u": "(cos(x) + cos(y))/2 + sin(x)*sin(y)/4"},
    boundary=Periodic(),
    parameters={"eps": "1/20"},
    description="2-D Allen-Cahn, eps = 1/20, periodic on [-pi, pi)^2, "
    "u(x,y,0) = (cos x + cos y)/2 + sin x sin y/4 (evaluated against the 2-D diffrax reference)",
)
