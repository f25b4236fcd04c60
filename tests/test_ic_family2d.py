"""Families of initial conditions in two space dimensions: `SineSeriesND` (plane waves on a
periodic box), its members' references, and the IC-conditioned DeepONet path with sensors on a
2-D grid (assembly, a few steps, evaluation against the 2-D diffrax references)."""

import numpy as np
import pytest
import sympy as sp

from liepinn import PDE, load_entry
from liepinn.problems import Periodic, Problem, SineSeriesND

L = 2 * sp.pi


def family(**kw):
    return SineSeriesND(lengths=(L, L), lo=(0, 0), terms=3, wavenumbers=(1, 2), **kw)


def test_members_are_what_the_coefficients_say():
    fam = family()
    amp, ell, phase = fam.sample_coefficients(3, 4)
    assert amp.shape == phase.shape == (4, 3) and ell.shape == (4, 3, 2)
    assert set(np.abs(ell).ravel()) <= {1, 2} and np.all(ell[..., 0] > 0)
    rng = np.random.default_rng(0)
    pts = rng.uniform(0, 2 * np.pi, (50, 2))
    vals = fam.evaluate((amp, ell, phase), pts)
    assert vals.shape == (4, 50)
    x, y = sp.symbols("x y")
    for j, expr in enumerate(fam.sample(3, 4)):
        f = sp.lambdify((x, y), expr, "numpy")
        np.testing.assert_allclose(f(pts[:, 0], pts[:, 1]), vals[j], atol=1e-12)
        np.testing.assert_allclose(f(pts[:, 0] + 2 * np.pi, pts[:, 1] - 2 * np.pi), vals[j], atol=1e-10)
    assert fam.describe()["family"] == "SineSeriesND"
    with pytest.raises(ValueError, match="one entry per variable"):
        SineSeriesND(lengths=(1,), lo=(0, 0))
    with pytest.raises(ValueError, match="wavenumbers"):
        SineSeriesND(lengths=(1, 1), wavenumbers=(0,))
    with pytest.raises(ValueError, match="shape"):
        fam.evaluate((amp, ell, phase), pts[:, 0])


def heat2d_family():
    pde = PDE.from_text("u_t = nu*(u_xx + u_yy)", independent="x,y,t", dependent="u")
    return Problem("heat2d_waves", pde, {"x": (0, L), "y": (0, L), "t": (0, sp.Rational(1, 2))},
                   boundary=Periodic(), parameters={"nu": sp.Rational(1, 5)}, initial_family=family())


def test_a_member_reference_is_its_exact_solution():
    """Each plane wave of heat decays as exp(-nu |l|^2 t) on the 2 pi-periodic box."""
    from liepinn.runs._assemble import References

    p = heat2d_family()
    fam = p.initial_family
    amp, ell, phase = fam.sample_coefficients(5, 1)
    x, t, u = References(None).get(p, 8, 3, initial={"u": fam.expression(amp[0], ell[0], phase[0])})
    X, Y, T = np.meshgrid(*x, t, indexing="ij")
    want = sum(a * np.exp(-0.2 * (l @ l) * T) * np.sin(l[0] * X + l[1] * Y + ph)
               for a, l, ph in zip(amp[0], ell[0], phase[0]))
    np.testing.assert_allclose(u[0], want, atol=1e-10)


def test_the_deeponet_trains_and_is_evaluated_on_a_2d_family(tmp_path):
    """allen_cahn2d with a SineSeriesND family: sensors on a 4 x 4 grid, 2 training ICs, a few
    Adam steps, errors against the 2-D references of the test and training ICs."""
    import jax.random as jr

    from liepinn.runs import DeepONetNetwork, Recipe, RunSpec, assemble
    from liepinn.runs._assemble import References
    from liepinn.train import train

    base = load_entry("allen_cahn2d").problem
    lo = float(base.domain["x"][0])
    p = base.replace(name="allen_cahn2d_waves", initial=None, exact=None,
                     initial_family=SineSeriesND(lengths=(L, L), lo=(-sp.pi, -sp.pi), terms=2, wavenumbers=(1,)))
    recipe = Recipe(width=8, depth=2, n_collocation=64, steps=3, second_phase=None, log_every=3)
    spec = RunSpec(problem=p.name, recipe=recipe, constraints="soft", n_ics=2, n_test_ics=2, n_initial=16,
                   network=DeepONetNetwork(sensors=16, n_basis=4, harmonics=2), eval_nx=8, eval_nt=3)
    a = assemble(p, spec)
    assert a.conditioned and a.data["branch"].shape == (2, 16) and a.data["ic_values"].shape == (2, 16)
    # the branch input is the family at the 4 x 4 sensor grid
    from liepinn.runs._assemble import TRAIN_IC_KEY, ic_family
    from liepinn.runs._networks import sensor_points

    sensors = sensor_points(p, 16)
    assert sensors.shape == (16, 2) and sensors.min() == lo
    fam, coefs = ic_family(p, 2, TRAIN_IC_KEY)
    np.testing.assert_allclose(np.asarray(a.data["branch"]), fam.evaluate(coefs, sensors), atol=1e-6)
    key = jr.PRNGKey(0)
    res = train(a.loss_fn, a.make_model(key), a.data, key=key, **recipe.train_options())
    errors, fields = a.evaluate(lambda k: res.model, 1, References(tmp_path))
    assert np.isfinite(errors[0]) and len(fields[0]["per_test_ic"]) == 2 and np.isfinite(fields[0]["train_ics"])
