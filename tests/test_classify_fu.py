"""Group classification with respect to an arbitrary function f(u): Dorodnitsyn's table for
u_t = u_xx + f(u), Ovsiannikov's for u_t = (f(u) u_x)_x; each case verified under its form."""

import json

import sympy as sp

import liepinn
from liepinn.cli import main
from liepinn.symbolic._pde import PDE
from liepinn.symmetry import classify


def _pde(text):
    return PDE.from_text(text, independent="x,t", dependent="u", functions=["f"])


def _check(result):
    """Each case's generators satisfy the invariance criterion with f replaced by its form
    (and the form's parameters by their values)."""
    generic = result.cases[-1]
    for case in result.cases:
        eqs = list(result.pde.equations)
        for c in case.conditions:
            eqs = [e.xreplace({c.lhs: c.rhs}).doit() for e in eqs]
        sub = liepinn.PDE(eqs, result.pde.jet)
        for g in case.algebra.basis:
            assert g.verify(sub), (case.conditions, g)
        if not case.generic:
            assert (case.dimension > generic.dimension or case.algebra.superposition is not None
                    or case.algebra.infinite)


def _table(result):
    return {tuple(sp.sstr(c.rhs) for c in case.conditions): case.dimension for case in result.cases}


def test_reaction_diffusion_dorodnitsyn():
    result = classify(_pde("u_t = u_xx + f(u)"), ["f"])
    _check(result)
    got = _table(result)
    assert got[()] == 2                        # f arbitrary: translations
    assert got[("k*exp(u)",)] == 3             # + 2t d_t + x d_x - 2 d_u
    assert got[("k*u**n",)] == 3               # + scaling
    assert got[("k*u*log(u)",)] == 4           # + e^{kt} u d_u, 2 e^{kt} d_x - k x e^{kt} u d_u
    assert got[("a*u",)] == 6                  # linear: heat algebra (+ superposition)
    t, x, u = sp.symbols("t x u")
    k = sp.Symbol("k")
    case = next(c for c in result.cases if c.conditions and sp.sstr(c.conditions[0].rhs) == "k*u*log(u)")
    boost = liepinn.Generator({x: 2 * sp.exp(k * t)}, {u: -k * x * u * sp.exp(k * t)}, case.algebra.pde.jet)
    assert case.algebra.contains(boost)


def test_nonlinear_diffusion_ovsiannikov():
    result = classify(_pde("u_t = (f(u)*u_x)_x"), ["f"])
    _check(result)
    got = _table(result)
    assert got[()] == 3
    assert got[("k*exp(u)",)] == 4 and got[("k*u**n",)] == 4
    assert got[("k*u**n", "-4/3")] == 5        # the exceptional exponent
    assert got[("k*u**n", "0")] == 6           # the heat equation
    assert [sp.sstr(c.rhs) for c in result.checked] == ["k*u*log(u)"]   # tried, no extension


def test_cli_classify_function(capsys):
    rc = main(["symmetries", "--pde", "u_t = u_xx + f(u)", "--indep", "x,t", "--dep", "u",
               "--classify", "f", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and out["parameters"] == ["f(u)"]
    assert {tuple(c["conditions"]): c["dimension"] for c in out["cases"]}[("Eq(f(u), k*exp(u))",)] == 3
    assert out["cases"][-1]["generic"] and out["cases"][-1]["dimension"] == 2


def test_nonlinear_wave_ames():
    """u_tt = (f(u) u_x)_x (Ames, Lohner & Adams 1981): u^n extends at n = -4 and n = -4/3."""
    result = classify(_pde("u_tt = (f(u)*u_x)_x"), ["f"])
    _check(result)
    got = _table(result)
    assert got[()] == 3 and got[("k*exp(u)",)] == 4 and got[("k*u**n",)] == 4
    assert got[("k*u**n", "-4")] == 5 and got[("k*u**n", "-4/3")] == 5
