"""Training: Adam with a schedule then a second optax phase (L-BFGS or dense BFGS),
scan-chunked and jit-compiled, checkpoint/resume, NaN/Inf detection, vmap over seeds; the
collocation sets (samplers, residual-based refinement).
"""

from ._bfgs import bfgs as bfgs
from ._bfgs import scale_by_bfgs as scale_by_bfgs
from ._loop import History as History
from ._loop import NonFiniteLossError as NonFiniteLossError
from ._loop import Plateau as Plateau
from ._loop import TrainResult as TrainResult
from ._loop import default_schedule as default_schedule
from ._loop import train as train
from ._loop import train_seeds as train_seeds
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

__all__ = [
    "AbstractRefinement", "AbstractSampler", "Collocation", "Grid", "History", "LatinHypercube",
    "NonFiniteLossError", "Plateau", "RAD", "RAR", "Sobol", "TrainResult", "Uniform", "bfgs",
    "default_schedule", "scale_by_bfgs", "seed_from_key", "train", "train_seeds",
]
