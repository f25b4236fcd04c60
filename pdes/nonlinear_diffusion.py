"""Nonlinear diffusion u_t = (u^m u_x)_x, generic exponent m (m = -4/3 enlarges the algebra)."""

from liepinn import PDE

pde = PDE.from_text("u_t = u^m*u_xx + m*u^(m - 1)*u_x^2", independent="x,t", dependent="u")

literature = dict(
    dimension=4,
    generators=[
        {"xi": {"x": "1"}, "phi": {}},
        {"xi": {"t": "1"}, "phi": {}},
        {"xi": {"x": "x", "t": "2*t"}, "phi": {}},
        {"xi": {"x": "m*x"}, "phi": {"u": "2*u"}},
    ],
    superposition=False,
    reference="L. V. Ovsiannikov, Group properties of the nonlinear heat conduction equation, Dokl. Akad. Nauk SSSR 125 (1959) 492-495",
)
