"""Public re-export of the jet space."""
from ._jet import JetSpace as JetSpace, MultiIndex as MultiIndex
