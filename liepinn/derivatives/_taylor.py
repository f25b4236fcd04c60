"""Multivariate Taylor mode: truncated multivariate Taylor polynomials pushed through a jaxpr.

Every value v of the traced function is replaced by its coefficients

    v(z + tau) = sum_{beta in S} c_beta tau^beta,      c_beta = d^beta v(z) / beta!,

for a downward-closed set S of multi-indices (if beta is in S, so is every gamma <= beta).
Products follow Cauchy's rule (xy)_g = sum_{b <= g} x_b y_{g-b}, which needs nothing outside S,
so S can be exactly the closure of the derivatives a loss needs: u, u_x, u_t, u_xx, u_xt, u_xxx,
u_xxt cost seven coefficients, not the 4 x 2 box of a jvp over a jet. A smooth unary f is
handled through y' = f'(x) x' along an axis i with g_i > 0:

    y_g = (1 / g_i) sum_{b <= g, b_i >= 1} b_i x_b s_{g-b},      s = f'(x) as a series,

with s from y itself where f' allows (tanh: s = 1 - y^2; exp: s = y; logistic: s = y - y^2), the
recurrences of Griewank & Walther, *Evaluating Derivatives* (2008), ch. 13, in several variables.
Constants (the network's weights) carry only c_0, so a linear layer costs one matrix product per
coefficient (`jax.experimental.jet` instantiates their zero series instead).

The interpreter covers the primitives of MLP-like networks (linear algebra, shape operations,
tanh/sin/cos/tan/atan/exp/log/logistic/erf/sqrt/pow/relu-type piecewise functions, jit, custom_jvp/vjp
calls, whose custom rules are ignored as `jet` does, and scan, unrolled); anything else raises
`NotImplementedError` naming the primitive.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.extend import core as jcore
from jaxtyping import ArrayLike

MultiIndex = tuple[int, ...]
# Taylor coefficients by multi-index; constants (closed-over arrays, literals) stay NumPy/Python.
Coeffs = dict[MultiIndex, ArrayLike]


class _Ctx:
    """The index set S (downward closed), sorted by total order, with each g's lower set."""

    def __init__(self, index_set: Sequence[MultiIndex]):
        self.S = tuple(sorted(set(index_set), key=lambda g: (sum(g), g)))
        self.zero = self.S[0]
        self.below = {g: [b for b in self.S if _leq(b, g)] for g in self.S}


def _leq(a: MultiIndex, b: MultiIndex) -> bool:
    return all(x <= y for x, y in zip(a, b))


def _sub(a: MultiIndex, b: MultiIndex) -> MultiIndex:
    return tuple(x - y for x, y in zip(a, b))


def downward_closure(alphas) -> tuple[MultiIndex, ...]:
    out = set()
    for alpha in alphas:
        out.update(
            tuple(int(c) for c in beta) for beta in np.ndindex(*(a + 1 for a in alpha))
        )
    return tuple(sorted(out, key=lambda g: (sum(g), g)))


# --------------------------------------------------------------------------------------
# Series arithmetic on coefficient dicts (missing keys are zero)
# --------------------------------------------------------------------------------------


def _bilinear(ctx: _Ctx, x: Coeffs, y: Coeffs, op: Callable) -> Coeffs:
    out = {}
    for g in ctx.S:
        terms = [op(x[b], y[_sub(g, b)]) for b in ctx.below[g] if b in x and _sub(g, b) in y]
        if terms:
            out[g] = sum(terms[1:], terms[0])
    return out


def _square_term(ctx: _Ctx, y: Coeffs, g: MultiIndex):
    """(y * y)_g, using the symmetry of the Cauchy sum (each unordered pair once)."""
    total = None
    for b in ctx.below[g]:
        c = _sub(g, b)
        if b > c or b not in y or c not in y:
            continue
        term = y[b] * y[c] if b == c else 2 * (y[b] * y[c])
        total = term if total is None else total + term
    return total


def _recurrence(ctx: _Ctx, x: Coeffs, y0, s0, s_next: Callable | None, s: Coeffs | None = None):
    """Coefficients of y with y' = s x' (see the module docstring).

    Either `s` is known in full (independent of y), or `s_next(g, y, s)` gives s_g once y_g
    is known (s_0 = `s0`)."""
    y = {ctx.zero: y0}
    s = {ctx.zero: s0} if s is None else s
    for g in ctx.S[1:]:
        best = None
        for i, gi in enumerate(g):
            if gi == 0:
                continue
            bs = [b for b in ctx.below[g] if b[i] >= 1 and b in x and _sub(g, b) in s]
            if best is None or len(bs) < len(best[1]):
                best = (i, bs)
        i, bs = best
        if bs:
            terms = [(b[i] / g[i]) * (x[b] * s[_sub(g, b)]) if b[i] != g[i] else x[b] * s[_sub(g, b)]
                     for b in bs]
            y[g] = sum(terms[1:], terms[0])
        if s_next is not None:
            sg = s_next(g, y, s)
            if sg is not None:
                s[g] = sg
    return y


def _reciprocal(ctx: _Ctx, x: Coeffs) -> Coeffs:
    """r = 1/x: r_g = -(1/x_0) sum_{0 < b <= g} x_b r_{g-b}."""
    inv0 = 1 / x[ctx.zero]
    r = {ctx.zero: inv0}
    for g in ctx.S[1:]:
        terms = [x[b] * r[_sub(g, b)] for b in ctx.below[g] if b != ctx.zero and b in x
                 and _sub(g, b) in r]
        if terms:
            r[g] = -inv0 * sum(terms[1:], terms[0])
    return r


def _tanh(ctx, x):
    y0 = jnp.tanh(x[ctx.zero])

    def s_next(g, y, s):
        sq = _square_term(ctx, y, g)
        return None if sq is None else -sq

    return _recurrence(ctx, x, y0, 1 - y0 * y0, s_next)


def _logistic(ctx, x):
    y0 = lax.logistic(x[ctx.zero])

    def s_next(g, y, s):
        sq = _square_term(ctx, y, g)
        if g not in y:
            return None if sq is None else -sq
        return y[g] if sq is None else y[g] - sq

    return _recurrence(ctx, x, y0, y0 * (1 - y0), s_next)


def _exp(ctx, x):
    y0 = jnp.exp(x[ctx.zero])
    return _recurrence(ctx, x, y0, y0, lambda g, y, s: y.get(g))


def _expm1(ctx, x):
    y0 = jnp.expm1(x[ctx.zero])
    return _recurrence(ctx, x, y0, y0 + 1, lambda g, y, s: y.get(g))


def _sin_cos(ctx, x):
    """sin' = cos, cos' = -sin, advanced together."""
    x0 = x[ctx.zero]
    sn, cs = {ctx.zero: jnp.sin(x0)}, {ctx.zero: jnp.cos(x0)}
    for g in ctx.S[1:]:
        i = next(k for k, gk in enumerate(g) if gk)
        bs = [b for b in ctx.below[g] if b[i] >= 1 and b in x]
        ts = [(b[i] / g[i]) * (x[b] * cs[_sub(g, b)]) for b in bs if _sub(g, b) in cs]
        tc = [(b[i] / g[i]) * (x[b] * sn[_sub(g, b)]) for b in bs if _sub(g, b) in sn]
        if ts:
            sn[g] = sum(ts[1:], ts[0])
        if tc:
            cs[g] = -sum(tc[1:], tc[0])
    return sn, cs


def _sinh_cosh(ctx, x):
    x0 = x[ctx.zero]
    sn, cs = {ctx.zero: jnp.sinh(x0)}, {ctx.zero: jnp.cosh(x0)}
    for g in ctx.S[1:]:
        i = next(k for k, gk in enumerate(g) if gk)
        bs = [b for b in ctx.below[g] if b[i] >= 1 and b in x]
        ts = [(b[i] / g[i]) * (x[b] * cs[_sub(g, b)]) for b in bs if _sub(g, b) in cs]
        tc = [(b[i] / g[i]) * (x[b] * sn[_sub(g, b)]) for b in bs if _sub(g, b) in sn]
        if ts:
            sn[g] = sum(ts[1:], ts[0])
        if tc:
            cs[g] = sum(tc[1:], tc[0])
    return sn, cs


def _log(ctx, x, shift=0):
    x0 = x[ctx.zero] + shift
    r = _reciprocal(ctx, {**x, ctx.zero: x0})
    return _recurrence(ctx, x, jnp.log(x0), None, None, s=r)


def _sqrt(ctx, x):
    """y^2 = x: y_g = (x_g - sum_{0 < b < g} y_b y_{g-b}) / (2 y_0)."""
    y0 = jnp.sqrt(x[ctx.zero])
    y = {ctx.zero: y0}
    for g in ctx.S[1:]:
        inner = [y[b] * y[_sub(g, b)] for b in ctx.below[g]
                 if b != ctx.zero and b != g and b in y and _sub(g, b) in y]
        num = x.get(g)
        if inner:
            s = sum(inner[1:], inner[0])
            num = -s if num is None else num - s
        if num is not None:
            y[g] = num / (2 * y0)
    return y


def _integer_pow(ctx, x, n):
    if n == 0:
        return {ctx.zero: jnp.ones_like(x[ctx.zero])}
    if n < 0:
        return _integer_pow(ctx, _reciprocal(ctx, x), -n)
    result, base = None, x
    while n:
        if n & 1:
            result = base if result is None else _bilinear(ctx, result, base, lax.mul)
        n >>= 1
        if n:
            base = _bilinear(ctx, base, base, lax.mul)
    return result


def _pow_const(ctx, x, c):
    """y = x^c, y' = c y x'/x: s = c y / x, so s = c (y * r) with r = 1/x."""
    r = _reciprocal(ctx, x)
    y0 = lax.pow(x[ctx.zero], c)

    def s_next(g, y, s):
        terms = [y[b] * r[_sub(g, b)] for b in ctx.below[g] if b in y and _sub(g, b) in r]
        return None if not terms else c * sum(terms[1:], terms[0])

    return _recurrence(ctx, x, y0, c * y0 * r[ctx.zero], s_next)


def _tan(ctx, x):
    """tan' = 1 + tan^2."""
    y0 = jnp.tan(x[ctx.zero])

    def s_next(g, y, s):
        return _square_term(ctx, y, g)

    return _recurrence(ctx, x, y0, 1 + y0 * y0, s_next)


def _atan(ctx, x):
    """atan' = 1 / (1 + x^2)."""
    one_plus_sq = _bilinear(ctx, x, x, lax.mul)
    one_plus_sq[ctx.zero] = 1 + one_plus_sq[ctx.zero]
    return _recurrence(ctx, x, jnp.arctan(x[ctx.zero]), None, None,
                       s=_reciprocal(ctx, one_plus_sq))


def _erf(ctx, x):
    """erf' = (2/sqrt(pi)) exp(-x^2)."""
    minus_sq = {g: -v for g, v in _bilinear(ctx, x, x, lax.mul).items()}
    e = _exp(ctx, minus_sq)
    s = {g: (2 / math.sqrt(math.pi)) * v for g, v in e.items()}
    return _recurrence(ctx, x, lax.erf(x[ctx.zero]), None, None, s=s)


# --------------------------------------------------------------------------------------
# Primitive rules: rule(ctx, eqn, invals) -> list of Coeffs (one per output)
# --------------------------------------------------------------------------------------


def _bind(eqn, args):
    out = eqn.primitive.bind(*args, **eqn.primitive.get_bind_params(eqn.params))
    return list(out) if eqn.primitive.multiple_results else [out]


def _zeros(var):
    return jnp.zeros(var.aval.shape, var.aval.dtype)


def _is_const(c: Coeffs) -> bool:
    """Only the value: a constant of the differentiation (weights, literals, comparisons)."""
    return len(c) == 1


def _linear(*positions, all_positions: bool = False):
    """A primitive linear (jointly) in the operands at `positions`; the others must be constant."""

    def rule(ctx, eqn, invals):
        pos = range(len(invals)) if all_positions else positions
        for i, v in enumerate(invals):
            if i not in pos and not _is_const(v):
                raise NotImplementedError(
                    f"MultiTaylor: {eqn.primitive} with a non-constant operand {i}"
                )
        keys = [g for g in ctx.S if any(g in invals[i] for i in pos)]
        outs = [dict() for _ in eqn.outvars]
        for g in keys:
            args = [
                (v[g] if g in v else _zeros(var)) if i in pos else v[ctx.zero]
                for i, (v, var) in enumerate(zip(invals, eqn.invars))
            ]
            for o, val in zip(outs, _bind(eqn, args)):
                o[g] = val
        return outs

    return rule


def _add(ctx, eqn, invals, sign=1):
    x, y = invals
    shape = eqn.outvars[0].aval.shape
    out = {}
    for g in ctx.S:
        if g in x and g in y:
            out[g] = _bind(eqn, [x[g], y[g]])[0]
        elif g in x:
            out[g] = jnp.broadcast_to(x[g], shape)
        elif g in y:
            out[g] = jnp.broadcast_to(y[g] if sign > 0 else -y[g], shape)
    return [out]


def _bilinear_rule(ctx, eqn, invals):
    x, y = invals
    return [_bilinear(ctx, x, y, lambda a, b: _bind(eqn, [a, b])[0])]


def _div(ctx, eqn, invals):
    x, y = invals
    if _is_const(y):
        return _linear(0)(ctx, eqn, invals)
    r = _reciprocal(ctx, y)
    return [_bilinear(ctx, x, r, lax.mul)]


def _unary(fn):
    return lambda ctx, eqn, invals: [fn(ctx, invals[0])]


def _select_by(mask_fn):
    """Piecewise functions max(x, y), min(x, y): the branch chosen by the primal values."""

    def rule(ctx, eqn, invals):
        x, y = invals
        shape = eqn.outvars[0].aval.shape
        x0, y0 = x[ctx.zero], y[ctx.zero]
        take_x = jnp.broadcast_to(mask_fn(x0, y0), shape)
        out = {ctx.zero: _bind(eqn, [x0, y0])[0]}
        for g in ctx.S[1:]:
            if g in x or g in y:
                xg = jnp.broadcast_to(x[g], shape) if g in x else jnp.zeros(shape, x0.dtype)
                yg = jnp.broadcast_to(y[g], shape) if g in y else jnp.zeros(shape, y0.dtype)
                out[g] = jnp.where(take_x, xg, yg)
        return [out]

    return rule


def _abs(ctx, eqn, invals):
    (x,) = invals
    sign = jnp.sign(x[ctx.zero])
    return [{g: (jnp.abs(v) if g == ctx.zero else sign * v) for g, v in x.items()}]


def _select_n(ctx, eqn, invals):
    if not _is_const(invals[0]):
        raise NotImplementedError("MultiTaylor: select_n with a non-constant predicate")
    return _linear(*range(1, len(invals)))(ctx, eqn, invals)


def _convert(ctx, eqn, invals):
    if not jnp.issubdtype(eqn.params["new_dtype"], jnp.inexact):
        return [{ctx.zero: _bind(eqn, [invals[0][ctx.zero]])[0]}]
    return _linear(0)(ctx, eqn, invals)


def _zero_prop(ctx, eqn, invals):
    return [{ctx.zero: v} for v in _bind(eqn, [v[ctx.zero] for v in invals])]


def _pow(ctx, eqn, invals):
    x, y = invals
    if not _is_const(y):
        raise NotImplementedError("MultiTaylor: pow with a non-constant exponent")
    return [_pow_const(ctx, x, y[ctx.zero])]


_RULES: dict[str, Callable] = {
    "add": _add,
    "add_any": _add,
    "sub": lambda ctx, eqn, invals: _add(ctx, eqn, invals, sign=-1),
    "mul": _bilinear_rule,
    "dot_general": _bilinear_rule,
    "div": _div,
    "tanh": _unary(_tanh),
    "logistic": _unary(_logistic),
    "exp": _unary(_exp),
    "expm1": _unary(_expm1),
    "log": _unary(_log),
    "log1p": _unary(lambda ctx, x: _log(ctx, x, shift=1)),
    "sin": _unary(lambda ctx, x: _sin_cos(ctx, x)[0]),
    "cos": _unary(lambda ctx, x: _sin_cos(ctx, x)[1]),
    "sinh": _unary(lambda ctx, x: _sinh_cosh(ctx, x)[0]),
    "cosh": _unary(lambda ctx, x: _sinh_cosh(ctx, x)[1]),
    "exp2": _unary(lambda ctx, x: _exp(ctx, {g: math.log(2) * v for g, v in x.items()})),
    "tan": _unary(_tan),
    "atan": _unary(_atan),
    "sqrt": _unary(_sqrt),
    "rsqrt": _unary(lambda ctx, x: _reciprocal(ctx, _sqrt(ctx, x))),
    "erf": _unary(_erf),
    "integer_pow": lambda ctx, eqn, invals: [_integer_pow(ctx, invals[0], eqn.params["y"])],
    "square": lambda ctx, eqn, invals: [_integer_pow(ctx, invals[0], 2)],
    "pow": _pow,
    "max": _select_by(lambda x0, y0: x0 > y0),
    "min": _select_by(lambda x0, y0: x0 < y0),
    "abs": _abs,
    "select_n": _select_n,
    "convert_element_type": _convert,
    "concatenate": _linear(all_positions=True),
    "stack": _linear(all_positions=True),
    "pad": _linear(all_positions=True),
    "dynamic_update_slice": _linear(0, 1),
    "dynamic_slice": _linear(0),
    "gather": _linear(0),
    "scatter-add": _linear(0, 2),
    "scatter_add": _linear(0, 2),
    "scatter-sub": _linear(0, 2),
}
for _name in (
    "neg", "reshape", "broadcast_in_dim", "transpose", "squeeze", "expand_dims", "reduce_sum",
    "slice", "rev", "copy", "copy_p", "reduce_precision", "real", "imag", "conj", "cumsum",
    "split", "unstack", "tile", "reduce_window_sum", "sharding_constraint", "mesh_cast", "optimization_barrier",
):
    _RULES[_name] = _linear(0) if _name != "optimization_barrier" else _linear(all_positions=True)
for _name in (
    "eq", "ne", "lt", "le", "gt", "ge", "and", "or", "not", "xor", "floor", "ceil", "round",
    "sign", "is_finite", "stop_gradient", "argmax", "argmin", "shift_left",
    "shift_right_arithmetic", "shift_right_logical", "population_count", "iota",
    "random_bits", "random_seed", "random_wrap", "random_unwrap", "threefry2x32",
):
    _RULES[_name] = _zero_prop

_CALLS = {"jit", "pjit", "closed_call", "core_call", "call", "custom_jvp_call",
          "custom_vjp_call", "custom_vjp_call_jaxpr", "remat2", "checkpoint"}


def _scan(ctx: _Ctx, eqn, invals):
    """lax.scan, unrolled: the body is interpreted once per step (networks scan over a few
    layers, e.g. `eqx.nn.MLP(..., scan=True)`)."""
    params = eqn.params
    body, n_consts, n_carry = params["jaxpr"], params["num_consts"], params["num_carry"]
    consts, carry = invals[:n_consts], invals[n_consts : n_consts + n_carry]
    xs = invals[n_consts + n_carry :]
    steps = range(params["length"])
    per_step = []
    for i in reversed(steps) if params["reverse"] else steps:
        x_i = [{g: v[i] for g, v in x.items()} for x in xs]
        outs = _eval(ctx, body.jaxpr, body.consts, [*consts, *carry, *x_i])
        carry, ys = outs[:n_carry], outs[n_carry:]
        per_step.append(ys)
    if params["reverse"]:
        per_step.reverse()
    stacked = []
    for j, var in enumerate(eqn.outvars[n_carry:]):
        shape, dtype = var.aval.shape[1:], var.aval.dtype
        keys = [g for g in ctx.S if any(g in ys[j] for ys in per_step)]
        stacked.append({
            g: jnp.stack([ys[j][g] if g in ys[j] else jnp.zeros(shape, dtype) for ys in per_step])
            for g in keys
        })
    return [*carry, *stacked]


def _sub_jaxpr(eqn):
    for name in ("jaxpr", "call_jaxpr", "fun_jaxpr"):
        if name in eqn.params:
            j = eqn.params[name]
            if isinstance(j, jcore.ClosedJaxpr):
                return j.jaxpr, j.consts
            return j, ()
    raise NotImplementedError(f"MultiTaylor: cannot find the body of {eqn.primitive}")


def _eval(ctx: _Ctx, jaxpr, consts, args: list[Coeffs]) -> list[Coeffs]:
    env: dict = {}

    def read(v):
        if isinstance(v, jcore.Literal):
            return {ctx.zero: v.val}
        return env[v]

    for v, c in zip(jaxpr.constvars, consts):
        env[v] = {ctx.zero: c}
    for v, a in zip(jaxpr.invars, args):
        env[v] = a
    for eqn in jaxpr.eqns:
        invals = [read(v) for v in eqn.invars]
        name = eqn.primitive.name
        if name == "scan" and not all(_is_const(v) for v in invals):
            outs = _scan(ctx, eqn, invals)
        elif name in _CALLS:
            body, body_consts = _sub_jaxpr(eqn)
            n = len(body.invars)
            outs = _eval(ctx, body, body_consts, invals[len(invals) - n:])
        elif all(_is_const(v) for v in invals):
            outs = [{ctx.zero: o} for o in _bind(eqn, [v[ctx.zero] for v in invals])]
        elif name in _RULES:
            outs = _RULES[name](ctx, eqn, invals)
        else:
            raise NotImplementedError(
                f"MultiTaylor has no rule for the primitive {name!r}; use Taylor() or Forward()"
            )
        for v, o in zip(eqn.outvars, outs):
            env[v] = o
    return [read(v) for v in jaxpr.outvars]


def taylor_derivatives(
    fun: Callable[[jax.Array], jax.Array], z: jax.Array, alphas
) -> dict[MultiIndex, jax.Array]:
    """d^alpha fun(z) for every alpha in the downward closure of `alphas`, along the last axis
    of z (the coordinates): fun maps (N, p) -> (N, ...) point by point."""
    p = z.shape[-1]
    ctx = _Ctx(downward_closure(alphas))
    closed = jax.make_jaxpr(fun)(z)
    if len(closed.jaxpr.outvars) != 1:
        raise ValueError("fun must return a single array")
    seed: Coeffs = {ctx.zero: z}
    for i in range(p):
        e = tuple(int(k == i) for k in range(p))
        if e in ctx.below:
            seed[e] = jnp.zeros_like(z).at[..., i].set(1)
    (out,) = _eval(ctx, closed.jaxpr, closed.consts, [seed])
    result = {}
    for g in ctx.S:
        scale = math.prod(math.factorial(k) for k in g)
        result[g] = out[g] * scale if g in out else jnp.zeros_like(out[ctx.zero])
    return result
