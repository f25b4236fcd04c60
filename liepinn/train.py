"""Training: Adam with a schedule then optional L-BFGS, scan-chunked and jit-compiled,
checkpoint/resume, NaN/Inf detection, vmap over seeds.

Implementation in :mod:`liepinn._train`.
"""

from ._train import History as History
from ._train import NonFiniteLossError as NonFiniteLossError
from ._train import Plateau as Plateau
from ._train import TrainResult as TrainResult
from ._train import default_schedule as default_schedule
from ._train import train as train
from ._train import train_seeds as train_seeds

__all__ = ["History", "NonFiniteLossError", "Plateau", "TrainResult", "default_schedule", "train", "train_seeds"]
