"""The heat equation u_t = mu u_xx."""

from liepinn import PDE

pde = PDE.from_text("u_t = mu*u_xx", independent="x,t", dependent="u")

literature = dict(
    dimension=6,
    generators=[
        {"xi": {"x": "1"}, "phi": {}},
        {"xi": {"t": "1"}, "phi": {}},
        {"xi": {}, "phi": {"u": "u"}},
        {"xi": {"x": "x", "t": "2*t"}, "phi": {}},
        {"xi": {"x": "2*mu*t"}, "phi": {"u": "-x*u"}},
        {"xi": {"x": "4*mu*t*x", "t": "4*mu*t**2"}, "phi": {"u": "-(x**2 + 2*mu*t)*u"}},
    ],
    superposition=True,
    reference="P. J. Olver, Applications of Lie Groups to Differential Equations, 2nd ed., Springer, 1993 (Sec. 2.4, the heat equation)",
)

# -- problem: a periodic heat problem with an exact solution (two Fourier modes) -------------
from liepinn.problems import Periodic, Problem  # noqa: E402

problem = Problem(
    name="heat",
    pde=pde,
    domain={"x": (-1, 1), "t": (0, 1)},
    initial={"u": "sin(pi*x) + cos(3*pi*x)/2"},
    boundary=Periodic(),
    parameters={"mu": "1/10"},
    exact={"u": "exp(-mu*pi^2*t)*sin(pi*x) + exp(-9*mu*pi^2*t)*cos(3*pi*x)/2"},
    description="heat, mu = 1/10, periodic on [-1, 1), u(x,0) = sin(pi x) + cos(3 pi x)/2 "
    "(exact: each mode decays as exp(-mu k^2 t))",
)
