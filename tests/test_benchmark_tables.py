"""benchmarks/tables.py: the markdown tables are what the raw result files give."""

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _tables():
    spec = importlib.util.spec_from_file_location("_benchmark_tables", ROOT / "benchmarks" / "tables.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tables = _tables()


def test_readmes_match_the_results(capsys):
    """`python benchmarks/tables.py --check` on both READMEs: every generated block is current."""
    assert tables.main(["--check"]) == 0, capsys.readouterr().out[-3000:]


def test_every_result_file_is_used():
    """Each raw file of benchmarks/results feeds some block (else its table went missing)."""
    text = "".join(p.read_text() for p in tables.FILES)
    results = tables.Results()
    used = set()
    for kind, name in tables.OPENERS.findall(text):
        (tables.BLOCKS if kind == "table" else tables.VALUES)[name](results)
        used |= set(results._cache)
    files = {p.stem for p in tables.RESULTS.glob("*.json")}
    unused = sorted(files - used)
    assert not unused, (f"benchmarks/results/{{{','.join(unused)}}}.json feed no table: add a block to "
                        "BLOCKS in benchmarks/tables.py and its marker to benchmarks/README.md")


def _step_cost_results(tmp_path, ms_b):
    d = json.loads((tables.RESULTS / "step_cost.json").read_text())
    d["results"]["b"]["ms_per_step"] = ms_b
    d["ratios"]["b/a"] = ms_b / d["results"]["a"]["ms_per_step"]
    (tmp_path / "step_cost.json").write_text(json.dumps(d))
    return tmp_path


def test_check_fails_on_drift_and_the_rewrite_fixes_it(tmp_path, capsys):
    md = tmp_path / "doc.md"
    md.write_text("Intro.\n\n<!-- table:step_cost -->\n| stale | table |\n<!-- /table -->\n\n"
                  "b/a is <!-- value:step_cost_b_over_a -->9.99<!-- /value --> here.\n")
    results = _step_cost_results(tmp_path, 12.5)
    assert tables.main(["--check", "--results", str(results), str(md)]) == 1
    assert "differ from benchmarks/results" in capsys.readouterr().err
    assert tables.main(["--results", str(results), str(md)]) == 0
    text = md.read_text()
    assert "| (b) liepinn residual | 12.5 (" in text and "| stale |" not in text
    a = json.loads((results / "step_cost.json").read_text())["results"]["a"]["ms_per_step"]
    assert f"b/a is <!-- value:step_cost_b_over_a -->{12.5 / a:.2f}<!-- /value --> here." in text
    assert text.startswith("Intro.\n\n")
    assert tables.main(["--check", "--results", str(results), str(md)]) == 0


@pytest.mark.parametrize("text, message", [
    ("<!-- table:no_such_table -->\nx\n<!-- /table -->\n", "unknown table marker 'no_such_table'"),
    ("<!-- table:step_cost -->\nx\n", "every marker needs its closing comment"),
    ("<!-- value:step_cost_b_over_a -->1.0\n", "every marker needs its closing comment"),
])
def test_bad_markers_are_one_line_errors(tmp_path, capsys, text, message):
    md = tmp_path / "doc.md"
    md.write_text(text)
    assert tables.main(["--check", str(md)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_missing_result_file_is_named(tmp_path, capsys):
    md = tmp_path / "doc.md"
    md.write_text("<!-- table:step_cost -->\n<!-- /table -->\n")
    assert tables.main(["--check", "--results", str(tmp_path), str(md)]) == 2
    assert "step_cost.json: raw result file missing" in capsys.readouterr().err


def test_sci_format():
    assert tables.sci(1.1239e-9) == "1.1e-9"
    assert tables.sci(6.7e-4, 2) == "6.70e-4"
    assert tables.sci(1e-6, 0) == "1e-6"
