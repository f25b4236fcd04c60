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

# -- problem: domain, conditions and parameter values (Raissi et al. 2019, NLS.mat) -----------
from liepinn.problems import Periodic, Problem  # noqa: E402

problem = Problem(
    name="nls",
    pde=pde,
    domain={"x": (-5, 5), "t": (0, "pi/2")},
    initial={"u": "2*sech(x)", "v": 0},
    boundary=Periodic(),
    parameters={"alpha": "1/2", "kappa": 1},
    description="NLS i h_t + 0.5 h_xx + |h|^2 h = 0, h = u + i v, h(x,0) = 2 sech(x), periodic on "
    "[-5, 5) (Raissi, Perdikaris & Karniadakis 2019; data NLS.mat)",
)
