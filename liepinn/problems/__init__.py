"""Problems: PDE + domain + initial/boundary conditions + parameter values; the catalogue of
`pdes/` and the registry of user-defined problems, with their fingerprints.

sympy and numpy only at import time.
"""

from ._admits import AbstractStatus as AbstractStatus
from ._admits import AdmissibilityReport as AdmissibilityReport
from ._admits import Admissible as Admissible
from ._admits import AdmissibleFor as AdmissibleFor
from ._admits import Admission as Admission
from ._admits import NotAdmissible as NotAdmissible
from ._admits import Semigroup as Semigroup
from ._admits import Undecided as Undecided
from ._admits import admissible as admissible
from ._admits import admits as admits
from ._catalogue import CatalogueEntry as CatalogueEntry
from ._catalogue import UnknownEntryError as UnknownEntryError
from ._catalogue import list_entries as list_entries
from ._catalogue import load_entry as load_entry
from ._checks import IllPosedWarning as IllPosedWarning
from ._checks import IncompatibleDataWarning as IncompatibleDataWarning
from ._checks import ProblemDefinitionError as ProblemDefinitionError
from ._checks import ProblemDefinitionWarning as ProblemDefinitionWarning
from ._checks import check_problem_definition as check_problem_definition
from ._problem import AbstractBoundary as AbstractBoundary
from ._problem import AbstractInitialFamily as AbstractInitialFamily
from ._problem import Bounds as Bounds
from ._problem import Dirichlet as Dirichlet
from ._problem import Neumann as Neumann
from ._problem import Periodic as Periodic
from ._problem import Problem as Problem
from ._problem import SineSeries as SineSeries
from ._problem import SineSeriesND as SineSeriesND
from ._registry import fingerprint as fingerprint
from ._registry import is_conditioned as is_conditioned
from ._registry import load_problem as load_problem
from ._registry import problem_id as problem_id
from ._registry import register_problem as register_problem

__all__ = [
    "AbstractStatus", "AdmissibilityReport", "Admissible", "AdmissibleFor", "Admission", "NotAdmissible",
    "Semigroup", "Undecided", "admissible", "admits",
    "AbstractBoundary", "AbstractInitialFamily", "Bounds", "CatalogueEntry", "Dirichlet",
    "IllPosedWarning", "IncompatibleDataWarning", "Neumann", "Periodic", "Problem",
    "ProblemDefinitionError", "ProblemDefinitionWarning", "SineSeries", "SineSeriesND", "UnknownEntryError",
    "check_problem_definition", "fingerprint", "is_conditioned", "list_entries", "load_entry",
    "load_problem", "problem_id", "register_problem",
]
