"""The package's layering, read from the source with `ast`.

Stages, upstream first::

    symbolic < symmetry < problems < derivatives < losses < nn < train < reference
             < runs < experiments < cli

A module may import from its own stage and from upstream stages only. Every import counts
for this check: module-level, function-level (lazy), relative, `from liepinn import NAME`
(resolved through `liepinn._EXPORTS`) and imports under `if TYPE_CHECKING:`. The top-level
`liepinn/__init__.py` re-exports everything lazily and is exempt.

Imports that run when a module is imported (module level, class bodies; not function bodies,
not `if TYPE_CHECKING:`) must form no cycle between modules of `liepinn/`.
"""

from __future__ import annotations

import ast
import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "liepinn"
STAGES = ("symbolic", "symmetry", "problems", "derivatives", "losses", "nn", "train",
          "reference", "runs", "experiments", "cli")
SYMBOLIC_STAGES = ("symbolic", "symmetry", "problems")

# Allowed upstream-pointing imports: (importing module, imported module) -> why. Keep tiny.
ALLOWED: dict[tuple[str, str], str] = {}

# Known violations awaiting a fix, per importing module (strict xfail: the fix is noticed).
PENDING: dict[str, str] = {}
# Known import cycles awaiting a fix: frozenset of modules -> why (tolerated; once one is fixed
# the test fails until its entry is removed).
PENDING_CYCLES: dict[frozenset[str], str] = {}


@dataclasses.dataclass(frozen=True)
class Import:
    """One `import` statement's target inside liepinn, where it is and when it runs."""

    source: str  # importing module, dotted
    target: str  # imported module, dotted
    path: str  # file relative to the repository root
    line: int
    eager: bool  # runs when `source` is imported


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES: dict[str, Path] = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _exports() -> dict[str, str]:
    """Public name -> defining module, read from the `if TYPE_CHECKING:` re-exports of
    `liepinn/__init__.py` (the one list of public names) without importing liepinn."""
    tree = ast.parse((PACKAGE / "__init__.py").read_text())
    out = {}
    for node in tree.body:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for stmt in node.body:
                if isinstance(stmt, ast.ImportFrom) and stmt.level == 1:
                    for alias in stmt.names:
                        out[alias.asname or alias.name] = f"liepinn.{stmt.module}"
    assert out, "liepinn/__init__.py re-exports nothing under `if TYPE_CHECKING:`"
    return out



def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


EXPORTS = _exports()


def _walk(node: ast.AST, eager: bool):
    """Yield (import node, eager) for every import under `node`."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            yield child, eager
        elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            yield from _walk(child, False)
        elif isinstance(child, ast.If) and _is_type_checking(child.test):
            for stmt in child.body:
                yield from _walk(ast.Module(body=[stmt], type_ignores=[]), False)
            for stmt in child.orelse:
                yield from _walk(ast.Module(body=[stmt], type_ignores=[]), eager)
        else:
            yield from _walk(child, eager)


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The liepinn modules that `node` (in `module`) imports."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "liepinn"]
    if node.level:
        base = module.split(".") if MODULES[module].name == "__init__.py" else module.split(".")[:-1]
        base = base[: len(base) - node.level + 1]
        parent = ".".join(base + ([node.module] if node.module else []))
    else:
        parent = node.module or ""
    if parent.split(".")[0] != "liepinn":
        return []
    out = []
    for alias in node.names:
        if f"{parent}.{alias.name}" in MODULES:  # a submodule: `from . import _jet`
            out.append(f"{parent}.{alias.name}")
        elif parent == "liepinn" and alias.name in EXPORTS:  # lazily re-exported name
            out.append(EXPORTS[alias.name])
        else:
            out.append(parent)
    return out


def imports() -> list[Import]:
    out = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        for node, eager in _walk(tree, True):
            for target in _targets(module, node):
                out.append(Import(module, target, str(path.relative_to(ROOT)), node.lineno, eager))
    return out


IMPORTS = imports()


def stage(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in STAGES else None


def downstream_imports(module: str, found: list[Import] = IMPORTS) -> list[Import]:
    """Imports by `module` from a stage after its own, minus `ALLOWED`."""
    own = stage(module)
    out = []
    for imp in found:
        theirs = stage(imp.target)
        if (imp.source == module and own is not None and theirs is not None
                and STAGES.index(theirs) > STAGES.index(own)
                and (imp.source, imp.target) not in ALLOWED):
            out.append(imp)
    return out


def cycles(found: list[Import] = IMPORTS) -> list[list[str]]:
    """Strongly connected components (size > 1, or a self-import) of the eager import graph."""
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for imp in found:
        if imp.eager and imp.target in graph and imp.source in graph:
            graph[imp.source].add(imp.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out = []

    def visit(v: str) -> None:  # Tarjan
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 or v in graph[v]:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _module_cases():
    cases = []
    for module in MODULES:
        marks = [pytest.mark.xfail(strict=True, reason=PENDING[module])] if module in PENDING else []
        cases.append(pytest.param(module, marks=marks, id=module))
    return cases


def test_the_scan_sees_the_package():
    assert {stage(m) for m in MODULES} - {None} == set(STAGES)
    assert set(PENDING) <= set(MODULES), "PENDING names a module that no longer exists"
    assert any(not imp.eager for imp in IMPORTS), "lazy imports are not seen"
    unresolved = [i for i in IMPORTS if i.target not in MODULES]
    assert not unresolved, f"imports that resolve to no module of liepinn/: {unresolved}"


def test_the_checks_catch_what_they_should():
    def imp(source, target, eager=True):
        return Import(source, target, "x.py", 1, eager)

    fake = [imp("liepinn.symbolic._pde", "liepinn.symmetry", eager=False),
            imp("liepinn.nn._networks", "liepinn.losses._lower"),
            imp("liepinn.losses._lower", "liepinn.nn._networks", eager=False),
            imp("liepinn.train._loop", "liepinn.train._bfgs"),
            imp("liepinn.train._bfgs", "liepinn.train"),
            imp("liepinn.train", "liepinn.train._loop")]
    assert [i.target for i in downstream_imports("liepinn.symbolic._pde", fake)] == ["liepinn.symmetry"]
    assert [i.target for i in downstream_imports("liepinn.losses._lower", fake)] == ["liepinn.nn._networks"]
    assert downstream_imports("liepinn.nn._networks", fake) == []
    assert cycles(fake) == [["liepinn.train", "liepinn.train._bfgs", "liepinn.train._loop"]]


@pytest.mark.parametrize("module", _module_cases())
def test_imports_only_from_upstream_stages(module):
    bad = downstream_imports(module)
    assert not bad, "imports from downstream stages:\n" + "\n".join(
        f"  {i.path}:{i.line}: {i.source} ({stage(i.source)}) imports {i.target} ({stage(i.target)})"
        for i in bad)


def test_no_import_cycles():
    found = {frozenset(c): c for c in cycles()}
    new = [c for k, c in found.items() if k not in PENDING_CYCLES]
    assert not new, "import cycles (module-level imports):\n" + "\n".join("  " + ", ".join(c) for c in new)
    fixed = [sorted(k) for k in PENDING_CYCLES if k not in found]
    assert not fixed, f"cycles fixed, remove them from PENDING_CYCLES: {fixed}"


def test_allowed_exceptions_are_still_needed():
    present = {(i.source, i.target) for i in IMPORTS}
    assert set(ALLOWED) <= present, f"stale ALLOWED entries: {set(ALLOWED) - present}"


def test_symbolic_layer_does_not_import_jax():
    """Importing every symbolic-stage module and doing symbolic work loads no JAX."""
    modules = sorted(m for m in MODULES if stage(m) in SYMBOLIC_STAGES)
    code = "\n".join([
        "import importlib, sys, liepinn",
        f"for m in {modules!r}: importlib.import_module(m)",
        "p = liepinn.PDE.from_text('u_t = u_xx', independent='x,t', dependent='u')",
        "alg = liepinn.symmetries(p)",
        "alg.to_json()",
        "liepinn.load_entry(liepinn.list_entries()[0])",
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('jax', 'jaxlib', 'equinox', 'optax')))",
    ])
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "[]"
