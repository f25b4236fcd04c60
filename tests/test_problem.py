"""Problem: validation, numeric helpers, families of initial conditions, the pdes/ problems."""

import json
import math

import numpy as np
import pytest
import sympy as sp

from liepinn import PDE, PDEInputError, load_entry
from liepinn.problems import AbstractBoundary, Dirichlet, Neumann, Periodic, Problem, SineSeries

x, t = sp.symbols("x t")


def burgers_pde():
    return PDE.from_text("u_t + u*u_x = nu*u_xx", independent="x,t", dependent="u")


def make(**kw):
    args = dict(name="b", pde=burgers_pde(), domain={"x": (-1, 1), "t": (0, 1)},
                initial={"u": -sp.sin(sp.pi * x)}, boundary=Dirichlet({"u": 0}),
                parameters={"nu": "0.01/pi"})
    args.update(kw)
    return Problem(**args)


# -- construction and validation ----------------------------------------------------------
def test_basic_facts():
    p = make()
    assert p.independent == ("x", "t") and p.dependent == ("u",) and p.space == ("x",)
    assert p.time_index == 1 and p.t_span == (0.0, 1.0)
    assert p.parameters == {"nu": sp.Rational(1, 100) / sp.pi}
    lo, hi = p.bounds
    np.testing.assert_array_equal(lo, [-1, 0])
    np.testing.assert_array_equal(hi, [1, 1])
    assert not p.periodic
    assert isinstance(p.boundary, Dirichlet) and p.boundary.values == {"u": 0}


def test_time_first_order_of_variables():
    pde = PDE.from_text("u_t = u_xx", independent="t,x", dependent="u")
    p = Problem("h", pde, {"x": (0, 1), "t": (0, 2)}, {"u": "sin(pi*x)"}, Dirichlet())
    assert p.time_index == 0 and p.space == ("x",)
    np.testing.assert_array_equal(p.bounds.lo, [0, 0])
    np.testing.assert_array_equal(p.bounds.hi, [2, 1])
    pts = np.array([[0.0, 0.5], [1.0, 0.25]])  # (t, x)
    np.testing.assert_allclose(p.initial_values(pts)[0], np.sin(np.pi * pts[:, 1]))


def test_strings_numbers_and_symbols_with_assumptions():
    xr = sp.Symbol("x", real=True)
    p = make(initial={"u": -sp.sin(sp.pi * xr)}, domain={"x": ("-1", 1.0), "t": (0, "0.99")})
    assert p.domain["t"] == (0, sp.Rational(99, 100))
    assert p.domain["x"] == (-1, 1)
    np.testing.assert_allclose(p.initial_values(np.array([[0.5]])), [[-1.0]])
    q = make(initial="-sin(pi*x)")  # one dependent variable: a bare expression is allowed
    assert q.initial["u"] == -sp.sin(sp.pi * x)


@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(domain={"x": (-1, 1)}), "domain keys"),
        (dict(domain={"x": (-1, 1), "t": (0, 1), "y": (0, 1)}), "unknown"),
        (dict(domain={"x": (1, -1), "t": (0, 1)}), "lo < hi"),
        (dict(domain={"x": (-1, "oo"), "t": (0, 1)}), "finite|number"),
        (dict(time="s"), "time variable 's'"),
        (dict(parameters={"mu": 1}), "unknown parameter 'mu'"),
        (dict(parameters={}), r"parameter\(s\) \['nu'\] need values"),
        (dict(initial={"u": sp.sin(x) * t}), r"contains \['t'\]"),
        (dict(initial={"w": sp.sin(x)}), "not dependent variables"),
        (dict(initial=None), "initial conditions"),
        (dict(exact={"u": x + sp.Symbol("q")}), r"contains \['q'\]"),
        (dict(boundary=Dirichlet({"u": sp.Symbol("zz")})), r"contains \['zz'\]"),
    ],
)
def test_validation_errors(kw, match):
    with pytest.raises((PDEInputError, ValueError, TypeError), match=match):
        make(**kw)


def test_boundary_must_be_an_object():
    with pytest.raises(TypeError, match="boundary must be Periodic"):
        make(boundary="periodic")
    with pytest.raises(TypeError, match="pde must be a liepinn PDE"):
        make(pde="u_t = u_xx")


def test_initial_boundary_mismatch_warns():
    # construction is silent; check() names the mismatch (more in tests/test_problem_checks.py)
    from liepinn.problems import IncompatibleDataWarning

    with pytest.warns(IncompatibleDataWarning, match="Dirichlet"):
        make(initial={"u": sp.cos(sp.pi * x)}).check()
    with pytest.warns(IncompatibleDataWarning, match="periodic"):
        make(initial={"u": x}, boundary=Periodic()).check()


def test_pde_values_and_evolution_form():
    p = make()
    assert not p.pde_values().parameters
    F = p.evolution_form()
    u, ux, uxx = sp.symbols("u u_x u_xx")
    assert sp.simplify(F[sp.Symbol("u")] - (uxx / (100 * sp.pi) - u * ux)) == 0
    assert p.pde.parameters[sp.Symbol("nu")] is None  # the catalogue PDE keeps its symbol


def test_numeric_helpers():
    p = make(exact={"u": -sp.exp(-t) * sp.sin(sp.pi * x)})
    pts = np.array([[0.25, 0.0], [0.5, 0.5], [-1.0, 1.0]])
    np.testing.assert_allclose(p.initial_values(pts), [-np.sin(np.pi * pts[:, 0])], atol=1e-15)
    np.testing.assert_allclose(p.initial_values(pts[:, :1]), p.initial_values(pts))
    np.testing.assert_allclose(p.exact_values(pts)[0], -np.exp(-pts[:, 1]) * np.sin(np.pi * pts[:, 0]))
    np.testing.assert_array_equal(p.boundary_values(pts), np.zeros((1, 3)))
    with pytest.raises(ValueError, match="columns"):
        p.initial_values(np.zeros((3, 3)))
    q = make(boundary=Periodic(), initial={"u": sp.sin(sp.pi * x)})
    with pytest.raises(ValueError, match="no boundary values"):
        q.boundary_values(pts)
    with pytest.raises(ValueError, match="no exact solution"):
        q.exact_values(pts)


def test_time_dependent_boundary_values():
    p = make(boundary=Neumann({"u": "exp(-t)*x"}), initial={"u": sp.Integer(0)})
    pts = np.array([[-1.0, 0.0], [1.0, 1.0]])
    np.testing.assert_allclose(p.boundary_values(pts)[0], [-1.0, math.exp(-1)])


def test_with_initial_and_describe():
    p = make(exact={"u": -sp.sin(sp.pi * x)})
    q = p.with_initial({"u": sp.sin(2 * sp.pi * x)})
    assert q.exact is None and q.initial["u"] == sp.sin(2 * sp.pi * x) and p.initial["u"] != q.initial["u"]
    d = json.loads(json.dumps(p.describe()))
    assert d["boundary"] == {"kind": "dirichlet", "values": {"u": "0"}}
    assert d["parameters"] == {"nu": "1/(100*pi)"}
    assert d["domain"]["x"] == ["-1", "1"]
    assert repr(p).startswith("Problem('b'") and "dirichlet" in repr(p)


def test_bounds_make_the_derivative_box():
    from liepinn.derivatives import Box

    b = Box(*make().bounds)
    assert isinstance(b, Box)
    np.testing.assert_array_equal(np.asarray(b.lo), [-1, 0])


def test_custom_boundary_class_is_accepted_by_problem():
    class Robin(AbstractBoundary):
        kind = "robin"

    p = make(boundary=Robin())
    assert p.boundary.kind == "robin"


# -- families -----------------------------------------------------------------------------
def test_sine_series_family():
    fam = SineSeries(length=6, lo=0)
    a = fam.sample(0, 3)
    b = fam.sample(0, 3)
    assert a == b and len(a) == 3 and fam.sample(1, 3) != a
    amp, ell, phase = fam.sample_coefficients(0, 200)
    assert amp.shape == (200, 5)
    assert np.all((-0.5 <= amp) & (amp <= 0.5)) and set(np.unique(ell)) == {1, 2, 3}
    assert np.all((0 <= phase) & (phase <= 2 * np.pi))
    xs = np.linspace(0, 6, 13)
    vals = fam.evaluate((amp[:2], ell[:2], phase[:2]), xs)
    for k in range(2):
        f = sp.lambdify(x, fam.expression(amp[k], ell[k], phase[k]), "numpy")
        np.testing.assert_allclose(vals[k], f(xs), atol=1e-14)
        np.testing.assert_allclose(vals[k][0], vals[k][-1], atol=1e-13)  # 6-periodic


def test_sine_series_with_jax_key():
    import jax

    fam = SineSeries(length="2*pi")
    a = fam.sample(jax.random.key(0), 2)
    assert a == fam.sample(jax.random.key(0), 2) and a != fam.sample(jax.random.key(1), 2)


def test_sine_series_validation():
    with pytest.raises(ValueError, match="wavenumbers"):
        SineSeries(length=1, wavenumbers=(0, 1))
    with pytest.raises(ValueError, match="length"):
        SineSeries(length=-1)
    with pytest.raises(ValueError, match="terms"):
        SineSeries(length=1, terms=0)


def test_family_problem():
    p = load_entry("heat_sines").problem
    assert p.initial is None and isinstance(p.initial_family, SineSeries)
    with pytest.raises(ValueError, match="family"):
        p.initial_values(np.zeros((2, 1)))
    u0 = p.initial_family.sample(3, 1)[0]
    xs = np.linspace(0, 6, 7)[:, None]
    np.testing.assert_allclose(p.initial_values(xs, initial={"u": u0})[0],
                               sp.lambdify(x, u0, "numpy")(xs[:, 0]))
    assert p.parameters == {"mu": sp.Rational(1, 100)} and p.t_span == (0.0, 16.0)
    b = load_entry("burgers_sines").problem
    assert b.parameters == {"nu": sp.Rational(1, 10)} and b.t_span == (0.0, 2.475)
    assert b.domain["x"] == (0, 2 * sp.pi) and b.periodic


# -- the pdes/ problems (../shared/reference/README.md) -----------------------------------
@pytest.mark.parametrize(
    "name, domain, params, u0",
    [
        ("burgers", {"x": (-1, 1), "t": (0, 0.99)}, {"nu": 0.01 / math.pi}, lambda s: -np.sin(np.pi * s)),
        ("kdv", {"x": (-1, 1), "t": (0, 1)}, {"lambda1": 1.0, "lambda2": 0.0025}, lambda s: np.cos(np.pi * s)),
        ("allen_cahn", {"x": (-1, 1), "t": (0, 1)}, {"eps": 1e-4}, lambda s: s**2 * np.cos(np.pi * s)),
        ("nls", {"x": (-5, 5), "t": (0, math.pi / 2)}, {"alpha": 0.5, "kappa": 1.0},
         lambda s: np.stack([2 / np.cosh(s), 0 * s])),
        ("heat", {"x": (-1, 1), "t": (0, 1)}, {"mu": 0.1}, None),
    ],
)
def test_catalogue_problems(name, domain, params, u0):
    p = load_entry(name).problem
    assert p.name == name
    for v, (lo, hi) in domain.items():
        assert float(p.domain[v][0]) == pytest.approx(lo) and float(p.domain[v][1]) == pytest.approx(hi)
    assert {k: float(v) for k, v in p.parameters.items()} == pytest.approx(params)
    assert isinstance(p.boundary, Dirichlet if name == "burgers" else Periodic)
    xs = np.linspace(*domain["x"], 9)
    if u0 is not None:
        np.testing.assert_allclose(p.initial_values(xs[:, None]).squeeze(), u0(xs), atol=1e-14)
    p.evolution_form()  # every problem is an evolution equation


def test_heat_exact_solves_the_problem():
    p = load_entry("heat").problem
    u = p.exact["u"]
    mu = p.parameters["mu"]
    assert sp.simplify(sp.diff(u, t) - mu * sp.diff(u, x, 2)) == 0
    assert sp.simplify(u.subs(t, 0) - p.initial["u"]) == 0
    assert sp.simplify(u.subs(x, -1) - u.subs(x, 1)) == 0
