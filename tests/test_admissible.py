"""What a problem admits: statuses decided from the images (not the generators' names), the
reasons and effects, the report's JSON and text, and `liepinn symmetries --transformations`."""

import json

import pytest
import sympy as sp

from helpers import heat_torus, problem_1d
from liepinn import PDE
from liepinn.cli import main
from liepinn.problems import (
    Admissible,
    AdmissibleFor,
    Dirichlet,
    Neumann,
    NotAdmissible,
    Problem,
    Semigroup,
    admissible,
    admits,
    load_problem,
)
from liepinn.symmetry import FiniteTransformation, discrete_symmetries

x, y, t, u, e = sp.symbols("x y t u e")


def _find(report, **images):
    """The entry whose transformation moves exactly the given variables as given (eps -> e)."""
    want = {sp.Symbol(k): sp.sympify(v) for k, v in images.items()}
    for entry in report:
        g = entry.transformation
        if g is None:
            continue
        images = {z: im.xreplace({g.parameters[0]: e}) if g.parameters else im for z, im in g.images.items()}
        moved = {z: im for z, im in images.items() if im != z}
        if set(moved) == set(want) and all(sp.simplify(moved[z] - want[z]) == 0 for z in want):
            return entry
    raise AssertionError(f"no entry {images} in\n{report}")


@pytest.fixture(scope="module")
def burgers_sines():
    return admissible(load_problem("burgers_sines"))


@pytest.fixture(scope="module")
def heat_sines():
    return admissible(load_problem("heat_sines"))


def test_burgers_sines(burgers_sines):
    r = burgers_sines
    shift = _find(r, x="x + e")
    assert isinstance(shift.status, Admissible) and "stays in the family" in " ".join(shift.effects)
    assert isinstance(_find(r, t="t + e").status, Semigroup)
    boost = _find(r, x="x + e*t", u="u + e")
    assert isinstance(boost.status, Admissible)
    assert any("moves the zero-mean family to mean" in f for f in boost.effects)
    scaling = _find(r, x="x*exp(e)", t="t*exp(2*e)", u="u*exp(-e)")
    assert isinstance(scaling.status, AdmissibleFor) and "-log(k)" in scaling.status.values
    k = sp.Symbol("k", integer=True, positive=True)
    assert scaling.status.lattice == -sp.log(k) and scaling.status.points == ()
    assert any("stretches the time window by a factor exp(2*eps" in f for f in scaling.effects)
    assert any("scales the amplitudes by k; multiplies the wavenumbers [1, 2, 3] by k" in f for f in scaling.effects)
    projective = _find(r, x="x/(1 - e*t)", t="t/(1 - e*t)", u="u + e*(x - t*u)")
    assert isinstance(projective.status, NotAdmissible) and projective.reasons
    odd = _find(r, x="-x", u="-u")
    assert isinstance(odd.status, Admissible) and odd.transformation.parameters == ()
    assert "stays in the family" in odd.effects[-1]
    assert not any(en.name in ("superposition", "amplitude") for en in r)  # Burgers is nonlinear


def test_heat_sines(heat_sines):
    r = heat_sines
    assert isinstance(_find(r, x="x + e").status, Admissible)
    assert isinstance(_find(r, t="t + e").status, Semigroup)
    assert isinstance(_find(r, x="x*exp(e)", t="t*exp(2*e)").status, AdmissibleFor)
    boost = _find(r, x="x + e*t", u="u*exp(-25*e*(e*t + 2*x))")
    assert isinstance(boost.status, NotAdmissible) and "not periodic in x" in boost.reasons[0]
    amp = _find(r, u="u*exp(e)")
    assert isinstance(amp.status, Admissible) and "scales the amplitudes" in amp.effects[-1]
    for images in ({"x": "-x"}, {"u": "-u"}, {"x": "-x", "u": "-u"}):
        assert isinstance(_find(r, **images).status, Admissible)
    assert isinstance(r["superposition"].status, Admissible)
    assert isinstance(r["amplitude"].status, Admissible) and r["amplitude"].parameter == "c"


def test_report_json_and_text(burgers_sines):
    d = json.loads(json.dumps(burgers_sines.to_dict()))
    assert d["problem"] == "burgers_sines" and len(d["entries"]) == len(burgers_sines)
    kinds = {en["name"]: en["status"]["kind"] for en in d["entries"]}
    assert kinds == {"v1": "every", "v2": "semigroup", "v3": "every", "v4": "discrete", "v5": "none", "d1": "every"}
    text = str(burgers_sines)
    assert text.startswith("What burgers_sines admits") and "only the identity (not admissible)" in text


def test_raissi_burgers_odd_symmetry_keeps_the_solution():
    r = admissible(load_problem("burgers"))
    odd = _find(r, x="-x", u="-u")
    assert isinstance(odd.status, Admissible)
    assert any("the solution is invariant" in f for f in odd.effects)
    for images in ({"x": "x + e"}, {"x": "x + e*t", "u": "u + e"}):
        entry = _find(r, **images)
        assert isinstance(entry.status, NotAdmissible)
        assert any("the domain leaves the box" in why for why in entry.reasons)
    assert isinstance(_find(r, t="t + e").status, Semigroup)


def test_heat2d_exchange_and_faces():
    r = admissible(load_problem("heat2d"))
    swap = _find(r, x="y", y="x")
    assert isinstance(swap.status, Admissible) and any("invariant" in f for f in swap.effects)
    assert isinstance(_find(r, x="-x").status, NotAdmissible)
    assert isinstance(_find(r, x="x*exp(e)", y="y*exp(e)", t="t*exp(2*e)").status, NotAdmissible)
    assert isinstance(r["amplitude"].status, Admissible)
    assert "beta = 0 on the boundary" in r["superposition"].effects[0]


# -- problems in no pdes/ file ------------------------------------------------------------------
HEAT = PDE.from_text("u_t = u_xx + u_yy", independent="x,y,t", dependent="u")


def test_exchange_on_a_torus_needs_equal_periods():
    swap = FiniteTransformation({x: y, y: x}, HEAT.jet)
    assert isinstance(admits(heat_torus(1, 1), swap).status, Admissible)
    refused = admits(heat_torus(1, 2), swap)
    assert isinstance(refused.status, NotAdmissible) and "periods" in refused.reasons[0]
    # (admits takes g as a symmetry of the PDE; here only the period lattice is at stake)
    double = FiniteTransformation({x: 2 * x}, HEAT.jet)  # the image of a 1-periodic function is 2-periodic
    assert isinstance(admits(heat_torus(1, 1), double).status, NotAdmissible)
    half = FiniteTransformation({x: x / 2}, HEAT.jet)  # ... and here 1/2-periodic, hence 1-periodic
    assert isinstance(admits(heat_torus(1, 1), half).status, Admissible)


def test_advection_diffusion_on_a_periodic_box():
    p = problem_1d("advection_diffusion", "u_t + a*u_x = k*u_xx", lo=-1, parameters={"a": 1, "k": "1/10"})
    pde = p.pde
    shift = admits(p, FiniteTransformation({x: x + e}, pde.jet, (e,)))
    assert isinstance(shift.status, Admissible) and "stays in the family" in shift.effects[-1]
    # the Galilean-type map of u_t + u_x = u_xx/10 multiplies u by a factor that is not periodic
    boost = admits(p, FiniteTransformation({x: x + e * t / 5, u: u * sp.exp(e * (t - x - e * t / 10))}, pde.jet, (e,)))
    assert isinstance(boost.status, NotAdmissible) and "not periodic in x" in boost.reasons[0]
    # parameters are fixed: x -> -x is a symmetry only for a = 0
    assert [g.label for g in discrete_symmetries(p.pde_values())] == ["u -> -u"]


def test_neumann_and_inhomogeneous_dirichlet():
    pde = PDE.from_text("u_t = u_xx", independent="x,t", dependent="u")
    neumann = Problem(name="heat_neumann", pde=pde, domain={"x": (-1, 1), "t": (0, 1)},
                      initial={"u": "cos(pi*x)"}, boundary=Neumann({"u": 0}))
    refl = admits(neumann, FiniteTransformation({x: -x}, pde.jet))
    assert isinstance(refl.status, Admissible) and "invariant" in refl.effects[-1]
    flux = neumann.replace(name="heat_flux", boundary=Neumann({"u": 1}), initial={"u": "x"})
    assert isinstance(admits(flux, FiniteTransformation({x: -x}, pde.jet)).status, NotAdmissible)
    assert isinstance(admits(flux, FiniteTransformation({x: -x, u: -u}, pde.jet)).status, Admissible)
    hot = Problem(name="heat_hot", pde=pde, domain={"x": (0, 1), "t": (0, 1)}, initial={"u": 1},
                  boundary=Dirichlet({"u": 1}))
    c = sp.Symbol("c")
    amplitude = admits(hot, FiniteTransformation({u: c * u}, pde.jet, (c,)))
    assert isinstance(amplitude.status, NotAdmissible) and "Dirichlet data" in amplitude.reasons[0]
    backwards = admits(hot, FiniteTransformation({t: -t}, pde.jet))
    assert isinstance(backwards.status, NotAdmissible) and "reverses time" in backwards.reasons[0]


def test_bad_input():
    p = load_problem("burgers")
    with pytest.raises(TypeError, match="FiniteTransformation"):
        admits(p, "x -> -x")
    with pytest.raises(TypeError, match="Problem"):
        admissible("burgers")
    other = PDE.from_text("v_t = v_xx", independent="x,t", dependent="v")
    with pytest.raises(ValueError, match="acts on"):
        admits(p, FiniteTransformation({sp.Symbol("v"): -sp.Symbol("v")}, other.jet))
    two = FiniteTransformation({x: x + e + sp.Symbol("f")}, p.pde.jet, (e, "f"))
    with pytest.raises(ValueError, match="one group parameter"):
        admits(p, two)


# -- the command line ----------------------------------------------------------------------------
def _cli(capsys, *argv):
    rc = main(["symmetries", *argv])
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_cli_burgers_sines(capsys):
    rc, out, err = _cli(capsys, "burgers_sines", "--transformations")
    assert rc == 0, err
    assert "Finite transformations exp(eps_k v_k):" in out and "Discrete symmetries:\n  (x, u) -> (-x, -u)" in out
    assert "What burgers_sines admits" in out
    assert "moves the zero-mean family to mean eps_3" in out
    assert "only eps_4 = -log(k), k = 1, 2, 3, ..." in out and "stretches the time window" in out
    rc, out, err = _cli(capsys, "burgers_sines", "--transformations", "--json")
    d = json.loads(out)
    assert [g["label"] for g in d["transformations"]] == [f"exp(eps_{k} v{k})" for k in range(1, 6)]
    assert d["discrete"][0]["images"] == {"x": "-x", "t": "t", "u": "-u"}
    kinds = {en["name"]: en["status"]["kind"] for en in d["admissibility"]["entries"]}
    assert kinds == {"v1": "every", "v2": "semigroup", "v3": "every", "v4": "discrete", "v5": "none", "d1": "every"}


def test_cli_heat_sines_json(capsys):
    rc, out, err = _cli(capsys, "heat_sines", "--transformations", "--json")
    assert rc == 0, err
    entries = {en["name"]: en for en in json.loads(out)["admissibility"]["entries"]}
    assert {k: v["status"]["kind"] for k, v in entries.items()} == {
        "v1": "every", "v2": "semigroup", "v3": "discrete", "v4": "none", "v5": "every", "v6": "none",
        "d1": "every", "d2": "every", "d3": "every", "superposition": "every", "amplitude": "every"}
    assert entries["v5"]["transformation"]["images"]["u"] == "u*exp(eps_5)"
    assert any("scales the amplitudes" in f for f in entries["amplitude"]["effects"])


def test_cli_discrete_and_errors(capsys, tmp_path):
    rc, out, err = _cli(capsys, "--pde", "u_t + 6*u*u_x + u_xxx = 0", "--indep", "x,t", "--dep", "u", "--discrete")
    assert rc == 0 and "Discrete symmetries:\n  (x, t) -> (-x, -t)" in out and "admits" not in out
    rc, out, err = _cli(capsys, "nosuch.py", "--transformations")
    assert rc == 2 and err.count("\n") == 1 and "not found" in err
    rc, out, err = _cli(capsys, "burgers", "--transformations", "--classify", "nu")
    assert rc == 2 and "--classify" in err


def test_cli_file_problem(capsys, tmp_path):
    f = tmp_path / "odd.py"
    f.write_text(
        "from liepinn import PDE\nfrom liepinn.problems import Problem, Dirichlet\n"
        "problem = Problem(name='odd_heat', pde=PDE.from_text('u_t = u_xx', independent='x,t', dependent='u'),\n"
        "    domain={'x': (-1, 1), 't': (0, 1)}, initial={'u': 'sin(pi*x)'}, boundary=Dirichlet({'u': 0}))\n")
    rc, out, err = _cli(capsys, f"{f}:problem", "--transformations", "--json")
    assert rc == 0, err
    entries = json.loads(out)["admissibility"]["entries"]
    odd = next(en for en in entries if en["transformation"]["images"] == {"x": "-x", "t": "t", "u": "-u"})
    assert odd["status"]["kind"] == "every" and "invariant" in " ".join(odd["effects"])


def test_time_dependent_data_and_mixing_time_with_space():
    pde = PDE.from_text("u_tt = u_xx", independent="x,t", dependent="u")
    wave = Problem(name="wave_ramp", pde=pde, domain={"x": (0, 1), "t": (0, 1)}, initial={"u": 0},
                   boundary=Dirichlet({"u": "t"}))
    shift = admits(wave, FiniteTransformation({t: t + e}, pde.jet, (e,)))
    assert isinstance(shift.status, NotAdmissible) and "Dirichlet data" in shift.reasons[0]
    swap = admits(wave, FiniteTransformation({x: t, t: x}, pde.jet))
    assert isinstance(swap.status, NotAdmissible) and "mixes time with x" in swap.reasons[0]


def test_rotations_of_a_centred_square_by_quarter_turns():
    square = Problem(name="square", pde=HEAT, domain={"x": (-1, 1), "y": (-1, 1), "t": (0, 1)},
                     initial={"u": "cos(pi*x/2)*cos(pi*y/2)"}, boundary=Dirichlet({"u": 0}))
    turn = admits(square, FiniteTransformation({x: x * sp.cos(e) + y * sp.sin(e), y: -x * sp.sin(e) + y * sp.cos(e)},
                                               HEAT.jet, (e,)))
    assert isinstance(turn.status, AdmissibleFor)
    assert all(v in turn.status.values for v in ("pi/2", "pi", "3*pi/2"))
    assert "at e = pi/2: maps the initial condition to itself: the solution is invariant" in turn.effects
    assert sp.pi / 2 in turn.status.points and turn.status.lattice is None


def test_nls_boost_needs_phases_that_fit_the_period():
    from liepinn.symmetry import Generator, one_parameter_subgroup

    p = load_problem("nls")
    v = sp.Symbol("v")
    boost = Generator({x: t}, {u: -x * v, v: x * u}, p.pde.jet)  # alpha = 1/2
    entry = admits(p, one_parameter_subgroup(boost, e))
    assert isinstance(entry.status, AdmissibleFor) and "pi*k/5" in entry.status.values  # e L = 2 pi k, L = 10
