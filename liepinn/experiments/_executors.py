"""Where a sweep's batches train: in this process (`LocalExecutor`) or as tasks on a Ray
cluster (`RayExecutor`).

An executor only runs `train_batch` calls and hands back futures; the results directory (on
a filesystem every worker sees) stays the single source of truth: workers claim a batch
before training it and store each run themselves (`liepinn.experiments._claims`), so the
driver can die, several drivers can share a store, and a batch whose worker died is redone.
"""

from __future__ import annotations

import abc
import concurrent.futures as cf
from collections.abc import Callable
from typing import Any

INSTALL_RAY = "Ray is not installed; install the cluster extra: pip install 'liepinn[cluster]' (or pip install ray)"


class AbstractExecutor(abc.ABC):
    """Runs batches of a sweep. `max_in_flight`: batches submitted at once (None: all)."""

    max_in_flight: int | None = 1

    def __enter__(self) -> AbstractExecutor:
        return self

    def __exit__(self, *exc) -> None:
        pass

    @abc.abstractmethod
    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> cf.Future:
        """Start `fn(*args, **kwargs)`; its future."""

    def worker_lost(self, error: BaseException) -> bool:
        """Whether `error` says the worker died (the batch is resubmitted) rather than that
        the batch itself failed."""
        return False


class LocalExecutor(AbstractExecutor):
    """Trains each batch in this process, one at a time (the default)."""

    max_in_flight = 1

    def submit(self, fn, *args, **kwargs):
        fut: cf.Future = cf.Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except Exception as e:  # noqa: BLE001 - handed to the driver through the future
            fut.set_exception(e)
        return fut

    def __repr__(self) -> str:
        return "LocalExecutor()"


class RayExecutor(AbstractExecutor):
    """Sends each batch to a Ray cluster as a task.

    **Arguments:**
    - `address`: the cluster (`"HOST:PORT"`, `"auto"`: the one `ray start` made here;
      None: a local cluster started for this sweep and stopped after it).
    - `num_gpus`: GPUs per task (None: 1 when the cluster has GPUs, else 0).
    - `num_cpus`: CPUs per task.
    - `max_retries`: resubmissions of a task whose worker died (Ray's own retry).
    - `init`: further keyword arguments of `ray.init` (e.g. `num_cpus` of a local cluster).

    The results directory must be on a filesystem all the cluster's nodes share.
    """

    max_in_flight = None

    def __init__(self, address: str | None = None, *, num_gpus: float | None = None, num_cpus: float = 1,
                 max_retries: int = 3, init: dict[str, Any] | None = None):
        self.address = address
        self.num_gpus = num_gpus
        self.num_cpus = num_cpus
        self.max_retries = max_retries
        self.init = dict(init or {})
        self._started = False
        self._remote = None
        self._tasks: dict[Any, Any] = {}

    @staticmethod
    def _ray():
        try:
            import ray
        except ImportError:
            raise ImportError(INSTALL_RAY) from None
        return ray

    def __enter__(self) -> RayExecutor:
        ray = self._ray()
        if not ray.is_initialized():
            ray.init(address=self.address, log_to_driver=False, **self.init)
            self._started = True
        gpus = self.num_gpus
        if gpus is None:
            gpus = 1 if ray.cluster_resources().get("GPU", 0) > 0 else 0
        self._remote = ray.remote(num_cpus=self.num_cpus, num_gpus=gpus, max_retries=self.max_retries)
        return self

    def __exit__(self, *exc) -> None:
        if self._started:
            self._ray().shutdown()
            self._started = False

    def submit(self, fn, *args, **kwargs):
        if self._remote is None:
            raise RuntimeError("use the RayExecutor as a context manager (run_sweep does)")
        if fn not in self._tasks:
            self._tasks[fn] = self._remote(fn)
        return self._tasks[fn].remote(*args, **kwargs).future()

    def worker_lost(self, error):
        from ray import exceptions as rx

        lost = tuple(getattr(rx, n) for n in ("WorkerCrashedError", "NodeDiedError", "LocalRayletDiedError",
                                              "OwnerDiedError") if hasattr(rx, n))
        return isinstance(error, lost)

    def __repr__(self) -> str:
        return f"RayExecutor(address={self.address!r})"


__all__ = ["AbstractExecutor", "INSTALL_RAY", "LocalExecutor", "RayExecutor"]
