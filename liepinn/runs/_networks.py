r"""Networks of a run as strategy objects: which architecture `assemble` builds for a problem.

- `MLPNetwork()`: the recipe's MLP (`width` x `depth`, `activation`, optional Fourier
  features) on inputs normalised to $[-1, 1]^p$;
- `PeriodicMLP(harmonics)`: the same on exactly periodic input features
  $(\cos k\pi\bar x, \sin k\pi\bar x)_{k \le K}$ of the periodic variable, so $u_\theta$ is
  periodic by construction;
- `DeepONetNetwork(sensors, n_basis)`: the IC-conditioned physics-informed DeepONet for a
  family of initial conditions, $u(x, t; u_0) = \sum_k b_k(u_0(s_1..s_m))\, \tau_k(x, t)$, with
  the trunk on the embedding above.

`default_network(problem)` is what a spec without a network gets. The width and depth are the
recipe's (`Recipe.width`, `Recipe.depth`), so one recipe serves every architecture.
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

_NETWORKS: dict[str, type[AbstractNetwork]] = {}


@dataclasses.dataclass(frozen=True)
class AbstractNetwork:
    """An architecture: `check(problem)` (ValueError if it does not fit) and `build(...)`."""

    name: ClassVar[str]

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        if "name" in cls.__dict__:
            _NETWORKS[cls.name] = cls

    @abc.abstractmethod
    def check(self, problem, recipe) -> None:
        """ValueError when this network cannot represent `problem`'s solutions."""

    @abc.abstractmethod
    def build(self, problem, recipe, *, transform: Callable | None, float64: bool, key) -> Any:
        """A freshly initialised network (an equinox Module)."""

    def to_json(self) -> dict[str, Any]:
        return {"network": self.name, **dataclasses.asdict(self)}


def sensor_points(problem, m: int) -> np.ndarray:
    """The DeepONet branch sensors: m uniform points of the spatial interval (periodic: the
    right end left out)."""
    lo, hi = (float(b) for b in problem.domain[problem.space[0]])
    if problem.periodic:
        return lo + (hi - lo) * np.arange(m) / m
    return np.linspace(lo, hi, m)


def _embedding(problem, float64: bool, harmonics: int | None):
    from ..nn import Chain, Normalise, PeriodicEmbedding

    lo, hi = problem.bounds
    norm = Normalise(lo, hi, dtype="float64" if float64 else None)
    if harmonics is None:
        return norm
    # Normalise maps each period onto [-1, 1]; one embedding per periodic (space) variable, each
    # putting its 2K features first and passing the other coordinates through in order
    layers, columns = [norm], list(problem.independent)
    for var in problem.space:
        axis = columns.index(var)
        layers.append(PeriodicEmbedding(len(columns), axis=axis, period=2.0, n_harmonics=harmonics))
        columns = [None] * (2 * harmonics) + columns[:axis] + columns[axis + 1:]
    return Chain(*layers)


def _positive(name: str, v) -> None:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
        raise ValueError(f"{name} must be an int >= 1, got {v!r}")


@dataclasses.dataclass(frozen=True)
class MLPNetwork(AbstractNetwork):
    """The recipe's MLP on normalised inputs (with its Fourier features, if any)."""

    name: ClassVar[str] = "mlp"

    def check(self, problem, recipe) -> None:
        if problem.initial is None and problem.initial_family is not None:
            raise ValueError(f"problem {problem.name!r} has a family of initial conditions: use DeepONetNetwork()")

    def build(self, problem, recipe, *, transform, float64, key):
        lo, hi = problem.bounds
        p, q = len(problem.independent), len(problem.dependent)
        return recipe.model(p, q, lo, hi, transform=transform, key=key)


@dataclasses.dataclass(frozen=True)
class PeriodicMLP(AbstractNetwork):
    """An MLP on exactly periodic input features with `harmonics` harmonics."""

    harmonics: int = 4
    name: ClassVar[str] = "mlp-periodic"

    def __post_init__(self):
        _positive("harmonics", self.harmonics)

    def check(self, problem, recipe) -> None:
        MLPNetwork().check(problem, recipe)
        if not problem.periodic:
            raise ValueError(f"PeriodicMLP needs a periodic problem; {problem.name!r} is not periodic")
        if recipe.fourier_features:
            raise ValueError("fourier_features are not available with the exactly periodic network of "
                             f"{problem.name!r} (periodic boundary): use --fourier-features 0")

    def build(self, problem, recipe, *, transform, float64, key):
        import jax.random as jr

        from ..nn import MLP, HardConstraint

        p, q = len(problem.independent), len(problem.dependent)
        net = MLP(p, q, recipe.width, recipe.depth, activation=recipe.activation,
                  embedding=_embedding(problem, float64, self.harmonics), key=jr.fold_in(key, 1))
        return net if transform is None else HardConstraint(net, transform)


@dataclasses.dataclass(frozen=True)
class DeepONetNetwork(AbstractNetwork):
    """The IC-conditioned DeepONet: branch on the IC at `sensors` points, `n_basis` basis
    functions, trunk on (x, t) (exactly periodic features on periodic domains, `harmonics`)."""

    sensors: int = 64
    n_basis: int = 32
    harmonics: int = 4
    name: ClassVar[str] = "deeponet"

    def __post_init__(self):
        for f in ("sensors", "n_basis", "harmonics"):
            _positive(f, getattr(self, f))

    def check(self, problem, recipe) -> None:
        if problem.initial_family is None or problem.initial is not None:
            raise ValueError(f"DeepONetNetwork needs a problem with a family of initial conditions; "
                             f"{problem.name!r} has one initial condition")
        if len(problem.dependent) != 1:
            raise ValueError("the IC-conditioned DeepONet supports one dependent variable")

    def build(self, problem, recipe, *, transform, float64, key):
        import jax.random as jr

        from ..nn import DeepONet

        if transform is not None:
            raise ValueError("hard constraints need one initial condition; the DeepONet takes soft ones")
        p, q = len(problem.independent), len(problem.dependent)
        return DeepONet(sensor_points(problem, self.sensors), p, q, n_basis=self.n_basis, width=recipe.width,
                        depth=recipe.depth,
                        trunk_embedding=_embedding(problem, float64, self.harmonics if problem.periodic else None),
                        key=jr.fold_in(key, 1))


def default_network(problem) -> AbstractNetwork:
    """DeepONet for a family of initial conditions, else the exactly periodic MLP on periodic
    domains, else the MLP."""
    if problem.initial is None and problem.initial_family is not None:
        return DeepONetNetwork()
    return PeriodicMLP() if problem.periodic else MLPNetwork()


def network_names() -> tuple[str, ...]:
    return tuple(_NETWORKS)


def network_from_json(d) -> AbstractNetwork | None:
    """Inverse of `AbstractNetwork.to_json` (None, or a bare name, allowed)."""
    if d is None:
        return None
    d = {"network": d} if isinstance(d, str) else dict(d)
    cls = _NETWORKS.get(d.pop("network", None))
    if cls is None:
        raise ValueError(f"unknown network {d!r}; known: {sorted(_NETWORKS)}")
    return cls(**d)
