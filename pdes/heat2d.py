"""The heat equation in two space dimensions u_t = u_xx + u_yy."""

from liepinn import PDE

pde = PDE.from_text("u_t = u_xx + u_yy", independent="x,y,t", dependent="u")

literature = dict(
    dimension=9,
    generators=[
        {"xi": {"x": "1"}, "phi": {}},
        {"xi": {"y": "1"}, "phi": {}},
        {"xi": {"t": "1"}, "phi": {}},
        {"xi": {}, "phi": {"u": "u"}},
        {"xi": {"x": "x", "y": "y", "t": "2*t"}, "phi": {}},
        {"xi": {"x": "y", "y": "-x"}, "phi": {}},
        {"xi": {"x": "2*t"}, "phi": {"u": "-x*u"}},
        {"xi": {"y": "2*t"}, "phi": {"u": "-y*u"}},
        {"xi": {"x": "4*t*x", "y": "4*t*y", "t": "4*t**2"}, "phi": {"u": "-(x**2 + y**2 + 4*t)*u"}},
    ],
    superposition=True,
    reference="N. H. Ibragimov (ed.), CRC Handbook of Lie Group Analysis of Differential Equations, Vol. 1, CRC Press, 1994 (linear heat equation in n dimensions)",
)

from liepinn.problems import Dirichlet, Problem  # noqa: E402

# A training problem in two space dimensions: one Fourier mode on the unit square, decaying as
# exp(-2 pi^2 t) (the exact solution; the diffrax reference is one-dimensional).
problem = Problem(
    name="heat2d",
    pde=pde,
    domain={"x": (0, 1), "y": (0, 1), "t": (0, "1/10")},
    initial={"u": "sin(pi*x)*sin(pi*y)"},
    boundary=Dirichlet({"u": 0}),
    exact={"u": "exp(-2*pi^2*t)*sin(pi*x)*sin(pi*y)"},
    description="2-D heat on [0, 1]^2, u = 0 on the boundary, u(x,y,0) = sin(pi x) sin(pi y) "
    "(exact: exp(-2 pi^2 t) sin(pi x) sin(pi y))",
)
