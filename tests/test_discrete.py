"""Discrete symmetries: signed permutations of the variables tested against the PDE."""

import pytest
import sympy as sp

from liepinn import PDE
from liepinn.symmetry import discrete_symmetries
from liepinn.symmetry._discrete import leaves_invariant
from liepinn.symmetry._transform import FiniteTransformation


def _labels(eq, indep="x,t", dep="u", **kw):
    return {g.label for g in discrete_symmetries(PDE.from_text(eq, independent=indep, dependent=dep), **kw)}


def test_heat():
    assert _labels("u_t = mu*u_xx") == {"x -> -x", "u -> -u", "(x, u) -> (-x, -u)"}


def test_burgers_only_the_odd_map():
    assert _labels("u_t + u*u_x = nu*u_xx") == {"(x, u) -> (-x, -u)"}


def test_kdv_space_time_reflection():
    assert _labels("u_t + 6*u*u_x + u_xxx = 0") == {"(x, t) -> (-x, -t)"}


def test_wave_reflections_and_exchange():
    found = _labels("u_tt = u_xx")
    assert {"x -> -x", "t -> -t", "u -> -u", "(x, t) -> (t, x)"} <= found
    assert len(found) == 15  # the whole group of 16 signed permutations, identity left out


def test_heat2d_exchange_and_reflections():
    found = _labels("u_t = u_xx + u_yy", indep="x,y,t")
    assert {"x -> -x", "y -> -y", "u -> -u", "(x, y) -> (y, x)"} <= found
    assert not any("t" in lab.split("->")[1] and "t" in lab.split("->")[0] and "-t" in lab for lab in found)
    assert len(found) == 15  # dihedral group of the square (8) times u -> +-u, less the identity


def test_system_exchange_of_dependent_variables():
    pde = PDE.from_text(["u_t = -v_xx + (u**2+v**2)*v", "v_t = u_xx - (u**2+v**2)*u"],
                        independent="x,t", dependent="u,v")
    labels = {g.label for g in discrete_symmetries(pde)}
    assert "(u, v) -> (-v, u)" in labels and "x -> -x" in labels
    assert "u -> -u" not in labels


def test_parameter_values_are_kept_fixed():
    # u_t = a u_x + u_xx: x -> -x needs a = 0, which a generic a is not
    assert "x -> -x" not in _labels("u_t = a*u_x + u_xx")
    pde = PDE.from_text("u_t = a*u_x + u_xx", independent="x,t", dependent="u", parameters={"a": 0})
    assert "x -> -x" in {g.label for g in discrete_symmetries(pde)}


def test_candidates_generate_a_group():
    pde = PDE.from_text("u_t = u_xx", independent="x,t", dependent="u")
    x, u = sp.symbols("x u")
    g = FiniteTransformation({x: -x, u: -u}, pde.jet, (), "odd")
    out = discrete_symmetries(pde, candidates=[g])
    assert [h.label for h in out] == ["(x, u) -> (-x, -u)"] and out[0].parameters == ()
    refl = FiniteTransformation({x: -x}, pde.jet)
    flip = FiniteTransformation({u: -u}, pde.jet)
    assert len(discrete_symmetries(pde, candidates=[refl, flip])) == 3


def test_jet_images_pick_up_signs_and_permutation():
    pde = PDE.from_text("u_tt = u_xx", independent="x,t", dependent="u")
    x, t, u = sp.symbols("x t u")
    jet = pde.jet
    swap = FiniteTransformation({x: t, t: -x, u: -u}, jet)
    imgs = swap.prolong(2)
    # u~(x~, t~) = -u(-t~, x~): u~_x~ = -u_t, u~_t~ = u_x, u~_x~t~ = u_xt, u~_t~t~ = -u_xx
    assert imgs[jet.jet(0, (1, 0))] == -jet.jet(0, (0, 1))
    assert imgs[jet.jet(0, (1, 1))] == jet.jet(0, (1, 1))
    assert imgs[jet.jet(0, (0, 2))] == -jet.jet(0, (2, 0))
    assert leaves_invariant(pde, swap)


def test_bad_candidates_are_refused():
    pde = PDE.from_text("u_t = u_xx", independent="x,t", dependent="u")
    x = sp.Symbol("x")
    with pytest.raises(ValueError, match="group parameters"):
        discrete_symmetries(pde, candidates=[FiniteTransformation({x: x + sp.Symbol("e")}, pde.jet, ["e"])])
    with pytest.raises(TypeError, match="FiniteTransformation"):
        discrete_symmetries(pde, candidates=["x -> -x"])
    with pytest.raises(ValueError, match="more than"):
        discrete_symmetries(pde, candidates=[FiniteTransformation({x: x + 1}, pde.jet)])
