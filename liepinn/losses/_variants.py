r"""Loss variants, symmetry-term forms and normalisers as strategy objects.

A *variant* says which interior loss a run trains on:

- `Residual()`: $\frac1N\sum_j \|\Delta[u_\theta](x_j)\|^2$;
- `Symmetry(form, generators, weight, normaliser)`: + one term per generator $v$ of the
  derived algebra, in the form `Prolonged()` ($\operatorname{pr} v(\Delta)$, order $n$) or
  `Evolutionary()` ($L_\Delta[Q] = \operatorname{pr} v(\Delta) - \xi^i D_i\Delta$, order $n+1$);
- `GPINN(weight, normaliser)`: + $\|D_i \Delta\|^2$ for every independent variable.

A *normaliser* scales the extra terms: `CoefficientScale()` (divide by the largest coefficient
on the domain, `liepinn.losses.NORMALISATION_RULE`), `InitialBalance()` (each extra term equals
the residual term on a fixed calibration network), `NoScaling()`.

This module is the one place where their names ("evolutionary", "initial", ...) meet strings:
`to_json` / `variant_from_json` / `variant_from_name` / `normaliser_from_name` are the JSON
and command-line boundary. A new variant is one subclass of `AbstractVariant` with a `name`
(registered when the class is defined) and an `interior_loss`.
"""

from __future__ import annotations

import abc
import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

# ------------------------------------------------------------------------------------------
# registries: name <-> class


_FORMS: dict[str, type[AbstractForm]] = {}
_NORMALISERS: dict[str, type[AbstractNormaliser]] = {}
_VARIANTS: dict[str, type[AbstractVariant]] = {}


def _register(registry: dict, cls: type) -> None:
    name = cls.__dict__.get("name")
    if name is None:  # abstract intermediate class
        return
    old = registry.get(name)
    if old is not None and old.__qualname__ != cls.__qualname__:
        raise TypeError(f"{cls.__qualname__}: the name {name!r} is taken by {old.__qualname__}")
    registry[name] = cls


# ------------------------------------------------------------------------------------------
# forms of the symmetry term


@dataclasses.dataclass(frozen=True)
class AbstractForm:
    """How a generator's term is written on the network."""

    name: ClassVar[str]
    extra_order: ClassVar[int]  # derivative order above the PDE's

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        _register(_FORMS, cls)

    def __str__(self) -> str:
        return self.name


@dataclasses.dataclass(frozen=True)
class Prolonged(AbstractForm):
    r"""$\operatorname{pr} v(\Delta)[u_\theta]$: on jet space $\lambda_v\Delta$ (a re-weighted residual)."""

    name: ClassVar[str] = "prolonged"
    extra_order: ClassVar[int] = 0


@dataclasses.dataclass(frozen=True)
class Evolutionary(AbstractForm):
    r"""$L_\Delta[Q] = \operatorname{pr} v(\Delta) - \xi^i D_i\Delta$ with $Q = \phi - \xi^i u_i$."""

    name: ClassVar[str] = "evolutionary"
    extra_order: ClassVar[int] = 1


def _from_name(registry: dict, base: type, what: str, name):
    """`name` (or an object of `base`) -> the registered object of that name."""
    if isinstance(name, base):
        return name
    cls = registry.get(name) if isinstance(name, str) else None
    if cls is None:
        raise ValueError(f"{what} must be one of {sorted(registry)}, got {name!r}")
    return cls()


def form_from_name(name: str | AbstractForm) -> AbstractForm:
    """`"prolonged"` / `"evolutionary"` (or a form object) -> the form object."""
    return _from_name(_FORMS, AbstractForm, "form", name)


# ------------------------------------------------------------------------------------------
# normalisers


@dataclasses.dataclass(frozen=True)
class AbstractNormaliser:
    """How the extra (symmetry or gPINN) terms are scaled against the residual."""

    name: ClassVar[str]

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        _register(_NORMALISERS, cls)

    def calibrate(self, loss, model, points):
        """The loss after any calibration on a fixed network (default: unchanged)."""
        return loss

    def __str__(self) -> str:
        return self.name


@dataclasses.dataclass(frozen=True)
class NoScaling(AbstractNormaliser):
    """The extra terms as they are."""

    name: ClassVar[str] = "none"


@dataclasses.dataclass(frozen=True)
class CoefficientScale(AbstractNormaliser):
    r"""Divide the term of $v$ by $s_v = \max(|\xi^i|/(hi_i - lo_i), |\phi_a|/U_a)$ on a grid of
    the domain; for gPINN, multiply $D_i\Delta$ by the domain length."""

    name: ClassVar[str] = "coefficients"


@dataclasses.dataclass(frozen=True)
class InitialBalance(CoefficientScale):
    r"""`CoefficientScale`, then $s \leftarrow s\sqrt{T/T_\mathrm{res}}$ on a fixed calibration
    network, so every extra term starts equal to the residual term."""

    name: ClassVar[str] = "initial"

    def calibrate(self, loss, model, points):
        return initial_scales(loss, model, points)


def normaliser_from_name(name: str | AbstractNormaliser) -> AbstractNormaliser:
    """`"coefficients"` / `"initial"` / `"none"` (or a normaliser object) -> the normaliser object."""
    return _from_name(_NORMALISERS, AbstractNormaliser, "normaliser", name)


def normaliser_names() -> tuple[str, ...]:
    return tuple(_NORMALISERS)


def form_names() -> tuple[str, ...]:
    return tuple(_FORMS)


def initial_scales(loss, model, points):
    r"""Rescale every extra term (symmetry or gPINN) to equal the residual term on `model`:
    $s \leftarrow s\sqrt{T / T_\mathrm{res}}$ (terms that vanish keep their scale)."""
    import equinox as eqx
    import jax.numpy as jnp

    if loss.names:
        loss = loss.with_initial_scales(model, points)
    if loss.gpinn_weight is None:
        return loss
    _, terms = loss(model, points)
    res = float(sum(v for k, v in terms.items() if k.startswith("residual")))
    scales = []
    for i, x in enumerate(loss.independent):
        t = float(sum(v for k, v in terms.items() if k.startswith(f"gpinn:{x}")))
        s = float(loss.gpinn_scales[i])
        scales.append(s * math.sqrt(t / res) if res > 0 and t / res > 1e-30 else s)
    return eqx.tree_at(lambda l: l.gpinn_scales, loss, jnp.asarray(scales, dtype=float))


# ------------------------------------------------------------------------------------------
# variants


@dataclasses.dataclass(frozen=True)
class AbstractVariant:
    """The interior loss of a run. Subclasses set `name` and implement `interior_loss`."""

    name: ClassVar[str]

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        _register(_VARIANTS, cls)

    @abc.abstractmethod
    def interior_loss(self, problem):
        """The `PINNLoss` on `problem`'s PDE (before any calibration by the normaliser)."""

    @property
    def normaliser(self) -> AbstractNormaliser:
        return NoScaling()

    def calibrate(self, loss, model, points):
        return self.normaliser.calibrate(loss, model, points)

    @property
    def label(self) -> str:
        return self.name

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"variant": self.name}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if isinstance(v, (AbstractForm, AbstractNormaliser)):
                v = v.name
            elif isinstance(v, tuple):
                v = list(v)
            out[f.name] = v
        return out


@dataclasses.dataclass(frozen=True)
class Residual(AbstractVariant):
    r"""The plain PINN: the residual $\Delta[u_\theta]$ alone."""

    name: ClassVar[str] = "residual"

    def interior_loss(self, problem):
        from ._pinn import PINNLoss

        return PINNLoss(problem.pde, (), normalisation=NoScaling(), parameter_values=parameter_values(problem))


def _check_weight(weight) -> float:
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not math.isfinite(weight) or weight < 0:
        raise ValueError(f"weight must be a finite number >= 0, got {weight!r}")
    return float(weight)


def _check_generators(generators) -> str | tuple[int, ...]:
    if generators == "all" or generators is None:
        return "all"
    if isinstance(generators, str):
        try:
            generators = [int(s) for s in generators.split(",") if s.strip()]
        except ValueError:
            raise ValueError(f"generators must be 'all' or 1-based numbers like 1,2,5, got {generators!r}") from None
    out = tuple(sorted({int(g) for g in generators}))
    if not out or any(g < 1 for g in out):
        raise ValueError(f"generators must be 'all' or 1-based numbers like 1,2,5, got {generators!r}")
    return out


@dataclasses.dataclass(frozen=True)
class Symmetry(AbstractVariant):
    r"""Residual + $w \sum_v \|\mathrm{term}_v / s_v\|^2$, one term per selected generator of the
    problem's derived algebra (`generators`: `"all"` or 1-based numbers as in
    `liepinn symmetries`)."""

    form: AbstractForm | str = Evolutionary()
    generators: str | tuple[int, ...] | Sequence[int] = "all"
    weight: float = 1.0
    normaliser: AbstractNormaliser | str = InitialBalance()  # type: ignore[assignment]

    name: ClassVar[str] = "symmetry"

    def __post_init__(self):
        object.__setattr__(self, "form", form_from_name(self.form))
        object.__setattr__(self, "normaliser", normaliser_from_name(self.normaliser))
        object.__setattr__(self, "weight", _check_weight(self.weight))
        object.__setattr__(self, "generators", _check_generators(self.generators))

    @property
    def label(self) -> str:
        return self.form.name

    def interior_loss(self, problem):
        from ._pinn import PINNLoss

        basis, select = select_generators(problem, self.generators)
        return PINNLoss(problem.pde, basis, form=self.form, weights=self.weight,
                        normalisation=self.normaliser, select=select, domain=_box(problem),
                        u_scale=u_scale(problem), parameter_values=parameter_values(problem))


@dataclasses.dataclass(frozen=True)
class GPINN(AbstractVariant):
    r"""Residual + $w \sum_i \|D_i\Delta\|^2$ (Yu et al. 2022): the derivatives of the symmetry
    terms without the generators' weights."""

    weight: float = 1.0
    normaliser: AbstractNormaliser | str = InitialBalance()  # type: ignore[assignment]

    name: ClassVar[str] = "gpinn"

    def __post_init__(self):
        object.__setattr__(self, "normaliser", normaliser_from_name(self.normaliser))
        object.__setattr__(self, "weight", _check_weight(self.weight))

    def interior_loss(self, problem):
        from ._pinn import PINNLoss

        return PINNLoss(problem.pde, (), gpinn=self.weight, normalisation=self.normaliser,
                        domain=_box(problem), parameter_values=parameter_values(problem))


@dataclasses.dataclass(frozen=True)
class Generalized(AbstractVariant):
    r"""Residual + $w \sum_Q \|\mathsf{D}_\Delta[Q](u_\theta) / s_Q\|^2$: the evolutionary
    terms of the problem's generalised (Lie–Bäcklund) symmetries of order at most `order`,
    derived by `liepinn.generalized_symmetries` (Wang, Shumaylov et al. 2025 use such terms).
    $\mathsf{D}_\Delta[Q] = \sum_{a,J}\partial\Delta/\partial u^a_J\, D_J Q_a$ vanishes on
    every solution. `beyond_point`: only characteristics that are not combinations of the point
    symmetries in evolutionary form (those are the `evolutionary` variant's terms)."""

    order: int = 3
    weight: float = 1.0
    beyond_point: bool = True
    normaliser: AbstractNormaliser | str = InitialBalance()  # type: ignore[assignment]

    name: ClassVar[str] = "generalized"

    def __post_init__(self):
        object.__setattr__(self, "normaliser", normaliser_from_name(self.normaliser))
        object.__setattr__(self, "weight", _check_weight(self.weight))
        if isinstance(self.order, bool) or not isinstance(self.order, int) or not 1 <= self.order <= 7:
            raise ValueError(f"order must be an int in 1..7, got {self.order!r}")

    def characteristics(self, problem) -> list:
        """The problem's generalised symmetries this variant uses (cached per problem and order)."""
        from ..problems import fingerprint
        from ..symmetry import generalized_symmetries

        key = (fingerprint(problem), self.order)
        if key not in _GENERALIZED:
            _GENERALIZED[key] = generalized_symmetries(problem.pde, self.order)
        found = _GENERALIZED[key]
        syms = found.beyond_point() if self.beyond_point else list(found.symmetries)
        if not syms:
            raise ValueError(
                f"{problem.name!r}: no generalised symmetry of order <= {self.order}"
                + (" beyond the point symmetries" if self.beyond_point else "")
                + f" for {problem.pde!r}: raise the order, or use the evolutionary variant")
        return syms

    def interior_loss(self, problem):
        from ._pinn import PINNLoss

        syms = self.characteristics(problem)
        fields = [q.field(problem.pde.jet) for q in syms]
        return PINNLoss(problem.pde, fields, form=Prolonged(), weights=self.weight,
                        names=[f"Q{k + 1}" for k in range(len(fields))], normalisation=self.normaliser,
                        domain=_box(problem), u_scale=u_scale(problem),
                        parameter_values=parameter_values(problem))


_GENERALIZED: dict = {}


def variant_names() -> tuple[str, ...]:
    """The command-line names: every registered variant, the symmetry forms in its place."""
    out = []
    for name in _VARIANTS:
        out += list(_FORMS) if name == Symmetry.name else [name]
    return tuple(out)


def variant_from_name(name: str | AbstractVariant, *, weight: float | None = None,
                      normaliser: str | AbstractNormaliser | None = None,
                      generators: str | Sequence[int] | None = None) -> AbstractVariant:
    """A command-line / sweep-record variant: `residual`, `prolonged`, `evolutionary`, `gpinn`,
    or the name of a registered user variant (then built with its defaults)."""
    if isinstance(name, AbstractVariant):
        return name
    kw: dict[str, Any] = {}
    if weight is not None:
        kw["weight"] = weight
    if normaliser is not None:
        kw["normaliser"] = normaliser
    if name in _FORMS:
        return Symmetry(form=form_from_name(name), generators=generators or "all", **kw)
    cls = _VARIANTS.get(name)
    if cls is None or cls is Symmetry:
        raise ValueError(f"unknown variant {name!r}; choose from {list(variant_names())}")
    fields = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in kw.items() if k in fields})


def variant_from_json(d: Mapping[str, Any]) -> AbstractVariant:
    """Inverse of `AbstractVariant.to_json`."""
    d = dict(d)
    name = d.pop("variant", None)
    cls = _VARIANTS.get(name)
    if cls is None:
        raise ValueError(f"unknown variant {name!r} in a stored spec; known: {sorted(_VARIANTS)} "
                         "(a user-defined variant must be imported before loading)")
    if "generators" in d and isinstance(d["generators"], list):
        d["generators"] = tuple(d["generators"])
    return cls(**d)


# ------------------------------------------------------------------------------------------
# what the variants need of a problem


_ALGEBRAS: dict[str, Any] = {}


def algebra(problem):
    """The problem's derived symmetry algebra (cached by the problem's fingerprint)."""
    from ..problems import fingerprint
    from ..symmetry import symmetries

    key = fingerprint(problem)
    if key not in _ALGEBRAS:
        _ALGEBRAS[key] = symmetries(problem.pde)
    return _ALGEBRAS[key]


def select_generators(problem, generators: str | tuple[int, ...] = "all") -> tuple[list, list[str] | None]:
    """(basis of the problem's derived algebra, names v<k> of the selected ones or None for all).

    `generators` is "all" or 1-based generator numbers like (1, 2, 5) or "1,2,5" (the numbering
    of `liepinn symmetries`, kept in the loss-term names: sym:v1, sym:v2, sym:v5).
    """
    generators = _check_generators(generators)
    basis = list(algebra(problem).basis)
    if generators == "all":
        return basis, None
    bad = [i for i in generators if not 1 <= i <= len(basis)]
    if bad:
        raise ValueError(f"generator numbers {bad} out of range: the algebra of {problem.name!r} has "
                         f"{len(basis)} (1..{len(basis)})")
    return basis, [f"v{i}" for i in generators]


def parameter_values(problem) -> dict[str, float]:
    return {k: float(v) for k, v in problem.parameters.items()}


def _box(problem):
    from ..derivatives import Box

    lo, hi = problem.bounds
    return Box(lo, hi)


def u_scale(problem, key: int = 7_001) -> float:
    """Typical size of u: max |u0| on a grid of the spatial domain (257 points in one space
    variable, 33 per axis in more; for a family of ICs, a sample of 64 of its members)."""
    d = len(problem.space)
    m = 257 if d == 1 else 33
    axes = np.meshgrid(*[np.linspace(*(float(b) for b in problem.domain[v]), m) for v in problem.space],
                       indexing="ij")
    pts = np.stack([a.ravel() for a in axes], axis=1)  # the spatial columns, in order
    if problem.initial is not None:
        vals = problem.initial_values(pts)
    else:
        fam = problem.initial_family
        vals = fam.evaluate(fam.sample_coefficients(key, 64), pts[:, 0])
    scale = float(np.max(np.abs(vals)))
    return scale if scale > 0 and math.isfinite(scale) else 1.0
