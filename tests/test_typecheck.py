"""The annotation checks of conftest.py are active: a call that breaks a jaxtyping annotation fails."""

import os

import jax.numpy as jnp
import jax.random as jr
import jaxtyping
import pytest

from liepinn.nn import MLP

pytestmark = pytest.mark.skipif(os.environ.get("LIEPINN_TYPECHECK", "1") == "0",
                                reason="annotation checks switched off (LIEPINN_TYPECHECK=0)")


def test_a_wrong_dtype_is_caught():
    model = MLP(2, 1, 4, 1, key=jr.key(0))
    assert model(jnp.zeros(2)).shape == (1,)
    with pytest.raises(jaxtyping.TypeCheckError, match="Float"):
        model(jnp.zeros(2, dtype=jnp.int32))  # Float[Array, "*batch p"]


def test_every_checked_module_is_instrumented():
    import importlib
    import sys

    from conftest import TYPECHECKED

    for name in TYPECHECKED:
        importlib.import_module(name)
    hooked = [m for m, mod in sys.modules.items()
              if any(m == t or m.startswith(t + ".") for t in TYPECHECKED)]
    plain = [m for m in hooked if type(sys.modules[m].__spec__.loader).__name__ != "_JaxtypingLoader"]
    assert hooked and not plain, f"imported without the type-check hook: {plain}"
