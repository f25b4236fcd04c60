"""Networks: MLP, embeddings (Fourier features, exact periodicity, box normalisation),
IC-conditioned DeepONet, hard-constraint output transforms, symmetrised (invariant) networks.

Implementation in `liepinn.nn._networks`.
"""

from ._networks import Chain as Chain
from ._networks import ConditionedDeepONet as ConditionedDeepONet
from ._networks import Constant as Constant
from ._networks import DeepONet as DeepONet
from ._networks import FourierFeatures as FourierFeatures
from ._networks import HardConstraint as HardConstraint
from ._networks import MLP as MLP
from ._networks import Normalise as Normalise
from ._networks import PeriodicEmbedding as PeriodicEmbedding
from ._networks import trainable as trainable
from ._symmetrised import Symmetrised as Symmetrised

__all__ = [
    "Chain", "ConditionedDeepONet", "Constant", "DeepONet", "FourierFeatures",
    "HardConstraint", "MLP", "Normalise", "PeriodicEmbedding", "Symmetrised", "trainable",
]
