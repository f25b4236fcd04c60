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
    "JetSpace": "._jet",
    "PDE": "._pde",
    "PDEInputError": "._parse",
    "parse_expression": "._parse",
    "parse_value": "._parse",
    # symmetry engine
    "Generator": ".symmetry",
    "SymmetryAlgebra": ".symmetry",
    "symmetries": ".symmetry",
    "determining_equations": ".symmetry",
    # catalogue of problems in pdes/
    "load_entry": "._catalogue",
    "list_entries": "._catalogue",
    # numeric layer (JAX)
    "lower": ".codegen",
    "Lowered": ".codegen",
    # derivative engine (issue 5)
    "derivatives": ".derivatives",
    "Box": ".derivatives",
    "AbstractStrategy": ".derivatives",
    "NestedReverse": ".derivatives",
    "Forward": ".derivatives",
    "Taylor": ".derivatives",
    "MultiTaylor": ".derivatives",
    "DEFAULT_STRATEGY": ".derivatives",
    # losses (issue 5); the degeneracy report is symbolic (no JAX)
    "PINNLoss": "._losses",
    "dirichlet_loss": "._losses",
    "initial_loss": "._losses",
    "neumann_loss": "._losses",
    "periodic_loss": "._losses",
    "degeneracy": ".symmetry._degeneracy",
    "Degeneracy": ".symmetry._degeneracy",
    # problems (issue 6, part 1): sympy + numpy only
    "Problem": "._problem",
    "Periodic": "._problem",
    "Dirichlet": "._problem",
    "Neumann": "._problem",
    "SineSeries": "._problem",
    # reference solutions (issue 4)
    "solve_reference": "._reference._solve",
    "Reference": "._reference._result",
    "load_mat": "._reference._result",
    "Fourier": "._reference._grid",
    "Chebyshev": "._reference._grid",
    # training directories of `liepinn train` (issue 6, evaluation + command line)
    "load_run": "._rundir",
    "TrainedRun": "._rundir",
    "RunSettings": "._rundir",
    # sample-efficiency experiments (issue 7): sweeps, result store, reports
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
