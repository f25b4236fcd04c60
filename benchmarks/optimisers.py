"""Second-phase optimisers side by side on a small Burgers PINN, for a fixed wall-time budget.

    u_t + u u_x - (0.01/pi) u_xx = 0,  x in [-1, 1], t in [0, 0.99],
    u(x, 0) = -sin(pi x),  u(+-1, t) = 0   (Raissi et al. 2019)

Hard constraint u = -sin(pi x) + t (1 - x^2) N(x, t), N a small tanh MLP on normalised inputs
(the compact networks of Urbán et al. 2025), fixed Sobol collocation points, loss = mean
squared residual. One Adam warm-up (float32) is shared; from its end each method runs its
second phase in float64 with the same wall-time budget, in interleaved rounds of
``--slice`` seconds (``max_time``, checked every ``--log-every`` iterations; each round
resumes the method from its training checkpoint, optimiser state included), so that changes
in the shared machine's load hit every method alike. Each method is compiled first by a
short run whose time is recorded apart (``compile_s``):

- ``lbfgs``: ``LBFGS(memory=50)`` (the current recipes' phase);
- ``bfgs``: dense BFGS;
- ``ssbfgs``: dense self-scaled BFGS (Urbán et al. 2025; Kiyani et al. 2025);
- ``ssbroyden``: dense self-scaled Broyden (same papers);
- ``eng``: energy natural gradient (Müller & Zeinhofer 2023): Gauss-Newton steps on the
  residual vector with their grid line search (the loss is a ``LeastSquares``).

With ``--seeds 0,1,2`` the whole protocol (network, points, Adam start, every method) runs
once per seed. Recorded per seed and method: iterations done, wall and CPU seconds, final loss, the mean squared
residual on 16,384 held-out Sobol points (``held_out``: a loss far below it means the
collocation set is being overfitted), relative L2 error on the 256 x 100 grid of
burgers_shock.mat, and the loss trace (step, wall s, loss). The load
average at the start of each round goes with it: the machine is shared, so compare CPU
time as well as wall time. Methods are ranked by the held-out residual (it does not look at
the reference solution); the rel. L2 error is reported beside it, not used to choose.

Run:
    PYTHONPATH=. .venv/bin/python benchmarks/optimisers.py [--budget 30] [--adam-steps 1000]
        [--slice 10] [--width 20 --depth 3 --n 4096] [--methods lbfgs,ssbfgs,ssbroyden,eng]
        [--seeds 0,1,2] [--out benchmarks/results/optimisers.json]
    PYTHONPATH=. .venv/bin/python benchmarks/optimisers.py --table benchmarks/results/optimisers.json
        # the markdown table of benchmarks/README.md, from the raw results
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import scipy.io

from liepinn.derivatives import derivatives
from liepinn.nn import MLP, HardConstraint, Normalise
from liepinn.train import BFGS, ENG, LBFGS, SSBFGS, LeastSquares, SSBroyden, Sobol, train

NU = 0.01 / np.pi
LOWER, UPPER = (-1.0, 0.0), (1.0, 0.99)
REFERENCE = os.environ.get("LIEPINN_BURGERS_MAT", "/work/shared/reference/burgers_shock.mat")
_REQ = [(0, (0, 0)), (0, (1, 0)), (0, (2, 0)), (0, (0, 1))]
METHODS = {
    "lbfgs": lambda steps: LBFGS(steps=steps, memory=50, dtype="float64"),
    "bfgs": lambda steps: BFGS(steps=steps),
    "ssbfgs": lambda steps: SSBFGS(steps=steps),
    "ssbroyden": lambda steps: SSBroyden(steps=steps),
    "eng": lambda steps: ENG(steps=steps, damping=1e-3),
}
# iterations between logs (and max_time checks) where --log-every is too coarse: an ENG step
# costs about as much as a few hundred quasi-Newton steps
LOG_EVERY = {"eng": 1}


def transform(z, n):
    """u = -sin(pi x) + t (1 - x^2) N(x, t): the IC and the zero Dirichlet BCs hold exactly."""
    x, t = z[0], z[1]
    return -jnp.sin(jnp.pi * x) + t * (1 - x**2) * n


def _residual(model, points):
    d = derivatives(model, points, _REQ)
    u, ux, uxx, ut = d[_REQ[0]], d[_REQ[1]], d[_REQ[2]], d[_REQ[3]]
    return ut + u * ux - NU * uxx


def _mean_square(model, points):
    res = jnp.mean(_residual(model, points) ** 2)
    return res, {"residual": res}


def _pointwise(points):
    n = points.shape[0]
    return {"residual": (lambda model, pts: _residual(model, pts) / jnp.sqrt(n), (points,))}


# the mean squared residual, with its residual vector r / sqrt(N), point by point, for ENG
loss_fn = LeastSquares(_mean_square, pointwise=_pointwise)


def rel_l2(model, grid, usol):
    with jax.enable_x64(True):
        pred = np.asarray(jax.jit(jax.vmap(model))(jnp.asarray(grid, jnp.float64)))[:, 0].reshape(usol.shape)
    return float(np.linalg.norm(pred - usol) / np.linalg.norm(usol))


def _loss_at(trace, seconds):
    """The last logged loss at or before ``seconds`` of the method's own wall time."""
    before = [loss for _, wall, loss in trace if wall <= seconds]
    return before[-1] if before else float("nan")


def _by_seed(d):
    """{seed: {"adam": ..., "results": ...}} of a results file (one seed in the older layout)."""
    if "seeds" in d:
        return {int(k): v for k, v in d["seeds"].items()}
    return {0: {"adam": d["adam"], "results": d["results"]}}


def _joined(values, fmt="{:.2e}"):
    return " / ".join(fmt.format(v) for v in values)


def table(path) -> str:
    """The README table of a results file: per method, the held-out residual and rel. L2 of
    every seed, and on how many seeds it had the lowest held-out residual."""
    with open(path) as f:
        d = json.load(f)
    runs = _by_seed(d)
    seeds = sorted(runs)
    methods = list(runs[seeds[0]]["results"])
    best = {s: min(methods, key=lambda m: runs[s]["results"][m]["held_out"]) for s in seeds}
    half = d["budget_s"] / 2
    sl = "/".join(str(s) for s in seeds)
    lines = [
        f"| method | iterations (seed {sl}) | loss at {half:g} s (median) | final loss (median) | "
        f"held-out residual (seed {sl}) | rel. L2 (seed {sl}) | lowest held-out |",
        "|---|---|---|---|---|---|---|",
    ]
    for m in methods:
        rs = [runs[s]["results"][m] for s in seeds]
        lines.append(
            f"| {m} | {_joined([r['iterations'] for r in rs], '{}')} | "
            f"{np.median([_loss_at(r['trace'], half) for r in rs]):.2e} | {np.median([r['loss'] for r in rs]):.2e} | "
            f"{_joined([r['held_out'] for r in rs])} | {_joined([r['rel_l2'] for r in rs])} | "
            f"{sum(best[s] == m for s in seeds)} of {len(seeds)} |")
    adam = [runs[s]["adam"] for s in seeds]
    loads = [x for s in seeds for r in runs[s]["results"].values() for x in r["load"]]
    lines.append(f"\nShared start per seed: {adam[0]['steps']} Adam steps, loss {_joined([a['loss'] for a in adam])}, "
                 f"rel. L2 {_joined([a['rel_l2'] for a in adam])}; {d['network']}, {d['collocation']}; budget "
                 f"{d['budget_s']:g} s per method in rounds of {d['slice_s']:g} s; load average "
                 f"{min(loads):.1f}-{max(loads):.1f}; {d['machine']}, jax {d['jax']}.")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--budget", type=float, default=40.0, help="wall seconds per second phase")
    ap.add_argument("--slice", type=float, default=10.0, help="wall seconds per interleaved round")
    ap.add_argument("--adam-steps", type=int, default=1000)
    ap.add_argument("--width", type=int, default=20)
    ap.add_argument("--depth", type=int, default=3)
    ap.add_argument("--n", type=int, default=4096, help="collocation points")
    ap.add_argument("--log-every", type=int, default=25)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--seeds", default=None, help="comma-separated seeds: the protocol once per seed (overrides --seed)")
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--out", default="benchmarks/results/optimisers.json")
    ap.add_argument("--table", metavar="RESULTS", help="print the markdown table of a results file and exit")
    args = ap.parse_args(argv)
    if args.table:
        print(table(args.table))
        return None
    methods = args.methods.split(",")
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        ap.error(f"unknown methods {unknown}; choose from {list(METHODS)}")

    d = scipy.io.loadmat(REFERENCE)
    X, T = np.meshgrid(d["x"][:, 0], d["t"][:, 0], indexing="ij")
    grid, usol = np.stack([X.ravel(), T.ravel()], 1), d["usol"]
    seeds = [int(x) for x in args.seeds.split(",")] if args.seeds else [args.seed]
    by_seed = {}
    for seed in seeds:
        by_seed[seed], n_params = _one_seed(args, methods, seed, grid, usol)

    out = {
        "problem": "burgers (Raissi et al. setup), hard constraint, residual loss",
        "network": f"{args.depth} x {args.width} tanh, {n_params} parameters",
        "collocation": f"{args.n} Sobol points, fixed",
        "budget_s": args.budget,
        "slice_s": args.slice,
        "selection": "held-out residual (lowest wins; rel. L2 reported, not used to choose)",
        "seeds": {str(k): v for k, v in by_seed.items()},
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cpus",
        "jax": jax.__version__,
        "command": "PYTHONPATH=. .venv/bin/python benchmarks/optimisers.py " + " ".join(argv or sys.argv[1:]),
    }
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    fd, tmp_path = tempfile.mkstemp(dir=os.path.dirname(args.out) or ".", suffix=".json.tmp")
    with os.fdopen(fd, "w") as f:
        json.dump(out, f, indent=1)
    os.replace(tmp_path, args.out)  # atomic: a partial file never replaces the results
    return out


def _one_seed(args, methods, seed, grid, usol):
    """The whole protocol for one seed: network, points, shared Adam start, every method."""
    key = jr.PRNGKey(seed)
    net = MLP(2, 1, args.width, args.depth, embedding=Normalise(LOWER, UPPER), key=key)
    model = HardConstraint(net, transform)
    n_params = sum(x.size for x in jax.tree.leaves(model) if hasattr(x, "size"))
    points = Sobol().sample(args.n, LOWER, UPPER, key=jr.fold_in(key, 1))
    held_out_points = Sobol().sample(16_384, LOWER, UPPER, key=jr.fold_in(key, 2))

    def held_out(m):
        with jax.enable_x64(True):
            return float(eqx.filter_jit(_mean_square)(m, jnp.asarray(held_out_points, jnp.float64))[0])

    t0, c0 = time.perf_counter(), time.process_time()
    adam = train(loss_fn, model, points, steps=args.adam_steps, learning_rate=1e-3, log_every=args.log_every)
    warm = {"steps": adam.steps, "wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0,
            "loss": float(adam.history["total"][-1]), "rel_l2": rel_l2(adam.model, grid, usol)}
    print(f"seed {seed}: Adam {adam.steps} steps: loss {warm['loss']:.3e} rel_l2 {warm['rel_l2']:.3e} "
          f"({warm['wall_s']:.0f} s)", flush=True)

    # compile each method first (a short run; its time is recorded apart)
    phases, compile_s = {}, {}
    for name in methods:
        phases[name] = METHODS[name](10**6)
        tc = time.perf_counter()
        every = LOG_EVERY.get(name, args.log_every)
        train(loss_fn, adam.model, points, steps=0, second_phase=phases[name].replace(steps=every), log_every=every)
        compile_s[name] = time.perf_counter() - tc

    # interleaved rounds of `slice` seconds (each resumed from its checkpoint), so that changes
    # in the machine's load hit every method alike
    tmp = tempfile.mkdtemp(prefix="liepinn-optimisers-")
    wall = dict.fromkeys(methods, 0.0)
    cpu = dict.fromkeys(methods, 0.0)
    loads = {name: [] for name in methods}
    traces = {name: [] for name in methods}
    last = {}
    rounds = max(1, round(args.budget / args.slice))
    for _ in range(rounds):
        for name in methods:
            loads[name].append(os.getloadavg()[0])
            t0, c0 = time.perf_counter(), time.process_time()
            offset = wall[name]

            def callback(step, ph, m, terms, trace=traces[name], offset=offset, t0=t0):
                trace.append([int(step), round(offset + time.perf_counter() - t0, 3), float(terms["total"])])

            last[name] = train(loss_fn, adam.model, points, steps=0, second_phase=phases[name],
                               log_every=LOG_EVERY.get(name, args.log_every), max_time=args.slice, callback=callback,
                               checkpoint=os.path.join(tmp, f"{name}.eqx"))
            wall[name] += time.perf_counter() - t0
            cpu[name] += time.process_time() - c0

    results = {}
    for name in methods:
        r = last[name]
        with jax.enable_x64(True):
            loss = float(eqx.filter_jit(_mean_square)(r.model, jnp.asarray(points, jnp.float64))[0])
        traces[name].append([r.lbfgs_steps, round(wall[name], 3), loss])
        results[name] = {
            "phase": phases[name].replace(steps=0).to_json(), "iterations": r.lbfgs_steps, "wall_s": wall[name],
            "cpu_s": cpu[name], "compile_s": compile_s[name], "loss": loss, "held_out": held_out(r.model),
            "rel_l2": rel_l2(r.model, grid, usol), "load": loads[name], "trace": traces[name],
        }
        print(f"seed {seed}: {name:10s} {r.lbfgs_steps:6d} it  loss {loss:.3e}  held-out "
              f"{results[name]['held_out']:.3e}  rel_l2 {results[name]['rel_l2']:.3e}  wall {wall[name]:.0f} s  "
              f"cpu {cpu[name]:.0f} s  load {np.mean(loads[name]):.1f}", flush=True)
    shutil.rmtree(tmp, ignore_errors=True)
    return {"adam": warm, "results": results}, n_params


if __name__ == "__main__":
    main()
