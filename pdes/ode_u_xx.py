"""The ODE u'' = 0 (its point symmetries form sl(3, R))."""

from liepinn import PDE

pde = PDE.from_text("u_xx = 0", independent="x", dependent="u")

literature = dict(
    dimension=8,
    generators=[
        {"xi": {"x": "1"}, "phi": {}},
        {"xi": {}, "phi": {"u": "1"}},
        {"xi": {"x": "x"}, "phi": {}},
        {"xi": {"x": "u"}, "phi": {}},
        {"xi": {}, "phi": {"u": "x"}},
        {"xi": {}, "phi": {"u": "u"}},
        {"xi": {"x": "x**2"}, "phi": {"u": "x*u"}},
        {"xi": {"x": "x*u"}, "phi": {"u": "u**2"}},
    ],
    superposition=False,
    reference="P. J. Olver, Applications of Lie Groups to Differential Equations, 2nd ed., Springer, 1993 (Sec. 2.5: the eight-parameter projective group of u'' = 0)",
)
