"""Conserved-quantity loss: plain PINN vs `ConservedQuantity` vs the compute-matched plain PINN.

Problems: a KdV soliton u_t + 6 u u_x + u_xxx = 0, u = sech^2((x - t)/2)/2 on [-15, 15)
periodic, t in [0, 5] (laws: mass, Galilean, energy), and Burgers of `pdes/burgers.py`
(mass, with its boundary flux). Arms, each trained for several seeds (vmapped):

- `residual`: the plain PINN;
- `conserved`: + the drift of each conservation law at 16 times (`ConservedQuantity()`);
- `matched`: the plain PINN with the interior points multiplied by the conserved arm's extra
  points per step ((N + 16*64 + flux points) / N): a count of points, generous to the plain
  PINN since most quadrature points need only u, not its derivatives.

Metrics per seed: rel. L2 against the exact solution (KdV) or the data of Raissi et al.
(`burgers_shock.mat` when present, else a diffrax reference), and the conservation drift
max_j |d_j| / integral |T(u0)| dx of each law on 32 times and 256 quadrature nodes (finer
than in training), for every arm.

    .venv/bin/python examples/conserved_study.py --out examples/results/conserved_study

Resumable: each arm is one training directory under OUT; finished ones are reused.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np

SHARED_BURGERS = Path(__file__).resolve().parents[2] / "shared" / "reference" / "burgers_shock.mat"


def kdv_soliton():
    from liepinn.problems import Periodic, Problem, load_problem

    return Problem(name="kdv_soliton", pde=load_problem("kdv").pde, domain={"x": (-15, 15), "t": (0, 5)},
                   initial={"u": "sech(x/2)**2/2"}, boundary=Periodic(),
                   parameters={"lambda1": 6, "lambda2": 1}, exact={"u": "sech((x - t)/2)**2/2"},
                   description="KdV soliton of speed 1, lambda1 = 6, lambda2 = 1, periodic on [-15, 15)")


def main(argv=None) -> int:
    import jax

    from liepinn.losses import ConservedQuantity, NoScaling, Residual
    from liepinn.losses._conserved import N_FLUX
    from liepinn.problems import load_problem, register_problem
    from liepinn.runs import Recipe, RunSpec, load_run, train_run
    from liepinn.runs._assemble import is_float64

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="examples/results/conserved_study")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=1500, help="Adam steps (every arm)")
    ap.add_argument("--points", type=int, default=512, help="interior collocation points")
    ap.add_argument("--width", type=int, default=32)
    ap.add_argument("--depth", type=int, default=3)
    ap.add_argument("--problems", default="kdv_soliton,burgers")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    variant = ConservedQuantity()
    problems = {"kdv_soliton": kdv_soliton, "burgers": lambda: load_problem("burgers")}
    results = {}
    for name in args.problems.split(","):
        problem = problems[name]()
        register_problem(problem)
        loss = variant.interior_loss(problem)
        extra = variant.n_times * variant.n_quad + (2 * variant.n_times * N_FLUX if loss.flux is not None else 0)
        ratio = (args.points + extra) / args.points
        reference = str(SHARED_BURGERS) if name == "burgers" and SHARED_BURGERS.exists() else None
        probe = ConservedQuantity(n_times=32, n_quad=256, normaliser=NoScaling()).interior_loss(problem)
        arms = {"residual": (Residual(), args.points), "conserved": (variant, args.points),
                "matched": (Residual(), int(round(args.points * ratio)))}
        results[name] = {"laws": probe.describe()["conserved"]["laws"], "matched_ratio": ratio, "arms": {}}
        for arm, (loss_variant, n) in arms.items():
            recipe = Recipe(width=args.width, depth=args.depth, n_collocation=n, steps=args.steps,
                            second_phase=None, log_every=max(1, args.steps // 10))
            spec = RunSpec(problem=name, recipe=recipe, loss=loss_variant, seeds=tuple(range(args.seeds)),
                           reference=reference, eval_nx=256, eval_nt=101)
            directory = out / name / arm
            train_run(spec, directory, progress=False, plots=False, say=print)
            run = load_run(directory, problem=problem)
            drifts = []
            for k in range(args.seeds):
                model = run.model_for(k)
                with jax.enable_x64(is_float64(model)):
                    d = np.asarray(probe.drift(model), float)
                drifts.append((np.max(np.abs(d), axis=1) / probe.magnitude).tolist())
            m = run.metrics
            results[name]["arms"][arm] = {
                "n_collocation": n,
                "rel_l2": [s["rel_l2"] for s in m["per_seed"]],
                "drift": drifts,  # per seed, per law: max_j |d_j| / integral |T(u0)|
                "wall_time_s": m["wall_time_s"],
                "cpu_time_s": m.get("cpu_time_s"),
            }
            print(name, arm, "rel_l2", np.round(results[name]["arms"][arm]["rel_l2"], 4),
                  "drift", np.round(np.mean(drifts, axis=0), 4), flush=True)
    with open(out / "results.json", "w") as f:
        json.dump(results, f, indent=1)
    print(table(results))
    return 0


def _ms(v) -> str:
    v = np.asarray(v, float)
    return f"{np.mean(v):.3g} ± {np.std(v, ddof=1) if len(v) > 1 else 0:.2g}"


def table(results) -> str:
    """The markdown table of examples/README.md."""
    rows = ["| problem | arm | points | rel. L2 (mean ± std) | " + "drift (mean ± std over seeds) | wall s |",
            "|---|---|---:|---|---|---:|"]
    for name, r in results.items():
        labels = [f"T{law['law']} = {law['density']}" for law in r["laws"]]
        for arm, a in r["arms"].items():
            d = np.asarray(a["drift"])
            drift = "; ".join(f"{lab}: {_ms(d[:, i])}" for i, lab in enumerate(labels))
            rows.append(f"| {name} | {arm} | {a['n_collocation']} | {_ms(a['rel_l2'])} | {drift} | "
                        f"{a['wall_time_s']:.0f} |")
    return "\n".join(rows)


if __name__ == "__main__":
    os.environ.setdefault("LIEPINN_TYPECHECK", "0")
    raise SystemExit(main())
