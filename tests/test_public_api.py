"""The public API: every name of `liepinn.__all__` is statically importable (an explicit
`from .module import name as name` under `if TYPE_CHECKING:`, which pyright and mypy read) and
resolves at run time to the same object; symbolic work does not import JAX."""

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import liepinn


def _static_imports() -> dict[str, tuple[str, str]]:
    tree = ast.parse(Path(liepinn.__file__).read_text())
    out = {}
    for node in tree.body:
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for stmt in node.body:
                assert isinstance(stmt, ast.ImportFrom), ast.dump(stmt)
                for alias in stmt.names:
                    assert alias.asname == alias.name, f"re-export {alias.name} with the explicit `as` idiom"
                    out[alias.name] = ("liepinn" + "." * (stmt.level > 0) + (stmt.module or ""), alias.name)
    return out


def test_every_public_name_is_statically_imported_and_resolves():
    static = _static_imports()
    assert sorted(static) == liepinn.__all__
    for name, (module, attr) in static.items():
        assert getattr(liepinn, name) is getattr(importlib.import_module(module), attr), name


def test_subpackages_declare_what_they_export():
    for stage in ("symbolic", "symmetry", "problems", "derivatives", "losses", "nn", "train", "reference",
                  "runs", "experiments"):
        mod = importlib.import_module(f"liepinn.{stage}")
        assert mod.__all__, stage
        for name in mod.__all__:
            assert hasattr(mod, name), f"liepinn.{stage}.{name}"


def test_symbolic_work_does_not_import_jax():
    code = ("import sys, liepinn; a = liepinn.symmetries(liepinn.PDE.from_text('u_t = u_xx', independent='x,t', "
            "dependent='u')); liepinn.Problem; print(len(a.basis), 'jax' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["6", "False"]
