"""liepinn: physics-informed neural networks that know the Lie point symmetries of their PDE.

Public names are re-exported lazily so that symbolic work (`liepinn.PDE`,
`liepinn.symmetries`) never pays for importing JAX. The `TYPE_CHECKING` imports below are the
one list of public names: type checkers read them statically, and `__getattr__` imports the
same names on first use.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path
from typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:
    # symbolic layer (sympy only)
    from .symbolic import PDE as PDE
    from .symbolic import JetSpace as JetSpace
    from .symbolic import PDEInputError as PDEInputError
    from .symbolic import parse_expression as parse_expression
    from .symbolic import parse_value as parse_value

    # symmetry engine (sympy only)
    from .symmetry import ConservationLaws as ConservationLaws
    from .symmetry import GeneralizedSymmetries as GeneralizedSymmetries
    from .symmetry import Generator as Generator
    from .symmetry import SymmetryAlgebra as SymmetryAlgebra
    from .symmetry import conservation_laws as conservation_laws
    from .symmetry import determining_equations as determining_equations
    from .symmetry import discrete_symmetries as discrete_symmetries
    from .symmetry import generalized_symmetries as generalized_symmetries
    from .symmetry import Classification as Classification
    from .symmetry import classify as classify
    from .symmetry import InvariantSolution as InvariantSolution
    from .symmetry import Reduction as Reduction
    from .symmetry import reduce as reduce
    from .symmetry import symmetries as symmetries
    from .symmetry import FiniteTransformation as FiniteTransformation
    from .symmetry import TransformationError as TransformationError
    from .symmetry import act as act
    from .symmetry import one_parameter_subgroup as one_parameter_subgroup
    from .symmetry import transformations as transformations

    # problems and the catalogue of pdes/ (sympy and numpy)
    from .problems import Dirichlet as Dirichlet
    from .problems import Neumann as Neumann
    from .problems import Periodic as Periodic
    from .problems import IllPosedWarning as IllPosedWarning
    from .problems import IncompatibleDataWarning as IncompatibleDataWarning
    from .problems import Problem as Problem
    from .problems import ProblemDefinitionError as ProblemDefinitionError
    from .problems import ProblemDefinitionWarning as ProblemDefinitionWarning
    from .problems import check_problem_definition as check_problem_definition
    from .problems import SineSeries as SineSeries
    from .problems import SineSeriesND as SineSeriesND
    from .problems import list_entries as list_entries
    from .problems import load_entry as load_entry
    from .problems import register_problem as register_problem
    from .problems import AdmissibilityReport as AdmissibilityReport
    from .problems import Admission as Admission
    from .problems import admissible as admissible
    from .problems import admits as admits

    # numeric layer (JAX): derivatives (the function is `liepinn.derivatives.derivatives`: the
    # name `liepinn.derivatives` is its subpackage), losses, reference solutions
    from .derivatives import DEFAULT_STRATEGY as DEFAULT_STRATEGY
    from .derivatives import AbstractStrategy as AbstractStrategy
    from .derivatives import Box as Box
    from .derivatives import Forward as Forward
    from .derivatives import MultiTaylor as MultiTaylor
    from .derivatives import NestedReverse as NestedReverse
    from .derivatives import Taylor as Taylor
    from .losses import GPINN as GPINN
    from .losses import Generalized as Generalized
    from .losses import AbstractVariant as AbstractVariant
    from .losses import CoefficientScale as CoefficientScale
    from .losses import ConservedQuantity as ConservedQuantity
    from .losses import Augment as Augment
    from .losses import Equivariant as Equivariant
    from .losses import Degeneracy as Degeneracy
    from .losses import Evolutionary as Evolutionary
    from .losses import InitialBalance as InitialBalance
    from .losses import Lowered as Lowered
    from .losses import GroupAction as GroupAction
    from .losses import act_on_values as act_on_values
    from .losses import lower_transformation as lower_transformation
    from .losses import NoScaling as NoScaling
    from .losses import PINNLoss as PINNLoss
    from .losses import Prolonged as Prolonged
    from .losses import Residual as Residual
    from .losses import Symmetry as Symmetry
    from .losses import degeneracy as degeneracy
    from .losses import dirichlet_loss as dirichlet_loss
    from .losses import initial_loss as initial_loss
    from .losses import lower as lower
    from .losses import neumann_loss as neumann_loss
    from .losses import periodic_loss as periodic_loss
    from .reference import Chebyshev as Chebyshev
    from .reference import Fourier as Fourier
    from .reference import Reference as Reference
    from .reference import SlowReferenceWarning as SlowReferenceWarning
    from .reference import load_mat as load_mat
    from .reference import solve_reference as solve_reference

    # training: the second phase after Adam
    from .train import BFGS as BFGS
    from .train import AbstractSecondPhase as AbstractSecondPhase
    from .train import LBFGS as LBFGS
    from .train import SSBFGS as SSBFGS
    from .train import SSBroyden as SSBroyden
    from .train import ENG as ENG
    from .train import LeastSquares as LeastSquares

    # runs: the spec, its assembly, the networks, the training directory
    from .runs import DeepONetNetwork as DeepONetNetwork
    from .runs import MLPNetwork as MLPNetwork
    from .runs import PeriodicMLP as PeriodicMLP
    from .runs import SymmetrisedNetwork as SymmetrisedNetwork
    from .runs import Assembly as Assembly
    from .runs import Recipe as Recipe
    from .runs import RunSpec as RunSpec
    from .runs import TrainedRun as TrainedRun
    from .runs import assemble as assemble
    from .runs import fit as fit
    from .runs import load_run as load_run
    from .runs import train_run as train_run

    # sample-efficiency experiments
    from .experiments import ComputeMatched as ComputeMatched
    from .experiments import ResultStore as ResultStore
    from .experiments import RunConfig as RunConfig
    from .experiments import RunRecord as RunRecord
    from .experiments import Sweep as Sweep
    from .experiments import TrainRunner as TrainRunner
    from .experiments import run_sweep as run_sweep
    from .experiments import write_report as write_report


def _read_exports() -> dict[str, str]:
    """public name -> module, from the `if TYPE_CHECKING:` imports of this file."""
    tree = ast.parse(Path(__file__).read_text(encoding="utf-8"))
    out: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for stmt in node.body:
                if isinstance(stmt, ast.ImportFrom):
                    for alias in stmt.names:
                        out[alias.asname or alias.name] = "." * stmt.level + (stmt.module or "")
    return out


_EXPORTS: dict[str, str] = _read_exports()


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'liepinn' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(list(globals()) + list(_EXPORTS))


__all__ = sorted(_EXPORTS)
