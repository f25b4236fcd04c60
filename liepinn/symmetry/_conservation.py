r"""Conservation laws by the direct method (multipliers).

A conservation law of $\Delta = 0$ is $D_t T + D_i X^i = 0$ on solutions; in characteristic
form $D_t T + D_i X^i = \sum_a \Lambda_a \Delta_a$ identically on the jet space. The
multipliers $\Lambda_a(x, u^{(k)})$, taken free of the principal derivatives and their
consequences (so a law is trivial exactly when its multiplier vanishes, Olver Thm 4.26), are
the solutions of the linear system

$$E_{u^b}\Big(\sum_a \Lambda_a \Delta_a\Big) \equiv 0 \quad (b = 1..q),$$

$E$ the Euler operator. Splitting with respect to the jet coordinates $\Lambda$ does not
depend on gives its determining equations, which the point-symmetry solver integrates
(`_jetlinear`). Density and fluxes come from the homotopy operator
(`liepinn.symbolic._homotopy`), and every law is checked:
$D_t T + D_i X^i - \Lambda\cdot\Delta \equiv 0$. (Anco & Bluman, Eur. J. Appl. Math. 13
(2002); Olver, ch. 4-5.)
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import sympy as sp

from ..symbolic._homotopy import HomotopyError, divergence, homotopy
from ..symbolic._parse import PDEInputError
from ..symbolic._pde import PDE
from ._algebra import _assumption_factors
from ._generator import BasisSequence, family_condition, json_str, pde_json
from ._jetlinear import (
    JetUnknowns,
    canonical_vectors,
    constant_members,
    kovalevskaya_form,
    reduce_modulo,
    solve_linear,
    time_variable,
)
from ._linear import normal


class ConservationVerificationError(RuntimeError):
    """A computed conservation law failed its check: it is not returned."""


@dataclass(frozen=True)
class ConservationLaw:
    r"""One law: multiplier $\Lambda_a$ (keyed like the equations), density $T$ (the component
    along the time variable), fluxes $X^i$; $D_t T + D_i X^i = \Lambda\cdot\Delta$."""

    multiplier: Mapping
    density: sp.Expr
    fluxes: Mapping
    time: sp.Symbol
    verified: bool = False

    def to_dict(self) -> dict:
        return {
            "multiplier": {str(k): json_str(v) for k, v in self.multiplier.items()},
            "density": json_str(self.density),
            "fluxes": {x.name: json_str(v) for x, v in self.fluxes.items()},
        }

    def residual(self, pde: PDE) -> sp.Expr:
        r"""$D_t T + D_i X^i - \sum_a \Lambda_a \Delta_a$ (zero for a verified law; parameters
        with values are substituted)."""
        if any(v is not None for v in pde.parameters.values()):
            pde = pde.substitute_parameters()
        jet = pde.jet
        comps = {self.time: self.density, **dict(self.fluxes)}
        lam = _multiplier_list(pde, self.multiplier)
        return divergence(comps, jet) - sp.Add(*[l * e for l, e in zip(lam, pde.equations)])

    def verify(self, pde: PDE) -> bool:
        r"""$D_t T + D_i X^i - \Lambda\cdot\Delta \equiv 0$ on the jet space."""
        return _is_zero(self.residual(pde))

    def __str__(self) -> str:
        mult = ", ".join(f"{k}: {sp.sstr(v)}" for k, v in self.multiplier.items())
        flux = ", ".join(f"X^{x.name} = {sp.sstr(v)}" for x, v in self.fluxes.items())
        return f"Λ = ({mult});  T = {sp.sstr(self.density)}" + (f";  {flux}" if flux else "")


@dataclass(frozen=True)
class MultiplierFamily:
    """Multipliers with free functions (linear equations: solutions of the adjoint), with
    the PDEs the functions satisfy; density and fluxes as for a law (None if not found)."""

    multiplier: Mapping
    functions: tuple
    constraints: tuple
    density: sp.Expr | None = None
    fluxes: Mapping | None = None

    def to_dict(self) -> dict:
        out = {
            "multiplier": {str(k): json_str(v) for k, v in self.multiplier.items()},
            "functions": [json_str(f) for f in self.functions],
            "constraints": [json_str(c) for c in self.constraints],
        }
        if self.density is not None:
            out["density"] = json_str(self.density)
            out["fluxes"] = {x.name: json_str(v) for x, v in self.fluxes.items()}
        return out


@dataclass(frozen=True)
class ConservationLaws(BasisSequence):
    """An independent basis of the non-trivial conservation laws with multipliers of order at
    most `order` (in the class set by `xt_degree`, `jet_degree`), the infinite families, the
    assumptions made about parameters, and what the solver could not finish."""

    _basis_field = "laws"  # the basis (a class attribute, not a field)

    pde: PDE
    laws: tuple
    order: int
    families: tuple = ()
    assumptions: tuple = ()
    warnings: tuple = ()
    xt_degree: int | None = None
    jet_degree: int | None = None
    time: sp.Symbol | None = field(default=None)
    lagrangian: sp.Expr | None = None
    noether: tuple = ()

    def to_json(self) -> dict:
        pde = self.pde
        return {
            **pde_json(pde),
            "order": self.order,
            "time": None if self.time is None else self.time.name,  # the density's variable
            "xt_degree": self.xt_degree,
            "jet_degree": self.jet_degree,
            "conservation_laws": [law.to_dict() for law in self.laws],
            "infinite": [f.to_dict() for f in self.families],
            "assumptions": [json_str(a) for a in self.assumptions],
            "warnings": list(self.warnings),
            "lagrangian": None if self.lagrangian is None else json_str(self.lagrangian),
            "noether": [{"law": k + 1, "characteristic": {u.name: json_str(q) for u, q in Q.items()}}
                        for k, Q in self.noether],
        }

    def dumps(self, **kw) -> str:
        return json.dumps(self.to_json(), **kw)

    def __str__(self) -> str:
        lines = [f"{len(self.laws)} conservation law(s) of {self.pde!r}, multipliers of order <= {self.order}:"]
        lines += [f"  {k}. {law}" for k, law in enumerate(self.laws, 1)]
        for fam in self.families:
            mult = ", ".join(f"{k}: {sp.sstr(v)}" for k, v in fam.multiplier.items())
            cons = "; ".join(f"{sp.sstr(c)} = 0" for c in fam.constraints)
            lines.append(f"  family: Λ = ({mult})" + family_condition(fam.functions, cons))
        if self.assumptions:
            lines.append("  assuming " + ", ".join(sp.sstr(a) for a in self.assumptions))
        if self.lagrangian is not None:
            lines.append(f"  variational, L = {sp.sstr(self.lagrangian)}; Noether: " + (", ".join(
                f"law {k + 1} <- symmetry Q = ({', '.join(f'{u}: {sp.sstr(q)}' for u, q in Q.items())})"
                for k, Q in self.noether) or "none"))
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def lagrangian(pde: PDE):
    r"""A Lagrangian L with $E_{u^a}(L) = s_a \Delta_{\sigma(a)}$ (a pairing of equations with
    dependent variables, signs $s_a = \pm 1$), or None: the PDE is then not variational in
    these variables. L is the homotopy $\int_0^1 \sum_a u^a\, s_a\Delta_{\sigma(a)}[\lambda u]\,
    d\lambda$, and the Euler operator checks it. Returns (L, sigma, signs) or None."""
    import itertools

    from ..symbolic._homotopy import _lambda_integral, euler_operator

    jet = pde.jet
    if len(pde.equations) != jet.q or jet.q > 3:
        return None
    lam = sp.Dummy("lam", positive=True)
    for sigma in itertools.permutations(range(jet.q)):
        for signs in itertools.product((1, -1), repeat=jet.q):
            if signs[0] == -1:
                continue  # L and -L: one sign is free
            target = [s * pde.equations[k] for s, k in zip(signs, sigma)]
            integrand = sp.Integer(0)
            for a, d in enumerate(target):
                scale = {v: lam * v for v in d.free_symbols if jet.decode(v) is not None}
                integrand += lam * jet.dependent[a] * d.xreplace(scale)
            try:
                L = _lambda_integral(integrand, lam)
            except (HomotopyError, ValueError):
                continue
            if all(normal(euler_operator(L, jet, u) - d) == 0 for u, d in zip(jet.dependent, target)):
                return sp.expand(L), sigma, signs
    return None


def _noether(pde: PDE, laws, keys):
    """(L, [(law index, characteristic)]) for a variational PDE: Q_a = s_a Λ_σ(a), when that
    Q is a (generalised) symmetry; (None, []) otherwise."""
    from ._generalized import linearised

    found = lagrangian(pde)
    if found is None:
        return None, []
    L, sigma, signs = found
    out = []
    for k, law in enumerate(laws):
        lam = [law.multiplier.get(key, sp.Integer(0)) for key in keys]
        Q = {u: s * lam[j] for u, s, j in zip(pde.dependent, signs, sigma)}
        if all(r == 0 for r in linearised(pde, Q)):
            out.append((k, Q))
    return L, out


def multiplier_keys(pde: PDE) -> list[str]:
    """How multipliers are named: the dependent variable each equation is solved for (its
    principal derivative), or the equation's number when two share one."""
    jet = pde.jet
    try:
        names = [jet.dependent[jet.decode(s)[0]].name
                 for s in kovalevskaya_form(pde).principal_derivatives()]
    except PDEInputError:
        names = []
    if len(names) == len(pde.equations) and len(set(names)) == len(names):
        return names
    return [str(k) for k in range(1, len(pde.equations) + 1)]


def _multiplier_list(pde: PDE, multiplier: Mapping) -> list:
    keys = multiplier_keys(pde)
    by = {str(k): v for k, v in multiplier.items()}
    return [by.get(k, sp.Integer(0)) for k in keys]


def _tidy(e, parameters):
    """Cancelled, with a denominator in the parameters only divided into each term."""
    e = sp.powsimp(normal(sp.expand(e)), combine="exp")
    n, d = sp.fraction(sp.together(e))
    if d != 1 and not any(f.is_Add for f in sp.Mul.make_args(d)) and not (d.free_symbols <= set(parameters)):
        return sp.expand(sp.expand(n) / d)  # a monomial denominator: divided into each term
    if d == 1 or not (d.free_symbols <= set(parameters)):
        return e
    groups: dict = {}
    for term in sp.Add.make_args(sp.expand(n)):
        c, atom = term.as_independent(*[s for s in term.free_symbols if s not in parameters],
                                      as_Add=False)
        groups[atom] = groups.get(atom, sp.Integer(0)) + c
    return sp.Add(*[sp.factor(c / d) * atom for atom, c in groups.items()])


def _is_zero(e) -> bool:
    e = normal(sp.expand(e))
    return e == 0 or sp.simplify(e) == 0  # simplify: identities such as sin^2 + cos^2 = 1


def _fluxes(pde: PDE, lam: list, time: sp.Symbol, simplify: bool = True):
    jet = pde.jet
    F = sp.expand(sp.Add(*[l * e for l, e in zip(lam, pde.equations)]))
    space = [x for x in jet.independent if x != time]
    comps = homotopy(F, jet, integrate_free_in=space[0] if space else time)
    density = comps.get(time, sp.Integer(0))
    fluxes = {x: comps.get(x, sp.Integer(0)) for x in space}
    if not simplify:
        return density, fluxes
    density, fluxes = _integrate_by_parts(jet, density, fluxes, time)
    return _tidy(density, pde.parameters), {x: _tidy(v, pde.parameters) for x, v in fluxes.items()}


def _weight(jet, e) -> tuple:
    """(highest jet order, number of terms of that order): what integration by parts lowers."""
    terms = sp.Add.make_args(sp.expand(e))
    orders = [jet.order(t) for t in terms]
    top = max(orders, default=-1)
    return (top, orders.count(top))


def _integrate_by_parts(jet, density, fluxes, time, rounds: int = 30):
    r"""An equivalent law with a lower-order density: $T - D_i G$, $X^i + D_t G$, where
    $G = \int g\, du_{J-e_i}$ for a term $g\, u_J$ of T linear in $u_J$ (KdV's
    $u u_{xx}/2 + u^3/6$ becomes $u^3/6 - u_x^2/2$). Kept only while the order drops."""
    T = sp.expand(density)
    fluxes = dict(fluxes)
    for _ in range(rounds):
        done = True
        for a, al in sorted(jet.jet_variables(T), key=lambda k: (-sum(k[1]), k)):
            v = jet.jet(a, al)
            g = T.coeff(v, 1)
            if g == 0 or g.has(v):
                continue
            for x in fluxes:
                i = jet.index(x)
                if al[i] == 0:
                    continue
                w = jet.jet(a, al[:i] + (al[i] - 1,) + al[i + 1:])
                G = sp.integrate(g, w)
                if G.has(sp.Integral):
                    continue
                new = sp.expand(T - jet.D(G, x))
                if _weight(jet, new) < _weight(jet, T):
                    T = new
                    fluxes[x] = fluxes[x] + jet.D(G, time)
                    done = False
                    break
            if not done:
                break
        if done:
            break
    return T, fluxes


def conservation_laws(pde: PDE, order: int = 2, *, xt_degree: int | None = None,
                      jet_degree: int | None = None, verify: bool = True,
                      progress: Callable | None = None) -> ConservationLaws:
    r"""The conservation laws of `pde` with multipliers of order at most `order` on solutions.

    **Arguments:**
    - `pde`: a liepinn `PDE` (parameters with values are substituted; the others are generic
      nonzero constants, and every division by an expression in them is recorded).
    - `order`: the highest derivative order in the multipliers.
    - `xt_degree`: if given, the multipliers are polynomials of total degree at most this in the
      independent variables (0: no explicit dependence); by default arbitrary.
    - `jet_degree`: if given, polynomials of degree at most this in u and its derivatives.
    - `verify`: check $D_t T + D_i X^i - \Lambda\cdot\Delta \equiv 0$ for every law; a failure
      raises `ConservationVerificationError`.
    """
    if not isinstance(pde, PDE):
        raise TypeError(f"pde must be a liepinn PDE, got {type(pde).__name__}")
    _check_degree("order", order, 0)
    _check_degree("xt_degree", xt_degree, 0, optional=True)
    _check_degree("jet_degree", jet_degree, 0, optional=True)
    work = pde.substitute_parameters() if any(v is not None for v in pde.parameters.values()) else pde
    keys = multiplier_keys(work)
    targets = [sp.Symbol(k) for k in keys]
    unk = JetUnknowns(work, targets, order, prefix="L", xt_degree=xt_degree, jet_degree=jet_degree)
    jet = work.jet
    # d(sum_a L_a Delta_a)/d u^b_J as forms, then E_b = sum_J (-D)^J of them
    forms = []
    for b in range(jet.q):
        parts: dict = {}
        jets = {al for e in work.equations for a, al in jet.jet_variables(e) if a == b}
        jets |= {jet.decode(v)[1] for v in unk.base_jets if jet.decode(v)[0] == b}
        for alpha in jets:
            v = jet.jet(b, alpha)
            acc: dict = {}
            for t, e in zip(targets, work.equations):
                dL = unk.partial(unk.values[t], v)
                for k, c in dL.items():
                    acc[k] = acc.get(k, 0) + c * e
                de = sp.diff(e, v)
                if de != 0:
                    for k, c in unk.values[t].items():
                        acc[k] = acc.get(k, 0) + c * de
            parts[alpha] = {k: sp.expand(c) for k, c in acc.items() if sp.expand(c) != 0}
        forms.append(_euler_sum(unk, parts))
    raw = solve_linear(unk.system(forms), progress)
    found = list(raw.basis) + [v for fam in raw.families for v in constant_members(fam)]
    basis, extra = canonical_vectors(found, targets, jet, work.parameters)
    time = time_variable(work)
    laws = []
    warnings = list(raw.warnings)
    for vec in basis:
        lam = [vec.get(t, sp.Integer(0)) for t in targets]
        try:
            density, fluxes = _fluxes(work, lam, time)
        except HomotopyError as exc:
            warnings.append(f"multiplier {[sp.sstr(l) for l in lam]}: no density found ({exc})")
            continue
        law = ConservationLaw(dict(zip(keys, lam)), density, fluxes, time)
        ok = _is_zero(law.residual(work))
        if not ok:
            # the raw homotopy output, without integration by parts and tidying
            density, fluxes = _fluxes(work, lam, time, simplify=False)
            law = ConservationLaw(dict(zip(keys, lam)), density, fluxes, time)
            ok = _is_zero(law.residual(work))
        if verify and not ok:
            raise ConservationVerificationError(
                f"the law with multiplier {law.multiplier} fails D_t T + D_i X^i = Λ·Δ")
        laws.append(ConservationLaw(law.multiplier, density, fluxes, time, verified=ok))
        for v in [density, *fluxes.values()]:
            for a in _assumption_factors(sp.fraction(sp.together(v))[1], work.parameters):
                if a not in extra:
                    extra.append(a)
    families = []
    for fam in raw.families:
        lam = [fam["values"].get(t, sp.Integer(0)) for t in targets]
        density = fluxes = None
        try:
            density, fluxes = _fluxes(work, lam, time)
            law = ConservationLaw(dict(zip(keys, lam)), density, fluxes, time)
            if reduce_modulo(law.residual(work), fam["constraints"]) != 0:
                density = fluxes = None
        except (HomotopyError, ValueError, NotImplementedError):
            density = fluxes = None
        families.append(MultiplierFamily(dict(zip(keys, lam)), tuple(fam["functions"]),
                                         tuple(fam["constraints"]), density, fluxes))
    assumptions = list(raw.assumptions) + [a for a in extra if a not in raw.assumptions]
    try:
        L, noether = _noether(work, laws, keys)
    except (HomotopyError, PDEInputError, NotImplementedError):
        L, noether = None, []
    return ConservationLaws(pde, tuple(laws), order, tuple(families), tuple(assumptions),
                            tuple(warnings), xt_degree, jet_degree, time, L, tuple(noether))


def _euler_sum(unk: JetUnknowns, parts: dict) -> dict:
    r"""$\sum_J (-D)^J G_J$, each J reached from the top along one path (D's commute)."""
    work = {al: dict(f) for al, f in parts.items()}
    while True:
        top = [al for al in work if any(al)]
        if not top:
            break
        al = max(top, key=lambda a: (sum(a), a))
        f = work.pop(al)
        i = max(k for k, n in enumerate(al) if n)
        lower = al[:i] + (al[i] - 1,) + al[i + 1:]
        g = work.setdefault(lower, {})
        for k, c in unk.D(f, i).items():
            g[k] = g.get(k, 0) - c
    zero = (0,) * unk.jet.p
    return {k: c for k, c in work.get(zero, {}).items() if sp.expand(c) != 0}


def _check_degree(name, value, lo, optional=False) -> None:
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < lo:
        raise ValueError(f"{name} must be an integer >= {lo}, got {value!r}")
