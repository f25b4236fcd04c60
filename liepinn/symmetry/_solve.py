r"""Solving the determining system by differential elimination.

The system is a list of linear forms (`_linear`) in unknown functions of subsets of the base
variables $(x, u)$. A loop applies, in order of cost, the first step that changes something:

1. *split*: an equation whose unknowns do not depend on $z$ but whose coefficients do splits
   into the coefficients of independent functions of $z$ (`_split`);
2. *single term*: $\partial_z^k f = 0$ makes $f$ a polynomial in $z$ whose coefficients are new
   unknowns of the remaining variables (a mixed derivative $\partial^\alpha f = 0$ gives a sum
   of such terms, used only when nothing else applies);
3. *algebraic*: an equation of order 0 in some $f$ is solved for $f$ and substituted;
4. *ODE*: an equation that is a linear ODE in one variable $z$ for one unknown $f$, the other
   terms being unknowns free of $z$, is integrated (`_ode`): quadrature, constant-coefficient
   or Euler equations first, `dsolve` for the rest; integration constants become new unknowns
   of the remaining variables;
5. *completion* (rif/Janet style): Gauss-Jordan elimination of the system with respect to an
   orderly ranking (each equation solved for its leading derivative, the others fully
   reduced), then integrability conditions (cross-derivatives of leading derivatives of the
   same unknown) reduced and added.

When nothing applies, the unknowns left are constants, constrained by a linear system (the
finite algebra), or functions constrained by a passive PDE system (an infinite family; for
linear equations the solutions beta(x) of the equation itself, the superposition).
Every division by an expression that involves parameters is recorded as an assumption.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import sympy as sp
from sympy.core.sorting import default_sort_key

from ..symbolic._pde import PDE
from ._determining import DeterminingSystem, determining_equations
from ._linear import (
    Derivatives,
    Form,
    Space,
    clean,
    is_derivative_of,
    normal,
    substitute,
)
from ._ode import ODEFailure, homogeneous_basis, integrate, particular
from ._rif import Completion, ExprOps, RingOps
from ._split import split_form, split_imaginary


@dataclass
class RawAlgebra:
    r"""The symmetry algebra as computed, before canonicalisation.

    - `generators`: (xi, phi) pairs, a basis of the finite part (modulo superposition when the
      equation has an infinite superposition part).
    - `superposition`: None, or ``{"phi": {u: beta(x, t)}, "constraints": [...]}`` with the
      linear PDE beta must satisfy.
    - `infinite`: families with free functions (not superposition), each
      ``{"xi", "phi", "functions", "constraints"}``.
    - `assumptions`: relationals assumed for the parameters (e.g. ``Ne(m + 4/3, 0)``).
    - `warnings`: anything the solver could not finish (empty when complete).
    """

    generators: list
    superposition: dict | None
    infinite: list
    assumptions: list
    warnings: list = field(default_factory=list)
    pde: PDE | None = None

    @property
    def dimension(self) -> int:
        return len(self.generators)


def _form_key(form: Form) -> frozenset:
    # structural equality of the coefficients, as srepr's, without printing them
    return frozenset(form.items())


class _Solver:
    def __init__(self, ds: DeterminingSystem, progress=None):
        self.ds = ds
        self.pde = ds.pde
        self.space: Space = ds.space
        self.eqs: list[Form] = [dict(f) for f in ds.forms]
        self.targets = list(ds.xi) + list(ds.phi)
        self.sol: dict = {t: dict(f) for t, f in {**ds.xi, **ds.phi}.items()}
        self.params = set(self.space.params)
        self.assumptions: list = []
        self.warnings: list = []
        self.progress = progress
        self.unsplittable: set = set()
        self.failed_odes: set = set()
        self.done_pairs: set = set()
        self._pending: list = []
        self.steps = 0

    # -- bookkeeping -----------------------------------------------------------------------
    def log(self, msg: str) -> None:
        if self.progress is not None:
            self.progress(msg)

    def assume(self, e) -> None:
        """Record that `e` (an expression divided by, or a condition) holds generically."""
        if isinstance(e, sp.logic.boolalg.Boolean) and not isinstance(e, sp.Expr):
            if e in (sp.true, True):
                return
            if isinstance(e, sp.Ne):
                self.assume(e.lhs - e.rhs)
                return
            if e.free_symbols and e.free_symbols <= self.params:
                self._add_assumption(e)
            return
        e = sp.sympify(e)
        if e.is_Number or not (e.free_symbols & self.params):
            return
        try:
            num, _ = sp.fraction(sp.together(e))
            # transcendental atoms and symbolic powers stand in as symbols for factoring
            atoms = [a for a in num.atoms(sp.Pow, sp.Function)
                     if a.is_Function or not a.exp.is_Number]
            reps = {a: sp.Dummy() for a in sorted(atoms, key=default_sort_key)}
            _, facs = sp.factor_list(num.xreplace(reps))
        except Exception:  # factoring is only used to word the assumption
            return
        for f, _ in facs:
            fs = f.free_symbols
            if not fs or not fs <= self.params:
                continue
            try:
                lc = sp.Poly(f, *sorted(fs, key=default_sort_key)).LC()
                f = sp.expand(f / lc)
            except sp.PolynomialError:
                pass
            self._add_assumption(sp.Ne(f, 0))

    def _add_assumption(self, rel) -> None:
        if rel not in self.assumptions:
            self.assumptions.append(rel)

    def subst(self, name: str, form: Form) -> None:
        self.space.elimination = False
        derivs = Derivatives(self.space, form)
        new = []
        for e in self.eqs:
            e2 = substitute(self.space, e, name, derivs)
            if e2:
                new.append(e2)
        self.eqs = new
        self.sol = {t: substitute(self.space, f, name, derivs) for t, f in self.sol.items()}
        del self.space.unknowns[name]

    # -- main loop ----------------------------------------------------------------------------
    def run(self) -> RawAlgebra:
        self.eliminate()
        return self.finish()

    def eliminate(self) -> None:
        """Apply the steps until none changes the system (or the step limit)."""
        for self.steps in itertools.count():
            if self.steps > 5000:
                self.warnings.append("step limit reached")
                break
            self.tidy()
            if self.step_split():
                continue
            if self.step_single(mixed=False):
                continue
            if self.step_algebraic(derivatives=False):
                continue
            if self.step_ode(level=0):
                continue
            if self.step_ode(level=1):
                continue
            if self.step_exact():
                continue
            if self.step_algebraic(derivatives=True):
                continue
            if self.step_rif():
                continue
            if self.step_single(mixed=True):
                continue
            if self.step_ode(level=2):
                continue
            if not self.space.elimination and any(u.args for u in self.space.unknowns.values()):
                # stuck with functions left: complete with respect to an elimination ranking
                self.log("switching to an elimination ranking")
                self.space.elimination = True
                continue
            break

    def tidy(self) -> None:
        seen = set()
        out = []
        for e in self.eqs:
            for f in split_imaginary(e):
                if not f:
                    continue
                lead = self.space.leader(f)
                c0 = f[lead]
                if c0.is_Number and c0 != 1:
                    f = {k: c / c0 for k, c in f.items()}
                key = _form_key(f)
                if key in seen:
                    continue
                seen.add(key)
                out.append(f)
        self.eqs = out

    # -- 1. split -------------------------------------------------------------------------------
    def step_split(self) -> bool:
        changed = False
        new = []
        for e in self.eqs:
            zs = self.space.coef_vars(e) - self.space.unknown_vars(e)
            if zs:
                key = _form_key(e)
                if key not in self.unsplittable:
                    parts = split_form(self.space, e, zs, self.assume)
                    if any(self.space.coef_vars(f) & zs for f in parts):
                        self.unsplittable.add(key)
                        self.warnings.append(
                            f"could not split {self.space.form_expr(e)} with respect to "
                            f"{sorted((self.space.vars[i] for i in zs), key=default_sort_key)}"
                        )
                    else:
                        new.extend(parts)
                        changed = True
                        continue
            new.append(e)
        if changed:
            self.log(f"split: {len(self.eqs)} -> {len(new)} equations")
            self.eqs = new
        return changed

    # -- 2. single term ---------------------------------------------------------------------------
    def step_single(self, mixed: bool) -> bool:
        U = self.space.unknowns
        cands = []
        for e in self.eqs:
            if len(e) != 1:
                continue
            (name, al), = e.keys()
            nz = sum(1 for k in al if k)
            if nz > 1 and not mixed:
                continue
            cands.append((nz > 1, sum(al), -len(U[name].args), U[name].idx, al, name))
        if not cands:
            return False
        *_, al, name = min(cands)
        u = U[name]
        for e in self.eqs:
            if len(e) == 1 and (name, al) in e:
                self.assume(e[(name, al)])
                break
        if not any(al):
            self.log(f"single: {name} = 0")
            self.subst(name, {})
            return True
        expr: Form = {}
        for i, k in enumerate(al):
            if not k:
                continue
            rest = [j for j in u.args if j != i]
            for j in range(k):
                g = self.space.new_unknown(None, rest)
                expr[(g.name, self.space.zero_alpha())] = self.space.vars[i] ** j
        self.log(f"single: integrate d^{al} {name} = 0")
        self.subst(name, expr)
        return True

    # -- 3. algebraic -------------------------------------------------------------------------------
    def step_algebraic(self, derivatives: bool) -> bool:
        """Solve an equation for an unknown occurring in it underived. Without `derivatives`,
        only when the other terms are underived too: replacing an unknown by derivatives of
        others raises the order of the system, so easy ODEs go first."""
        U = self.space.unknowns
        best = None
        for n, e in enumerate(self.eqs):
            cv = self.space.coef_vars(e)
            if not derivatives and any(any(al) for _, al in e):
                continue
            for (name, al), c in e.items():
                if any(al):
                    continue
                if sum(1 for k in e if k[0] == name) != 1:
                    continue
                fa = set(U[name].args)
                if not cv <= fa:
                    continue
                if any(not set(U[k[0]].args) <= fa for k in e if k[0] != name):
                    continue
                score = (-len(fa), len(e), -U[name].idx, n)
                if best is None or score < best[0]:
                    best = (score, n, name)
        if best is None:
            return False
        _, n, name = best
        e = self.eqs[n]
        zero = self.space.zero_alpha()
        c = e[(name, zero)]
        self.assume(c)
        expr = clean({k: -v / c for k, v in e.items() if k != (name, zero)})
        self.log(f"algebraic: {name} = {self.space.form_expr(expr)}")
        self.subst(name, expr)
        return True

    # -- 4. ODEs -----------------------------------------------------------------------------------
    def _ode_candidates(self):
        U = self.space.unknowns
        for n, e in enumerate(self.eqs):
            cv = self.space.coef_vars(e)
            names = sorted({k[0] for k in e}, key=lambda s: -U[s].idx)
            for name in names:
                u = U[name]
                fa = set(u.args)
                if not cv <= fa:
                    continue
                others = [k for k in e if k[0] != name]
                if any(not set(U[k[0]].args) <= fa for k in others):
                    continue
                fkeys = [k for k in e if k[0] == name]
                for i in u.args:
                    if any(any(al[j] for j in range(len(al)) if j != i) for _, al in fkeys):
                        continue
                    if any(i in U[k[0]].args for k in others):
                        continue
                    order = max(al[i] for _, al in fkeys)
                    if order == 0:
                        continue
                    yield n, e, name, i, order

    def step_ode(self, level: int) -> bool:
        """level 0: quadratures with polynomial right-hand sides; 1: constant-coefficient,
        Euler and other easy ODEs; 2: anything `dsolve` can do."""
        z_unit = self.space.unit
        cands = []
        for n, e, name, i, order in self._ode_candidates():
            z = self.space.vars[i]
            a = [e.get((name, tuple(k * x for x in z_unit(i))), sp.Integer(0)) for k in range(order + 1)]
            quad = all(c == 0 for c in a[:-1])
            rest_poly = all(
                normal(c / a[-1]).is_polynomial(z) for k, c in e.items() if k[0] != name
            )
            if quad and rest_poly and not a[-1].has(z):
                lvl = 0
            elif all(not normal(c / a[-1]).has(z) for c in a) or len(e) <= order + 1:
                lvl = 1
            else:
                lvl = 2
            if lvl != level:
                continue
            key = (_form_key(e), name, i)
            if key in self.failed_odes:
                continue
            cands.append(((order, len(e), n), n, e, name, i, order, a, key))
        for _, n, e, name, i, order, a, key in sorted(cands, key=lambda c: c[0]):
            try:
                expr = self._solve_ode(e, name, i, order, a)
            except ODEFailure as exc:
                self.failed_odes.add(key)
                self.log(f"ode: failed for {name} in {self.space.vars[i]}: {exc}")
                continue
            self.log(f"ode: {name} in {self.space.vars[i]} (order {order})")
            self.subst(name, expr)
            return True
        return False

    def _solve_ode(self, e, name, i, order, a) -> Form:
        z = self.space.vars[i]
        u = self.space.unknowns[name]
        self.assume(a[-1])
        if all(c == 0 for c in a[:-1]):
            basis = [z**j for j in range(order)]
        else:
            basis = homogeneous_basis(a, z, self.assume)
        if len(basis) != order:
            raise ODEFailure("wrong number of homogeneous solutions")
        expr: Form = {}
        for k, c in sorted(e.items(), key=lambda kv: self.space.rank(kv[0]), reverse=True):
            if k[0] == name:
                continue
            yp = particular(a, basis, -c, z, self.assume)
            if yp != 0:
                expr[k] = yp
        rest = [j for j in u.args if j != i]
        for y in basis:
            g = self.space.new_unknown(None, rest)
            expr[(g.name, self.space.zero_alpha())] = y
        return clean(expr)

    # -- 4b. exact equations -----------------------------------------------------------------------
    def _antiderivative(self, e: Form, i: int) -> Form | None:
        r"""R with D_z R = e (z the i-th variable), or None if `e` is not a total z-derivative.

        Exactness is the vanishing of the Euler operator $\sum_j (-D_z)^j a_j$ for each
        unknown derivative $\partial^\beta f$ free of z; then
        $a\,\partial_z^j g = D_z \sum_{m<j} (-1)^m (\partial_z^m a)\,\partial_z^{j-1-m} g
        + (-1)^j (\partial_z^j a)\, g$ and the last terms cancel.
        """
        z = self.space.vars[i]
        groups: dict = {}
        free = []
        R: Form = {}
        for (name, al), c in e.items():
            if i not in self.space.unknowns[name].args:
                free.append(((name, al), c))
                continue
            beta = al[:i] + (0,) + al[i + 1:]
            groups.setdefault((name, beta), []).append((al[i], c))
        for (name, beta), terms in groups.items():
            euler = sp.Add(*[(-1) ** j * sp.diff(c, z, j) for j, c in terms])
            if normal(euler) != 0:
                return None
            for j, c in terms:
                for m in range(j):
                    k = (name, beta[:i] + (j - 1 - m,) + beta[i + 1:])
                    R[k] = R.get(k, sp.Integer(0)) + (-1) ** m * sp.diff(c, z, m)
        for k, c in free:
            # c g with g free of z: D_z (int c dz) g
            try:
                R[k] = integrate(c, z, self._pending.append)
            except (ODEFailure, NotImplementedError):
                return None
        return clean(R)

    def step_exact(self) -> bool:
        """An equation that is a total derivative, D_z R = 0 (possibly after division by one of
        its coefficients), becomes R = g with g a new unknown of the other variables, when R can
        then be solved algebraically for one unknown (which the next step does): e.g.
        xi'' - 2 phi' = 0 gives phi = xi'/2 + g."""
        U = self.space.unknowns
        for n, e in enumerate(self.eqs):
            uv = self.space.unknown_vars(e)
            if not self.space.coef_vars(e) <= uv:
                continue
            divisors = [sp.Integer(1)] + sorted(
                {c for c in e.values() if not c.is_Number}, key=default_sort_key)
            for i in sorted(uv):
                if all(i not in U[k[0]].args for k in e):
                    continue
                # R has an unknown of all of uv underived only if e has it as d_z f (or f) only
                zi = self.space.unit(i)
                if not any(set(U[f].args) >= uv and (f, zi) in e
                           and all(al in (zi, self.space.zero_alpha()) for g, al in e if g == f)
                           for f in {k[0] for k in e}):
                    continue
                for c in divisors:
                    self._pending = []
                    R = self._antiderivative(e if c == 1 else clean({k: v / c for k, v in e.items()}), i)
                    if R and self._solvable(R, uv):
                        break
                else:
                    continue
                self.assume(c)
                for cond in self._pending:
                    self.assume(cond)
                g = self.space.new_unknown(None, sorted(uv - {i}))
                self.log(f"exact: ({self.space.form_expr(e)})/({c}) = D_{self.space.vars[i]}"
                         f"({self.space.form_expr(R)}), integrated with {g.name}")
                R[(g.name, self.space.zero_alpha())] = sp.Integer(-1)
                self.eqs[n] = R
                return True
        return False

    def _solvable(self, R: Form, uv: set) -> bool:
        """Some unknown of all the variables `uv` occurs in R underived, and only so."""
        U = self.space.unknowns
        for name in {k[0] for k in R}:
            keys = [k for k in R if k[0] == name]
            if len(keys) == 1 and not any(keys[0][1]) and set(U[name].args) >= uv:
                return True
        return False

    # -- 5. completion ---------------------------------------------------------------------------
    def step_rif(self) -> bool:
        if not self.eqs:
            return False
        made = RingOps.try_make(self.space, self.eqs)
        if made is not None:
            ops, eqs = made
        else:
            ops, eqs = ExprOps(self.space), self.eqs
        comp = Completion(self.space, ops, self.assume, self.done_pairs)
        B, by_name, changed = comp.autoreduce(eqs)
        if changed:
            self.log(f"rif: reduced to {len(B)} equations")
            self.eqs = [ops.to_expr(v[0]) for v in B.values()]
            return True
        new = comp.conditions(B, by_name)
        if new:
            self.log(f"rif: {len(new)} integrability conditions")
            self.eqs = self.eqs + [ops.to_expr(f) for f in new]
            return True
        return False

    # -- finish ------------------------------------------------------------------------------------
    def _partition(self):
        """Group the unknowns left into connected components of the equations: (the constants,
        their equations, [(members, equations)] of each component with functions)."""
        sp_ = self.space
        U = sp_.unknowns
        names = sorted(U, key=lambda s: U[s].idx)
        parent = {n: n for n in names}

        def find(a):
            while parent[a] != a:
                parent[a] = parent[parent[a]]
                a = parent[a]
            return a

        for e in self.eqs:
            ns = sorted({k[0] for k in e}, key=lambda s: U[s].idx)
            for a, b in zip(ns, ns[1:]):
                ra, rb = find(a), find(b)
                if ra != rb:
                    parent[rb] = ra
        comps: dict = {}
        for n in names:
            comps.setdefault(find(n), []).append(n)
        const_names = []
        const_eqs = []
        families = []
        for root, members in comps.items():
            ceqs = [e for e in self.eqs if find(next(iter(e))[0]) == root]
            if all(not U[m].args for m in members):
                const_names.extend(members)
                const_eqs.extend(ceqs)
            else:
                families.append((members, ceqs))
        return const_names, const_eqs, families

    def _constant_solutions(self, const_names, const_eqs) -> list[dict]:
        """A basis of the solutions with constants only: target -> value, zeros left out."""
        sp_ = self.space
        rows = []
        for e in const_eqs:
            if sp_.coef_vars(e):
                rows.extend(split_form(sp_, e, sp_.coef_vars(e), self.assume))
            else:
                rows.append(e)
        vecs = self._nullspace([{k[0]: c for k, c in r.items()} for r in rows], const_names)
        out = []
        for v in vecs:
            vals = {}
            for t in self.targets:
                val = sp.Integer(0)
                for (name, al), c in self.sol[t].items():
                    if name in v:
                        val += c * v[name]
                val = _tidy_expr(val)
                if val != 0:
                    vals[t] = val
            out.append(vals)
        return out

    def finish(self) -> RawAlgebra:
        sp_ = self.space
        U = sp_.unknowns
        const_names, const_eqs, families = self._partition()
        gens = []
        for vals in self._constant_solutions(const_names, const_eqs):
            gens.append(({t: v for t, v in vals.items() if t in self.pde.independent},
                         {t: v for t, v in vals.items() if t not in self.pde.independent}))
        gens = self._independent(gens)

        # infinite part
        superposition = None
        infinite = []
        lin = self._linear_part()
        sup_members = []
        for members, ceqs in families:
            fam_xi, fam_phi = {}, {}
            for t in self.targets:
                val = sp.Add(*[c * sp_.key_expr(k) for k, c in self.sol[t].items() if k[0] in members])
                val = _tidy_family_expr(val)
                if val != 0:
                    (fam_xi if t in self.pde.independent else fam_phi)[t] = val
            fam = {
                "xi": fam_xi,
                "phi": fam_phi,
                "functions": [sp_.applied(m) for m in members],
                "constraints": [_tidy_family_expr(sp_.form_expr(e)) for e in ceqs],
            }
            dep = set(self.pde.dependent)
            is_sup = (
                lin is not None
                and not fam_xi
                and all(not (v.free_symbols & dep) for v in fam_phi.values())
                and all(not ({sp_.vars[i] for i in U[m].args} & dep) for m in members)
            )
            if is_sup:
                sup_members.append(fam)
            else:
                n = self._family_dimension(members, ceqs)
                if n is not None:
                    self.warnings.append(
                        f"a {n}-parameter family of symmetries ({', '.join(map(str, fam['functions']))} "
                        "with its constraints) could not be integrated in closed form: the determining "
                        f"equation(s) {'; '.join(f'{sp.sstr(c)} = 0' for c in fam['constraints'])} "
                        "were left unsolved (no closed form from dsolve or a hyperexponential ansatz)"
                    )
                infinite.append(fam)
        if sup_members:
            superposition = self._superposition(lin)
            gens = self._quotient_superposition(gens)
        return RawAlgebra(
            generators=gens,
            superposition=superposition,
            infinite=infinite,
            assumptions=list(self.pde.assumptions) + list(self.assumptions),
            warnings=list(self.warnings),
            pde=self.pde,
        )

    def _family_dimension(self, members, ceqs) -> int | None:
        """Number of free constants of a passive family (None if it is infinite-dimensional)."""
        U = self.space.unknowns
        funcs = [m for m in members if U[m].args]
        if not ceqs:
            return None
        made = RingOps.try_make(self.space, ceqs)
        ops, eqs = made if made is not None else (ExprOps(self.space), ceqs)
        comp = Completion(self.space, ops, lambda e: None, set())
        B, by_name, _ = comp.autoreduce(eqs)
        for _ in range(5):
            new = comp.conditions(B, by_name)
            if not new:
                break
            B, by_name, _ = comp.autoreduce([v[0] for v in B.values()] + new)
        else:
            return None
        total = sum(1 for m in members if not U[m].args)
        for m in funcs:
            args = U[m].args
            leads = [l[1] for l in by_name.get(m, [])]
            box = []
            for i in args:
                pure = [al[i] for al in leads if all(al[j] == 0 for j in args if j != i)]
                if not pure:
                    return None
                box.append(min(pure))
            for mono in itertools.product(*[range(b) for b in box]):
                alpha = [0] * self.space.n
                for i, k in zip(args, mono):
                    alpha[i] = k
                if not any(is_derivative_of(alpha, l) for l in leads):
                    total += 1
        return total

    def _nullspace(self, rows: list[dict], cols: list[str]) -> list[dict]:
        """Basis of {v : sum_c row[c] v[c] = 0}; pivots involving parameters are assumed nonzero."""
        M = [[normal(sp.sympify(r.get(c, 0))) for c in cols] for r in rows]
        M = [r for r in M if any(x != 0 for x in r)]
        pivots = []
        ri = 0
        for j in range(len(cols)):
            cand = [i for i in range(ri, len(M)) if M[i][j] != 0]
            if not cand:
                continue
            cand.sort(key=lambda i: (not M[i][j].is_Number, sp.count_ops(M[i][j])))
            p = cand[0]
            M[ri], M[p] = M[p], M[ri]
            pv = M[ri][j]
            if not pv.is_Number:
                self.assume(pv)
            M[ri] = [normal(x / pv) for x in M[ri]]
            for i in range(len(M)):
                if i != ri and M[i][j] != 0:
                    f = M[i][j]
                    M[i] = [normal(a - f * b) for a, b in zip(M[i], M[ri])]
            pivots.append(j)
            ri += 1
            if ri == len(M):
                break
        out = []
        for j in range(len(cols)):
            if j in pivots:
                continue
            v = {cols[j]: sp.Integer(1)}
            for r, pj in enumerate(pivots):
                if M[r][j] != 0:
                    v[cols[pj]] = -M[r][j]
            out.append(v)
        return out

    def _coefficient_system(self, gens, comps):
        """Linear equations on k_j expressing sum_j k_j comps(gen_j) = 0 identically."""
        tmp = Space(self.space.vars, self.space.params)
        ks = [tmp.new_unknown(f"k{j}", ()) for j in range(len(gens))]
        zero = tmp.zero_alpha()
        rows = []
        for comp in comps:
            form = {}
            for j, g in enumerate(gens):
                v = comp(g)
                if v != 0:
                    form[(ks[j].name, zero)] = v
            form = clean(form)
            if not form:
                continue
            zs = tmp.coef_vars(form)
            parts = split_form(tmp, form, zs) if zs else [form]
            rows.extend({k[0]: c for k, c in p.items()} for p in parts)
        return rows, [k.name for k in ks]

    def _components(self):
        comps = []
        for t in self.targets:
            if t in self.pde.independent:
                comps.append(lambda g, t=t: g[0].get(t, sp.Integer(0)))
            else:
                comps.append(lambda g, t=t: g[1].get(t, sp.Integer(0)))
        return comps

    def _independent(self, gens):
        """Drop generators that are linear combinations of earlier ones."""
        if len(gens) <= 1:
            return gens
        rows, cols = self._coefficient_system(gens, self._components())
        deps = self._nullspace(rows, cols)
        if not deps:
            return gens
        drop = set()
        # each dependency vector has a 1 at a free column; drop that generator
        for v in deps:
            free = [c for c, x in v.items() if x == 1 and c not in drop]
            drop.add(max(free, key=lambda c: int(c[1:])) if free else next(iter(v)))
        return [g for j, g in enumerate(gens) if f"k{j}" not in drop]

    def _quotient_superposition(self, gens):
        """Remove the span of {xi = 0, phi independent of u} (superposition) from the basis."""
        if not gens:
            return gens
        dep = list(self.pde.dependent)
        comps = [c for c, t in zip(self._components(), self.targets) if t in self.pde.independent]
        for t in self.pde.dependent:
            for ub in dep:
                comps.append(lambda g, t=t, ub=ub: sp.diff(g[1].get(t, sp.Integer(0)), ub))
        rows, cols = self._coefficient_system(gens, comps)
        S = self._nullspace(rows, cols)
        if not S:
            return gens
        vecs = [[s.get(c, sp.Integer(0)) for c in cols] for s in S]
        keep = []
        for j in range(len(gens)):
            trial = vecs + [[sp.Integer(int(i == j)) for i in range(len(cols))]]
            if sp.Matrix(trial).rank(simplify=True) > len(vecs):
                vecs = trial
                keep.append(j)
        return [gens[j] for j in keep]

    def _linear_part(self):
        """Homogeneous linear part of the equations if they are linear (affine) in the jets."""
        jet = self.pde.jet
        lam = sp.Dummy("lam")
        out = []
        for e in self.pde.equations:
            syms = [jet.jet(a, al) for a, al in jet.jet_variables(e)]
            try:
                # (a derivative of an arbitrary function f(u) cannot take u -> lam*u: not linear)
                scaled = e.xreplace({s: lam * s for s in syms})
                if sp.degree(sp.expand(scaled), lam) > 1:
                    return None
            except (sp.PolynomialError, ValueError):
                return None
            hom = sp.expand(scaled).coeff(lam, 1)
            if sp.expand(scaled - lam * hom).has(*syms):
                return None
            out.append(hom)
        return out

    def _superposition(self, lin):
        jet = self.pde.jet
        used = {s.name for s in self.pde.parameters} | {s.name for s in jet.independent + jet.dependent}
        used |= set(self.space.unknowns)
        phi = {}
        funcs = {}
        for u in jet.dependent:
            name = "beta" if jet.q == 1 else f"beta_{u.name}"
            while name in used:
                name += "_"
            used.add(name)
            f = sp.Function(name)(*jet.independent)
            phi[u] = f
            funcs[u] = f
        constraints = []
        for e in lin:
            fe = jet.to_functions(e)
            fe = fe.xreplace({jf: funcs[u] for u, jf in zip(jet.dependent, jet.functions)})
            constraints.append(fe)
        return {"phi": phi, "constraints": constraints}


def _tidy_expr(e):
    """A readable normal form for a generator component: cancelled, denominator factored,
    powers of one base combined (r^2 r^k -> r^(k+2))."""
    e = normal(sp.expand(e))
    if e == 0 or e.is_Number:
        return e
    n, d = sp.fraction(e)
    if d != 1:
        try:
            d = sp.factor(d)
        except Exception:  # factoring only improves the look
            pass
        e = sp.expand(n) / d
    if any(not p.exp.is_Number for p in e.atoms(sp.Pow)):
        e = sp.powsimp(e, combine="exp")
    return e


def _tidy_family_expr(e):
    """Family expressions (with unknown functions): combine powers of one base only."""
    e = sp.sympify(e)
    if any(not p.exp.is_Number for p in e.atoms(sp.Pow)):
        e = sp.powsimp(sp.expand(e), combine="exp")
    return e


def solve_symmetries(pde: PDE, *, progress=None) -> RawAlgebra:
    r"""The Lie point symmetry algebra of `pde` (see `RawAlgebra`)."""
    ds = determining_equations(pde)
    return _Solver(ds, progress).run()
