"""The README and the docs agree with the code, and stay inside the repository."""

import re
from pathlib import Path

import pytest

from liepinn.symbolic import KNOWN_FUNCTIONS

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", ROOT / "examples" / "README.md", ROOT / "benchmarks" / "README.md",
        *sorted((ROOT / "docs").rglob("*.md"))]


def known_functions_sentence() -> str:
    """The README's sentence, generated from the parser's table (aliases: 'log (or ln)')."""
    groups: dict = {}
    for name, f in KNOWN_FUNCTIONS.items():
        groups.setdefault(f, []).append(name)
    items = [names[0] + "".join(f" (or {a})" for a in names[1:]) for names in groups.values()]
    return "The known functions are " + ", ".join(items[:-1]) + " and " + items[-1]


def test_readme_lists_the_parsers_known_functions():
    text = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert known_functions_sentence() in text, known_functions_sentence()


def test_known_functions_parse():
    from liepinn import PDE

    for name in KNOWN_FUNCTIONS:
        PDE.from_text(f"u_t = {name}(u) + u_xx", independent="x,t", dependent="u")


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_docs_stay_inside_the_repository(path):
    text = path.read_text(encoding="utf-8")
    # markdown links and images to files: they exist, inside the repository
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        resolved = (path.parent / target.split("#")[0]).resolve()
        assert resolved.is_relative_to(ROOT), f"{path.name} links outside the repository: {target}"
        assert resolved.exists(), f"{path.name} links to a missing file: {target}"
    # paths written in the text that climb out of the repository
    for target in re.findall(r"(?:\.\./)+[\w./-]+", text):
        resolved = (path.parent / target).resolve()
        assert resolved.is_relative_to(ROOT), f"{path.name} refers outside the repository: {target}"


def test_licence_and_citation():
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert "the liepinn authors" in (ROOT / "LICENSE").read_text()
    cff = (ROOT / "CITATION.cff").read_text()
    assert "cff-version: 1.2.0" in cff and "license: MIT" in cff
    import tomllib

    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert meta["license"]["text"] == "MIT"
    assert f"version: {meta['version']}" in cff


def test_shipped_sources_refer_to_nothing_outside_the_repository():
    # the package, the problems and the docs are built into the documentation and the wheel
    files = [*ROOT.joinpath("liepinn").rglob("*.py"), *ROOT.joinpath("pdes").rglob("*.py"), *DOCS]
    bad = [str(f.relative_to(ROOT)) for f in files if re.search(r"\.\./(\.\./)*shared\b", f.read_text("utf-8"))]
    assert not bad, f"references to ../shared (not in the repository) in {bad}"
