r"""The conserved-quantity loss: the residual plus, for each conservation law
$D_t T + D_x X = 0$ of the PDE, the drift of $\int T\,dx$ at fixed times.

For a network $u_\theta$ on $x \in [lo, hi]$, $t \in [t_0, t_1]$ and times
$t_j = t_0 + (t_1 - t_0)\, j / J$ ($j = 1..J$), the drift of law $\ell$ is

$$d_{\ell j} = \int_{lo}^{hi} T_\ell[u_\theta](x, t_j)\,dx - \int_{lo}^{hi} T_\ell[u_0](x)\,dx
  + \int_{t_0}^{t_j} \big[X_\ell[u_\theta]\big]_{x=lo}^{x=hi}\,dt ,$$

zero on every solution. The term of law $\ell$ is $\frac1J \sum_j (d_{\ell j}/s_\ell)^2$ with
$s_\ell$ the normaliser's scale: `CoefficientScale()` divides by the size of the quantity,
$s_\ell = \int |T_\ell[u_0]|\,dx$; `InitialBalance()` then rescales so that every term equals
the residual term on the calibration network; `NoScaling()` keeps $s_\ell = 1$.

Quadrature in x: the trapezoid rule on a periodic domain when no density depends on x
explicitly (spectrally accurate for smooth periodic integrands), Gauss-Legendre otherwise;
in t, `N_FLUX` Gauss-Legendre nodes on each $[t_{j-1}, t_j]$, summed cumulatively. On a
periodic domain the flux term of a law whose flux does not depend on x explicitly cancels
and is left out (the Galilean law of KdV, $T = t u^2/2 - x u$, keeps it).

For a problem with a family of initial conditions (IC-conditioned training) the drift is
per member: $d_{\ell j}(u_0) = \int T_\ell[u_\theta(\cdot; u_0)](x, t_j)\,dx - \int T_\ell[u_0]\,dx$
(+ flux), with $\int T_\ell[u_0]\,dx$ computed once per training IC
(`ConservedLoss.for_initial_conditions`) and handed to the loss with each IC
(`loss(model.condition(branch), points, initial=...)`); the scale $\int|T_\ell[u_0]|\,dx$
is the mean over the training ICs.

Laws come from `liepinn.conservation_laws(problem.pde, order=...)` (cached per problem
fingerprint and order); parameter values are substituted, and t-derivatives of u in a
density or flux are replaced on solutions by the evolution form $u_t = F[u]$ (and its
x- and t-derivatives). A law is skipped, with the reason recorded, when that is impossible
or when its density vanishes on solutions.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable
from typing import Any, ClassVar

import equinox as eqx
import jax.numpy as jnp
import numpy as np
import sympy as sp
from jaxtyping import Array, ArrayLike, Float

from ._lower import Lowered, lower
from ._variants import (
    AbstractNormaliser,
    AbstractVariant,
    CoefficientScale,
    InitialBalance,
    NoScaling,
    _check_weight,
    normaliser_from_name,
    parameter_values,
)
from ..derivatives import DEFAULT_STRATEGY, derivatives
from ..derivatives._strategies import plan_cost

N_FLUX = 4  # Gauss-Legendre nodes in t per interval [t_{j-1}, t_j] for the boundary flux
_N_FINE = 1024  # quadrature nodes for the integrals of the initial condition


# ------------------------------------------------------------------------------------------
# the variant


def _check_laws(laws) -> str | tuple[int, ...]:
    if laws == "all" or laws is None:
        return "all"
    if isinstance(laws, str):
        try:
            laws = [int(s) for s in laws.split(",") if s.strip()]
        except ValueError:
            raise ValueError(f"laws must be 'all' or 1-based numbers like 1,3, got {laws!r}") from None
    elif isinstance(laws, int) and not isinstance(laws, bool):
        laws = [laws]
    out = tuple(sorted({int(k) for k in laws}))
    if not out or any(k < 1 for k in out):
        raise ValueError(f"laws must be 'all' or 1-based numbers like 1,3, got {laws!r}")
    return out


def _check_int(name: str, value, lo: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < lo:
        raise ValueError(f"{name} must be an integer >= {lo}, got {value!r}")
    return value


@dataclasses.dataclass(frozen=True)
class ConservedQuantity(AbstractVariant):
    r"""Residual + $w \sum_\ell \frac1J\sum_j (d_{\ell j}/s_\ell)^2$: the drift of each selected
    conservation law at `n_times` fixed times (see the module docstring).

    **Arguments:**

    - `laws`: `"all"` or 1-based law numbers, as in `liepinn conservation-laws` (e.g. `(1, 3)`
      or `"1,3"`).
    - `order`: the multiplier order the laws are derived at.
    - `weight`: $w$.
    - `n_times`: $J$, the number of times $t_j$.
    - `n_quad`: quadrature nodes in x at each time.
    - `normaliser`: `InitialBalance()` (default), `CoefficientScale()` or `NoScaling()`.
    """

    laws: str | tuple[int, ...] = "all"
    order: int = 1
    weight: float = 1.0
    n_times: int = 16
    n_quad: int = 64
    normaliser: AbstractNormaliser | str = InitialBalance()  # type: ignore[assignment]

    name: ClassVar[str] = "conserved"

    def __post_init__(self):
        object.__setattr__(self, "laws", _check_laws(self.laws))
        object.__setattr__(self, "order", _check_int("order", self.order, 0))
        object.__setattr__(self, "weight", _check_weight(self.weight))
        object.__setattr__(self, "n_times", _check_int("n_times", self.n_times, 1))
        object.__setattr__(self, "n_quad", _check_int("n_quad", self.n_quad, 2))
        object.__setattr__(self, "normaliser", normaliser_from_name(self.normaliser))

    def to_json(self) -> dict[str, Any]:
        out = super().to_json()
        # a string keeps the record hashable (sweep records hold the fields in a tuple)
        out["laws"] = self.laws if self.laws == "all" else ",".join(map(str, self.laws))
        return out

    def interior_loss(self, problem) -> "ConservedLoss":
        return ConservedLoss(problem, self)

    def calibrate(self, loss, model, points):
        if isinstance(self.normaliser, InitialBalance):
            return loss.with_initial_scales(model, points)
        return loss


# ------------------------------------------------------------------------------------------
# the laws of a problem, ready for the loss


_LAWS: dict[tuple[str, int], Any] = {}


def problem_laws(problem, order: int = 1):
    """`liepinn.conservation_laws(problem.pde, order=order)`, cached by the problem's fingerprint."""
    from ..problems import fingerprint
    from ..symmetry import conservation_laws

    key = (fingerprint(problem), order)
    if key not in _LAWS:
        _LAWS[key] = conservation_laws(problem.pde, order=order)
    return _LAWS[key]


def on_solutions(expr: sp.Expr, jet, F: dict[int, sp.Expr], ti: int, rounds: int = 8) -> sp.Expr:
    r"""`expr` with every $u^a_{J}$, $J_t > 0$, replaced by $D^{J - e_t} F_a$ (repeatedly, so
    $u_{tt} = D_t F$ is reduced too). ValueError if t-derivatives remain."""
    for _ in range(rounds):
        hits = [(a, al) for a, al in jet.jet_variables(expr) if al[ti] > 0]
        if not hits:
            return expr
        reps = {}
        for a, al in hits:
            if a not in F:
                raise ValueError(f"no evolution equation for {jet.dependent[a]}")
            base = al[:ti] + (al[ti] - 1,) + al[ti + 1:]
            reps[jet.jet(a, al)] = jet.D_multi(F[a], base)
        expr = sp.expand(expr.xreplace(reps))
    raise ValueError("t-derivatives remain after substituting the evolution form")


def _select(problem, variant: ConservedQuantity):
    """(used: [(number, T, X, needs flux)], skipped: [(number, reason)]) after substitution."""
    from ..symbolic._parse import PDEInputError

    laws = problem_laws(problem, variant.order)
    n = len(laws.laws)
    numbers = list(range(1, n + 1)) if variant.laws == "all" else list(variant.laws)
    bad = [k for k in numbers if not 1 <= k <= n]
    if bad:
        raise ValueError(f"law numbers {bad} out of range: {problem.name!r} has {n} conservation law(s) "
                         f"at multiplier order {variant.order}" + (f" (1..{n})" if n else ""))
    jet = problem.pde.jet
    ti = problem.time_index
    x = sp.Symbol(problem.space[0])
    values = problem.parameter_symbols()
    try:
        evo = problem.evolution_form()
        F: dict[int, sp.Expr] | None = {jet.dep_index(u): f for u, f in evo.items()}
    except PDEInputError as exc:
        F, why = None, str(exc)
    used, skipped = [], []
    for k in numbers:
        law = laws.laws[k - 1]
        T = sp.expand(sp.sympify(law.density).xreplace(values))
        X = sp.expand(sp.sympify(law.fluxes.get(x, sp.Integer(0))).xreplace(values))
        has_t = any(al[ti] > 0 for e in (T, X) for _, al in jet.jet_variables(e))
        if has_t:
            if F is None:
                skipped.append((k, f"its density or flux has t-derivatives and the PDE has no evolution form ({why})"))
                continue
            try:
                T, X = on_solutions(T, jet, F, ti), on_solutions(X, jet, F, ti)
            except ValueError as exc:
                skipped.append((k, f"t-derivatives could not be substituted ({exc})"))
                continue
        if T == 0:
            skipped.append((k, "its density vanishes on solutions"))
            continue
        flux = X != 0 and (not problem.periodic or x in X.free_symbols)
        used.append((k, T, X, flux))
    if not used:
        raise ValueError(f"no usable conservation law for {problem.name!r} at multiplier order "
                         f"{variant.order}: " + ("; ".join(f"law {k}: {r}" for k, r in skipped) or "none found"))
    return used, skipped


def _initial_integrals(problem, densities, nodes, weights, initial=None) -> tuple[np.ndarray, np.ndarray]:
    r"""($\int T[u_0]\,dx$, $\int |T[u_0]|\,dx$) per density, on the given quadrature;
    $u_0$ is `initial` ({dependent: expression}) or the problem's initial condition."""
    jet = problem.pde.jet
    x = sp.Symbol(problem.space[0])
    xi = jet.index(x)
    t0 = sp.nsimplify(problem.t_span[0])
    values = problem.parameter_symbols()
    initial = problem.initial if initial is None else initial
    u0 = {a: sp.sympify(initial[d]).xreplace(values) for a, d in enumerate(problem.dependent)}
    time = sp.Symbol(problem.time)
    total, size = [], []
    for T in densities:
        reps = {jet.jet(a, al): sp.diff(u0[a], x, al[xi]) for a, al in jet.jet_variables(T)}
        e = T.xreplace(reps).xreplace({time: t0})
        vals = np.broadcast_to(np.asarray(sp.lambdify([x], e, "numpy")(nodes), float), nodes.shape)
        total.append(float(np.sum(weights * vals)))
        size.append(float(np.sum(weights * np.abs(vals))))
    return np.asarray(total), np.asarray(size)


def _scales(magnitude: np.ndarray, coefficient_scale: bool) -> np.ndarray:
    if not coefficient_scale:
        return np.ones(len(magnitude))
    return np.asarray(np.where((magnitude > 0) & np.isfinite(magnitude), magnitude, 1.0), float)


def _rule(kind: str, lo: float, hi: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    if kind == "trapezoid":  # periodic: the right end is the left one
        return lo + (hi - lo) * np.arange(n) / n, np.full(n, (hi - lo) / n)
    z, w = np.polynomial.legendre.leggauss(n)
    return lo + (hi - lo) * (z + 1) / 2, w * (hi - lo) / 2


def _points(problem, x, t) -> np.ndarray:
    """(len(x) * len(t), p) points, t-major (all x at the first time first)."""
    X, Tm = np.meshgrid(x, t, indexing="xy")
    pts = np.zeros((X.size, len(problem.independent)))
    pts[:, problem.independent.index(problem.space[0])] = X.ravel()
    pts[:, problem.time_index] = Tm.ravel()
    return pts


# ------------------------------------------------------------------------------------------
# the loss


class ConservedLoss(eqx.Module):
    r"""The residual `PINNLoss` plus one conserved-quantity term per law (`ConservedQuantity`).

    Call as `loss(model, points) -> (total, terms)`, terms `"residual"` (etc.) and
    `"conserved:T<k>"` (k the law's number); `drift(model)` is $d_{\ell j}$, shape (laws, J).
    """

    residual: Any
    density: Lowered
    flux: Lowered | None
    quad_points: np.ndarray
    quad_weights: np.ndarray
    flux_points: np.ndarray
    flux_weights: np.ndarray
    initial: np.ndarray | None
    magnitude: np.ndarray
    scales: np.ndarray
    ic_initial: np.ndarray | None  # IC families: int T(u0) dx per training IC, (n_ics, laws)
    fine_nodes: np.ndarray  # quadrature of the integrals of u0
    fine_weights: np.ndarray
    densities: tuple[sp.Expr, ...] = eqx.field(static=True)
    coefficient_scale: bool = eqx.field(static=True)
    names: tuple[str, ...] = eqx.field(static=True)
    flux_rows: tuple[int, ...] = eqx.field(static=True)
    weight: float = eqx.field(static=True)
    n_times: int = eqx.field(static=True)
    _record: str = eqx.field(static=True)
    family: bool = eqx.field(static=True)

    def __init__(self, problem, variant: ConservedQuantity):
        from ..problems import is_conditioned
        from ._variants import Residual

        if len(problem.space) != 1:
            raise ValueError(f"the conserved-quantity loss integrates over one space variable; "
                             f"{problem.name!r} has {len(problem.space)}")
        used, skipped = _select(problem, variant)
        jet = problem.pde.jet
        x = sp.Symbol(problem.space[0])
        lo, hi = (float(b) for b in problem.domain[problem.space[0]])
        t0, t1 = problem.t_span
        kind = "trapezoid" if problem.periodic and not any(x in T.free_symbols for _, T, _, _ in used) \
            else "gauss-legendre"
        densities = [T for _, T, _, _ in used]
        xq, wq = _rule(kind, lo, hi, variant.n_quad)
        times = t0 + (t1 - t0) * np.arange(1, variant.n_times + 1) / variant.n_times
        xf, wf = _rule(kind, lo, hi, max(_N_FINE, 4 * variant.n_quad))
        self.family = is_conditioned(problem)
        if self.family:  # per IC: `for_initial_conditions` fills them in
            initial, magnitude = None, np.ones(len(used))
        else:
            initial, magnitude = _initial_integrals(problem, densities, xf, wf)
        self.ic_initial = None

        # the flux: N_FLUX Gauss-Legendre nodes on each [t_{j-1}, t_j], at x = lo and x = hi
        edges = np.concatenate([[t0], times])
        z, w = np.polynomial.legendre.leggauss(N_FLUX)
        tf = ((edges[:-1, None] + edges[1:, None]) / 2 + (edges[1:, None] - edges[:-1, None]) / 2 * z).ravel()
        wf_t = ((edges[1:, None] - edges[:-1, None]) / 2 * w).ravel()
        fluxes = [X for _, _, X, f in used if f]

        self.residual = Residual().interior_loss(problem)
        self.density = lower(densities, jet)
        self.flux = lower(fluxes, jet) if fluxes else None
        self.fine_nodes, self.fine_weights = xf, wf
        self.densities = tuple(densities)
        self.quad_points = _points(problem, xq, times)
        self.quad_weights = wq
        self.flux_points = _points(problem, np.array([lo, hi]), tf)  # (lo, hi) pairs per time
        self.flux_weights = wf_t
        self.initial = initial
        self.magnitude = magnitude
        if not isinstance(variant.normaliser, (CoefficientScale, NoScaling)):
            raise ValueError(f"ConservedQuantity does not know the normaliser {variant.normaliser!r}")
        self.coefficient_scale = isinstance(variant.normaliser, CoefficientScale)
        self.scales = _scales(magnitude, self.coefficient_scale)
        self.names = tuple(f"conserved:T{k}" for k, _, _, _ in used)
        self.flux_rows = tuple(i for i, (_, _, _, f) in enumerate(used) if f)
        self.weight = variant.weight
        self.n_times = variant.n_times
        self._record = json.dumps({
            "variant": variant.to_json(),
            "laws": [{"law": k, "density": sp.sstr(T), "flux": sp.sstr(X), "flux_term": f,
                      "initial": None if initial is None else float(q)}
                     for (k, T, X, f), q in zip(used, [None] * len(used) if initial is None else initial)],
            "skipped": [{"law": k, "reason": r} for k, r in skipped],
            "quadrature": {"x": kind, "n_quad": variant.n_quad, "times": times.tolist(),
                           "flux_nodes_per_interval": N_FLUX},
            "normalisation": {"method": variant.normaliser.name,
                              "rule": ("s = 1" if not self.coefficient_scale else
                                       "s = mean over the training ICs of integral |T(u0)| dx" if self.family
                                       else "s = integral of |T(u0)| dx")},
            "parameters": parameter_values(problem),
        })

    # -- evaluation ----------------------------------------------------------------------
    def drift(self, model: Callable[[Float[Array, " p"]], Float[Array, " q"]],
              dtype=None, initial: Float[ArrayLike, " L"] | None = None) -> Float[Array, "L J"]:
        r"""$d_{\ell j}$ of the module docstring, shape (number of laws, n_times); `initial`:
        $\int T_\ell[u_0]\,dx$ of the IC `model` is conditioned on (IC families; default: the
        problem's, or the first training IC's)."""
        dtype = jnp.result_type(float) if dtype is None else dtype
        if initial is None:
            if self.initial is None:
                raise ValueError("this conserved-quantity loss is for a family of initial conditions: "
                                 "build it with for_initial_conditions(problem, initial_conditions)")
            initial = self.initial
        pts = jnp.asarray(self.quad_points, dtype)
        vals = self.density(pts, derivatives(model, pts, self.density.required, strategy=DEFAULT_STRATEGY))
        J = self.n_times
        w = jnp.asarray(self.quad_weights, dtype)
        integral = jnp.sum(vals.reshape(vals.shape[0], J, -1) * w, axis=-1)
        out = integral - jnp.asarray(initial, dtype)[:, None]
        if self.flux is not None:
            fp = jnp.asarray(self.flux_points, dtype)
            fv = self.flux(fp, derivatives(model, fp, self.flux.required, strategy=DEFAULT_STRATEGY))
            jump = fv[:, 1::2] - fv[:, 0::2]  # X(hi, t) - X(lo, t)
            wt = jnp.asarray(self.flux_weights, dtype)
            through = jnp.cumsum(jnp.sum((jump * wt).reshape(jump.shape[0], J, -1), axis=-1), axis=-1)
            out = out.at[jnp.asarray(self.flux_rows)].add(through)
        return out

    def conserved_terms(self, model, dtype=None, initial=None) -> dict[str, Float[Array, ""]]:
        r"""$\frac1J\sum_j (d_{\ell j}/s_\ell)^2$ by name."""
        d = self.drift(model, dtype, initial)
        s = jnp.asarray(self.scales, d.dtype)
        return {name: jnp.mean((d[i] / s[i]) ** 2) for i, name in enumerate(self.names)}

    def step_cost(self, n_collocation: int) -> float:
        r"""Taylor coefficients per training step on `n_collocation` interior points, the
        recorded cost the compute-matched arm is matched by (`match_to="conserved"`):
        $N c_\mathrm{res} + J n_q c_T + n_X c_X$, the residual's derivative plan at N points,
        the densities' at the $J n_q$ quadrature points and the fluxes' at the $n_X$ flux points
        (each $c = $ `liepinn.derivatives._strategies.plan_cost` of the derivatives needed)."""
        res = self.residual.lowered.required
        out = n_collocation * plan_cost(alpha for _, alpha in res)
        out += len(self.quad_points) * plan_cost(alpha for _, alpha in self.density.required)
        if self.flux is not None:
            out += len(self.flux_points) * plan_cost(alpha for _, alpha in self.flux.required)
        return float(out)

    def term_weights(self) -> dict[str, float]:
        return {**self.residual.term_weights(), **{n: self.weight for n in self.names}}

    def __call__(
        self,
        model: Callable[[Float[Array, " p"]], Float[Array, " q"]],
        points: Float[Array, "N p"],
        params: Float[ArrayLike, " k"] | None = None,
        initial: Float[ArrayLike, " L"] | None = None,
    ) -> tuple[Float[Array, ""], dict[str, Float[Array, ""]]]:
        """(weighted total, {name: mean square of the term}); `initial` as in `drift`."""
        points = jnp.asarray(points)
        total, terms = self.residual(model, points, params)
        terms = dict(terms)
        for name, v in self.conserved_terms(model, points.dtype, initial).items():
            terms[name] = v
            total = total + self.weight * v
        return total, terms

    # -- families of initial conditions ---------------------------------------------------
    def for_initial_conditions(self, problem, initial_conditions) -> "ConservedLoss":
        r"""A copy for training on the given members $u_0$ of `problem`'s IC family (each a
        {dependent: expression} or, for one dependent variable, an expression): `ic_initial`
        holds $\int T_\ell[u_0]\,dx$ per member, shape (members, laws), `initial` the first
        member's (the calibration network's IC), and the scales $s_\ell$ of `CoefficientScale`
        the mean of $\int |T_\ell[u_0]|\,dx$ over the members."""
        members = [ic if isinstance(ic, dict) else {problem.dependent[0]: ic} for ic in initial_conditions]
        if not members:
            raise ValueError("for_initial_conditions needs at least one initial condition")
        if len(problem.dependent) > 1 and any(set(m) != set(problem.dependent) for m in members):
            raise ValueError(f"each initial condition must give {list(problem.dependent)}")
        rows = [_initial_integrals(problem, list(self.densities), self.fine_nodes, self.fine_weights, m)
                for m in members]
        totals = np.stack([t for t, _ in rows])
        magnitude = np.mean(np.stack([a for _, a in rows]), axis=0)
        out = eqx.tree_at(lambda l: (l.initial, l.ic_initial, l.magnitude, l.scales), self,
                          (totals[0], totals, magnitude, _scales(magnitude, self.coefficient_scale)),
                          is_leaf=lambda v: v is None)
        record = json.loads(self._record)
        for law, q in zip(record["laws"], totals[0]):
            law["initial"] = float(q)
        record["initial_conditions"] = len(members)
        object.__setattr__(out, "_record", json.dumps(record))  # a fresh copy: safe to set
        return out

    # -- normalisation by the initial network ---------------------------------------------
    def with_initial_scales(self, model, points) -> "ConservedLoss":
        r"""A copy whose scales make every conserved term equal the residual term on `model`:
        $s_\ell \leftarrow s_\ell \sqrt{T_\ell / T_\mathrm{res}}$ (vanishing terms keep their scale)."""
        _, terms = self(model, points)
        res = float(sum(v for k, v in terms.items() if k.startswith("residual")))
        new = []
        for name, s in zip(self.names, self.scales):
            ratio = float(terms[name]) / res if res > 0 else 0.0
            new.append(float(s) * math.sqrt(ratio) if ratio > 1e-30 else float(s))
        record = json.loads(self._record)
        record["normalisation"] = {"method": InitialBalance.name, "before": record["normalisation"],
                                   "rule": "s such that every conserved term equals the residual term "
                                           "on the calibration network"}
        out = eqx.tree_at(lambda l: l.scales, self, np.asarray(new, float))
        object.__setattr__(out, "_record", json.dumps(record))  # a fresh copy: safe to set
        return out

    def describe(self) -> dict:
        """The residual loss's record, with the laws used and skipped, quadrature and scales."""
        out = self.residual.describe()
        record = json.loads(self._record)
        for law, s in zip(record["laws"], np.asarray(self.scales).tolist()):
            law["scale"] = s
        record["weight"] = self.weight
        out["conserved"] = record
        return out


# ------------------------------------------------------------------------------------------
# the drift of a trained model, as a metric


_PROBES: dict[tuple, "ConservedLoss"] = {}


def conservation_drift(problem, model, *, order: int = 1, laws="all", n_times: int = 32,
                       n_quad: int = 256, dtype=None, initial_condition=None) -> dict[str, Any]:
    r"""The relative conservation drift of a trained `model` on `problem`, per law:
    $\max_j |d_{\ell j}| / \int |T_\ell[u_0]|\,dx$ over `n_times` equally spaced times, with
    $d_{\ell j}$ of the module docstring on `n_quad` quadrature nodes (finer than in training);
    the absolute drift for a law with $T_\ell[u_0] \equiv 0$. For a problem with a family of
    initial conditions, `model` is conditioned on `initial_condition` (a member: expression,
    or {dependent: expression}).

    Returns `{"order", "n_times", "n_quad", "laws": [{"law", "density"}], "drift": [per law],
    "max": the largest}`. ValueError where the loss cannot be built (no evolution problem in
    one space variable, no usable law)."""
    from ..problems import fingerprint

    key = (fingerprint(problem), order, str(laws), n_times, n_quad)
    if key not in _PROBES:
        _PROBES[key] = ConservedQuantity(laws=laws, order=order, n_times=n_times, n_quad=n_quad,
                                         normaliser=NoScaling()).interior_loss(problem)
    probe = _PROBES[key]
    if probe.family and initial_condition is None:
        raise ValueError(f"{problem.name!r} has a family of initial conditions: pass the member the "
                         "model is conditioned on (initial_condition=...)")
    this = probe if initial_condition is None else probe.for_initial_conditions(problem, [initial_condition])
    d = np.asarray(_drift_jit(probe, model, dtype, this.initial), float)
    size = np.where(this.magnitude > 0, this.magnitude, 1.0)
    drift = (np.max(np.abs(d), axis=-1) / size).tolist()
    record = json.loads(probe._record)
    return {"order": order, "n_times": n_times, "n_quad": n_quad,
            "laws": [{"law": law["law"], "density": law["density"]} for law in record["laws"]],
            "drift": drift, "max": float(np.max(drift))}


@eqx.filter_jit
def _drift_jit(probe: "ConservedLoss", model, dtype, initial):
    return probe.drift(model, dtype, initial)
