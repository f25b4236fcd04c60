"""Partial derivatives of a network at a batch of points.

`derivatives(model, points, multi_indices, *, strategy=..., scaling=None)` returns
{(a, alpha): d^alpha u^a / dx^alpha at every point}, with interchangeable strategies
(`MultiTaylor`, the default and fastest measured; `Taylor`, i.e. `jax.experimental.jet`;
`Forward`; `NestedReverse`, the textbook baseline) and the input scaling `Box` onto [-1, 1]^p.
Implementation in `liepinn.derivatives._strategies` and `liepinn.derivatives._taylor`.
"""

from ._strategies import (
    DEFAULT_STRATEGY as DEFAULT_STRATEGY,
    AbstractStrategy as AbstractStrategy,
    Box as Box,
    Forward as Forward,
    MultiTaylor as MultiTaylor,
    NestedReverse as NestedReverse,
    Taylor as Taylor,
    derivatives as derivatives,
)

__all__ = [
    "AbstractStrategy", "Box", "DEFAULT_STRATEGY", "Forward", "MultiTaylor", "NestedReverse",
    "Taylor", "derivatives",
]
