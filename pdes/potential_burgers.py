"""The potential Burgers equation u_t = u_xx + u_x^2 (u = log w linearises it to w_t = w_xx)."""

from liepinn import PDE

pde = PDE.from_text("u_t = u_xx + u_x^2", independent="x,t", dependent="u")

literature = dict(
    dimension=6,
    generators=[
        {"xi": {"x": "1"}, "phi": {}},
        {"xi": {"t": "1"}, "phi": {}},
        {"xi": {}, "phi": {"u": "1"}},
        {"xi": {"x": "x", "t": "2*t"}, "phi": {}},
        {"xi": {"x": "2*t"}, "phi": {"u": "-x"}},
        {"xi": {"x": "4*t*x", "t": "4*t**2"}, "phi": {"u": "-x**2 - 2*t"}},
    ],
    superposition=False,
    infinite=True,  # beta(x, t) exp(-u) d/du with beta_t = beta_xx
    reference="P. J. Olver, Applications of Lie Groups to Differential Equations, 2nd ed., Springer, 1993 (Sec. 2.4, the potential Burgers equation)",
)
