r"""What a symmetry loss term can add: the multiplier $\lambda_v$ and its classification.

For a maximal-rank system $\Delta_\nu = 0$ and a generator $v$ of its symmetry algebra the
invariance criterion holds identically on jet space in the form

$$\operatorname{pr} v(\Delta_\nu) = \sum_\mu \lambda_\nu^{\ \mu}\,\Delta_\mu ,$$

and with $\operatorname{pr} v = \operatorname{pr} v_Q + \xi^i D_i$ the evolutionary (linearised)
form is $L_\Delta[Q] = \lambda_v \Delta - \xi^i D_i \Delta$. Hence, evaluated on a network:

- prolonged form $\operatorname{pr} v(\Delta)$: *no signal* when $\lambda_v = 0$, otherwise a
  *re-weighted residual*;
- evolutionary form $L_\Delta[Q]$: *new information* (the first total derivatives of the
  residual, weighted by $\xi$) when $\xi \neq 0$, otherwise the same as the prolonged form.

Symbolic layer: sympy only, never JAX.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import sympy as sp

NO_SIGNAL = "no signal"
REWEIGHTED_RESIDUAL = "re-weighted residual"
NEW_INFORMATION = "new information"


def _basis(generators) -> list:
    """A list of generators from a sequence or anything with a `.basis` (a SymmetryAlgebra)."""
    basis = getattr(generators, "basis", generators)
    try:
        out = list(basis)
    except TypeError:
        raise TypeError(
            f"generators must be a sequence of Generators or a SymmetryAlgebra, got "
            f"{type(generators).__name__}"
        ) from None
    for k, g in enumerate(out):
        if not all(hasattr(g, name) for name in ("xi", "phi", "prolong")):
            raise TypeError(
                f"generator {k + 1} ({g!r}, of type {type(g).__name__}) is not a Generator: it "
                "needs .xi, .phi and .prolong(expr)"
            )
    return out


def infinitesimals(jet, generator) -> tuple[tuple[sp.Expr, ...], tuple[sp.Expr, ...]]:
    """(xi^1..xi^p, phi_1..phi_q) of a generator in the jet space's variable order (0 if absent)."""
    xi = {(k.name if hasattr(k, "name") else str(k)): sp.sympify(v) for k, v in generator.xi.items()}
    phi = {(k.name if hasattr(k, "name") else str(k)): sp.sympify(v) for k, v in generator.phi.items()}
    unknown = (set(xi) - {s.name for s in jet.independent}) | (
        set(phi) - {s.name for s in jet.dependent}
    )
    if unknown:
        raise ValueError(
            f"generator {generator!r} has components for {sorted(unknown)}, which are not "
            f"variables of the jet space {jet!r}"
        )
    return (
        tuple(xi.get(s.name, sp.Integer(0)) for s in jet.independent),
        tuple(phi.get(s.name, sp.Integer(0)) for s in jet.dependent),
    )


def _is_zero(expr) -> bool:
    expr = sp.expand(expr)
    if expr == 0:
        return True
    expr = sp.cancel(sp.together(expr))
    if expr == 0:
        return True
    return sp.simplify(expr) == 0


def multiplier(pde, generator) -> sp.ImmutableMatrix:
    r"""The matrix $\lambda$ with $\operatorname{pr} v(\Delta_\nu) = \sum_\mu \lambda_\nu^{\ \mu} \Delta_\mu$.

    Computed by writing the principal derivatives $p_\mu$ through $\Delta_\mu = E_\mu$ (new
    symbols), so that $\operatorname{pr} v(\Delta_\nu) = G_\nu(E)$ with $G_\nu(0) = 0$ (the
    invariance criterion), and telescoping
    $\lambda_\nu^{\ \mu} = (G_\nu(0,..,0,E_\mu,..,E_m) - G_\nu(0,..,0,E_{\mu+1},..,E_m)) / E_\mu$,
    after which $E \to \Delta$. Raises `ValueError` if `generator` is not a symmetry.
    """
    eqs = list(pde.equations)
    m = len(eqs)
    principal = list(pde.principal_derivatives())
    E = [sp.Dummy(f"E{k}") for k in range(m)]
    sol = sp.solve([e - Ek for e, Ek in zip(eqs, E)], principal, dict=True)
    if len(sol) != 1 or set(sol[0]) != set(principal):
        raise ValueError(
            f"cannot solve the equations of {pde!r} for their principal derivatives "
            f"{[s.name for s in principal]} to compute the multiplier"
        )
    sol = sol[0]
    back = dict(zip(E, eqs))
    rows = []
    for nu, e in enumerate(eqs):
        G = sp.expand(sp.sympify(generator.prolong(e)).xreplace(sol))
        at_zero = G.xreplace({Ek: 0 for Ek in E})
        if not _is_zero(at_zero):
            raise ValueError(
                f"generator {generator!r} is not a symmetry of {pde!r}: pr v(Delta_{nu + 1}) does "
                f"not vanish on solutions (remainder {sp.sstr(sp.simplify(at_zero))})"
            )
        row = []
        for mu in range(m):
            upper = G.xreplace({Ek: 0 for Ek in E[:mu]})
            lower = G.xreplace({Ek: 0 for Ek in E[: mu + 1]})
            lam = sp.cancel(sp.together(sp.expand(upper - lower) / E[mu]))
            row.append(sp.expand(lam.xreplace(back)) if lam.has(*E) else sp.factor_terms(lam))
        rows.append(row)
        check = sp.expand(generator.prolong(e) - sum(r * d for r, d in zip(row, eqs)))
        if not _is_zero(check):
            raise ValueError(
                f"multiplier of {generator!r} does not satisfy pr v(Delta) = lambda Delta on jet "
                f"space (remainder {sp.sstr(check)}); the system may not be of maximal rank"
            )
    return sp.ImmutableMatrix(rows)


@dataclasses.dataclass(frozen=True)
class Degeneracy:
    r"""What one generator contributes as a loss term, in each form.

    `lam` is the multiplier matrix ($\operatorname{pr} v(\Delta) = \lambda \Delta$), `xi` the
    generator's $\xi^i$; `prolonged` and `evolutionary` the classifications
    (`"no signal"`, `"re-weighted residual"`, `"new information"`).
    """

    index: int
    name: str
    lam: sp.ImmutableMatrix
    xi: tuple[sp.Expr, ...]
    prolonged: str
    evolutionary: str
    independent: tuple[sp.Symbol, ...]

    @property
    def n_equations(self) -> int:
        return self.lam.shape[0]

    def _deltas(self):
        m = self.n_equations
        return (sp.Symbol("Delta"),) if m == 1 else tuple(sp.Symbol(f"Delta{k + 1}") for k in range(m))

    def prolonged_term(self) -> tuple[sp.Expr, ...]:
        r"""$\operatorname{pr} v(\Delta_\nu) = \sum_\mu \lambda_\nu^{\ \mu}\Delta_\mu$, one per equation."""
        d = self._deltas()
        return tuple(
            sp.expand(sum(self.lam[nu, mu] * d[mu] for mu in range(len(d)))) for nu in range(len(d))
        )

    def evolutionary_term(self) -> tuple[sp.Expr, ...]:
        r"""$L_{\Delta_\nu}[Q] = \sum_\mu \lambda_\nu^{\ \mu}\Delta_\mu - \xi^i D_i\Delta_\nu$."""
        d = self._deltas()
        out = []
        for nu, pv in enumerate(self.prolonged_term()):
            Dd = [sp.Function(f"D_{x.name}")(d[nu]) for x in self.independent]
            out.append(sp.expand(pv - sum(x * D for x, D in zip(self.xi, Dd))))
        return tuple(out)

    def summary(self) -> str:
        """One line for a table column."""
        return f"prolonged: {self.prolonged}; evolutionary: {self.evolutionary}"

    def to_dict(self) -> dict:
        """JSON-ready (every expression a string `sympy.sympify` parses)."""
        return {
            "generator": self.index + 1,
            "name": self.name,
            "lambda": [[sp.sstr(self.lam[i, j]) for j in range(self.lam.shape[1])]
                       for i in range(self.lam.shape[0])],
            "prolonged": self.prolonged,
            "evolutionary": self.evolutionary,
            "prolonged_term": [sp.sstr(e) for e in self.prolonged_term()],
            "evolutionary_term": [sp.sstr(e) for e in self.evolutionary_term()],
        }


def classify(lam: sp.ImmutableMatrix, xi: Sequence[sp.Expr]) -> tuple[str, str]:
    """(prolonged, evolutionary) classification from the multiplier and the xi^i."""
    prolonged = NO_SIGNAL if all(_is_zero(x) for x in lam) else REWEIGHTED_RESIDUAL
    evolutionary = NEW_INFORMATION if any(not _is_zero(x) for x in xi) else prolonged
    return prolonged, evolutionary


def degeneracy(pde, generators, *, names: Sequence[str] | None = None) -> list[Degeneracy]:
    r"""Per generator: the multiplier $\lambda_v$ and what each loss form can contribute.

    **Arguments:**

    - `pde`: the `PDE`.
    - `generators`: a sequence of `Generator`s or a `SymmetryAlgebra` (its `.basis`).
    - `names`: labels (default `v1, v2, ...`, 1-based like the symmetry JSON).
    """
    basis = _basis(generators)
    if names is None:
        names = [f"v{k + 1}" for k in range(len(basis))]
    if len(names) != len(basis):
        raise ValueError(f"{len(names)} names given for {len(basis)} generators")
    out = []
    for k, (g, name) in enumerate(zip(basis, names)):
        lam = multiplier(pde, g)
        xi, _ = infinitesimals(pde.jet, g)
        prolonged, evolutionary = classify(lam, xi)
        out.append(Degeneracy(k, str(name), lam, xi, prolonged, evolutionary, pde.jet.independent))
    return out


class DegeneracyEntry(dict):
    """One generator's `Degeneracy.to_dict()`, printed as its one-line summary (a table cell)."""

    def __str__(self) -> str:
        return f"prolonged: {self['prolonged']}; evolutionary: {self['evolutionary']}"


def degeneracy_column(algebra) -> list[DegeneracyEntry]:
    """Per basis generator of a `SymmetryAlgebra`: the degeneracy report as a table/JSON column.

    For the `liepinn symmetries` annotators: printed as the classification, written to the
    JSON as the full `Degeneracy.to_dict()` (multiplier, classifications, both terms)."""
    out = []
    for k, g in enumerate(algebra.basis):
        try:
            (d,) = degeneracy(algebra.pde, [g], names=[f"v{k + 1}"])
            entry = d.to_dict()
            entry["generator"] = k + 1
        except (ValueError, NotImplementedError) as e:  # one generator must not sink the table
            entry = {"generator": k + 1, "name": f"v{k + 1}", "prolonged": "unknown",
                     "evolutionary": "unknown", "error": str(e).splitlines()[0]}
        out.append(DegeneracyEntry(entry))
    return out
