"""Networks: MLP, embeddings (Fourier features, exact periodicity, box normalisation),
IC-conditioned DeepONet, hard-constraint output transforms.

Implementation in :mod:`liepinn._nn`.
"""

from ._nn import Chain as Chain
from ._nn import ConditionedDeepONet as ConditionedDeepONet
from ._nn import Constant as Constant
from ._nn import DeepONet as DeepONet
from ._nn import FourierFeatures as FourierFeatures
from ._nn import HardConstraint as HardConstraint
from ._nn import MLP as MLP
from ._nn import Normalise as Normalise
from ._nn import PeriodicEmbedding as PeriodicEmbedding
from ._nn import trainable as trainable

__all__ = [
    "Chain", "ConditionedDeepONet", "Constant", "DeepONet", "FourierFeatures",
    "HardConstraint", "MLP", "Normalise", "PeriodicEmbedding", "trainable",
]
