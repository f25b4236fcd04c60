"""Checks of a problem's definition before any compute (`liepinn.problems._checks`)."""

import warnings

import pytest
import sympy as sp

from liepinn import PDE
from liepinn.problems import (
    Dirichlet,
    IllPosedWarning,
    IncompatibleDataWarning,
    Neumann,
    Periodic,
    Problem,
    ProblemDefinitionError,
    check_problem_definition,
    list_entries,
    load_entry,
)

HEAT = PDE.from_text("u_t = nu*u_xx", independent="x,t", dependent="u")
HEAT2D = PDE.from_text("u_t = nu*(u_xx + u_yy)", independent="x,y,t", dependent="u")


def heat(**kw):
    args = dict(name="newcomer", pde=HEAT, domain={"x": (-1, 1), "t": (0, 1)}, initial={"u": "sin(pi*x)"},
                boundary=Dirichlet({"u": 0}), parameters={"nu": "1/10"})
    args.update(kw)
    return Problem(**args)


def heat2d(**kw):
    args = dict(name="square", pde=HEAT2D, domain={"x": (0, 1), "y": (0, 1), "t": (0, "1/2")},
                initial={"u": "sin(pi*x)*sin(2*pi*y)"}, boundary=Dirichlet({"u": 0}), parameters={"nu": "1/5"},
                exact={"u": "exp(-nu*5*pi^2*t)*sin(pi*x)*sin(2*pi*y)"})
    args.update(kw)
    return Problem(**args)


# -- the newcomer's definitions (issue 12) -----------------------------------------------------
def test_ic_against_dirichlet_data_refuses_hard_constraints():
    p = heat(initial={"u": "cos(pi*x)"})  # u0(+-1) = -1, but u = 0 at +-1
    with pytest.raises(ProblemDefinitionError, match="Hard constraints are impossible.*constraints='soft'"):
        check_problem_definition(p, constraints="hard")
    found = check_problem_definition(p, constraints="soft")
    assert [type(w) for w in found] == [IncompatibleDataWarning]
    assert "x = -1" in str(found[0]) and "x = 1" in str(found[0])
    with pytest.warns(IncompatibleDataWarning, match="Dirichlet"):
        p.check()


def test_wrong_exact_is_an_error():
    with pytest.raises(ProblemDefinitionError, match="does not satisfy the PDE u_t = nu\\*u_xx"):
        check_problem_definition(heat(exact={"u": "exp(-t)*sin(pi*x)"}))
    # the right decay rate passes (symbolically) and a float approximation of it too (numerically)
    assert check_problem_definition(heat(exact={"u": "exp(-nu*pi^2*t)*sin(pi*x)"}), constraints="hard") == []
    approx = sp.exp(-sp.Float(0.1, 30) * sp.pi**2 * sp.Symbol("t")) * sp.sin(sp.pi * sp.Symbol("x"))
    assert check_problem_definition(heat(exact={"u": approx})) == []


def test_exact_against_the_data():
    # solves the PDE but not the initial condition
    with pytest.raises(ProblemDefinitionError, match="does not match the initial condition"):
        check_problem_definition(heat(exact={"u": "2*exp(-nu*pi^2*t)*sin(pi*x)"}))
    # solves the PDE and the IC's shape but not the boundary data: cos mode, u0 = cos(pi x/2)
    p = heat(initial={"u": "cos(pi*x/2)"}, exact={"u": "exp(-nu*pi^2*t/4)*cos(pi*x/2)"},
             boundary=Dirichlet({"u": "t"}))
    with pytest.raises(ProblemDefinitionError, match="does not match the Dirichlet boundary data on x = -1"):
        check_problem_definition(p, constraints="soft")
    # Neumann data: d/dx of the exact solution
    p = heat(initial={"u": "cos(pi*x)"}, exact={"u": "exp(-nu*pi^2*t)*cos(pi*x)"}, boundary=Neumann({"u": 0}))
    assert check_problem_definition(p, constraints="hard") == []
    with pytest.raises(ProblemDefinitionError, match="Neumann"):
        check_problem_definition(p.replace(boundary=Neumann({"u": 1})))


def test_backward_heat_is_ill_posed():
    with pytest.raises(ProblemDefinitionError, match="ill-posed forward in t.*wrong sign"):
        check_problem_definition(heat(parameters={"nu": "-1/10"}))
    with pytest.raises(ProblemDefinitionError, match="ill-posed"):
        check_problem_definition(heat2d(parameters={"nu": "-1/5"}, exact=None))


def test_signs_of_higher_and_odd_orders():
    dom = {"x": (0, 1), "t": (0, 1)}
    good4 = PDE.from_text("u_t = -u_xxxx", independent="x,t", dependent="u")  # well-posed
    bad4 = PDE.from_text("u_t = u_xxxx", independent="x,t", dependent="u")
    kdv = PDE.from_text("u_t = c*u_xxx + u*u_x", independent="x,t", dependent="u")  # dispersive: either sign
    ic = {"u": "sin(2*pi*x)"}
    assert check_problem_definition(Problem("a", good4, dom, ic)) == []
    with pytest.raises(ProblemDefinitionError, match="ill-posed"):
        check_problem_definition(Problem("b", bad4, dom, ic))
    for c in ("1", "-1"):
        assert check_problem_definition(Problem("c", kdv, dom, ic, parameters={"c": c})) == []


def test_sign_that_depends_on_the_solution_warns():
    # u_t = (u u_x)_x: forward where u > 0, backward where u < 0; the IC changes sign
    pde = PDE.from_text("u_t = u*u_xx + u_x^2", independent="x,t", dependent="u")
    p = Problem("mixed", pde, {"x": (0, 1), "t": (0, 1)}, {"u": "sin(2*pi*x)"})
    with pytest.warns(IllPosedWarning, match="sampled"):
        p.check()
    assert check_problem_definition(p.replace(initial={"u": "2 + sin(2*pi*x)"})) == []
    with pytest.raises(ProblemDefinitionError, match="ill-posed"):
        check_problem_definition(p.replace(initial={"u": "-2 + sin(2*pi*x)"}))


def test_wave_and_systems():
    dom = {"x": (0, 1), "t": (0, 1)}
    ic = {"u": "sin(2*pi*x)"}
    wave = PDE.from_text("u_tt = c*u_xx", independent="x,t", dependent="u")
    assert check_problem_definition(Problem("w", wave, dom, ic, parameters={"c": 1})) == []
    with pytest.raises(ProblemDefinitionError, match="ill-posed"):  # elliptic: u_tt + u_xx = 0
        check_problem_definition(Problem("w", wave, dom, ic, parameters={"c": -1}))
    # Schroedinger as a real system: purely imaginary symbol, well-posed
    nls = load_entry("nls").problem
    assert check_problem_definition(nls, constraints="hard") == []
    # a backward-diffusing component in a coupled system
    sys_ = PDE.from_text(["u_t = u_xx + v", "v_t = -v_xx + u"], independent="x,t", dependent="u,v")
    with pytest.raises(ProblemDefinitionError, match="ill-posed"):
        check_problem_definition(Problem("s", sys_, dom, {"u": "sin(2*pi*x)", "v": 0}))


# -- two space dimensions ----------------------------------------------------------------------
def test_two_dimensional_problem():
    assert check_problem_definition(heat2d(), constraints="hard") == []
    with pytest.raises(ProblemDefinitionError, match="does not satisfy the PDE"):
        check_problem_definition(heat2d(exact={"u": "exp(-nu*pi^2*t)*sin(pi*x)*sin(2*pi*y)"}))
    # the IC is nonzero on the faces y = 0, 1 only
    p = heat2d(initial={"u": "sin(pi*x)*cos(pi*y)"}, exact=None)
    with pytest.raises(ProblemDefinitionError, match=r"on y = 0 .*on y = 1 .*Hard constraints") as err:
        check_problem_definition(p, constraints="hard")
    assert "on x = " not in str(err.value)
    (w,) = check_problem_definition(p, constraints="soft")
    assert isinstance(w, IncompatibleDataWarning)
    # periodic in both variables: a non-periodic IC in y is named
    q = heat2d(boundary=Periodic(), exact=None, initial={"u": "sin(2*pi*x) + y"})
    with pytest.raises(ProblemDefinitionError, match=r"on y = 0 .*periodic"):
        check_problem_definition(q, constraints="hard")


def test_neumann_mismatch_is_only_a_warning():
    p = heat(initial={"u": "sin(pi*x)"}, boundary=Neumann({"u": 0}))  # u0_x(+-1) = -pi, data 0
    (w,) = check_problem_definition(p, constraints="hard")  # Neumann data are a soft term
    assert isinstance(w, IncompatibleDataWarning) and "Neumann" in str(w)


def test_not_finite_and_bad_arguments():
    with pytest.raises(ProblemDefinitionError, match="not finite at \\(x=0, t=0\\)"):
        check_problem_definition(heat(domain={"x": (0, 1), "t": (0, 1)}, initial={"u": "1/x"}))
    with pytest.raises(ProblemDefinitionError, match="not real"):
        check_problem_definition(heat(domain={"x": (0, 1), "t": (0, 1)}, initial={"u": "log(x - 1/2)"},
                                      boundary=Periodic()))
    with pytest.raises(ValueError, match="constraints must be"):
        check_problem_definition(heat(), constraints="strong")
    with pytest.raises(TypeError, match="expects a Problem"):
        check_problem_definition("heat")


# -- the catalogue -------------------------------------------------------------------------------
def test_every_catalogue_problem_passes():
    checked = 0
    for name in list_entries():
        problem = load_entry(name).problem
        if problem is None:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            constraints = "soft" if problem.initial is None else "hard"
            assert check_problem_definition(problem, constraints=constraints) == [], name
        checked += 1
    assert checked >= 7


def test_tolerance_takes_typed_digits_but_not_wrong_rates():
    assert check_problem_definition(heat(exact={"u": "exp(-0.9869604*t)*sin(pi*x)"})) == []  # 7 digits
    with pytest.raises(ProblemDefinitionError, match="does not satisfy"):
        check_problem_definition(heat(exact={"u": "exp(-0.987*t)*sin(pi*x)"}))
    # a float wavenumber: u0(+-1) = 1e-9 against u = 0 is no mismatch at the field's scale
    assert check_problem_definition(heat(initial={"u": "sin(3.14159265*x)"}), constraints="hard") == []


def test_kdv_soliton_with_its_own_dirichlet_data():
    kdv = PDE.from_text("u_t + lambda1*u*u_x + lambda2*u_xxx = 0", independent="x,t", dependent="u")
    x, t = sp.symbols("x t")
    exact = sp.Rational(3, 2) * sp.sech(sp.sqrt(sp.Rational(1, 2)) * 10 * (x - t / 2)) ** 2
    p = Problem("soliton", kdv, {"x": (-1, 1), "t": (0, 1)}, {"u": exact.subs(t, 0)},
                boundary=Dirichlet({"u": exact}), parameters={"lambda1": 1, "lambda2": "1/400"},
                exact={"u": exact})
    assert check_problem_definition(p, constraints="hard") == []
    with pytest.raises(ProblemDefinitionError, match="does not satisfy the PDE"):  # the wrong speed
        check_problem_definition(p.replace(exact={"u": exact.subs(t, t * 2)}))


def test_backward_in_one_direction_only_is_an_error():
    pde = PDE.from_text("u_t = u_xx - u_yy/10", independent="x,y,t", dependent="u")
    p = Problem("saddle", pde, {"x": (0, 1), "y": (0, 1), "t": (0, 1)}, {"u": "sin(pi*x)*sin(pi*y)"},
                boundary=Dirichlet({"u": 0}))
    with pytest.raises(ProblemDefinitionError, match=r"ill-posed .*k = \[0.0, 1.0\]"):
        check_problem_definition(p)
    # anisotropic but forward in every direction, with a mixed derivative: fine
    ok = PDE.from_text("u_t = u_xx + u_xy + u_yy", independent="x,y,t", dependent="u")
    assert check_problem_definition(p.replace(pde=ok), constraints="hard") == []
    # a mixed derivative too strong for the diagonal: backward along x = -y
    bad = PDE.from_text("u_t = u_xx + 3*u_xy + u_yy", independent="x,y,t", dependent="u")
    with pytest.raises(ProblemDefinitionError, match="ill-posed"):
        check_problem_definition(p.replace(pde=bad))


def test_verdicts_are_remembered_per_description():
    p = heat(initial={"u": "cos(pi*x)"}, name="remembered")
    first = check_problem_definition(p, constraints="soft")
    again = check_problem_definition(p, constraints="soft")
    assert [str(w) for w in again] == [str(w) for w in first] and again is not first
    for _ in range(2):  # errors too, with the same message
        with pytest.raises(ProblemDefinitionError, match="Hard constraints are impossible"):
            check_problem_definition(p, constraints="hard")
    # a different definition under the same name is checked afresh
    assert check_problem_definition(p.replace(initial={"u": "sin(pi*x)"}), constraints="hard") == []
