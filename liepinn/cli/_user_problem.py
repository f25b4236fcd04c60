"""`FILE.py:NAME` on the command line: a problem defined in the user's own Python file.

This is the one place where liepinn runs user code: the file is imported as a module (as
`python FILE.py` would run it), and `NAME` (default `problem`) must be a `liepinn.Problem`,
which is registered under its name for the rest of the command.
"""

from __future__ import annotations

import importlib.util
import os
import sys


def is_file_problem(text: str) -> bool:
    path = text.rsplit(":", 1)[0] if ":" in text else text
    return path.endswith(".py")


def resolve_problem(text: str) -> str:
    """The problem name for PROBLEM: a name of `pdes/` unchanged, or `FILE.py[:NAME]` imported
    and registered (ValueError with the reason when that fails)."""
    if not is_file_problem(text):
        return text
    from ..problems import Problem, register_problem

    path, _, attr = text.partition(":") if text.count(":") == 1 else (text, "", "")
    attr = attr or "problem"
    if not os.path.isfile(path):
        raise ValueError(f"problem file {path!r} not found")
    name = "liepinn_user_problem_" + os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))  # the file's own imports
    try:
        spec.loader.exec_module(module)
    except Exception as e:  # noqa: BLE001 - the user's code: report, never a traceback
        raise ValueError(f"importing {path!r} failed: {type(e).__name__}: {e}") from None
    finally:
        sys.path.pop(0)
    problem = getattr(module, attr, None)
    if problem is None:
        found = [k for k, v in vars(module).items() if isinstance(v, Problem)]
        raise ValueError(f"{path!r} defines no {attr!r}" + (f"; its Problems: {', '.join(found)} "
                                                           f"(use {path}:{found[0]})" if found else ""))
    if not isinstance(problem, Problem):
        raise ValueError(f"{path}:{attr} is a {type(problem).__name__}, not a liepinn Problem")
    return register_problem(problem)
