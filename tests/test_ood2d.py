"""Out-of-distribution errors and moved ICs in two space dimensions: the 2-D heat family
(`SineSeriesND`) moved by u -> u + c and u -> lambda u, each moved test IC against its own 2-D
reference, checked with an oracle that knows the exact moved solutions."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from liepinn.losses._group import Scaling, Shift, Translation, orbit_actions
from liepinn.runs import DeepONetNetwork, Recipe, RunSpec, assemble
from liepinn.runs._assemble import TEST_IC_KEY, References, ic_family
from liepinn.runs._group import expression_values, moved_expression, moved_values, ood_cases, ood_errors
from liepinn.runs._networks import sensor_points
from test_ic_family2d import heat2d_family

NU = 0.2  # heat2d_family: u_t = nu (u_xx + u_yy) on the 2 pi-periodic square, t in [0, 1/2]


def _solution(amp, ell, phase, pts):
    """The exact heat solution of one family member at points (N, 3) = (x, y, t)."""
    xy, t = pts[:, :2], pts[:, 2:3]
    return np.sum(amp * np.exp(-NU * np.sum(ell**2, axis=-1) * t) * np.sin(xy @ ell.T + phase), axis=1)


class _MovedOracle:
    """Stands in for a trained DeepONet: answers the exact solution of whichever moved test IC
    has these sensor values (after `remap`, a wrong answer on purpose)."""

    def __init__(self, cases, coefs, sensors, problem, fam, remap=None):
        self.cases, self.coefs, self.remap = cases, coefs, remap or {}
        self.sensors = [expression_values(problem, moved_expression(problem, o, e, fam.expression(
            *(np.asarray(c)[j] for c in coefs))), sensors) for j, (o, e) in enumerate(cases)]

    def __call__(self, pts, branch):
        pts, branch = np.asarray(pts, float), np.asarray(branch, float)
        (j,) = [i for i, s in enumerate(self.sensors) if np.allclose(s, branch, atol=1e-5)]
        j = self.remap.get(j, j)
        orbit, e = self.cases[j]
        u = _solution(*(np.asarray(c)[j] for c in self.coefs), pts)
        u = u + e if isinstance(orbit, Shift) else e * u
        return u[:, None]


def test_ood_errors_of_a_2d_family_are_against_each_moved_ics_reference():
    p = heat2d_family()
    recipe = Recipe(width=8, depth=2, n_collocation=64, steps=3, second_phase=None, log_every=3)
    spec = RunSpec(problem=p.name, recipe=recipe, constraints="soft", n_ics=2, n_test_ics=2, n_initial=16,
                   network=DeepONetNetwork(sensors=16, n_basis=4, harmonics=2), eval_nx=64, eval_nt=3)
    asm = assemble(p, spec)
    cases = ood_cases(p, 2)
    assert [type(o) for o, _ in cases] == [Shift, Scaling]
    fam, coefs = ic_family(p, 2, TEST_IC_KEY)
    sensors = sensor_points(p, 16)
    refs = References(None)
    errors, moves = ood_errors(asm, lambda k: _MovedOracle(cases, coefs, sensors, p, fam), 1, refs)
    assert [m.split()[0] for m in moves] == ["shift", "scaling"]
    assert max(errors[0]) < 1e-6  # the 2-D Fourier reference of a plane-wave sum is exact
    wrong, _ = ood_errors(asm, lambda k: _MovedOracle(cases, coefs, sensors, p, fam, remap={0: 1, 1: 0}), 1, refs)
    assert min(wrong[0]) > 0.1


def test_moved_ics_in_2d():
    """u0 moved by u -> lambda u, u -> u + c and y -> y + eps, as values and as expressions."""
    p = heat2d_family()
    x, y = sp.symbols("x y")
    u0 = sp.sin(x + 2 * y)

    def same(a, b):
        f = sp.lambdify((x, y), a - b, "numpy")
        return np.allclose(f(np.array([0.3, 1.1, 4.0]), np.array([0.7, 2.0, 5.5])), 0.0, atol=1e-14)

    assert same(moved_expression(p, Scaling(), 2.5, u0), 2.5 * u0)
    assert same(moved_expression(p, Shift(), -0.5, u0), u0 - 0.5)
    assert same(moved_expression(p, Translation("y", range=(0, 1)), 0.5, u0), sp.sin(x + 2 * y - 1))
    assert not same(moved_expression(p, Translation("y", range=(0, 1)), 0.5, u0), sp.sin(x + 2 * y - 0.5))
    pts = np.random.default_rng(0).uniform(0, 2 * np.pi, (20, 2))
    (_, shift_y, _), (_, scale, _) = orbit_actions(p, (Translation("y", range=(0, 1)), Scaling()))

    def values(z):
        return np.sin(z[:, 0] + 2 * z[:, 1])

    np.testing.assert_allclose(moved_values(p, scale, 2.5, values, pts), 2.5 * values(pts), atol=1e-12)
    np.testing.assert_allclose(moved_values(p, shift_y, 0.5, values, pts), np.sin(pts[:, 0] + 2 * pts[:, 1] - 1),
                               atol=1e-12)
    with pytest.raises(ValueError, match="points with 1 space coordinates .* has 2 \\(x, y\\)"):
        moved_values(p, scale, 2.5, values, pts[:, 0])
