r"""Group classification: the parameter values at which the symmetry algebra grows.

Symbolic layer: sympy only, never JAX.

The algebra is first found with the parameters generic. Candidate special values come from

- the assumptions it records: every expression the solver divided by (``Ne(m + 4/3, 0)``)
  and every coefficient assumed nonzero; a division by $e(m)$ means the determining
  equations split differently where $e(m) = 0$;
- the structure of the equations: an exponent $k(m)$ of a dependent variable, a derivative or
  an independent variable is special where $k(m) \in \{0, 1\}$ (the term becomes constant or
  linear).

Each candidate is solved for one classified parameter, substituted, and the algebra is derived
again (and verified, as every algebra is) under that condition; it is a case only if the
algebra is larger than the generic one (a larger finite part, or a superposition or infinite
part the generic algebra lacks). Within a case, the remaining classified parameters are
classified in the same way. The cases found are correct by construction; completeness
rests on the candidates, which the classical tables (Ovsiannikov's $u_t = (u^m u_x)_x$:
$m = -4/3$ and $m = 0$) confirm on the examples tested.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import sympy as sp
from sympy.core.sorting import default_sort_key

from ..symbolic._parse import PDEInputError
from ..symbolic._pde import PDE
from ._algebra import SymmetryAlgebra, symmetries
from ._generator import json_str
from ._reduce import _deadline, _OutOfTime

__all__ = ["Classification", "ClassificationCase", "classify"]


@dataclasses.dataclass(frozen=True)
class ClassificationCase:
    """One case: the `conditions` on the parameters (``Eq(m, -4/3)``; none for the generic
    case) and the verified `algebra` of the equation under them."""

    conditions: tuple[sp.Expr, ...]
    algebra: SymmetryAlgebra
    generic: bool = False

    @property
    def dimension(self) -> int:
        return self.algebra.dimension

    def extras(self) -> list[str]:
        out = []
        if self.algebra.superposition is not None:
            out.append("superposition")
        if self.algebra.infinite:
            out.append(f"{len(self.algebra.infinite)} infinite famil{'y' if len(self.algebra.infinite) == 1 else 'ies'}")
        return out

    def to_json(self) -> dict:
        alg = self.algebra.to_json()
        out = {
            "conditions": [json_str(c) for c in self.conditions],
            "dimension": self.dimension,
            "generators": alg["generators"],
            "superposition": alg["superposition"],
            "infinite": alg["infinite"],
            "assumptions": alg["assumptions"],
            "verification": alg["verification"],
        }
        if self.generic:
            out["generic"] = True
        return out


@dataclasses.dataclass(frozen=True)
class Classification:
    """The special cases (largest algebras first) and the generic case (last).

    `checked`: candidate conditions that were tried and did not enlarge the algebra;
    `undecided`: conditions whose algebra was not derived in the time allowed.
    """

    pde: PDE
    parameters: tuple[sp.Symbol, ...]
    cases: tuple[ClassificationCase, ...]
    checked: tuple[sp.Expr, ...] = ()
    undecided: tuple[tuple[sp.Expr, ...], ...] = ()

    @property
    def generic(self) -> ClassificationCase:
        return self.cases[-1]

    def to_json(self) -> dict:
        return {
            "pde": [json_str(e) for e in self.pde.equations],
            "parameters": [_name(p) for p in self.parameters],
            "cases": [c.to_json() for c in self.cases],
            "checked": [json_str(c) for c in self.checked],
            "undecided": [[json_str(c) for c in conds] for conds in self.undecided],
        }

    def __str__(self) -> str:
        lines = [f"Group classification of  {'; '.join(self.pde.source)}  with respect to "
                 f"{', '.join(_name(p) for p in self.parameters)}"]
        for case in self.cases:
            cond = "generic" if case.generic else ", ".join(f"{sp.sstr(c.lhs)} = {sp.sstr(c.rhs)}" for c in case.conditions)
            extra = f" + {' + '.join(case.extras())}" if case.extras() else ""
            lines.append(f"  {cond}: dimension {case.dimension}{extra}")
            for k, g in enumerate(case.algebra.basis, 1):
                lines.append(f"      v{k}  {g}")
            if case.algebra.assumptions:
                lines.append("      assumptions: " + ", ".join(sp.sstr(a) for a in case.algebra.assumptions))
        if self.checked:
            lines.append("No extension at: " + ", ".join(f"{sp.sstr(c.lhs)} = {sp.sstr(c.rhs)}" for c in self.checked))
        for conds in self.undecided:
            lines.append("Not decided (time): " + ", ".join(f"{sp.sstr(c.lhs)} = {sp.sstr(c.rhs)}" for c in conds))
        return "\n".join(lines)


def _name(p) -> str:
    return p.name if isinstance(p, sp.Symbol) else sp.sstr(p)


def _candidates(pde: PDE, algebra: SymmetryAlgebra, params: Sequence[sp.Symbol]) -> list[sp.Expr]:
    """Conditions Eq(param, value) where the algebra may grow (see the module docstring)."""
    special: list[sp.Expr] = []
    for a in algebra.assumptions:
        if isinstance(a, sp.Ne):
            special.append(a.lhs - a.rhs)
    jet = pde.jet
    for e in pde.equations:
        for pw in e.atoms(sp.Pow):
            if not (pw.exp.free_symbols & set(params)):
                continue
            base_vars = {s for s in pw.base.free_symbols if s in jet.independent or jet.is_jet(s)}
            if not base_vars:
                continue
            special.append(pw.exp)
            if any(jet.is_jet(s) for s in base_vars):
                special.append(pw.exp - 1)
    out: list[sp.Expr] = []
    for expr in special:
        present = [p for p in params if expr.has(p)]
        if not present:
            continue
        p = present[0]
        try:
            roots = sp.solve(expr, p)
        except (NotImplementedError, ValueError, TypeError):
            continue
        for r in roots:
            if r.has(sp.I):
                continue
            cond = sp.Eq(p, r)
            if not any(c == cond for c in out):
                out.append(cond)
    return sorted(out, key=default_sort_key)


def _with(pde: PDE, conditions: Sequence[sp.Expr]) -> PDE:
    """`pde` under `conditions`, substituted in order (a function's form, then its parameters)."""
    eqs = [e.xreplace({s: v for s, v in pde.parameters.items() if v is not None}) for e in pde.equations]
    for c in conditions:
        # (f(u) -> u^n turns Derivative(f(u), u) into Derivative(u^n, u): evaluate it)
        eqs = [e.xreplace({c.lhs: c.rhs}).doit(deep=True) if e.has(sp.Derivative) else e.xreplace({c.lhs: c.rhs})
               for e in eqs]
    eqs = [sp.expand(e) for e in eqs]
    fixed = {c.lhs for c in conditions}
    rest = {s.name: None for s, v in pde.parameters.items() if v is None and s not in fixed}
    return PDE(eqs, pde.jet, {k: v for k, v in rest.items() if any(e.has(sp.Symbol(k)) for e in eqs)},
               source=pde.source)


def _fresh(pde: PDE, name: str) -> sp.Symbol:
    used = {s.name for e in pde.equations for s in e.free_symbols}
    while name in used:
        name += "_"
    return sp.Symbol(name)


def function_forms(pde: PDE, f) -> list[sp.Expr]:
    r"""Classical forms of an arbitrary function $f(z)$ of one argument, up to the equivalence
    $z \to \alpha z + \beta$: $a z$, $k e^z$, $k z^n$, $k z \log z$ (the rows of
    Ovsiannikov's table for $u_t = (f(u) u_x)_x$ and Dorodnitsyn's for $u_t = u_{xx} + f(u)$).
    Each case found is verified; for other equations the list may miss forms outside the table."""
    if len(f.args) != 1:
        raise PDEInputError(f"--classify {f.func.__name__}: only functions of one argument have a table, got {f}")
    z = f.args[0]
    a, k, n = (_fresh(pde, name) for name in ("a", "k", "n"))
    return [sp.Eq(f, a * z), sp.Eq(f, k * sp.exp(z)), sp.Eq(f, k * z**n), sp.Eq(f, k * z * sp.log(z))]


def _with_form(conditions):
    """The function's form under the later conditions (on its parameters)."""
    out = conditions[0].rhs
    for c in conditions[1:]:
        out = out.xreplace({c.lhs: c.rhs})
    return out


def _linear_in(expr, z) -> bool:
    """True if `expr` is c z (an instance of the linear row a z)."""
    return expr.is_polynomial(z) and sp.degree(expr, z) <= 1 and expr.subs(z, 0) == 0


def _grows(case: SymmetryAlgebra, base: SymmetryAlgebra) -> bool:
    if case.dimension > base.dimension:
        return True
    if case.superposition is not None and base.superposition is None:
        return True
    return len(case.infinite) > len(base.infinite)


def _point(conditions) -> dict | None:
    try:
        sol = sp.solve([c.lhs - c.rhs for c in conditions], [c.lhs for c in conditions], dict=True)
    except (NotImplementedError, ValueError, TypeError):
        return None
    return sol[0] if len(sol) == 1 else None


def _covers(wide: ClassificationCase, narrow: ClassificationCase) -> bool:
    """True if `narrow` is a special case of `wide` (its conditions imply wide's) whose algebra
    is no larger: then it adds nothing to the classification."""
    if len(wide.conditions) >= len(narrow.conditions):
        return False
    at = _point(narrow.conditions)
    if at is None or any(sp.simplify((c.lhs - c.rhs).xreplace(at)) != 0 for c in wide.conditions):
        return False
    a, b = wide.algebra, narrow.algebra
    return (a.dimension >= b.dimension and len(a.infinite) >= len(b.infinite)
            and (a.superposition is not None or b.superposition is None))


def classify(pde: PDE, parameters: Sequence[str | sp.Symbol], *, max_cases: int = 24,
             case_timeout: float = 60.0, progress: Callable[[str], None] | None = None) -> Classification:
    r"""Classify the point symmetries of `pde` with respect to `parameters`.

    Returns a `Classification`: the special cases (conditions, verified algebra), largest
    first, then the generic case. A candidate whose algebra is not derived within
    `case_timeout` seconds is listed in `undecided`. Raises `PDEInputError` when a name is
    not a parameter.
    """
    if isinstance(parameters, (str, sp.Symbol)):
        parameters = [parameters]
    if not parameters:
        raise PDEInputError("--classify: name at least one parameter")
    params = []
    known = {s.name: s for s in pde.parameters}
    funcs = {f.func.__name__: f for f in pde.functions}
    for p in parameters:
        name = p if isinstance(p, str) else p.name
        if name in funcs:
            params.append(funcs[name])
            continue
        if name not in known:
            raise PDEInputError(
                f"--classify {name}: {name!r} is not a parameter of the equation (its parameters: "
                f"{', '.join(sorted(known | funcs)) or 'none'})"
            )
        if pde.parameters[known[name]] is not None:
            raise PDEInputError(f"--classify {name}: {name} was given a value; classify it symbolic")
        params.append(known[name])
    say = progress or (lambda msg: None)
    generic = symmetries(pde)
    say(f"generic case: dimension {generic.dimension}")
    cases: list[ClassificationCase] = []
    checked: list[sp.Expr] = []
    undecided: list[tuple] = []

    def explore(conds: tuple, alg: SymmetryAlgebra, work: PDE, free: list, given: Sequence = ()) -> None:
        for cond in list(given) or _candidates(work, alg, free):
            if len(cases) >= max_cases:
                return
            full = conds + (cond,)
            try:
                sub = _with(pde, full)
            except PDEInputError:
                continue  # the condition leaves no differential equation
            try:
                with _deadline(case_timeout):
                    case_alg = symmetries(sub)
            except PDEInputError:
                continue
            except _OutOfTime:
                say(f"{', '.join(sp.sstr(c) for c in full)}: not decided in {case_timeout:g} s")
                undecided.append(full)
                continue
            except Exception as e:  # noqa: BLE001 - one case failing must not hide the others
                say(f"{', '.join(sp.sstr(c) for c in full)}: not decided ({type(e).__name__}: {e})")
                undecided.append(full)
                continue
            say(f"{', '.join(sp.sstr(c) for c in full)}: dimension {case_alg.dimension}")
            if not _grows(case_alg, alg):
                if not conds:
                    checked.append(cond)
                continue
            if any(set(c.conditions) == set(full) for c in cases):
                continue
            cases.append(ClassificationCase(full, case_alg))
            rest = [p for p in free if p != cond.lhs and p in sub.parameters]
            if rest:
                explore(full, case_alg, sub, rest)

    functions = [p for p in params if not isinstance(p, sp.Symbol)]
    if len(functions) > 1 or (functions and len(params) > 1):
        raise PDEInputError("--classify: one arbitrary function at a time, without parameters")
    if functions:
        f = functions[0]
        forms = function_forms(pde, f)
        for form in forms:
            before = len(cases)
            explore((), generic, pde, [], [form])
            if len(cases) > before:
                new = [s for s in form.rhs.free_symbols if s not in pde.parameters and s not in f.args]
                explore((form,), cases[before].algebra, _with(pde, (form,)), new)
        linear = forms[0].rhs if any(c.conditions == (forms[0],) for c in cases) else None
        z = f.args[0]
        # a special value that makes f = c z is the linear row again
        cases = [c for c in cases if len(c.conditions) == 1 or linear is None
                 or not _linear_in(_with_form(c.conditions), z)]
    else:
        explore((), generic, pde, params)
    cases = [c for c in cases if not any(_covers(o, c) for o in cases if o is not c)]
    cases.sort(key=lambda c: (-c.dimension, -len(c.extras()), [default_sort_key(x) for x in c.conditions]))
    cases.append(ClassificationCase((), generic, generic=True))
    return Classification(pde, tuple(params), tuple(cases), tuple(checked), tuple(undecided))
