"""Ready problems for liepinn, one module per equation.

Each module defines at least `pde` (a `liepinn.PDE`, parameters symbolic) and, where the
symmetry algebra is known, `literature` (dimension, generators, superposition, reference);
problem modules add `problem` (domain, initial/boundary conditions, parameter values).
`data/symmetry-catalogue.json` holds further equations with known algebras.
Use `liepinn.load_entry(name)` / `liepinn.list_entries()` rather than importing directly.
"""
