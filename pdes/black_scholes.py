"""The Black-Scholes equation u_t + sigma^2 x^2 u_xx / 2 + r x u_x - r u = 0."""

from liepinn import PDE

pde = PDE.from_text("u_t + sigma^2*x^2*u_xx/2 + r*x*u_x - r*u = 0", independent="x,t", dependent="u")

literature = dict(
    dimension=6,
    generators=[
        {"xi": {"t": "1"}, "phi": {}},
        {"xi": {"x": "x"}, "phi": {}},
        {"xi": {}, "phi": {"u": "u"}},
        {"xi": {"x": "sigma**2*t*x"}, "phi": {"u": "(log(x) - (r - sigma**2/2)*t)*u"}},
        {"xi": {"x": "(log(x) + (r - sigma**2/2)*t)*x", "t": "2*t"}, "phi": {"u": "2*r*t*u"}},
        {"xi": {"x": "2*sigma**2*t*x*log(x)", "t": "2*sigma**2*t**2"},
         "phi": {"u": "((log(x) - (r - sigma**2/2)*t)**2 + 2*sigma**2*r*t**2 - sigma**2*t)*u"}},
    ],
    superposition=True,
    reference="R. K. Gazizov, N. H. Ibragimov, Lie symmetry analysis of differential equations in finance, Nonlinear Dynamics 17 (1998) 387-407",
)
