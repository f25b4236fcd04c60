r"""Finite transformations compiled to JAX: the group action on points, values and functions.

A `FiniteTransformation` $g_\varepsilon: (x, u) \mapsto (\tilde x, \tilde u)$ is lowered through
the one code-generation module (`_lower.lower`) to a `GroupAction`, a function of
$(\varepsilon, x, u, \mu)$ batched over points; `act_on_values` turns it into the action on a
function given by values, $(g \cdot f)(y) = \tilde u(x, f(x))$ at $x = \tilde x^{-1}(y)$, which is
what augmentation and equivariance losses need.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import equinox as eqx
import jax.numpy as jnp
import sympy as sp
from jaxtyping import Array, Float
from sympy.core.sorting import default_sort_key

from ._lower import Lowered, lower
from ..symbolic import parse_value
from ..symmetry._transform import FiniteTransformation, TransformationError


class GroupAction(eqx.Module):
    r"""A compiled point transformation $(x, u) \mapsto (\tilde x(x, u; \varepsilon, \mu),
    \tilde u(x, u; \varepsilon, \mu))$.

    Call with `eps` (one value per name in `group_parameters`), `points` (N, p) whose columns
    are the `independent` variables in the PDE's declared order (as for `Lowered`), `u`
    (N, q) in the order of `dependent`, and `params` (one value per name in `parameters`,
    the PDE parameters left symbolic, sorted by name unless given otherwise). Returns the
    images (N, p) and (N, q). `inverse()` is the compiled $g_\varepsilon^{-1}$ with the same
    parameters.
    """

    independent: tuple[str, ...] = eqx.field(static=True)
    dependent: tuple[str, ...] = eqx.field(static=True)
    group_parameters: tuple[str, ...] = eqx.field(static=True)
    parameters: tuple[str, ...] = eqx.field(static=True)
    label: str = eqx.field(static=True)
    points_depend_on_u: bool = eqx.field(static=True)
    _forward: Lowered
    _backward: Lowered | None
    _backward_depends_on_u: bool = eqx.field(static=True)
    _no_inverse: str = eqx.field(static=True)

    def __call__(
        self,
        eps: Float[Array, " k"] | None,
        points: Float[Array, "N p"],
        u: Float[Array, "N q"],
        params: Float[Array, " m"] | None = None,
    ) -> tuple[Float[Array, "N p"], Float[Array, "N q"]]:
        return _apply(self, self._forward, eps, points, u, params)

    def inverse(self) -> "GroupAction":
        r"""The compiled inverse $g_\varepsilon^{-1}$ (same `group_parameters`, same `parameters`)."""
        if self._backward is None:
            raise TransformationError(f"{self.label or 'this transformation'} has no compiled inverse: "
                                      f"{self._no_inverse}")
        return GroupAction(
            independent=self.independent, dependent=self.dependent,
            group_parameters=self.group_parameters, parameters=self.parameters,
            label=f"({self.label})^-1" if self.label else "",
            points_depend_on_u=self._backward_depends_on_u,
            _forward=self._backward, _backward=self._forward,
            _backward_depends_on_u=self.points_depend_on_u, _no_inverse="")


def _apply(action: GroupAction, lowered: Lowered, eps, points, u, params):
    p, q = len(action.independent), len(action.dependent)
    if points.ndim != 2 or points.shape[1] != p:
        raise ValueError(f"points must have shape (N, {p}) with columns {list(action.independent)}, "
                         f"got {points.shape}")
    if u.ndim != 2 or u.shape != (points.shape[0], q):
        raise ValueError(f"u must have shape ({points.shape[0]}, {q}) with columns {list(action.dependent)}, "
                         f"got {u.shape}")
    k = len(action.group_parameters)
    if eps is None:
        if k:
            raise ValueError(f"group parameter values needed for {list(action.group_parameters)}")
        eps = jnp.zeros((0,), points.dtype)
    if eps.shape != (k,):
        raise ValueError(f"eps must have shape ({k},) for {list(action.group_parameters)}, got {eps.shape}")
    m = len(action.parameters)
    if params is None:
        if m:
            raise ValueError(f"parameter values needed for {list(action.parameters)}")
        params = jnp.zeros((0,), points.dtype)
    if params.shape != (m,):
        raise ValueError(f"params must have shape ({m},) for {list(action.parameters)}, got {params.shape}")
    zero = (0,) * p
    derivs = {(a, zero): u[:, a] for a in range(q)}
    values = jnp.concatenate([jnp.asarray(eps, points.dtype), jnp.asarray(params, points.dtype)])
    out = lowered(points, derivs, values)
    return out[:p].T, out[p:].T


def lower_transformation(
    ft: FiniteTransformation,
    parameters: Sequence[sp.Symbol | str] | None = None,
    *,
    values: Mapping | None = None,
    inverse: bool = True,
) -> GroupAction:
    r"""Compile a `FiniteTransformation` (and, with `inverse`, its inverse) to a `GroupAction`.

    **Arguments:**

    - `ft`: the transformation; its `parameters` become the action's `group_parameters`.
    - `parameters`: the other symbols of the images (PDE parameters such as ``nu``), passed at
      call time in this order; default: every such symbol, sorted by name (the order of
      `PDE.parameters`).
    - `values`: symbols substituted now by exact values instead (e.g. ``{"nu": 0.01/pi}``).
    - `inverse`: also compile $g^{-1}$ (`FiniteTransformation.inverse`); when it has no closed
      form, `GroupAction.inverse()` raises and says why.
    """
    if not isinstance(ft, FiniteTransformation):
        raise TypeError(f"expected a FiniteTransformation, got {type(ft).__name__}")
    jet = ft.jet
    reps = {(sp.Symbol(k) if isinstance(k, str) else k): (parse_value(v, where=f"value of {k}") if isinstance(v, str)
                                                           else sp.sympify(v, strict=True))
            for k, v in (values or {}).items()}
    group = tuple(ft.parameters)
    fixed = sorted(p.name for p in set(reps) & set(group))
    if fixed:  # a PDE parameter of the same name would silently replace the group parameter
        raise ValueError(f"values given for {', '.join(fixed)}, a group parameter of {ft.label or ft}: fix it with "
                         "FiniteTransformation.at, or rename it (it clashes with a PDE parameter)")
    images = [ft.images[z].xreplace(reps) for z in ft.variables]
    if parameters is None:
        known = set(ft.variables) | set(group)
        rest = set().union(*(e.free_symbols for e in images)) - known
        params = tuple(sorted(rest, key=default_sort_key))
    else:
        params = tuple(sp.Symbol(p) if isinstance(p, str) else p for p in parameters)
    clash = sorted({p.name for p in params} & {g.name for g in group})
    if clash:
        raise ValueError(f"{', '.join(clash)} named both as a group parameter and a PDE parameter")
    forward = lower(images, jet, group + params)
    backward, no_inverse, back_u = None, "", False
    if inverse:
        try:
            inv = ft.inverse()
        except TransformationError as e:
            no_inverse = str(e)
        else:
            backward = lower([inv.images[z].xreplace(reps) for z in ft.variables], jet, group + params)
            back_u = inv.points_depend_on_u
    else:
        no_inverse = "lower_transformation was called with inverse=False"
    return GroupAction(
        independent=tuple(x.name for x in jet.independent),
        dependent=tuple(u.name for u in jet.dependent),
        group_parameters=tuple(g.name for g in group),
        parameters=tuple(p.name for p in params),
        label=ft.label,
        points_depend_on_u=ft.points_depend_on_u,
        _forward=forward, _backward=backward, _backward_depends_on_u=back_u, _no_inverse=no_inverse,
    )


def act_on_values(
    action: GroupAction,
    f: Callable[[Float[Array, "N p"]], Float[Array, "N q"] | Float[Array, " N"]],
    eps: Float[Array, " k"] | None,
    points: Float[Array, "N p"],
    params: Float[Array, " m"] | None = None,
) -> Float[Array, "N q"]:
    r"""$(g_\varepsilon \cdot f)(y) = \tilde u\big(x, f(x)\big)$ at $x = \tilde x^{-1}(y)$, for y = `points`.

    `f` maps points (N, p) to values (N, q) (or (N,) for one dependent variable), e.g. a network
    or an exact solution. Needs $\tilde x$ independent of u (true of every point symmetry of
    heat and Burgers); otherwise the image of a graph is not computed pointwise and a
    `TransformationError` is raised.
    """
    if action.points_depend_on_u:
        raise TransformationError(
            f"{action.label or 'this transformation'} moves the independent variables depending on u, so "
            "(g.f)(y) needs x~(x, f(x)) = y solved for x; act_on_values handles only x~ = x~(x) "
            "(use liepinn.symmetry.act on an expression instead)")
    back = action.inverse()
    q = len(action.dependent)
    dummy = jnp.zeros((points.shape[0], q), points.dtype)
    x, _ = back(eps, points, dummy, params)
    values = f(x)
    if values.ndim == 1:
        if q != 1:
            raise ValueError(f"f returned shape {values.shape}; expected (N, {q}) for {list(action.dependent)}")
        values = values[:, None]
    _, u = action(eps, x, values, params)
    return u
