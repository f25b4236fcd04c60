"""Partial derivatives of a network at a batch of points: `derivatives(model, points, multi_indices)`
with interchangeable strategies (`Taylor`, `Forward`, `NestedReverse`) and input scaling (`Box`)."""

from ._derivatives import (
    DEFAULT_STRATEGY as DEFAULT_STRATEGY,
    AbstractStrategy as AbstractStrategy,
    Box as Box,
    Forward as Forward,
    MultiTaylor as MultiTaylor,
    NestedReverse as NestedReverse,
    Taylor as Taylor,
    derivatives as derivatives,
)

__all__ = ["AbstractStrategy", "Box", "DEFAULT_STRATEGY", "Forward", "MultiTaylor", "NestedReverse", "Taylor", "derivatives"]
