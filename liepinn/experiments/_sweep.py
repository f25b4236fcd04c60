"""Running a sweep: expand, skip what is stored, train the rest group by group, store at once.

Runs that differ only in their seed form a *group* and train together (vmapped over seeds
when the runner supports it). A group is always trained with ALL its seeds, even when some
of them are already stored (possible only if a kill landed between two writes of one group):
the vmapped program is then the same as in an uninterrupted sweep, so the resumed runs get
the same numbers, and only the missing ones are written.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from ._spec import CostFn, RunConfig, Sweep
from ._store import ResultStore, RunRecord, versions

REQUIRED_METRICS = ("rel_l2", "wall_time_s", "converged")


@runtime_checkable
class Runner(Protocol):
    """Trains a group of runs that differ only in their seed.

    Returns one mapping of metrics per config, in the same order, with at least `rel_l2`
    (relative L2 error against the reference), `wall_time_s` and `converged`.
    """

    def __call__(self, configs: Sequence[RunConfig]) -> Sequence[Mapping[str, Any]]: ...


@dataclass(frozen=True)
class SweepOutcome:
    """What `run_sweep` did: every run of the sweep now stored, and how many it trained."""

    records: list[RunRecord]
    trained: int
    skipped: int
    directory: str


def group_configs(configs: Sequence[RunConfig]) -> list[list[RunConfig]]:
    """Split runs into groups differing only by seed, keeping first-appearance order."""
    groups: dict[str, list[RunConfig]] = {}
    for c in configs:
        groups.setdefault(c.group, []).append(c)
    return [sorted(g, key=lambda c: c.seed) for g in groups.values()]


def _chunks(group: list[RunConfig], size: int | None) -> list[list[RunConfig]]:
    if size is None or size >= len(group):
        return [group]
    return [group[i : i + size] for i in range(0, len(group), size)]


def enable_compilation_cache(path: str | os.PathLike) -> None:
    """Keep XLA's compiled programs in `path` (JAX's persistent compilation cache).

    A resumed or repeated sweep then skips most compilation, which dominates short runs on
    CPU. The cached program is the same program, so the numbers do not change. Global JAX
    setting: call it before the first compilation (the command line does).
    """
    import jax

    os.makedirs(path, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", os.fspath(path))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)


def _default_progress(msg: str) -> None:
    print(msg, file=sys.stdout, flush=True)


def _describe(chunk: Sequence[RunConfig]) -> str:
    c = chunk[0]
    seeds = [x.seed for x in chunk]
    seed_txt = f"seed {seeds[0]}" if len(seeds) == 1 else f"seeds {seeds[0]}..{seeds[-1]}"
    ics = f" n_ics={c.n_ics}" if c.n_ics is not None else ""
    pts = f"n={c.samples}" + (f" (uses {c.n_collocation})" if c.n_collocation != c.samples else "")
    steps = f" steps={c.steps}" if c.match == "steps" else ""
    return f"{c.problem} {pts}{ics} {c.label}{steps} {seed_txt}"


def run_sweep(
    sweep: Sweep | Sequence[RunConfig],
    out: str | os.PathLike,
    *,
    runner: Runner | None = None,
    max_vmap: int | None = None,
    cost_fn: CostFn | None = None,
    progress: Callable[[str], None] | None = _default_progress,
) -> SweepOutcome:
    """Run every run of `sweep` not yet stored in `out`; store each group as it finishes.

    **Arguments:**

    - `sweep`: a `Sweep` or an explicit list of `RunConfig`s.
    - `out`: the results directory (created; reused to resume).
    - `runner`: trains one group of seeds (default: `TrainRunner`, references cached in
      DIR/references).
    - `max_vmap`: at most this many seeds per vmapped batch (default: the whole group).
      Part of the numerics only through float reduction order; keep it fixed when resuming.
    - `progress`: called with one line per group (None for silence).

    Returns a `SweepOutcome` with the records of all the sweep's runs.
    """
    if max_vmap is not None and (isinstance(max_vmap, bool) or not isinstance(max_vmap, int) or max_vmap < 1):
        raise ValueError(f"max_vmap must be a positive int or None, got {max_vmap!r}")
    if isinstance(sweep, Sweep):
        configs = sweep.expand(cost_fn)
        spec = sweep.to_dict()
    else:
        configs = list(sweep)
        if not all(isinstance(c, RunConfig) for c in configs):
            raise TypeError("sweep must be a Sweep or a sequence of RunConfig")
        spec = {"runs": [c.to_dict() for c in configs]}
    if runner is None:
        from ._runner import TrainRunner

        runner = TrainRunner(cache_dir=os.path.join(os.fspath(out), "references"))
    say = progress or (lambda msg: None)
    store = ResultStore(out)
    keys = [c.key for c in configs]
    if len(set(keys)) != len(keys):
        raise ValueError("the sweep lists the same run twice")
    with store.lock():
        store.clean()
        store.write_spec(spec)
        done = store.done_keys()
        todo = [g for g in group_configs(configs) if any(c.key not in done for c in g)]
        skipped = sum(c.key in done for c in configs)
        chunks = [ch for g in todo for ch in _chunks(g, max_vmap)]
        chunks = [ch for ch in chunks if any(c.key not in done for c in ch)]
        n_missing = sum(c.key not in done for c in configs)
        say(f"sweep: {len(configs)} runs, {skipped} already stored in {store.root}, "
            f"{n_missing} to train in {len(chunks)} batches")
        vers = versions() if chunks else {}
        trained = 0
        for i, chunk in enumerate(chunks, 1):
            say(f"[{i}/{len(chunks)}] {_describe(chunk)} ...")
            t0 = time.perf_counter()
            results = list(runner(chunk))
            if len(results) != len(chunk):
                raise RuntimeError(f"runner returned {len(results)} results for {len(chunk)} runs")
            errs = []
            for c, r in zip(chunk, results):
                missing = [m for m in REQUIRED_METRICS if m not in r]
                if missing:
                    raise RuntimeError(f"runner result for {c.label} seed {c.seed} lacks {missing}")
                errs.append(float(r["rel_l2"]) if r["rel_l2"] is not None else math.nan)
                if c.key in done:
                    continue
                store.write(c, r, versions_=vers)
                done.add(c.key)
                trained += 1
            say(f"[{i}/{len(chunks)}]   rel L2 {_fmt_errors(errs)}  ({time.perf_counter() - t0:.1f} s)")
        records = store.records(set(keys))
    return SweepOutcome(records=records, trained=trained, skipped=skipped, directory=str(store.root))


def _fmt_errors(errs: Sequence[float]) -> str:
    finite = [e for e in errs if math.isfinite(e)]
    if not finite:
        return "nan (diverged)"
    if len(errs) == 1:
        return f"{errs[0]:.3g}"
    m = sum(finite) / len(finite)
    s = math.sqrt(sum((e - m) ** 2 for e in finite) / max(1, len(finite) - 1))
    extra = f", {len(errs) - len(finite)} non-finite" if len(finite) < len(errs) else ""
    return f"{m:.3g} +- {s:.2g} over {len(finite)} seeds{extra}"
