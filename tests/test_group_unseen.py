"""Issue 13 on problems that are in neither `pdes/` nor the other tests: finite transformations
checked against the literature (Ovsiannikov's u_t = (u^k u_x)_x, the potential Burgers
equation, Fisher-KPP), what a problem admits on periodic and bounded domains, parameters whose
names clash with group parameters, hand-given orbits a problem does not admit, infinite-
dimensional algebras (wave, advection) and tiny Augment / Equivariant runs."""

import json
import warnings

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sympy as sp

from helpers import heat_torus, problem_1d
from liepinn import PDE
from liepinn.cli import main
from liepinn.losses import Augment, Boost, Equivariant, Reflection, Scaling, Shift, Translation, default_orbits
from liepinn.losses._action import lower_transformation
from liepinn.losses._group import orbit_actions, orbit_from_json
from liepinn.problems import (
    Admissible,
    AdmissibleFor,
    Dirichlet,
    NotAdmissible,
    Periodic,
    Problem,
    Semigroup,
    admissible,
    admits,
    register_problem,
)
from liepinn.symmetry import FiniteTransformation, act, discrete_symmetries

x, t, u = sp.symbols("x t u")


def _images(entry):
    g = entry.transformation
    return {str(z): sp.sstr(im) for z, im in g.images.items() if im != z}


# -- finite transformations against the literature ------------------------------------------------
def test_nonlinear_heat_u2_scalings_and_what_a_periodic_box_admits():
    """u_t = (u^2 u_x)_x (Ovsiannikov, k = 2): translations, x d/dx + u d/du, 2t d/dt - u d/du;
    on a periodic box the space scaling only for eps = -log k, the time scaling for every eps
    with a stretched window, and the reflections x -> -x, u -> -u."""
    p = problem_1d("nlheat_u2", "u_t = (u**2*u_x)_x", length=1)
    report = admissible(p)
    by = {e.name: e for e in report}
    assert _images(by["v3"]) == {"x": "x*exp(eps_3)", "u": "u*exp(eps_3)"}
    assert isinstance(by["v3"].status, AdmissibleFor)
    assert sp.simplify(by["v3"].status.lattice + sp.log(sp.Symbol("k", integer=True, positive=True))) == 0
    assert "multiplies the wavenumbers" in " ".join(by["v3"].effects)
    assert _images(by["v4"]) == {"t": "t*exp(2*eps_4)", "u": "u*exp(-eps_4)"}
    assert isinstance(by["v4"].status, Admissible) and "stretches the time window" in by["v4"].effects[0]
    odd = [e for e in report if e.name.startswith("d")]
    assert {g.label for g in (e.transformation for e in odd)} == {"u -> -u", "x -> -x", "(x, u) -> (-x, -u)"}
    assert all(isinstance(e.status, Admissible) for e in odd)


def test_potential_burgers_projective_flow_maps_a_cole_hopf_solution_to_a_solution():
    """u_t = u_xx + u_x^2: exp(eps v), v = 4tx d/dx + 4t^2 d/dt - (x^2 + 2t) d/du, is
    x/(1 - 4 eps t), t/(1 - 4 eps t), u - eps x^2/(1 - 4 eps t) + log(1 - 4 eps t)/2, and it maps
    u = log(2 + exp(-t) sin x) (Cole-Hopf of a heat solution) to a solution; a periodic box
    admits neither it nor the boost 2t d/dx - x d/du."""
    p = problem_1d("potential_burgers_periodic", "u_t = u_xx + u_x**2", length="2*pi")
    report = admissible(p)
    proj = next(e for e in report if e.transformation is not None and e.transformation.images[t] != t
                and e.transformation.images[x].has(t))
    g = proj.transformation
    (eps,) = g.parameters
    want = u - eps * x**2 / (1 - 4 * eps * t) + sp.log(1 - 4 * eps * t) / 2
    assert sp.simplify(g.images[u] - want) == 0 and sp.simplify(g.images[t] - t / (1 - 4 * eps * t)) == 0
    moved = act(g, sp.log(2 + sp.exp(-t) * sp.sin(x)))
    residual = sp.diff(moved, t) - sp.diff(moved, x, 2) - sp.diff(moved, x) ** 2
    assert sp.simplify(residual) == 0
    assert isinstance(proj.status, NotAdmissible)
    boost = next(e for e in report if e.transformation is not None and e.transformation.images[x] == x + 2 * e.transformation.parameters[0] * t)
    assert isinstance(boost.status, NotAdmissible) and "not periodic" in boost.reasons[0]
    shift = next(e for e in report if _images(e) == {"u": f"{e.transformation.parameters[0]} + u"})
    assert isinstance(shift.status, Admissible) and "mean" in shift.effects[0]


def test_fisher_kpp_has_no_scaling():
    p = problem_1d("fisher_periodic", "u_t = u_xx + u*(1 - u)", length=4)
    report = admissible(p)
    assert [e.name for e in report] == ["v1", "v2", "d1"]
    assert _images(report["v1"]) == {"x": "eps_1 + x"} and isinstance(report["v2"].status, Semigroup)
    assert report["d1"].transformation.label == "x -> -x"
    assert [o.name for o in default_orbits(p)] == ["translation"]


# -- parameters whose names clash with group parameters ---------------------------------------------
def test_amplitude_scaling_is_not_the_pde_parameter_c():
    """u -> c u for heat u_t = c u_xx with c = 1/10: the amplitude's parameter is not the PDE's c
    (which used to be substituted by 1/10... or 1: the identity, 'the solution is invariant')."""
    p = problem_1d("heat_c", "u_t = c*u_xx", parameters={"c": "1/10"}, initial={"u": "sin(pi*x)"})
    amp = admissible(p)["amplitude"]
    (lam,) = amp.transformation.parameters
    assert lam.name != "c" and not amp.transformation.is_identity()
    assert isinstance(amp.status, Admissible) and "changes the initial condition" in amp.effects[0]
    c = sp.Symbol("c")
    with pytest.raises(ValueError, match="also a parameter of problem"):
        admits(p, FiniteTransformation({u: c * u}, p.pde.jet, (c,)))


def test_orbits_on_a_problem_with_a_parameter_named_eps():
    """heat u_t = eps u_xx: the shift u -> u + 0.3 moves u by 0.3, not by the diffusivity."""
    p = problem_1d("heat_eps", "u_t = eps*u_xx", parameters={"eps": "1/100"})
    (orbit, action, _), = orbit_actions(p, [Shift(range=(0.3, 0.3))])
    assert orbit.transformation(p).parameters[0].name != "eps"
    _, moved = action(jnp.asarray([0.3]), jnp.asarray([[0.5, 0.0]]), jnp.asarray([[1.0]]))
    np.testing.assert_allclose(np.asarray(moved), [[1.3]], rtol=1e-6)
    ft = FiniteTransformation({u: u + sp.Symbol("eps")}, p.pde.jet, ("eps",))
    with pytest.raises(ValueError, match="group parameter"):
        lower_transformation(ft, values={"eps": "1/100"})


# -- hand-given orbits -------------------------------------------------------------------------------------
def test_unknown_orbit_is_named():
    with pytest.raises(ValueError, match="unknown orbit 'rotation'; known: boost"):
        orbit_from_json("rotation")
    with pytest.raises(ValueError, match="unknown orbit 'rotation'"):
        Augment(orbits=("translation", "rotation"))


def test_orbits_the_problem_does_not_admit_are_refused():
    """A symmetry of the PDE is not enough: time reversal on KdV (it keeps t0 = 0 but runs the
    window backwards), and on a Dirichlet box a shift, a translation and x -> -x."""
    kdv = problem_1d("kdv_periodic", "u_t + 6*u*u_x + u_xxx = 0", length=4)
    with pytest.raises(ValueError, match="reverses time"):
        orbit_actions(kdv, [Reflection({"x": "-x", "t": "-t"})])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        box = problem_1d("heat_box_family", "u_t = u_xx", length=1, boundary=Dirichlet({"u": 0}))
    for orbit, why in ((Shift(range=(0.2, 0.4)), "Dirichlet data"), (Translation(range=(0, 0.5)), "off the box"),
                       (Reflection({"x": "-x"}), "off the box")):
        with pytest.raises(ValueError, match=why):
            orbit_actions(box, [orbit])
    (_, _, rng), = orbit_actions(box, [Scaling()])  # u -> lambda u keeps zero data
    assert rng == (0.5, 3.0)
    assert [o.name for o in default_orbits(box)] == ["scaling"]


def test_default_orbits_follow_the_algebra():
    """KdV's boost has speed 6 (x -> x + 6 eps t), potential Burgers admits u -> u + eps without
    being linear, and periodic advection (an infinite-dimensional algebra) its translations."""
    kdv = problem_1d("kdv_periodic", "u_t + 6*u*u_x + u_xxx = 0", length=4)
    assert [o.name for o in default_orbits(kdv)] == ["translation", "boost"]
    g = Boost().transformation(kdv)
    assert sp.simplify(g.images[x] - x - 6 * g.parameters[0] * t) == 0 and g.is_symmetry(kdv.pde_values())
    pburg = problem_1d("potential_burgers_periodic", "u_t = u_xx + u_x**2", length="2*pi")
    assert [o.name for o in default_orbits(pburg)] == ["translation", "shift"]
    advection = problem_1d("advection_periodic", "u_t + c*u_x = 0", parameters={"c": 1})
    assert [o.name for o in default_orbits(advection)] == ["translation"]


def test_translations_of_an_infinite_dimensional_algebra():
    """The wave equation's and advection's translations live in their infinite families (the
    finite basis has only u d/du or nothing); the report still decides them."""
    wave = problem_1d("wave_periodic", "u_tt = c**2*u_xx", parameters={"c": 1}, initial={"u": "sin(pi*x)"})
    by = {e.name: e for e in admissible(wave)}
    assert isinstance(by["x-translation"].status, Admissible)
    assert isinstance(by["t-translation"].status, Semigroup)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        inflow = problem_1d("advection_inflow", "u_t + c*u_x = 0", length=1, parameters={"c": 1},
                          boundary=Dirichlet({"u": 0}), initial={"u": "sin(pi*x)"})
    by = {e.name: e for e in admissible(inflow)}
    assert isinstance(by["x-translation"].status, NotAdmissible) and "off the box" in by["x-translation"].reasons[0]


def test_cli_symmetries_of_a_file_problem_without_flags(capsys, tmp_path):
    f = tmp_path / "wave.py"
    f.write_text("from liepinn import PDE\nfrom liepinn.problems import Problem, Periodic\n"
                 "wave = Problem(name='wave_file', pde=PDE.from_text('u_tt = u_xx', independent='x,t', "
                 "dependent='u'),\n    domain={'x': (0, 2), 't': (0, 1)}, initial={'u': 'sin(pi*x)'}, "
                 "boundary=Periodic())\n")
    rc = main(["symmetries", f"{f}:wave", "--no-degeneracy"])
    out, err = capsys.readouterr()
    assert rc == 0, err
    assert "u_tt" in out and "Infinite family" in out


# -- training ------------------------------------------------------------------------------------------
def _spec(name, variant):
    from liepinn.runs import Recipe, RunSpec

    recipe = Recipe(width=8, depth=1, n_collocation=32, steps=2, second_phase=None, log_every=1)
    return RunSpec(problem=name, recipe=recipe, loss=variant, constraints="soft", n_initial=16, n_boundary=0,
                   n_ics=2, n_test_ics=1, eval_nx=16, eval_nt=4)


def test_kdv_boost_moves_an_ic_by_eps():
    """(g.u0)(x) = u0(x) + eps for KdV's boost x -> x + 6 eps t, u -> u + eps at t0 = 0."""
    from liepinn.runs._assemble import TRAIN_IC_KEY, ic_family
    from liepinn.runs._group import moved_values

    kdv = problem_1d("kdv_periodic", "u_t + 6*u*u_x + u_xxx = 0", length=4)
    (_, action, _), = orbit_actions(kdv, [Boost(range=(0.5, 0.5))])
    fam, coefs = ic_family(kdv, 1, TRAIN_IC_KEY)
    xs = np.linspace(0, 4, 9)
    u0 = lambda y: fam.evaluate(coefs, y)[0]  # noqa: E731
    np.testing.assert_allclose(moved_values(kdv, action, 0.5, u0, xs), u0(xs) + 0.5, atol=1e-12)


def _advection():
    adv = problem_1d("advection_periodic_train", "u_t + c*u_x = 0", parameters={"c": 1})
    register_problem(adv)
    return adv


def test_translations_of_advection_are_the_group_arms_orbit_and_move_its_ics():
    """Advection's translations (from its infinite family) are the default orbit of the group
    arms, over the full period, and move an IC of the family exactly: (g.u0)(x) = u0(x - eps).
    (Assembly, data and loss of both arms on advection: the slow test below; the same path on
    heat_sines in the default suite: tests/test_group_training.py.)"""
    from liepinn.runs._assemble import TRAIN_IC_KEY, ic_family
    from liepinn.runs._group import moved_values

    adv = _advection()
    (orbit, action, rng), = Equivariant().actions(adv)
    assert orbit == Translation("x") and rng == (0.0, 2.0)
    fam, coefs = ic_family(adv, 1, TRAIN_IC_KEY)
    xs = np.linspace(0, 2, 9)
    u0 = lambda y: fam.evaluate(coefs, y)[0]  # noqa: E731
    np.testing.assert_allclose(moved_values(adv, action, 0.5, u0, xs), u0(xs - 0.5), atol=1e-12)


# ~15 s at load 5 (two assemblies, a compiled gradient); the same path in the default suite: the test
# above (advection's orbit and its action) and tests/test_group_training.py (assembly, loss, heat_sines)
@pytest.mark.slow
def test_augment_and_equivariant_on_periodic_advection():
    """Advection's translations (from its infinite family) drive both variants: Augment doubles
    the ICs with translated copies, the Equivariant loss has finite values and gradients."""
    from liepinn.runs._assemble import assemble

    adv = _advection()
    asm = assemble(adv, _spec(adv.name, Augment(orbits=(Translation(range=(0.5, 0.5)),))))
    branch, sensors = np.asarray(asm.data["branch"]), np.linspace(0, 2, asm.data["branch"].shape[1], endpoint=False)
    assert branch.shape[0] == 4
    np.testing.assert_allclose(branch[2:], np.roll(branch[:2], round(0.5 / (sensors[1] - sensors[0])), axis=1),
                               atol=1e-5)
    asm = assemble(adv, _spec(adv.name, Equivariant()))
    model = asm.make_model(jax.random.PRNGKey(0))
    batch = {k: (d.init(0) if k == "interior" else d) for k, d in asm.data.items()}
    (total, terms), grads = eqx.filter_jit(eqx.filter_value_and_grad(asm.loss_fn, has_aux=True))(model, batch)
    assert np.isfinite(float(total)) and float(terms["equivariant"]) > 0
    assert all(bool(jnp.all(jnp.isfinite(g))) for g in jax.tree_util.tree_leaves(grads) if hasattr(g, "dtype"))


def test_augment_needs_a_family_and_an_admitted_orbit():
    from liepinn.runs._assemble import assemble

    single = problem_1d("heat_single_ic", "u_t = u_xx", initial={"u": "sin(pi*x)"})
    register_problem(single)
    with pytest.raises(ValueError, match="family of initial conditions"):
        assemble(single, _spec(single.name, Augment()))
    fisher = problem_1d("fisher_box_family", "u_t = u_xx + u*(1 - u)", length=1, boundary=Dirichlet({"u": 0}))
    register_problem(fisher)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the sines do not vanish on the box: IncompatibleDataWarning
        with pytest.raises(ValueError, match="admits none of the default orbits"):
            assemble(fisher, _spec(fisher.name, Augment()))


def test_discrete_symmetries_of_nls_as_two_real_fields():
    """i psi_t + psi_xx + 2|psi|^2 psi = 0, psi = a + i b: x -> -x, the quarter phase turns,
    and time reversal with complex conjugation (t, b) -> (-t, -b)."""
    pde = PDE.from_text(["a_t + b_xx + 2*(a**2 + b**2)*b = 0", "b_t - a_xx - 2*(a**2 + b**2)*a = 0"],
                        independent="x,t", dependent="a,b")
    labels = {g.label for g in discrete_symmetries(pde)}
    assert {"x -> -x", "(a, b) -> (-b, a)", "(t, b) -> (-t, -b)"} <= labels
    assert "t -> -t" not in labels and "(a, b) -> (b, a)" not in labels


def test_what_moves_do_to_a_2d_family_of_plane_waves():
    """SineSeriesND on the periodic square [0, 2)^2: translations and the exchange x <-> y keep
    the family, x -> x/2 doubles the wavevectors, u -> u + eps moves the mean."""
    from liepinn.problems import SineSeriesND

    y = sp.Symbol("y")
    p = Problem(name="heat2d_periodic_family", pde=PDE.from_text("u_t = u_xx + u_yy", independent="x,y,t", dependent="u"),
                domain={"x": (0, 2), "y": (0, 2), "t": (0, 1)}, initial=None,
                initial_family=SineSeriesND(lengths=(2, 2)), boundary=Periodic())
    jet, e = p.pde.jet, sp.Symbol("e")

    def family(images, parameters=()):
        entry = admits(p, FiniteTransformation(images, jet, parameters))
        return next(f for f in entry.effects if f.startswith("initial condition family"))

    assert "stays in the family (shifted phases)" in family({x: x + e}, (e,))
    assert "stays in the family" in family({x: y, y: x}) and "stays in the family" in family({x: -y, y: x, u: -u})
    assert "maps the wavevectors l to [[2, 0], [0, 2]] l" in family({x: x / 2, y: y / 2})
    assert "moves the zero-mean family to mean e" in family({u: u + e}, (e,))


@pytest.mark.parametrize("lengths, turns", [((2, 2), [0, sp.pi / 2, sp.pi, 3 * sp.pi / 2]), ((2, 4), [0, sp.pi])])
def test_rotations_of_a_periodic_box(lengths, turns):
    """A rotation maps the period lattice of a square torus to itself by quarter turns, of a
    2 x 4 one by half turns only (was: 'eps with D^-1 A^-1 D an integer matrix')."""
    y, e = sp.symbols("y e")
    p = heat_torus(*lengths, name="heat2d_torus", initial="0")
    rotation = {x: x * sp.cos(e) + y * sp.sin(e), y: -x * sp.sin(e) + y * sp.cos(e)}
    entry = admits(p, FiniteTransformation(rotation, p.pde.jet, (e,)))
    assert isinstance(entry.status, AdmissibleFor) and list(entry.status.points) == turns


def test_a_generic_algebra_is_not_used_where_the_parameters_violate_its_assumptions(capsys, tmp_path):
    """u_t + u^n u_x = nu u_xx with n = 1 is Burgers: the generic algebra (n != 1 assumed) has no
    boost, the report at n = 1 has it, and `liepinn symmetries FILE --transformations` says so."""
    from liepinn import symmetries
    from liepinn.problems._admits import violated_assumptions

    p = problem_1d("generalised_burgers_n1", "u_t + u**n*u_x = nu*u_xx", parameters={"n": 1, "nu": "1/10"})
    generic = symmetries(p.pde)
    assert [str(a) for a in violated_assumptions(generic, p)] == ["Ne(n - 1, 0)"]
    report = admissible(p, generic)
    boost = [e for e in report if e.transformation is not None and _images(e) == {"x": "eps_3*t + x", "u": "eps_3 + u"}]
    assert len(boost) == 1 and isinstance(boost[0].status, Admissible)
    f = tmp_path / "gburgers.py"
    f.write_text("from liepinn import PDE\nfrom liepinn.problems import Problem, Periodic, SineSeries\n"
                 "problem = Problem(name='gb', pde=PDE.from_text('u_t + u**n*u_x = nu*u_xx', independent='x,t', "
                 "dependent='u', parameters={'n': None, 'nu': None}),\n    domain={'x': (0, 2), 't': (0, 1)}, "
                 "initial=None, initial_family=SineSeries(length=2), boundary=Periodic(), "
                 "parameters={'n': 1, 'nu': '1/10'})\n")
    assert main(["symmetries", str(f), "--transformations", "--json", "--no-degeneracy"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert "Ne(n - 1, 0)" in out["note"] and len(out["transformations"]) == 5


def test_default_orbits_translate_every_periodic_direction():
    """Fisher-KPP on the periodic square: translations in x and in y (was: x only)."""
    from liepinn.problems import SineSeriesND

    p = Problem(name="fisher2d_torus", pde=PDE.from_text("u_t = u_xx + u_yy + u*(1 - u)", independent="x,y,t",
                                                         dependent="u"),
                domain={"x": (0, 2), "y": (0, 2), "t": (0, 1)}, initial=None,
                initial_family=SineSeriesND(lengths=(2, 2)), boundary=Periodic())
    assert [o.label for o in default_orbits(p)] == ["x -> x + eps", "y -> y + eps"]
