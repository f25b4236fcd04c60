"""Finite transformations: closed-form flows, inverses, compositions, the check that they map
solutions to solutions, the action on functions, and the compiled JAX action.

Acceptance (issue 13): every one-parameter subgroup of heat (u_t = mu u_xx) and Burgers
(u_t + u u_x = nu u_xx), and their product, maps the heat kernel and Cole-Hopf solutions to
solutions, with a PDE residual <= 1e-10 in float64 computed by JAX autodiff through the
compiled action.
"""

import functools

import numpy as np
import pytest
import sympy as sp

from liepinn import Generator, symmetries
from liepinn.symmetry import (
    FiniteTransformation,
    TransformationError,
    act,
    compose,
    one_parameter_subgroup,
    transformations,
)
from pdes.burgers import pde as burgers
from pdes.heat import pde as heat

x, t, u, mu, nu = sp.symbols("x t u mu nu")
e = sp.Symbol("e")

MU, NU = 0.3, 0.2
KERNEL = sp.exp(-x**2 / (4 * mu * t)) / sp.sqrt(4 * sp.pi * mu * t)
# Cole-Hopf: u = -2 nu theta_x / theta for a heat solution theta (diffusivity nu)
THETA = 1 + sp.exp(x + nu * t) + sp.Rational(1, 2) * sp.exp(-2 * x + 4 * nu * t)
COLE_HOPF = -2 * nu * sp.diff(THETA, x) / THETA


@functools.lru_cache(maxsize=None)
def subgroups(name):
    pde = {"heat": heat, "burgers": burgers}[name]
    return transformations(symmetries(pde))


def _zero(expr, values, points=4, seed=0):
    """|expr| <= 1e-10 at random points x in (-1, 1), t in (1/2, 3/2)."""
    rng = np.random.default_rng(seed)
    for _ in range(points):
        at = {x: rng.uniform(-1, 1), t: rng.uniform(0.5, 1.5), **values}
        assert abs(complex(sp.N(expr.xreplace(at), 30))) <= 1e-10, (expr, at)


# -- flows -------------------------------------------------------------------------------------
def test_every_subgroup_of_heat_and_burgers_has_a_closed_form():
    for name, dim in (("heat", 6), ("burgers", 5)):
        subs = subgroups(name)
        assert len(subs) == dim and all(g is not None for g in subs), subs
        assert subs.failures == (None,) * dim
        assert [g.parameters for g in subs] == [(sp.Symbol(f"eps_{k}"),) for k in range(1, dim + 1)]


def test_projective_flows_in_closed_form():
    heat_proj = Generator({"x": 4 * mu * t * x, "t": 4 * mu * t**2}, {"u": -(x**2 + 2 * mu * t) * u}, heat.jet)
    images = heat_proj.flow(e)
    expected = {x: x / (1 - 4 * mu * e * t), t: t / (1 - 4 * mu * e * t),
                u: u * sp.sqrt(1 - 4 * mu * e * t) * sp.exp(-e * x**2 / (1 - 4 * mu * e * t))}
    for z, img in expected.items():
        assert sp.simplify(images[z] - img) == 0, (z, images[z])
    burgers_proj = Generator({"x": t * x, "t": t**2}, {"u": x - t * u}, burgers.jet)
    images = burgers_proj.flow(e)
    expected = {x: x / (1 - e * t), t: t / (1 - e * t), u: u + e * (x - t * u)}
    for z, img in expected.items():
        assert sp.simplify(images[z] - img) == 0, (z, images[z])
    # defined at t = 0 (no 1/t inside a denominator)
    assert images[t].subs(t, 0) == 0


def test_no_closed_form_is_reported_with_a_reason():
    g = Generator({"x": u**2}, {"u": x**3 + x}, heat.jet)
    why = g.flow_failure(e, timeout=1)
    assert why is not None and "no closed form" in why and "d(x, u)/de" in why
    with pytest.raises(TransformationError, match="no closed form"):
        one_parameter_subgroup(g, e, strict=True, timeout=1)


# -- inverse and composition -------------------------------------------------------------------
def _after(g, h):
    """g(h(z)) with shared parameters (`g @ h` would rename a clash: independent parameters)."""
    return FiniteTransformation({z: g.images[z].xreplace(dict(h.images)) for z in g.variables}, g.jet,
                                g.parameters)


def test_inverse_round_trip_symbolic():
    for name in ("heat", "burgers"):
        for g in subgroups(name):
            inv = g.inverse()
            assert inv.parameters == g.parameters
            assert _after(g, inv).is_identity() and _after(inv, g).is_identity(), g
    general = subgroups("burgers").general()
    assert general.parameters == tuple(sp.symbols("eps_1:6")) and len(general.factors) == 5
    assert general.factors[0] == subgroups("burgers")[-1]  # exp(eps_5 v5) is applied first
    assert _after(general, general.inverse()).is_identity()
    assert not (general @ general.inverse()).is_identity()  # @ keeps parameters independent
    # solved with sympy.solve (no parameters): a discrete map and a shear
    flip = FiniteTransformation({"x": -x, "u": -u}, burgers.jet, label="x -> -x, u -> -u")
    assert flip.inverse() == flip
    shear = FiniteTransformation({"x": x + 2 * t, "u": 3 * u}, heat.jet)
    assert (shear @ shear.inverse()).is_identity()  # no parameters: nothing renamed


def test_not_invertible_is_a_clear_error():
    with pytest.raises(TransformationError, match="not invertible in closed form"):
        FiniteTransformation({"u": 0}, heat.jet).inverse()


def test_compose_is_sequential_application():
    a, b = subgroups("burgers")[2], subgroups("burgers")[4]
    ab = compose(a, b)
    z = {x: sp.Rational(1, 3), t: sp.Rational(2, 3), u: sp.Rational(-1, 5),
         sp.Symbol("eps_3"): sp.Rational(1, 7), sp.Symbol("eps_5"): sp.Rational(1, 9)}
    first = {w: b.images[w].xreplace(z) for w in (x, t, u)}
    second = {w: a.images[w].xreplace({**z, **first}) for w in (x, t, u)}
    for w in (x, t, u):
        assert sp.simplify(ab.images[w].xreplace(z) - second[w]) == 0
    with pytest.raises(TypeError, match="argument 2 of compose"):
        compose(a, "x -> -x")


# -- mapping solutions to solutions ------------------------------------------------------------
@pytest.mark.parametrize("name", ["heat", "burgers"])
def test_every_subgroup_is_a_symmetry(name):
    pde = {"heat": heat, "burgers": burgers}[name]
    for g in subgroups(name):
        check = g.verify(pde)
        assert check.method == "symbolic", (g, check.residuals)
    assert subgroups(name).general().is_symmetry(pde)
    # with parameter values: substituted in the images as well
    fixed = type(pde)(pde.equations, pde.jet, {str(next(iter(pde.parameters))): "1/10"})
    assert all(g.is_symmetry(fixed) for g in subgroups(name))


def test_a_non_symmetry_fails_the_check():
    assert not FiniteTransformation({"u": u**2}, heat.jet).is_symmetry(heat)
    assert not FiniteTransformation({"x": x + e * t, "u": u + e}, heat.jet, [e]).is_symmetry(heat)
    with pytest.raises(ValueError, match="PDE lives on"):
        FiniteTransformation({}, heat.jet).verify(
            type(heat).from_text("v_t = v_xx", independent="x,t", dependent="v"))


@pytest.mark.parametrize("name,solution,values", [
    ("heat", KERNEL, {mu: MU}),
    ("burgers", COLE_HOPF, {nu: NU}),
])
def test_act_maps_exact_solutions_to_solutions_symbolically(name, solution, values):
    for k, g in enumerate(subgroups(name), 1):
        gu = act(g, solution)
        if name == "heat":
            r = sp.diff(gu, t) - mu * sp.diff(gu, x, 2)
        else:
            r = sp.diff(gu, t) + gu * sp.diff(gu, x) - nu * sp.diff(gu, x, 2)
        _zero(r, {**values, sp.Symbol(f"eps_{k}"): sp.Rational(1, 10)}, points=2, seed=k)
        # and at eps = 0 it is the solution itself
        assert sp.simplify(gu.subs(sp.Symbol(f"eps_{k}"), 0) - solution) == 0


def test_act_on_a_point_transformation_that_moves_x_with_u():
    shear = FiniteTransformation({"x": x + e * u}, heat.jet, [e])
    assert shear.points_depend_on_u
    assert sp.simplify(act(shear, x) - x / (1 + e)) == 0
    with pytest.raises(TransformationError, match="x~\\(x, u\\(x\\)\\) = y"):
        act(shear, sp.exp(x) + x**5)


def test_act_needs_only_the_points_to_invert():
    g = FiniteTransformation({"x": x + e, "u": u + u**5 + sp.exp(u)}, heat.jet, [e])
    assert sp.expand(act(g, x) - (x - e + (x - e)**5 + sp.exp(x - e))) == 0


def test_act_errors():
    g = subgroups("heat")[0]
    with pytest.raises(ValueError, match="not a dependent variable"):
        act(g, {"v": x})
    with pytest.raises(ValueError, match="must be a function of x, t only"):
        act(g, u * x)


# -- the compiled action (JAX, float64) --------------------------------------------------------
def _residual_fn(name, action, solution_fn, eps, params):
    import jax

    from liepinn.losses import act_on_values

    def gu(y):
        return act_on_values(action, solution_fn, eps, y[None, :], params)[0, 0]

    def residual(y):
        # one trace for u, its gradient and its Hessian
        h, (v, g) = jax.jacfwd(lambda y: (lambda vg: (vg[1], vg))(jax.value_and_grad(gu)(y)), has_aux=True)(y)
        if name == "heat":
            return g[1] - MU * h[0, 0]
        return g[1] + v * g[0] - NU * h[0, 0]

    return jax.jit(jax.vmap(residual))


def _exact(name):
    from liepinn.losses import lower

    pde = {"heat": heat, "burgers": burgers}[name]
    expr = {"heat": KERNEL, "burgers": COLE_HOPF}[name].xreplace({mu: MU, nu: NU})
    lowered = lower(expr, pde.jet)
    return lambda points: lowered(points, {})[0]


def _check_compiled(name, cases):
    import jax.numpy as jnp

    from liepinn.losses import GroupAction, lower_transformation

    param = {"heat": "mu", "burgers": "nu"}[name]
    value = jnp.array([{"heat": MU, "burgers": NU}[name]])
    solution_fn = _exact(name)
    rng = np.random.default_rng(1)
    y = jnp.asarray(np.c_[rng.uniform(-1, 1, 6), rng.uniform(0.5, 1.5, 6)])
    for g in cases:
        k = len(g.parameters)
        action = lower_transformation(g, [param])
        assert isinstance(action, GroupAction)
        assert action.independent == ("x", "t") and action.dependent == ("u",)
        assert action.parameters == (param,) and len(action.group_parameters) == k
        eps = jnp.asarray(rng.uniform(-0.15, 0.15, k))
        r = np.abs(np.asarray(_residual_fn(name, action, solution_fn, eps, value)(y)))
        assert r.max() <= 1e-10, (g.label, r)  # (a NaN fails too)
        # the inverse undoes it, values included
        u0 = solution_fn(y)[:, None]
        z, v = action(eps, y, u0, value)
        back_z, back_v = action.inverse()(eps, z, v, value)
        assert np.allclose(back_z, y, atol=1e-12) and np.allclose(back_v, u0, atol=1e-12), g.label


@pytest.mark.parametrize("name", ["heat", "burgers"])
def test_compiled_actions_map_exact_solutions_to_solutions(name, x64):
    """Every one-parameter subgroup, compiled: heat kernel / Cole-Hopf -> residual <= 1e-10."""
    _check_compiled(name, list(subgroups(name)))


@pytest.mark.parametrize("name", ["burgers", pytest.param("heat", marks=pytest.mark.slow)])
def test_compiled_general_element_maps_solutions_to_solutions(name, x64):
    """The product of all subgroups, exp(eps_1 v_1) ... exp(eps_r v_r), compiled."""
    _check_compiled(name, [subgroups(name).general()])


def test_compiled_composition_is_sequential_application(x64):
    import jax.numpy as jnp

    from liepinn.losses import lower_transformation

    subs = subgroups("burgers")
    a, b = subs[4], subs[2]   # projective after Galilean
    ab = lower_transformation(a @ b, ["nu"])
    A, B = lower_transformation(a, ["nu"]), lower_transformation(b, ["nu"])
    rng = np.random.default_rng(2)
    y = jnp.asarray(np.c_[rng.uniform(-1, 1, 5), rng.uniform(0.5, 1.5, 5)])
    v = jnp.asarray(rng.normal(size=(5, 1)))
    nu_ = jnp.array([NU])
    assert ab.group_parameters == ("eps_3", "eps_5")
    z1, v1 = B(jnp.array([0.1]), y, v, nu_)
    z2, v2 = A(jnp.array([-0.2]), z1, v1, nu_)
    z, w = ab(jnp.array([0.1, -0.2]), y, v, nu_)
    assert np.allclose(z, z2, atol=1e-13) and np.allclose(w, v2, atol=1e-13)


def test_compiled_action_errors():
    import jax.numpy as jnp

    from liepinn.losses import act_on_values, lower_transformation

    g = subgroups("heat")[5]
    action = lower_transformation(g)  # parameters default: the images' other symbols, by name
    assert action.parameters == ("mu",)
    y = jnp.zeros((3, 2))
    # float32 by default: values keep the points' dtype; f may return (N,) for one variable
    boost = lower_transformation(subgroups("heat")[3], ["mu"])
    out = act_on_values(boost, lambda p: p[:, 0] ** 2, jnp.array([0.5]), y + 1.0, jnp.ones(1))
    assert out.shape == (3, 1) and out.dtype == jnp.float32
    with pytest.raises(ValueError, match="eps must have shape"):
        action(jnp.zeros(2), y, jnp.zeros((3, 1)), jnp.ones(1))
    with pytest.raises(ValueError, match="parameter values needed"):
        action(jnp.zeros(1), y, jnp.zeros((3, 1)))
    with pytest.raises(ValueError, match="points must have shape"):
        action(jnp.zeros(1), jnp.zeros((3, 3)), jnp.zeros((3, 1)), jnp.ones(1))
    shear = lower_transformation(FiniteTransformation({"x": x + e * u}, heat.jet, [e]))
    with pytest.raises(TransformationError, match="act_on_values handles only"):
        act_on_values(shear, lambda p: p[:, 0], jnp.zeros(1), y)
    no_inverse = lower_transformation(FiniteTransformation({"u": 0}, heat.jet))
    with pytest.raises(TransformationError, match="no compiled inverse"):
        no_inverse.inverse()
    with pytest.raises(TypeError, match="FiniteTransformation"):
        lower_transformation(symmetries(heat).basis[0])


def test_subgroups_report_and_fixed_parameters():
    import json

    subs = subgroups("burgers")
    data = json.loads(json.dumps(subs.to_dict()))
    assert [d["parameters"] for d in data["subgroups"]] == [[f"eps_{k}"] for k in range(1, 6)]
    assert data["subgroups"][4]["images"]["t"] in ("-t/(eps_5*t - 1)", "t/(1 - eps_5*t)", "-t/(t*eps_5 - 1)")
    assert "v5 = t*x*∂x" in repr(subs)
    # fixing parameters of a composition fixes them in its factors too, so it still inverts
    h = subs.general().at({"eps_2": 0, "eps_5": sp.Rational(1, 10)})
    assert h.parameters == tuple(sp.symbols("eps_1 eps_3 eps_4"))
    assert _after(h, h.inverse()).is_identity()
    with pytest.raises(ValueError, match="not among the parameters"):
        h.at({"eps_9": 1})


CATALOGUE = ["allen_cahn", "allen_cahn2d", "black_scholes", "fisher_kpp", "heat2d", "kdv", "mkdv", "nls",
             "nonlinear_diffusion", "ode_u_xx", "potential_burgers", "sine_gordon"]


@pytest.mark.slow
@pytest.mark.parametrize("name", CATALOGUE)
def test_catalogue_subgroups_are_found_and_are_symmetries(name):
    """Every basis generator of the catalogue's equations has a closed-form flow (dsolve block by
    block) that maps solutions to solutions and inverts."""
    import importlib

    pde = importlib.import_module(f"pdes.{name}").pde
    subs = transformations(symmetries(pde))
    assert subs.failures == (None,) * len(subs), subs.failures
    for g in subs:
        assert g.verify(pde), g
        assert _after(g, g.inverse()).is_identity(), g


def test_strings_are_parsed_never_evaluated():
    from liepinn import PDEInputError

    g = FiniteTransformation({"x": "x + eps*t", "u": "-u*exp(eps)"}, heat.jet, ["eps"])
    assert g.images[x] == x + sp.Symbol("eps") * t
    assert act(g.at({"eps": "1/2"}), "sin(x)") == -sp.exp(sp.Rational(1, 2)) * sp.sin(x - t / 2)
    with pytest.raises(PDEInputError, match="image of x"):
        FiniteTransformation({"x": "__import__('os')"}, heat.jet)
    with pytest.raises(TypeError, match="image of x: expected a sympy expression"):
        FiniteTransformation({"x": object()}, heat.jet)
