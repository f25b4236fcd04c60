"""sympy expressions in jet coordinates -> JAX functions of (points, derivative values, parameters).

The one bridge from the symbolic layer to the numeric one: residuals, symmetry terms and
reference right-hand sides are all lowered here, through sympy's own JAX printer
(`lambdify(modules="jax")`) after common-subexpression elimination.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import equinox as eqx
import jax.numpy as jnp
import sympy as sp
from jaxtyping import Array, Float
from sympy.core.sorting import default_sort_key

from ..symbolic._jet import JetSpace, MultiIndex

JetKey = tuple[int, MultiIndex]


def _canonical_params(parameters) -> tuple[sp.Symbol, ...]:
    return tuple(sp.Symbol(p) if isinstance(p, str) else p for p in parameters)


class Lowered(eqx.Module):
    r"""A compiled list of expressions $E_k(x, u^{(n)}; \mu)$.

    Call with points (N, p) in physical coordinates, a mapping (a, alpha) -> (N,) of the
    derivative values it `required`, and a parameter vector (len(parameters),). Returns
    (len(exprs), N).
    """

    required: tuple[JetKey, ...] = eqx.field(static=True)
    parameters: tuple[str, ...] = eqx.field(static=True)
    n_exprs: int = eqx.field(static=True)
    uses_points: tuple[int, ...] = eqx.field(static=True)
    _fn: object = eqx.field(static=True)
    _source: str = eqx.field(static=True)

    def __call__(
        self,
        points: Float[Array, "N p"],
        derivs: Mapping[JetKey, Float[Array, " N"]],
        params: Float[Array, " k"] | None = None,
    ) -> Float[Array, "m N"]:
        missing = [k for k in self.required if k not in derivs]
        if missing:
            raise ValueError(f"derivative values missing for multi-indices {missing}")
        if params is None:
            if self.parameters:
                raise ValueError(f"parameter values needed for {list(self.parameters)}")
            params = jnp.zeros((0,), points.dtype)
        n = points.shape[0]
        cols = [points[:, i] for i in range(points.shape[1])]
        args = cols + [derivs[k] for k in self.required] + [params[j] for j in range(len(self.parameters))]
        out = self._fn(*args)
        return jnp.stack([jnp.broadcast_to(jnp.asarray(o, points.dtype), (n,)) for o in out])


def lower(
    exprs: Sequence[sp.Expr] | sp.Expr,
    jet: JetSpace,
    parameters: Sequence[sp.Symbol | str] = (),
    *,
    values: Mapping | None = None,
    cse: bool = True,
) -> Lowered:
    r"""Lower sympy expressions on jet space to one JAX function.

    **Arguments:**

    - `exprs`: expressions in the independent variables, jet coordinates and parameters.
    - `jet`: the `JetSpace`.
    - `parameters`: symbols passed at call time as an array (one compiled function for all values).
    - `values`: symbols substituted now by exact values (anything not a parameter or variable
      left in an expression is an error).
    """
    if isinstance(exprs, sp.Basic):
        exprs = [exprs]
    params = _canonical_params(parameters)
    exprs = [sp.sympify(e) for e in exprs]
    if values:
        reps = {(sp.Symbol(k) if isinstance(k, str) else k): sp.sympify(v) for k, v in values.items()}
        exprs = [e.xreplace(reps) for e in exprs]
    required: set[JetKey] = set()
    for k, e in enumerate(exprs):
        for s in e.free_symbols:
            hit = jet.decode(s)
            if hit is not None:
                required.add(hit)
            elif s not in jet.independent and s not in params:
                raise ValueError(
                    f"expression {k + 1} ({sp.sstr(e)}) contains {s}, which is neither a variable, "
                    f"a jet coordinate nor a parameter (parameters: {[p.name for p in params]}); "
                    "give it a value"
                )
    req = tuple(sorted(required, key=lambda kv: (sum(kv[1]), kv[0], tuple(-a for a in kv[1]))))
    jet_syms = [jet.jet(a, al) for a, al in req]
    args = list(jet.independent) + jet_syms + list(params)
    # Dummy names keep the printed code valid whatever the user named things.
    dummies = [sp.Symbol(f"_a{i}") for i in range(len(args))]
    reps = dict(zip(args, dummies))
    body = [e.xreplace(reps) for e in exprs]
    fn = sp.lambdify(dummies, body, modules="jax", cse=cse, docstring_limit=0)
    uses = tuple(i for i, x in enumerate(jet.independent) if any(x in e.free_symbols for e in exprs))
    return Lowered(
        required=req,
        parameters=tuple(p.name for p in params),
        n_exprs=len(exprs),
        uses_points=uses,
        _fn=fn,
        _source=";".join(sorted(map(str, body), key=default_sort_key)),
    )
