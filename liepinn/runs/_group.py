r"""The group in a run: ICs moved along admissible orbits, for training (`Augment`, `Equivariant`)
and for out-of-distribution evaluation.

An IC $u_0$ is represented by its values; for an orbit element $g_\varepsilon$ whose $\tilde x$ at
$t = t_0$ depends on $x$ only,
$(g_\varepsilon\cdot u_0)(y) = \tilde u\big(x, u_0(x)\big)$ at $x = \tilde x^{-1}(y)$, $t = t_0$
(`moved_values`). On a periodic domain the preimage may leave the period (the family is
periodic); on a bounded one it must stay inside (ValueError otherwise).

Out of distribution (`ood_moves`): the test ICs of the family, each moved by an admissible
element outside the family: a Galilean boost (Burgers) or a constant shift (heat) by
$|\varepsilon| \in [0.5, 1]$ (the family has zero mean), and an amplitude scaling by
$\lambda \in [2, 3]$ (linear PDEs; the family's amplitudes are at most 0.5 per term). The
reference for a moved IC is the diffrax reference solved on the moved IC itself
(`moved_expression`), which needs no assumption about how g acts on solutions. A move is used
only where the problem admits it (`liepinn.problems.admissible`, as for the training orbits):
otherwise the moved IC is off the problem (e.g. a shift against zero Dirichlet data) and no
OOD error is reported. Each move's label says whether it lies inside the run's training
orbits (`augment` / `equivariant`: then the OOD test checks what the group showed the
training, not generalisation beyond every orbit) or outside them (`within_orbits`).
"""

from __future__ import annotations

import dataclasses

import numpy as np

AUGMENT_KEY = 52_301  # fixed keys: orbit elements drawn for training and for OOD tests
OOD_KEY = 61_417


def _draw(orbits_actions, n: int, key: int):
    """n (orbit index, eps) pairs: the orbit uniform among the given, eps uniform in its range."""
    rng = np.random.default_rng(key)
    which = rng.integers(0, len(orbits_actions), size=n)
    eps = np.array([rng.uniform(*orbits_actions[k][2]) for k in which])
    return which, eps


def moved_values(problem, action, eps: float | None, values_at, xs: np.ndarray) -> np.ndarray:
    r"""$(g_\varepsilon\cdot u_0)(y)$ at the space points `xs` of $t = t_0$ ((M,) in one space
    dimension, (M, d) in d), where `values_at(x) -> (M,)` evaluates $u_0$ anywhere (same layout
    as `xs`; float64, eager)."""
    import jax
    import jax.numpy as jnp

    from ._assemble import _space_axes

    axes, ti = _space_axes(problem), problem.time_index
    cols = np.asarray(xs, float).reshape(len(xs), -1)
    if cols.shape[1] != len(axes):
        raise ValueError(f"moved_values: points with {cols.shape[1]} space coordinates for {problem.name!r}, "
                         f"which has {len(axes)} ({', '.join(problem.space)})")
    with jax.enable_x64(True):
        pts = np.zeros((len(cols), len(problem.independent)))
        pts[:, axes] = cols
        pts[:, ti] = problem.t_span[0]
        pts = jnp.asarray(pts)
        e = None if not action.group_parameters else jnp.asarray([eps], jnp.float64)
        pre, _ = action.inverse()(e, pts, jnp.zeros((len(cols), 1)))
        x_pre = np.asarray(pre[:, axes])
        if not problem.periodic:
            for j, var in enumerate(problem.space):
                lo, hi = (float(b) for b in problem.domain[var])
                if np.any(x_pre[:, j] < lo - 1e-12) or np.any(x_pre[:, j] > hi + 1e-12):
                    raise ValueError(f"{action.label}: the preimage of the domain leaves {var} in [{lo}, {hi}] at "
                                     f"eps = {eps}; the transformation does not map {problem.name!r}'s domain to itself")
        u0 = np.asarray(values_at(x_pre if np.ndim(xs) > 1 else x_pre[:, 0]), float).reshape(-1, 1)
        _, u = action(e, pre, jnp.asarray(u0))
        return np.asarray(u[:, 0], float)


def moved_expression(problem, orbit, eps: float | None, u0):
    r"""The moved IC $(g_\varepsilon\cdot u_0)(x)$ as a sympy expression of the space variables
    (for the diffrax reference): $\tilde u(x', t_0, u_0(x'))$ with $x' = \tilde x^{-1}(x, t_0)$,
    every space variable at once."""
    import sympy as sp

    ft = orbit.transformation(problem)
    inv = ft.inverse()  # before fixing eps: a float parameter breaks the exact inverse check
    if ft.parameters:
        value = {ft.parameters[0]: sp.Float(float(eps), 17)}
        ft, inv = ft.at(value), inv.at(value)
    t = sp.Symbol(problem.independent[problem.time_index])
    u = sp.Symbol(problem.dependent[0])
    t0 = sp.sympify(problem.domain[str(t)][0]) if str(t) in problem.domain else sp.Float(problem.t_span[0])
    space = [sp.Symbol(v) for v in problem.space]
    pre = {x: inv.images.get(x, x).xreplace({t: t0}) for x in space}
    moved = ft.images.get(u, u).xreplace({u: u0})
    return moved.xreplace({**pre, t: t0})


def expression_values(problem, expr, xs: np.ndarray) -> np.ndarray:
    """A sympy expression of the space variables at the points `xs` ((M,) or (M, d)): (M,)."""
    import sympy as sp

    cols = [np.asarray(xs, float)] if np.ndim(xs) == 1 else list(np.asarray(xs, float).T)
    f = sp.lambdify([sp.Symbol(v) for v in problem.space], expr, "numpy")
    return np.broadcast_to(np.asarray(f(*cols), float), (len(xs),)).copy()


# ------------------------------------------------------------------------------------------
# training: Augment and Equivariant extend the assembly


def _family_values(problem, coefs, j):
    fam = problem.initial_family
    one = tuple(np.asarray(c)[j:j + 1] for c in coefs)
    return lambda x: fam.evaluate(one, x)[0]


def extend_assembly(assembly):
    """The assembly of an `Augment` / `Equivariant` run: its data and loss extended (see
    `liepinn.losses.Augment` and `liepinn.losses.Equivariant`)."""
    import jax
    import jax.numpy as jnp

    from ..losses._group import Augment, Equivariant
    from ._assemble import TRAIN_IC_KEY, ic_family
    from ._networks import sensor_points

    problem, spec, variant = assembly.problem, assembly.spec, assembly.spec.loss
    acts = variant.actions(problem)  # ValueError: one initial condition, or no orbit to draw from
    n = int(spec.n_ics)
    _, coefs = ic_family(problem, n, TRAIN_IC_KEY)
    sensors = sensor_points(problem, assembly.network.sensors)
    data = dict(assembly.data)
    dtype = data["branch"].dtype
    from ._assemble import _space_axes

    axes = _space_axes(problem)  # the IC points' space coordinates: (P,) in 1-D, (P, d) otherwise
    ic_x = np.asarray(data["ic_points"], float)[:, axes[0] if len(axes) == 1 else axes]
    which, eps = _draw(acts, n * variant.copies, AUGMENT_KEY)
    src = np.tile(np.arange(n), variant.copies)
    branch = np.stack([moved_values(problem, acts[k][1], e, _family_values(problem, coefs, j), sensors)
                       for k, e, j in zip(which, eps, src)])
    data = dict(data)
    if isinstance(variant, Augment):
        ic_vals = np.stack([moved_values(problem, acts[k][1], e, _family_values(problem, coefs, j), ic_x)
                            for k, e, j in zip(which, eps, src)])
        with jax.enable_x64(dtype == jnp.float64):
            data["branch"] = jnp.concatenate([data["branch"], jnp.asarray(branch, dtype)])
            data["ic_values"] = jnp.concatenate([data["ic_values"], jnp.asarray(ic_vals, dtype)])
        return dataclasses.replace(assembly, data=data)
    if not isinstance(variant, Equivariant):
        raise TypeError(f"unknown group variant {variant!r}")
    groups = []
    with jax.enable_x64(dtype == jnp.float64):
        for k, (_, action, _) in enumerate(acts):
            sel = np.flatnonzero(which == k)
            if not len(sel):
                continue
            data[f"equivariant{k}_source"] = data["branch"][src[sel]]
            data[f"equivariant{k}_branch"] = jnp.asarray(branch[sel], dtype)
            data[f"equivariant{k}_eps"] = jnp.asarray(eps[sel, None], dtype)
            groups.append((k, action, variant.holds_source(problem, acts[k][0])))
    base, w = assembly.loss_fn, float(variant.weight)

    def loss_fn(model, batch):
        total, terms = base(model, batch)
        pts = batch["interior"]
        sq, count = 0.0, 0
        for k, action, hold in groups:
            e_k = batch[f"equivariant{k}_eps"]
            sq = sq + jnp.sum(jax.vmap(lambda s, b, e: equivariance_residual(model, action, pts, s, b, e, hold))(
                batch[f"equivariant{k}_source"], batch[f"equivariant{k}_branch"],
                e_k if action.group_parameters else e_k[:, :0]))
            count += e_k.shape[0]
        eq = sq / count
        return total + w * eq, {**terms, "equivariant": eq}

    return dataclasses.replace(assembly, data=data, loss_fn=loss_fn)


def equivariance_residual(model, action, points, source_branch, moved_branch, eps, hold_source: bool = True):
    r"""$\frac1N\sum_z \|J^{-1}\big(G(g\cdot u_0)(\tilde z) - \tilde u(z, G(u_0)(z))\big)\|^2$ for one
    pair (a DeepONet `model`, the branch inputs of $u_0$ and $g\cdot u_0$, the group parameter
    `eps`), with $J = \partial\tilde u/\partial u$ at $G(u_0)(z)$ (held fixed: a weight) and
    $G(u_0)$ under a stop-gradient when `hold_source` (`liepinn.losses.Equivariant` says which).

    Why $J$ and which side: along the output scale $a$ of the network (prediction $a f$), with
    $s = f(u_0)$, $t = f(g\cdot u_0)$, $r = t/(Js)$, the held-fixed (semi-gradient) term moves $a$
    at the rate $-\partial_a = 2w\,t(Js - t)/J^2 = 2w s^2 r(1 - r)$ per point: growth whenever
    the network answers sublinearly ($0 < r < 1$), bounded by $w s^2/2$ thanks to $J^{-2}$
    (unnormalised it reached $w\lambda^2 s^2/2$ for $u \to \lambda u$). Bounded is not stable:
    heat with $u \to \lambda u$ still diverged on 4 of 5 seeds. With both sides trained the
    term is $a^2$ times a fixed mismatch, $-\partial_a = -2w\,s^2(r - 1)^2 \le 0$: it never
    grows the output scale, and its gradient is that of a loss in every direction.
    Translations, boosts and shifts ($J = 1$) keep the held-fixed form, unchanged."""
    import jax
    import jax.numpy as jnp

    u = model.condition(source_branch)(points)
    if hold_source:
        u = jax.lax.stop_gradient(u)
    e = eps if action.group_parameters else None
    (z_moved, u_moved), (_, gain) = jax.jvp(lambda v: action(e, points, v), (u,), (jnp.ones_like(u),))
    pred = model.condition(moved_branch)(z_moved)
    gain = jax.lax.stop_gradient(jnp.where(jnp.abs(gain) > 1e-6, gain, 1.0))  # u -> 0 u: unnormalised
    return jnp.mean(jnp.sum(((pred - u_moved) / gain) ** 2, axis=-1))


# ------------------------------------------------------------------------------------------
# out-of-distribution evaluation


def ood_moves(problem):
    """[(orbit, eps)] for the `n` OOD test ICs: the admissible moves outside the family (module
    docstring), cycled over the test ICs, |eps| and the sign drawn with `OOD_KEY`."""
    from ..losses._group import Boost, Scaling, Shift

    from ..losses._group import _admitted, _report

    moves = []
    report = _report(problem)
    for orbit in (Boost(range=(0.5, 1.0)), Shift(range=(0.5, 1.0)), Scaling(range=(2.0, 3.0))):
        try:
            # a symmetry of the PDE that the problem does not admit (u -> u + c under zero
            # Dirichlet data, a boost on a bounded box) moves an IC off the problem: its
            # "solution" is not the moved one, so the move is not a meaningful test
            if orbit.transformation(problem).is_symmetry(problem.pde_values()) and _admitted(orbit, problem, report):
                moves.append(orbit)
        except (ValueError, TypeError):
            continue
    if any(isinstance(o, Boost) for o in moves):  # a boost and a shift both move the mean; keep one
        moves = [o for o in moves if not isinstance(o, Shift)]
    return moves


def ood_cases(problem, n: int):
    """n (orbit, eps) pairs for the OOD test ICs ([] when the problem admits no such move)."""
    from ..losses._group import Scaling

    moves = ood_moves(problem)
    if not moves:
        return []
    rng = np.random.default_rng(OOD_KEY)
    out = []
    for j in range(n):
        orbit = moves[j % len(moves)]
        e = rng.uniform(*orbit.range)
        if not isinstance(orbit, Scaling):
            e *= rng.choice((-1.0, 1.0))
        out.append((orbit, float(e)))
    return out


def ood_errors(assembly, model_for, n: int, references):
    """(per seed, the rel. L2 error on each moved test IC; the moves as labels): the test ICs of
    the family (`TEST_IC_KEY`) moved by `ood_cases`, each against the diffrax reference of the
    moved IC. ([], []) when the problem admits no move outside its family."""
    import jax
    import jax.numpy as jnp

    from ._assemble import TEST_IC_KEY, _grid_shape, grid_points, ic_family, is_float64, rel_l2
    from ._networks import sensor_points

    problem, spec = assembly.problem, assembly.spec
    cases = ood_cases(problem, spec.n_test_ics)
    if not cases:
        return [], []
    fam, coefs = ic_family(problem, spec.n_test_ics, TEST_IC_KEY)
    amp, ell, phase = (np.asarray(a) for a in coefs)
    d = problem.dependent[0]
    exprs = [moved_expression(problem, orbit, e, fam.expression(amp[j], ell[j], phase[j]))
             for j, (orbit, e) in enumerate(cases)]
    refs = [references.get(problem, spec.eval_nx, spec.eval_nt, initial={d: ex}) for ex in exprs]
    x, t = refs[0][0], refs[0][1]
    sensors = sensor_points(problem, assembly.network.sensors)
    branch = np.stack([expression_values(problem, ex, sensors) for ex in exprs])
    f64 = is_float64(model_for(0))
    out = []
    with jax.enable_x64(f64):
        dtype = jnp.float64 if f64 else jnp.float32
        pts = jnp.asarray(grid_points(problem, x, t), dtype)
        shape = _grid_shape(problem, x, t)
        for k in range(n):
            model = model_for(k)
            out.append([rel_l2(np.asarray(model(pts, jnp.asarray(branch[j], dtype)), float).T.reshape(shape), ref)
                        for j, (_, _, ref) in enumerate(refs)])
    trained = _training_orbits(spec, problem)
    where = ["inside" if within_orbits(problem, orbit, e, trained) else "outside" for orbit, e in cases]
    return out, [f"{orbit.name} {e:+.3f} ({w} the training orbits)" for (orbit, e), w in zip(cases, where)]


def _training_orbits(spec, problem):
    """The orbits a run trains on: those of an `Augment` / `Equivariant` loss, none otherwise."""
    from ..losses._group import AbstractGroupVariant

    return spec.loss.resolved_orbits(problem) if isinstance(spec.loss, AbstractGroupVariant) else ()


def within_orbits(problem, orbit, eps: float, orbits) -> bool:
    """Whether the move $g_\\varepsilon$ of `orbit` is an element of one of `orbits` (same
    transformation, $\\varepsilon$ in its range): an OOD test of such a move checks what the
    training saw along its orbits, not generalisation beyond them."""
    for o in orbits:
        if type(o) is type(orbit) and o.images(problem) == orbit.images(problem):
            lo, hi = o.parameter_range(problem)
            if lo <= eps <= hi:
                return True
    return False
