"""Training: Adam with a schedule then optional L-BFGS (or dense BFGS), scan-chunked and
jit-compiled, checkpoint/resume, NaN/Inf detection, vmap over seeds; training recipes.

Implementation in :mod:`liepinn._train`, :mod:`liepinn._train_bfgs`, :mod:`liepinn._train_recipe`.
"""

from ._train import History as History
from ._train import NonFiniteLossError as NonFiniteLossError
from ._train import Plateau as Plateau
from ._train import TrainResult as TrainResult
from ._train import default_schedule as default_schedule
from ._train import train as train
from ._train import train_seeds as train_seeds
from ._train_bfgs import bfgs as bfgs
from ._train_bfgs import scale_by_bfgs as scale_by_bfgs
from ._train_recipe import RECIPES as RECIPES
from ._train_recipe import Recipe as Recipe

__all__ = [
    "History", "NonFiniteLossError", "Plateau", "RECIPES", "Recipe", "TrainResult", "bfgs",
    "default_schedule", "scale_by_bfgs", "train", "train_seeds",
]
