r"""Checks of a problem's definition before any compute: `check_problem_definition(problem)`.

What is checked (every check works in any number of space dimensions):

- **The exact solution solves the PDE.** $\Delta(x, u^{(n)})$ with $u = u_\mathrm{exact}$ and the
  parameter values substituted: zero after `expand`, else evaluated at random points of the
  domain (30 digits) and compared with the size of its terms,
  $|\Delta| \le \mathrm{tol}\,\sum_k |T_k|$ where $\Delta = \sum_k T_k$.
- **The exact solution matches the data**: $u_\mathrm{exact}(x, t_0) = u_0(x)$; on each face
  $x_i = lo_i, hi_i$: $u_\mathrm{exact} = g$ (Dirichlet), $\partial_{x_i} u_\mathrm{exact} = g$
  (Neumann), $u_\mathrm{exact}(lo_i) = u_\mathrm{exact}(hi_i)$ (periodic).
- **Initial and boundary data agree at $t_0$** (the corners $x_i = lo_i, hi_i$, $t = t_0$).
  With hard constraints (the default of `RunSpec`) a mismatch of values is an error: the output
  transform $u = u_0(x) + \dots$ keeps $u_0$'s boundary values for all $t$, so the Dirichlet or
  periodic condition cannot hold anywhere on the face. With soft constraints the problem is
  still meaningful (a parabolic solution is smooth for $t > t_0$; only a layer at the corner is
  lost), so it is an `IncompatibleDataWarning`. Neumann data are always soft terms: a mismatch
  of $\partial_{x_i} u_0$ is a warning.
- **Well-posed signs.** For $\partial_t^m u^a = F_a$, the principal symbol of the linearised
  right-hand side, $P_{ab}(k) = \sum_{|J| = N} \partial F_a / \partial u^b_J \,(i k)^J$ ($N$ the
  highest spatial order), evaluated at random points and on the initial data for random unit
  wave vectors $k$: $m = 1$ needs $\mathrm{Re}\,\lambda(P) \le 0$ (otherwise modes
  $e^{i k x}$ grow like $e^{c |k|^N t}$: backward heat, $u_t = -\nu u_{xx}$ with $\nu > 0$);
  $m = 2$ needs real $\lambda(P) \le 0$ (otherwise the Cauchy problem is elliptic). Wrong at
  every sampled point for some direction (always so with constant coefficients): an error;
  wrong at some points only (a coefficient that changes sign with the solution): an
  `IllPosedWarning`. Directions: the axes, the diagonals, random ones and, for a scalar
  second-order equation, the lowest eigenvector of the diffusion matrix.
- Results are remembered per (problem fingerprint, constraints).
- The initial condition and the exact solution are finite on the domain.

Sympy and numpy only (mpmath for the 30-digit evaluations).
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Mapping

import mpmath
import numpy as np
import sympy as sp

__all__ = [
    "IllPosedWarning",
    "IncompatibleDataWarning",
    "ProblemDefinitionError",
    "ProblemDefinitionWarning",
    "check_problem_definition",
]

_N_POINTS = 12  # random points per check
# Relative tolerance of every comparison. Exact data give residuals near 1e-30 (30 digits); the
# tolerance is loose enough for an exact solution typed with 7 significant digits, and tight
# enough that what it lets through cannot show in an error table (rel. L2 >= 1e-5).
_RTOL = 1e-6
_SEED = 20_260


class ProblemDefinitionError(ValueError):
    """A problem's definition is wrong or unusable (the message says what and how to fix it)."""


class ProblemDefinitionWarning(UserWarning):
    """Something in a problem's definition is suspicious, but it can still be solved."""


class IncompatibleDataWarning(ProblemDefinitionWarning):
    """Initial and boundary data disagree where they meet (t = t0 on the boundary)."""


class IllPosedWarning(ProblemDefinitionWarning):
    """The evolution is backward (ill-posed) somewhere in the domain or for some data."""


# -- evaluation helpers -------------------------------------------------------------------------
def _value(expr: sp.Expr, point: Mapping[sp.Symbol, float]) -> complex:
    """`expr` at `point` with 30 digits (nan when undefined there)."""
    with mpmath.workdps(30):
        try:
            v = sp.N(expr.xreplace({s: sp.Float(x, 30) for s, x in point.items()}), 30)
            return complex(v)
        except (TypeError, ValueError, ZeroDivisionError, OverflowError):
            return complex("nan")


def _points(problem, rng, n: int, *, fixed: Mapping[str, float] | None = None) -> list[dict[sp.Symbol, float]]:
    """`n` random points strictly inside the domain (the variables in `fixed` held fixed)."""
    fixed = fixed or {}
    out = []
    for _ in range(n):
        pt = {}
        for v in problem.independent:
            if v in fixed:
                pt[sp.Symbol(v)] = fixed[v]
            else:
                lo, hi = (float(b) for b in problem.domain[v])
                pt[sp.Symbol(v)] = lo + (hi - lo) * rng.uniform(0.02, 0.98)
        out.append(pt)
    return out


def _where(point: Mapping[sp.Symbol, float]) -> str:
    return "(" + ", ".join(f"{s.name}={x:.4g}" for s, x in point.items()) + ")"


def _size(exprs, points) -> float:
    """The largest |value| of `exprs` over `points` (the scale of a field, 0 if none is finite)."""
    vals = [abs(_value(e, pt)) for e in exprs for pt in points]
    return max((v for v in vals if math.isfinite(v)), default=0.0)


def _compare(a: sp.Expr, b: sp.Expr, points, scale: float = 0.0) -> tuple[float, dict | None, complex, complex]:
    """Largest difference of `a` and `b` over `points` relative to max(|a| + |b|, `scale`)
    (0 when identical symbolically): `scale`, the size of the field, keeps a 1e-9 slip of a
    float coefficient from counting as a mismatch where the data vanish."""
    if sp.expand(a - b) == 0:
        return 0.0, None, 0j, 0j
    worst, at, va_w, vb_w = 0.0, None, 0j, 0j
    for pt in points:
        va, vb = _value(a, pt), _value(b, pt)
        if not (np.isfinite(va) and np.isfinite(vb)):
            continue
        rel = abs(va - vb) / max(abs(va) + abs(vb), scale, 1e-300)
        if abs(va - vb) < 1e-25:  # both zero to working precision
            rel = 0.0
        if rel > worst:
            worst, at, va_w, vb_w = rel, pt, va, vb
    return worst, at, va_w, vb_w


def _fmt(z: complex) -> str:
    return f"{z.real:.6g}" if abs(z.imag) <= 1e-12 * max(abs(z), 1e-300) else f"{z:.6g}"


# -- faces of the box ---------------------------------------------------------------------------
def _faces(problem):
    """(variable, side, value of the variable) for the faces x_i = lo_i and x_i = hi_i."""
    for v in problem.space:
        lo, hi = problem.domain[v]
        yield v, "lo", lo
        yield v, "hi", hi


# -- the checks ---------------------------------------------------------------------------------
def _check_finite(problem, rng, errors: list[str]) -> None:
    t0 = float(problem.domain[problem.time][0])
    named = []
    if problem.initial is not None:
        named += [("initial condition", d, e, {problem.time: t0}) for d, e in problem.initial.items()]
    if problem.exact is not None:
        named += [("exact solution", d, e, {}) for d, e in problem.exact.items()]
    # random interior points and the corners of the box
    corners = [dict(zip(map(sp.Symbol, problem.independent), c)) for c in itertools.product(
        *[[float(b) for b in problem.domain[v]] for v in problem.independent])]
    for what, d, e, fixed in named:
        pts = _points(problem, rng, _N_POINTS, fixed=fixed)
        pts += [c | {sp.Symbol(k): x for k, x in fixed.items()} for c in corners]
        for pt in pts:
            z = _value(e, pt)
            if not np.isfinite(z):
                errors.append(f"the {what} {d} = {sp.sstr(e)} is not finite at {_where(pt)}")
                break
            if abs(z.imag) > 1e-12 * abs(z):
                errors.append(f"the {what} {d} = {sp.sstr(e)} is not real at {_where(pt)} "
                              f"({_fmt(z)}); dependent variables are real (split complex ones into two)")
                break


def _check_exact_solves(problem, rng, errors: list[str]) -> None:
    jet = problem.pde.jet
    ex = {sp.Symbol(d): e for d, e in problem.exact.items()}
    indep = [sp.Symbol(v) for v in problem.independent]

    def substitute(expr):
        reps = {}
        for s in expr.free_symbols:
            hit = jet.decode(s)
            if hit is not None:
                a, alpha = hit
                f = ex[jet.dependent[a]]
                spec = [(x, k) for x, k in zip(indep, alpha) if k]
                reps[s] = sp.diff(f, *itertools.chain.from_iterable(spec)) if spec else f
        return expr.xreplace(reps)

    points = _points(problem, rng, _N_POINTS)
    for k, eq in enumerate(problem.pde_values().equations):
        residual = substitute(eq)
        if sp.expand(residual) == 0:
            continue
        terms = [substitute(t) for t in sp.Add.make_args(sp.expand(eq))]
        worst, at, value = 0.0, None, 0j
        for pt in points:
            vals = [_value(t, pt) for t in terms]
            if not all(np.isfinite(vals)):
                continue
            r, scale = abs(sum(vals)), sum(abs(v) for v in vals)
            rel = 0.0 if r < 1e-25 else r / max(scale, 1e-300)
            if rel > worst:
                worst, at, value = rel, pt, sum(vals)
        if worst > _RTOL:
            source = problem.pde.source[k] if k < len(problem.pde.source) else sp.sstr(eq)
            errors.append(
                f"the exact solution does not satisfy the PDE {source}: the residual is {_fmt(value)} at "
                f"{_where(at)} (relative to its terms {worst:.2g}); fix exact= or drop it (the run is "
                "then evaluated against a reference solution)"
            )


def _check_exact_data(problem, rng, errors: list[str]) -> None:
    from ._problem import Dirichlet, Neumann, Periodic

    t = sp.Symbol(problem.time)
    t0 = problem.domain[problem.time][0]
    inside = _points(problem, rng, _N_POINTS)
    scale = {d: _size([e], inside) for d, e in problem.exact.items()}
    if problem.initial is not None:
        pts = _points(problem, rng, _N_POINTS, fixed={problem.time: float(t0)})
        for d, e in problem.exact.items():
            rel, at, va, vb = _compare(e.xreplace({t: t0}), problem.initial[d], pts, scale[d])
            if rel > _RTOL:
                errors.append(
                    f"the exact solution does not match the initial condition: {d}_exact = {_fmt(va)} but "
                    f"{d}_0 = {_fmt(vb)} at {_where(at)}; fix exact= or initial="
                )
    bc = problem.boundary
    for v, side, val in _faces(problem):
        x = sp.Symbol(v)
        pts = _points(problem, rng, _N_POINTS // 2, fixed={v: float(val)})
        for d, e in problem.exact.items():
            if isinstance(bc, Dirichlet):
                got, want, what = e, bc.values[d], "Dirichlet"
            elif isinstance(bc, Neumann):
                got, want, what = sp.diff(e, x), bc.values[d], f"Neumann (d{d}/d{v})"
            elif isinstance(bc, Periodic):
                if side == "hi":
                    continue
                hi = problem.domain[v][1]
                got, want, what = e, e.xreplace({x: hi}), f"periodic (against {v} = {sp.sstr(hi)})"
            else:
                continue
            size = scale[d] if not isinstance(bc, Neumann) else _size([sp.diff(e, x)], inside)
            rel, at, va, vb = _compare(got.xreplace({x: val}), want.xreplace({x: val}), pts, size)
            if rel > _RTOL:
                errors.append(
                    f"the exact solution does not match the {what} boundary data on {v} = {sp.sstr(val)}: "
                    f"{_fmt(va)} against {_fmt(vb)} at {_where(at)}; fix exact= or boundary="
                )


def _initial_conditions(problem) -> list[tuple[str, Mapping[str, sp.Expr]]]:
    """(label, initial condition) pairs to check: the fixed one, or 3 members of the family."""
    if problem.initial is not None:
        return [("the initial condition", problem.initial)]
    fam = problem.initial_family
    if fam is None:
        return []
    dep = getattr(fam, "dependent", problem.dependent[0])
    out = []
    for j, member in enumerate(fam.sample(_SEED, 3)):
        init = {d: sp.Integer(0) for d in problem.dependent}
        init[dep] = member
        out.append((f"member {j} of the initial family", init))
    return out


def _check_compatibility(problem, rng, constraints: str | None, errors: list[str],
                         found: list[Warning]) -> None:
    from ._problem import Dirichlet, Neumann, Periodic

    bc = problem.boundary
    t0 = problem.domain[problem.time][0]
    tsym = sp.Symbol(problem.time)
    hard = constraints == "hard" and problem.initial is not None
    strict: list[str] = []  # values that hard constraints cannot reconcile
    soft: list[str] = []  # Neumann mismatches (always a soft term)
    inside = _points(problem, rng, _N_POINTS, fixed={problem.time: float(t0)})
    for label, init in _initial_conditions(problem):
        sizes = {d: _size([e], inside) for d, e in init.items()}
        for v, side, val in _faces(problem):
            x = sp.Symbol(v)
            pts = _points(problem, rng, _N_POINTS // 2, fixed={v: float(val), problem.time: float(t0)})
            for d, e in init.items():
                if isinstance(bc, Dirichlet):
                    got, want = e, bc.values[d].xreplace({tsym: t0})
                    what = f"the Dirichlet data {d} = {sp.sstr(bc.values[d])}"
                elif isinstance(bc, Periodic):
                    if side == "hi":
                        continue
                    hi = problem.domain[v][1]
                    got, want = e, e.xreplace({x: hi})
                    what = f"its value at {v} = {sp.sstr(hi)} (periodic)"
                elif isinstance(bc, Neumann):
                    got, want = sp.diff(e, x), bc.values[d].xreplace({tsym: t0})
                    what = f"the Neumann data d{d}/d{v} = {sp.sstr(bc.values[d])}"
                else:
                    continue
                size = sizes[d] if not isinstance(bc, Neumann) else _size([sp.diff(e, x)], inside)
                rel, at, va, vb = _compare(got.xreplace({x: val}), want.xreplace({x: val}), pts, size)
                if rel > _RTOL:
                    (soft if isinstance(bc, Neumann) else strict).append(
                        f"on {v} = {sp.sstr(val)} {label} gives {d} = {_fmt(va)} against {_fmt(vb)} from "
                        f"{what} at {_where(at)}"
                    )
                    break  # one message per face
    if not (strict or soft):
        return
    head = f"the initial and boundary data disagree at t = {sp.sstr(t0)}: "
    if strict and hard:
        errors.append(
            head + "; ".join(strict) + ". Hard constraints are impossible: they keep the initial "
            "condition's boundary values for all t, so the boundary condition would fail on the whole "
            "face. Fix initial= or boundary=, or train with constraints='soft' (--constraints soft), "
            "which fits both in the least-squares sense"
        )
        strict = []
    if strict or soft:
        found.append(IncompatibleDataWarning(
            head + "; ".join(strict + soft) + ". The solution then has a layer at those corners that a "
            "smooth network cannot follow: expect larger errors there (or fix initial= / boundary=)"
        ))


def _spatial_alpha(jet, time_index: int, alpha) -> bool:
    return alpha[time_index] == 0 and sum(alpha) > 0


def _check_signs(problem, rng, errors: list[str], found: list[Warning]) -> None:
    jet = problem.pde.jet
    ti = problem.time_index
    pde = problem.pde_values()
    # the evolution form u_t = F, or u_tt = F for second order in time
    forms = None
    for m in (1, 2):
        targets = [jet.jet(a, tuple(m if i == ti else 0 for i in range(jet.p))) for a in range(jet.q)]
        if len(pde.equations) != jet.q:
            return
        try:
            sol = sp.solve(list(pde.equations), targets, dict=True)
        except (NotImplementedError, ValueError):
            continue
        if len(sol) == 1 and set(sol[0]) == set(targets):
            rhs = [sp.expand(sol[0][s]) for s in targets]
            if all(all((h := jet.decode(s)) is None or h[1][ti] == 0 for s in r.free_symbols) for r in rhs):
                forms, order_t = rhs, m
                break
    if forms is None:
        return
    derivs = {(a, al) for r in forms for a, al in jet.jet_variables(r) if _spatial_alpha(jet, ti, al)}
    if not derivs:
        return
    top = max(sum(al) for _, al in derivs)
    principal = sorted((a, al) for a, al in derivs if sum(al) == top)
    if top == 1 and order_t == 1:
        return  # first-order (hyperbolic / transport) systems: no sign to check here
    space_idx = [i for i in range(jet.p) if i != ti]

    # states at which to linearise: the exact solution, else the initial data (t0), else u = 0
    t0 = float(problem.domain[problem.time][0])
    inits = _initial_conditions(problem)
    source = problem.exact or (inits[0][1] if inits else None)
    points = _points(problem, rng, _N_POINTS, fixed=None if problem.exact else {problem.time: t0})
    indep = [sp.Symbol(v) for v in problem.independent]
    needed = sorted({s for r in forms for s in r.free_symbols if jet.decode(s) is not None}, key=sp.default_sort_key)
    coeffs = [[sp.diff(forms[a], jet.jet(b, al)) for b, al in principal] for a in range(jet.q)]
    d = len(space_idx)
    eye = np.eye(d)
    ks = list(eye)  # the axes, the diagonals e_i +- e_j, random directions
    ks += [(eye[i] + s * eye[j]) / math.sqrt(2) for i in range(d) for j in range(i + 1, d) for s in (1, -1)]
    ks += [k / np.linalg.norm(k) for k in rng.normal(size=(8, d))] if d > 1 else []
    # scalar second order: the symbol is -k.A.k, most negative along A's lowest eigenvector (added per point)
    quadratic = jet.q == 1 and top == 2 and d > 1
    bad, total, worst = 0, 0, None
    per_direction = np.zeros((len(ks) + quadratic, 2), int)  # (wrong, sampled) per wave direction
    for pt in points:
        state = dict(pt)
        for s in needed:
            a, al = jet.decode(s)
            if source is None:
                val = 0.0
            else:
                f = source[jet.dependent[a].name]
                spec = list(itertools.chain.from_iterable((x, k) for x, k in zip(indep, al) if k))
                val = _value(sp.diff(f, *spec) if spec else f, pt)
                val = val.real if np.isfinite(val) else float("nan")
            state[s] = val
        if any(not math.isfinite(float(v)) for v in state.values()):
            continue
        cvals = np.array([[_value(c, state) for c in row] for row in coeffs])
        if not np.all(np.isfinite(cvals)):
            continue
        extra = []
        if quadratic:
            A = np.zeros((d, d))
            for col, (_, al) in enumerate(principal):
                i, j = [space_idx.index(m) for m in space_idx for _ in range(al[m])]
                A[i, j] += cvals[0, col].real / (1 if i == j else 2)
                A[j, i] += cvals[0, col].real / (1 if i == j else 2) if i != j else 0.0
            extra = [np.linalg.eigh(A)[1][:, 0]]
        for j, k in enumerate(ks + extra):
            # (i k)^J for each principal derivative J (spatial part only)
            sym = np.array([np.prod([(1j * k[space_idx.index(i)]) ** al[i] for i in space_idx])
                            for _, al in principal])
            P = np.zeros((jet.q, jet.q), complex)
            for col, (b, _) in enumerate(principal):
                P[:, b] += cvals[:, col] * sym[col]
            lam = np.linalg.eigvals(P)
            scale = max(np.max(np.abs(lam)), np.max(np.abs(cvals)) if cvals.size else 0.0, 1e-300)
            if order_t == 1:
                growth = np.max(lam.real)
                wrong = growth > 1e-9 * scale
            else:
                wrong = bool(np.any(lam.real > 1e-9 * scale) or np.any(np.abs(lam.imag) > 1e-9 * scale))
            total += 1
            per_direction[j] += (bool(wrong), 1)
            if wrong:
                bad += 1
                worst = worst or (pt, k, lam)
    if not bad:
        return
    pt, k, lam = worst
    names = ", ".join(sp.sstr(jet.jet(b, al)) for b, al in principal)
    form = "; ".join(f"{jet.jet(a, tuple(order_t if i == ti else 0 for i in range(jet.p)))} = {sp.sstr(forms[a])}"
                      for a in range(jet.q))
    msg = (f"the evolution {form} is ill-posed forward in {problem.time}: its highest spatial derivatives "
           f"({names}) have the wrong sign (symbol eigenvalue {_fmt(complex(lam[np.argmax(lam.real)]))} "
           f"at {_where(pt)}, k = {np.round(k, 3).tolist()}), so short waves grow without bound, as in the "
           "backward heat equation")
    # wrong at every sampled point for some direction (always so for constant coefficients): an error
    if np.any((per_direction[:, 0] == per_direction[:, 1]) & (per_direction[:, 1] > 0)):
        errors.append(msg + "; check the sign of the diffusion coefficient (u_t = nu*u_xx needs nu > 0)")
    else:
        found.append(IllPosedWarning(msg + f" at {bad} of {total} sampled (point, direction) pairs; the "
                                     "problem may blow up there"))


def check_problem_definition(problem, *, constraints: str | None = None) -> list[Warning]:
    """Check `problem`'s definition before any compute (see the module docstring).

    **Arguments:**
    - `problem`: a `Problem`.
    - `constraints`: `"hard"`, `"soft"` or None (unknown): how the initial and boundary data
      will be imposed; with `"hard"` an initial condition that contradicts Dirichlet or periodic
      data is an error, otherwise an `IncompatibleDataWarning`.

    **Returns:** the warnings found (instances of `ProblemDefinitionWarning` subclasses, not
    emitted: `warnings.warn(w)` each, or use `Problem.check()` which does).

    **Raises:** `ProblemDefinitionError` (a `ValueError`) naming every error and its fix.
    """
    from ._problem import Problem

    if not isinstance(problem, Problem):
        raise TypeError(f"check_problem_definition expects a Problem, got {type(problem).__name__}")
    if constraints not in (None, "hard", "soft"):
        raise ValueError(f"constraints must be 'hard', 'soft' or None, got {constraints!r}")
    # sweeps assemble the same problem many times: the verdict is a function of the description
    from ._registry import fingerprint

    key = (fingerprint(problem), constraints)
    if key in _VERDICTS:
        error, found = _VERDICTS[key]
        if error is not None:
            raise ProblemDefinitionError(error)
        return list(found)
    try:
        found = _check(problem, constraints)
    except ProblemDefinitionError as err:
        _remember(key, (str(err), []))
        raise
    _remember(key, (None, list(found)))
    return found


_VERDICTS: dict[tuple, tuple[str | None, list[Warning]]] = {}


def _remember(key, verdict) -> None:
    _VERDICTS[key] = verdict
    while len(_VERDICTS) > 64:
        _VERDICTS.pop(next(iter(_VERDICTS)))


def _check(problem, constraints: str | None) -> list[Warning]:
    rng = np.random.default_rng(_SEED)
    errors: list[str] = []
    found: list[Warning] = []
    _check_finite(problem, rng, errors)
    if problem.exact is not None and not errors:
        _check_exact_solves(problem, rng, errors)
        _check_exact_data(problem, rng, errors)
    _check_compatibility(problem, rng, constraints, errors, found)
    _check_signs(problem, rng, errors, found)
    if errors:
        head = f"problem {problem.name!r}: "
        raise ProblemDefinitionError(head + "; ".join(errors))
    return found


def emit(found: list[Warning], stacklevel: int = 2) -> list[Warning]:
    """`warnings.warn` each of `found` (returns it)."""
    for w in found:
        warnings.warn(w, stacklevel=stacklevel + 1)
    return found
