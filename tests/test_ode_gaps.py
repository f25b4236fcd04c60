"""Linear second-order ODEs: sl(3) (dimension 8) when their solutions are found in closed form,
a warning naming the unsolved determining equation otherwise."""

import pytest
import sympy as sp

import liepinn
from liepinn.symbolic._pde import PDE
from liepinn.symmetry._ode import homogeneous_basis


def _algebra(text):
    return liepinn.symmetries(PDE.from_text(text, independent="x", dependent="u"))


@pytest.mark.parametrize("text", [
    "u_xx = u/x^4",                      # Bessel of order -1/2: x e^{+-1/x}
    "u_xx = x*u",                        # Airy
    "x*u_xx + (2-x)*u_x - u = 0",        # Kummer: 1/x, e^x/x
])
def test_linear_ode_is_sl3(text):
    alg = _algebra(text)
    assert alg.dimension == 8 and not alg.infinite and not alg.warnings
    assert set(alg.verification) == {"symbolic"}


def test_bessel_half_order_is_elementary():
    x = sp.Symbol("x")
    basis = homogeneous_basis([-1 / x**4, sp.Integer(0), sp.Integer(1)], x)
    assert not any(b.has(sp.besselj, sp.bessely, sp.I) for b in basis)
    for b in basis:
        assert sp.simplify(sp.diff(b, x, 2) - b / x**4) == 0


def test_hermite_by_reduction_of_order():
    """u'' - 2x u' + 4u = 0: H_2 from the polynomial ansatz, the second solution with erfi."""
    x = sp.Symbol("x")
    basis = homogeneous_basis([sp.Integer(4), -2 * x, sp.Integer(1)], x)
    assert basis[0] == x**2 - sp.Rational(1, 2) and basis[1].has(sp.erfi)
    for b in basis:
        assert sp.simplify(sp.diff(b, x, 2) - 2 * x * sp.diff(b, x) + 4 * b) == 0


@pytest.mark.slow
def test_hermite_is_sl3():
    alg = _algebra("u_xx - 2*x*u_x + 4*u = 0")
    assert alg.dimension == 8 and set(alg.verification) == {"symbolic"}


@pytest.mark.slow
def test_sech2_potential_is_sl3():
    """u'' + 2 sech^2(x) u = 0: rational in xi = e^{2x}, solved there (tanh x, x tanh x - 1)."""
    alg = _algebra("u_xx + 2*sech(x)^2*u = 0")
    assert alg.dimension == 8 and set(alg.verification) == {"symbolic"}


def test_sech2_basis():
    x = sp.Symbol("x")
    basis = homogeneous_basis([2 * sp.sech(x) ** 2, sp.Integer(0), sp.Integer(1)], x)
    assert len(basis) == 2 and sp.simplify((basis[0] - sp.tanh(x)).rewrite(sp.exp)) == 0


def test_unsolved_ode_is_named():
    """u'' = (x^3 + 1) u has no Liouvillian solutions: the families stay, with a warning naming
    each unsolved determining equation (never a wrong finite dimension)."""
    alg = _algebra("u_xx = (x^3 + 1)*u")
    assert len(alg.infinite) == 2 and len(alg.warnings) == 2
    assert alg.dimension == 1                       # u d_u, the rest in the families
    for warning in alg.warnings:
        assert "were left unsolved" in warning and "Derivative(F" in warning
    assert any("(-x**3 - 1)*F2(x) + Derivative(F2(x), (x, 2)) = 0" in w for w in alg.warnings)
