"""The symbolic layer: jet space, the PDE text parser (no `eval`) and the PDE system.

sympy only, never JAX.
"""

from ._jet import JetSpace as JetSpace, MultiIndex as MultiIndex
from ._parse import KNOWN_FUNCTIONS as KNOWN_FUNCTIONS
from ._parse import PDEInputError as PDEInputError
from ._parse import parse_expression as parse_expression
from ._parse import parse_value as parse_value
from ._pde import PDE as PDE

__all__ = ["KNOWN_FUNCTIONS", "JetSpace", "MultiIndex", "PDE", "PDEInputError", "parse_expression",
           "parse_value"]
