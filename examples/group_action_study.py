"""Using the symmetry group in operator training: augment and equivariant against plain arms.

The IC-conditioned physics-informed DeepONet (`liepinn.runs.assemble`) on heat_sines and
burgers_sines with 4, 16 and 64 training ICs. Arms (every one with the same recipe):

- `residual`: the plain PINN loss on the n training ICs;
- `evolutionary`: + the symmetry terms in evolutionary form (`Symmetry(form=Evolutionary())`);
- `augment`: + `copies` x n ICs g.u0 moved along the problem's default orbits
  (`Augment()`; data-free: residual and IC terms on them as on the originals);
- `equivariant`: + the consistency term ||G(g.u0)(g.z) - g.G(u0)(z)||^2 / gain (`Equivariant()`: the
  training IC's side held fixed for translations, boosts and shifts, both sides trained for
  u -> lambda u);
- `equivariant_noscale` (not in the default arms; `--arms`): the same without the amplitude
  scaling u -> lambda u (heat), whose held-fixed term fed back on itself with gain lambda;
- `extra_ics`: the plain loss on n (1 + copies) ICs of the training family: as many ICs as
  `augment` trains on, drawn from the family instead of the orbits (the honest competitor:
  ICs cost compute, not data);
- `matched`: the plain loss on n ICs with the Adam steps multiplied by the recorded training
  CPU time of the dearest of augment/equivariant over that of `residual` (compute-matched by
  recorded cost; the wall time follows the load of the shared machine, so CPU seconds are the
  recorded cost; the match achieved is reported).

Errors (rel. L2 on the evaluation grid, mean over test ICs, per seed): `in`: test ICs of the
training family; `ood`: the same ICs moved by admissible elements outside the family (Burgers:
a Galilean boost, mean |eps| in [0.5, 1]; heat: a constant shift of that size or an amplitude
scaling by [2, 3]), against the diffrax reference on the moved IC; `train`: the training ICs.

    .venv/bin/python examples/group_action_study.py [--quick] [--problems burgers_sines --n-ics 16]

Resumable: each (problem, n, arm) is one JSON file under OUT; finished ones are reused (a
different budget goes in a different OUT), except one trained with another equivariance term
than today's (`stale`): the command stops and names it. Results: OUT/results.json and OUT/table.md.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from pathlib import Path

import numpy as np

ARMS = ("residual", "evolutionary", "augment", "equivariant", "extra_ics", "matched", "equivariant_noscale")


def spec_for(problem: str, arm: str, n: int, args, steps: int | None = None):
    from liepinn.losses import Augment, Equivariant, Evolutionary, Residual, Symmetry
    from liepinn.runs import DeepONetNetwork, Recipe, RunSpec
    from liepinn.train import LBFGS

    second = LBFGS(steps=args.lbfgs_steps, memory=20, dtype="float64") if args.lbfgs_steps else None
    recipe = Recipe(width=args.width, depth=args.depth, n_collocation=args.points, steps=steps or args.steps,
                    learning_rate=1e-3, second_phase=second, log_every=max(1, (steps or args.steps) // 10))
    loss = {"residual": Residual(), "evolutionary": Symmetry(form=Evolutionary()),
            "augment": Augment(copies=args.copies), "equivariant": Equivariant(copies=args.copies),
            "extra_ics": Residual(), "matched": Residual(),
            "equivariant_noscale": Equivariant(orbits=_without_scaling(problem), copies=args.copies)}[arm]
    n_ics = n * (1 + args.copies) if arm == "extra_ics" else n
    return RunSpec(problem, recipe=recipe, loss=loss, seeds=tuple(range(args.seeds)), constraints="soft",
                   n_initial=64, n_boundary=0, n_ics=n_ics, n_test_ics=args.test_ics,
                   network=DeepONetNetwork(sensors=64, n_basis=32), eval_nx=args.eval_nx, eval_nt=args.eval_nt)


def _without_scaling(problem):
    """The default orbits without u -> lambda u (whose consistency term feeds back on itself with gain lambda)."""
    from liepinn.losses import Scaling, default_orbits
    from liepinn.problems import load_problem

    return tuple(o for o in default_orbits(load_problem(problem)) if not isinstance(o, Scaling))


def run_arm(spec, references, n_train_eval: int) -> dict:
    """Train the spec's seeds vmapped; evaluate in and out of distribution."""
    import jax
    import jax.random as jr

    from liepinn.runs._assemble import assemble, index_seed, is_float64
    from liepinn.train import train_seeds

    t0 = time.perf_counter()
    asm = assemble(None, spec)
    cpu0 = time.process_time()
    res = train_seeds(asm.loss_fn, asm.make_model, asm.data, keys=[jr.PRNGKey(s) for s in spec.seeds],
                      **spec.recipe.train_options(), progress=False)
    cpu = time.process_time() - cpu0
    n = len(spec.seeds)

    def model_for(k):
        return index_seed(res.model, k)

    with jax.enable_x64(is_float64(res.model)):
        errors, fields = asm.evaluate(model_for, n, references)
    total = np.asarray(res.history["total"], float).reshape(n, -1)[:, -1]
    diverged = [not math.isfinite(float(t)) for t in total]
    terms = {k: [float(v) for v in np.asarray(res.history[k], float).reshape(n, -1)[:, -1]] for k in res.history.names
             if k != "grad_norm"}
    return {
        "in": [float(e) for e in errors],
        "ood": [f.get("ood", math.nan) for f in fields],
        "train": [f["train_ics"] for f in fields],
        "ood_moves": fields[0].get("ood_moves", []),
        "diverged": diverged,
        "final_total_loss": [float(t) for t in total],
        "final_terms": terms,  # each loss term's last logged value, per seed
        **({"term": spec.loss.term(asm.problem)} if hasattr(spec.loss, "term") else {}),
        "wall_time_s": float(res.wall_time),
        "cpu_time_s": cpu,
        "elapsed_s": time.perf_counter() - t0,
        "steps": int(res.steps), "lbfgs_steps": int(res.lbfgs_steps),
        "n_ics_trained": int(asm.data["branch"].shape[0]),
        "spec": spec.to_json(),
    }


def stale(stored: dict, problem: str) -> str | None:
    """Why a stored arm was trained with another loss than today's code builds from its own
    spec (None: it was not): the `Equivariant` term, which side of each orbit's term is
    trained (`Equivariant.term`). An arm stored before this was recorded held every side fixed."""
    from liepinn.losses import Equivariant
    from liepinn.losses._variants import variant_from_json
    from liepinn.problems import load_problem

    loss = variant_from_json(stored["spec"]["loss"])
    if not isinstance(loss, Equivariant):
        return None
    now = loss.term(load_problem(problem))
    was = stored.get("term") or {label: "training side held fixed" for label in now}
    if was == now:
        return None
    return f"trained with {was}, today's term is {now}"


def _welch(a, b) -> float:
    """Two-sided p-value of the project's comparison (`liepinn.experiments.significance`):
    Welch on log10 errors, or Mann-Whitney with a diverged seed ranked worst."""
    from liepinn.experiments import significance

    return significance(a, b)[1]


def failed_seeds(r: dict) -> list[bool]:
    """Per seed, whether it diverged (`liepinn.experiments.run_diverged`): a non-finite final loss
    or error in distribution, on the training ICs or (where recorded) out of distribution."""
    from liepinn.experiments import run_diverged

    names = ["final_total_loss", "in", "train"] + (["ood"] if r.get("ood_moves") else [])
    return [run_diverged({m: r[m][k] for m in names}) for k in range(len(r["in"]))]


def errors(r: dict, metric: str) -> np.ndarray:
    """Per seed, the arm's `metric`, nan for a diverged seed (`failed_seeds`): left out of means,
    ranked worst by the significance test."""
    return np.where(failed_seeds(r), np.nan, np.asarray(r[metric], float))


def _ratio(r: dict, b: dict, metric: str) -> str:
    """Mean error of arm `r` over that of `b` (seeds that did not diverge), with the test's p."""
    e, f = errors(r, metric), errors(b, metric)
    ratio = np.nanmean(e) / np.nanmean(f) if np.isfinite(e).any() and np.isfinite(f).any() else math.nan
    return f"{ratio:.2f} (p={_welch(e, f):.2g})"


def comparisons(results: dict) -> str:
    """augment / equivariant against each plain arm: ratio of mean errors and Welch p, in and
    out of distribution (the issue's target: OOD ratio <= 0.5 at p < 0.01, in-distribution not worse)."""
    lines = ["| problem | n ICs | arm | against | OOD ratio (p) | in-distribution ratio (p) |",
             "|---|---|---|---|---|---|"]
    for key, arms in results.items():
        problem, n = key.rsplit("/n", 1)
        for arm in ("augment", "equivariant"):
            for base in ("residual", "matched", "extra_ics"):
                if arm not in arms or base not in arms:
                    continue
                r, b = arms[arm], arms[base]
                cells = [_ratio(r, b, m) for m in ("ood", "in")]
                lines.append(f"| {problem} | {n} | {arm} | {base} | {cells[0]} | {cells[1]} |")
    return "\n".join(lines)


def table(results: dict) -> str:
    lines = ["Mean ± std over the seeds that did not diverge; a diverged seed (a non-finite loss or error, "
             "in or out of distribution or on the training ICs) is counted in 'diverged' and ranked worst "
             "by the tests (Mann-Whitney instead of Welch).", "",
             "| problem | n ICs | arm | in-distribution | OOD | training ICs | diverged | train wall s (CPU s) | vs residual OOD (p) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for key, arms in results.items():
        problem, n = key.rsplit("/n", 1)
        base = arms.get("residual")
        for arm in ARMS:
            r = arms.get(arm)
            if r is None:
                continue

            def ms(metric):  # over the seeds that did not diverge
                v = errors(r, metric)
                v = v[np.isfinite(v)]
                return "n/a" if not len(v) else f"{np.mean(v):.3g} ± {np.std(v, ddof=1) if len(v) > 1 else 0:.2g}"

            p = "" if base is None or arm == "residual" else f"x{_ratio(r, base, 'ood')}"
            extra = f" ({r['steps']} Adam)" if arm == "matched" else ""
            lines.append(f"| {problem} | {n} | {arm}{extra} | {ms('in')} | {ms('ood')} | {ms('train')} | "
                         f"{sum(failed_seeds(r))}/{len(r['in'])} | {r['wall_time_s']:.0f} ({r['cpu_time_s']:.0f}) | {p} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    from liepinn.runs._assemble import References

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=None, help="default: examples/results/group_action_study[_quick]")
    ap.add_argument("--problems", default="heat_sines,burgers_sines")
    ap.add_argument("--n-ics", default="4,16,64", help="training ICs (comma-separated)")
    ap.add_argument("--arms", default=",".join(ARMS[:6]))
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--steps", type=int, default=2000, help="Adam steps (every arm but matched)")
    ap.add_argument("--lbfgs-steps", type=int, default=0)
    ap.add_argument("--points", type=int, default=512, help="interior collocation points")
    ap.add_argument("--width", type=int, default=64)
    ap.add_argument("--depth", type=int, default=3)
    ap.add_argument("--copies", type=int, default=1, help="augment / equivariant: moved ICs per training IC")
    ap.add_argument("--test-ics", type=int, default=8)
    ap.add_argument("--eval-nx", type=int, default=128)
    ap.add_argument("--eval-nt", type=int, default=50)
    ap.add_argument("--report", action="store_true", help="only tabulate the arms already stored (train nothing)")
    ap.add_argument("--quick", action="store_true",
                    help="a small budget to check the pipeline: 32 x 2 network, 256 points, 300 Adam steps, "
                         "2 seeds, 4 test ICs, 16 training ICs of burgers_sines unless given")
    args = ap.parse_args(argv)
    if args.quick:
        given = set(argv if argv is not None else __import__("sys").argv[1:])
        args.width, args.depth, args.points, args.steps = 32, 2, 256, 300
        args.test_ics, args.eval_nx, args.eval_nt = 4, 64, 25
        if "--seeds" not in given:
            args.seeds = 2
        if "--problems" not in given:
            args.problems = "burgers_sines"
        if "--n-ics" not in given:
            args.n_ics = "16"
    out = Path(args.out or ("examples/results/group_action_study" + ("_quick" if args.quick else "")))
    out.mkdir(parents=True, exist_ok=True)
    refs = References(out / "references")
    arms = [a for a in ARMS if a in args.arms.split(",")]
    results: dict = {}
    for problem in args.problems.split(","):
        for n in (int(s) for s in args.n_ics.split(",")):
            key = f"{problem}/n{n}"
            results[key] = {}
            if args.report and not (out / problem / f"n{n}").exists():
                del results[key]
                continue
            for arm in arms:
                path = out / problem / f"n{n}" / f"{arm}.json"
                if path.exists():
                    with open(path) as f:
                        stored = json.load(f)
                    why = stale(stored, problem)
                    if why:  # never report or reuse it as today's arm
                        raise SystemExit(f"{path}: stale, {why}; delete it to retrain (or keep it under another --out)")
                    results[key][arm] = stored
                    continue
                if args.report:
                    continue
                steps = None
                if arm == "matched":
                    done = results[key]
                    # the recorded cost is the CPU time of training: on this shared machine the
                    # wall time follows the load of other jobs (it varied 2x between arms)
                    group = [done[a]["cpu_time_s"] for a in ("augment", "equivariant") if a in done]
                    if "residual" not in done or not group:
                        print(f"{key} matched: needs residual and augment/equivariant first; skipped", flush=True)
                        continue
                    ratio = max(group) / done["residual"]["cpu_time_s"]
                    steps = int(round(args.steps * ratio))
                spec = spec_for(problem, arm, n, args, steps)
                print(f"{key} {arm}: training {args.seeds} seeds ...", flush=True)
                r = run_arm(spec, refs, n)
                if arm == "matched":
                    r["match"] = {"target_cpu_time_s": max(group), "ratio_steps": steps / args.steps,
                                  "achieved_cpu_ratio": r["cpu_time_s"] / max(group)}
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(f".tmp{os.getpid()}")
                with open(tmp, "w") as f:
                    json.dump(r, f, indent=1)
                os.replace(tmp, path)
                results[key][arm] = r
                print(f"{key} {arm}: in {np.mean(r['in']):.3g}  ood {np.mean(r['ood']):.3g}  "
                      f"train {np.mean(r['train']):.3g}  wall {r['wall_time_s']:.0f} s", flush=True)
    settings = {k: getattr(args, k) for k in ("seeds", "steps", "lbfgs_steps", "points", "width", "depth", "copies",
                                               "test_ics", "eval_nx", "eval_nt", "quick")}
    if args.report:  # the settings the stored arms were trained with, not this command's defaults
        stored = [r["spec"] for arms_ in results.values() for a, r in arms_.items() if a == "residual"]
        if stored:
            sp_, rc = stored[0], stored[0]["recipe"]
            settings = {"seeds": len(sp_["seeds"]), "steps": rc.get("steps"), "points": rc.get("n_collocation"),
                        "width": rc.get("width"), "depth": rc.get("depth"), "test_ics": sp_["n_test_ics"],
                        "eval_nx": sp_["eval_nx"], "eval_nt": sp_["eval_nt"], "from": "the stored residual arm"}
    with open(out / "results.json", "w") as f:
        json.dump({"settings": settings, "load_average": os.getloadavg(), "results": results}, f, indent=1)
    text = table(results) + "\n\n" + comparisons(results)
    with open(out / "table.md", "w") as f:
        f.write(f"settings: {json.dumps(settings)}\n\n{text}\n")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
