"""Public re-export of the PDE system and its parser."""
from ._parse import PDEInputError as PDEInputError, parse_expression as parse_expression, parse_value as parse_value
from ._pde import PDE as PDE
