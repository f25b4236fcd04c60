"""Lie point symmetries of PDE systems: generators, their algebra, and the solver that finds them.

Symbolic layer: sympy only, never JAX.
"""

from ._algebra import (
    SymmetryAlgebra as SymmetryAlgebra,
    SymmetryVerificationError as SymmetryVerificationError,
    symmetries as symmetries,
)
from ._generator import Generator, Verification
from ._discrete import discrete_symmetries as discrete_symmetries
from ._classify import (
    Classification as Classification,
    ClassificationCase as ClassificationCase,
    classify as classify,
)
from ._transform import (
    FiniteTransformation as FiniteTransformation,
    Subgroups as Subgroups,
    TransformationError as TransformationError,
    act as act,
    compose as compose,
    one_parameter_subgroup as one_parameter_subgroup,
    transformations as transformations,
)
from ._reduce import (
    InvariantSolution as InvariantSolution,
    Reduction as Reduction,
    ReductionError as ReductionError,
    reduce as reduce,
)


def __getattr__(name: str):
    # The determining-equation and prolongation modules are imported on first use.
    if name == "determining_equations":
        from ._determining import determining_equations

        return determining_equations
    if name in ("prolong", "characteristic"):
        from . import _prolong

        return getattr(_prolong, name)
    if name in ("conservation_laws", "ConservationLaws", "ConservationLaw", "MultiplierFamily"):
        from . import _conservation

        return getattr(_conservation, name)
    if name in ("generalized_symmetries", "GeneralizedSymmetries", "GeneralizedSymmetry"):
        from . import _generalized

        return getattr(_generalized, name)
    if name == "solve_symmetries":
        from ._solve import solve_symmetries

        return solve_symmetries
    raise AttributeError(f"module 'liepinn.symmetry' has no attribute {name!r}")


__all__ = [
    "ConservationLaw",
    "ConservationLaws",
    "GeneralizedSymmetries",
    "GeneralizedSymmetry",
    "Classification",
    "ClassificationCase",
    "FiniteTransformation",
    "Generator",
    "InvariantSolution",
    "Reduction",
    "ReductionError",
    "MultiplierFamily",
    "SymmetryAlgebra",
    "Subgroups",
    "SymmetryVerificationError",
    "TransformationError",
    "Verification",
    "act",
    "characteristic",
    "compose",
    "conservation_laws",
    "classify",
    "determining_equations",
    "discrete_symmetries",
    "generalized_symmetries",
    "prolong",
    "reduce",
    "solve_symmetries",
    "one_parameter_subgroup",
    "symmetries",
    "transformations",
]
