"""Helpers shared by the tests (no stand-ins: everything here uses the real modules)."""

from __future__ import annotations

from liepinn.symmetry._solve import RawAlgebra


def raw_algebra(generators, *, superposition=None, infinite=(), assumptions=()) -> RawAlgebra:
    """The solver's own result type, built by hand so the algebra layer is tested on its own."""
    return RawAlgebra(list(generators), superposition, list(infinite), list(assumptions))
