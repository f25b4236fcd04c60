"""Reference solutions: exact solutions, an independent Cole-Hopf Burgers solution, convergence,
files, errors; slow tests against the PINN data files (tests/data, ../shared/reference)."""

import hashlib
import json
import math
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from liepinn import PDE, PDEInputError, load_entry
from liepinn.problems import AbstractBoundary, Dirichlet, Neumann, Periodic, Problem
from liepinn.reference import Chebyshev, Fourier, Reference, load_mat, output_grid, solve_reference

DATA = Path(__file__).parent / "data"
# sha256 table of ../shared/reference/README.md (the files are copied byte for byte)
SHA256 = {
    "burgers_shock.mat": "f4d11e6798b8d29b6829984952b04adcc470d9bf70dd7e56c7985cd8e316c4bf",
    "KdV.mat": "7c04e89a0c65692105dbe7fc8ba52cb90ce01a64e47e995a5736fbf1c06be220",
    "NLS.mat": "1558a845646b84747a961a467b3ee10aa4ff3812c8b23c425b85c75ed1127c81",
    "AC.mat": "266e97eedd9ef543d7f6d370fa5f06388761aa7da2b97e476562dcf1d644a175",
}
x, t = sp.symbols("x t")


def cole_hopf(xs, ts, nu, n=400):
    r"""Burgers u_t + u u_x = nu u_xx, u(x, 0) = -sin(pi x), by the Cole-Hopf formula
    u = -\int sin(pi(x - y)) f(x - y) G dy / \int f(x - y) G dy, f = exp(-cos(pi y)/(2 pi nu)),
    G the heat kernel; Gauss-Hermite quadrature in y = sqrt(4 nu t) z, log-sum-exp scaled."""
    from scipy.special import roots_hermite

    z, w = roots_hermite(n)
    X, T = np.meshgrid(np.asarray(xs, float), np.asarray(ts, float), indexing="ij")
    out = -np.sin(np.pi * X)
    pos = T > 0
    y = X[pos][:, None] - np.sqrt(4 * nu * T[pos])[:, None] * z[None, :]
    e = -np.cos(np.pi * y) / (2 * np.pi * nu)
    e -= e.max(axis=1, keepdims=True)
    f = w[None, :] * np.exp(e)
    out[pos] = -np.sum(np.sin(np.pi * y) * f, axis=1) / np.sum(f, axis=1)
    return out


def burgers(T=0.99):
    p = load_entry("burgers").problem
    return p if T == 0.99 else p.replace(domain={"x": (-1, 1), "t": (0, T)})


def rel(a, b):
    return float(np.linalg.norm(np.asarray(a) - b) / np.linalg.norm(b))


# -- data files ------------------------------------------------------------------------------
def test_data_files_sha256():
    for name, digest in SHA256.items():
        assert hashlib.sha256((DATA / name).read_bytes()).hexdigest() == digest, name
    assert "MIT License" in (DATA / "LICENSE-PINNs-data.txt").read_text()
    readme = Path(__file__).parents[2] / "shared" / "reference" / "README.md"
    if readme.exists():  # the table we copied is the table there
        text = readme.read_text()
        for name, digest in SHA256.items():
            assert f"| {name} |" in text and digest in text


def test_load_mat():
    b = load_mat(DATA / "burgers_shock.mat")
    assert b.names == ("u",) and b["u"].shape == (256, 100)
    np.testing.assert_allclose(b.x, np.linspace(-1, 1, 256))
    np.testing.assert_allclose(b.t, np.linspace(0, 0.99, 100))
    assert b.settings["grid"]["kind"] == "points"
    pts = b.sample(b.x[[0, 17, 255]], b.t[[0, 50, 99]])["u"]  # exact at stored points
    np.testing.assert_array_equal(pts, b["u"][[0, 17, 255], [0, 50, 99]])
    n = load_mat(DATA / "NLS.mat")
    assert n.names == ("u", "v") and n["u"].shape == (256, 201) and n["u"].dtype == np.float64
    np.testing.assert_allclose(n["u"][:, 0], 2 / np.cosh(n.x), atol=1e-12)
    np.testing.assert_allclose(n["v"][:, 0], 0, atol=1e-12)
    assert n.settings["grid"] == {"kind": "fourier", "lo": -5.0, "hi": 5.0, "n": 256, "parity": None}
    k = load_mat(DATA / "KdV.mat")
    # periodic grid: spectral sampling reproduces the stored values and the initial condition
    np.testing.assert_allclose(k.sample(k.x[::7], k.t[3:4], grid=True)["u"][:, 0], k["u"][::7, 3], atol=1e-12)
    xs = np.array([-0.999, -0.3, 0.123, 0.77])
    np.testing.assert_allclose(k.sample(xs, 0.0)["u"], np.cos(np.pi * xs), atol=1e-10)


def test_cole_hopf_is_converged_and_matches_the_file():
    b = load_mat(DATA / "burgers_shock.mat")
    nu = 0.01 / math.pi
    u = cole_hopf(b.x, b.t[::9], nu, n=400)
    assert rel(cole_hopf(b.x, b.t[::9], nu, n=300), u) < 1e-12
    assert rel(u, b["u"][:, ::9]) < 1e-9


# -- exact solutions -------------------------------------------------------------------------
def test_heat_exact(tmp_path):
    import jax

    p = load_entry("heat").problem
    before = jax.config.jax_enable_x64
    ref = solve_reference(p, nx=64, nt=41)
    assert jax.config.jax_enable_x64 == before  # float64 only inside the solve
    X, T = np.meshgrid(ref.x, ref.t, indexing="ij")
    exact = p.exact_values(np.stack([X.ravel(), T.ravel()], 1))[0].reshape(X.shape)
    assert rel(ref["u"], exact) <= 1e-10
    np.testing.assert_allclose(ref.x, -1 + 2 * np.arange(64) / 64)
    s = ref.settings
    assert s["discretisation"]["kind"] == "fourier" and s["discretisation"]["parity"] is None
    assert s["spectral_tail"] < 1e-8 and s["float64"] and "jax" in s["versions"]
    # files: save, load without pickles, sample off the grid (spectral in x, Lagrange in t)
    path = tmp_path / "heat.npz"
    ref.save(path)
    with np.load(path, allow_pickle=False) as f:
        assert {"x", "t", "u", "settings"} <= set(f.files)
        assert json.loads(str(f["settings"][()]))["fields"] == ["u"]
    back = Reference.load(path)
    np.testing.assert_array_equal(back["u"], ref["u"])
    assert back.settings["discretisation"] == s["discretisation"]
    xs, ts = np.array([-0.93, 0.1, 0.5]), np.array([0.0, 0.35, 1.0])
    got = back.sample(xs, ts)["u"]
    want = p.exact_values(np.stack([xs, ts], 1))[0]
    np.testing.assert_allclose(got, want, atol=1e-6)
    np.testing.assert_allclose(back.sample(ref.x, ref.t, grid=True)["u"], ref["u"], atol=1e-12)
    assert back.errors(ref)["u"] < 1e-14


def test_heat_chebyshev_time_dependent_dirichlet_and_neumann():
    pde = PDE.from_text("u_t = mu*u_xx", independent="x,t", dependent="u")
    mu = sp.Rational(1, 10)
    dirichlet = sp.exp(-4 * mu * t) * sp.sin(2 * x) + x / 3 + 1
    neumann = sp.exp(-4 * mu * t) * sp.cos(2 * x) + x**2 + 2 * mu * t
    for kind, u in ((Dirichlet, dirichlet), (Neumann, neumann)):
        data = u if kind is Dirichlet else sp.diff(u, x)
        p = Problem("h", pde, {"x": (0, 1), "t": (0, 1)}, {"u": u.subs(t, 0)}, kind({"u": data}),
                    {"mu": mu}, exact={"u": u})
        ref = solve_reference(p, nx=17, nt=6, resolution=24)
        assert ref.settings["discretisation"]["kind"] == "chebyshev"
        assert ref.settings["solver"] == "Kvaerno5"
        X, T = np.meshgrid(ref.x, ref.t, indexing="ij")
        exact = p.exact_values(np.stack([X.ravel(), T.ravel()], 1))[0].reshape(X.shape)
        assert rel(ref["u"], exact) < 1e-8, kind
        # sampling off the grid: barycentric in x from the solver's Lobatto points
        xs, ts = np.array([0.013, 0.5, 0.77]), np.array([0.0, 0.5, 0.9])
        np.testing.assert_allclose(ref.sample(xs, ts)["u"], p.exact_values(np.stack([xs, ts], 1))[0],
                                   atol=1e-6)


def test_nls_soliton():
    """h = sech(x) exp(i t/2) solves i h_t + h_xx/2 + |h|^2 h = 0 (the NLS system for u, v)."""
    base = load_entry("nls").problem
    exact = {"u": sp.sech(x) * sp.cos(t / 2), "v": sp.sech(x) * sp.sin(t / 2)}
    p = base.replace(domain={"x": (-20, 20), "t": (0, 1)}, initial={"u": sp.sech(x), "v": 0}, exact=exact)
    ref = solve_reference(p, nx=64, nt=5, resolution=256)
    X, T = np.meshgrid(ref.x, ref.t, indexing="ij")
    want = p.exact_values(np.stack([X.ravel(), T.ravel()], 1)).reshape(2, *X.shape)
    assert ref.errors({"u": want[0], "v": want[1]})["all"] < 1e-7


# -- Burgers against Cole-Hopf; convergence ----------------------------------------------------
@pytest.fixture(scope="module")
def short_burgers():
    """Burgers up to t = 0.15 (before the front is steep) at three resolutions."""
    p = burgers(0.15)
    refs = {n: solve_reference(p, nx=64, nt=4, resolution=n) for n in (32, 64, 128)}
    return p, refs, cole_hopf(refs[32].x, refs[32].t, 0.01 / math.pi)


def test_burgers_uses_the_odd_extension(short_burgers):
    _, refs, exact = short_burgers
    d = refs[128].settings["discretisation"]
    assert d["kind"] == "fourier" and d["parity"] == [-1]
    np.testing.assert_allclose(refs[128].x, np.linspace(-1, 1, 64))
    assert rel(refs[128]["u"], exact) < 1e-10


def test_convergence_in_resolution(short_burgers):
    _, refs, exact = short_burgers
    errs = [rel(refs[n]["u"], exact) for n in (32, 64, 128)]
    # spectral: doubling n gains orders of magnitude, until the time-stepping error (rtol 1e-10)
    assert errs[0] > 1000 * errs[1] and errs[1] > errs[2] and errs[2] < 1e-10, errs
    tails = [refs[n].settings["spectral_tail"] for n in (32, 64, 128)]
    assert tails[0] > tails[1] > tails[2]


def test_convergence_in_tolerance(short_burgers):
    p, refs, exact = short_burgers
    loose = solve_reference(p, nx=64, nt=4, resolution=128, rtol=1e-5, atol=1e-5)
    e_loose, e_tight = rel(loose["u"], exact), rel(refs[128]["u"], exact)
    assert e_loose > 100 * e_tight and e_loose < 1e-3, (e_loose, e_tight)
    assert loose.settings["attempts"][-1]["num_steps"] < refs[128].settings["attempts"][-1]["num_steps"]


def test_automatic_resolution(short_burgers):
    p, refs, exact = short_burgers
    ref = solve_reference(p, nx=16, nt=4, resolution_tol=1e-8)
    tried = [a["resolution"] for a in ref.settings["attempts"]]
    assert tried[0] == 64 and all(b == 2 * a for a, b in zip(tried, tried[1:]))
    assert ref.settings["spectral_tail"] <= 1e-8
    assert rel(ref.sample(refs[32].x, ref.t, grid=True)["u"], exact) < 1e-8


@pytest.mark.slow
def test_burgers_chebyshev_agrees_with_fourier(short_burgers):
    p, refs, _ = short_burgers
    cheb = solve_reference(p, nx=64, nt=4, discretisation=Chebyshev(64))
    assert cheb.settings["solver"] == "Kvaerno5"
    assert rel(cheb["u"], refs[128]["u"]) < 1e-6


def test_imex_and_explicit_agree_and_dealias():
    import diffrax as dfx

    p = load_entry("kdv").problem.replace(domain={"x": (-1, 1), "t": (0, 0.2)})
    a = solve_reference(p, nx=32, nt=3, resolution=64, solver=dfx.KenCarp5())
    b = solve_reference(p, nx=32, nt=3, resolution=64, solver=dfx.Tsit5())
    c = solve_reference(p, nx=32, nt=3, discretisation=Fourier(64, dealias=True))
    assert a.settings["imex"] and not b.settings["imex"]
    assert a.errors(b)["u"] < 1e-7
    assert c.settings["discretisation"]["dealias"] and c.errors(a)["u"] < 1e-5


def test_initial_override_and_family():
    p = load_entry("burgers_sines").problem.replace(domain={"x": (0, 2 * sp.pi), "t": (0, sp.Rational(1, 2))})
    with pytest.raises(ValueError, match="initial="):
        solve_reference(p, nx=16, nt=2)
    from liepinn.reference._solve import _RUN_CACHE

    u0, u1 = p.initial_family.sample(0, 2)
    ref = solve_reference(p, nx=32, nt=3, initial={"u": u0}, resolution=64)
    size = len(_RUN_CACHE)
    other = solve_reference(p, nx=32, nt=3, initial=u1, resolution=64)  # compiled once for both
    assert len(_RUN_CACHE) == size
    np.testing.assert_allclose(other["u"][:, 0], sp.lambdify(x, u1, "numpy")(ref.x), atol=1e-13)
    np.testing.assert_allclose(ref["u"][:, 0], sp.lambdify(x, u0, "numpy")(ref.x), atol=1e-13)
    assert ref.settings["problem"]["initial"]["u"] == sp.sstr(u0)
    # mean of u is conserved (periodic conservation law)
    assert abs(ref.fine["u"][:, -1].mean() - ref.fine["u"][:, 0].mean()) < 1e-12


# -- errors ------------------------------------------------------------------------------------
def test_not_in_evolution_form():
    pde = PDE.from_text("u_tt = u_xx", independent="x,t", dependent="u")
    p = Problem("wave", pde, {"x": (0, 1), "t": (0, 1)}, {"u": sp.sin(sp.pi * x)}, Dirichlet())
    with pytest.raises(PDEInputError, match="evolution form"):
        solve_reference(p)


def test_bad_inputs():
    p = burgers(0.15)

    class Robin(AbstractBoundary):
        kind = "robin"

    with pytest.raises(ValueError, match="unknown boundary condition"):
        solve_reference(p.replace(boundary=Robin()))
    with pytest.raises(ValueError, match="too small"):
        solve_reference(p, resolution=9)
    with pytest.raises(ValueError, match="resolution must be an int >= 8"):
        Fourier(4)
    with pytest.raises(ValueError, match="nx must be an int >= 2"):
        solve_reference(p, nx=1)
    with pytest.raises(ValueError, match="t_eval"):
        solve_reference(p, t_eval=[0.0, 5.0])
    with pytest.raises(ValueError, match="Chebyshev collocation needs"):
        solve_reference(load_entry("heat").problem, discretisation=Chebyshev(16))
    # an equation that is not covariant under x -> -x, u -> -u: no odd extension
    pde = PDE.from_text("u_t = u_xx + u_x", independent="x,t", dependent="u")
    q = Problem("adv", pde, {"x": (0, 1), "t": (0, 1)}, {"u": sp.sin(sp.pi * x)}, Dirichlet())
    with pytest.raises(ValueError, match="use Chebyshev"):
        solve_reference(q, discretisation=Fourier(32))
    pde2 = PDE.from_text("u_t = u_xx + u_yy", independent="x,y,t", dependent="u")
    r = Problem("h2", pde2, {"x": (0, 1), "y": (0, 1), "t": (0, 1)}, {"u": sp.sin(sp.pi * x)}, Periodic())
    # several space variables are solved on tensor grids (tests/test_reference2d.py): one
    # output axis per variable
    with pytest.raises(ValueError, match="one axis per space variable"):
        solve_reference(r, x_eval=np.linspace(0, 1, 4))


def test_reflection_check():
    from liepinn.reference._symbolic import reflection_compatible

    jet = load_entry("burgers").pde.jet
    u, ux, uxx, uxxx = sp.symbols("u u_x u_xx u_xxx")
    X = jet.independent[0]
    ok = {sp.Symbol("u"): uxx - u * ux}
    assert reflection_compatible(ok, jet, 0, (-1,), [-1, 1])
    assert not reflection_compatible(ok, jet, 0, (1,), [-1, 1])  # u u_x is odd under x -> -x
    assert not reflection_compatible({sp.Symbol("u"): uxx + ux}, jet, 0, (-1,), [0, 1])
    assert not reflection_compatible({sp.Symbol("u"): uxx + u**2}, jet, 0, (-1,), [0, 1])
    assert reflection_compatible({sp.Symbol("u"): uxx + u**2}, jet, 0, (1,), [0, 1])
    assert not reflection_compatible({sp.Symbol("u"): uxxx}, jet, 0, (-1,), [0, 1])
    # explicit x: x^2 is even about 0 but not about 1
    assert not reflection_compatible({sp.Symbol("u"): uxx + X**2 * u}, jet, 0, (-1,), [0, 1])


def test_output_grids():
    np.testing.assert_allclose(output_grid(load_entry("kdv").problem, 512), -1 + 2 * np.arange(512) / 512)
    np.testing.assert_allclose(output_grid(load_entry("nls").problem, 256), -5 + 10 * np.arange(256) / 256)
    np.testing.assert_allclose(output_grid(burgers(), 256), np.linspace(-1, 1, 256))


# -- command line ----------------------------------------------------------------------------
def test_cli(tmp_path, capsys):
    from liepinn.cli import main

    out = tmp_path / "h.npz"
    assert main(["reference", "heat", "--nx", "32", "--nt", "5", "--out", str(out)]) == 0
    ref = Reference.load(out)
    assert ref["u"].shape == (32, 5) and ref.settings["rtol"] == 1e-10
    assert "heat: fourier" in capsys.readouterr().out
    assert main(["reference", "nosuchproblem", "--out", str(out)]) == 2
    assert "unknown problem" in capsys.readouterr().err
    assert main(["reference", "heat", "--nx", "1", "--out", str(out)]) == 2
    assert "at least 2" in capsys.readouterr().err
    assert main(["reference", "heat", "--resolution", "4", "--out", str(out)]) == 2
    assert "resolution" in capsys.readouterr().err
    assert main(["reference", "heat_sines", "--out", str(out)]) == 2
    assert "--ic-seed" in capsys.readouterr().err
    assert main(["reference", "heat", "--ic-seed", "1", "--out", str(out)]) == 2
    assert "no family" in capsys.readouterr().err


# -- the PINN data files (slow) ----------------------------------------------------------------
MAT_CASES = [
    # problem, file, nx, nt, acceptance (../shared/reference/README.md, issue #4)
    ("burgers", "burgers_shock.mat", 256, 100, 1e-6),
    ("kdv", "KdV.mat", 512, 201, 1e-4),
    ("allen_cahn", "AC.mat", 512, 201, 1e-4),
    ("nls", "NLS.mat", 256, 201, 1e-3),
]


@pytest.mark.slow
@pytest.mark.parametrize("name, file, nx, nt, tol", MAT_CASES)
def test_against_pinn_data(name, file, nx, nt, tol, tmp_path):
    from liepinn.cli import main

    out = tmp_path / f"{name}.npz"
    assert main(["reference", name, "--nx", str(nx), "--nt", str(nt), "--out", str(out)]) == 0
    ref = Reference.load(out)
    data = load_mat(DATA / file)
    np.testing.assert_allclose(ref.x, data.x, atol=1e-13)
    np.testing.assert_allclose(ref.t, data.t, atol=1e-13)
    errs = data.errors(ref)
    assert errs["all"] <= tol, errs


@pytest.mark.slow
def test_burgers_full_against_cole_hopf():
    ref = solve_reference(burgers(), nx=256, nt=100)
    exact = cole_hopf(ref.x, ref.t, 0.01 / math.pi, n=800)
    assert rel(ref["u"], exact) <= 1e-6
