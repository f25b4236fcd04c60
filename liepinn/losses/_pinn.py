r"""Loss terms of a PINN: the PDE residual, symmetry terms per generator, gPINN terms, and
initial/boundary conditions.

For a network $u_\theta$, a system $\Delta_\nu(x, u^{(n)}) = 0$ and generators
$v = \xi^i \partial_{x^i} + \phi_a \partial_{u^a}$ of its symmetry algebra:

- residual: $\Delta_\nu[u_\theta]$;
- `Prolonged()` symmetry term: $\operatorname{pr} v(\Delta_\nu)[u_\theta]$ (order $n$); on jet
  space it equals $\lambda_v \Delta$, so it is zero or a re-weighted residual;
- `Evolutionary()` symmetry term: $L_{\Delta_\nu}[Q] = \operatorname{pr} v(\Delta_\nu) - \xi^i D_i \Delta_\nu$
  (order $n + 1$): the linearised equation on the characteristic $Q = \phi - \xi^i u_i$;
- gPINN term: $D_i \Delta_\nu$.

Each term is the mean over the collocation points of its square. Every expression is written
symbolically (prolongation, total derivatives `JetSpace.D`) and lowered through
`liepinn.losses._lower` into ONE function; the union of the network derivatives it needs is computed
once by `liepinn.derivatives` and shared by all terms (each evolutionary term reuses the same
$D_i\Delta$).
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import sympy as sp
from jaxtyping import Array, ArrayLike, Float

from ._lower import Lowered, lower
from ._variants import (
    AbstractForm,
    AbstractNormaliser,
    CoefficientScale,
    Evolutionary,
    InitialBalance,
    NoScaling,
    Prolonged,
    form_from_name,
    normaliser_from_name,
)
from ..derivatives import DEFAULT_STRATEGY, AbstractStrategy, Box, derivatives
from ..symmetry._degeneracy import _basis, infinitesimals

PROLONGED = Prolonged()
EVOLUTIONARY = Evolutionary()

NORMALISATION_RULE = (
    "s_v = max over a grid of the box times [-U_a, U_a] of max(|xi^i| / (hi_i - lo_i), "
    "|phi_a| / U_a); the term of v is divided by s_v (gPINN terms: s_i = 1 / (hi_i - lo_i), "
    "the rule applied to d/dx^i)"
)


def _to_float(value, what: str) -> float:
    try:
        return float(sp.sympify(value))
    except (TypeError, ValueError, sp.SympifyError):
        raise ValueError(f"{what} = {value!r} is not a number") from None


def _names(jet) -> tuple[str, ...]:
    return tuple(s.name for s in jet.independent)


class PINNLoss(eqx.Module):
    r"""The interior loss of a PINN: residual, symmetry and gPINN terms on collocation points.

    Call as `loss(model, points, params=None) -> (total, terms)`; `terms` maps a name to the
    mean square of one term (unweighted); `total = sum_k w_k terms_k`. Names: `"residual"`,
    `"sym:v1"`, `"gpinn:x"`, with `"[eq2]"` appended per equation for systems.

    **Coordinates.** `points` are always physical coordinates $x \in [lo, hi]$ (one column per
    independent variable, in the PDE's order), and every derivative, residual and symmetry term
    is with respect to them. `box` changes only what the network is fed: with `box=None`
    the model is called on $x$ itself, $u(x) = \mathrm{model}(x)$; with `box=Box(lo, hi)` it is
    called on $z = 2 (x - lo)/(hi - lo) - 1 \in [-1, 1]^p$, $u(x) = \mathrm{model}(z(x))$, and the
    chain rule $\partial_{x_i} = \frac{2}{hi_i - lo_i} \partial_{z_i}$ is applied. A model trained
    with `box` must therefore be evaluated as `model(box.to_unit(x))`; a function of physical
    coordinates (an exact solution, a network with its own input normalisation) goes with
    `box=None`.

    **Main arguments:**

    - `pde`: the `PDE`.
    - `generators`: `Generator`s (or a `SymmetryAlgebra`); empty for a residual-only PINN.
    - `form`: `Evolutionary()` ($L_\Delta[Q] = \operatorname{pr} v(\Delta) - \xi^i D_i\Delta$,
      order n + 1) or `Prolonged()` ($\operatorname{pr} v(\Delta)$, order n), or one per generator.

    **Other arguments:**

    - `weights`: per-generator weight: one number, a sequence, or a mapping name -> weight.
    - `select`: names of the generators to keep (a subset; default all).
    - `names`: generator labels (default `v1, v2, ...`, 1-based as in the symmetry JSON).
    - `residual_weight`: weight of the residual term(s).
    - `gpinn`: weight of gPINN terms $\|D_i \Delta\|^2$ (None: no such terms).
    - `normalisation`: `CoefficientScale()` (the default; needs `domain`): divide the term of v by
      $s_v = \max(|\xi^i|/(hi_i - lo_i), |\phi_a|/U_a)$ over a grid of the domain (see
      `NORMALISATION_RULE`); `NoScaling()`; or explicit scales (one per generator). A calibration on
      the initial network is `with_initial_scales`.
    - `domain`: the `Box` of the problem (for `CoefficientScale`); defaults to `box`.
    - `box`: the `Box` whose affine map onto [-1, 1]^p is applied to the points before the
      network sees them (see **Coordinates**); None: the network sees physical coordinates.
    - `u_scale`: U_a, typical size of each dependent variable (default 1).
    - `parameters`: symbols passed at call time (default: every parameter of the PDE and of the
      generators); `parameter_values`: their default values (default: the PDE's).
    - `strategy`: the derivative strategy (default `liepinn.derivatives.DEFAULT_STRATEGY`).
    """

    lowered: Lowered
    box: Box | None
    strategy: AbstractStrategy
    scales: Float[Array, " G"]
    gpinn_scales: Float[Array, " p"]
    names: tuple[str, ...] = eqx.field(static=True)
    forms: tuple[AbstractForm, ...] = eqx.field(static=True)
    weights: tuple[float, ...] = eqx.field(static=True)
    residual_weight: float = eqx.field(static=True)
    gpinn_weight: float | None = eqx.field(static=True)
    n_equations: int = eqx.field(static=True)
    independent: tuple[str, ...] = eqx.field(static=True)
    parameters: tuple[str, ...] = eqx.field(static=True)
    defaults: tuple[float | None, ...] = eqx.field(static=True)
    _missing: tuple[str, ...] = eqx.field(static=True)
    _d_rows: int | None = eqx.field(static=True)
    _prv_rows: tuple[int, ...] = eqx.field(static=True)
    _xi_rows: tuple[tuple[tuple[int, int], ...], ...] = eqx.field(static=True)
    _record: str = eqx.field(static=True)

    def __init__(
        self,
        pde,
        generators=(),
        *,
        form: AbstractForm | str | Sequence[AbstractForm | str] = EVOLUTIONARY,
        weights: float | Sequence[float] | Mapping[str, float] = 1.0,
        select: Sequence[str] | None = None,
        names: Sequence[str] | None = None,
        residual_weight: float = 1.0,
        gpinn: float | None = None,
        normalisation: AbstractNormaliser | str | Sequence[float] = CoefficientScale(),
        domain: Box | None = None,
        box: Box | None = None,
        u_scale: float | Sequence[float] = 1.0,
        parameters: Sequence[sp.Symbol | str] | None = None,
        parameter_values: Mapping | None = None,
        strategy: AbstractStrategy = DEFAULT_STRATEGY,
    ):
        jet = pde.jet
        p, q = jet.p, jet.q
        basis = _basis(generators)
        if names is None:
            names = [f"v{k + 1}" for k in range(len(basis))]
        names = [str(n) for n in names]
        if len(names) != len(basis):
            raise ValueError(f"{len(names)} names given for {len(basis)} generators")
        if len(set(names)) != len(names):
            raise ValueError(f"generator names must be distinct, got {names}")
        forms = [form] * len(basis) if isinstance(form, (str, AbstractForm)) else list(form)
        if len(forms) != len(basis):
            raise ValueError(f"{len(forms)} forms given for {len(basis)} generators")
        forms = [form_from_name(f) for f in forms]
        if isinstance(normalisation, str):  # the name of a normaliser ("coefficients", "none")
            normalisation = normaliser_from_name(normalisation)
        w = _weights(weights, names)
        if select is not None:
            unknown = [s for s in select if s not in names]
            if unknown:
                raise ValueError(f"select names {unknown} are not generators (have {names})")
            keep = [k for k, n in enumerate(names) if n in set(select)]
            basis, names, forms, w = ([seq[k] for k in keep] for seq in (basis, names, forms, w))
        if not isinstance(strategy, AbstractStrategy):
            raise TypeError(f"strategy must be an AbstractStrategy, got {type(strategy).__name__}")
        for what, b in (("box", box), ("domain", domain)):
            if b is not None and (not isinstance(b, Box) or b.p != p):
                raise ValueError(f"{what} must be a Box in {p} dimensions, got {b!r}")
        domain = box if domain is None else domain

        # -- the expressions, all lowered together ------------------------------------------
        eqs = list(pde.equations)
        m = len(eqs)
        need_D = gpinn is not None or any(f.extra_order > 0 for f in forms)
        rows: list[sp.Expr] = list(eqs)
        d_rows = None
        if need_D:
            d_rows = len(rows)
            rows += [jet.D(e, i) for e in eqs for i in range(p)]  # row d_rows + nu * p + i
        prv_rows, xi_rows, infinitesimal = [], [], []
        for g, f in zip(basis, forms):
            xi, phi = infinitesimals(jet, g)
            infinitesimal.append((xi, phi))
            prv_rows.append(len(rows))
            rows += [sp.expand(g.prolong(e)) for e in eqs]
            pairs = []
            if f.extra_order > 0:  # L[Q] = pr v(Delta) - xi^i D_i Delta
                for i, c in enumerate(xi):
                    if c != 0:
                        pairs.append((i, len(rows)))
                        rows.append(c)
            xi_rows.append(tuple(pairs))

        known = set(jet.independent) | set(jet.dependent)
        if parameters is None:
            found = set(pde.parameters)
            for r in rows:
                found |= {s for s in r.free_symbols if s not in known and not jet.is_jet(s)}
            params = sorted(found, key=lambda s: s.name)
        else:
            params = [sp.Symbol(s) if isinstance(s, str) else s for s in parameters]
        values = {s.name: v for s, v in pde.parameters.items() if v is not None}
        for k, v in (parameter_values or {}).items():
            values[k if isinstance(k, str) else k.name] = v
        defaults = [_to_float(values[s.name], f"parameter {s.name}") if s.name in values else math.nan
                    for s in params]
        self.lowered = _lower_cached(tuple(rows), jet, tuple(params))

        # -- normalisation ----------------------------------------------------------------
        U = np.broadcast_to(np.asarray(u_scale, float), (q,))
        if isinstance(normalisation, AbstractNormaliser):
            # the calibration of InitialBalance comes later (`with_initial_scales`); here it
            # starts from the coefficient rule
            method = CoefficientScale.name
            if isinstance(normalisation, CoefficientScale) and not basis and gpinn is None:
                scales, gpinn_scales = [], [1.0] * p
                norm = {"method": method, "note": "no symmetry or gPINN terms to scale"}
            elif isinstance(normalisation, CoefficientScale):
                if domain is None:
                    raise ValueError(
                        "normalisation CoefficientScale() needs the problem's domain: pass "
                        "domain=Box(lo, hi) (or box=...), or normalisation=NoScaling()"
                    )
                lo, hi = np.asarray(domain.lo, float), np.asarray(domain.hi, float)
                subs = {s: v for s, v in zip(params, defaults) if not math.isnan(v)}
                scales = [_coefficient_scale(jet, xi, phi, lo, hi, U, subs, n)
                          for (xi, phi), n in zip(infinitesimal, names)]
                gpinn_scales = list(1.0 / (hi - lo))
                norm = {"method": method, "rule": NORMALISATION_RULE,
                        "domain": {"lo": lo.tolist(), "hi": hi.tolist()}, "u_scale": U.tolist()}
            elif isinstance(normalisation, NoScaling):
                scales, gpinn_scales = [1.0] * len(basis), [1.0] * p
                norm = {"method": NoScaling.name}
            else:
                raise ValueError(f"PINNLoss does not know the normaliser {normalisation!r}")
        else:
            scales = [float(s) for s in normalisation]
            if len(scales) != len(basis) or not all(s > 0 for s in scales):
                raise ValueError(f"give one positive scale per generator ({len(basis)}), got {scales}")
            gpinn_scales = [1.0] * p
            norm = {"method": "explicit"}

        self.box = box
        self.strategy = strategy
        self.scales = jnp.asarray(scales, dtype=float)
        self.gpinn_scales = jnp.asarray(gpinn_scales, dtype=float)
        self.defaults = tuple(None if math.isnan(v) else v for v in defaults)
        self.names = tuple(names)
        self.forms = tuple(forms)
        self.weights = tuple(w)
        self.residual_weight = float(residual_weight)
        self.gpinn_weight = None if gpinn is None else float(gpinn)
        self.n_equations = m
        self.independent = _names(jet)
        self.parameters = tuple(s.name for s in params)
        self._missing = tuple(s.name for s, v in zip(params, defaults) if math.isnan(v))
        self._d_rows = d_rows
        self._prv_rows = tuple(prv_rows)
        self._xi_rows = tuple(xi_rows)
        self._record = json.dumps({
            "pde": [sp.sstr(e) for e in eqs],
            "generators": [
                {"name": n, "form": f.name, "weight": wk,
                 "xi": {x.name: sp.sstr(c) for x, c in zip(jet.independent, xi) if c != 0},
                 "phi": {u.name: sp.sstr(c) for u, c in zip(jet.dependent, ph) if c != 0}}
                for n, f, wk, (xi, ph) in zip(names, forms, w, infinitesimal)
            ],
            "normalisation": norm,
            "residual_weight": float(residual_weight),
            "gpinn": None if gpinn is None else float(gpinn),
            "parameters": [s.name for s in params],
            "strategy": type(strategy).__name__,
            "box": None if box is None else {"lo": np.asarray(box.lo).tolist(),
                                             "hi": np.asarray(box.hi).tolist()},
            "derivatives": [[a, list(al)] for a, al in self.lowered.required],
        })

    # -- evaluation ----------------------------------------------------------------------
    def _params(self, params, dtype):
        if params is None:
            if self._missing:
                raise ValueError(
                    f"no value for parameter(s) {list(self._missing)}: pass params (an array in "
                    f"the order {list(self.parameters)}) or parameter_values=... at construction"
                )
            return jnp.asarray(self.defaults, dtype)
        params = jnp.asarray(params, dtype)
        if params.shape != (len(self.parameters),):
            raise ValueError(
                f"params must have shape ({len(self.parameters)},) for {list(self.parameters)}, "
                f"got {params.shape}"
            )
        return params

    def _suffix(self, nu: int) -> str:
        return _suffix(self.n_equations, nu)

    def pointwise(
        self,
        model: Callable[[Float[Array, " p"]], Float[Array, " q"]],
        points: Float[Array, "N p"],
        params: Float[ArrayLike, " k"] | None = None,
    ) -> dict[str, Float[Array, " N"]]:
        """Every term at every point (before squaring and weighting), by name."""
        points = jnp.asarray(points)
        layout = _Layout(self.names, self.n_equations, self.independent, self.gpinn_weight is not None,
                         self._d_rows, self._prv_rows, self._xi_rows)
        return _evaluate(self.lowered, self.box, self.strategy, self.scales, self.gpinn_scales,
                         layout, model, points, self._params(params, points.dtype))

    def term_weights(self) -> dict[str, float]:
        """The weight of each named term in the total."""
        out = {}
        for nu in range(self.n_equations):
            out["residual" + self._suffix(nu)] = self.residual_weight
            for name, w in zip(self.names, self.weights):
                out[f"sym:{name}" + self._suffix(nu)] = w
            if self.gpinn_weight is not None:
                for x in self.independent:
                    out[f"gpinn:{x}" + self._suffix(nu)] = self.gpinn_weight
        return out

    def __call__(
        self,
        model: Callable[[Float[Array, " p"]], Float[Array, " q"]],
        points: Float[Array, "N p"],
        params: Float[ArrayLike, " k"] | None = None,
    ) -> tuple[Float[Array, ""], dict[str, Float[Array, ""]]]:
        """(weighted total, {name: mean square of the term})."""
        terms = {k: jnp.mean(v**2) for k, v in self.pointwise(model, points, params).items()}
        weights = self.term_weights()
        total = sum(weights[k] * v for k, v in terms.items())
        return total, terms

    # -- normalisation by the initial network -----------------------------------------------
    def with_initial_scales(self, model, points, params=None) -> "PINNLoss":
        r"""A copy whose generator scales make every symmetry term equal the residual term on
        `model` (typically the untrained network): $s_v \leftarrow s_v\sqrt{T_v / T_\mathrm{res}}$.
        Terms that vanish identically (zero prolonged terms) keep their scale."""
        _, terms = self(model, points, params)
        res = sum(terms["residual" + self._suffix(nu)] for nu in range(self.n_equations))
        new = []
        for g, name in enumerate(self.names):
            t = sum(terms[f"sym:{name}" + self._suffix(nu)] for nu in range(self.n_equations))
            ratio = float(t) / float(res) if float(res) > 0 else 0.0
            new.append(float(self.scales[g]) * math.sqrt(ratio) if ratio > 1e-30 else float(self.scales[g]))
        record = json.loads(self._record)
        record["normalisation"] = {"method": InitialBalance.name, "before": record["normalisation"],
                                   "rule": "s_v such that every symmetry term equals the residual "
                                           "term on the initial network"}
        out = eqx.tree_at(lambda l: l.scales, self, jnp.asarray(new, dtype=float))
        object.__setattr__(out, "_record", json.dumps(record))  # a fresh copy: safe to set
        return out

    def describe(self) -> dict:
        """JSON-ready record of every choice (forms, weights, scales, normalisation, ...)."""
        record = json.loads(self._record)
        for g, s in zip(record["generators"], np.asarray(self.scales).tolist()):
            g["scale"] = s
        if record["gpinn"] is not None:
            record["gpinn_scales"] = np.asarray(self.gpinn_scales).tolist()
        return record


class _Layout(NamedTuple):
    """Where each term's pieces sit among the lowered rows (static, hashable)."""

    names: tuple[str, ...]
    n_equations: int
    independent: tuple[str, ...]
    gpinn: bool
    d_rows: int | None
    prv_rows: tuple[int, ...]
    xi_rows: tuple[tuple[tuple[int, int], ...], ...]


def _suffix(m: int, nu: int) -> str:
    return "" if m == 1 else f"[eq{nu + 1}]"


# Jitted on its own (not on the whole PINNLoss) so that losses differing only in weights, scales
# or records share one compilation; inlined when called inside a trainer's jit.
@eqx.filter_jit
def _evaluate(lowered, box, strategy, scales, gpinn_scales, layout, model, points, params):
    derivs = derivatives(model, points, lowered.required, strategy=strategy, scaling=box)
    vals = lowered(points, derivs, params)
    m, p = layout.n_equations, len(layout.independent)
    out = {}
    for nu in range(m):
        out["residual" + _suffix(m, nu)] = vals[nu]
    scales = scales.astype(points.dtype)
    for g, name in enumerate(layout.names):
        for nu in range(m):
            term = vals[layout.prv_rows[g] + nu]
            for i, row in layout.xi_rows[g]:
                term = term - vals[row] * vals[layout.d_rows + nu * p + i]
            out[f"sym:{name}" + _suffix(m, nu)] = term / scales[g]
    if layout.gpinn:
        gs = gpinn_scales.astype(points.dtype)
        for nu in range(m):
            for i, x in enumerate(layout.independent):
                out[f"gpinn:{x}" + _suffix(m, nu)] = vals[layout.d_rows + nu * p + i] / gs[i]
    return out


@functools.lru_cache(maxsize=64)
def _lower_cached(rows: tuple, jet, params: tuple) -> Lowered:
    # The same expressions give the same Lowered object, hence one jit compilation for every
    # PINNLoss built from them (sweeps, tests).
    return lower(list(rows), jet, params)


def _weights(weights, names) -> list[float]:
    if isinstance(weights, Mapping):
        unknown = [k for k in weights if k not in names]
        if unknown:
            raise ValueError(f"weights given for unknown generators {unknown} (have {names})")
        return [float(weights.get(n, 1.0)) for n in names]
    if isinstance(weights, (int, float)):
        return [float(weights)] * len(names)
    weights = [float(w) for w in weights]
    if len(weights) != len(names):
        raise ValueError(f"{len(weights)} weights given for {len(names)} generators")
    return weights


def _coefficient_scale(jet, xi, phi, lo, hi, U, subs, name, n_grid: int = 9, n_u: int = 5) -> float:
    """max over a grid of box x [-U, U] of max(|xi^i| / (hi_i - lo_i), |phi_a| / U_a).
    Coefficients with derivatives of u (generalised symmetries) have no such grid: they are
    skipped, and a generator with nothing else gets scale 1 (`InitialBalance` calibrates it)."""
    syms = list(jet.independent) + list(jet.dependent)
    with_derivatives = False
    axes = [np.linspace(a, b, n_grid) for a, b in zip(lo, hi)] + [np.linspace(-u, u, n_u) for u in U]
    grid = [g.ravel() for g in np.meshgrid(*axes, indexing="ij")]
    comps = [(c, 1.0 / L) for c, L in zip(xi, hi - lo)] + [(c, 1.0 / u) for c, u in zip(phi, U)]
    best = 0.0
    for c, factor in comps:
        c = sp.sympify(c).xreplace(subs)
        if c == 0:
            continue
        extra = c.free_symbols - set(syms)
        if extra and all(jet.is_jet(e) for e in extra):
            with_derivatives = True
            continue
        if extra:
            raise ValueError(
                f"generator {name}: coefficient {sp.sstr(c)} contains {sorted(s.name for s in extra)} "
                "without values; pass parameter_values=... for the normalisation"
            )
        with np.errstate(all="ignore"):  # u**m, log u ... are undefined on part of the grid
            vals = np.broadcast_to(np.asarray(sp.lambdify(syms, c, "numpy")(*grid), float), grid[0].shape)
        vals = np.abs(vals[np.isfinite(vals)])
        if vals.size:
            best = max(best, float(np.max(vals)) * factor)
    if best == 0 and with_derivatives:
        return 1.0
    if not best > 0 or not math.isfinite(best):
        raise ValueError(f"generator {name} has no finite nonzero coefficient on the domain (scale {best})")
    return best


# --------------------------------------------------------------------------------------
# Initial and boundary conditions
# --------------------------------------------------------------------------------------


def _as_columns(values, n: int, k: int, what: str) -> Array:
    values = jnp.asarray(values)
    if values.ndim == 1 and k == 1:
        values = values[:, None]
    if values.shape != (n, k):
        raise ValueError(f"{what} must have shape ({n},) or ({n}, {k}), got {values.shape}")
    return values


def _components(model, points, components) -> tuple[int, ...]:
    out = jax.eval_shape(model, jax.ShapeDtypeStruct(points.shape[1:], points.dtype)).shape
    q = 1 if out == () else out[0]
    if components is None:
        return tuple(range(q))
    components = (components,) if isinstance(components, int) else tuple(components)
    for a in components:
        if not 0 <= a < q:
            raise ValueError(f"component {a} out of range: the model has {q} outputs")
    return components


@eqx.filter_jit
def dirichlet_residual(
    model: Callable[[Float[Array, " p"]], Float[Array, " q"]],
    points: Float[Array, "N p"],
    values: Float[ArrayLike, "N *k"],
    *,
    box: Box | None = None,
    components: int | Sequence[int] | None = None,
) -> Float[Array, "N k"]:
    r"""$u^a(x) - g^a(x)$ at every point (rows) and component (columns).

    `values`: (N,) for one component, or (N, k) for the `components` (default: all outputs).
    """
    points = jnp.asarray(points)
    comps = _components(model, points, components)
    target = _as_columns(values, points.shape[0], len(comps), "values").astype(points.dtype)
    d = derivatives(model, points, [(a, (0,) * points.shape[1]) for a in comps],
                    strategy=DEFAULT_STRATEGY, scaling=box)
    u = jnp.stack([d[(a, (0,) * points.shape[1])] for a in comps], axis=1)
    return u - target


@eqx.filter_jit
def dirichlet_loss(
    model: Callable[[Float[Array, " p"]], Float[Array, " q"]],
    points: Float[Array, "N p"],
    values: Float[ArrayLike, "N *k"],
    *,
    box: Box | None = None,
    components: int | Sequence[int] | None = None,
) -> Float[Array, ""]:
    r"""Mean over points and components of $(u^a(x) - g^a(x))^2$ (:func:`dirichlet_residual`).

    An initial condition is the Dirichlet condition on the slice t = t_0 (`initial_loss`).
    `values`: (N,) for one component, or (N, k) for the `components` (default: all outputs).
    """
    return jnp.mean(dirichlet_residual(model, points, values, box=box, components=components) ** 2)


initial_loss = dirichlet_loss  # an initial condition is a Dirichlet condition on t = t0


@eqx.filter_jit
def neumann_residual(
    model: Callable[[Float[Array, " p"]], Float[Array, " q"]],
    points: Float[Array, "N p"],
    values: Float[ArrayLike, "N *k"],
    normals: Float[ArrayLike, "*N p"],
    *,
    box: Box | None = None,
    components: int | Sequence[int] | None = None,
    strategy: AbstractStrategy = DEFAULT_STRATEGY,
) -> Float[Array, "N k"]:
    r"""$n^i \partial_i u^a(x) - g^a(x)$ at every point (rows) and component (columns).

    `normals`: one normal (p,) for all points, or one per point (N, p) (physical coordinates).
    """
    points = jnp.asarray(points)
    n, p = points.shape
    comps = _components(model, points, components)
    target = _as_columns(values, n, len(comps), "values").astype(points.dtype)
    normals = jnp.broadcast_to(jnp.asarray(normals, points.dtype), (n, p))
    e = [tuple(int(i == j) for j in range(p)) for i in range(p)]
    d = derivatives(model, points, [(a, ei) for a in comps for ei in e], strategy=strategy, scaling=box)
    du = jnp.stack([sum(normals[:, i] * d[(a, e[i])] for i in range(p)) for a in comps], axis=1)
    return du - target


@eqx.filter_jit
def neumann_loss(
    model: Callable[[Float[Array, " p"]], Float[Array, " q"]],
    points: Float[Array, "N p"],
    values: Float[ArrayLike, "N *k"],
    normals: Float[ArrayLike, "*N p"],
    *,
    box: Box | None = None,
    components: int | Sequence[int] | None = None,
    strategy: AbstractStrategy = DEFAULT_STRATEGY,
) -> Float[Array, ""]:
    r"""Mean over points and components of $(n^i \partial_i u^a(x) - g^a(x))^2$
    (:func:`neumann_residual`).

    `normals`: one normal (p,) for all points, or one per point (N, p) (physical coordinates).
    """
    return jnp.mean(neumann_residual(model, points, values, normals, box=box, components=components,
                                     strategy=strategy) ** 2)


@eqx.filter_jit
def periodic_loss(
    model: Callable[[Float[Array, " p"]], Float[Array, " q"]],
    lower_points: Float[Array, "N p"],
    upper_points: Float[Array, "N p"],
    *,
    axis: int,
    order: int = 1,
    box: Box | None = None,
    components: int | Sequence[int] | None = None,
    strategy: AbstractStrategy = DEFAULT_STRATEGY,
) -> Float[Array, ""]:
    r"""Mean over pairs, derivative orders $k = 0..$`order` and components of
    $(\partial^k_{x^\mathrm{axis}} u^a(x^-) - \partial^k_{x^\mathrm{axis}} u^a(x^+))^2$.

    The pairs are given explicitly (`upper_points = lower_points + L e_axis`, L the period) so
    that the period is never inferred from a different box. For a PDE of order n in that
    variable, match derivatives up to order n - 1.
    """
    lower_points, upper_points = jnp.asarray(lower_points), jnp.asarray(upper_points)
    if lower_points.shape != upper_points.shape:
        raise ValueError(
            f"lower_points and upper_points must have the same shape, got {lower_points.shape} "
            f"and {upper_points.shape}"
        )
    p = lower_points.shape[1]
    if not 0 <= axis < p or order < 0:
        raise ValueError(f"need 0 <= axis < {p} and order >= 0, got axis={axis}, order={order}")
    comps = _components(model, lower_points, components)
    req = [(a, tuple(k if j == axis else 0 for j in range(p))) for a in comps for k in range(order + 1)]
    both = jnp.concatenate([lower_points, upper_points])
    d = derivatives(model, both, req, strategy=strategy, scaling=box)
    n = lower_points.shape[0]
    diffs = jnp.stack([d[r][:n] - d[r][n:] for r in req], axis=1)
    return jnp.mean(diffs**2)

