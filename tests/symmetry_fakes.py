"""Stand-ins used by the symmetry tests while (or where) the real modules are absent.

`ensure_prolong()` installs a textbook prolongation as `liepinn.symmetry._prolong` only if
the real module cannot be imported; `RawAlgebra` mimics the solver's result type so the
algebra layer can be tested independently of the solver.
"""

from __future__ import annotations

import dataclasses
import importlib
import sys
import types

import sympy as sp


def _characteristic(jet, xi, phi):
    xi = {(k if isinstance(k, sp.Symbol) else sp.Symbol(k)): v for k, v in xi.items()}
    phi = {(k if isinstance(k, sp.Symbol) else sp.Symbol(k)): v for k, v in phi.items()}
    out = []
    for a, u in enumerate(jet.dependent):
        q = sp.sympify(phi.get(u, 0))
        for i, x in enumerate(jet.independent):
            alpha = tuple(1 if j == i else 0 for j in range(jet.p))
            q -= sp.sympify(xi.get(x, 0)) * jet.jet(a, alpha)
        out.append(sp.expand(q))
    return tuple(out)


def _prolong(jet, xi, phi, expr):
    xi = {(k if isinstance(k, sp.Symbol) else sp.Symbol(k)): v for k, v in xi.items()}
    Q = _characteristic(jet, xi, phi)
    expr = sp.sympify(expr)
    out = sum((sp.sympify(xi.get(x, 0)) * sp.diff(expr, x) for x in jet.independent), sp.S.Zero)
    for s in expr.free_symbols:
        hit = jet.decode(s)
        if hit is None:
            continue
        a, alpha = hit
        coeff = jet.D_multi(Q[a], alpha)
        for i, x in enumerate(jet.independent):
            up = list(alpha)
            up[i] += 1
            coeff += sp.sympify(xi.get(x, 0)) * jet.jet(a, tuple(up))
        out += coeff * sp.diff(expr, s)
    return sp.expand(out)


def ensure_prolong() -> None:
    try:
        importlib.import_module("liepinn.symmetry._prolong")
    except ModuleNotFoundError:
        mod = types.ModuleType("liepinn.symmetry._prolong")
        mod.prolong = _prolong
        mod.characteristic = _characteristic
        sys.modules["liepinn.symmetry._prolong"] = mod


@dataclasses.dataclass
class RawAlgebra:
    generators: list
    superposition: dict | None = None
    infinite: list = dataclasses.field(default_factory=list)
    assumptions: list = dataclasses.field(default_factory=list)


def solver_available() -> bool:
    try:
        importlib.import_module("liepinn.symmetry._solve")
    except ModuleNotFoundError:
        return False
    return True
