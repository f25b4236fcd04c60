"""liepinn beside the JAX PINN libraries (jinns, DeepXDE's JAX backend): ms per Adam step, and
the error reached in a fixed wall-time budget, all in one process, interleaved.

Configuration (Raissi et al.'s Burgers, as in `benchmarks/step_cost.py`): u_t + u u_x = (0.01/pi) u_xx
on [-1, 1] x [0, 1], u(x, 0) = -sin(pi x), u(+-1, t) = 0; the same 10,000 collocation + 256
initial + 200 boundary points (`step_cost.problem`, drawn once and handed to every library);
an MLP 2 -> 4 x 50 tanh -> 1 on inputs scaled to [-1, 1]; float32; soft IC and BC terms with
weight 1; Adam (optax, lr 1e-3). Each library computes its loss and gradient its own way:

- liepinn:  `PINNLoss(pde)` + `dirichlet_loss` (step_cost's variant (b)), `jax.value_and_grad`;
- jinns:    `jinns.loss.LossPDENonStatio` with its `BurgersEquation` dynamic loss, `Dirichlet`
            boundary condition and the initial condition function, differentiated by
            `loss.values_and_grads` + `ponderate_and_sum_gradient` (what `jinns.solve` does per
            step); the network is the same equinox MLP through `jinns.nn.PINN_MLP.create`;
- DeepXDE:  `dde.data.TimePDE` with the points given as anchors, `dde.nn.FNN` (Glorot normal,
            as its Burgers example), `dde.grad.jacobian` / `hessian`, the loss of its JAX
            `Model.compile("adam")` (`outputs_losses_train`), `jax.value_and_grad`. DeepXDE takes
            the residual on every training point, the 456 IC/BC points included (5 % more).

A fourth row, *floor*, is no library: the 36 matrix products (10,000 x 50 @ 50 x 50) of
liepinn's step alone, with the same IC/BC terms (`floor_setup`), timed in the same rotation: the
time liepinn's step would take if its Taylor recurrences were free, i.e. what the matrix
products of that shape reach on this machine, and so the best ratio to the peers that liepinn's
algorithm (4 Taylor coefficients per value) can reach here. In the same rotation the three
forms of those products (forward, input gradient, weight gradient) run bare on 40,000 x 50 @
50 x 50 (the 4 coefficients stacked): the rate such a product reaches here (`bare_products`).

Every step is the same harness: `--steps` Adam steps inside one jitted `lax.scan`; every library
is compiled first, then timed round-robin (jinns, deepxde, liepinn, jinns, ...) `--repeats`
times, median. Budget: after the timing, each library (not the floor) trains in interleaved slices of
`--slice` s of its own wall time until `--budget` s (compilation excluded), and its rel. L2 on
the 256 x 100 grid of burgers_shock.mat is recorded.

Needs the optional extra: `pip install -e '.[bench]'` (jinns, DeepXDE, flax).
Run:  PYTHONPATH=. DDE_BACKEND=jax .venv/bin/python benchmarks/peers.py [--repeats 7] [--budget 60]
Writes benchmarks/results/peers.json.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("DDE_BACKEND", "jax")

import equinox as eqx  # noqa: E402
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
import scipy.io  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import step_cost  # noqa: E402  (the Burgers points, the network scaling and liepinn's step (b))

from liepinn import PDE  # noqa: E402
from liepinn.derivatives import Box  # noqa: E402
from liepinn.losses import PINNLoss, dirichlet_loss  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NU = step_cost.NU
LO, HI = step_cost.LO, step_cost.HI


def scale(xt):
    """(x, t) -> [-1, 1]^2, the scaling every variant's network sees."""
    lo, hi = jnp.array(LO, xt.dtype), jnp.array(HI, xt.dtype)
    return 2 * (xt - lo) / (hi - lo) - 1


# -- the three libraries: (params, value_and_grad(params, data), predict(params, xt)) ----------

def liepinn_setup(model, data):
    pde = PDE.from_text("u_t + u*u_x - nu*u_xx = 0", independent="x,t", dependent="u",
                        parameters={"nu": "0.01/pi"})
    box = Box(LO, HI)
    loss = step_cost.liepinn_loss(PINNLoss(pde, box=box), box)
    params, static = eqx.partition(model, eqx.is_inexact_array)

    def value_and_grad(p, d):
        return jax.value_and_grad(lambda q: loss(eqx.combine(q, static), d))(p)

    def predict(p, xt):
        return jax.vmap(eqx.combine(p, static))(scale(xt))[:, 0]

    return params, value_and_grad, predict


def jinns_setup(model, data):
    import jinns

    def input_transform(t_x, params):  # jinns feeds (t, x): the same MLP sees scaled (x, t)
        return scale(jnp.stack([t_x[1], t_x[0]]))

    u, nn_params = jinns.nn.PINN_MLP.create(eq_type="PDENonStatio", eqx_network=model,
                                            input_transform=input_transform)
    params = jinns.parameters.Params(nn_params=nn_params, eq_params={"nu": jnp.float32(NU)})
    loss = jinns.loss.LossPDENonStatio(
        u=u,
        loss_weights=jinns.loss.LossWeightsPDENonStatio(dyn_loss=1.0, initial_condition=1.0, boundary_loss=1.0),
        dynamic_loss=jinns.loss.BurgersEquation(Tmax=1.0),
        boundary_condition=jinns.loss.Dirichlet(),
        initial_condition_fun=lambda x: -jnp.sin(jnp.pi * x),
        params=params,
    )
    col, bc = data["col"], data["bc"]
    left, right = bc[bc[:, 0] < 0], bc[bc[:, 0] > 0]
    n = min(len(left), len(right))
    border = jnp.stack([left[:n, ::-1], right[:n, ::-1]], axis=-1)  # (n, [t, x], facet)
    batch = jinns.data.PDENonStatioBatch(domain_batch=col[:, ::-1], border_batch=border,
                                         initial_batch=data["ic"][:, :1])

    def value_and_grad(p, d):
        terms, grads = loss.values_and_grads(p, batch)
        return loss.ponderate_and_sum_loss(terms), loss.ponderate_and_sum_gradient(grads)

    def predict(p, xt):
        return jax.vmap(lambda z: u(z, p)[0])(xt[:, ::-1])

    return params, value_and_grad, predict


def deepxde_setup(model, data):
    import deepxde as dde

    if dde.backend.backend_name != "jax":
        raise RuntimeError(f"DeepXDE backend is {dde.backend.backend_name!r}; set DDE_BACKEND=jax")

    def pde(x, y):
        y_x = dde.grad.jacobian(y, x, i=0, j=0)[0]
        y_t = dde.grad.jacobian(y, x, i=0, j=1)[0]
        y_xx = dde.grad.hessian(y, x, i=0, j=0)[0]
        return y_t + y[0] * y_x - NU * y_xx

    geom = dde.geometry.GeometryXTime(dde.geometry.Interval(LO[0], HI[0]), dde.geometry.TimeDomain(LO[1], HI[1]))
    bc = dde.icbc.DirichletBC(geom, lambda x: 0, lambda _, on_boundary: on_boundary)
    ic = dde.icbc.IC(geom, lambda x: -np.sin(np.pi * x[:, 0:1]), lambda _, on_initial: on_initial)
    anchors = np.concatenate([np.asarray(data[k]) for k in ("col", "ic", "bc")]).astype(np.float32)
    pdata = dde.data.TimePDE(geom, pde, [bc, ic], num_domain=0, num_boundary=0, num_initial=0,
                             anchors=anchors)
    net = dde.nn.FNN([2] + [50] * 4 + [1], "tanh", "Glorot normal")
    net.apply_feature_transform(scale)
    m = dde.Model(pdata, net)
    m.compile("adam", lr=1e-3)
    inputs, targets, _ = pdata.train_next_batch()

    def value_and_grad(p, d):
        return jax.value_and_grad(lambda q: jnp.sum(m.outputs_losses_train(q, inputs, targets)[1]))(p)

    def predict(p, xt):
        return m.outputs(p[0], False, xt)[:, 0]

    return m.params, value_and_grad, predict


def floor_setup(model, data):
    """Not a library: the matrix products of liepinn's step alone, its flop floor. liepinn's
    Taylor mode carries 4 coefficients (u, u_x, u_t, u_xx) through the network, so each of the
    3 hidden 50 x 50 layers does 4 forward products (10,000 x 50 @ 50 x 50), 4 for the input's
    gradient and 4 for the weight's: 36 products. Here 4 streams go through the same layers
    with no activation between (no Taylor recurrences), plus the same IC/BC terms; XLA emits the
    same 36 products in the same forms, so this is the time of liepinn's step if everything
    but the products were free."""
    box = Box(LO, HI)
    params, static = eqx.partition(model, eqx.is_inexact_array)

    def loss(m, d):
        first, *hidden, last = m.layers
        y = jnp.tanh(scale(d["col"]) @ first.weight.T + first.bias)
        streams = [y, y * first.weight[:, 0], y * first.weight[:, 1], y * y]
        for layer in hidden:
            streams = [s @ layer.weight.T for s in streams]
        interior = sum(jnp.mean((s @ last.weight.T) ** 2) for s in streams)
        return (interior + dirichlet_loss(m, d["ic"], d["ic_u"], box=box)
                + dirichlet_loss(m, d["bc"], d["bc_u"], box=box))

    def value_and_grad(p, d):
        return jax.value_and_grad(lambda q: loss(eqx.combine(q, static), d))(p)

    return params, value_and_grad, None


LIBRARIES = {"jinns": ("jinns", jinns_setup), "deepxde": ("DeepXDE (JAX backend)", deepxde_setup),
             "liepinn": ("liepinn, residual step", liepinn_setup),
             "floor": ("floor: the 36 matrix products of liepinn's step alone", floor_setup)}


def make_runner(value_and_grad, steps: int, lr: float = 1e-3):
    """`steps` Adam steps in one jitted `lax.scan` (the same harness for every library)."""
    opt = optax.adam(lr)

    def step(carry, _):
        params, state, data = carry
        value, grads = value_and_grad(params, data)
        updates, state = opt.update(grads, state, params)
        return (optax.apply_updates(params, updates), state, data), value

    @jax.jit
    def run(params, state, data):
        (params, state, _), values = jax.lax.scan(step, (params, state, data), None, length=steps)
        return params, state, values

    def flops(params, state, data) -> float:
        """XLA's flop count of ONE step (a scan's body is counted once, so not of `run`)."""
        cost = jax.jit(lambda c: step(c, None)).lower((params, state, data)).compile().cost_analysis()
        cost = cost[0] if isinstance(cost, list) else cost
        return float(cost.get("flops", float("nan")))

    return run, opt.init, flops


def bare_products(rows: int, width: int = 50, reps: int = 10):
    """The three forms of a dense layer's products on a (rows, width) batch, bare: forward
    x @ w.T, input gradient g @ w, weight gradient g.T @ x (contracting the batch axis), each
    `reps` times in a `lax.scan`; returns {form: (jitted fn, args, flop per call)}."""
    kx, kw = jax.random.split(jax.random.key(2))
    x = jax.random.normal(kx, (rows, width), jnp.float32)
    w = jax.random.normal(kw, (width, width), jnp.float32) / width
    dims = {"forward x @ w.T": (((1,), (1,)), ((), ())), "input gradient g @ w": (((1,), (0,)), ((), ())),
            "weight gradient g.T @ x": (((0,), (0,)), ((), ()))}

    def chain(dn):
        def body(c, _):
            if dn[0][0] == (0,):  # (width, width) += x.T @ (x c[0, 0]): the carry keeps the reps apart
                return c + jax.lax.dot_general(x, x * c[0, 0], dn), None
            return jax.lax.dot_general(c, w, dn), None
        return jax.jit(lambda c: jax.lax.scan(body, c, None, length=reps)[0])

    return {name: (chain(dn), w if dn[0][0] == (0,) else x, 2 * rows * width * width * reps)
            for name, dn in dims.items()}


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def base_clock_ghz() -> float:
    """The base clock from /proc/cpuinfo's BogoMIPS (twice the clock on x86)."""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.lower().startswith("bogomips"):
            return float(line.split(":", 1)[1]) / 2e3
    raise RuntimeError("no BogoMIPS in /proc/cpuinfo: pass --peak-gflops")


def nominal_peak_gflops() -> float:
    """cores x base clock x 32 float32 flop per cycle (two 256-bit FMA pipes: 2 x 8 x 2)."""
    return (os.cpu_count() or 1) * base_clock_ghz() * 32


def version(name: str) -> str:
    from importlib.metadata import version as v
    return v({"deepxde": "DeepXDE"}.get(name, name))


def main(argv=None) -> int:
    from liepinn.experiments import atomic_write_json

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=10, help="Adam steps per compiled scan")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--budget", type=float, default=60.0, help="training wall seconds per library (0: skip)")
    ap.add_argument("--slice", type=float, default=10.0, help="seconds per interleaved training slice")
    ap.add_argument("--n-collocation", type=int, default=10_000)
    ap.add_argument("--only", default=",".join(LIBRARIES))
    ap.add_argument("--peak-gflops", type=float, default=None,
                    help="the CPUs' float32 peak (default: cores x base clock x 32 flop/cycle, two 256-bit "
                         "FMA pipes per core as on AMD Zen 4 / Intel with AVX2; check it for your CPU)")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "peers.json")
    args = ap.parse_args(argv)
    names = args.only.split(",")
    bad = [n for n in names if n not in LIBRARIES]
    if bad:
        ap.error(f"--only: unknown {', '.join(bad)}; choose from {', '.join(LIBRARIES)}")

    model = eqx.nn.MLP(2, 1, 50, 4, activation=jnp.tanh, key=jax.random.key(0))
    data = step_cost.problem(jax.random.key(1), n_col=args.n_collocation)
    ref = scipy.io.loadmat(ROOT / "tests" / "data" / "burgers_shock.mat")
    X, T = np.meshgrid(ref["x"].ravel(), ref["t"].ravel(), indexing="ij")
    grid = jnp.asarray(np.stack([X.ravel(), T.ravel()], 1), jnp.float32)
    usol = ref["usol"]

    runs = {}
    for name in names:
        params, vg, predict = LIBRARIES[name][1](model, data)
        run, init, flops = make_runner(vg, args.steps)
        state = init(params)
        t0 = time.perf_counter()
        out = jax.block_until_ready(run(params, state, data))
        runs[name] = {"run": run, "params": params, "state": state, "predict": predict and jax.jit(predict),
                      "compile_s": time.perf_counter() - t0, "ms": [], "first_loss": float(out[2][0]),
                      "gflop_per_step": flops(params, state, data) / 1e9}
        print(f"{name}: compiled in {runs[name]['compile_s']:.1f} s, first loss {runs[name]['first_loss']:.4g}",
              flush=True)

    bare = {f: {"fn": fn, "arg": arg, "flop": flop, "s": []}
            for f, (fn, arg, flop) in bare_products(4 * args.n_collocation).items()}
    for b in bare.values():
        jax.block_until_ready(b["fn"](b["arg"]))
    loads = [os.getloadavg()[0]]
    for _ in range(args.repeats):
        for name, r in runs.items():
            t0 = time.perf_counter()
            jax.block_until_ready(r["run"](r["params"], r["state"], data))
            r["ms"].append(1e3 * (time.perf_counter() - t0) / args.steps)
        for b in bare.values():
            t0 = time.perf_counter()
            jax.block_until_ready(b["fn"](b["arg"]))
            b["s"].append(time.perf_counter() - t0)
    loads.append(os.getloadavg()[0])
    peak = args.peak_gflops or nominal_peak_gflops()
    for form, b in bare.items():
        b["gflops"] = b["flop"] / statistics.median(b["s"]) / 1e9
        print(f"bare {4 * args.n_collocation:,} x 50 @ 50 x 50, {form}: {b['gflops']:.1f} GFLOP/s = "
              f"{100 * b['gflops'] / peak:.1f} % of {peak:.0f}", flush=True)
    for name, r in runs.items():
        r["gflops"] = r["gflop_per_step"] / (statistics.median(r["ms"]) / 1e3)
        print(f"{name}: {statistics.median(r['ms']):.1f} ms/step ({min(r['ms']):.1f}-{max(r['ms']):.1f}), "
              f"{r['gflop_per_step']:.2f} GFLOP/step (XLA), {r['gflops']:.1f} GFLOP/s = "
              f"{100 * r['gflops'] / peak:.1f} % of {peak:.0f}", flush=True)

    budget = {}
    if args.budget > 0:
        live = {n: {"params": r["params"], "state": r["state"], "wall": 0.0, "steps": 0}
                for n, r in runs.items() if r["predict"] is not None}
        while any(v["wall"] < args.budget for v in live.values()):
            for name, v in live.items():
                if v["wall"] >= args.budget:
                    continue
                t0 = time.perf_counter()
                end = t0 + min(args.slice, args.budget - v["wall"])
                while time.perf_counter() < end:
                    v["params"], v["state"], values = runs[name]["run"](v["params"], v["state"], data)
                    jax.block_until_ready(values)
                    v["steps"] += args.steps
                    v["loss"] = float(values[-1])
                v["wall"] += time.perf_counter() - t0
        loads.append(os.getloadavg()[0])
        for name, v in live.items():
            pred = np.asarray(runs[name]["predict"](v["params"], grid), np.float64).reshape(usol.shape)
            budget[name] = {"steps": v["steps"], "wall_s": v["wall"], "loss": v["loss"],
                            "rel_l2": float(np.linalg.norm(pred - usol) / np.linalg.norm(usol))}
            print(f"{name}: {v['steps']} steps in {v['wall']:.0f} s, loss {v['loss']:.3g}, "
                  f"rel. L2 {budget[name]['rel_l2']:.3g}", flush=True)

    record = {
        "setup": (f"Burgers (nu = 0.01/pi), {args.n_collocation:,} collocation + 256 initial + 200 boundary points "
                  "(the same for all), MLP 2 -> 4 x 50 tanh -> 1 on scaled inputs, float32, Adam 1e-3, "
                  "soft IC/BC, weights 1"),
        "steps_per_repeat": args.steps, "repeats": args.repeats, "budget_s": args.budget or None,
        "slice_s": args.slice,
        "order": list(runs),
        "libraries": {n: LIBRARIES[n][0] if n == "floor" else f"{LIBRARIES[n][0]} {version(n)}" for n in runs},
        "bare_products": {"shape": f"{4 * args.n_collocation:,} x 50 @ 50 x 50 (the 4 Taylor coefficients stacked)",
                          "forms": {f: {"gflops": b["gflops"], "fraction_of_peak": b["gflops"] / peak,
                                        "all_s": b["s"], "flop": b["flop"]} for f, b in bare.items()}},
        "ms_per_step": {n: {"median": statistics.median(r["ms"]), "all": r["ms"], "compile_s": r["compile_s"],
                            "first_loss": r["first_loss"], "gflop_per_step": r["gflop_per_step"],
                            "gflops": r["gflops"], "fraction_of_peak": r["gflops"] / peak}
                        for n, r in runs.items()},
        "peak_gflops": peak,
        "peak_how": ("--peak-gflops" if args.peak_gflops else
                     f"{os.cpu_count()} cores x {base_clock_ghz():.2f} GHz (BogoMIPS / 2) x 32 float32 flop/cycle"),
        "cpu": cpu_model(),
        "budget": budget,
        "load_average": loads,
        "machine": (f"{platform.machine()}, {os.cpu_count()} CPUs shared with other jobs (load average "
                    f"{min(loads):.1f}-{max(loads):.1f}), jax {jax.__version__}"),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    ms = {n: r["median"] for n, r in record["ms_per_step"].items()}
    record["ratios"] = {f"{a}/{b}": ms[a] / ms[b] for a in ("liepinn", "floor") for b in ms
                        if a in ms and b != a and not (a == "floor" and b == "liepinn")}
    atomic_write_json(args.out, record)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
