r"""Networks of a run as strategy objects: which architecture `assemble` builds for a problem.

- `MLPNetwork()`: the recipe's MLP (`width` x `depth`, `activation`, optional Fourier
  features) on inputs normalised to $[-1, 1]^p$;
- `PeriodicMLP(harmonics)`: the same on exactly periodic input features
  $(\cos k\pi\bar x, \sin k\pi\bar x)_{k \le K}$ of the periodic variable, so $u_\theta$ is
  periodic by construction;
- `DeepONetNetwork(sensors, n_basis)`: the IC-conditioned physics-informed DeepONet for a
  family of initial conditions, $u(x, t; u_0) = \sum_k b_k(u_0(s_1..s_m))\, \tau_k(x, t)$, with
  the trunk on the embedding above;
- `SymmetrisedNetwork(images, base)`: `base` made exactly invariant under a discrete
  symmetry of the problem, $(N + g\cdot N)/2$ (`liepinn.nn.Symmetrised`).

`default_network(problem)` is what a spec without a network gets. The width and depth are the
recipe's (`Recipe.width`, `Recipe.depth`), so one recipe serves every architecture.
"""

from __future__ import annotations

import abc
import dataclasses
import math
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
    right end left out); in d space dimensions the tensor grid of ceil(m^(1/d)) such points
    per axis, (n, d) with the first variable slowest."""
    axes = []
    d = len(problem.space)
    k = m if d == 1 else max(2, int(math.ceil(m ** (1.0 / d) - 1e-9)))
    for var in problem.space:
        lo, hi = (float(b) for b in problem.domain[var])
        axes.append(lo + (hi - lo) * np.arange(k) / k if problem.periodic else np.linspace(lo, hi, k))
    if d == 1:
        return axes[0]
    mesh = np.meshgrid(*axes, indexing="ij")
    return np.stack([g.ravel() for g in mesh], axis=1)


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


def _involution(problem, images):
    """The `FiniteTransformation` of `images` after checking that it is an involution acting
    affinely on u, fixing t, that leaves the PDE, the domain, the IC and the Dirichlet data
    invariant (ValueError naming what fails)."""
    import sympy as sp

    from ..problems import Dirichlet, Periodic
    from ..symmetry import FiniteTransformation

    label = ", ".join(f"{k} -> {v}" for k, v in images)
    try:
        g = FiniteTransformation(dict(images), problem.pde.jet, (), label=label)
    except (ValueError, sp.SympifyError) as e:
        raise ValueError(f"symmetrised network: {e}") from None
    jet = problem.pde.jet
    t = jet.independent[problem.time_index]
    if sp.simplify(g.images[t] - t) != 0:
        raise ValueError(f"symmetrised network: {label} moves time ({t} -> {g.images[t]}); only maps fixing t")
    if g.points_depend_on_u:
        raise ValueError(f"symmetrised network: {label} moves the independent variables depending on u")
    if any(sp.diff(g.images[u], v, 2) != 0 for u in jet.dependent for v in jet.dependent):
        raise ValueError(f"symmetrised network: {label} does not act affinely on u (the average would not be invariant)")
    if not (g @ g).is_identity():
        raise ValueError(f"symmetrised network: {label} is not an involution (g(g(z)) != z)")
    if not g.is_symmetry(problem.pde_values()):
        raise ValueError(f"symmetrised network: {label} is not a symmetry of {problem.name!r} ({problem.pde})")
    rng = np.random.default_rng(0)
    params = {sp.Symbol(k): sp.sympify(v) for k, v in problem.parameters.items()}
    for x in jet.independent:
        if x == t:
            continue
        lo, hi = (sp.sympify(b) for b in problem.domain[str(x)])
        ends = {sp.simplify(g.images[x].xreplace({x: lo})), sp.simplify(g.images[x].xreplace({x: hi}))}
        if ends != {lo, hi} and not (isinstance(problem.boundary, Periodic)
                                     and sp.simplify(g.images[x].xreplace({x: lo}) - g.images[x].xreplace({x: hi})
                                                     - (hi - lo)) == 0):
            raise ValueError(f"symmetrised network: {label} does not map the domain {str(x)} in [{lo}, {hi}] to itself")

    def invariant(exprs, pts_of):
        for _ in range(8):
            pt = pts_of()
            for u in jet.dependent:
                lhs = exprs[u.name].xreplace({z: g.images[z] for z in jet.independent}).xreplace(pt)
                rhs = g.images[u].xreplace({w: exprs[w.name] for w in jet.dependent}).xreplace(pt).xreplace(params)
                if abs(complex(sp.N(lhs.xreplace(params) - rhs))) > 1e-9:
                    return False
        return True

    lo_hi = {x: tuple(float(sp.sympify(b)) for b in problem.domain[str(x)]) for x in jet.independent}

    def point(fix=None):
        pt = {x: rng.uniform(*lo_hi[x]) for x in jet.independent}
        pt.update(fix or {})
        return pt

    if not invariant(dict(problem.initial), lambda: point({t: lo_hi[t][0]})):
        raise ValueError(f"symmetrised network: the initial condition of {problem.name!r} is not invariant under {label}")
    if isinstance(problem.boundary, Dirichlet) and not invariant(dict(problem.boundary.values), point):
        raise ValueError(f"symmetrised network: the Dirichlet data of {problem.name!r} are not invariant under {label}")
    if not isinstance(problem.boundary, (Dirichlet, Periodic)):
        raise ValueError("symmetrised network: Dirichlet or periodic conditions only")
    return g


@dataclasses.dataclass(frozen=True)
class SymmetrisedNetwork(AbstractNetwork):
    r"""`base` (default: the problem's default network) made exactly invariant under the
    discrete involution `images` (e.g. `{"x": "-x", "u": "-u"}`): $(N + g\cdot N)/2$, after the
    hard constraint. The map must leave the PDE, the domain, the IC and the Dirichlet data
    invariant, fix t and act affinely on u (checked)."""

    images: Any = ()
    base: AbstractNetwork | None = None
    name: ClassVar[str] = "symmetrised"

    def __post_init__(self):
        images = self.images
        if isinstance(images, str):  # "x=-x,u=-u"
            try:
                images = [tuple(s.split("=", 1)) for s in images.split(",") if s.strip()]
                images = {k.strip(): v.strip() for k, v in images}
            except ValueError:
                raise ValueError(f"symmetrised network: images like 'x=-x,u=-u', got {self.images!r}") from None
        images = tuple(sorted((str(k), str(v)) for k, v in dict(images).items()))
        if not images:
            raise ValueError("symmetrised network: give the images of the map, e.g. {'x': '-x', 'u': '-u'}")
        object.__setattr__(self, "images", images)
        base = self.base
        if isinstance(base, (dict, str)):
            base = network_from_json(base)
        if base is not None and (not isinstance(base, AbstractNetwork) or isinstance(base, SymmetrisedNetwork)):
            raise TypeError(f"symmetrised network: base must be a network other than SymmetrisedNetwork, got {base!r}")
        object.__setattr__(self, "base", base)

    def _base(self, problem) -> AbstractNetwork:
        return self.base or default_network(problem)

    def check(self, problem, recipe) -> None:
        if problem.initial is None:
            raise ValueError(f"symmetrised network: {problem.name!r} has a family of initial conditions; "
                             "the invariant network is for a single solution")
        self._base(problem).check(problem, recipe)
        _involution(problem, self.images)

    def build(self, problem, recipe, *, transform, float64, key):
        import sympy as sp

        from ..losses import lower_transformation
        from ..nn import Symmetrised

        net = self._base(problem).build(problem, recipe, transform=transform, float64=float64, key=key)
        g = _involution(problem, self.images)
        action = lower_transformation(g, (), values={sp.Symbol(k): sp.sympify(v) for k, v in problem.parameters.items()})
        return Symmetrised(net, action)

    def to_json(self) -> dict[str, Any]:
        return {"network": self.name, "images": dict(self.images),
                "base": None if self.base is None else self.base.to_json()}


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
