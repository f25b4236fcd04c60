"""Sample-efficiency experiments: sweep specifications, a crash-safe result store, reports.

    sweep = Sweep(problems=("heat",), samples=(250, 500, 1000), seeds=3, steps=2000)
    outcome = run_sweep(sweep, "results/heat")          # resumable: skips stored runs
    report = write_report(outcome.records, "results/heat")   # report.md, CSVs, PNG plots
    run = load_model("results/heat", outcome.records[0])     # a stored run's trained model

`run_sweep` trains with `TrainRunner` (liepinn's losses and trainer, seeds vmapped) unless
given another runner: any callable mapping a group of `RunConfig`s (same config, different
seeds) to one dict of metrics per run (`rel_l2`, `wall_time_s`, `converged`, ...).
"""

from ._report import (
    Comparison as Comparison,
    Report as Report,
    Row as Row,
    SignificanceTest as SignificanceTest,
    WallMatch as WallMatch,
    compare_arms as compare_arms,
    run_diverged as run_diverged,
    significance as significance,
    summarise as summarise,
    wall_matches as wall_matches,
    write_report as write_report,
)
from ._spec import ComputeMatched as ComputeMatched
from ._spec import (
    MATCH_MODES as MATCH_MODES,
    SYMMETRY_VARIANTS as SYMMETRY_VARIANTS,
    VARIANTS as VARIANTS,
    RunConfig as RunConfig,
    Sweep as Sweep,
)
from ..problems._registry import register_problem as register_problem
from ._executors import LocalExecutor as LocalExecutor
from ._load import load_model as load_model
from ._executors import RayExecutor as RayExecutor
from ._status import store_status as store_status
from ._store import CorruptRunError as CorruptRunError
from ._store import (
    ResultStore as ResultStore,
    RunRecord as RunRecord,
    atomic_write_json as atomic_write_json,
)
from ._sweep import (
    Runner as Runner,
    SweepFailed as SweepFailed,
    SweepOutcome as SweepOutcome,
    enable_compilation_cache as enable_compilation_cache,
    group_configs as group_configs,
    run_sweep as run_sweep,
)
from ._runner import ConvergedBy as ConvergedBy
from ._runner import TrainRunner as TrainRunner
from ._runner import sweep_defaults as sweep_defaults

__all__ = [
    "Comparison", "ComputeMatched", "ConvergedBy", "CorruptRunError", "LocalExecutor", "RayExecutor",
    "SweepFailed", "store_status", "MATCH_MODES", "Report", "ResultStore", "Row", "RunConfig", "RunRecord",
    "Runner", "SYMMETRY_VARIANTS", "Sweep", "SweepOutcome", "VARIANTS", "atomic_write_json",
    "TrainRunner", "compare_arms", "enable_compilation_cache", "group_configs", "load_model", "register_problem",
    "run_diverged", "run_sweep", "summarise", "sweep_defaults", "write_report", "SignificanceTest", "WallMatch", "significance", "wall_matches",
]
