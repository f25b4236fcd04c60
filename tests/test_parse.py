"""The safe PDE text parser (liepinn.symbolic._parse): valid forms, exact numbers, bad input."""

import pytest
import sympy as sp

from liepinn import JetSpace, PDE, PDEInputError, parse_expression, parse_value

x, t, u, v, nu = sp.symbols("x t u v nu")
JET = JetSpace("x,t", "u")


def parse(text, jet=JET):
    return parse_expression(text, jet, where="equation 1")[0]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("u_t = u_xx", sp.Symbol("u_t") - sp.Symbol("u_xx")),
        ("u^2", u**2),
        ("u**2", u**2),
        ("2^3^2", sp.Integer(2) ** 9),  # right associative
        ("-u^2", -(u**2)),  # unary minus binds looser than power
        ("u^-1", 1 / u),
        ("a - b - c", sp.Symbol("a") - sp.Symbol("b") - sp.Symbol("c")),  # left associative
        ("a/b/c", sp.Symbol("a") / (sp.Symbol("b") * sp.Symbol("c"))),
        ("(u + 1)*(u - 1)", (u + 1) * (u - 1)),
        ("0.01/pi", sp.Rational(1, 100) / sp.pi),
        ("1e-3*u", sp.Rational(1, 1000) * u),
        ("2.5E2", sp.Integer(250)),
        (".5", sp.Rational(1, 2)),
        ("u(x, t)", u),
        ("+u", u),
    ],
)
def test_valid_expressions(text, expected):
    assert sp.expand(parse(text) - expected) == 0


def test_power_spellings_agree():
    assert parse("u_t = u^3 + x^2") == parse("u_t = u**3 + x**2")


def test_mixed_derivative_order_irrelevant():
    assert parse("u_xt") == parse("u_tx") == JET.jet("u", (1, 1))
    assert parse("u_xxt") == parse("u_txx") == parse("u_xtx")


@pytest.mark.parametrize("name, fn", [("sin", sp.sin), ("cos", sp.cos), ("exp", sp.exp), ("log", sp.log),
                                      ("sqrt", sp.sqrt), ("sinh", sp.sinh), ("cosh", sp.cosh),
                                      ("tanh", sp.tanh)])
def test_known_functions(name, fn):
    assert parse(f"{name}(u + x)") == fn(u + x)


def test_numbers_are_exact():
    expr = parse("0.1*u + 1/3")
    assert all(not isinstance(a, sp.Float) for a in sp.preorder_traversal(expr))
    assert expr == u / 10 + sp.Rational(1, 3)


def test_parameters_found():
    expr, params = parse_expression("u_t = nu*u_xx - lambda1*u*u_x + pi", JET)
    assert params == {nu, sp.Symbol("lambda1")}
    assert sp.pi in expr.atoms(sp.NumberSymbol)


def test_multi_letter_variables():
    jet = JetSpace("x1,x2", "w")
    assert parse("w_x1_x2", jet) == parse("w_x2_x1", jet) == jet.jet("w", (1, 1))


def test_system_of_two_dependent_variables():
    pde = PDE.from_text(["u_t = v_xx", "v_t = -u_xx"], independent="x,t", dependent="u,v")
    assert pde.equations[1] == sp.Symbol("v_t") + sp.Symbol("u_xx")


def test_parse_value_exact_and_no_names():
    assert parse_value("0.01/pi") == sp.Rational(1, 100) / sp.pi
    assert parse_value("2^-1") == sp.Rational(1, 2)
    with pytest.raises(PDEInputError, match="nu"):
        parse_value("nu/2")


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("u_t = (u_xx", "unbalanced brackets"),
        ("u_t = u_xx)", "unbalanced brackets"),
        ("u_t = sin(u", "unbalanced brackets"),
        ("u_t = foo(u)", "unknown function 'foo'"),
        ("u_t = u_yy", "'u_yy'"),
        ("w_x = u", "'w_x'"),
        ("__import__('os').system('echo pwned')", "not allowed"),
        ("u_t = u.__class__", "unexpected character '.'"),
        ("", "empty equation"),
        ("   ", "empty equation"),
        ("u_t = ", "expression after '='"),
        ("u_t = 2 u", "write products with '*'"),
        ("u_t = u_xx +", "end of input"),
        ("u_t = u @ u", "unexpected character '@'"),
        ("u_t == u", "unexpected"),
        ("u_t = u = u", "unexpected"),
        ("u_t = sin(u, x)", "one argument"),
        ("u_t = sin", "'('"),
        ("u_t = u(t, x)", "must be applied to the independent variables"),
        ("u_t = 'a'", "unexpected character"),
    ],
)
def test_bad_input(text, fragment):
    with pytest.raises(PDEInputError) as err:
        PDE.from_text(text, independent="x,t", dependent="u")
    msg = str(err.value)
    assert fragment in msg
    assert "equation 1" in msg
    assert "\n" not in msg


def test_bad_input_names_the_equation_of_a_system():
    with pytest.raises(PDEInputError, match="equation 2"):
        PDE.from_text(["u_t = v_xx", "v_t = (u_xx"], independent="x,t", dependent="u,v")


def test_nothing_is_executed(capfd):
    with pytest.raises(PDEInputError):
        PDE.from_text("__import__('os').system('echo EXECUTED')", independent="x,t", dependent="u")
    with pytest.raises(PDEInputError):
        PDE.from_text("exec('print(1)')", independent="x,t", dependent="u")
    out = capfd.readouterr()
    assert "EXECUTED" not in out.out + out.err


def test_variable_used_as_parameter():
    with pytest.raises(PDEInputError, match="'t'"):
        PDE.from_text("u_t = nu*u_xx", independent="x,t", dependent="u", parameters={"t": "1"})


def test_no_dependent_variable():
    with pytest.raises(PDEInputError, match="no dependent variable"):
        PDE.from_text("x = t", independent="x,t", dependent="u")


def test_no_principal_derivative():
    pde = PDE.from_text(["sin(u_x) + sin(u_t) = 1"], independent="x,t", dependent="u")
    with pytest.raises(PDEInputError, match="principal derivative"):
        pde.solved_form()
