"""Reloading the trained model of a stored sweep run (`load_model`)."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path
from typing import Any

from ._store import CorruptRunError, ResultStore, RunRecord

__all__ = ["load_model"]


def _record(store: ResultStore, run: str | RunRecord) -> RunRecord:
    if isinstance(run, RunRecord):
        return run
    if not isinstance(run, str):
        raise TypeError(f"run must be a run key (str) or a RunRecord, got {type(run).__name__}")
    key = Path(run).stem if run.endswith(".json") else run
    if key not in store:
        raise FileNotFoundError(f"no run {key!r} stored in {str(store.root)!r} (keys are the names of "
                                f"{str(store.runs_dir)!r}/*.json)")
    return store.read(key)


def load_model(store: str | os.PathLike | ResultStore, run: str | RunRecord, *, problem: Any = None):
    """The trained model of a stored sweep run, as a `liepinn.TrainedRun`.

    **Arguments:**

    - `store`: the results directory (or its `ResultStore`).
    - `run`: the run's key (the name of `DIR/runs/<key>.json`, with or without `.json`) or
      its `RunRecord` (from `ResultStore.records()` or `SweepOutcome.records`).
    - `problem`: the `liepinn.Problem` the sweep trained, when it is not one of `pdes/` (a
      user's own problem, in a new process); it must be the same definition (fingerprint).

    The network is rebuilt from the run's config (`RunConfig.spec()`) and loaded from the
    model file its record names, whose SHA-256 is checked (`CorruptRunError` on a
    mismatch). `TrainedRun.predict(x, t)` and `.at(points)` evaluate it; `.metrics` is the
    stored result. An IC-conditioned run's model is the DeepONet: evaluate
    `run.model.condition(branch)` for the IC sampled at its sensors. Runs stored before sweeps
    kept their models have none (ValueError).
    """
    from ..runs._assemble import assemble, load_problem
    from ..runs._directory import TrainedRun, adopt_problem, restore_model

    store = store if isinstance(store, ResultStore) else ResultStore(store)
    rec = _record(store, run)
    config = rec.config
    info = rec.result.get("model_file")
    if not info:
        why = ("it diverged" if rec.result.get("diverged") else
               "it was stored before sweeps kept their models, or by a runner that returns none")
        raise ValueError(f"run {rec.key} ({config.label}, seed {config.seed}) in {str(store.root)!r} has no "
                         f"stored model: {why}")
    if problem is not None:
        adopt_problem(problem, config.problem, f"run {rec.key}")
    path = store.model_path(info)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(f"run {rec.key}: its model file {str(path)!r} is missing") from None
    if hashlib.sha256(data).hexdigest() != info["sha256"]:
        raise CorruptRunError(path, "model file does not match the SHA-256 in its run record")
    spec = config.spec()
    assembly = assemble(load_problem(spec.problem), spec)
    model = restore_model(assembly, spec.seeds, info.get("dtypes"), io.BytesIO(data),
                          where=f"run {rec.key}'s record")
    return TrainedRun(store.root, spec, assembly, assembly.problem, model, dict(rec.result))
