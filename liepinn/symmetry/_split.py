r"""Splitting a linear form with respect to variables its unknowns do not depend on.

If no unknown in $\sum_k c_k(z, y)\, d_k = 0$ depends on $z$, the equation holds for every $z$,
so the coefficients of linearly independent functions of $z$ vanish separately.

Main method: write every coefficient (denominators cleared) as a sum of *monomials* in
$z$-atoms: powers $z^r$ (any rational $r$), $b^{c\,e}$ for a symbolic exponent $e$,
$e^{c\,t}$, roots $R = b^{1/q}$ of sums (with $R^q = b$ used to reduce), $\log$,
$\sin/\cos$ (with $\cos^2 = 1 - \sin^2$ used to reduce) and other functions, each atom
depending on $z$ (possibly also on other variables, e.g. $e^{x u}$). Distinct monomials are
taken as linearly independent functions of $z$ (generic parameters; over-splitting could
only lose symmetries, never add a wrong one). When a factor cannot be read as a monomial
(e.g. $u^u$) we fall back to a Wronskian elimination: the rows $\partial_z^j c$ span the
same space as the $z$-free equations; their reduced row-echelon form is free of $z$.
"""

from __future__ import annotations

import sympy as sp
from sympy.core.sorting import default_sort_key

from ._linear import Form, Space, _is_simple_poly, add_into, clean, normal

_TRIG_OTHER = (sp.tan, sp.cot, sp.sec, sp.csc)


class _Mixed(Exception):
    pass


def _clear_denominators(form: Form) -> Form:
    dens = []
    for c in form.values():
        if _is_simple_poly(c):
            continue  # no denominator (`together` of a large polynomial is slow)
        _, d = sp.fraction(sp.together(c))
        if d != 1 and not d.is_Number:
            if not any(sp.expand(d - e) == 0 for e in dens):
                dens.append(d)
    if not dens:
        return form
    L = sp.Mul(*dens)
    return clean({k: c * L for k, c in form.items()})


def _prepare(c, zs):
    if c.has(*_TRIG_OTHER):
        c = c.rewrite(sp.sin)  # tan -> sin/cos (after rewrite, denominators handled by caller)
    if c.has(sp.sin, sp.cos):
        c = sp.expand(c, trig=True)
    if c.has(sp.log):
        c = sp.expand_log(c, force=True)
    c = sp.expand_power_base(c, force=True)
    return sp.expand(c)


def _roots_to_symbols(c, zs, roots: dict):
    """b^(p/q) with b a sum of z's -> b^n R^r, R a symbol standing for b^(1/q) (R^q = b)."""
    reps = {}
    for a in sorted(c.atoms(sp.Pow), key=default_sort_key):
        b, e = a.base, a.exp
        if not (b.is_Add and e.is_Rational and not e.is_Integer):
            continue
        fs = b.free_symbols
        if not (fs & zs):
            continue
        q = e.q
        n, r = divmod(e.p, q)
        R = roots.get((b, q))
        if R is None:
            R = roots[(b, q)] = sp.Dummy(f"R{len(roots)}")
        reps[a] = b**n * R**r
    return sp.expand(c.xreplace(reps)) if reps else c


def _monomial(factor, zs, mono: dict, roots_inv: dict | None = None):
    """Add the z-monomial content of one factor to `mono`; return the z-free rest."""
    if roots_inv:
        base, e = factor.as_base_exp()
        if base in roots_inv and e.is_Integer:
            key = ("root",) + roots_inv[base]
            mono[key] = mono.get(key, 0) + e
            return sp.Integer(1)
    fs = factor.free_symbols
    if not (fs & zs):
        return factor
    if factor.is_Symbol:
        mono[("pow", factor)] = mono.get(("pow", factor), 0) + 1
        return sp.Integer(1)
    if factor.is_Pow:
        b, e = factor.base, factor.exp
        if e.free_symbols & zs:
            if b.free_symbols & zs or not b.is_positive and b != sp.E:
                raise _Mixed(factor)
            # b**(expr in z) = exp(log(b) * e)
            return _monomial(sp.exp(sp.expand(e * sp.log(b))), zs, mono)
        if e.is_Number:
            key = ("pow", b) if b.is_Symbol else ("atom", b)
            mono[key] = mono.get(key, 0) + e
            return sp.Integer(1)
        n, rest = e.as_coeff_Add()
        c, e0 = rest.as_coeff_Mul()
        key = ("spow", b, e0)
        mono[key] = mono.get(key, 0) + c
        if n != 0:
            key = ("pow", b) if b.is_Symbol else ("atom", b)
            mono[key] = mono.get(key, 0) + n
        return sp.Integer(1)
    if isinstance(factor, sp.exp):
        arg = sp.expand(factor.args[0])
        rest = sp.Integer(1)
        for t in sp.Add.make_args(arg):
            if not (t.free_symbols & zs):
                rest *= sp.exp(t)
                continue
            c, t0 = t.as_coeff_Mul()
            key = ("exp", t0)
            mono[key] = mono.get(key, 0) + c
        return rest
    if factor.is_Function:
        key = (type(factor).__name__, factor.args)
        mono[key] = mono.get(key, 0) + 1
        return sp.Integer(1)
    raise _Mixed(factor)


def _mono_key(mono: dict) -> tuple:
    items = [(k, v) for k, v in mono.items() if v != 0]
    return tuple(sorted(items, key=default_sort_key))


def _reduce_trig(mono: dict):
    """Expand cos(a)^k (k >= 2) with cos^2 = 1 - sin^2; yields (mono, coefficient) pairs."""
    for key, v in mono.items():
        if key[0] == "cos" and v >= 2 and v.is_Integer:
            sin_key = ("sin", key[1])
            out = []
            base = dict(mono)
            base[key] = v - 2
            # cos^v = cos^(v-2) * (1 - sin^2)
            out.extend(_reduce_trig(base))
            neg = dict(base)
            neg[sin_key] = neg.get(sin_key, 0) + 2
            out.extend((m, -c) for m, c in _reduce_trig(neg))
            return out
    return [(mono, 1)]


def _poly_split(form: Form, zs: set, assume=None) -> list[Form]:
    groups: dict[tuple, Form] = {}
    order: list[tuple] = []
    roots: dict = {}
    prepared = [(key, _roots_to_symbols(_prepare(c, zs), zs, roots)) for key, c in form.items()]
    roots_inv = {R: k for k, R in roots.items()}
    for key, c in prepared:
        for term in sp.Add.make_args(c):
            mono: dict = {}
            rest = sp.Integer(1)
            for f in sp.Mul.make_args(term):
                rest *= _monomial(f, zs, mono, roots_inv)
            for m, s in _reduce_trig(mono):
                mk = _mono_key(m)
                g = groups.get(mk)
                if g is None:
                    g = groups[mk] = {}
                    order.append(mk)
                add_into(g, key, s * rest)
    if assume is not None and len(order) > 1:
        _special_values(order, assume)
    out = []
    for mk in sorted(order, key=default_sort_key):
        f = clean(groups[mk])
        if f:
            out.append(f)
    return out


def _exponents(mk):
    """(total exponent per base, total exponential argument, the other atoms) of a monomial."""
    powers: dict = {}
    arg = sp.Integer(0)
    other = []
    for key, v in mk:
        if key[0] in ("pow", "atom"):
            powers[key[1]] = powers.get(key[1], sp.Integer(0)) + v
        elif key[0] == "spow":
            powers[key[1]] = powers.get(key[1], sp.Integer(0)) + v * key[2]
        elif key[0] == "exp":
            arg += v * key[1]
        else:
            other.append((key, v))
    return powers, sp.expand(arg), tuple(other)


def _special_values(monos, assume) -> None:
    """Record the parameter values for which two monomials would be the same function.

    z^(a+3) and z^7 are independent unless a = 4: the split is valid for a != 4 only.
    """
    data = [_exponents(mk) for mk in monos]
    if not any(sp.sympify(e).free_symbols for p, a, _ in data for e in list(p.values()) + [a]):
        return
    for (p1, a1, o1), (p2, a2, o2) in zip(data, data[1:]) if len(data) > 40 else \
            ((d1, d2) for j, d1 in enumerate(data) for d2 in data[j + 1:]):
        if o1 != o2:
            continue
        diffs = []
        for b in set(p1) | set(p2):
            d = sp.expand(p1.get(b, 0) - p2.get(b, 0))
            if d != 0:
                diffs.append(d)
        da = sp.expand(a1 - a2)
        if da != 0:
            diffs.append(da)
        if len(diffs) != 1:
            continue
        d = diffs[0]
        if d.is_Number:
            continue
        # for an exponential argument: the coefficients of the variables must vanish
        assume(d)


def _wronskian_split(space: Space, form: Form, z) -> list[Form]:
    keys = sorted(form, key=space.rank, reverse=True)
    row = [form[k] for k in keys]
    rows = [row]
    for _ in range(len(keys) - 1):
        row = [normal(sp.diff(c, z)) for c in row]
        rows.append(row)
    # Gaussian elimination over the field of functions
    m, n = len(rows), len(keys)
    rows = [list(r) for r in rows]
    piv_cols = []
    r = 0
    for col in range(n):
        p = next((i for i in range(r, m) if rows[i][col] != 0), None)
        if p is None:
            continue
        rows[r], rows[p] = rows[p], rows[r]
        pv = rows[r][col]
        rows[r] = [normal(x / pv) for x in rows[r]]
        for i in range(m):
            if i != r and rows[i][col] != 0:
                f = rows[i][col]
                rows[i] = [normal(a - f * b) for a, b in zip(rows[i], rows[r])]
        piv_cols.append(col)
        r += 1
        if r == m:
            break
    out = []
    for i in range(r):
        f = clean({k: c for k, c in zip(keys, rows[i])})
        if f:
            out.append(f)
    return out


def split_imaginary(form: Form) -> list[Form]:
    """Real unknowns and variables: real and imaginary parts vanish separately."""
    if not any(c.has(sp.I) for c in form.values()):
        return [form]
    re_f, im_f = {}, {}
    for k, c in form.items():
        c = sp.expand(c)
        im = c.coeff(sp.I)
        re = sp.expand(c - sp.I * im)
        add_into(re_f, k, re)
        add_into(im_f, k, im)
    return [f for f in (clean(re_f), clean(im_f)) if f]


def split_form(space: Space, form: Form, zs, assume=None) -> list[Form]:
    """Equivalent z-free equations for `form` = 0, none of whose unknowns depends on `zs`."""
    zs = {space.vars[i] if isinstance(i, int) else i for i in zs}
    form = _clear_denominators(form)
    try:
        parts = _poly_split(form, zs, assume)
    except _Mixed:
        parts = [form]
        for z in sorted(zs, key=default_sort_key):
            new = []
            for f in parts:
                if any(c.has(z) for c in f.values()):
                    new.extend(_wronskian_split(space, _clear_denominators(f), z))
                else:
                    new.append(f)
            parts = new
    out = []
    for f in parts:
        out.extend(split_imaginary(f))
    return out
