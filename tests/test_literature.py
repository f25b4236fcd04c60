"""Symmetry algebras of equations outside the catalogue, against the literature.

Sources: Olver, "Applications of Lie Groups to Differential Equations" (Boussinesq, heat and
wave equations, second-order ODEs: sl(3) for every linear u'' = f(x) u); Ibragimov's CRC
Handbook vol. 1-2 (Tzitzeica, sinh-Gordon, Harry Dym, Thomas, Fokker-Planck, nonlinear
diffusion u^(-4/3), minimal surface); Bluman & Anco (Emden-Fowler, Ermakov-Pinney).

For each equation: every computed generator passed the symbolic invariance check, the finite
part has the literature dimension (modulo superposition where the equation is linear), the
infinite part has the expected number of families, and the literature generators given lie
in the span of the computed basis (rank at random points).
"""

import functools

import pytest
import sympy as sp

from liepinn.symbolic._pde import PDE
from liepinn.symmetry import Generator, symmetries
from liepinn.symmetry._algebra import numeric_rank

# name: (equations, independent, dependent, finite dimension, superposition, number of
#        infinite families, literature generators as (xi, phi) strings)
CASES = {
    "airy": (
        "u_xx = x*u", "x", "u", 8, False, 0,
        [({}, {"u": "airyai(x)"}), ({}, {"u": "airybi(x)"}), ({}, {"u": "u"}),
         ({"x": "u*airyai(x)"}, {"u": "u**2*airyaiprime(x)"}),
         ({"x": "airyai(x)**2"}, {"u": "u*airyai(x)*airyaiprime(x)"}),
         ({"x": "airyai(x)*airybi(x)"}, {"u": "u*(airyai(x)*airybiprime(x) + airyaiprime(x)*airybi(x))/2"}),
         ({"x": "airybi(x)**2"}, {"u": "u*airybi(x)*airybiprime(x)"})],
    ),
    "euler_ode": (
        "u_xx + u/x**2 = 0", "x", "u", 8, False, 0,
        [({"x": "x"}, {}), ({}, {"u": "u"}),
         ({"x": "x*cos(sqrt(3)*log(x))"}, {"u": "u*(cos(sqrt(3)*log(x)) - sqrt(3)*sin(sqrt(3)*log(x)))/2"})],
    ),
    "ermakov_pinney": (
        "u_xx = u**(-3)", "x", "u", 3, False, 0,
        [({"x": "1"}, {}), ({"x": "2*x"}, {"u": "u"}), ({"x": "x**2"}, {"u": "x*u"})],
    ),
    "emden_fowler_projective": (
        # u'' = x^a u^n with a = -(n + 3) admits x^2 d/dx + x u d/du besides the scaling
        "u_xx = x**(-8)*u**5", "x", "u", 2, False, 0,
        [({"x": "x**2"}, {"u": "x*u"})],
    ),
    "boussinesq": (
        "u_tt + u*u_xx + u_x**2 + u_xxxx = 0", "x,t", "u", 3, False, 0,
        [({"x": "1"}, {}), ({"t": "1"}, {}), ({"x": "x", "t": "2*t"}, {"u": "-2*u"})],
    ),
    "kdv_burgers_ab": (
        "u_t + u*u_x = a*u_xx + b*u_xxx", "x,t", "u", 3, False, 0,
        [({"x": "t"}, {"u": "1"})],
    ),
    "tzitzeica": (
        "u_xt = exp(u) - exp(-2*u)", "x,t", "u", 3, False, 0,
        [({"x": "x", "t": "-t"}, {})],
    ),
    "sinh_gordon": (
        "u_xt = sinh(u)", "x,t", "u", 3, False, 0,
        [({"x": "x", "t": "-t"}, {})],
    ),
    "hunter_saxton": (
        # plus the family f(t) d/dx + f'(t) d/du
        "u_xt + u*u_xx + u_x**2/2 = 0", "x,t", "u", 4, False, 1,
        [({"t": "1"}, {}), ({"x": "x"}, {"u": "u"}), ({"t": "t"}, {"u": "-u"}),
         ({"x": "2*t*x", "t": "t**2"}, {"u": "2*x"})],
    ),
    "harry_dym": (
        "u_t = u**3*u_xxx", "x,t", "u", 5, False, 0,
        [({"x": "x**2"}, {"u": "2*x*u"}), ({"t": "3*t"}, {"u": "-u"})],
    ),
    "fast_diffusion": (
        "u_t = (u**(-4/3)*u_x)_x", "x,t", "u", 5, False, 0,
        [({"x": "x**2"}, {"u": "-3*x*u"})],
    ),
    "fokker_planck": (
        "u_t = u_xx + x*u_x + u", "x,t", "u", 6, True, 0,
        [({"t": "1"}, {}), ({}, {"u": "u"})],
    ),
    "thomas": (
        # linearisable (w = exp(c u)): the superposition of w appears as an infinite family
        "u_xt + a*u_x + b*u_t + c*u_x*u_t = 0", "x,t", "u", 4, False, 1,
        [({"x": "1"}, {}), ({"t": "1"}, {}), ({}, {"u": "1"})],
    ),
    "wave_2d": (
        "u_tt = u_xx + u_yy", "x,y,t", "u", 11, True, 0,
        [({"x": "t", "t": "x"}, {}), ({"x": "y", "y": "-x"}, {}),
         ({"x": "2*x*t", "y": "2*y*t", "t": "x**2 + y**2 + t**2"}, {"u": "-t*u"})],
    ),
    "minimal_surface": (
        "(1 + u_y**2)*u_xx - 2*u_x*u_y*u_xy + (1 + u_x**2)*u_yy = 0", "x,y", "u", 7, False, 0,
        [({"x": "u"}, {"u": "-x"}), ({"y": "u"}, {"u": "-y"})],
    ),
    "dispersionless_kp": (
        # one scaling and three families of functions of t
        "u_xt - u_x**2 - u*u_xx = u_yy", "x,y,t", "u", 1, False, 3,
        [],
    ),
    # u'' + p u' + q u = 0: xi = exp(int p) w1 w2 (w solutions of the normal form),
    # phi = u (xi' - p xi)/2
    "bessel_0": (
        "x**2*u_xx + x*u_x + x**2*u = 0", "x", "u", 8, False, 0,
        [({}, {"u": "besselj(0, x)"}), ({"x": "x*besselj(0, x)*bessely(0, x)"},
         {"u": "u*x*(besselj(0, x)*bessely(0, x)).diff(x)/2"})],
    ),
    "bessel_1_sqrt": (
        "u_xx + u/x = 0", "x", "u", 8, False, 0,
        [({}, {"u": "sqrt(x)*besselj(1, 2*sqrt(x))"}), ({}, {"u": "u"})],
    ),
}
SLOW_CASES = {
    "legendre_1": (
        # solutions x and x*atanh(x) - 1 (dsolve: through the normal form)
        "(1 - x**2)*u_xx - 2*x*u_x + 2*u = 0", "x", "u", 8, False, 0,
        [({}, {"u": "x"}), ({}, {"u": "x*atanh(x) - 1"}), ({}, {"u": "u"})],
    ),
    "bessel_n": ("x**2*u_xx + x*u_x + (x**2 - n**2)*u = 0", "x", "u", 8, False, 0,
                 [({}, {"u": "u"})]),
}


@functools.lru_cache(maxsize=None)
def _computed(name):
    eqs, ind, dep, *_ = {**CASES, **SLOW_CASES}[name]
    pde = PDE.from_text(eqs.split(";"), independent=ind, dependent=dep)
    return pde, symmetries(pde)


def _gen(pde, g):
    ns = {s.name: s for s in list(pde.jet.independent) + list(pde.jet.dependent) + list(pde.parameters)}
    xi, phi = ({k: sp.sympify(v, locals=ns) for k, v in d.items()} for d in g)
    return Generator(xi, phi, pde.jet)


def _check(name):
    _, _, _, dim, sup, n_inf, lit = {**CASES, **SLOW_CASES}[name]
    pde, alg = _computed(name)
    assert not alg.warnings, alg.warnings
    assert all(v == "symbolic" for v in alg.verification), alg.verification
    assert len(alg.basis) == dim, [str(g) for g in alg.basis]
    assert (alg.superposition is not None) == sup
    assert len(alg.infinite) == n_inf
    gens = [_gen(pde, g) for g in lit]
    for g in gens:
        assert g.verify(pde), f"literature generator {g} is not a symmetry"
    if gens:
        params = list(pde.parameters)
        r = numeric_rank(list(alg.basis), params, modulo_superposition=sup)
        assert numeric_rank(list(alg.basis) + gens, params, modulo_superposition=sup) == r


@pytest.mark.parametrize("name", sorted(CASES))
def test_literature_algebra(name):
    _check(name)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SLOW_CASES))
def test_literature_algebra_slow(name):
    _check(name)
