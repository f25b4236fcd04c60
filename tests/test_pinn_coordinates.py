"""`PINNLoss`'s coordinate convention: points are physical; `box` only rescales what the network sees."""

import jax
import jax.numpy as jnp
import numpy as np

from liepinn import PDE, PINNLoss
from liepinn.derivatives import Box

PDE_ = PDE.from_text("u_t = mu*u_xx", independent="x,t", dependent="u")
LO, HI = np.array([0.0, 0.0]), np.array([2.0, 0.5])  # not [-1, 1]: the map matters


def exact(X):  # a function of physical (x, t)
    x, t = X[0], X[1]
    return jnp.stack([jnp.exp(-0.1 * jnp.pi**2 * t) * jnp.sin(jnp.pi * x)])


def test_points_are_physical_and_box_only_rescales_the_inputs(x64):
    box = Box(LO, HI)
    pts = box.from_unit(jax.random.uniform(jax.random.key(0), (32, 2), jnp.float64, -1.0, 1.0))
    assert float(pts[:, 0].max()) > 1.0  # physical points, outside [-1, 1] in x
    raw = PINNLoss(PDE_, parameter_values={"mu": 0.1}, normalisation="none")
    scaled = PINNLoss(PDE_, parameter_values={"mu": 0.1}, normalisation="none", box=box)
    # box=None: the model is a function of x itself
    assert float(raw(exact, pts)[0]) < 1e-20
    # box: the model is fed z = box.to_unit(x); a network on [-1, 1]^p that represents u passes
    assert float(scaled(lambda z: exact(box.from_unit(z)), pts)[0]) < 1e-20
    # ... and a function of physical coordinates does not: box changes the inputs, not the points
    assert float(scaled(exact, pts)[0]) > 1e-2
    # the same model under both conventions: u(x) = model(box.to_unit(x)), derivatives by the chain rule
    model = lambda z: jnp.stack([jnp.sin(z[0]) * z[1] ** 2])
    direct = PINNLoss(PDE_, parameter_values={"mu": 0.1}, normalisation="none")
    composed = lambda X: model(box.to_unit(X))
    np.testing.assert_allclose(scaled.pointwise(model, pts)["residual"],
                               direct.pointwise(composed, pts)["residual"], rtol=1e-12, atol=1e-14)
