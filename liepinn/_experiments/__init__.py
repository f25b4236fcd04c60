"""Implementation of `liepinn.experiments` (sweeps, result store, reports)."""
