"""Regenerate the tables of benchmarks/README.md (and the figures of README.md) from the raw results.

Every generated piece of markdown sits between marker comments, a block

    <!-- table:NAME -->
    ...
    <!-- /table -->

or an inline figure `<!-- value:NAME -->4.4e-4<!-- /value -->`. `NAME` is a key of `BLOCKS`
resp. `VALUES`; each renders from `benchmarks/results/*.json` only. Text outside the markers is
left alone, so the prose stays hand-written and the numbers cannot drift from their data.

Run:  python benchmarks/tables.py            # rewrite the markdown files in place
      python benchmarks/tables.py --check    # exit 1 (and print a diff) if they differ from the data
No JAX, no liepinn import: this is plain json and string formatting.
"""

from __future__ import annotations

import argparse
import difflib
import json
import math
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
FILES = (ROOT / "benchmarks" / "README.md", ROOT / "README.md")

BLOCK = re.compile(r"<!-- table:([\w-]+) -->\n(.*?)<!-- /table -->", re.S)
VALUE = re.compile(r"<!-- value:([\w-]+) -->(.*?)<!-- /value -->", re.S)
OPENERS = re.compile(r"<!-- (table|value):([\w-]*)")


class Results:
    """The raw result files, loaded on first use."""

    def __init__(self, directory: Path = RESULTS):
        self.directory = Path(directory)
        self._cache: dict[str, object] = {}

    def __getitem__(self, name: str):
        if name not in self._cache:
            path = self.directory / f"{name}.json"
            if not path.exists():
                raise FileNotFoundError(f"{path}: raw result file missing (a marker in the markdown needs it)")
            self._cache[name] = json.loads(path.read_text())
        return self._cache[name]


# -- number formats ---------------------------------------------------------------------------

def sci(v: float, digits: int = 1) -> str:
    """1.1e-9 rather than 1.1e-09."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    mant, exp = f"{v:.{digits}e}".split("e")
    return f"{mant}e{int(exp)}"


def fixed(v: float, digits: int = 2) -> str:
    return f"{v:.{digits}f}"


def minsec(s: float) -> str:
    m, s = divmod(int(s + 0.5), 60)
    return f"{m} min {s} s" if m else f"{s} s"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


# -- blocks -----------------------------------------------------------------------------------

def symmetries(r: Results) -> str:
    rows = []
    for e in r["symmetries"]["entries"]:
        dim = str(e["dimension"])
        if e["superposition"]:
            dim += " + superposition"
        if e["infinite"]:
            dim += f" + {e['infinite']} infinite famil{'y' if e['infinite'] == 1 else 'ies'}"
        rows.append([e["name"], dim, e["literature_dimension"], ", ".join(e["verification"]),
                     fixed(e["solve_s"]), fixed(e["canonical_verify_s"]), fixed(e["total_s"])])
    return table(["entry", "dim found", "literature", "verified", "solve (s)", "canonical + verify (s)",
                  "total (s)"], rows)


def symmetries_cli(r: Results) -> str:
    w = r["symmetries"]["cli_wall_s"]
    return ", ".join(f"{k} {v:.2f} s" for k, v in w.items())


def _laws(row: dict) -> str:
    return f"{row['found']}" + (" +F" if row["families"] else "")


def conservation_laws(r: Results) -> str:
    rows: dict[str, dict[int, dict]] = {}
    for row in r["conservation"]["rows"]:
        if row["kind"] == "conservation":
            rows.setdefault(row["name"], {})[row["order"]] = row
    out = []
    for name, by_order in rows.items():
        top = by_order[max(by_order)]
        out.append([name, " / ".join(_laws(by_order[k]) for k in sorted(by_order)),
                    fixed(top["seconds"]), fixed(top["cpu_seconds"])])
    orders = sorted({k for v in rows.values() for k in v})
    ks = " / ".join(str(k) for k in orders)
    return table(["entry", f"laws (k = {ks})", f"wall at k = {orders[-1]} (s)", f"CPU at k = {orders[-1]} (s)"], out)


def generalised_symmetries(r: Results) -> str:
    rows = [[row["name"], row["order"], row["found"], fixed(row["seconds"]), fixed(row["cpu_seconds"])]
            for row in r["conservation"]["rows"] if row["kind"] == "generalized"]
    return table(["entry", "k", "found", "wall (s)", "CPU (s)"], rows)


STEP_LABELS = {
    "a": "(a) plain nested grad + vmap",
    "b": "(b) liepinn residual",
    "c": "(c) + 5 generators, evolutionary",
    "d": "(d) + 5 generators, prolonged",
    "e": "(e) profile: order-2 derivative set",
    "f": "(f) profile: order-3 derivative set",
}


def step_cost(r: Results) -> str:
    d = r["step_cost"]
    rows = []
    for k, v in d["results"].items():
        ms = v["all_ms_per_step"]
        rows.append([STEP_LABELS.get(k, f"({k}) {v['name']}"), f"{v['ms_per_step']:.1f} ({min(ms):.0f}-{max(ms):.0f})"])
    ratios = []
    for name, value in d["ratios"].items():
        s = f"{name} = {value:.2f}"
        if name in d.get("targets", {}):
            target = d["targets"][name]
            s = f"**{s}** (target <= {target:g}: {'met' if value <= target else 'not met'})"
        ratios.append(s)
    s = d["setup"]
    return (table(["variant", "ms / step"], rows) + "\n\n"
            f"Median of {s['repeats']} repeats, min-max in brackets; jax {d['machine']['jax']}, "
            f"{d['machine']['cpu_count']} CPUs, strategy `{s['derivative_strategy']}`. "
            f"Ratios (one run): " + ", ".join(ratios) + ".")


def _method(e: dict) -> str:
    disc = e["discretisation"]
    parity = {(-1,): "odd ", (1,): "even "}.get(tuple(disc.get("parity") or ()), "")
    tried = [n for n in e["tried"] if n != e["resolution"]]
    s = f"{parity}{disc['kind'].capitalize()} n={disc['n']}"
    if tried:
        s += f" ({', '.join(map(str, tried))} tried)"
    return f"{s}, {e['solver']}, {e['steps']} steps"


def reference_cli(r: Results) -> str:
    rows = []
    for e in r["reference"]["cli"]:
        exact = e.get("rel_l2_vs_cole_hopf", e.get("rel_l2_vs_exact"))
        exact_s = "" if exact is None else sci(exact) + (" (Cole-Hopf)" if "rel_l2_vs_cole_hopf" in e else "")
        cmd = e["command"].split()
        grid = f"{cmd[cmd.index('--nx') + 1]} x {cmd[cmd.index('--nt') + 1]}"
        rows.append([e["problem"], grid, _method(e),
                     sci(e["rel_l2_vs_data"]) if "rel_l2_vs_data" in e else "", exact_s,
                     sci(e["acceptance"], 0), ", ".join(f"{w:.1f}" for w in e["wall_s"]),
                     ", ".join(f"{c:.1f}" for c in e["cpu_s"])])
    return table(["problem", "grid (nx x nt)", "method chosen", "rel. L2 vs data", "vs exact", "acceptance",
                  f"wall (s), {len(r['reference']['cli'][0]['wall_s'])} runs", "cpu (s)"], rows)


def reference_solvers(r: Results) -> str:
    rows = []
    for e in r["reference"]["solvers"]:
        err = e.get("rel_l2_vs_data", e.get("rel_l2_vs_exact"))
        disc = {"fourier": "Fourier", "chebyshev": "Chebyshev"}.get(e["discretisation"], e["discretisation"])
        if e["problem"] == "burgers" and e["discretisation"] == "fourier":
            disc = "odd " + disc
        rows.append([e["problem"], e["resolution"], f"{disc}, {e['solver']}", e["steps"], sci(err),
                     f"{e['wall_s']:.3g}" if e["wall_s"] >= 100 else f"{e['wall_s']:.1f}",
                     f"{e['cpu_s']:.3g}" if e["cpu_s"] >= 100 else f"{e['cpu_s']:.1f}"])
    return table(["problem", "n", "discretisation, solver", "steps", "rel. L2", "wall (s)", "cpu (s)"], rows)


def train_burgers(r: Results) -> str:
    d = r["train_burgers_cli"]
    rows = []
    for run in d.values():
        whole = run.get("command_wall_s_incl_reference_and_startup")
        cpu = f" ({run['cpu_time_s']:.0f} s CPU)" if "cpu_time_s" in run else ""
        rows.append([run["machine"], run.get("second_phase", "L-BFGS, 14,000 steps"), sci(run["rel_l2"]),
                     f"{run['wall_time_s']:.0f} s{cpu}", minsec(whole) if whole else "not recorded"])
    return table(["machine", "second phase", "rel. L2", "training wall time", "whole command"], rows)


def second_phase_runs(r: Results) -> str:
    """The recipe's Burgers run with L-BFGS against the self-scaled second phases."""
    rows = []
    for label, name in (("L-BFGS (the recipe; quiet machine)", "train_burgers_cli"),
                        ("SSBFGS", "train_burgers_ssbfgs"), ("SSBroyden", "train_burgers_ssbroyden")):
        run = r[name]["cpu"]
        second = run.get("second_phase_steps", run.get("lbfgs_steps"))
        rows.append([label, f"{run['adam_steps']} + {second:,}", f"{run['wall_time_s']:.0f}", f"{run['cpu_time_s']:.0f}",
                     sci(run["final_residual"]), sci(run.get("rel_l2_burgers_shock_mat", run["rel_l2"])),
                     f"`results/{name}.json`"])
    return table(["second phase", "steps (Adam + second)", "wall s", "CPU s", "final residual",
                  "rel. L2 on burgers_shock.mat", "raw file"], rows)


def burgers_selection(r: Results) -> str:
    """Burgers collocation arms (benchmarks/burgers_selection.py): held-out residual, not the error, chooses."""
    d = r["burgers_selection"]
    rows = []
    for key, e in d.items():
        if "arm" not in e:
            continue
        tr = {row["step"]: row for row in e["trace"]}
        points = e["recipe"]["n_collocation"]
        rad = "every 1000" if e["recipe"]["second_phase"].get("resample") else "at 500, 1000"
        ho = " / ".join(sci(tr[s]["held_out_residual"]) if s in tr else "-" for s in (3000, 4000, 5000))
        second = [row for row in e["trace"] if row["phase"] != "adam"]
        per = ((second[-1]["cpu_s"] - second[0]["cpu_s"]) / (second[-1]["step"] - second[0]["step"])
               if len(second) > 1 else math.nan)
        loads = [row["load1"] for row in e["trace"]]
        rows.append([f"{points:,}", rad, str(e["seed"]), f"{e['steps']:,}", sci(e["final_loss"]), ho,
                     sci(e["rel_l2"]), f"{e['cpu_s']:.0f} ({per:.2f})", f"{e['wall_s']:.0f}",
                     f"{min(loads):.1f}-{max(loads):.1f}"])
    return table(["points", "RAD", "seed", "steps", "final loss", "held-out residual at 3,000 / 4,000 / 5,000",
                  "rel. L2 (not used to choose)", "CPU s (per 2nd-phase step)", "wall s", "load average"], rows)


def burgers_gap(r: Results) -> str:
    """Training loss against the held-out residual of saved `liepinn train burgers` runs."""
    d = r["burgers_selection"]
    rows = []
    gaps = [e for key, e in d.items() if key.startswith("gap/")]
    for e in sorted(gaps, key=lambda e: (e["recipe"]["n_collocation"], e["seed"], -e["steps"][1])):
        load = e.get("load1")
        rows.append([f"{e['recipe']['n_collocation']:,}", str(e["seed"]), f"{e['steps'][0]:,} + {e['steps'][1]:,}",
                     sci(e["final_loss"]), sci(e["held_out_residual"]), sci(e["held_out_front"]),
                     sci(e["held_out_off_front"]), sci(e["rel_l2"]), f"{e['cpu_s']:.0f}", f"{e['wall_s']:.0f}",
                     f"{min(load):.1f}-{max(load):.1f}" if load else "not logged"])
    return table(["points", "seed", "steps (Adam + second)", "training loss", "held-out residual",
                  "at the front (abs(x) < 0.05)", "elsewhere", "rel. L2", "CPU s", "wall s", "load average"], rows)


def burgers_step_cost(r: Results) -> str:
    """Seconds per SSBroyden step of the Burgers recipe at each number of points (burgers_selection.py --cost)."""
    c = r["burgers_selection"]["cost"]
    rows = [[f"{int(n):,}", f"{e['cpu_s_per_step']:.3f}", f"{e['wall_s_per_step']:.3f}", f"{e['load1']:.1f}"]
            for n, e in c["sizes"].items()]
    return table(["points", "CPU s per step", "wall s per step", "load average"], rows)


def burgers_recipe_steps(r: Results) -> str:
    """What each choice of the Burgers recipe bought: one change per row against the row above."""
    cli, sel = r["train_burgers_cli"], r["burgers_selection"]
    seeds = sorted((e for k, e in sel.items() if k.startswith("gap/") and e["recipe"]["n_collocation"] == 8192
                    and e["steps"][1] == 4000), key=lambda e: e["seed"])
    errs = [e["rel_l2"] for e in seeds]
    gm = math.exp(sum(math.log(v) for v in errs) / len(errs))
    odd = r["train_burgers_odd"]["session_B"]
    rows = [
        ["L-BFGS(14,000), 4,096 points (the recipe until 2026-12-04)", "1",
         sci(cli["cpu"]["rel_l2"]), f"{cli['cpu']['cpu_time_s']:.0f}", "`train_burgers_cli.json` `cpu`"],
        ["second phase: SSBroyden(4,000) instead of L-BFGS", "1", sci(cli["cpu_ssbroyden"]["rel_l2"]),
         f"{cli['cpu_ssbroyden']['cpu_time_s']:.0f}", "`train_burgers_cli.json` `cpu_ssbroyden`"],
        ["collocation: 8,192 points instead of 4,096 (the recipe now)", str(len(seeds)),
         f"{sci(min(errs))} to {sci(max(errs))} (geometric mean {sci(gm)})",
         f"{min(e['cpu_s'] for e in seeds):.0f}-{max(e['cpu_s'] for e in seeds):.0f}",
         "`burgers_selection.json` `gap/b8k_s*`"],
        ["aside, on the L-BFGS recipe: the exactly odd network, same 570 s", "1",
         f"{sci(odd['odd']['rel_l2'])} against {sci(odd['plain']['rel_l2'])}",
         f"{odd['odd']['cpu_time_s']:.0f} against {odd['plain']['cpu_time_s']:.0f}", "`train_burgers_odd.json`"],
    ]
    return table(["change (against the row above)", "seeds", "rel. L2 on burgers_shock.mat", "CPU s", "raw"], rows)

def train_burgers_odd(r: Results) -> str:
    d = r["train_burgers_odd"]
    b, a = d["session_B"], d["session_A"]
    lb = b["load_average"]

    def row(session, network, run, load):
        steps = f"{run['steps_done']} + {run['lbfgs_steps_done']:,}"
        stop = ", stopped by `max_time`" if run["stopped"] == "max_time" else ", all steps"
        return [session, network, sci(run["rel_l2"]), f"{run['wall_time_s']:.0f} s ({run['cpu_time_s']:.0f} s){stop}",
                steps, load]

    la = lambda run: f"{run['load_average_start_end'][0]:.1f} to {run['load_average_start_end'][1]:.1f}"  # noqa: E731
    rows = [row("B: both commands at the same time", "plain (the recipe)", b["plain"],
                f"{lb['start']:.1f} at start, {lb['after_5_min']:.1f} after 5 min, {lb['end']:.1f} at end"),
            row("B", "exactly odd", b["odd"], "same"),
            row("A: one after the other", "plain", a["plain"], la(a["plain"])),
            row("A", "exactly odd, first implementation", a["odd_first_implementation"],
                la(a["odd_first_implementation"]))]
    return table(["session", "network", "rel. L2", "training wall time (CPU)", "steps (Adam + L-BFGS)",
                  "load average"], rows)


def vmap_seeds(r: Results) -> str:
    rows = []
    for name, label in (("vmap_seeds", "2-core machine"), ("vmap_seeds_devices2", "2-core machine, `--devices 2`"),
                        ("vmap_seeds_h100", "NVIDIA H100")):
        try:
            d = r[name]
        except FileNotFoundError:
            continue
        one = (f"{d['vmap_over_one_seed']:.2f}, {d['warm_vmap_over_one_seed']:.2f}" if name != "vmap_seeds_h100"
               else "see below")
        rows.append([f"{label}, jax {d['jax']}", one,
                     f"{d['sequential_over_vmap']:.2f}, {d['warm_sequential_over_vmap']:.2f}"])
    return table(["machine", "vmap / one seed (cold, warm)", "sequential / vmap (cold, warm)"], rows)


def vmap_seeds_h100(r: Results) -> str:
    d = r["vmap_seeds_h100"]
    return (f"On the H100 the warm vmapped program takes {d['warm_t_vmap_s']:.2f} s against "
            f"{d['warm_t_sequential_s']:.2f} s for the {d['seeds']} sequential runs, "
            f"{d['warm_t_vmap_s'] / (d['warm_t_sequential_s'] / d['seeds']):.1f}x one sequential run "
            f"({d['warm_t_sequential_s'] / d['seeds']:.2f} s); its measured \"one seed\" time "
            f"({d['warm_t_one_seed_s']:.1f} s warm) came first and includes the GPU's warm-up, so it is not used.")


def compare_resume(r: Results) -> str:
    d = r["compare_resume"]
    kills = d["kills_at_stored"]
    return (f"Measured on the 2-core machine: kills with {', '.join(map(str, kills[:-1]))} and {kills[-1]} of "
            f"{d['runs']} runs stored; afterwards both stores hold {'the same' if d['same_keys'] else 'DIFFERENT'} "
            f"{d['runs']} keys, {len(d['temporary_files_left']) or 'no'} temporary files, and "
            f"{d['runs_with_different_rel_l2']} runs with a different relative L2 error (largest difference "
            f"{d['max_abs_rel_l2_difference']}). The uninterrupted sweep took {d['uninterrupted_wall_s']:.0f} s.")


def rerun_stored(r: Results) -> str:
    rows = []
    for e in r["rerun_stored"]:
        for run in e["runs"]:
            rows.append([f"{e['liepinn']}", run["arm"], run["samples"], run["seed"], f"{run['stored']:.4g}",
                         repr(run["now"])])
    return table(["code", "arm", "samples", "seed", "stored rel. L2", "recomputed rel. L2"], rows)


def scale_out(r: Results) -> str:
    blocks = []
    for key, what in (("sleep", "Coordination only"), ("train", "Real training"), ("train_pin", "Real training, `--pin`")):
        d = r["scale_out"].get(key)
        if not d:
            continue
        rows = [[w["workers"], w["runs"], f"{w['wall_s']:.1f}", f"{w['runs_per_min']:.1f}", f"{w['ratio']:.2f}"]
                for w in d["workers"]]
        blocks.append(f"{what} (`{d['command']}`; {d['date']}, load average {d['load_start']:.1f} at start):\n\n"
                      + table(["workers", "runs stored", "wall (s)", "runs/min", "ratio"], rows))
    return "\n\n".join(blocks)


def optimisers(r: Results) -> str:
    """The table of `benchmarks/optimisers.py --table` (that script owns its layout)."""
    import importlib.util

    r["optimisers"]  # noqa: B018 (loaded here too, so a missing file is named like the others)

    spec = importlib.util.spec_from_file_location("_liepinn_bench_optimisers", ROOT / "benchmarks" / "optimisers.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # imports jax: the only block that does
    return module.table(r.directory / "optimisers.json")


def accuracy(r: Results) -> str:
    d = r["accuracy"]
    rows = []
    for name in d["order"]:
        lit = "; ".join(f"{sci(x['rel_l2'], 2)} ({x['key']})" for x in d["literature"].get(name, [])
                        if x["rel_l2"] is not None) or "none found"
        run = d["runs"].get(name)
        if run is None:
            rows.append([name, "not run", "", "", "", lit])
            continue
        method = f" {run['second_phase']}" if run.get("second_phase") else ""  # recorded since the default's change
        steps = f"{run['adam_steps']} + {run['lbfgs_steps']:,}{method}" + (" (cap)" if run["stopped"] == "max_time" else "")
        rows.append([name, f"**{sci(run['rel_l2'])}**", f"{run['training_wall_s']:.0f} ({run['training_cpu_s']:.0f})",
                     f"{run['command_wall_s']:.0f} ({run['command_cpu_s']:.0f})", steps, lit])
    return table(["problem", "rel. L2", "training wall s (CPU s)", "whole command wall s (CPU s)",
                  "steps (Adam + second phase)", "literature rel. L2"], rows)


def default_second_phase(r: Results) -> str:
    """`benchmarks/second_phase.py`: the default recipe's second phase on KdV, Allen-Cahn, NLS."""
    d = r["second_phase"]
    rows = [[x["problem"], x["method"] + (f" `{x['extra']}`" if x.get("extra") else ""), f"{x['max_time']:g}", f"{x['adam_steps']} + {x['second_phase_steps']:,}",
             f"{x['training_wall_s']:.0f} ({x['training_cpu_s']:.0f})",
             f"{x['load_average_before'][0]:.1f} / {x['load_average_after'][0]:.1f}", sci(x["final_loss"]),
             f"**{sci(x['held_out_residual'])}**", sci(x["rel_l2"]), ", ".join(sci(v) for v in x["rel_l2_by_time"])]
            for x in sorted(d["runs"], key=lambda x: (_problem_rank(x["problem"]), x["max_time"], x.get("extra", ""),
                                                      x["method"]))]
    return table(["problem", "second phase", "cap s", "steps (Adam + second)", "training wall s (CPU s)",
                  "load (1 min) before / after", "final loss", "held-out residual", "rel. L2 (not used to choose)",
                  "rel. L2 per quarter of t"], rows)


def _problem_rank(problem: str) -> int:
    """Rows in the order of the accuracy table."""
    order = ("burgers", "kdv", "allen_cahn", "nls")
    return order.index(problem) if problem in order else len(order)


def accuracy_literature(r: Results) -> str:
    d = r["accuracy"]
    rows = [[name, x["key"], sci(x["rel_l2"], 2) if x["rel_l2"] is not None else "none", x["model"],
             x["hardware"] or "not stated", x["differs"]]
            for name in d["order"] for x in d["literature"].get(name, [])]
    sources = sorted({(x["key"], x["source"]) for v in d["literature"].values() for x in v if x["key"] != "none"})
    return (table(["problem", "source", "rel. L2", "setup", "hardware", "differs from the row above"], rows)
            + "\n\n" + "; ".join(f"{k}: {s}" for k, s in sources) + ".")


def accuracy_commands(r: Results) -> str:
    d = r["accuracy"]
    lines = [d["runs"][n]["command"] for n in d["order"] if n in d["runs"]]
    machines = {json.dumps(d["runs"][n]["machine"], sort_keys=True) for n in d["order"] if n in d["runs"]}
    m = [json.loads(x) for x in machines]
    loads = [d["runs"][n]["load_average_after"][1] for n in d["order"] if n in d["runs"]]
    dates = sorted({d["runs"][n]["date"][:10] for n in d["order"] if n in d["runs"]})
    where = "; ".join(f"{x['platform']}, {x['cpus']} CPUs ({x['note']}), Python {x['python']}, jax {x['jax']}" for x in m)
    return ("```\n" + "\n".join(lines) + "\n```\n\n"
            f"Machine: {where}; {', '.join(dates)}; load average (5 min) after each run "
            f"{', '.join(f'{x:.1f}' for x in loads)}.")


def peers(r: Results) -> str:
    d = r["peers"]
    base = d["ms_per_step"]["liepinn"]["median"]
    budget = d.get("budget_s")
    rows = []
    for name in d.get("order", list(d["ms_per_step"])):
        s = d["ms_per_step"][name]
        acc = (d.get("budget") or {}).get(name)
        rows.append([d["libraries"][name], f"{s['median']:.1f} ({min(s['all']):.1f}-{max(s['all']):.1f})",
                     f"{base / s['median']:.2f}", f"{s['gflop_per_step']:.2f}", f"{100 * s['fraction_of_peak']:.1f} %",
                     f"{acc['steps']:,}" if acc else "", sci(acc["rel_l2"]) if acc else ""])
    header = ["library", "ms / step (min-max)", "liepinn / this", "GFLOP / step (XLA)", "of peak",
              f"steps in {budget:g} s" if budget else "steps", f"rel. L2 after {budget:g} s" if budget else "rel. L2"]
    bare = d.get("bare_products")
    bare_note = "" if bare is None else (
        f" Bare products of {bare['shape']} in the same rotation: " + ", ".join(
            f"{form} {b['gflops']:.1f} GFLOP/s ({100 * b['fraction_of_peak']:.0f} % of peak)"
            for form, b in bare["forms"].items()) + ".")
    return (table(header, rows) + "\n\n"
            f"{d['setup']}. {d['repeats']} interleaved repeats of {d['steps_per_repeat']} steps, median; "
            f"peak {d['peak_gflops']:.0f} GFLOP/s ({d['peak_how']}; {d['cpu']}); {d['machine']}; {d['date']}."
            + bare_note)


def gpu_per_point(r: Results) -> str:
    d = r["gpu_scaling_h200"]
    by = {(row["dtype"], row["n"]): row for row in d["per_point"]}
    rows = []
    for n in sorted({n for _, n in by}):
        cells = [f"{n:,}"]
        for dtype in ("float32", "float64"):
            row = by.get((dtype, n))
            cells += ["n/a"] * 3 if row is None else [
                f"{row['step_ms']:.2f}", f"{row['points_per_s'] / 1e6:.0f}", f"{row['temp_bytes'] / 2**20:,.0f}"]
        rows.append(cells)
    return table(["points", "float32 ms", "float32 M points/s", "float32 temporaries (MiB)",
                  "float64 ms", "float64 M points/s", "float64 temporaries (MiB)"], rows)


def gpu_per_point_summary(r: Results) -> str:
    s = r["gpu_scaling_h200"]["per_point_summary"]
    return (f"{s['float32']['temp_bytes_per_point'] / 1e3:.1f} kB per point in float32 and "
            f"{s['float64']['temp_bytes_per_point'] / 1e3:.1f} kB in float64")


def gpu_seeds(r: Results) -> str:
    d = r["gpu_scaling_h200"]
    rows = [[str(row["seeds"]), f"{row['warm_s']:.2f}", f"{row['seed_steps_per_s']:,.0f}",
             f"{row['throughput_over_one_seed']:.1f}x", f"{row['cold_s']:.1f}"] for row in d["seeds"]]
    return table(["seeds", "warm time (s)", "seed-steps per s", "throughput / one seed", "cold time (s)"], rows)


def train_burgers_h200(r: Results) -> str:
    d = r["train_burgers_h200"]
    rows = [[run["arm"], str(run["seed"]), sci(run["rel_l2"]), f"{run['wall_time_s']:.0f} s ({run['cpu_time_s']:.0f} s CPU)",
             f"{run['adam_steps']:,} + {run['second_phase_steps']:,}", sci(run["final_loss"]),
             run["code"].split(" ")[0]] for run in d["runs"]]
    return table(["second phase", "seed", "rel. L2", "training wall time", "steps (Adam + second phase)",
                  "final loss", "code"], rows)


BLOCKS: dict[str, Callable[[Results], str]] = {
    "symmetries": symmetries, "conservation_laws": conservation_laws,
    "generalised_symmetries": generalised_symmetries, "step_cost": step_cost, "reference_cli": reference_cli,
    "reference_solvers": reference_solvers, "train_burgers": train_burgers, "second_phase_runs": second_phase_runs, "train_burgers_odd": train_burgers_odd,
    "vmap_seeds": vmap_seeds, "vmap_seeds_h100": vmap_seeds_h100, "compare_resume": compare_resume,
    "rerun_stored": rerun_stored, "scale_out": scale_out, "optimisers": optimisers, "accuracy": accuracy,
    "accuracy_literature": accuracy_literature, "default_second_phase": default_second_phase, "accuracy_commands": accuracy_commands, "peers": peers,
    "gpu_per_point": gpu_per_point, "gpu_seeds": gpu_seeds, "train_burgers_h200": train_burgers_h200,
    "burgers_selection": burgers_selection, "burgers_recipe_steps": burgers_recipe_steps, "burgers_gap": burgers_gap, "burgers_step_cost": burgers_step_cost,
}


# -- inline figures ---------------------------------------------------------------------------

def _acc(r: Results, name: str) -> dict:
    return r["accuracy"]["runs"][name]


def _c_minus_f(v: dict) -> str:
    c, f = v["c"]["ms_per_step"], v["f"]["ms_per_step"]
    return f"{c - f:.0f} ms ({100 * (c - f) / c:.0f} % of c)"


VALUES: dict[str, Callable[[Results], str]] = {
    "symmetries_cli": symmetries_cli,
    "gpu_per_point_summary": gpu_per_point_summary,
    "burgers_recipe_rel_l2": lambda r: sci(r["train_burgers_cli"]["cpu_ssbroyden_8192"]["rel_l2"]),
    "burgers_recipe_train_s": lambda r: f"{r['train_burgers_cli']['cpu_ssbroyden_8192']['wall_time_s']:.0f} s",
    "burgers_recipe_cpu_s": lambda r: f"{r['train_burgers_cli']['cpu_ssbroyden_8192']['cpu_time_s']:.0f} s",
    "burgers_recipe_load": lambda r: "{:.1f}-{:.1f}".format(
        min(r["train_burgers_cli"]["cpu_ssbroyden_8192"]["load_average_1min"]),
        max(r["train_burgers_cli"]["cpu_ssbroyden_8192"]["load_average_1min"])),
    "burgers_4096_rel_l2": lambda r: sci(r["train_burgers_cli"]["cpu_ssbroyden"]["rel_l2"]),
    "burgers_4096_cpu_s": lambda r: f"{r['train_burgers_cli']['cpu_ssbroyden']['cpu_time_s']:.0f} s",
    "burgers_rel_l2": lambda r: sci(_acc(r, "burgers")["rel_l2"]),
    "burgers_accuracy_cap": lambda r: _acc(r, "burgers")["command"].split("--max-time ")[1].split()[0] + " s",
    "burgers_plain_train_s": lambda r: f"{r['train_burgers_odd']['session_B']['plain']['wall_time_s']:.0f} s",
    "burgers_odd_rel_l2": lambda r: sci(r["train_burgers_odd"]["session_B"]["odd"]["rel_l2"]),
    "burgers_plain_rel_l2": lambda r: sci(r["train_burgers_odd"]["session_B"]["plain"]["rel_l2"]),
    "step_cost_b_over_a": lambda r: f"{r['step_cost']['ratios']['b/a']:.2f}",
    "peers_liepinn_over_jinns": lambda r: f"{r['peers']['ratios']['liepinn/jinns']:.2f}",
    "peers_liepinn_over_deepxde": lambda r: f"{r['peers']['ratios']['liepinn/deepxde']:.2f}",
    "peers_liepinn_peak": lambda r: f"{100 * r['peers']['ms_per_step']['liepinn']['fraction_of_peak']:.0f} %",
    "peers_floor_over_jinns": lambda r: f"{r['peers']['ratios']['floor/jinns']:.2f}",
    "peers_liepinn_over_floor": lambda r: f"{r['peers']['ratios']['liepinn/floor']:.2f}",
    "peers_floor_peak": lambda r: f"{100 * r['peers']['ms_per_step']['floor']['fraction_of_peak']:.0f} %",
    "step_cost_d_over_b": lambda r: f"{r['step_cost']['ratios']['d/b']:.2f}",
    "step_cost_f_over_e": lambda r: f"{r['step_cost']['ratios']['f/e']:.2f}",
    "step_cost_c_minus_f": lambda r: _c_minus_f(r["step_cost"]["results"]),
}


# -- the rewriting ----------------------------------------------------------------------------

def regenerate(text: str, results: Results, *, where: str = "markdown") -> str:
    """`text` with every marked block and inline figure re-rendered from `results`."""
    opened = OPENERS.findall(text)
    closed = {"table": text.count("<!-- /table -->"), "value": text.count("<!-- /value -->")}
    for kind in ("table", "value"):
        n = sum(1 for k, _ in opened if k == kind)
        if n != closed[kind]:
            raise ValueError(f"{where}: {n} `<!-- {kind}:NAME -->` markers but {closed[kind]} "
                             f"`<!-- /{kind} -->`: every marker needs its closing comment")
    for kind, name in opened:
        known = BLOCKS if kind == "table" else VALUES
        if name not in known:
            raise ValueError(f"{where}: unknown {kind} marker {name!r}; known: {', '.join(sorted(known))}")

    def block(m: re.Match) -> str:
        return f"<!-- table:{m[1]} -->\n{BLOCKS[m[1]](results).strip()}\n<!-- /table -->"

    def value(m: re.Match) -> str:
        return f"<!-- value:{m[1]} -->{VALUES[m[1]](results)}<!-- /value -->"

    return VALUE.sub(value, BLOCK.sub(block, text))


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    shutil.copymode(path, tmp)
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--check", action="store_true", help="exit 1 if a file differs from what the data give")
    p.add_argument("--results", type=Path, default=RESULTS, help="directory of the raw result files")
    p.add_argument("files", nargs="*", type=Path, default=list(FILES), help="markdown files (default: both READMEs)")
    args = p.parse_args(argv)
    results = Results(args.results)
    stale = []
    for path in args.files:
        old = path.read_text()
        try:
            new = regenerate(old, results, where=str(path))
        except (ValueError, FileNotFoundError, KeyError) as e:
            print(f"tables.py: {path}: {e.__class__.__name__}: {e}", file=sys.stderr)
            return 2
        if new == old:
            continue
        if args.check:
            stale.append(path)
            sys.stdout.writelines(difflib.unified_diff(old.splitlines(True), new.splitlines(True),
                                                       f"{path} (as written)", f"{path} (from the data)"))
        else:
            _write_atomic(path, new)
            print(f"rewrote {path}")
    if stale:
        print(f"tables.py --check: {', '.join(map(str, stale))} differ from benchmarks/results; run "
              f"`python benchmarks/tables.py` to regenerate", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
