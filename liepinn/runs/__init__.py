"""Runs: a training recipe, the assembly of a problem into a loss, data, a model factory and
an evaluator, and the training directory of `liepinn train` (`load_run`).
"""

from ._directory import RunSettings as RunSettings
from ._directory import TrainedRun as TrainedRun
from ._directory import load_run as load_run
from ._directory import train_run as train_run
from ._recipe import RECIPES as RECIPES
from ._recipe import Recipe as Recipe

__all__ = ["RECIPES", "Recipe", "RunSettings", "TrainedRun", "load_run", "train_run"]
