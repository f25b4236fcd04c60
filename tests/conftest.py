"""Shared test setup: deterministic, strict JAX settings, CPU only, annotations checked.

Every function and dataclass of the numeric stages is wrapped in `jaxtyping.jaxtyped` with
beartype while the tests run (as diffrax does), so a call that breaks its annotation (shape,
dtype or type) fails the test. The hook must be installed before anything imports liepinn;
LIEPINN_TYPECHECK=0 switches it off.
"""

import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=2")

# the modules whose annotations are checked (a package covers its submodules): the numeric
# stages, where jaxtyping states shapes and dtypes.
TYPECHECKED = [
    "liepinn.derivatives",
    "liepinn.losses",
    "liepinn.nn",
    "liepinn.train",
    "liepinn.reference",
]

if os.environ.get("LIEPINN_TYPECHECK", "1") != "0":
    import jaxtyping

    assert "liepinn" not in __import__("sys").modules, "liepinn was imported before the type-check hook"
    # the PEP 484 numeric tower, as static checkers read it: an int is a float, a float a complex
    jaxtyping.install_import_hook(
        TYPECHECKED, "beartype.beartype(conf=beartype.BeartypeConf(is_pep484_tower=True))")

import pytest  # noqa: E402


@pytest.fixture
def x64():
    """Enable float64 for one test and restore the previous setting afterwards."""
    import jax

    old = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        yield
    finally:
        jax.config.update("jax_enable_x64", old)
