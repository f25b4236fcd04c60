"""Problems a sweep can name: the catalogue's (`pdes/`) and ones registered from Python.

A user-defined `Problem` passed to `Sweep(problems=[problem])` is registered under its name;
every run records a fingerprint of the problem's full description (`problem_id`), so a
changed definition under the same name never reuses stored results.
"""

from __future__ import annotations

import functools
import hashlib
import json
from typing import Any

_REGISTRY: dict[str, Any] = {}


def register_problem(problem) -> str:
    """Make `problem` (a `liepinn.problems.Problem`) available to sweeps by its name."""
    from ._problem import Problem

    if not isinstance(problem, Problem):
        raise TypeError(f"expected a liepinn Problem, got {type(problem).__name__}")
    old = _REGISTRY.get(problem.name)
    if old is not None and fingerprint(old) != fingerprint(problem):
        # a redefinition in the same session: the new one wins (runs are keyed by fingerprint)
        pass
    _REGISTRY[problem.name] = problem
    return problem.name


@functools.lru_cache(maxsize=64)
def _catalogue_problem(name: str):
    from ._catalogue import list_entries, load_entry

    try:
        entry = load_entry(name)
    except ValueError:
        entry = None
    if entry is None or entry.problem is None:
        with_problem = []
        for n in list_entries():
            try:
                if load_entry(n).problem is not None:
                    with_problem.append(n)
            except Exception:  # noqa: BLE001 - a broken entry must not hide the others
                continue
        what = "is not in the catalogue" if entry is None else "has no problem (domain, conditions) defined"
        raise ValueError(
            f"problem {name!r} {what}; problems available: {', '.join(with_problem) or 'none'}"
            "; for a problem of your own pass the Problem itself: fit(problem, ...), "
            "load_run(DIR, problem=problem), load_model(DIR, key, problem=problem), or "
            "FILE.py:NAME on the command line"
        )
    return entry.problem


def load_problem(name: str):
    """The `Problem` called `name`: registered from Python first, then the catalogue."""
    if not isinstance(name, str):
        raise TypeError(f"problem name must be a string, got {type(name).__name__}")
    if name in _REGISTRY:
        return _REGISTRY[name]
    return _catalogue_problem(name)


def fingerprint(problem) -> str:
    """SHA-256 (16 hex digits) of the problem's JSON description."""
    text = json.dumps(problem.describe(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def problem_id(name: str) -> str | None:
    """Fingerprint of the named problem, or None if no such problem is known."""
    if name in _REGISTRY:
        return fingerprint(_REGISTRY[name])
    from ._catalogue import load_entry

    try:
        entry = load_entry(name)
    except ValueError:
        return None
    return None if entry.problem is None else fingerprint(entry.problem)


def is_conditioned(problem) -> bool:
    """IC-conditioned: a family of initial conditions and no single one."""
    return problem.initial is None and problem.initial_family is not None
