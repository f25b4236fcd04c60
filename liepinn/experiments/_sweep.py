"""Running a sweep: expand, skip what is stored, train the rest batch by batch, store at once.

Runs that differ only in their seed form a *group* and train together (vmapped over seeds
when the runner supports it); a group, cut into pieces of at most `max_vmap` seeds, gives
the *batches* a sweep trains. A batch is always trained with ALL its seeds, even when some
of them are already stored (possible only if a kill landed between two writes of one
batch): the vmapped program is then the same as in an uninterrupted sweep, so the resumed
runs get the same numbers, and only the missing ones are written.

Any number of sweeps, in processes on any hosts, may work on one results directory at once:
a worker claims a batch (a lease renewed while it trains, `liepinn.experiments._claims`)
before training it and skips batches others hold; a batch whose worker died is taken over
(at once on the same host, after the lease elsewhere). Each run is stored exactly once.
"""

from __future__ import annotations

import concurrent.futures as cf
import functools
import hashlib
import math
import os
import socket
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from ._executors import AbstractExecutor, LocalExecutor
from ._progress import SweepMeter
from ._spec import CostFn, RunConfig, Sweep
from ._store import ResultStore, RunRecord, versions

REQUIRED_METRICS = ("rel_l2", "wall_time_s", "converged")


@runtime_checkable
class Runner(Protocol):
    """Trains a group of runs that differ only in their seed.

    Returns one mapping of metrics per config, in the same order, with at least `rel_l2`
    (relative L2 error against the reference), `wall_time_s` and `converged`; optionally
    `model`, the trained equinox model, which the store keeps beside the run (`load_model`).
    """

    def __call__(self, configs: Sequence[RunConfig]) -> Sequence[Mapping[str, Any]]: ...


@dataclass(frozen=True)
class SweepOutcome:
    """What `run_sweep` did: every run of the sweep now stored, and how many it trained."""

    records: list[RunRecord]
    trained: int
    skipped: int
    directory: str
    corrupt: list[str] = field(default_factory=list)  # run files moved aside (then redone)


class SweepFailed(RuntimeError):
    """Some batches of a sweep failed (each noted in DIR/failed/); the others are stored."""

    def __init__(self, failed: Sequence[tuple[str, BaseException]], outcome: SweepOutcome):
        self.failed = list(failed)
        self.outcome = outcome
        lines = "; ".join(f"{label}: {type(e).__name__}: {e}" for label, e in self.failed[:3])
        more = f" (and {len(self.failed) - 3} more)" if len(self.failed) > 3 else ""
        super().__init__(f"{len(self.failed)} batch(es) failed, see {outcome.directory}/failed/: {lines}{more}")


def batch_name(configs: Sequence[RunConfig]) -> str:
    """The name of a batch (of its claim): a hash of its run keys."""
    return hashlib.sha256(",".join(sorted(c.key for c in configs)).encode()).hexdigest()[:24]


@dataclass(frozen=True)
class BatchOutcome:
    """What `train_batch` did with one batch."""

    name: str
    status: str  # "stored" (trained now or found stored) or "busy" (claimed by another worker)
    trained: int = 0
    errors: tuple[float, ...] = ()
    seconds: float = 0.0
    lost: bool = False  # the claim was taken over while training (a late worker)
    worker: str = ""


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


@functools.lru_cache(maxsize=4)
def _worker_runner(root: str) -> Runner:
    """The default runner of a worker process (one per results directory: references cached)."""
    from ._runner import TrainRunner

    return TrainRunner(cache_dir=os.path.join(root, "references"))


def train_batch(root: str, configs: Sequence[RunConfig], runner: Runner | None = None, *,
                lease: float | None = None, versions_: Mapping[str, str] | None = None,
                compilation_cache: str | None = None) -> BatchOutcome:
    """Claim the batch `configs` of the store at `root`, train it, store its missing runs.

    What a worker runs, in this process or on a cluster node. Returns status "busy" if another
    live worker holds the claim. A runner's exception is noted in DIR/failed/ and re-raised.
    """
    configs = list(configs)
    name = batch_name(configs)
    store = ResultStore(root)
    worker = f"{socket.gethostname()}:{os.getpid()}"
    claim = store.claims(lease=lease).claim(name, _describe(configs), [c.key for c in configs])
    if claim is None:
        return BatchOutcome(name, "busy", worker=worker)
    with claim:
        done = store.done_keys()
        if all(c.key in done for c in configs):
            return BatchOutcome(name, "stored", worker=worker)
        if compilation_cache is not None:
            enable_compilation_cache(compilation_cache)
        if runner is None:
            runner = _worker_runner(os.fspath(root))
        t0 = time.perf_counter()
        try:
            results = list(runner(configs))
            if len(results) != len(configs):
                raise RuntimeError(f"runner returned {len(results)} results for {len(configs)} runs")
            for c, r in zip(configs, results):
                missing = [m for m in REQUIRED_METRICS if m not in r]
                if missing:
                    raise RuntimeError(f"runner result for {c.label} seed {c.seed} lacks {missing}")
        except Exception as e:
            store.record_failure(name, configs, e)
            raise
        vers = versions_ if versions_ is not None else versions()
        trained, errs = 0, []
        for c, r in zip(configs, results):
            errs.append(float(r["rel_l2"]) if r["rel_l2"] is not None else math.nan)
            if c.key in done:
                continue
            try:
                store.write(c, r, versions_=vers)  # and its model, if any
            except FileExistsError:  # stored meanwhile by a worker that had lost its claim
                continue
            trained += 1
        store.clear_failure(name)
    return BatchOutcome(name, "stored", trained, tuple(errs), time.perf_counter() - t0, claim.lost, worker)


def check_group_arms(configs: Sequence[RunConfig]) -> None:
    """ValueError, before anything trains, for a group arm (`augment`, `equivariant`) that its
    problem cannot train: one initial condition, none of the default orbits admitted, or a
    hand-given orbit refused (`AbstractGroupVariant.actions`, as the run's assembly asks)."""
    from ..losses._group import AbstractGroupVariant
    from ..problems import load_problem

    seen = set()
    for c in configs:
        arm = (c.problem, c.variant, repr(c.variant_options))
        if arm in seen:
            continue
        seen.add(arm)
        loss = c.loss()
        if isinstance(loss, AbstractGroupVariant):
            loss.actions(load_problem(c.problem))


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
    executor: AbstractExecutor | None = None,
    lease: float | None = None,
    poll: float = 2.0,
    compilation_cache: str | os.PathLike | None = None,
) -> SweepOutcome:
    """Run every run of `sweep` not yet stored in `out`; store each batch as it finishes.

    **Arguments:**

    - `sweep`: a `Sweep` or an explicit list of `RunConfig`s.
    - `out`: the results directory (created; reused to resume; shareable by several sweeps
      at once, on several hosts when on a shared filesystem).
    - `runner`: trains one batch of seeds (default: `TrainRunner`, references cached in
      DIR/references).
    - `max_vmap`: at most this many seeds per vmapped batch (default: the whole group).
      Part of the numerics only through float reduction order; keep it fixed when resuming
      and across the sweeps sharing a directory.
    - `progress`: called with one line per event (None for silence).

    **Other arguments:**

    - `executor`: where batches train: `LocalExecutor()` (default, this process) or
      `RayExecutor(address=...)` (tasks on a Ray cluster; `runner` must then pickle).
    - `lease`: seconds a claim lives without a heartbeat (default 120; a batch of a worker
      on another host that died is redone after this).
    - `poll`: seconds between looks at the directory while others hold the remaining batches.
    - `compilation_cache`: JAX's persistent compilation cache for the workers.

    Run files that fail their checks (truncated, altered) are moved to DIR/corrupt/, reported
    and redone. Returns a `SweepOutcome` with the records of all the sweep's runs; raises
    `SweepFailed` after the others are done if the runner raised on some batches.
    """
    if max_vmap is not None and (isinstance(max_vmap, bool) or not isinstance(max_vmap, int) or max_vmap < 1):
        raise ValueError(f"max_vmap must be a positive int or None, got {max_vmap!r}")
    if executor is not None and not isinstance(executor, AbstractExecutor):
        raise TypeError(f"executor must be LocalExecutor() or RayExecutor(...), got {executor!r} "
                        f"({type(executor).__name__})")
    if isinstance(sweep, Sweep):
        configs = sweep.expand(cost_fn)
        spec = sweep.to_dict()
    else:
        configs = list(sweep)
        if not all(isinstance(c, RunConfig) for c in configs):
            raise TypeError("sweep must be a Sweep or a sequence of RunConfig")
        spec = {"runs": [c.to_dict() for c in configs]}
    executor = LocalExecutor() if executor is None else executor
    say = progress or (lambda msg: None)
    store = ResultStore(out)
    root = os.fspath(store.root)
    keys = [c.key for c in configs]
    if len(set(keys)) != len(keys):
        raise ValueError("the sweep lists the same run twice")
    check_group_arms(configs)
    wanted = set(keys)
    store.root.mkdir(parents=True, exist_ok=True)
    store.clean()
    moved = store.quarantine()
    for err in moved:
        say(f"sweep: CORRUPT run file moved to {err.path} ({err.reason}); its run is redone")
    store.write_spec(spec)
    store.write_plan(configs)
    claims = store.claims(lease=lease)
    done = store.done_keys()
    skipped = len(wanted & done)
    batches = [ch for g in group_configs(configs) for ch in _chunks(g, max_vmap)]
    pending = [b for b in batches if any(c.key not in done for c in b)]
    say(f"sweep: {len(configs)} runs, {skipped} already stored in {store.root}, "
        f"{len(configs) - skipped} to train in {len(pending)} batches ({executor!r})")
    vers = versions() if pending else {}
    meter = SweepMeter(len(configs), skipped)
    in_flight: dict[cf.Future, list[RunConfig]] = {}
    failed: list[tuple[str, BaseException]] = []
    trained = 0
    cache = None if compilation_cache is None else os.fspath(compilation_cache)
    names = {batch_name(b): b for b in batches}

    def refresh():
        stored_now = store.done_keys()
        running = sum(len(names[lease_.name]) for lease_ in claims.all()
                      if lease_.name in names and not lease_.dead())
        meter.update(stored=len(wanted & stored_now), running=running,
                     failed=sum(len(b) for b in failed_batches))
        return stored_now

    failed_batches: list[list[RunConfig]] = []
    with executor:
        while pending or in_flight:
            done = refresh()
            waiting = []
            for b in pending:
                if all(c.key in done for c in b):
                    continue
                held = claims.read(batch_name(b))
                full = executor.max_in_flight is not None and len(in_flight) >= executor.max_in_flight
                if full or (held is not None and not held.dead()):
                    waiting.append(b)
                    continue
                meter.running += len(b)  # claimed when it starts; counted now
                say(f"{meter} {_describe(b)} ...")
                in_flight[executor.submit(train_batch, root, b, runner, lease=lease, versions_=vers,
                                          compilation_cache=cache)] = b
            pending = waiting
            if not in_flight:
                if pending:
                    time.sleep(poll)  # every remaining batch is held by another worker
                continue
            finished, _ = cf.wait(in_flight, timeout=poll, return_when=cf.FIRST_COMPLETED)
            for fut in finished:
                b = in_flight.pop(fut)
                try:
                    res = fut.result()
                except Exception as e:  # noqa: BLE001 - a failed batch does not stop the others
                    if executor.worker_lost(e):
                        say(f"{meter} worker lost ({type(e).__name__}); {_describe(b)} resubmitted")
                        pending.append(b)
                        continue
                    failed.append((_describe(b), e))
                    failed_batches.append(b)
                    refresh()
                    say(f"{meter} FAILED {_describe(b)}: {type(e).__name__}: {e}")
                    continue
                if res.status == "busy":
                    pending.append(b)
                    continue
                trained += res.trained
                refresh()
                if res.trained or res.errors:
                    late = " (claim lost meanwhile)" if res.lost else ""
                    say(f"{meter} {_describe(b)}: rel L2 {_fmt_errors(res.errors)} ({res.seconds:.1f} s on "
                        f"{res.worker}){late}")
    refresh()
    say(f"{meter} sweep done: {trained} runs trained by this sweep")
    outcome = SweepOutcome(records=store.records(wanted), trained=trained, skipped=skipped,
                           directory=str(store.root), corrupt=[str(e.path) for e in moved])
    if failed:
        raise SweepFailed(failed, outcome) from failed[0][1]
    return outcome


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
