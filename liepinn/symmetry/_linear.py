r"""Linear differential forms in unknown functions, the data structure of the determining system.

A *form* is a dict ``{(name, alpha): coefficient}`` meaning
$\sum c_{f,\alpha}(x, u)\, \partial^\alpha f$, where `name` is an unknown function of some of
the base variables $(x^1..x^p, u^1..u^q)$ and `alpha` a multi-index over *all* base variables
(zero for the variables the unknown does not depend on). Every determining equation is
"form = 0"; the symmetry generator itself is a form per component.

Coefficients are sympy expressions in the base variables and the parameters; they are kept
in a canonical normal form (`normal`) so that zero is recognised.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import sympy as sp
from sympy.core.sorting import default_sort_key

Key = tuple[str, tuple[int, ...]]
Form = dict


# ---------------------------------------------------------------------------------------
# coefficients
# ---------------------------------------------------------------------------------------
_HYPERBOLIC = (sp.sinh, sp.cosh, sp.tanh, sp.coth, sp.sech, sp.csch)


def _is_simple_poly(c) -> bool:
    """Polynomial with non-negative integer powers of symbols only (no functions)."""
    for a in sp.preorder_traversal(c):
        if a.is_Pow:
            if not (a.exp.is_Integer and a.exp > 0):
                return False
        elif a.is_Function:
            return False
    return True


def _needs_cancel(c) -> bool:
    """True if `c` has a sum in a denominator (else `expand` is a canonical form)."""
    for a in sp.preorder_traversal(c):
        if a.is_Pow and a.base.is_Add and not (a.exp.is_Integer and a.exp > 0):
            if a.exp.is_negative or not a.exp.is_Number:
                return True
    return False


def is_monomial(c) -> bool:
    """A product of numbers, symbols, powers and function atoms (no sums): safe to divide by."""
    for f in sp.Mul.make_args(c):
        b = f.base if f.is_Pow else f
        if b.is_Add:
            return False
        if b.is_Function and any(a.is_Add for a in sp.preorder_traversal(b)) and not isinstance(b, sp.exp):
            return False
    return True


_BESSEL = (sp.besselj, sp.bessely, sp.besseli, sp.besselk)
# functions with the identities of `special_reduce`
SPECIAL = _BESSEL + (sp.airyaiprime,)


def special_reduce(c):
    """Bessel functions of orders nu + k (k integer) written with orders nu and nu + 1 only
    (three-term recurrences), so that the derivatives sympy produces (orders nu - 1, nu + 1)
    cancel when they should. nu is the order without its integer part (0 for integer
    orders). Then the Wronskian identities (`_wronskians`)."""
    atoms = [a for a in c.atoms(*_BESSEL)]
    reps = {}
    for a in atoms:
        order, z = a.args
        k, rest = order.as_coeff_Add() if not order.is_Number else (order, sp.Integer(0))
        if order.is_Number:
            if not order.is_Rational:
                continue
            k = sp.floor(order)
            rest = order - k
        if not k.is_Integer:
            rest, k = order, sp.Integer(0)
        if k in (0, 1):
            continue
        f = type(a)
        # C_{m+1} = s (2m/z) C_m + t C_{m-1}: J, Y: (1, -1); I: (-1, 1); K: (1, 1)
        s_, t_ = {sp.besselj: (1, -1), sp.bessely: (1, -1), sp.besseli: (-1, 1), sp.besselk: (1, 1)}[f]
        lo, hi = f(rest, z), f(rest + 1, z)
        if k > 1:
            prev, cur = lo, hi
            for m in range(1, int(k)):
                prev, cur = cur, s_ * 2 * (rest + m) / z * cur + t_ * prev
            reps[a] = cur
        else:
            # C_{m-1} = (C_{m+1} - s (2m/z) C_m) / t, downwards from orders 1, 0
            nxt, cur = hi, lo
            for m in range(0, int(k), -1):
                nxt, cur = cur, (nxt - s_ * 2 * (rest + m) / z * cur) / t_
            reps[a] = cur
    if reps:
        c = c.xreplace(reps)
    return _wronskians(c)


def _wronskian_pairs(c):
    """(A, B, value of A*B) from the Wronskian identities of the special-function pairs in `c`:
    J_{nu+1} Y_nu = J_nu Y_{nu+1} + 2/(pi z), I_{nu+1} K_nu = 1/z - I_nu K_{nu+1},
    Ai' Bi = Ai Bi' - 1/pi (the products on the right are the canonical ones)."""
    out = []
    for a in c.atoms(sp.besselj, sp.besseli):
        nu, z = a.args
        other = sp.bessely if isinstance(a, sp.besselj) else sp.besselk
        lo = type(a)(nu - 1, z)
        if isinstance(a, sp.besselj):
            out.append((a, other(nu - 1, z), lo * other(nu, z) + 2 / (sp.pi * z)))
        else:
            out.append((a, other(nu - 1, z), 1 / z - lo * other(nu, z)))
    for a in c.atoms(sp.airyaiprime):
        z = a.args[0]
        out.append((a, sp.airybi(z), sp.airyai(z) * sp.airybiprime(z) - 1 / sp.pi))
    # (sympy evaluates some orders, e.g. K_{-1} = K_1: such a B is not the pair's partner)
    return [(A, B, v) for A, B, v in out
            if c.has(B) and (not isinstance(A, _BESSEL) or B.args[0] == A.args[0] - 1)]


def _wronskians(c):
    pairs = _wronskian_pairs(c)
    if not pairs:
        return c
    c = sp.expand(c)
    for _ in range(100):
        changed = False
        terms = []
        for t in sp.Add.make_args(c):
            for A, B, v in pairs:
                pw = t.as_powers_dict()
                ka, kb = sp.S(pw.get(A, 0)), sp.S(pw.get(B, 0))
                if ka.is_Integer and kb.is_Integer and ka >= 1 and kb >= 1:
                    t = t / (A * B) * v
                    changed = True
                    break
            terms.append(t)
        c = sp.expand(sp.Add(*terms))
        if not changed:
            break
    return c


def normal(c) -> sp.Expr:
    """Canonical form of a coefficient: expanded polynomial, or a cancelled fraction.

    Powers with a symbolic exponent are taken apart, b^(r+n) = b^r * b^n, before cancelling,
    so that u^(m+1)/u^m cancels; hyperbolic functions are written with exponentials.
    """
    if c.is_Number or c.is_Symbol:
        return c
    if c.has(*_HYPERBOLIC):
        c = c.rewrite(sp.exp)
    if c.has(*SPECIAL):
        c = special_reduce(c)
    if _is_simple_poly(c):
        return sp.expand(c)
    cancel = _needs_cancel(c)
    pows = [p for p in c.atoms(sp.Pow) if not p.exp.is_Number]
    if not cancel and not pows:
        return sp.expand(c)
    gens: dict = {}
    back: dict = {}

    def gen_for(base, rest):
        key = (base, rest)
        g = gens.get(key)
        if g is None:
            g = sp.Dummy(f"G{len(gens)}")
            gens[key] = g
            back[g] = sp.Pow(base, rest)
        return g

    # one generator b^(e0/D) per base and symbolic exponent e0 (D: the common denominator of
    # the rational multiples of e0 met), so that x^(s/2 + 1/2)/x^s = x^(1/2 - s/2)
    dens: dict = {}
    for p in pows:
        n, rest = p.exp.as_coeff_Add()
        c0, e0 = rest.as_coeff_Mul()
        if c0.is_Rational and n.is_Rational:
            dens[(p.base, e0)] = sp.ilcm(dens.get((p.base, e0), 1), c0.q)

    def rep(p):
        e = p.exp
        if e.is_Number:
            return p
        n, rest = e.as_coeff_Add()
        k = sp.floor(n) if n.is_Rational else sp.Integer(0)
        c, e0 = rest.as_coeff_Mul()
        D = dens.get((p.base, e0))
        if D is not None and c.is_Rational and n.is_Rational:
            # b^(n + c e0) = b^k b^(n - k) [b^(e0/D)]^(c D)
            out = gen_for(p.base, e0 / D) ** (c * D) * p.base**k
            return out * p.base ** (n - k) if n != k else out
        return gen_for(p.base, rest + (n - k)) * p.base**k

    if pows:
        reps = {p: rep(p) for p in sorted(pows, key=default_sort_key)}
        c = c.xreplace(reps)
    # symbolic powers always come out as b^n * b^(c e0): one canonical form for
    # r^(k+2) and r^2 r^k (sympy does not combine the latter)
    c = sp.cancel(c) if cancel else sp.expand(c)
    if back:
        c = c.xreplace(back)
        # re-expand the numerator only (keep the denominator together)
        n, d = sp.fraction(c)
        c = sp.expand(n) / d if d != 1 else sp.expand(n)
    return c


def is_zero(c) -> bool:
    return normal(c) == 0


# ---------------------------------------------------------------------------------------
# unknowns
# ---------------------------------------------------------------------------------------
@dataclass(eq=False)
class Unknown:
    name: str
    args: tuple[int, ...]        # indices into the base variables, increasing
    idx: int                      # creation index (ranking tie-break, naming)
    func: sp.core.function.UndefinedFunction | None = None  # sp.Function(name) when None

    def __post_init__(self):
        if self.func is None:
            self.func = sp.Function(self.name)


class Space:
    """The base variables, the parameters, and the registry of unknown functions."""

    def __init__(self, variables, parameters=(), reserved=()):
        self.vars: tuple[sp.Symbol, ...] = tuple(variables)
        self.n = len(self.vars)
        self.var_index = {v: i for i, v in enumerate(self.vars)}
        self.params = tuple(parameters)
        self.unknowns: dict[str, Unknown] = {}
        self._counter = itertools.count()
        self._reserved = {str(s) for s in reserved} | {v.name for v in self.vars} | {
            p.name for p in self.params
        }
        self._fresh = itertools.count(1)

    # -- unknowns --------------------------------------------------------------------
    def new_unknown(self, name: str | None, args) -> Unknown:
        args = tuple(sorted(set(args)))
        if name is None:
            while True:
                name = f"F{next(self._fresh)}"
                if name not in self._reserved and name not in self.unknowns:
                    break
        u = Unknown(name, args, next(self._counter))
        self.unknowns[name] = u
        self._reserved.add(name)
        return u

    def applied(self, name: str):
        u = self.unknowns[name]
        if not u.args:
            return sp.Symbol(name)
        return u.func(*[self.vars[i] for i in u.args])

    def key_expr(self, key: Key):
        name, alpha = key
        f = self.applied(name)
        if not any(alpha):
            return f
        return sp.Derivative(f, *[(self.vars[i], k) for i, k in enumerate(alpha) if k])

    def form_expr(self, form: Form) -> sp.Expr:
        return sp.Add(*[c * self.key_expr(k) for k, c in sorted_items(self, form)])

    def zero_alpha(self) -> tuple[int, ...]:
        return (0,) * self.n

    def unit(self, i: int) -> tuple[int, ...]:
        return tuple(int(k == i) for k in range(self.n))

    # -- ranking -----------------------------------------------------------------------
    elimination = False

    def rank(self, key: Key):
        """Orderly ranking: total order, then unknowns of more variables, older, then alpha.

        With `elimination` set: unknowns first (more variables, older), then orderly; the
        lowest unknowns then get equations of their own (ODE systems, finite-type systems).
        """
        name, alpha = key
        u = self.unknowns[name]
        if self.elimination:
            return (len(u.args), -u.idx, sum(alpha), alpha)
        return (sum(alpha), len(u.args), -u.idx, alpha)

    def leader(self, form: Form) -> Key:
        return max(form, key=self.rank)

    def coef_vars(self, form: Form) -> set[int]:
        out = set()
        for c in form.values():
            for s in c.free_symbols:
                i = self.var_index.get(s)
                if i is not None:
                    out.add(i)
        return out

    def unknown_vars(self, form: Form) -> set[int]:
        out = set()
        for name, _ in form:
            out.update(self.unknowns[name].args)
        return out


def sorted_items(space: Space, form: Form):
    return sorted(form.items(), key=lambda kv: space.rank(kv[0]), reverse=True)


# ---------------------------------------------------------------------------------------
# form arithmetic
# ---------------------------------------------------------------------------------------
def add_into(out: Form, key: Key, c) -> None:
    if c == 0:
        return
    prev = out.get(key)
    out[key] = c if prev is None else prev + c


def clean(form: Form) -> Form:
    out = {}
    for k, c in form.items():
        c = normal(c)
        if c != 0:
            out[k] = c
    return out


class _Acc:
    """Accumulate coefficients; only sums (and derivatives) are brought to normal form.

    A product of two normal, nonzero coefficients is nonzero, so it needs no zero test; a
    polynomial product is merely expanded.
    """

    __slots__ = ("terms", "dirty")

    def __init__(self):
        self.terms: dict = {}
        self.dirty: set = set()

    def add(self, key, c, dirty: bool = False) -> None:
        if c == 0:
            return
        t = self.terms.get(key)
        if t is None:
            self.terms[key] = [c]
        else:
            t.append(c)
        if dirty:
            self.dirty.add(key)

    def form(self) -> Form:
        out = {}
        for k, t in self.terms.items():
            if len(t) == 1 and k not in self.dirty:
                c = t[0]
                if not _needs_cancel(c):
                    c = sp.expand(c)
            else:
                c = normal(sp.Add(*t))
            if c != 0:
                out[k] = c
        return out


def scale(form: Form, s) -> Form:
    return {k: c * s for k, c in form.items()}


def combine(*pairs) -> Form:
    """sum s_i * F_i, cleaned."""
    acc = _Acc()
    for s, F in pairs:
        for k, c in F.items():
            acc.add(k, s * c)
    return acc.form()


def diff_form(space: Space, form: Form, i: int) -> Form:
    """Partial derivative d/dz_i of sum c_k d^k f (product rule; d f / d z = 0 off its arguments)."""
    z = space.vars[i]
    acc = _Acc()
    for (name, alpha), c in form.items():
        dc = sp.diff(c, z)
        if dc != 0:
            acc.add((name, alpha), dc, dirty=True)
        if i in space.unknowns[name].args:
            up = alpha[:i] + (alpha[i] + 1,) + alpha[i + 1:]
            acc.add((name, up), c)
    return acc.form()


class Derivatives:
    """Memoised derivatives d^alpha of one form."""

    def __init__(self, space: Space, form: Form, diff=None):
        self.space = space
        self.diff = diff or (lambda F, i: diff_form(space, F, i))
        self.memo: dict[tuple[int, ...], Form] = {space.zero_alpha(): form}

    def __call__(self, alpha: tuple[int, ...]) -> Form:
        hit = self.memo.get(alpha)
        if hit is not None:
            return hit
        i = max(k for k, n in enumerate(alpha) if n)
        lower = alpha[:i] + (alpha[i] - 1,) + alpha[i + 1:]
        val = self.diff(self(lower), i)
        self.memo[alpha] = val
        return val


def substitute(space: Space, form: Form, name: str, derivs: Derivatives) -> Form:
    """Replace every derivative of unknown `name` by the derivative of its expression."""
    if not any(k[0] == name for k in form):
        return form
    acc = _Acc()
    for (nm, alpha), c in form.items():
        if nm != name:
            acc.add((nm, alpha), c)
            continue
        for k2, c2 in derivs(alpha).items():
            acc.add(k2, c * c2)
    return acc.form()


def canonical(space: Space, form: Form) -> tuple:
    """A hashable canonical representation (leader coefficient divided out)."""
    lead = space.leader(form)
    c0 = form[lead]
    if c0.is_Number:
        items = [(k, c / c0) for k, c in form.items()]
    else:
        items = [(k, normal(c / c0)) for k, c in form.items()]
    return tuple(sorted(((k, sp.srepr(c)) for k, c in items)))


def is_derivative_of(alpha, beta) -> bool:
    return all(a >= b for a, b in zip(alpha, beta))


def primitive(form: Form) -> Form:
    """Divide out the common factor of the coefficients (keeps fraction-free forms small)."""
    if len(form) == 0:
        return form
    cs = list(form.values())
    if any(_needs_cancel(c) for c in cs):
        return form
    try:
        g = sp.gcd_list(cs)
    except Exception:  # gcd over exotic atoms: leave the form as it is
        return form
    if g == 1 or g == 0 or g.is_Number:
        return form
    return {k: sp.expand(sp.cancel(c / g)) for k, c in form.items()}
