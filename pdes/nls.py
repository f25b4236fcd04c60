"""The nonlinear Schroedinger equation i h_t + alpha h_xx + kappa |h|^2 h = 0 for h = u + i v."""

from liepinn import PDE

pde = PDE.from_text(
    ["u_t + alpha*v_xx + kappa*(u^2 + v^2)*v = 0", "v_t - alpha*u_xx - kappa*(u^2 + v^2)*u = 0"],
    independent="x,t",
    dependent="u,v",
)

literature = dict(
    dimension=5,
    generators=[
        {"xi": {"x": "1"}, "phi": {}},
        {"xi": {"t": "1"}, "phi": {}},
        {"xi": {}, "phi": {"u": "-v", "v": "u"}},
        {"xi": {"x": "x", "t": "2*t"}, "phi": {"u": "-u", "v": "-v"}},
        {"xi": {"x": "2*alpha*t"}, "phi": {"u": "-x*v", "v": "x*u"}},
    ],
    superposition=False,
    reference="C. Sulem, P.-L. Sulem, The Nonlinear Schroedinger Equation: Self-Focusing and Wave Collapse, Springer, 1999 (Ch. 2, symmetries)",
)
