"""The sine-Gordon equation in light-cone coordinates u_xt = sin(u)."""

from liepinn import PDE

pde = PDE.from_text("u_xt = sin(u)", independent="x,t", dependent="u")

literature = dict(
    dimension=3,
    generators=[
        {"xi": {"x": "1"}, "phi": {}},
        {"xi": {"t": "1"}, "phi": {}},
        {"xi": {"x": "x", "t": "-t"}, "phi": {}},
    ],
    superposition=False,
    reference="N. H. Ibragimov (ed.), CRC Handbook of Lie Group Analysis of Differential Equations, Vol. 1, CRC Press, 1994 (sine-Gordon equation)",
)
