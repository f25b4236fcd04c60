"""Generalised symmetries of evolution equations: KdV's fifth-order flow, Burgers' third-order
symmetry, nothing new for a non-integrable equation; each characteristic checked here against
the linearised equations on solutions, with the PDE's own solved form (not the library's)."""

import json

import pytest
import sympy as sp

import liepinn
from liepinn.cli import main
from liepinn.symmetry import generalized_symmetries


def _pde(eqs, indep="x,t", dep="u"):
    return liepinn.PDE.from_text(eqs, independent=indep, dependent=dep)


def _linearised_on_solutions(pde, Q):
    jet = pde.jet
    out = []
    for e in pde.equations:
        total = 0
        for a, alpha in jet.jet_variables(e):
            total += sp.diff(e, jet.jet(a, alpha)) * jet.D_multi(Q.get(jet.dependent[a], 0), alpha)
        out.append(sp.simplify(pde.reduce(total)))
    return out


def _check(pde, res):
    for s in res.symmetries:
        assert s.verified and s.verify(pde)
        assert all(r == 0 for r in _linearised_on_solutions(pde, s.characteristic))


def test_kdv_fifth_order_flow():
    pde = _pde("u_t + u*u_x + u_xxx = 0")
    res = generalized_symmetries(pde, 5)
    _check(pde, res)
    assert [s.order for s in res] == [1, 1, 3, 3, 5]  # 4 point symmetries + the flow
    u, u_x, u_xx, u_xxx, u5 = sp.symbols("u u_x u_xx u_xxx u_xxxxx")
    flow = res[4].characteristic[sp.Symbol("u")]
    lead = flow.coeff(u5)
    assert sp.expand(flow / lead - (u5 + sp.Rational(5, 3) * u * u_xxx + sp.Rational(10, 3) * u_x * u_xx
                                    + sp.Rational(5, 6) * u**2 * u_x)) == 0
    # the flow itself, checked directly: a wrong coefficient is caught
    wrong = {sp.Symbol("u"): flow + u * u_xxx}
    assert _linearised_on_solutions(pde, wrong) != [0]


def test_burgers_third_order_symmetry():
    pde = _pde("u_t = u_xx - u*u_x")
    res = generalized_symmetries(pde, 3)
    _check(pde, res)
    assert len(res) == 9  # 5 point symmetries + 4 of order three
    u, u_x, u_xx, u_xxx = sp.symbols("u u_x u_xx u_xxx")
    Q = {sp.Symbol("u"): 4 * u_xxx - 6 * u * u_xx - 6 * u_x**2 + 3 * u**2 * u_x}
    assert any(s.characteristic == Q for s in res)


def test_point_symmetries_included_at_the_equation_order():
    pde = _pde("u_t = u_xx - u*u_x")
    res = generalized_symmetries(pde, 2)
    assert len(res) == liepinn.symmetries(pde).dimension == 5


def test_nothing_beyond_point_symmetries_for_a_non_integrable_equation():
    pde = _pde("u_t = u_xx + u^2")
    res = generalized_symmetries(pde, 5)
    _check(pde, res)
    assert len(res) == liepinn.symmetries(pde).dimension == 3
    assert max(s.order for s in res) == 2


def test_mkdv_fifth_order_flow():
    pde = _pde("u_t + u^2*u_x + u_xxx = 0")
    res = generalized_symmetries(pde, 5)
    _check(pde, res)
    assert sum(1 for s in res if s.order == 5) == 1


def test_heat_superposition_family():
    pde = _pde("u_t = u_xx")
    res = generalized_symmetries(pde, 1)
    _check(pde, res)
    assert len(res.families) == 1 and res.families[0].verified
    (con,) = res.families[0].constraints
    (f,) = res.families[0].functions
    x, t = sp.symbols("x t")
    assert sp.simplify(con.subs(f, sp.exp(x + t)).doit()) == 0


def test_nls_system_phase_and_translations():
    pde = _pde(["u_t + v_xx + (u^2 + v^2)*v = 0", "v_t - u_xx - (u^2 + v^2)*u = 0"], dep="u,v")
    res = generalized_symmetries(pde, 1, xt_degree=0)
    _check(pde, res)
    u, v = sp.symbols("u v")
    assert any(s.characteristic == {u: -v, v: u} or s.characteristic == {u: v, v: -u} for s in res)


def test_json_and_cli(capsys):
    rc = main(["symmetries", "--pde", "u_t + u*u_x + u_xxx = 0", "--indep", "x,t", "--dep", "u",
               "--generalized", "--order", "5", "--xt-degree", "0", "--json"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    gens = out["generalized_symmetries"]
    assert [g["order"] for g in gens] == [1, 3, 5]
    assert set(gens[0]) == {"characteristic", "order"}
    sp.sympify(gens[2]["characteristic"]["u"])
    assert main(["symmetries", "kdv", "--generalized"]) == 2
    assert main(["symmetries", "kdv", "--order", "3"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("\n") == 2


@pytest.mark.slow
def test_kdv_seventh_order_flow():
    pde = _pde("u_t + u*u_x + u_xxx = 0")
    res = generalized_symmetries(pde, 7, xt_degree=0)
    _check(pde, res)
    assert [s.order for s in res] == [1, 3, 5, 7]


def test_generalized_variant_terms_vanish_on_a_burgers_solution():
    """The `generalized` training variant: its terms D_Δ[Q](u) for Burgers' third-order
    symmetries vanish on an exact Cole–Hopf solution (float64) and not on a perturbed one."""
    import jax
    import jax.numpy as jnp

    from liepinn.losses import Generalized, Residual
    from liepinn.losses._variants import parameter_values, variant_from_name
    from liepinn.problems import load_problem

    problem = load_problem("burgers")
    variant = variant_from_name("generalized")
    assert isinstance(variant, Generalized) and variant.order == 3
    assert len(variant.characteristics(problem)) == 4  # Burgers' third-order ones, not the 5 point ones
    (nu,) = parameter_values(problem).values()
    with jax.enable_x64(True):
        loss = Generalized(normaliser="none").interior_loss(problem)
        names = [k for k in loss.term_weights() if k.startswith("sym:")]
        assert len(names) == len(variant.characteristics(problem)) >= 2

        def exact(z, eps=0.0):  # u = -2 nu phi_x / phi, phi = 1 + exp(k x + nu k^2 t)
            x, t = z[0], z[1]
            k = 3.0
            e = jnp.exp(k * x + nu * k**2 * t)
            return jnp.stack([-2 * nu * k * e / (1 + e) + eps * jnp.sin(2 * x)])

        pts = jax.random.uniform(jax.random.PRNGKey(0), (64, 2), jnp.float64, jnp.array([-1.0, 0.0]),
                                 jnp.array([1.0, 0.99]))
        on = loss.pointwise(exact, pts)
        off = loss.pointwise(lambda z: exact(z, 0.1), pts)
        for n in names:
            assert float(jnp.max(jnp.abs(on[n]))) < 1e-9, n
        assert max(float(jnp.max(jnp.abs(off[n]))) for n in names) > 1e-4
        assert float(jnp.max(jnp.abs(on["residual"]))) < 1e-9
    with pytest.raises(ValueError, match="no generalised symmetry"):
        Generalized(order=1).interior_loss(problem)
    assert Residual().name != Generalized.name
