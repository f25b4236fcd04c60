"""The Fisher-KPP equation u_t = u_xx + u (1 - u)."""

from liepinn import PDE

pde = PDE.from_text("u_t = u_xx + u*(1 - u)", independent="x,t", dependent="u")

literature = dict(
    dimension=2,
    generators=[
        {"xi": {"x": "1"}, "phi": {}},
        {"xi": {"t": "1"}, "phi": {}},
    ],
    superposition=False,
    reference="P. A. Clarkson, E. L. Mansfield, Symmetry reductions and exact solutions of a class of nonlinear heat equations, Physica D 70 (1994) 250-288",
)
