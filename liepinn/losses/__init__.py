"""PINN losses: residual, symmetry terms (prolonged or evolutionary form), gPINN terms, and
initial/boundary conditions. The degeneracy report (what each generator's term can add) is
`liepinn.symmetry.degeneracy`, re-exported here."""

from ._lower import Lowered as Lowered, lower as lower
from ._action import GroupAction as GroupAction
from ._action import act_on_values as act_on_values
from ._action import lower_transformation as lower_transformation
from ._variants import GPINN as GPINN
from ._variants import Generalized as Generalized
from ._variants import AbstractForm as AbstractForm
from ._variants import AbstractNormaliser as AbstractNormaliser
from ._variants import AbstractVariant as AbstractVariant
from ._variants import CoefficientScale as CoefficientScale
from ._variants import Evolutionary as Evolutionary
from ._variants import InitialBalance as InitialBalance
from ._variants import NoScaling as NoScaling
from ._variants import Prolonged as Prolonged
from ._variants import Residual as Residual
from ._variants import Symmetry as Symmetry
from ._conserved import ConservedLoss as ConservedLoss
from ._conserved import ConservedQuantity as ConservedQuantity
from ._conserved import conservation_drift as conservation_drift
from ._group import (
    AbstractOrbit as AbstractOrbit,
    Augment as Augment,
    Boost as Boost,
    Equivariant as Equivariant,
    HoldSource as HoldSource,
    Reflection as Reflection,
    Scaling as Scaling,
    Shift as Shift,
    Translation as Translation,
    default_orbits as default_orbits,
)
from ._pinn import (
    EVOLUTIONARY as EVOLUTIONARY,
    NORMALISATION_RULE as NORMALISATION_RULE,
    PROLONGED as PROLONGED,
    PINNLoss as PINNLoss,
    dirichlet_loss as dirichlet_loss,
    dirichlet_residual as dirichlet_residual,
    initial_loss as initial_loss,
    neumann_loss as neumann_loss,
    neumann_residual as neumann_residual,
    periodic_loss as periodic_loss,
)
from ..symmetry._degeneracy import (
    NEW_INFORMATION as NEW_INFORMATION,
    NO_SIGNAL as NO_SIGNAL,
    REWEIGHTED_RESIDUAL as REWEIGHTED_RESIDUAL,
    Degeneracy as Degeneracy,
    degeneracy as degeneracy,
    multiplier as multiplier,
)

__all__ = [
    "AbstractForm", "AbstractNormaliser", "AbstractVariant", "CoefficientScale", "Evolutionary", "GPINN", "Generalized",
    "InitialBalance", "NoScaling", "Prolonged", "Residual", "Symmetry", "ConservedLoss", "ConservedQuantity", "conservation_drift",
    "AbstractOrbit", "Augment", "Boost", "Equivariant", "HoldSource", "Reflection", "Scaling", "Shift", "Translation",
    "default_orbits",
    "Degeneracy",
    "GroupAction",
    "Lowered",
    "act_on_values",
    "lower",
    "lower_transformation",
    "EVOLUTIONARY",
    "NEW_INFORMATION",
    "NORMALISATION_RULE",
    "NO_SIGNAL",
    "PINNLoss",
    "PROLONGED",
    "REWEIGHTED_RESIDUAL",
    "degeneracy",
    "dirichlet_loss",
    "dirichlet_residual",
    "initial_loss",
    "multiplier",
    "neumann_loss",
    "neumann_residual",
    "periodic_loss",
]
