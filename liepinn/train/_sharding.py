r"""How a training run is laid out over devices: strategies for `train(..., sharding=...)`
and `train_seeds(..., sharding=...)`.

Both place the run's arrays with a `jax.sharding.NamedSharding` before each compiled chunk
and let `jit` partition the program (GSPMD): the computation is the same, only where its
pieces run changes, so a sharded run matches the unsharded one up to float reduction order.

- `SeedSharding()`: the seed axis of `train_seeds` over the devices (data, parameters and
  optimiser state of seed $k$ on one device; the default of `train_seeds`).
- `PointSharding()`: data parallelism: the collocation points (every `Collocation` set) and
  the IC batches (the data entries named in `batched`, e.g. the branch inputs of operator
  training) are split over the devices along their point axis; parameters and optimiser
  state are replicated, and the gradient of the mean loss is reduced across devices by the
  all-reduce XLA inserts. With `seeds=s` (in `train_seeds`), a 2-D mesh: seeds over `s`
  devices, points over the other ``n / s``.

Several hosts: start every process with `jax.distributed.initialize(coordinator_address=
"HOST:PORT", num_processes=P, process_id=i)` before any other JAX computation (on CPU, first
`jax.config.update("jax_cpu_collectives_implementation", "gloo")`); `jax.devices()` then lists
the devices of all hosts and the same strategies span them: every process runs the same
program, with the same arguments, on its addressable shards (`tests/test_distributed.py`: two
processes on localhost give the history of one process to 1e-6).
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import Any

import equinox as eqx
import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

__all__ = ["AbstractSharding", "PointSharding", "SeedSharding"]


class AbstractSharding(eqx.Module):
    """Places a run's parameters and data on devices (see the module docstring)."""

    @abc.abstractmethod
    def place_params(self, tree: Any, n_seeds: int | None) -> Any:
        """Place the parameters / optimiser state (`n_seeds`: the leading seed axis, None for one run)."""

    @abc.abstractmethod
    def place_data(self, leaves: Sequence[Any], names: Sequence[str | None], collocation: Sequence[bool],
                   n_seeds: int | None) -> list[Any]:
        """Place the data leaves: `names[i]` is the key of leaf i in the data (None if not in a
        dict), `collocation[i]` whether it is a collocation set (points after the seed axis)."""


def _devices(devices):
    return list(jax.devices() if devices is None else devices)


def _put(tree, sharding):
    return jax.tree.map(lambda x: jax.device_put(x, sharding) if eqx.is_array(x) else x, tree)


class SeedSharding(AbstractSharding):
    """The seed axis over `devices` (default: all devices; the largest number of them that
    divides the number of seeds). A single run stays on the default device."""

    devices: tuple | None = eqx.field(static=True, default=None)

    def _sharding(self, n_seeds):
        if n_seeds is None:
            return None
        devices = _devices(self.devices)
        n_dev = max(d for d in range(1, len(devices) + 1) if n_seeds % d == 0)
        if n_dev == 1:
            return None
        return NamedSharding(Mesh(np.asarray(devices[:n_dev]), ("seeds",)), P("seeds"))

    def place_params(self, tree, n_seeds):
        s = self._sharding(n_seeds)
        return tree if s is None else _put(tree, s)

    def place_data(self, leaves, names, collocation, n_seeds):
        s = self._sharding(n_seeds)
        return list(leaves) if s is None else [_put(x, s) for x in leaves]


class PointSharding(AbstractSharding):
    """Collocation points and IC batches over `devices`, parameters replicated.

    **Arguments:**
    - `devices`: the devices (default: all, `jax.devices()`, across hosts after
      `jax.distributed.initialize`).
    - `seeds`: devices along the seed axis of `train_seeds` (a 2-D mesh seeds x points);
      must divide the number of devices and of seeds.
    - `batched`: names of data entries (dict keys) whose leading axis is a batch to split
      too, besides the `Collocation` sets (default: the IC batches of operator training).

    A leaf whose point axis the number of point devices does not divide is replicated.
    Over several hosts: the same call in every process after `jax.distributed.initialize`
    (module docstring).
    """

    devices: tuple | None = eqx.field(static=True, default=None)
    seeds: int = eqx.field(static=True, default=1)
    batched: tuple[str, ...] = eqx.field(static=True, default=("branch", "ic_values"))

    def __check_init__(self):
        if isinstance(self.seeds, bool) or not isinstance(self.seeds, int) or self.seeds < 1:
            raise ValueError(f"seeds must be a positive int, got {self.seeds!r} ({type(self.seeds).__name__})")
        n = len(_devices(self.devices))
        if n % self.seeds:
            raise ValueError(f"seeds={self.seeds} does not divide the {n} devices")

    def mesh(self) -> Mesh:
        devices = _devices(self.devices)
        return Mesh(np.asarray(devices).reshape(self.seeds, len(devices) // self.seeds), ("seeds", "points"))

    def _seed_axis(self, n_seeds):
        if n_seeds is None or self.seeds == 1:
            return None
        if n_seeds % self.seeds:
            raise ValueError(f"PointSharding(seeds={self.seeds}) does not divide the {n_seeds} seeds")
        return "seeds"

    def place_params(self, tree, n_seeds):
        axis = self._seed_axis(n_seeds)
        return _put(tree, NamedSharding(self.mesh(), P() if axis is None else P(axis)))

    def place_data(self, leaves, names, collocation, n_seeds):
        mesh = self.mesh()
        seed = self._seed_axis(n_seeds)
        n_points = mesh.shape["points"]
        axis = 0 if n_seeds is None else 1  # the point axis follows the seed axis
        out = []
        for x, name, colloc in zip(leaves, names, collocation):
            b = colloc or name in self.batched
            if not eqx.is_array(x):
                out.append(x)
                continue
            split = b and x.ndim > axis and x.shape[axis] % n_points == 0
            spec = (seed,) * (n_seeds is not None and x.ndim > 0) + (("points",) if split else ())
            out.append(jax.device_put(x, NamedSharding(mesh, P(*spec))))
        return out
