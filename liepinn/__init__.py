"""liepinn: physics-informed neural networks that know the Lie point symmetries of their PDE.

Public names are re-exported lazily so that symbolic work (`liepinn.PDE`,
`liepinn.symmetries`) never pays for importing JAX.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# public name -> private module that defines it
_EXPORTS: dict[str, str] = {
    # symbolic layer (sympy only)
    "JetSpace": ".symbolic",
    "PDE": ".symbolic",
    "PDEInputError": ".symbolic",
    "parse_expression": ".symbolic",
    "parse_value": ".symbolic",
    # symmetry engine
    "Generator": ".symmetry",
    "SymmetryAlgebra": ".symmetry",
    "symmetries": ".symmetry",
    "determining_equations": ".symmetry",
    "conservation_laws": ".symmetry",
    "ConservationLaws": ".symmetry",
    "generalized_symmetries": ".symmetry",
    "GeneralizedSymmetries": ".symmetry",
    # catalogue of problems in pdes/
    "load_entry": ".problems",
    "list_entries": ".problems",
    # numeric layer (JAX)
    "lower": ".losses",
    "Lowered": ".losses",
  
    "derivatives": ".derivatives",
    "Box": ".derivatives",
    "AbstractStrategy": ".derivatives",
    "NestedReverse": ".derivatives",
    "Forward": ".derivatives",
    "Taylor": ".derivatives",
    "MultiTaylor": ".derivatives",
    "DEFAULT_STRATEGY": ".derivatives",
  
    "PINNLoss": ".losses",
    "dirichlet_loss": ".losses",
    "initial_loss": ".losses",
    "neumann_loss": ".losses",
    "periodic_loss": ".losses",
    "degeneracy": ".losses",
    "Degeneracy": ".losses",
  
    "Problem": ".problems",
    "Periodic": ".problems",
    "Dirichlet": ".problems",
    "Neumann": ".problems",
    "SineSeries": ".problems",
  
    "solve_reference": ".reference",
    "Reference": ".reference",
    "load_mat": ".reference",
    "Fourier": ".reference",
    "Chebyshev": ".reference",
  
    "load_run": ".runs",
    "TrainedRun": ".runs",
    "RunSpec": ".runs",
    "Recipe": ".runs",
    "assemble": ".runs",
    "train_run": ".runs",
  
    "Sweep": ".experiments",
    "RunConfig": ".experiments",
    "RunRecord": ".experiments",
    "ResultStore": ".experiments",
    "run_sweep": ".experiments",
    "write_report": ".experiments",
    "TrainRunner": ".experiments",
}


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'liepinn' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(list(globals()) + list(_EXPORTS))


__all__ = sorted(_EXPORTS)
