"""Networks: shapes, initialisation, embeddings, hard constraints, DeepONet; each kind trains."""

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

from liepinn.nn import (
    MLP,
    Chain,
    Constant,
    DeepONet,
    FourierFeatures,
    HardConstraint,
    Normalise,
    PeriodicEmbedding,
    trainable,
)
from liepinn.train import train

KEY = jr.PRNGKey(0)


def test_mlp_single_and_batched_agree():
    net = MLP(3, 2, 16, 3, key=KEY)
    x = jr.normal(jr.PRNGKey(1), (7, 3))
    single = jax.vmap(net)(x)
    assert net(x[0]).shape == (2,)
    assert single.shape == (7, 2)
    np.testing.assert_allclose(net(x), single, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(net(x[None]), single[None], rtol=1e-6, atol=1e-6)


def test_mlp_glorot_init():
    net = MLP(64, 64, 64, 1, key=KEY, init="glorot_normal")
    w = np.asarray(net.weights[0])
    assert w.shape == (64, 64)
    assert abs(w.std() - np.sqrt(2 / 128)) < 0.1 * np.sqrt(2 / 128)
    assert all(np.all(np.asarray(b) == 0) for b in net.biases)
    net_u = MLP(64, 64, 64, 1, key=KEY, init="glorot_uniform")
    lim = np.sqrt(6 / 128)
    wu = np.asarray(net_u.weights[0])
    assert wu.max() <= lim and wu.min() >= -lim and wu.max() > 0.9 * lim


def test_mlp_errors():
    with pytest.raises(ValueError, match="activation"):
        MLP(2, 1, 8, 2, activation="nope", key=KEY)
    with pytest.raises(ValueError, match="width"):
        MLP(2, 1, 0, 2, key=KEY)
    net = MLP(2, 1, 8, 2, key=KEY)
    with pytest.raises(ValueError, match="last axis 2"):
        net(jnp.zeros(3))


def test_mlp_activation_by_name_and_callable():
    a = MLP(2, 1, 8, 2, activation="sin", key=KEY)
    b = MLP(2, 1, 8, 2, activation=jnp.sin, key=KEY)
    x = jnp.array([0.3, -0.2])
    np.testing.assert_allclose(a(x), b(x))


def test_normalise_maps_box_to_unit():
    n = Normalise([-1.0, 0.0], [1.0, 0.5])
    np.testing.assert_allclose(n(jnp.array([-1.0, 0.0])), [-1, -1])
    np.testing.assert_allclose(n(jnp.array([1.0, 0.5])), [1, 1])
    np.testing.assert_allclose(n(jnp.array([0.0, 0.25])), [0, 0], atol=1e-7)
    with pytest.raises(ValueError, match="upper > lower"):
        Normalise([0.0], [0.0])


def test_fourier_features_are_constant_and_sized():
    ff = FourierFeatures(2, 8, sigma=2.0, axes=(0,), key=KEY)
    net = MLP(2, 1, 8, 2, embedding=ff, key=KEY)
    assert ff(jnp.zeros(2)).shape == (2 + 16,)
    assert net.weights[0].shape == (8, 18)
    spec = trainable(net)
    params, static = eqx.partition(net, spec)
    # the random matrix is not among the trainable leaves
    leaves = jax.tree.leaves(params)
    assert not any(leaf.shape == ff.B.value.shape for leaf in leaves)
    grads = eqx.filter_grad(lambda m: jnp.sum(m(jnp.array([0.1, 0.2]))))(net)
    np.testing.assert_array_equal(grads.embedding.B.value, 0.0)


def test_periodic_embedding_is_exactly_periodic_with_derivatives():
    L = 2.0
    emb = PeriodicEmbedding(2, axis=0, period=L, n_harmonics=3)
    net = MLP(2, 1, 16, 2, embedding=emb, key=KEY)
    f = lambda x, t: net(jnp.stack([x, t]))[0]
    fx = jax.grad(f, 0)
    fxx = jax.grad(fx, 0)
    all3 = jax.jit(jax.vmap(lambda x: jnp.stack([f(x, 0.4), fx(x, 0.4), fxx(x, 0.4)])))
    xs = jnp.array([-1.0, -0.3, 0.7])
    np.testing.assert_allclose(all3(xs), all3(xs + L), rtol=1e-4, atol=1e-5)
    assert emb(jnp.zeros(2)).shape == (7,)


def test_hard_constraint_holds_exactly():
    net = MLP(2, 1, 8, 2, key=KEY)
    model = HardConstraint(net, lambda z, n: -jnp.sin(jnp.pi * z[0]) + z[1] * (1 - z[0] ** 2) * n)
    xs = jnp.linspace(-1, 1, 11)
    u0 = model(jnp.stack([xs, 0.0 * xs], 1))[:, 0]
    np.testing.assert_allclose(u0, -np.sin(np.pi * np.asarray(xs)), atol=1e-6)
    ts = jnp.linspace(0, 1, 5)
    for xb in (-1.0, 1.0):
        ub = model(jnp.stack([jnp.full_like(ts, xb), ts], 1))[:, 0]
        np.testing.assert_allclose(ub, 0.0, atol=1e-6)
    pts = jr.uniform(KEY, (5, 2))
    np.testing.assert_allclose(model(pts), jax.vmap(model)(pts), rtol=1e-6, atol=1e-7)


def test_deeponet_condition_and_constants():
    sensors = jnp.linspace(-1, 1, 12)
    op = DeepONet(sensors, 2, out_size=2, n_basis=5, width=8, depth=2, key=KEY)
    v = op.sample_ic(lambda x: jnp.stack([jnp.sin(x), jnp.cos(x)]))
    assert v.shape == (24,)
    model = op.condition(v)
    y = jr.uniform(KEY, (6, 2))
    assert model(y[0]).shape == (2,)
    np.testing.assert_allclose(model(y), jax.vmap(model)(y), rtol=1e-5, atol=1e-6)
    spec = trainable(model)
    params, _ = eqx.partition(model, spec)
    assert params.branch_input.value is None and params.deeponet.sensors.value is None
    with pytest.raises(ValueError, match="branch input"):
        op(y[0], jnp.zeros(5))


def test_chain():
    c = Chain(Normalise([0.0, 0.0], [2.0, 2.0]), PeriodicEmbedding(2, axis=0, period=2.0))
    assert c(jnp.ones(2)).shape == (3,)


# ---- a tiny training run per network kind reduces the loss


def _fit_loss(model, x):
    pred = jax.vmap(model)(x)[:, 0]
    target = jnp.sin(jnp.pi * x[:, 0]) * (1 + x[:, 1])
    err = jnp.mean((pred - target) ** 2)
    return err, {"fit": err}


def _kinds():
    k1, k2 = jr.split(KEY)
    sensors = jnp.linspace(-1, 1, 8)
    op = DeepONet(sensors, 2, 1, n_basis=8, width=16, depth=2, key=k1)
    return {
        "mlp": MLP(2, 1, 16, 2, key=k1),
        "fourier": MLP(2, 1, 16, 2, embedding=FourierFeatures(2, 8, 1.0, key=k2), key=k1),
        "periodic": MLP(2, 1, 16, 2, embedding=PeriodicEmbedding(2, axis=0, period=2.0), key=k1),
        "hard": HardConstraint(MLP(2, 1, 16, 2, key=k1), lambda z, n: jnp.sin(jnp.pi * z[0]) + z[1] * n),
        "deeponet": op.condition(op.sample_ic(lambda x: jnp.sin(jnp.pi * x)[None])),
    }


@pytest.mark.parametrize("kind", ["mlp", "fourier", "periodic", "hard", "deeponet"])
def test_each_network_kind_trains(kind):
    model = _kinds()[kind]
    x = jr.uniform(jr.PRNGKey(3), (64, 2), minval=-1.0, maxval=1.0)
    res = train(_fit_loss, model, x, steps=150, learning_rate=1e-2, log_every=50)
    total = res.history["total"]
    assert total[-1] < 0.5 * total[0], (kind, total)


def test_deeponet_trains_on_a_family_of_initial_conditions():
    """One network for u0 = a sin(pi x): the loss vmaps over the family's branch inputs."""
    sensors = jnp.linspace(-1, 1, 10)
    op = DeepONet(sensors, 2, 1, n_basis=8, width=16, depth=2, key=KEY)
    amps = jnp.array([-1.0, 0.5, 1.0])
    branch = jax.vmap(lambda a: op.sample_ic(lambda x: (a * jnp.sin(jnp.pi * x))[None]))(amps)
    x = jr.uniform(jr.PRNGKey(4), (64, 2), minval=-1.0, maxval=1.0)

    def loss(model, batch):
        def one(v, a):
            pred = model.condition(v)(batch["x"])[:, 0]
            return jnp.mean((pred - a * jnp.sin(jnp.pi * batch["x"][:, 0]) * jnp.exp(-batch["x"][:, 1])) ** 2)

        err = jnp.mean(jax.vmap(one)(batch["branch"], batch["amps"]))
        return err, {"fit": err}

    res = train(loss, op, {"x": x, "branch": branch, "amps": amps}, steps=200, learning_rate=1e-2, log_every=100)
    assert res.history["total"][-1] < 0.3 * res.history["total"][0]
