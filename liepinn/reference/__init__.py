"""Reference solutions by the method of lines in diffrax, and the external PINN data files.

    ref = solve_reference(problem, nx=256, nt=100)     # Fourier / Chebyshev + diffrax
    solve_reference(problem2d, nx=64)                  # tensor-product grids in d dimensions
    ref.save("ref.npz"); Reference.load("ref.npz")
    ref.sample(x, t)                                   # spectral in x, Lagrange in t
    load_mat("burgers_shock.mat").errors(ref)          # relative L2 per field
"""

from ._grid import AbstractDiscretisation as AbstractDiscretisation
from ._grid import Chebyshev as Chebyshev
from ._grid import Fourier as Fourier
from ._progress import SlowReferenceWarning as SlowReferenceWarning
from ._result import Reference as Reference
from ._result import load_mat as load_mat
from ._solve import output_axes as output_axes
from ._solve import output_grid as output_grid
from ._solve import solve_reference as solve_reference

__all__ = ["AbstractDiscretisation", "Chebyshev", "Fourier", "Reference", "SlowReferenceWarning", "load_mat",
           "output_axes", "output_grid", "solve_reference"]
