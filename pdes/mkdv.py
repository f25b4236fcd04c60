"""The modified Korteweg-de Vries equation u_t + 6 u^2 u_x + u_xxx = 0."""

from liepinn import PDE

pde = PDE.from_text("u_t + 6*u^2*u_x + u_xxx = 0", independent="x,t", dependent="u")

literature = dict(
    dimension=3,
    generators=[
        {"xi": {"x": "1"}, "phi": {}},
        {"xi": {"t": "1"}, "phi": {}},
        {"xi": {"x": "x", "t": "3*t"}, "phi": {"u": "-u"}},
    ],
    superposition=False,
    reference="N. H. Ibragimov (ed.), CRC Handbook of Lie Group Analysis of Differential Equations, Vol. 1, CRC Press, 1994 (modified KdV equation)",
)
