"""References in two and three space dimensions (tensor-product Fourier / Chebyshev grids):
exact heat solutions, vector Burgers by Cole-Hopf, a manufactured solution with forcing and a
mixed derivative, 2-D Allen-Cahn against an independent finite-difference solver, files,
sampling and bad inputs. (2-D runs evaluated against the reference: tests/test_runs2d.py.)"""

import numpy as np
import pytest
import sympy as sp

from liepinn import PDE, load_entry
from liepinn.problems import Dirichlet, Neumann, Periodic, Problem
from liepinn.reference import Chebyshev, Fourier, Reference, output_axes, output_grid, solve_reference

x, y, t = sp.symbols("x y t")


def on_grid(problem, ref, exprs=None):
    """The problem's exact solution on the reference's tensor grid: (q, n_1, ..., n_d, nt)."""
    mesh = np.meshgrid(*ref.axes, ref.t, indexing="ij")
    pts = np.stack([m.ravel() for m in mesh], axis=1)
    return problem.exact_values(pts).reshape((-1,) + mesh[0].shape)


def rel(a, b):
    return float(np.linalg.norm(np.asarray(a) - b) / np.linalg.norm(b))


def test_heat2d_periodic_exact_file_and_sampling(tmp_path):
    pde = PDE.from_text("u_t = nu*(u_xx + u_yy)", independent="x,y,t", dependent="u")
    exact = sp.exp(-5 * t / 10) * sp.sin(x) * sp.cos(2 * y) + sp.exp(-t / 10) * sp.cos(x)
    p = Problem("h2", pde, {"x": (0, 2 * sp.pi), "y": (0, 2 * sp.pi), "t": (0, 1)},
                {"u": exact.subs(t, 0)}, Periodic(), {"nu": sp.Rational(1, 10)}, exact={"u": exact})
    ref = solve_reference(p, nx=16, nt=5)
    assert ref.dim == 2 and ref["u"].shape == (16, 16, 5)
    s = ref.settings
    assert s["discretisation"]["kind"] == "tensor" and s["solver"] == "Tsit5"
    assert [a["kind"] for a in s["discretisation"]["axes"]] == ["fourier", "fourier"]
    assert s["spectral_tail"] < 1e-12
    assert rel(ref["u"], on_grid(p, ref)[0]) < 1e-10
    np.testing.assert_allclose(ref.x[0], 2 * np.pi * np.arange(16) / 16)
    # files: axes x0, x1; the solver grid kept for spectral sampling
    path = tmp_path / "h2.npz"
    ref.save(path)
    with np.load(path, allow_pickle=False) as f:
        assert {"x0", "x1", "t", "u", "solver.x0", "solver.x1"} <= set(f.files) and "x" not in f.files
    back = Reference.load(path)
    assert back.dim == 2 and back.errors(ref)["u"] == 0.0
    pts, ts = np.array([[0.3, 1.1], [2.0, 5.0], [6.1, 0.2]]), np.array([0.2, 0.77, 1.0])
    want = p.exact_values(np.c_[pts, ts])[0]
    np.testing.assert_allclose(back.sample(pts, ts)["u"], want, atol=1e-6)
    axes = (np.array([0.1, 3.0]), np.array([0.5, 1.5, 4.0]))
    got = back.sample(axes, np.array([0.0, 1.0]), grid=True)["u"]
    X, Y, T = np.meshgrid(*axes, [0.0, 1.0], indexing="ij")
    want = p.exact_values(np.stack([X.ravel(), Y.ravel(), T.ravel()], 1))[0].reshape(X.shape)
    np.testing.assert_allclose(got, want, atol=1e-9)
    # without the solver grid: local Lagrange interpolation on the stored grid, same values there
    thin = Reference(ref.x, ref.t, ref.fields, ref.settings)
    np.testing.assert_allclose(thin.sample(ref.x, ref.t, grid=True)["u"], ref["u"], atol=1e-12)


def test_heat2d_dirichlet_sine():
    """pdes/heat2d: zero Dirichlet data and a reflection-covariant equation: a sine series on
    both axes."""
    p = load_entry("heat2d").problem
    ref = solve_reference(p, nx=17, nt=5, resolution=16)
    axes = ref.settings["discretisation"]["axes"]
    assert [a["parity"] for a in axes] == [[-1], [-1]]
    assert rel(ref["u"], on_grid(p, ref)[0]) < 1e-9


@pytest.mark.slow
def test_heat2d_chebyshev():
    """Chebyshev x Chebyshev with Kvaerno5 (dense Jacobian of 15^2 unknowns) on pdes/heat2d."""
    p = load_entry("heat2d").problem
    cheb = solve_reference(p, nx=17, nt=5, discretisation=Chebyshev(16))
    assert cheb.settings["solver"] == "Kvaerno5"
    assert rel(cheb["u"], on_grid(p, cheb)[0]) < 1e-8


@pytest.mark.slow
def test_manufactured_nonlinear_forced_chebyshev():
    r"""u = e^{-t/2} sin(x + 2y) + x y / 2 solves u_t = (u_xx + u_yy)/4 + u_xy/10 + u^2 + f with
    the forcing f(x, y, t) the residual; time-dependent Dirichlet data on [0, 1]^2: Chebyshev
    on both axes, and the mixed derivative through both axes' matrices."""
    u = sp.exp(-t / 2) * sp.sin(x + 2 * y) + x * y / 2
    f = sp.simplify(sp.diff(u, t) - (sp.diff(u, x, 2) + sp.diff(u, y, 2)) / 4 - sp.diff(u, x, y) / 10 - u**2)
    pde = PDE.from_text(f"u_t = (u_xx + u_yy)/4 + u_xy/10 + u^2 + {sp.sstr(f)}", independent="x,y,t",
                        dependent="u")
    p = Problem("mms", pde, {"x": (0, 1), "y": (0, 1), "t": (0, 1)}, {"u": u.subs(t, 0)}, Dirichlet({"u": u}),
                exact={"u": u})
    ref = solve_reference(p, nx=9, nt=3, resolution=12)
    assert [a["kind"] for a in ref.settings["discretisation"]["axes"]] == ["chebyshev"] * 2
    assert rel(ref["u"], on_grid(p, ref)[0]) < 1e-8


def test_manufactured_forced_fourier_mixed_derivative():
    """A periodic manufactured solution with forcing, a mixed derivative and an advection term."""
    u = sp.exp(-t) * sp.sin(x) * sp.cos(y) + sp.cos(2 * x + y) / 3
    f = sp.diff(u, t) - (sp.diff(u, x, 2) + sp.diff(u, y, 2)) / 5 - sp.diff(u, x, y) / 7 + u * sp.diff(u, y)
    pde = PDE.from_text(f"u_t = (u_xx + u_yy)/5 + u_xy/7 - u*u_y + {sp.sstr(f)}", independent="x,y,t",
                        dependent="u")
    p = Problem("mmsp", pde, {"x": (0, 2 * sp.pi), "y": (0, 2 * sp.pi), "t": (0, sp.Rational(1, 2))},
                {"u": u.subs(t, 0)}, Periodic(), exact={"u": u})
    ref = solve_reference(p, nx=12, nt=3)
    assert rel(ref["u"], on_grid(p, ref)[0]) < 1e-9


def burgers2d(nu=sp.Rational(1, 10), T=1):
    r"""Vector Burgers u_t + (u . grad) u = nu Lap u on [0, 2 pi)^2 with the Cole-Hopf solution
    u = -2 nu grad log theta, theta_t = nu Lap theta, theta = 4 + e^{-nu t}(cos x + cos y) +
    e^{-2 nu t} cos(x + y) (> 0)."""
    pde = PDE.from_text(["u_t = nu*(u_xx + u_yy) - u*u_x - v*u_y", "v_t = nu*(v_xx + v_yy) - u*v_x - v*v_y"],
                        independent="x,y,t", dependent="u,v")
    theta = 4 + sp.exp(-nu * t) * (sp.cos(x) + sp.cos(y)) + sp.exp(-2 * nu * t) * sp.cos(x + y)
    assert sp.simplify(sp.diff(theta, t) - nu * (sp.diff(theta, x, 2) + sp.diff(theta, y, 2))) == 0
    ex = {"u": -2 * nu * sp.diff(theta, x) / theta, "v": -2 * nu * sp.diff(theta, y) / theta}
    return Problem("burgers2d", pde, {"x": (0, 2 * sp.pi), "y": (0, 2 * sp.pi), "t": (0, T)},
                   {k: e.subs(t, 0) for k, e in ex.items()}, Periodic(), {"nu": nu}, exact=ex)


def test_burgers2d_cole_hopf():
    """Cole-Hopf linearises the vector (irrotational) Burgers system, not the scalar
    u_t + u u_x + u u_y = nu Lap u (which reduces to 1-D Burgers only for u = u(x + y, t))."""
    p = burgers2d()
    ref = solve_reference(p, nx=16, nt=5)
    exact = on_grid(p, ref)
    err = Reference(ref.x, ref.t, {"u": exact[0], "v": exact[1]}).errors(ref)
    assert err["u"] < 1e-8 and err["v"] < 1e-8 and err["all"] < 1e-8


@pytest.mark.slow
def test_neumann_chebyshev_nonlinear_forced():
    r"""u = 2(x + y) + e^{-t} cos(pi x) cos(pi y) has u_x = 2 on the faces of x and u_y = 2 on
    those of y (`Neumann({"u": 2})`); it solves u_t = Lap u / 5 + u^2 / 10 + f with the forcing
    f the residual. Chebyshev on both axes, the face values solved line by line."""
    u = 2 * (x + y) + sp.exp(-t) * sp.cos(sp.pi * x) * sp.cos(sp.pi * y)
    f = sp.diff(u, t) - (sp.diff(u, x, 2) + sp.diff(u, y, 2)) / 5 - u**2 / 10
    pde = PDE.from_text(f"u_t = (u_xx + u_yy)/5 + u^2/10 + {sp.sstr(f)}", independent="x,y,t", dependent="u")
    p = Problem("neu", pde, {"x": (0, 1), "y": (0, 1), "t": (0, sp.Rational(1, 2))}, {"u": u.subs(t, 0)},
                Neumann({"u": 2}), exact={"u": u})
    ref = solve_reference(p, nx=7, nt=3, resolution=12)
    assert [a["boundary"] for a in ref.settings["discretisation"]["axes"]] == ["neumann"] * 2
    assert rel(ref["u"], on_grid(p, ref)[0]) < 1e-8


@pytest.mark.slow
def test_burgers2d_dealiased():
    """The 2/3 rule on both axes (initial projection and right-hand side) keeps the accuracy."""
    p = burgers2d()
    ref = solve_reference(p, nx=8, nt=3, discretisation=Fourier(32, dealias=True))
    assert all(a["dealias"] for a in ref.settings["discretisation"]["axes"])
    exact = on_grid(p, ref)
    assert Reference(ref.x, ref.t, {"u": exact[0], "v": exact[1]}).errors(ref)["all"] < 1e-7


@pytest.mark.slow
def test_heat3d_periodic():
    pde = PDE.from_text("u_t = u_xx + u_yy + u_zz", independent="x,y,z,t", dependent="u")
    z = sp.Symbol("z")
    exact = sp.exp(-3 * t) * sp.sin(x) * sp.sin(y) * sp.cos(z) + sp.exp(-t) * sp.cos(y)
    p = Problem("h3", pde, {"x": (0, 2 * sp.pi), "y": (0, 2 * sp.pi), "z": (0, 2 * sp.pi), "t": (0, sp.Rational(1, 2))},
                {"u": exact.subs(t, 0)}, Periodic(), exact={"u": exact})
    ref = solve_reference(p, nx=6, nt=3, resolution=12)
    assert ref["u"].shape == (6, 6, 6, 3)
    assert rel(ref["u"], on_grid(p, ref)[0]) < 1e-9


def fd_allen_cahn(problem, n: int) -> np.ndarray:
    """An independent solver: second-order central differences (5-point Laplacian) on an n x n
    periodic grid, scipy's RK45 in time; u at t1 on the grid lo + L k / n."""
    from scipy.integrate import solve_ivp

    eps = float(problem.parameters["eps"])
    lo, hi = (float(b) for b in problem.domain["x"])
    h = (hi - lo) / n
    xs = lo + h * np.arange(n)
    X, Y = np.meshgrid(xs, xs, indexing="ij")
    u0 = problem.initial_values(np.stack([X.ravel(), Y.ravel()], 1))[0]

    def rhs(_, v):
        u = v.reshape(n, n)
        lap = (np.roll(u, 1, 0) + np.roll(u, -1, 0) + np.roll(u, 1, 1) + np.roll(u, -1, 1) - 4 * u) / h**2
        return (eps * lap + u - u**3).ravel()

    sol = solve_ivp(rhs, problem.t_span, u0, method="RK45", rtol=1e-10, atol=1e-12)
    assert sol.success
    return sol.y[:, -1].reshape(n, n)


def test_allen_cahn2d_against_finite_differences():
    """pdes/allen_cahn2d (periodic): the spectral reference at t1 against second-order finite
    differences on 64^2 and 128^2 and their Richardson extrapolation (4 u_128 - u_64) / 3."""
    p = load_entry("allen_cahn2d").problem
    ref = solve_reference(p, nx=64, nt=3)
    u_ref = ref["u"][:, :, -1]
    fd = {n: fd_allen_cahn(p, n) for n in (64, 128)}
    e64 = rel(fd[64], u_ref)
    e128 = rel(fd[128][::2, ::2], u_ref)
    rich = rel((4 * fd[128][::2, ::2] - fd[64]) / 3, u_ref)
    assert 3.5 < e64 / e128 < 4.5  # second order: the reference is the limit of the FD runs
    assert e128 < 2e-4 and rich < e128 / 20, (e64, e128, rich)


def test_bad_inputs_2d():
    p = load_entry("heat2d").problem
    with pytest.raises(ValueError, match="2 arrays, one axis per space variable"):
        solve_reference(p, x_eval=np.linspace(0, 1, 5), nt=3)
    with pytest.raises(ValueError, match="along y"):
        solve_reference(p, x_eval=(np.linspace(0, 1, 5), np.linspace(0, 2, 5)), nt=3)
    with pytest.raises(ValueError, match="use output_axes"):
        output_grid(p, 8)
    assert [len(a) for a in output_axes(p, 8)] == [8, 8]
    import diffrax as dfx

    advection = p.replace(pde=PDE.from_text("u_t = -u_x - u_y", independent="x,y,t", dependent="u"),
                          boundary=Periodic(), parameters={}, exact=None)
    with pytest.raises(ValueError, match="IMEX solver needs a stiff linear part"):
        solve_reference(advection, nx=5, nt=2, resolution=16, solver=dfx.KenCarp5())
    # zero Neumann data: a cosine series on both axes
    cos = p.replace(boundary=Neumann({"u": 0}), initial={"u": "cos(pi*x)*cos(pi*y)"}, exact=None)
    ref = solve_reference(cos, nx=5, nt=2, resolution=16)
    assert [a["parity"] for a in ref.settings["discretisation"]["axes"]] == [[1], [1]]
    want = np.exp(-2 * np.pi**2 * 0.1) * np.outer(np.cos(np.pi * ref.x[0]), np.cos(np.pi * ref.x[1]))
    np.testing.assert_allclose(ref["u"][:, :, -1], want, atol=1e-9)
    with pytest.raises(ValueError, match="expected"):
        Reference((np.zeros(3), np.zeros(4)), np.zeros(2), {"u": np.zeros((3, 2))})


def test_imex_in_2d():
    """KenCarp5 with eps Lap u implicit (d-dimensional FFT solves): odd (Dirichlet) and even
    (Neumann) reflections against exact heat solutions, and periodic Allen-Cahn against Tsit5."""
    import diffrax as dfx

    heat = load_entry("heat2d").problem
    sine = heat.replace(initial={"u": "sin(pi*x)*sin(2*pi*y)"}, exact=None)
    cosine = heat.replace(boundary=Neumann({"u": 0}), initial={"u": "cos(pi*x)*cos(2*pi*y)"}, exact=None)
    nu = 1.0  # pdes/heat2d: u_t = u_xx + u_yy, t in [0, 1/10]
    for p, f, parity in ((sine, np.sin, -1), (cosine, np.cos, 1)):
        ref = solve_reference(p, nx=7, nt=3, resolution=16, solver=dfx.KenCarp5(), rtol=1e-9, atol=1e-11)
        assert ref.settings["imex"] and [a["parity"] for a in ref.settings["discretisation"]["axes"]] == [[parity]] * 2
        X, Y, T = np.meshgrid(*ref.x, ref.t, indexing="ij")
        want = f(np.pi * X) * f(2 * np.pi * Y) * np.exp(-5 * np.pi**2 * nu * T)
        np.testing.assert_allclose(ref["u"], want, atol=1e-7)
    ac = load_entry("allen_cahn2d").problem.replace(parameters={"eps": 1})
    imex = solve_reference(ac, nx=8, nt=3, resolution=32, solver=dfx.KenCarp5(), rtol=1e-9, atol=1e-11)
    explicit = solve_reference(ac, nx=8, nt=3, resolution=32, rtol=1e-9, atol=1e-11)
    assert imex.settings["imex"] and explicit.settings["solver"] == "Tsit5"
    assert imex.settings["stiffness"]["dissipative"] == pytest.approx(2 * 16**2)  # |kappa|^2 at the corner
    assert imex.settings["attempts"][-1]["num_steps"] < explicit.settings["attempts"][-1]["num_steps"] / 3
    np.testing.assert_allclose(imex["u"], explicit["u"], atol=1e-7)
