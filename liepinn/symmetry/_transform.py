r"""Finite point transformations $g: (x, u) \mapsto (\tilde x, \tilde u)$ of a jet space.

A `FiniteTransformation` is the map itself, given by the images of every independent and
dependent variable, possibly depending on group parameters $\varepsilon_1, \dots$: the flow
$\exp(\varepsilon v)$ of a generator, a composition of flows, or a discrete map such as
$x \to -x$. It is the common currency of the group-action side of liepinn (flows, discrete
symmetries, what a problem admits, and the compiled actions used in training).

Symbolic layer: sympy only, never JAX.
"""

from __future__ import annotations

import types
from collections.abc import Mapping, Sequence

import sympy as sp

from ..symbolic._jet import JetSpace


def _variables(jet: JetSpace) -> tuple[sp.Symbol, ...]:
    return tuple(jet.independent) + tuple(jet.dependent)


class FiniteTransformation:
    r"""A point transformation $z \mapsto \tilde z(z; \varepsilon)$, $z = (x, u)$.

    **Arguments:**

    - `images`: variable (Symbol or name) -> its image, an expression in the variables and
      `parameters`; variables not given are left fixed.
    - `jet`: the `JetSpace` it acts on.
    - `parameters`: the group parameters (Symbols or names), () for a discrete map.
    - `label`: a short name for reports (e.g. ``"exp(eps v1)"``, ``"x -> -x"``).

    Composition follows maps: ``(g @ h)(z) = g(h(z))``.
    """

    __slots__ = ("_images", "jet", "parameters", "label")

    def __init__(self, images: Mapping, jet: JetSpace, parameters: Sequence = (), label: str = ""):
        if not isinstance(jet, JetSpace):
            raise TypeError(f"jet must be a JetSpace, got {type(jet).__name__}")
        variables = _variables(jet)
        by_name = {str(z): z for z in variables}
        out = {z: z for z in variables}
        for key, value in images.items():
            z = by_name.get(str(key))
            if z is None:
                raise ValueError(f"{key!r} is not a variable of the jet space "
                                 f"(variables: {', '.join(by_name)})")
            out[z] = sp.sympify(value)
        self.jet = jet
        self._images = types.MappingProxyType(out)
        self.parameters = tuple(sp.Symbol(p) if isinstance(p, str) else p for p in parameters)
        self.label = label

    @property
    def images(self) -> Mapping[sp.Symbol, sp.Expr]:
        r"""Variable -> image $\tilde z(z; \varepsilon)$, for every variable."""
        return self._images

    @property
    def variables(self) -> tuple[sp.Symbol, ...]:
        return _variables(self.jet)

    @property
    def is_discrete(self) -> bool:
        return not self.parameters

    def image(self, expr) -> sp.Expr:
        r"""$f(\tilde z)$: `expr` with every variable replaced by its image."""
        return sp.sympify(expr).xreplace(dict(self._images))

    def __matmul__(self, other: "FiniteTransformation") -> "FiniteTransformation":
        r"""$g \circ h$: first `other`, then `self`; parameters are concatenated (renamed on clash)."""
        if not isinstance(other, FiniteTransformation):
            return NotImplemented
        if other.jet.independent != self.jet.independent or other.jet.dependent != self.jet.dependent:
            raise ValueError("cannot compose transformations of different jet spaces")
        mine = dict(self._images)
        params = list(self.parameters)
        clash = set(self.parameters) & set(other.parameters)
        if clash:
            taken = {str(p) for p in self.parameters + other.parameters}
            rename = {}
            for p in sorted(clash, key=str):
                k = 2
                while f"{p}_{k}" in taken:
                    k += 1
                rename[p] = sp.Symbol(f"{p}_{k}")
                taken.add(f"{p}_{k}")
            mine = {z: e.xreplace(rename) for z, e in mine.items()}
            params = [rename.get(p, p) for p in params]
        composed = {z: e.xreplace(dict(other._images)) for z, e in mine.items()}
        label = f"({self.label}) o ({other.label})" if self.label and other.label else ""
        return FiniteTransformation(composed, self.jet, list(other.parameters) + params, label)

    def at(self, values: Mapping) -> "FiniteTransformation":
        """The transformation with some group parameters fixed to values."""
        subs = {sp.Symbol(str(k)) if isinstance(k, str) else k: sp.sympify(v) for k, v in values.items()}
        unknown = [k for k in subs if k not in self.parameters]
        if unknown:
            raise ValueError(f"{', '.join(map(str, unknown))} not among the parameters "
                             f"{', '.join(map(str, self.parameters)) or '(none)'}")
        return FiniteTransformation({z: e.xreplace(subs) for z, e in self._images.items()}, self.jet,
                                    [p for p in self.parameters if p not in subs], self.label)

    def __eq__(self, other) -> bool:
        return (isinstance(other, FiniteTransformation) and self.jet.independent == other.jet.independent
                and self.jet.dependent == other.jet.dependent and self.parameters == other.parameters
                and all(sp.simplify(self._images[z] - other._images[z]) == 0 for z in self.variables))

    __hash__ = None

    def __str__(self) -> str:
        moved = [f"{z} -> {sp.sstr(e)}" for z, e in self._images.items() if e != z]
        return ", ".join(moved) if moved else "identity"

    def __repr__(self) -> str:
        params = f"; {', '.join(map(str, self.parameters))}" if self.parameters else ""
        return f"FiniteTransformation({self}{params})"

    def to_dict(self) -> dict:
        return {"label": self.label, "parameters": [str(p) for p in self.parameters],
                "images": {str(z): sp.sstr(e) for z, e in self._images.items()}}


def one_parameter_subgroup(generator, eps="epsilon", label: str = "") -> FiniteTransformation | None:
    r"""$\exp(\varepsilon v)$ of a `Generator` as a `FiniteTransformation`, or None without a closed form.

    The images come from `Generator.flow` (a terminating Lie series, else `dsolve`), which
    checks them by substitution into $d\tilde z/d\varepsilon = v(\tilde z)$, $\tilde z(0) = z$.
    """
    eps = sp.Symbol(eps) if isinstance(eps, str) else eps
    images = generator.flow(eps)
    if images is None:
        return None
    return FiniteTransformation(images, generator.jet, (eps,), label or f"exp({eps} v)")
