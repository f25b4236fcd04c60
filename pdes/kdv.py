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
