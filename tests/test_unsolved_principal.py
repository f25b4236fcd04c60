"""Equations without a solved principal derivative: the eikonal equation and Navier-Stokes."""

import json

import pytest
import sympy as sp

import liepinn
from liepinn.cli import main
from liepinn.symbolic import PDEInputError
from liepinn.symbolic._pde import PDE

NS = [
    "u_t + u*u_x + v*u_y = -p_x + nu*(u_xx + u_yy)",
    "v_t + u*v_x + v*v_y = -p_y + nu*(v_xx + v_yy)",
    "u_x + v_y = 0",
]


def _eikonal():
    return PDE.from_text("u_x^2 + u_y^2 = 1", independent="x,y", dependent="u")


def test_eikonal_relation_and_normal_form():
    pde = _eikonal()
    (ell, P), = pde.relations
    u_x, u_y, u_yy = sp.symbols("u_x u_y u_yy")
    assert ell == u_x and P == u_x**2 + u_y**2 - 1
    assert pde.assumptions == (sp.Ne(u_x, 0),)
    # u_xx = D_x u_x on u_x^2 = 1 - u_y^2 is u_y^2 u_yy / (1 - u_y^2), free of u_x
    assert sp.simplify(pde.reduce(sp.Symbol("u_xx")) - u_y**2 * u_yy / (1 - u_y**2)) == 0
    assert pde.reduce(u_x**3) == sp.expand(u_x * (1 - u_y**2))
    assert pde.reduce(1 / u_x) == u_x / (1 - u_y**2) or sp.simplify(pde.reduce(1 / u_x) - u_x / (1 - u_y**2)) == 0


def test_eikonal_conformal_algebra():
    """(grad u)^2 = 1 in 2-D: the conformal algebra so(2,3) of Minkowski space R(1,2), u the time."""
    alg = liepinn.symmetries(_eikonal())
    assert alg.dimension == 10 and not alg.infinite
    assert set(alg.verification) == {"symbolic"}
    x, y, u = sp.symbols("x y u")
    boost = liepinn.Generator({x: u}, {u: x}, alg.pde.jet)
    special = liepinn.Generator({x: 2 * u * x, y: 2 * u * y}, {u: u**2 + x**2 + y**2}, alg.pde.jet)
    assert alg.contains(boost) and alg.contains(special)
    assert sp.Ne(sp.Symbol("u_x"), 0) in alg.assumptions
    assert alg.jacobi()


def test_navier_stokes_with_pressure():
    pde = PDE.from_text(NS, independent="t,x,y", dependent="u,v,p")
    alg = liepinn.symmetries(pde)
    t, x, y, u, v, p = sp.symbols("t x y u v p")
    jet = pde.jet
    for g in [liepinn.Generator({t: 1}, {}, jet),
              liepinn.Generator({t: 2 * t, x: x, y: y}, {u: -u, v: -v, p: -2 * p}, jet),
              liepinn.Generator({x: y, y: -x}, {u: v, v: -u}, jet)]:
        assert alg.contains(g)
    assert alg.dimension == 3 and set(alg.verification) == {"symbolic"}
    # Galilean boosts with f(t), g(t) and the pressure gauge h(t)
    assert len(alg.infinite) == 3
    shapes = sorted(sorted(str(k) for k, c in {**fam.generator.xi, **fam.generator.phi}.items() if c != 0)
                    for fam in alg.infinite)
    assert shapes == [["p"], ["p", "u", "x"], ["p", "v", "y"]]
    f = sp.Function("f")(t)
    boost = liepinn.Generator({x: f}, {u: f.diff(t), p: -x * f.diff(t, 2)}, jet)
    assert boost.verify(pde)


def test_cli_eikonal_json(capsys):
    rc = main(["symmetries", "--pde", "u_x^2 + u_y^2 = 1", "--indep", "x,y", "--dep", "u",
               "--json", "--no-degeneracy"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and len(out["generators"]) == 10
    assert out["assumptions"] == ["Ne(u_x, 0)"]


def test_cli_navier_stokes(capsys):
    argv = ["symmetries"] + [a for e in NS for a in ("--pde", e)]
    rc = main(argv + ["--indep", "t,x,y", "--dep", "u,v,p", "--json", "--no-degeneracy"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and len(out["generators"]) == 3 and len(out["infinite"]) == 3


@pytest.mark.parametrize("eqs, dep, fragment", [
    (["sin(u_x) + sin(u_y) = 0"], "u", "enters non-polynomially"),
    (["(u_x^2 + u_y^2 - 1)^2 = 0"], "u", "repeated factor"),
    (["u_x^2 + u_y^2 = 1", "v_x^2 + v_y^2 = 1"], "u,v", "only one is supported"),
])
def test_clear_errors(eqs, dep, fragment):
    pde = PDE.from_text(eqs, independent="x,y", dependent=dep)
    with pytest.raises(PDEInputError, match=fragment):
        pde.solved_form()


def test_eikonal_rotation_invariant_solutions():
    """Reduction by the rotation y d_x - x d_y: u = C +- sqrt(x^2 + y^2), each verified."""
    red = liepinn.reduce(_eikonal(), "y*D_x - x*D_y")
    x, y, u = sp.symbols("x y u")
    xp, yp = sp.symbols("x y", positive=True)
    r = sp.sqrt(xp**2 + yp**2)
    assert len(red.solutions) == 2
    signs = set()
    for sol in red.solutions:
        assert sol.verification == "symbolic"
        (c,) = sol.constants
        rest = sp.simplify((sol.values[u] - c).xreplace({x: xp, y: yp}) / r)
        assert rest in (1, -1)
        signs.add(rest)
    assert signs == {1, -1}


@pytest.mark.parametrize("text, dimension", [
    ("u_x^3 + u_y^3 = 1", 4),          # translations, one scaling
    ("u_x^2 = u_y^3", 5),              # translations, two scalings
    ("u_xx^2 + u_yy^2 = 1", 7),        # + u -> u + a x + b y + c x y, x,y,u -> l x, l y, l^2 u
])
def test_other_algebraic_leaders(text, dimension):
    alg = liepinn.symmetries(PDE.from_text(text, independent="x,y", dependent="u"))
    assert alg.dimension == dimension and set(alg.verification) == {"symbolic"}
    assert len(alg.assumptions) >= 1 and str(alg.assumptions[0]) in ("Ne(u_x, 0)", "Ne(u_xx, 0)")
