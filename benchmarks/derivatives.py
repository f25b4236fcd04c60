"""Which derivative strategy is fastest for a PINN's needs?

Setup (Raissi et al.'s Burgers PINN): MLP 2 -> 4 x 50 tanh -> 1, float32, N = 10,000 points in
[-1, 1] x [0, 1] seen through a `Box`, everything inside `jax.jit`. Two derivative sets:

- order 2 (residual u_t + u u_x - nu u_xx): u, u_x, u_t, u_xx;
- order 3 (residual and its total derivatives D_x, D_t, as the evolutionary symmetry terms
  need): u, u_x, u_t, u_xx, u_xt, u_tt, u_xxx, u_xxt.

Two timings per strategy and set: `values` (the derivatives alone) and `value_and_grad` (the
mean of their squares differentiated w.r.t. the network parameters: what a training step pays).
Median over repeats, milliseconds per call.

Besides the three public strategies, two Taylor variants answer design questions:
`Taylor/one-box` computes the order-3 set from a single nested stream jet_t^2(jet_x^3) instead
of the planned jvp_t(jet_x^3) + jet_t^2; `Taylor/pointwise` applies the jets to one point at a
time under vmap instead of to the batched model.

Run:  PYTHONPATH=. .venv/bin/python benchmarks/derivatives.py [--n 10000] [--repeats 7] [--json out.json]

Results on this project's CPU machine (2 shared cores; jax 0.10.2): recorded in `RESULTS`
below and in the module docstring of `liepinn/derivatives/_strategies.py`.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time

import equinox as eqx
import jax
import jax.numpy as jnp

from liepinn.derivatives import Box, Forward, MultiTaylor, NestedReverse, Taylor, derivatives
from liepinn.derivatives._strategies import _leq, _join

ORDER2 = ((0, 0), (1, 0), (0, 1), (2, 0))
ORDER3 = ((0, 0), (1, 0), (0, 1), (2, 0), (1, 1), (0, 2), (3, 0), (2, 1))

# One run of this script (--repeats 11), 2 CPU cores shared with other jobs (load ~10), so
# wall times are inflated; process CPU time and XLA's GFLOP estimate are the comparable columns.
RESULTS = """
set    strategy         | values: wall ms (min)  cpu ms  GFLOP | value_and_grad: wall ms (min)  cpu ms  GFLOP    GB
order2 NestedReverse    |        59.1 (  39.4)     18.9   0.65 |               455.5 ( 386.2)    151.1   3.54  0.89
order2 Forward          |        71.1 (  52.7)     23.2   0.65 |               363.2 ( 294.6)    115.5   2.60  0.67
order2 Taylor           |       129.0 ( 104.2)     42.2   1.13 |               512.6 ( 420.3)    161.5   3.08  0.77
order2 Taylor/one-box   |       125.0 ( 114.9)     40.1   0.98 |               442.2 ( 357.6)    139.2   2.62  0.66
order2 Taylor/pointwise |        83.5 (  72.8)     29.5   1.13 |               861.2 ( 745.2)    273.2   3.24  1.13
order2 MultiTaylor      |        64.9 (  42.8)     22.2   0.64 |               254.7 ( 220.5)     79.8   1.94  0.44
order3 NestedReverse    |       181.8 ( 151.2)     59.3   1.52 |              1584.1 (1524.9)    516.3  12.34  3.54
order3 Forward          |       189.3 ( 144.0)     63.8   1.38 |               991.5 ( 917.8)    318.8   7.88  2.27
order3 Taylor           |       402.4 ( 365.3)    125.5   2.55 |              1260.0 (1155.6)    394.4   7.17  2.08
order3 Taylor/one-box   |       419.9 ( 376.6)    130.0   2.34 |              1206.6 (1102.8)    379.7   6.46  2.06
order3 Taylor/pointwise |       260.6 ( 196.7)     76.0   2.55 |              2766.3 (2572.6)    883.0   8.03  3.33
order3 MultiTaylor      |       186.9 ( 127.7)     57.0   1.34 |               489.7 ( 464.0)    160.4   4.06  1.05

Findings: MultiTaylor is the fastest for what training pays (value_and_grad): 0.53x
NestedReverse at order 2 and 0.31x at order 3 (CPU time; 0.55x and 0.33x in GFLOP). For the
values alone all but jet are alike (XLA's CSE merges the nested reverse passes). jet is slower
than plain jvps (zero series of the weights instantiated); one box beats two for jet at order 3
by a little in GFLOP but not in time; jet per point under vmap doubles the gradient's cost.
"""


class _OneBoxTaylor(Taylor):
    """Taylor with all requested multi-indices in one box (the join of all of them)."""

    def _corners(self, wanted):
        corner = tuple(0 for _ in next(iter(wanted)))
        for alpha in wanted:
            corner = _join(corner, alpha)
        return (corner,)


class _PointwiseTaylor(Taylor):
    """Taylor applied per point (shape (1, p)) and vmapped over the batch."""

    def evaluate(self, model, z, requests):
        one = lambda zi: Taylor.evaluate(self, model, zi[None], requests)
        return {k: v[:, 0] for k, v in jax.vmap(one)(z).items()}


STRATEGIES = {
    "NestedReverse": NestedReverse(),
    "Forward": Forward(),
    "Taylor": Taylor(),
    "Taylor/one-box": _OneBoxTaylor(),
    "Taylor/pointwise": _PointwiseTaylor(),
    "MultiTaylor": MultiTaylor(fallback=None),
}


def _time_interleaved(fns: dict, args, rounds: int):
    """Time compiled functions in turns (one call each per round), so that a change in the
    machine's load during the run hits all of them alike. Returns wall-clock and process CPU
    times (ms; CPU time sums XLA's threads and is less sensitive to other processes)."""
    for fn in fns.values():
        jax.block_until_ready(fn(*args))
    times = {name: [] for name in fns}
    cpu = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            t0, c0 = time.perf_counter(), time.process_time()
            jax.block_until_ready(fn(*args))
            times[name].append(1e3 * (time.perf_counter() - t0))
            cpu[name].append(1e3 * (time.process_time() - c0))
    return times, cpu


def _cost(compiled) -> tuple[float, float]:
    """XLA's static estimate: GFLOP and GB accessed per call (independent of the load)."""
    ca = compiled.cost_analysis()
    ca = ca[0] if isinstance(ca, list) else ca
    return ca.get("flops", float("nan")) / 1e9, ca.get("bytes accessed", float("nan")) / 1e9


def run(n: int = 10_000, repeats: int = 7, names=None, sets=None) -> list[dict]:
    key_model, key_x = jax.random.split(jax.random.PRNGKey(0))
    model = eqx.nn.MLP(2, "scalar", 50, 4, activation=jnp.tanh, key=key_model)
    params, static = eqx.partition(model, eqx.is_array)
    box = Box([-1.0, 0.0], [1.0, 1.0])
    points = box.from_unit(jax.random.uniform(key_x, (n, 2), minval=-1.0, maxval=1.0))
    rows = []
    for set_name, alphas in (sets or {"order2": ORDER2, "order3": ORDER3}).items():
        requests = [(0, alpha) for alpha in alphas]
        fns, costs = {}, {}
        for name in names or STRATEGIES:
            strategy = STRATEGIES[name]

            def values(params, points, strategy=strategy):
                model = eqx.combine(params, static)
                return derivatives(model, points, requests, strategy=strategy, scaling=box)

            def loss(params, points, strategy=strategy):
                d = values(params, points, strategy)
                return sum(jnp.mean(v**2) for v in d.values())

            for mode, fn in (("values", values), ("value_and_grad", jax.value_and_grad(loss))):
                compiled = jax.jit(fn).lower(params, points).compile()
                fns[(name, mode)] = compiled
                costs[(name, mode)] = _cost(compiled)
        times, cpu = _time_interleaved(fns, (params, points), repeats)
        for name in names or STRATEGIES:
            row = {"set": set_name, "strategy": name}
            for mode in ("values", "value_and_grad"):
                row[f"{mode}_ms"] = statistics.median(times[(name, mode)])
                row[f"{mode}_min_ms"] = min(times[(name, mode)])
                row[f"{mode}_cpu_ms"] = statistics.median(cpu[(name, mode)])
                row[f"{mode}_gflop"], row[f"{mode}_gb"] = costs[(name, mode)]
            rows.append(row)
    print(f"{'set':6s} {'strategy':16s} | {'values: wall ms (min)':>21s} {'cpu ms':>7s} {'GFLOP':>6s}"
          f" | {'value_and_grad: wall ms (min)':>29s} {'cpu ms':>7s} {'GFLOP':>6s} {'GB':>5s}")
    for r in rows:
        print(
            f"{r['set']:6s} {r['strategy']:16s} | {r['values_ms']:11.1f} ({r['values_min_ms']:6.1f})"
            f" {r['values_cpu_ms']:8.1f} {r['values_gflop']:6.2f} | {r['value_and_grad_ms']:19.1f}"
            f" ({r['value_and_grad_min_ms']:6.1f}) {r['value_and_grad_cpu_ms']:8.1f}"
            f" {r['value_and_grad_gflop']:6.2f} {r['value_and_grad_gb']:5.2f}"
        )
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--strategies", nargs="*", default=None, choices=list(STRATEGIES))
    parser.add_argument("--json", default=None, help="write the table to this JSON file")
    args = parser.parse_args()
    rows = run(args.n, args.repeats, args.strategies)
    machine = {
        "jax": jax.__version__,
        "backend": jax.default_backend(),
        "devices": [str(d) for d in jax.devices()],
        "cpu": platform.processor() or platform.machine(),
        "n": args.n,
        "repeats": args.repeats,
    }
    print("machine:", machine)
    for set_name in dict.fromkeys(r["set"] for r in rows):
        best = min((r for r in rows if r["set"] == set_name), key=lambda r: r["value_and_grad_ms"])
        print(f"fastest for {set_name} (value_and_grad): {best['strategy']}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": machine, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
