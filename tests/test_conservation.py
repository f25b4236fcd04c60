"""Conservation laws by the direct method: counts against the literature, each law checked here
independently of the library's own verification (D_t T + D_i X^i - Λ·Δ ≡ 0 on the jet space,
and E(Λ·Δ) ≡ 0)."""

import dataclasses
import json

import pytest
import sympy as sp

import liepinn
from liepinn.cli import main
from liepinn.symbolic._homotopy import divergence, euler_operator, homotopy
from liepinn.symbolic._jet import JetSpace
from liepinn.symmetry import conservation_laws


def _pde(eqs, indep="x,t", dep="u", **params):
    return liepinn.PDE.from_text(eqs, independent=indep, dependent=dep, parameters=params or None)


def _check(pde, result):
    """Every law: the characteristic-form identity and the Euler operator, by hand."""
    jet = pde.jet
    keys = [str(k) for k in result.laws[0].multiplier] if result.laws else []
    for law in result.laws:
        assert law.verified and law.verify(pde)
        lam = [law.multiplier.get(k, 0) for k in keys]
        F = sp.expand(sum(l * e for l, e in zip(lam, pde.equations)))
        comps = {result.time: law.density, **law.fluxes}
        assert sp.simplify(divergence(comps, jet) - F) == 0
        for u in jet.dependent:
            assert sp.simplify(euler_operator(F, jet, u)) == 0
        assert law.density != 0


def _multipliers(result, key="u"):
    return [sp.expand(law.multiplier[key]) for law in result.laws]


def _in_span(exprs, target):
    """target is a constant-coefficient combination of exprs (solved by sympy)."""
    cs = sp.symbols(f"c0:{len(exprs)}")
    res = sp.expand(target - sum(c * e for c, e in zip(cs, exprs)))
    variables = sorted(res.free_symbols - set(cs), key=str)
    eqs = sp.Poly(res, *variables).coeffs() if variables else [res]
    return bool(sp.solve(eqs, cs, dict=True)) or all(e == 0 for e in eqs)


def test_kdv_mass_momentum_energy_galilean():
    pde = _pde("u_t + u*u_x + u_xxx = 0")
    res = conservation_laws(pde, order=2)
    assert len(res) == 4
    _check(pde, res)
    x, t, u, u_xx = sp.symbols("x t u u_xx")
    lams = _multipliers(res)
    for target in (sp.Integer(1), u, u_xx + u**2 / 2, x - t * u):
        assert _in_span(lams, target), target
    # the Galilean law: density depends on x and t explicitly
    assert any({x, t} <= law.density.free_symbols for law in res.laws)
    # a non-multiplier is not in the span, and a wrong density fails the check
    assert not _in_span(lams, u**2)
    law = res.laws[0]
    wrong = dataclasses.replace(law, density=law.density + u**2)
    assert not wrong.verify(pde)


def test_kdv_order_zero_and_xt_degree():
    pde = _pde("u_t + u*u_x + u_xxx = 0")
    assert len(conservation_laws(pde, order=0)) == 3          # 1, u, x - t u
    assert len(conservation_laws(pde, order=2, xt_degree=0)) == 3  # Galilean law left out


@pytest.mark.slow
def test_kdv_order_four_finds_the_fifth_law():
    pde = _pde("u_t + u*u_x + u_xxx = 0")
    res = conservation_laws(pde, order=4)
    assert len(res) == 5
    _check(pde, res)


def test_burgers_has_only_mass():
    pde = _pde("u_t + u*u_x = nu*u_xx")
    res = conservation_laws(pde, order=2)
    assert _multipliers(res) == [1]
    _check(pde, res)


def test_mkdv_four_laws():
    pde = _pde("u_t + 6*u^2*u_x + u_xxx = 0")
    res = conservation_laws(pde, order=2)
    assert len(res) == 4
    _check(pde, res)
    x, t, u, u_xx = sp.symbols("x t u u_xx")
    lams = _multipliers(res)
    assert _in_span(lams, u_xx + 2 * u**3)


def test_heat_family_is_the_adjoint_equation_and_polynomial_laws():
    pde = _pde("u_t = u_xx")
    res = conservation_laws(pde, order=1)
    assert len(res.families) == 1
    assert [law.multiplier["u"] for law in res.laws] == [1]  # the family's constant member
    fam = res.families[0]
    (f,) = fam.functions
    x, t = sp.symbols("x t")
    (con,) = fam.constraints
    # adjoint heat equation: beta = exp(x - t) solves it, exp(x + t) does not
    assert sp.simplify(con.subs(f, sp.exp(x - t)).doit()) == 0
    assert sp.simplify(con.subs(f, sp.exp(x + t)).doit()) != 0
    poly = conservation_laws(pde, order=1, xt_degree=2)
    assert len(poly) == 3  # 1, x, x^2 - 2t
    _check(pde, poly)
    assert _in_span(_multipliers(poly), x**2 - 2 * t)


def test_heat_2d_polynomial_multipliers():
    pde = _pde("u_t = u_xx + u_yy", indep="x,y,t")
    res = conservation_laws(pde, order=1, xt_degree=2)
    assert len(res) == 6  # 1, x, y, x y, x^2 - 2t, y^2 - 2t
    _check(pde, res)
    assert set(res.laws[0].fluxes) == {sp.Symbol("x"), sp.Symbol("y")}
    x, y, t = sp.symbols("x y t")
    assert _in_span(_multipliers(res), x * y) and not _in_span(_multipliers(res), x**2)


def test_nonlinear_diffusion_generic_exponent():
    pde = _pde("u_t = (u^m*u_x)_x")
    res = conservation_laws(pde, order=1)
    x = sp.Symbol("x")
    assert len(res) == 2 and _in_span(_multipliers(res), x)
    _check(pde, res)
    m = sp.Symbol("m")
    assert sp.Ne(m + 1, 0) in res.assumptions  # the flux of x divides by m + 1


def test_scale_invariant_flux_needs_the_shifted_homotopy():
    # the flux -u_x/u is invariant under u -> lambda u: the homotopy about u = 0 misses it
    pde = _pde("u_t = (u_x/u)_x")
    res = conservation_laws(pde, order=1)
    assert len(res) == 2
    _check(pde, res)
    assert any(law.density.has(sp.Symbol("x")) and law.fluxes[sp.Symbol("x")].has(sp.log) for law in res.laws)


def test_nls_as_a_real_system():
    pde = _pde(["u_t + v_xx + (u^2 + v^2)*v = 0", "v_t - u_xx - (u^2 + v^2)*u = 0"], dep="u,v")
    res = conservation_laws(pde, order=2)
    assert len(res) == 4  # charge, momentum, energy, Galilean
    _check(pde, res)
    u, v = sp.symbols("u v")
    assert any(law.multiplier == {"u": u, "v": v} for law in res.laws)


def test_wave_equation_density_with_time_derivatives():
    pde = _pde("u_tt = u_xx")
    res = conservation_laws(pde, order=1, xt_degree=0, jet_degree=1)
    assert len(res) == 3  # 1, u_t (energy), u_x (momentum)
    _check(pde, res)
    u_t = sp.Symbol("u_t")
    assert any(u_t in law.density.free_symbols for law in res.laws)


def test_sine_gordon_light_cone():
    pde = _pde("u_xt = sin(u)")
    res = conservation_laws(pde, order=1)
    assert len(res) == 3  # u_x, u_t and the boost t u_t - x u_x
    _check(pde, res)


def test_parameter_value_is_substituted():
    pde = _pde("u_t + lam*u*u_x + u_xxx = 0", lam="6")
    res = conservation_laws(pde, order=2, xt_degree=0)
    assert len(res) == 3
    _check(pde.substitute_parameters(), res)
    assert all(sp.expand(law.residual(pde)) == 0 for law in res.laws)


def test_homotopy_inverts_a_divergence():
    jet = JetSpace("x,y,t", "u")
    u, u_x, u_y = sp.symbols("u u_x u_y")
    x = sp.Symbol("x")
    F = divergence({sp.Symbol("t"): u**2 * x, x: u * u_y, sp.Symbol("y"): u_x**2 + sp.sin(u)}, jet)
    phi = homotopy(F, jet)
    assert sp.simplify(divergence(phi, jet) - F) == 0


def test_bad_arguments():
    pde = _pde("u_t = u_xx")
    with pytest.raises(ValueError, match="order"):
        conservation_laws(pde, order=-1)
    with pytest.raises(TypeError, match="PDE"):
        conservation_laws("u_t = u_xx")


def test_json_schema_and_cli(capsys):
    rc = main(["conservation-laws", "--pde", "u_t + u*u_x + u_xxx = 0", "--indep", "x,t",
               "--dep", "u", "--order", "2", "--json"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["conservation_laws"]) == 4 and out["assumptions"] == []
    law = out["conservation_laws"][0]
    assert set(law) == {"multiplier", "density", "fluxes"}
    sp.sympify(law["multiplier"]["u"]), sp.sympify(law["density"]), sp.sympify(law["fluxes"]["x"])
    assert main(["conservation-laws", "--pde", "u_t = u_xx +", "--indep", "x,t", "--dep", "u"]) == 2
    assert main(["conservation-laws", "--pde", "u_t = u_xx", "--indep", "x,t", "--dep", "u",
                 "--order", "-1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 2 and "Traceback" not in err
    assert main(["conservation-laws", "burgers", "--order", "1"]) == 0
    assert "u**2" in capsys.readouterr().out


def test_noether_correspondence_for_a_variational_equation():
    pde = _pde("u_tt - u_xx + u^3 = 0")
    res = conservation_laws(pde, order=1)
    assert len(res) == 3 and res.lagrangian is not None
    assert sp.simplify(euler_operator(res.lagrangian, pde.jet, "u") - pde.equations[0]) == 0
    # every multiplier is the characteristic of a symmetry (translations, the boost)
    assert sorted(k for k, _ in res.noether) == [0, 1, 2]
    assert res.to_json()["noether"][0]["law"] == 1
    # KdV in u is not variational
    assert conservation_laws(_pde("u_t + u*u_x + u_xxx = 0"), order=0).lagrangian is None


def test_zakharov_kuznetsov_family_without_constraints():
    """Zakharov–Kuznetsov u_t + u u_x + u_xxx + u_xyy = 0 (in no pdes/ file): mass, the
    Galilean law, u²/2, and the multipliers f(y) for every f (no constraint left, so the
    printout says 'for arbitrary', not an empty 'with')."""
    pde = liepinn.PDE.from_text("u_t + u*u_x + u_xxx + u_xyy = 0", independent="x,y,t", dependent="u")
    res = conservation_laws(pde, order=1)
    mults = {sp.sstr(next(iter(law.multiplier.values()))) for law in res.laws}
    assert {"1", "u"} <= mults and len(res.laws) == 3
    assert all(law.verified for law in res.laws)
    (fam,) = res.families
    assert not fam.constraints and [f.args for f in fam.functions] == [(sp.Symbol("y"),)]
    text = str(res)
    assert "for arbitrary" in text and " with \n" not in text and not text.rstrip().endswith("with")


def test_hodograph_wave_family_is_finite_at_order_one():
    r"""u_tt = (u + u²)_xx, i.e. u_tt = (c² u_x)_x with c² = 1 + 2u, is hodograph-linearisable:
    as u_t = w_x, w_t = (u + u²)_x it has the infinite family of laws with densities H(u, w),
    H_uu = (1 + 2u) H_ww, but w = ∂_x⁻¹ u_t is nonlocal, so for the scalar equation that family
    is nonlocal. At multiplier order 1 the result is 1, x, t, xt and a family F(u, u_x, u_t)
    with three linear constraint PDEs. Those constraints are right, and their solution space is
    finite: integrating the second in u_t gives F = -C(u, u_x) u_t/(u_t² - c²u_x²)² + D(u, u_x),
    the first then gives D_{u_x} = 0 and C = E(u) u_x, the third E' = D' = 0. So
    F = D + E Λ with Λ = u_x u_t/(u_t² - c² u_x²)²: the constant member repeats law 4, and Λ is
    the one new local law at this order, the hodograph image T = -t_w, X = x_w of a law of the
    linear hodograph system (singular on the characteristics u_t = ±c u_x):
    T = u_x/(u_t² - c²u_x²), X = u_t/(u_t² - c²u_x²), with multiplier -2Λ."""
    from liepinn.symmetry._conservation import ConservationLaw

    pde = _pde("u_tt = (u + u^2)_xx")
    res = conservation_laws(pde, order=1)
    x, t = sp.symbols("x t")
    assert {sp.sstr(m) for m in _multipliers(res)} == {"1", "x", "t", "t*x"}
    _check(pde, res)
    (fam,) = res.families
    (f,) = fam.functions
    jet = pde.jet
    u, ux, ut = jet.jet(0, (0, 0)), jet.jet(0, (1, 0)), jet.jet(0, (0, 1))
    assert set(f.args) == {u, ux, ut} and len(fam.constraints) == 3
    c2 = 1 + 2 * u
    lam = ux * ut / (ut**2 - c2 * ux**2) ** 2

    def solves(member):
        return all(sp.simplify(con.subs(f, member).doit()) == 0 for con in fam.constraints)

    assert solves(lam) and solves(sp.Integer(3) + 2 * lam)
    assert not solves(ux) and not solves(u * lam) and not solves(lam**2)
    # the new member gives a verified law, with its density and flux found above
    law = ConservationLaw(multiplier={"u": -2 * lam}, density=ux / (ut**2 - c2 * ux**2),
                          fluxes={x: ut / (ut**2 - c2 * ux**2)}, time=t)
    assert law.verify(pde)
    assert sp.simplify(euler_operator(sp.expand(-2 * lam * pde.equations[0]), jet, jet.dependent[0])) == 0
