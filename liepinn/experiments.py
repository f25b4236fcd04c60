"""Sample-efficiency experiments: sweep specifications, a crash-safe result store, reports.

    sweep = Sweep(problems=("heat",), samples=(250, 500, 1000), seeds=3, steps=2000)
    outcome = run_sweep(sweep, "results/heat")          # resumable: skips stored runs
    report = write_report(outcome.records, "results/heat")   # report.md, CSVs, PNG plots
"""

from ._experiments._report import (
    Comparison as Comparison,
    Report as Report,
    Row as Row,
    compare_arms as compare_arms,
    summarise as summarise,
    write_report as write_report,
)
from ._experiments._spec import (
    MATCH_MODES as MATCH_MODES,
    SYMMETRY_VARIANTS as SYMMETRY_VARIANTS,
    VARIANTS as VARIANTS,
    RunConfig as RunConfig,
    Sweep as Sweep,
)
from ._experiments._store import (
    ResultStore as ResultStore,
    RunRecord as RunRecord,
    atomic_write_json as atomic_write_json,
)
from ._experiments._sweep import (
    Runner as Runner,
    SweepOutcome as SweepOutcome,
    group_configs as group_configs,
    run_sweep as run_sweep,
)

__all__ = [
    "Comparison", "MATCH_MODES", "Report", "ResultStore", "Row", "RunConfig", "RunRecord",
    "Runner", "SYMMETRY_VARIANTS", "Sweep", "SweepOutcome", "VARIANTS", "atomic_write_json",
    "compare_arms", "group_configs", "run_sweep", "summarise", "write_report",
]
