"""Training: Adam with a schedule then a second optax phase (L-BFGS, dense BFGS, self-scaled
BFGS or Broyden, energy natural gradient, as strategy objects), scan-chunked and jit-compiled, checkpoint/resume,
NaN/Inf detection, vmap over seeds; the collocation sets (samplers, residual-based refinement).
"""

from ._bfgs import bfgs as bfgs
from ._bfgs import scale_by_bfgs as scale_by_bfgs
from ._bfgs import scale_by_ssbroyden as scale_by_ssbroyden
from ._bfgs import ssbroyden as ssbroyden
from ._eng import LeastSquares as LeastSquares
from ._eng import energy_natural_gradient as energy_natural_gradient
from ._loop import History as History
from ._loop import NonFiniteLossError as NonFiniteLossError
from ._loop import Plateau as Plateau
from ._loop import Stopped as Stopped
from ._loop import TrainResult as TrainResult
from ._loop import default_schedule as default_schedule
from ._loop import train as train
from ._loop import train_seeds as train_seeds
from ._optimisers import BFGS as BFGS
from ._optimisers import ENG as ENG
from ._optimisers import LBFGS as LBFGS
from ._optimisers import SSBFGS as SSBFGS
from ._optimisers import AbstractSecondPhase as AbstractSecondPhase
from ._optimisers import SSBroyden as SSBroyden
from ._optimisers import second_phase_from_json as second_phase_from_json
from ._optimisers import second_phase_from_legacy as second_phase_from_legacy
from ._optimisers import second_phase_from_name as second_phase_from_name
from ._optimisers import second_phase_names as second_phase_names
from ._sampling import RAD as RAD
from ._sampling import RAR as RAR
from ._sampling import AbstractRefinement as AbstractRefinement
from ._sampling import AbstractSampler as AbstractSampler
from ._sampling import Collocation as Collocation
from ._sampling import Grid as Grid
from ._sampling import LatinHypercube as LatinHypercube
from ._sampling import Sobol as Sobol
from ._sampling import Uniform as Uniform
from ._sampling import seed_from_key as seed_from_key
from ._sharding import AbstractSharding as AbstractSharding
from ._sharding import PointSharding as PointSharding
from ._sharding import SeedSharding as SeedSharding

__all__ = [
    "AbstractRefinement", "AbstractSampler", "AbstractSecondPhase", "AbstractSharding", "BFGS", "Collocation", "Grid",
    "History", "LBFGS", "LatinHypercube", "LeastSquares", "NonFiniteLossError", "Plateau", "PointSharding", "SeedSharding", "Stopped", "RAD", "RAR", "SSBFGS",
    "SSBroyden", "Sobol", "TrainResult", "Uniform", "bfgs", "default_schedule", "energy_natural_gradient", "scale_by_bfgs",
    "scale_by_ssbroyden", "second_phase_from_json", "second_phase_from_legacy",
    "second_phase_from_name", "second_phase_names", "seed_from_key", "ssbroyden", "train",
    "train_seeds",
]
