"""Lie point symmetries of PDE systems: generators, their algebra, and the solver that finds them.

Symbolic layer: sympy only, never JAX.
"""

from ._algebra import (
    SymmetryAlgebra as SymmetryAlgebra,
    SymmetryVerificationError as SymmetryVerificationError,
    symmetries as symmetries,
)
from ._generator import Generator, Verification


def __getattr__(name: str):
    # The determining-equation and prolongation modules are imported on first use.
    if name == "determining_equations":
        from ._determining import determining_equations

        return determining_equations
    if name in ("prolong", "characteristic"):
        from . import _prolong

        return getattr(_prolong, name)
    if name == "solve_symmetries":
        from ._solve import solve_symmetries

        return solve_symmetries
    raise AttributeError(f"module 'liepinn.symmetry' has no attribute {name!r}")


__all__ = [
    "Generator",
    "SymmetryAlgebra",
    "SymmetryVerificationError",
    "Verification",
    "characteristic",
    "determining_equations",
    "prolong",
    "solve_symmetries",
    "symmetries",
]
