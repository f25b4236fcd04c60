"""Samplers and collocation sets: determinism, box, stratification, resampling, RAR/RAD."""

import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

from liepinn.train import (
    RAD,
    RAR,
    Collocation,
    Grid,
    LatinHypercube,
    Sobol,
    Uniform,
    seed_from_key,
)

LO, HI = (-1.0, 0.0), (1.0, 0.5)


@pytest.mark.parametrize("sampler", [Uniform(), LatinHypercube(), Sobol()])
def test_sampler_deterministic_and_in_box(sampler):
    a = np.asarray(sampler.sample(256, LO, HI, key=jr.PRNGKey(1)))
    b = np.asarray(sampler.sample(256, LO, HI, key=jr.PRNGKey(1)))
    c = np.asarray(sampler.sample(256, LO, HI, key=jr.PRNGKey(2)))
    d = np.asarray(sampler.sample(256, LO, HI, key=7))
    assert a.shape == (256, 2) and a.dtype == np.float32
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert not np.array_equal(a, d)
    assert np.all(a >= np.array(LO)) and np.all(a <= np.array(HI))


def test_seed_from_key_typed_and_raw_keys():
    assert seed_from_key(jr.PRNGKey(3)) == seed_from_key(jr.key_data(jr.key(3)))
    assert seed_from_key(3) != seed_from_key(4)
    with pytest.raises(TypeError):
        seed_from_key(jnp.zeros((2, 2), jnp.uint32))


def test_latin_hypercube_stratified():
    n = 50
    pts = np.asarray(LatinHypercube().sample(n, (0.0, 0.0), (1.0, 1.0), key=0, dtype=jnp.float32))
    for axis in range(2):
        bins = np.floor(pts[:, axis] * n).astype(int)
        assert sorted(bins) == list(range(n))


def test_sobol_more_uniform_than_iid():
    """Discrepancy of scrambled Sobol' beats i.i.d. points (the reason to use it)."""
    from scipy.stats import qmc

    s = np.asarray(Sobol().sample(512, (0.0, 0.0), (1.0, 1.0), key=0), np.float64)
    u = np.asarray(Uniform().sample(512, (0.0, 0.0), (1.0, 1.0), key=0), np.float64)
    assert qmc.discrepancy(np.clip(s, 0, 1)) < qmc.discrepancy(np.clip(u, 0, 1))


def test_grid():
    pts = np.asarray(Grid().sample(25, LO, HI, key=0))
    assert pts.shape == (25, 2)
    assert set(np.round(pts[:, 0], 6)) == {-1.0, -0.5, 0.0, 0.5, 1.0}


def test_sampler_errors():
    with pytest.raises(ValueError, match="upper > lower"):
        Sobol().sample(4, (0.0,), (0.0,), key=0)
    with pytest.raises(ValueError, match="positive int"):
        Sobol().sample(0, LO, HI, key=0)
    with pytest.raises(ValueError, match="residual"):
        Collocation(LO, HI, 10, refinement=RAD(every=5))


def test_collocation_resampling_schedule():
    c = Collocation(LO, HI, 64, Sobol(), resample_every=10)
    assert c.periods == (10,)
    assert not c.due(0) and c.due(10) and not c.due(15) and c.due(20)
    p0 = c.init(jr.PRNGKey(0))
    p1 = c.update(p0, None, step=10, key=jr.PRNGKey(5))
    p1b = c.update(p0, None, step=10, key=jr.PRNGKey(5))
    assert p1.shape == p0.shape
    assert not np.array_equal(p0, p1)
    np.testing.assert_array_equal(p1, p1b)


def _peaked_residual(model, points):
    # a residual concentrated near x = 0 (like Burgers' front)
    return jnp.exp(-(points[:, 0] ** 2) / 0.01)


def test_rad_concentrates_points_where_residual_is_large():
    c = Collocation(LO, HI, 1000, Sobol(), refinement=RAD(every=10, k=2.0, c=0.0, n_candidates=20000),
                    residual=_peaked_residual)
    p0 = c.init(0)
    p1 = np.asarray(c.update(p0, None, step=10, key=jr.PRNGKey(1)))
    assert p1.shape == (1000, 2)
    near = lambda p: np.mean(np.abs(np.asarray(p)[:, 0]) < 0.1)
    assert near(p0) < 0.1
    assert near(p1) > 0.6  # at most 2000 of the candidates are near
    assert len(np.unique(p1, axis=0)) == 1000  # drawn without replacement


def test_rar_adds_the_worst_points_up_to_max():
    c = Collocation(LO, HI, 100, Uniform(),
                    refinement=RAR(every=5, n_add=30, n_candidates=2000, max_points=150),
                    residual=_peaked_residual)
    p0 = c.init(0)
    p1 = np.asarray(c.update(p0, None, step=5, key=jr.PRNGKey(1)))
    assert p1.shape == (130, 2)
    np.testing.assert_array_equal(p1[:100], np.asarray(p0))
    assert np.all(np.abs(p1[100:, 0]) < 0.05)
    p2 = c.update(jnp.asarray(p1), None, step=10, key=jr.PRNGKey(2))
    p3 = c.update(p2, None, step=15, key=jr.PRNGKey(3))
    assert p2.shape == (150, 2) and p3.shape == (150, 2)
