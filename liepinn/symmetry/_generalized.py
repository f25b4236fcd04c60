r"""Generalised (Lie-Bäcklund) symmetries in evolutionary form.

A characteristic $Q_a(x, u^{(k)})$ generates a symmetry of $\Delta = 0$ when the linearised
equations hold on solutions:

$$\mathrm{pr}\, v_Q(\Delta_\nu) = \sum_{a,J} \frac{\partial \Delta_\nu}{\partial u^a_J}\, D_J Q_a = 0
\quad\text{whenever } \Delta = 0;$$

for an evolution system $u_t = K[u]$ this is $D_t Q = K_*[Q]$ on solutions, $K_*$ the
Fréchet derivative. $Q$ depends on the parametric coordinates only (for $u_t = K$: x, t, u,
u_x, ..., never u_t), so point symmetries appear as $\varphi - \xi^i u_i$ with the principal
derivatives substituted. The determining system is linear in Q; it is split with respect to
the jet coordinates above order k and solved like the point-symmetry determining equations
(`_jetlinear`). Every characteristic is verified. (Olver, ch. 5.)
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import sympy as sp

from ..symbolic._pde import PDE
from ._generator import BasisSequence, family_condition, json_str, pde_json
from ._jetlinear import JetUnknowns, canonical_vectors, constant_members, reduce_modulo, solve_linear
from ._linear import normal


class GeneralizedVerificationError(RuntimeError):
    """A computed characteristic failed the linearised-equation check: it is not returned."""


@dataclass(frozen=True)
class GeneralizedSymmetry:
    r"""The evolutionary vector field $v_Q = \sum_a Q_a \partial_{u^a}$ (with its prolongation);
    `order` is the highest derivative order in Q."""

    characteristic: Mapping
    order: int
    verified: bool = False

    def to_dict(self) -> dict:
        return {"characteristic": {u.name: json_str(q) for u, q in self.characteristic.items()},
                "order": self.order}

    def residual(self, pde: PDE) -> list:
        r"""$\mathrm{pr}\, v_Q(\Delta_\nu)$ reduced on solutions, one per equation (zeros)."""
        return linearised(pde, self.characteristic)

    def verify(self, pde: PDE) -> bool:
        r"""$\mathrm{pr}\, v_Q(\Delta) = 0$ on solutions."""
        return all(r == 0 for r in self.residual(pde))

    def field(self, jet) -> "EvolutionaryField":
        """The evolutionary vector field $v_Q$ on `jet`, as a generator of loss terms."""
        return EvolutionaryField(self.characteristic, jet)

    def __str__(self) -> str:
        return ", ".join(f"Q_{u.name} = {sp.sstr(q)}" for u, q in self.characteristic.items())


@dataclass(frozen=True)
class CharacteristicFamily:
    """Characteristics with free functions (linear equations: the superposition) and the PDEs
    the functions satisfy."""

    characteristic: Mapping
    functions: tuple
    constraints: tuple
    verified: bool = False

    def to_dict(self) -> dict:
        return {"characteristic": {u.name: json_str(q) for u, q in self.characteristic.items()},
                "functions": [json_str(f) for f in self.functions],
                "constraints": [json_str(c) for c in self.constraints]}


@dataclass(frozen=True)
class EvolutionaryField:
    r"""$v_Q = \sum_a Q_a \partial_{u^a}$ on a jet space, shaped as a point generator for
    `liepinn.losses.PINNLoss` (`.xi` empty, `.phi` = Q, `.prolong`): its prolonged term is
    the linearisation $\mathsf{D}_\Delta[Q] = \sum_{a,J} \partial\Delta/\partial u^a_J\,
    D_J Q_a$, not reduced on solutions, which vanishes on every solution when $v_Q$ is a
    symmetry: the evolutionary loss term of a generalised symmetry."""

    characteristic: Mapping
    jet: object

    @property
    def xi(self) -> dict:
        return {}

    @property
    def phi(self) -> dict:
        return dict(self.characteristic)

    def prolong(self, expr) -> sp.Expr:
        r"""$\mathrm{pr}\, v_Q(F) = \sum_{a,J} \partial F/\partial u^a_J\, D_J Q_a$."""
        jet = self.jet
        names = {getattr(u, "name", str(u)): q for u, q in self.characteristic.items()}
        total = sp.Integer(0)
        for a, alpha in jet.jet_variables(expr):
            q = names.get(jet.dependent[a].name, sp.Integer(0))
            if q != 0:
                total += sp.diff(expr, jet.jet(a, alpha)) * jet.D_multi(q, alpha)
        return sp.expand(total)


@dataclass(frozen=True)
class GeneralizedSymmetries(BasisSequence):
    """A basis (canonical, simplest first) of the characteristics of order at most `order`,
    point symmetries included; families; assumptions about parameters; warnings."""

    _basis_field = "symmetries"  # the basis (a class attribute, not a field)

    pde: PDE
    symmetries: tuple
    order: int
    families: tuple = ()
    assumptions: tuple = ()
    warnings: tuple = ()

    def beyond_point(self, *, samples: int = 48, seed: int = 0) -> list:
        r"""The characteristics that are not combinations of point symmetries (their
        characteristics $\phi - \xi^i u_i$, reduced on solutions), chosen greedily in basis
        order. Independence is decided by the rank of the values at `samples` random jet
        points (a fixed seed), which is exact with probability one for these functions."""
        import numpy as np

        from ..symmetry import symmetries
        from ._jetlinear import kovalevskaya_form

        pde = self.pde
        work = kovalevskaya_form(pde.substitute_parameters()
                                 if any(v is not None for v in pde.parameters.values()) else pde)
        targets = list(work.dependent)
        vec = lambda Q: [sp.sympify(Q.get(u, 0)) for u in targets]  # noqa: E731
        point = [vec(dict(zip(targets, (work.reduce(q) for q in g.characteristic()))))
                 for g in symmetries(pde).basis]
        rows = point + [vec(q.characteristic) for q in self.symmetries]
        syms = sorted({s for r in rows for e in r for s in e.free_symbols}, key=str)
        rng = np.random.default_rng(seed)
        values = rng.uniform(0.3, 1.7, size=(samples, len(syms)))

        def evaluate(r):
            out = []
            for e in r:
                f = sp.lambdify(syms, e, "numpy")
                with np.errstate(all="ignore"):
                    out.append(np.broadcast_to(np.asarray(f(*values.T), complex), (samples,)))
            return np.concatenate(out)

        mat = [evaluate(r) for r in point]
        rank = np.linalg.matrix_rank(np.array(mat)) if mat else 0
        keep = []
        for q, r in zip(self.symmetries, rows[len(point):]):
            trial = np.array(mat + [evaluate(r)])
            new = np.linalg.matrix_rank(trial / np.maximum(np.abs(trial).max(axis=1, keepdims=True), 1e-300))
            if new > rank:
                keep.append(q)
                mat.append(trial[-1])
                rank = new
        return keep

    def to_json(self) -> dict:
        pde = self.pde
        return {
            **pde_json(pde),
            "order": self.order,
            "generalized_symmetries": [s.to_dict() for s in self.symmetries],
            "infinite": [f.to_dict() for f in self.families],
            "assumptions": [json_str(a) for a in self.assumptions],
            "warnings": list(self.warnings),
        }

    def dumps(self, **kw) -> str:
        return json.dumps(self.to_json(), **kw)

    def __str__(self) -> str:
        lines = [f"{len(self.symmetries)} generalised symmetries of {self.pde!r}, "
                 f"characteristics of order <= {self.order}:"]
        lines += [f"  {k}. (order {s.order}) {s}" for k, s in enumerate(self.symmetries, 1)]
        for fam in self.families:
            q = ", ".join(f"Q_{u.name} = {sp.sstr(v)}" for u, v in fam.characteristic.items())
            cons = "; ".join(f"{sp.sstr(c)} = 0" for c in fam.constraints)
            lines.append(f"  family: {q}" + family_condition(fam.functions, cons))
        if self.assumptions:
            lines.append("  assuming " + ", ".join(sp.sstr(a) for a in self.assumptions))
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def linearised(pde: PDE, characteristic: Mapping) -> list:
    r"""$\sum_{a,J} \partial\Delta_\nu/\partial u^a_J\, D_J Q_a$ on solutions, normalised."""
    from ._jetlinear import kovalevskaya_form

    work = kovalevskaya_form(pde.substitute_parameters()
                             if any(v is not None for v in pde.parameters.values()) else pde)
    field = EvolutionaryField(characteristic, work.jet)
    return [normal(work.reduce(field.prolong(e))) for e in work.equations]


def generalized_symmetries(pde: PDE, order: int, *, xt_degree: int | None = None,
                           jet_degree: int | None = None, verify: bool = True,
                           progress: Callable | None = None) -> GeneralizedSymmetries:
    r"""The generalised symmetries of `pde` with characteristics of order at most `order`.

    **Arguments:**
    - `pde`: a liepinn `PDE`; for $u_t = K[u]$ the condition is $D_t Q = K_*[Q]$ on solutions.
    - `order`: the highest derivative order in Q (on solutions).
    - `xt_degree`, `jet_degree`: restrict Q to polynomials of at most these degrees in the
      independent variables, in u and its derivatives (default: arbitrary).
    - `verify`: check every characteristic; a failure raises `GeneralizedVerificationError`.
    """
    from ._conservation import _check_degree

    if not isinstance(pde, PDE):
        raise TypeError(f"pde must be a liepinn PDE, got {type(pde).__name__}")
    _check_degree("order", order, 0)
    _check_degree("xt_degree", xt_degree, 0, optional=True)
    _check_degree("jet_degree", jet_degree, 0, optional=True)
    work = pde.substitute_parameters() if any(v is not None for v in pde.parameters.values()) else pde
    targets = list(work.dependent)
    unk = JetUnknowns(work, targets, order, prefix="Q", xt_degree=xt_degree, jet_degree=jet_degree)
    jet, red = work.jet, unk.work
    memo: dict = {}

    def DQ(a, alpha):
        key = (a, alpha)
        if key not in memo:
            if not any(alpha):
                memo[key] = unk.values[targets[a]]
            else:
                i = max(k for k, n in enumerate(alpha) if n)
                lower = alpha[:i] + (alpha[i] - 1,) + alpha[i + 1:]
                memo[key] = unk.D(DQ(a, lower), i, on_solutions=True)
        return memo[key]

    forms = []
    for e in red.equations:
        acc: dict = {}
        for a, alpha in jet.jet_variables(e):
            c = red.reduce(sp.diff(e, jet.jet(a, alpha)))
            for k, v in DQ(a, alpha).items():
                acc[k] = acc.get(k, 0) + c * v
        forms.append({k: sp.expand(v) for k, v in acc.items() if sp.expand(v) != 0})
    raw = solve_linear(unk.system(forms), progress)
    found = list(raw.basis) + [v for fam in raw.families for v in constant_members(fam)]
    basis, extra = canonical_vectors(found, targets, jet, work.parameters)
    syms = []
    for vec in basis:
        Q = {u: vec.get(u, sp.Integer(0)) for u in targets}
        ok = all(r == 0 for r in linearised(work, Q))
        if verify and not ok:
            raise GeneralizedVerificationError(f"the characteristic {Q} fails the linearised equations")
        syms.append(GeneralizedSymmetry(Q, max(0, *(jet.order(q) for q in Q.values())), verified=ok))
    families = []
    for fam in raw.families:
        Q = {u: fam["values"].get(u, sp.Integer(0)) for u in targets}
        family = CharacteristicFamily(Q, tuple(fam["functions"]), tuple(fam["constraints"]))
        ok = all(r == 0 for r in _family_residual(work, family))
        families.append(CharacteristicFamily(Q, family.functions, family.constraints, verified=ok))
    assumptions = list(raw.assumptions) + [a for a in extra if a not in raw.assumptions]
    return GeneralizedSymmetries(pde, tuple(syms), order, tuple(families), tuple(assumptions),
                                 tuple(raw.warnings))


def _family_residual(pde: PDE, fam: CharacteristicFamily) -> list:
    """The linearised equations on a family, reduced modulo its constraints (zeros)."""
    return [reduce_modulo(r, fam.constraints) for r in linearised(pde, fam.characteristic)]
