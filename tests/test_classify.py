"""Group classification (`liepinn.classify`, `liepinn symmetries --classify`): the special
parameter values, each case's generators verified again here under its conditions."""

import json

import pytest
import sympy as sp

import liepinn
from liepinn.cli import main
from liepinn.symmetry import classify


def pde(text, indep="x,t"):
    return liepinn.PDE.from_text(text, independent=indep, dependent="u")


def check_cases(result):
    """Every generator of every case satisfies the invariance criterion under its conditions,
    and the special cases are larger than the generic one."""
    generic = result.cases[-1]
    assert generic.generic and not generic.conditions
    for case in result.cases:
        values = {c.lhs: c.rhs for c in case.conditions}
        sub = liepinn.PDE([e.xreplace(values) for e in result.pde.equations], result.pde.jet)
        for g in case.algebra.basis:
            assert g.verify(sub), (case.conditions, g)
        if not case.generic:
            assert (case.dimension > generic.dimension or case.algebra.superposition is not None
                    or case.algebra.infinite)


def conditions(result):
    return {tuple(sp.sstr(c) for c in case.conditions): case.dimension for case in result.cases}


def test_nonlinear_diffusion_ovsiannikov():
    m = sp.Symbol("m")
    result = classify(pde("u_t = (u^m*u_x)_x"), ["m"])
    check_cases(result)
    got = conditions(result)
    assert got[("Eq(m, -4/3)",)] == 5
    assert got[("Eq(m, 0)",)] == 6            # the heat equation (plus superposition)
    assert got[()] == 4
    assert len(got) == 3
    # the m = -4/3 case has the extra projective generator x^2 d_x - 3 u x d_u
    case = next(c for c in result.cases if c.conditions == (sp.Eq(m, sp.Rational(-4, 3)),))
    x, u = sp.symbols("x u")
    extra = liepinn.Generator({"x": x**2}, {"u": -3 * u * x}, case.algebra.pde.jet)
    assert case.algebra.contains(extra)


def test_semilinear_heat_u_power_n():
    result = classify(pde("u_t = u_xx + u^n"), "n")
    check_cases(result)
    got = conditions(result)
    assert got[()] == 3
    assert got[("Eq(n, 1)",)] == 6          # linear: the heat algebra with u d_u
    assert ("Eq(n, 0)",) in got             # u_t = u_xx + 1: linear inhomogeneous
    assert ("Eq(n, 2)",) not in got         # divided by n - 2, but no extension there
    assert any(sp.sstr(c) == "Eq(n, 2)" for c in result.checked)


def test_nonlinear_wave_equation():
    result = classify(pde("u_tt = (u^m*u_x)_x"), "m")
    check_cases(result)
    got = conditions(result)
    assert got[()] == 4
    assert got[("Eq(m, -4/3)",)] == 5 and got[("Eq(m, -4)",)] == 5


def test_json_schema_from_the_cli(capsys):
    rc = main(["symmetries", "--pde", "u_t = (u^m*u_x)_x", "--indep", "x,t", "--dep", "u",
               "--classify", "m", "--json"])
    out = capsys.readouterr()
    assert rc == 0, out.err
    data = json.loads(out.out)
    cases = data["cases"]
    assert cases[-1]["generic"] is True and cases[-1]["conditions"] == [] and cases[-1]["dimension"] == 4
    special = {tuple(c["conditions"]): c["dimension"] for c in cases[:-1]}
    assert special[("Eq(m, -4/3)",)] == 5
    for c in cases:
        assert all(v in ("symbolic", "numeric") for v in c["verification"])
        assert len(c["generators"]) == c["dimension"]


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["--classify", "q"], "'q' is not a parameter"),
        (["--classify", "m", "--param", "m=2"], "was given a value"),
        (["--classify", ","], "at least one parameter"),
    ],
)
def test_cli_bad_classify_is_one_line_exit_2(capsys, argv, fragment):
    rc = main(["symmetries", "--pde", "u_t = (u^m*u_x)_x", "--indep", "x,t", "--dep", "u", *argv])
    err = capsys.readouterr().err
    assert rc == 2
    assert fragment in err and err.count("\n") == 1


def test_unseen_family_exponent_of_x():
    # u_t = (x^a u_x)_x: a classification the tests above do not touch
    result = classify(pde("u_t = (x^a*u_x)_x"), "a")
    check_cases(result)
    got = conditions(result)
    assert all(d >= got[()] for d in got.values())


@pytest.mark.slow
def test_emden_fowler_two_parameters():
    result = classify(pde("u_xx = x^a*u^b", indep="x"), ["a", "b"], case_timeout=30)
    check_cases(result)
    got = conditions(result)
    assert got[()] == 1
    assert got[("Eq(b, 0)",)] == 8                       # linear: u'' = x^a
    assert ("Eq(a, 0)", "Eq(b, 0)") not in got           # a special case of b = 0, no larger
    assert got[("Eq(a, 0)", "Eq(b, -3)")] == 3          # Ermakov-Pinney
    assert got[("Eq(a, -b - 3)",)] == 2
