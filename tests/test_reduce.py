"""Invariant solutions (`liepinn.reduce`, `liepinn reduce`): every solution is checked here
again, independently of the module's own verification, in the PDE and by invariance."""

import json
import random

import pytest
import sympy as sp

import liepinn
from liepinn.cli import main
from liepinn.symmetry import Generator, ReductionError, reduce
from liepinn.symmetry._reduce import parse_generator


def pde(text, indep="x,t", dep="u", **params):
    return liepinn.PDE.from_text(text, independent=indep, dependent=dep, parameters=params or None)


def _value(expr, at):
    return complex(sp.N(expr.xreplace(at), 40))


def _points(symbols, n=3, seed=0):
    rng = random.Random(seed)
    for _ in range(n):
        yield {s: sp.Rational(rng.randint(300, 900), 997) for s in symbols}


def check_solution(p, gen, values):
    """Delta[f] = 0 and Q[f] = phi - xi^i f_i = 0, at random points (positive arguments)."""
    jet = p.jet
    residuals = []
    for e in p.equations:
        reps = {}
        for a, alpha in jet.jet_variables(e):
            f = values[jet.dependent[a]]
            for i, k in enumerate(alpha):
                if k:
                    f = sp.diff(f, jet.independent[i], k)
            reps[jet.jet(a, alpha)] = f
        residuals.append(e.xreplace(reps))
    for u, f in values.items():
        residuals.append(gen.phi[u].xreplace(values) - sum(gen.xi[x] * sp.diff(f, x) for x in jet.independent))
    symbols = set().union(*[r.free_symbols for r in residuals])
    for r in residuals:
        for at in _points(sorted(symbols, key=str)):
            scale = 1 + sum(abs(_value(t, at)) for t in sp.Add.make_args(sp.expand(r)))
            assert abs(_value(r, at)) < 1e-25 * scale, (r, at)


def check_all(red):
    assert red.solutions, red
    for s in red.solutions:
        assert s.verification.startswith(("symbolic", "numeric"))
        check_solution(red.pde, red.generator, s.values)
    for inv in red.invariants:
        assert sp.simplify(red.generator.apply(inv)) == 0


def test_heat_scaling_gives_the_source_solution():
    p = pde("u_t = u_xx")
    red = reduce(p, "x*D_x + 2*t*D_t - u*D_u")
    x, t = sp.symbols("x t")
    y = red.variables[0]
    assert sp.simplify(red.invariants[0] - x / sp.sqrt(t)) == 0
    assert len(red.reduced) == 1 and red.reduced[0].has(sp.Derivative)
    check_all(red)
    source = sp.exp(-x**2 / (4 * t)) / sp.sqrt(t)
    ratios = [sp.simplify(s.values[sp.Symbol("u")] / source) for s in red.solutions]
    assert any(r.free_symbols.isdisjoint({x, t}) and r != 0 for r in ratios), ratios
    assert y.name == "y"


def test_heat_projective_reduces_to_w_yy_and_contains_the_source_solution():
    p = pde("u_t = u_xx")
    red = reduce(p, "x*t*D_x + t^2*D_t - (x^2/4 + t/2)*u*D_u")
    W = red.functions[0]
    y = red.variables[0]
    assert sp.simplify(red.reduced[0] / W.diff(y, 2)).is_number
    check_all(red)
    x, t = sp.symbols("x t")
    (sol,) = red.solutions
    f = sol.values[sp.Symbol("u")]
    consts = [c for c in f.free_symbols if c not in (x, t)]
    assert len(consts) == 2  # the general solution of W'' = 0
    members = [f.subs({c: int(c == k) for c in consts}) for k in consts]
    ratios = [sp.simplify(m / (sp.exp(-x**2 / (4 * t)) / sp.sqrt(t))) for m in members]
    assert sorted(r.free_symbols == set() for r in ratios) == [False, True], ratios


def test_kdv_travelling_wave_is_the_sech2_soliton():
    p = pde("u_t + lambda1*u*u_x + lambda2*u_xxx = 0")
    alg = liepinn.symmetries(p)
    red = reduce(p, "v2 + c*v1", basis=list(alg))
    check_all(red)
    x, t, c, l1, l2 = sp.symbols("x t c lambda1 lambda2")
    soliton = 3 * c / l1 * sp.sech(sp.sqrt(c) * (x - c * t) / (2 * sp.sqrt(l2))) ** 2
    found = []
    for s in red.solutions:
        f = s.values[sp.Symbol("u")]
        consts = f.free_symbols - {x, t, c, l1, l2}
        f0 = f.subs({k: 0 for k in consts})
        at = {x: sp.Rational(3, 7), t: sp.Rational(1, 5), c: sp.Rational(2, 3), l1: sp.Rational(5, 4), l2: sp.Rational(1, 3)}
        found.append(abs(_value(f0 - soliton, at)) < 1e-25)
    assert any(found), red


def test_burgers_travelling_wave_and_projective_similarity():
    p = pde("u_t + u*u_x = nu*u_xx")
    check_all(reduce(p, "D_t + c*D_x"))
    red = reduce(p, "x*t*D_x + t^2*D_t + (x - t*u)*D_u")
    check_all(red)
    x, t, nu = sp.symbols("x t nu")
    # u = x/t - 2 nu/(t (C + x/t)), the rational similarity solution (Cole-Hopf of a linear phi)
    assert any(sp.simplify(s.values[sp.Symbol("u")] - x / t).free_symbols >= {nu, x} for s in red.solutions)


@pytest.mark.slow
def test_burgers_scaling_similarity_is_erf():
    p = pde("u_t + u*u_x = nu*u_xx")
    red = reduce(p, "x*D_x + 2*t*D_t - u*D_u")
    check_all(red)
    assert any(s.values[sp.Symbol("u")].has(sp.erf) for s in red.solutions)


def test_basis_combination_matches_the_written_out_field():
    p = pde("u_t = u_xx")
    basis = [Generator({"x": 1}, {}, p.jet), Generator({"t": 1}, {}, p.jet)]
    g = parse_generator("v2 + c*v1", p, basis)
    assert g == Generator({"x": "c", "t": 1}, {}, p.jet)
    assert parse_generator("∂t + c*∂x", p) == g
    assert parse_generator("d_t + c*D_x", p) == g


def test_ode_reduces_to_an_algebraic_equation():
    p = pde("u_xx = u^3", indep="x")
    red = reduce(p, "x*D_x - u*D_u")
    x = sp.Symbol("x")
    got = {sp.simplify(s.values[sp.Symbol("u")] * x) for s in red.solutions}
    assert got == {0, sp.sqrt(2), -sp.sqrt(2)}
    check_all(red)


def test_parameter_values_are_substituted():
    p = pde("u_t = nu*u_xx", nu="1/2")
    red = reduce(p, "D_t + D_x")
    check_all(red)
    assert not any(s.values[sp.Symbol("u")].has(sp.Symbol("nu")) for s in red.solutions)


@pytest.mark.parametrize(
    "generator, fragment",
    [
        ("x*D_t", "not a symmetry"),
        ("u*D_u", "no component along the independent"),
        ("v9", "v9 is not a basis generator"),
        ("v1 + D_x", "mixes"),
        ("D_z", "not a variable"),
        ("x", "names no generator"),
        ("v1*v2", "not linear"),
        ("v1 + 1", "multiplies no generator"),
        ("", "empty"),
    ],
)
def test_bad_generators(generator, fragment):
    p = pde("u_t = u_xx")
    basis = [Generator({"x": 1}, {}, p.jet), Generator({"t": 1}, {}, p.jet)]
    with pytest.raises(ReductionError if fragment in ("not a symmetry", "no component along the independent")
                       else liepinn.PDEInputError, match=fragment):
        reduce(p, generator, basis=basis)


def test_non_projectable_generator_is_refused():
    p = pde("u_xx = 0", indep="x")
    with pytest.raises(ReductionError, match="not projectable"):
        reduce(p, "u*D_x")


def test_json_and_cli(capsys):
    rc = main(["reduce", "heat", "--generator", "v4", "--json"])
    out = capsys.readouterr()
    assert rc == 0, out.err
    data = json.loads(out.out)
    assert {"reduced", "invariants", "solutions", "assumptions"} <= set(data)
    x, t, mu = sp.symbols("x t mu")
    (sol,) = data["solutions"]
    f = sp.sympify(sol["u"])
    assert sp.simplify(f.diff(t) - mu * f.diff(x, 2)) == 0
    assert sp.simplify(f / (sp.exp(-x**2 / (4 * mu * t)) / sp.sqrt(t))).free_symbols <= {sp.Symbol("C1")}


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["heat", "--generator", "v12"], "v12"),
        (["heat", "--generator", "x*D_x"], "not a symmetry"),
        (["--pde", "u_t = u_xx", "--indep", "x,t", "--dep", "u", "--generator", "D_x +"], "generator"),
        (["--pde", "u_t = u_xx", "--indep", "x,t", "--generator", "D_x"], "--dep"),
    ],
)
def test_cli_bad_input_is_one_line_exit_2(capsys, argv, fragment):
    rc = main(["reduce", *argv])
    err = capsys.readouterr().err
    assert rc == 2
    assert fragment in err and err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.slow
def test_cli_kdv_soliton(capsys):
    rc = main(["reduce", "kdv", "--generator", "v2 + c*v1", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert any("cosh" in s["u"] or "sech" in s["u"] for s in data["solutions"])


def test_logarithmic_invariants_black_scholes():
    p = pde("u_t + sigma^2*x^2*u_xx/2 + r*x*u_x - r*u = 0")
    gen = ("4*sigma^2*x*log(x)*D_x + 8*sigma^2*t*D_t + u*(4*r^2*t + 4*r*sigma^2*t - 4*r*log(x) "
           "+ sigma^4*t + 2*sigma^2*log(x))*D_u")
    red = reduce(p, gen)
    x, t = sp.symbols("x t")
    assert sp.simplify(red.invariants[0] - sp.log(x) / sp.sqrt(t)) == 0
    check_all(red)
    assert all(a != sp.true for a in red.assumptions)


def test_symbolic_exponent_solutions_hold_where_powers_are_real():
    # u_t = (u^m u_x)_x by m x d_x + 2 u d_u: u = x^(2/m) W(t), W' = (2m + 4) W^(m+1)/m^2
    p = pde("u_t = (u^m*u_x)_x")
    red = reduce(p, "m*x*D_x + 2*u*D_u")
    assert red.solutions
    for s in red.solutions:
        assert s.verification.endswith("where the bases of powers are positive") or s.verification == "symbolic"
        f = s.values[sp.Symbol("u")]
        x, t, m = sp.symbols("x t m")
        # the real branch: m = -1/2 (fast diffusion), a point where the bases are positive
        at = {m: sp.Rational(-1, 2), x: sp.Rational(3, 2), t: sp.Rational(1, 3), sp.Symbol("C1"): sp.Rational(1, 5)}
        g = f.xreplace({m: at[m]})
        r = (g.diff(t) - (g**at[m] * g.diff(x)).diff(x)).xreplace(at)
        assert abs(complex(sp.N(r, 30))) < 1e-20
