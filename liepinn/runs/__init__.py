"""Runs: the `RunSpec` of a training run, its `Recipe` (network size, points, optimiser),
`assemble(problem, spec)` (the one path to a loss, data, a network factory and an evaluator),
and the training directory of `liepinn train` (`train_run`, `load_run`).
"""

from ._assemble import Assembly as Assembly
from ._assemble import References as References
from ._assemble import assemble as assemble
from ._directory import TrainedRun as TrainedRun
from ._networks import AbstractNetwork as AbstractNetwork
from ._networks import DeepONetNetwork as DeepONetNetwork
from ._networks import MLPNetwork as MLPNetwork
from ._networks import PeriodicMLP as PeriodicMLP
from ._networks import SymmetrisedNetwork as SymmetrisedNetwork
from ._networks import default_network as default_network
from ._directory import fit as fit
from ._directory import load_run as load_run
from ._directory import train_run as train_run
from ._recipe import RECIPES as RECIPES
from ._recipe import Recipe as Recipe
from ._spec import RunSpec as RunSpec

__all__ = ["AbstractNetwork", "DeepONetNetwork", "MLPNetwork", "PeriodicMLP", "SymmetrisedNetwork", "default_network", "Assembly", "RECIPES", "Recipe", "References", "RunSpec", "TrainedRun", "assemble", "fit", "load_run",
           "train_run"]
