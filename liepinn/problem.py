"""Problems: PDE + domain + initial/boundary conditions + parameter values."""

from ._problem import AbstractBoundary as AbstractBoundary
from ._problem import AbstractInitialFamily as AbstractInitialFamily
from ._problem import Bounds as Bounds
from ._problem import Dirichlet as Dirichlet
from ._problem import Neumann as Neumann
from ._problem import Periodic as Periodic
from ._problem import Problem as Problem
from ._problem import SineSeries as SineSeries
