r"""Linear ODEs met while integrating a determining system.

$\sum_{k=0}^n a_k(z)\, y^{(k)} = \sum_r b_r(z)\, g_r$, with $g_r$ unknowns free of $z$.
Returns a basis of the homogeneous solutions and one particular solution per $g_r$.

Constant-coefficient and Euler equations are solved from their characteristic polynomial
(repeated roots give $z^j e^{rz}$ and $z^r \log^j z$); first-order equations by an integrating
factor; others by sympy's `dsolve`. Particular solutions come from variation of parameters.
"""

from __future__ import annotations

import sympy as sp

from ._linear import normal


class ODEFailure(Exception):
    pass


def _no_integral(e) -> bool:
    return not e.has(sp.Integral)


def integrate(expr, z, assume=None):
    """Indefinite integral in closed form (Piecewise: the generic branch, condition recorded)."""
    expr = sp.expand(expr)
    if expr == 0:
        return sp.Integer(0)
    if expr.is_polynomial(z):
        return sp.Poly(expr, z).integrate().as_expr()
    out = []
    for term in sp.Add.make_args(expr):
        dep, indep = term.as_independent(z, as_Add=False)[::-1]
        r = sp.integrate(dep, z, risch=None)
        if r.has(sp.Piecewise):
            r = _generic_branch(r, assume)
        if not _no_integral(r):
            raise ODEFailure(f"cannot integrate {term} in closed form")
        out.append(indep * r)
    return sp.Add(*out)


def _generic_branch(e, assume):
    def pick(pw):
        expr, cond = pw.args[0]
        if assume is not None and cond not in (sp.true, True):
            assume(cond)
        return expr

    return e.replace(lambda a: isinstance(a, sp.Piecewise), pick)


def _char_basis(poly_coeffs, z, kind, assume):
    """Basis from characteristic roots. kind: 'exp' (e^{rz}) or 'euler' (z^r)."""
    r = sp.Dummy("r")
    P = sp.Add(*[c * r**k for k, c in enumerate(poly_coeffs)])
    P = sp.expand(P)
    n = sp.degree(P, r)
    roots = sp.roots(sp.Poly(P, r))
    if sum(roots.values()) != n:
        raise ODEFailure("characteristic polynomial has no closed-form roots")
    if assume is not None and n >= 2 and len(roots) == n:
        disc = sp.discriminant(P, r)
        if disc.free_symbols:
            assume(disc)
    basis = []
    done = set()
    logz = sp.log(z)
    for root in sorted(roots, key=sp.default_sort_key):
        if root in done:
            continue
        m = roots[root]
        re, im = root.as_real_imag() if not root.free_symbols else (root, sp.Integer(0))
        if im != 0 and sp.conjugate(root) in roots:
            done.add(sp.conjugate(root))
            done.add(root)
            im = abs(im)
            for j in range(m):
                if kind == "exp":
                    basis.append(z**j * sp.exp(re * z) * sp.cos(im * z))
                    basis.append(z**j * sp.exp(re * z) * sp.sin(im * z))
                else:
                    basis.append(logz**j * z**re * sp.cos(im * logz))
                    basis.append(logz**j * z**re * sp.sin(im * logz))
            continue
        done.add(root)
        for j in range(m):
            if kind == "exp":
                basis.append(z**j * sp.exp(root * z))
            else:
                basis.append(logz**j * z**root)
    return basis


def homogeneous_basis(a, z, assume=None):
    """Basis of solutions of sum_k a[k] y^(k) = 0 (a[-1] != 0)."""
    n = len(a) - 1
    an = a[-1]
    a = [normal(c / an) for c in a]
    if all(not c.has(z) for c in a):
        return _char_basis(a, z, "exp", assume)
    # Euler: a_k z^(n-k) constant
    b = [normal(c * z ** (n - k)) for k, c in enumerate(a)]
    if all(not c.has(z) for c in b):
        rr = sp.Dummy("r")
        P = sp.Integer(0)
        for k, c in enumerate(b):
            P += c * sp.ff(rr, k)
        P = sp.expand(P)
        coeffs = [P.coeff(rr, k) for k in range(n + 1)]
        return _char_basis(coeffs, z, "euler", assume)
    if n == 1:
        y1 = sp.exp(-integrate(a[0], z, assume))
        return [sp.powsimp(y1)]
    if a[0] == 0:
        # no y term: y' solves an equation of order n - 1
        lower = homogeneous_basis(a[1:], z, assume)
        return [sp.Integer(1)] + [integrate(v, z, assume) for v in lower]
    if n == 3:
        sq = _symmetric_square(a, z, assume)
        if sq is not None:
            return sq
    try:
        return _dsolve_basis(a, z)
    except ODEFailure:
        if n != 2:
            raise
        xi_basis = _exponential_substitution(a, z, assume)
        if xi_basis is not None:
            return xi_basis
        if a[1] == 0:
            return _reduction_of_order(-a[0], z, assume)
    # y'' + p y' + q y = 0 through its normal form: y = exp(-int p/2) w, w'' + I w = 0
    p, q = a[1], a[0]
    m = sp.exp(-integrate(p / 2, z, assume))
    inv = normal(q - sp.diff(p, z) / 2 - p**2 / 4)
    w = homogeneous_basis([inv, sp.Integer(0), sp.Integer(1)], z, assume)
    basis = [_tidy_solution(sp.powsimp(m * v), z) for v in w]
    _check_basis(a, basis, z)
    return basis


def _exponential_substitution(a, z, assume):
    r"""For coefficients rational in $\xi = e^{gz}$ (hyperbolic ones: $\operatorname{sech}^2 z$),
    the basis of the equation in $\xi$ ($d/dz = g\xi\, d/d\xi$) with $\xi = e^{gz}$; None if the
    coefficients are not of that kind or its basis is not found."""
    hyper = (sp.sinh, sp.cosh, sp.tanh, sp.coth, sp.sech, sp.csch)
    if not any(c.has(sp.exp, *hyper) for c in a):
        return None
    a = [normal(c.rewrite(sp.exp)) for c in a]
    rates = set()
    for c in a:
        for e in c.atoms(sp.exp):
            rate = sp.diff(e.args[0], z)
            if rate.has(z) or not rate.is_Rational:
                return None
            rates.add(rate)
    g = sp.gcd(list(rates)) if len(rates) > 1 else next(iter(rates))
    xi = sp.Dummy("xi", positive=True)
    to_xi = {sp.exp(k * z): xi ** int(k / g) for k in rates}
    b = [normal(c.xreplace(to_xi)) for c in a]
    if any(c.has(z) for c in b):
        return None
    # y(z) = Y(xi): y' = g xi Y', y'' = g^2 (xi^2 Y'' + xi Y')
    coeffs = [b[0], g * xi * b[1] + g**2 * xi * b[2], g**2 * xi**2 * b[2]]
    try:
        basis = _basis_without_dsolve(coeffs, xi, assume)
    except ODEFailure:
        return None
    out = [_tidy_solution(sp.powsimp(sp.factor(y).xreplace({xi: sp.exp(g * z)})), z) for y in basis]
    _check_basis(a, out, z)
    return out


def _basis_without_dsolve(a, z, assume):
    """Second-order basis from the hyperexponential ansatz of the normal form $w'' = r w$."""
    p, q = normal(a[1] / a[2]), normal(a[0] / a[2])
    m = sp.exp(-integrate(p / 2, z, assume))
    w = _reduction_of_order(normal(-(q - sp.diff(p, z) / 2 - p**2 / 4)), z, assume)
    return [_tidy_solution(sp.powsimp(m * v), z) for v in w]


def _reduction_of_order(r, z, assume):
    r"""Basis $w_1$, $w_1\int w_1^{-2}$ of $w'' = r w$ from a hyperexponential solution
    $w_1 = P(z)\,D(z)^{-m} e^{\int S}$ ($P$ polynomial, $D$ the squarefree denominator of $r$, $S$
    the polynomial part of $\pm\sqrt{r}$): Hermite's, Laguerre's and Kummer's equations with
    terminating series. ODEFailure if there is none of degree <= 8 or the integral fails."""
    w1 = _hyperexponential_solution(r, z)
    if w1 is None:
        raise ODEFailure(f"no closed-form solution of w'' = ({r})*w found (dsolve, hyperexponential ansatz)")
    basis = [w1, _tidy_solution(sp.cancel(sp.powsimp(w1 * integrate(normal(1 / w1**2), z, assume))), z)]
    _check_basis([-r, sp.Integer(0), sp.Integer(1)], basis, z)
    return basis


def _sqrt_polynomial_part(R, z):
    """Polynomial S with deg(R - S^2) < deg S (R a polynomial of even degree), else None."""
    poly = sp.Poly(R, z)
    d = poly.degree()
    if d < 0 or d % 2:
        return None if d > 0 else sp.Integer(0)
    k = d // 2
    c = [sp.Integer(0)] * (k + 1)
    c[k] = sp.sqrt(poly.LC())
    coeff = poly.all_coeffs()[::-1]
    for j in range(k - 1, -1, -1):
        # coefficient of z^(k + j) in S^2 must match R
        acc = sum(c[i] * c[k + j - i] for i in range(j + 1, k))
        c[j] = (coeff[k + j] - acc) / (2 * c[k])
    return sp.Add(*[cj * z**j for j, cj in enumerate(c)])


def _hyperexponential_solution(r, z, max_degree: int = 8):
    num, den = sp.fraction(sp.cancel(sp.together(r)))
    if not (num.is_polynomial(z) and den.is_polynomial(z)):
        return None
    quo = sp.div(sp.Poly(num, z), sp.Poly(den, z))[0].as_expr()
    S = _sqrt_polynomial_part(quo, z)
    if S is None:
        return None
    D = sp.sqf_part(den) if den.has(z) else sp.Integer(1)
    powers = [sp.Integer(0)]
    c0 = sp.limit(z**2 * r, z, 0) if den.subs(z, 0) == 0 else sp.Integer(0)
    if c0.is_finite and c0 != 0:
        # a regular singular point at 0: w ~ z^mu with mu (mu - 1) = c0 (Bessel, Laguerre)
        mu = sp.Dummy("mu")
        powers += [e for e in sp.solve(mu * (mu - 1) - c0, mu) if not e.is_integer]
    prefactors = [z**e * D**-m for e in powers for m in range(4 if D.has(z) else 1)]
    for sign in ([1, -1] if S != 0 else [1]):
        E = sp.exp(sign * integrate(S, z))
        for pre in prefactors:
            for deg in range(max_degree + 1):
                cs = sp.symbols(f"c0:{deg + 1}")
                w = sp.Add(*[ci * z**i for i, ci in enumerate(cs)]) * pre * E
                res = sp.cancel(sp.together((sp.diff(w, z, 2) - r * w) / (E * pre)))
                rn = sp.Poly(sp.fraction(res)[0], z)
                sol = sp.solve(rn.coeffs(), cs, dict=True)
                if not sol:
                    continue
                w = w.xreplace(sol[0])
                free = [ci for ci in cs if w.has(ci)]
                w = w.xreplace({ci: (1 if k == 0 else 0) for k, ci in enumerate(free)})
                if w != 0:
                    return _tidy_solution(sp.powsimp(w), z)
    return None


def _dsolve_basis(a, z):
    n = len(a) - 1
    y = sp.Function("y")
    ode = sp.Add(*[c * sp.Derivative(y(z), (z, k)) if k else c * y(z) for k, c in enumerate(a)])
    try:
        sol = sp.dsolve(ode, y(z))
    except (NotImplementedError, ValueError) as exc:
        raise ODEFailure(str(exc)) from exc
    if isinstance(sol, list):
        raise ODEFailure("dsolve returned several solutions")
    rhs = sol.rhs
    consts = sorted((s for s in rhs.free_symbols if s.name.startswith("C") and s.name[1:].isdigit()),
                    key=lambda s: int(s.name[1:]))
    if len(consts) != n or rhs.has(sp.Integral) or rhs.has(sp.Order):
        # (a truncated power series is no solution)
        raise ODEFailure("dsolve did not return a closed-form general solution")
    basis = [_tidy_solution(sp.diff(rhs, c), z) for c in consts]
    _check_basis(a, basis, z)
    return basis


_BESSEL = (sp.besselj, sp.bessely, sp.besseli, sp.besselk)


def _tidy_solution(y, z):
    """Hypergeometric functions expanded, Bessel functions of half-integer order written with
    elementary functions, powers of z denested for z > 0 (dsolve writes e.g.
    (z**2)**(3/4)/sqrt(z) for z), constant factors dropped: one branch, a basis element on an
    interval (so u'' = u/z^4 gives z cosh(1/z), not sqrt(z) J_{-1/2}(i/z) sqrt(i)/sqrt(-i))."""
    if y.has(sp.hyper, sp.meijerg):
        y = sp.hyperexpand(y)
    if y.has(*_BESSEL):
        elementary = sp.besselsimp(y)
        if not elementary.has(*_BESSEL):
            y = elementary
    zp = sp.Dummy("z", positive=True)
    yp = y.xreplace({z: zp})
    if any(a.base.has(zp) and not a.base.is_Symbol and not a.exp.is_Integer for a in yp.atoms(sp.Pow)):
        yp = sp.powdenest(yp, force=True)
        try:
            yp = sp.simplify(yp)
        except Exception:  # simplification only tidies
            pass
    const, rest = yp.as_independent(zp, as_Add=False)
    if rest.has(zp) and const.is_zero is False and not const.free_symbols:
        yp = rest
    return yp.xreplace({zp: z})


def _check_basis(a, basis, z):
    """Each element solves sum_k a[k] y^(k) = 0 and the Wronskian does not vanish (checked
    exactly where possible, else at random points); ODEFailure otherwise."""
    import random

    rng = random.Random(1)
    syms = sorted(set().union(*[c.free_symbols for c in a], *[y.free_symbols for y in basis]) - {z},
                  key=sp.default_sort_key)

    def numeric_zero(e, scale):
        for _ in range(3):
            vals = {s: sp.Rational(rng.randint(11, 29), 10) for s in syms}
            vals[z] = sp.Rational(rng.randint(11, 29), 10)
            try:
                v = complex(sp.N(e.xreplace(vals), 30))
                m = max(1.0, abs(complex(sp.N(scale.xreplace(vals), 30))))
            except (TypeError, ValueError):
                return False
            if abs(v) > 1e-15 * m:
                return False
        return True

    for y in basis:
        terms = [c * sp.diff(y, z, k) for k, c in enumerate(a)]
        res = sp.Add(*terms)
        if normal(res) == 0:
            continue
        if not numeric_zero(res, sp.Add(*[abs(t) for t in terms])):
            raise ODEFailure(f"dsolve returned {y}, which does not solve the equation")
    W = sp.Matrix([[sp.diff(y, z, k) for y in basis] for k in range(len(basis))]).det()
    if numeric_zero(W, sp.Integer(1)):
        raise ODEFailure("dsolve returned dependent solutions")


def _symmetric_square(a, z, assume):
    r"""Basis w1^2, w1 w2, w2^2 if the monic third-order equation
    $y^{(3)} + a_2 y'' + a_1 y' + a_0 y = 0$ is the symmetric square of
    $w'' + p w' + q w = 0$, that is $a_2 = 3p$, $a_1 = 2p^2 + p' + 4q$, $a_0 = 4pq + 2q'$
    (products of two solutions of the second-order equation solve it); else None."""
    p = normal(a[2] / 3)
    q = normal((a[1] - 2 * p**2 - sp.diff(p, z)) / 4)
    if normal(a[0] - 4 * p * q - 2 * sp.diff(q, z)) != 0:
        return None
    try:
        w = homogeneous_basis([q, p, sp.Integer(1)], z, assume)
    except ODEFailure:
        return None
    if len(w) != 2:
        return None
    return [w[0] ** 2, w[0] * w[1], w[1] ** 2]


def particular(a, basis, rhs, z, assume=None):
    """y_p with sum_k a[k] y_p^(k) = rhs, by variation of parameters."""
    n = len(a) - 1
    rhs = normal(rhs / a[-1])
    if rhs == 0:
        return sp.Integer(0)
    if all(c == 0 for c in a[:-1]):
        out = rhs
        for _ in range(n):
            out = integrate(out, z, assume)
        return out
    if n == 1:
        y1 = basis[0]
        return normal(y1 * integrate(normal(rhs / y1), z, assume))
    W = sp.Matrix([[sp.diff(y, z, k) for y in basis] for k in range(n)])
    detW = normal(W.det())
    out = sp.Integer(0)
    for i in range(n):
        Wi = W.copy()
        Wi[:, i] = sp.Matrix([0] * (n - 1) + [1])
        integrand = normal(Wi.det() * rhs / detW)
        out += basis[i] * integrate(integrand, z, assume)
    return normal(out)
