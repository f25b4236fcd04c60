import subprocess
import sys

import pytest
import sympy as sp

from liepinn import PDE, JetSpace, PDEInputError


def test_jet_symbols_and_names():
    js = JetSpace("x,t", "u")
    assert js.jet("u", (1, 1)).name == "u_xt"
    assert js.jet("u", (2, 1)).name == "u_xxt"
    assert js.decode(sp.Symbol("u_tx")) == (0, (1, 1))
    assert js.jet("u", (0, 0)) == sp.Symbol("u")
    multi = JetSpace(["x1", "x2"], ["w"])
    assert multi.jet("w", (2, 0)).name == "w_x1_x1"
    assert multi.decode(sp.Symbol("w_x2_x1")) == (0, (1, 1))


def test_total_derivative():
    js = JetSpace("x,t", "u")
    x, t, u = sp.symbols("x t u")
    ux, uxx, uxt = js.jet("u", (1, 0)), js.jet("u", (2, 0)), js.jet("u", (1, 1))
    assert sp.expand(js.D(x * u**2, "x") - (u**2 + 2 * x * u * ux)) == 0
    assert js.D(ux, "t") == uxt
    assert js.D_multi(u, (2, 0)) == uxx


def test_function_conversion_round_trip():
    x, t = sp.symbols("x t")
    f = sp.Function("u")(x, t)
    js = JetSpace([x, t], [sp.Function("u")])
    e = sp.Derivative(f, x, t) + f * sp.Derivative(f, x, 2)
    jet_form = js.from_functions(e)
    assert jet_form == sp.Symbol("u_xt") + sp.Symbol("u") * sp.Symbol("u_xx")
    assert sp.simplify(js.to_functions(jet_form) - e.doit()) == 0


def test_pde_from_sympy_and_text_agree():
    x, t, nu = sp.symbols("x t nu")
    u = sp.Function("u")(x, t)
    eq = sp.Eq(u.diff(t), nu * u.diff(x, 2) - u * u.diff(x))
    a = PDE.from_sympy(eq, independent=[x, t], dependent=[sp.Function("u")])
    b = PDE.from_text("u_t = nu*u_xx - u*u_x", independent="x,t", dependent="u")
    assert sp.expand(a.equations[0] - b.equations[0]) == 0
    assert set(b.parameters) == {nu}


def test_power_and_mixed_derivative_spellings():
    a = PDE.from_text("u_xt = u^2 + u_tx*0", independent="x,t", dependent="u")
    b = PDE.from_text("u_tx = u**2", independent="x,t", dependent="u")
    assert a.equations == b.equations


def test_exact_parameter_values():
    p = PDE.from_text("u_t = nu*u_xx", independent="x,t", dependent="u", parameters={"nu": "0.01/pi"})
    assert p.parameters[sp.Symbol("nu")] == sp.Rational(1, 100) / sp.pi


def test_solved_and_evolution_form():
    kdv = PDE.from_text("u_t + u*u_x + u_xxx = 0", independent="x,t", dependent="u")
    (lead,) = kdv.principal_derivatives()
    rhs = kdv.solved_form()[lead]
    assert sp.expand(kdv.equations[0].subs(lead, rhs)) == 0
    assert sp.expand(kdv.evolution_form()[sp.Symbol("u")] + sp.Symbol("u") * sp.Symbol("u_x") + sp.Symbol("u_xxx")) == 0
    # a differential consequence is reduced to parametric derivatives only
    red = kdv.reduce(kdv.jet.jet("u", (4, 1)))
    assert lead not in red.free_symbols


def test_reduce_vanishes_on_consequences():
    heat = PDE.from_text("u_t = u_xx", independent="x,t", dependent="u")
    D = heat.jet.D
    for expr in [D(heat.equations[0], "x"), D(D(heat.equations[0], "t"), "x")]:
        assert heat.reduce(expr) == 0


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("u_t = (u_xx", "never closed"),
        ("u_t = u_xx)", "no matching"),
        ("u_t = foo(u)", "unknown function 'foo'"),
        ("u_t = u_yy", "not an independent variable"),
        ("v_x = u", "not a dependent variable"),
        ("__import__('os')", "not allowed"),
        ("", "empty equation"),
        ("u_t = 2 u", "write products with '*'"),
    ],
)
def test_bad_input_messages(text, fragment):
    with pytest.raises(PDEInputError, match="equation 1") as err:
        PDE.from_text(text, independent="x,t", dependent="u")
    assert fragment in str(err.value)


def test_variable_as_parameter_rejected():
    with pytest.raises(PDEInputError, match="'x'"):
        PDE.from_text("u_t = u_xx", independent="x,t", dependent="u", parameters={"x": 1})


def test_no_principal_derivative():
    with pytest.raises(PDEInputError, match="principal derivative"):
        PDE.from_text("sin(u_x) + sin(u_t) = 1", independent="x,t", dependent="u").principal_derivatives()


def test_symbolic_import_does_not_load_jax():
    code = "import sys, liepinn; liepinn.PDE.from_text('u_t=u_xx', independent='x,t', dependent='u'); print('jax' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_total_derivative_of_bracket():
    a = PDE.from_text("u_t = (u^2*u_x)_x", independent="x,t", dependent="u")
    b = PDE.from_text("u_t = 2*u*u_x^2 + u^2*u_xx", independent="x,t", dependent="u")
    assert sp.expand(a.equations[0] - b.equations[0]) == 0
    with pytest.raises(PDEInputError, match="independent variables"):
        PDE.from_text("u_t = (u)_y", independent="x,t", dependent="u")
