"""The problem catalogue: modules in the `pdes` package and `pdes/data/symmetry-catalogue.json`.

Symbolic layer: importing this module never imports JAX (a problem module may, when loaded).
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import json
import pkgutil
from collections.abc import Mapping
from importlib import resources
from typing import Any

from ..symbolic._pde import PDE

_DATA_FILE = "symmetry-catalogue.json"
_NOT_ENTRIES = {"data", "catalogue"}


class UnknownEntryError(ValueError):
    """No catalogue entry of that name."""


@dataclasses.dataclass(frozen=True)
class CatalogueEntry:
    """One equation of the catalogue.

    - `name`: the name used on the command line (`liepinn symmetries NAME`).
    - `pde`: the `PDE`, parameters symbolic.
    - `literature`: ``dict(dimension, generators, superposition, reference[, infinite])`` or
      None; generators are ``{"xi": {var: expr}, "phi": {dep: expr}}`` with string expressions.
    - `problem`: the module's `problem` (domain, conditions, parameter values) if it has one.
    - `source`: where the entry is defined.
    """

    name: str
    pde: PDE
    literature: Mapping[str, Any] | None
    description: str = ""
    problem: Any = None
    source: str = ""

    def literature_generators(self) -> list:
        """The literature's generators as `Generator`s (empty if there is no literature)."""
        from ..symmetry import Generator

        if not self.literature:
            return []
        names = {s.name: s for s in self.pde.parameters}
        return [Generator.from_dict(g, self.pde.jet, names=names) for g in self.literature["generators"]]


def _package():
    return importlib.import_module("pdes")


def _module_names() -> list[str]:
    pkg = _package()
    return sorted(
        m.name for m in pkgutil.iter_modules(pkg.__path__)
        if not m.name.startswith("_") and m.name not in _NOT_ENTRIES and not m.ispkg
    )


@functools.lru_cache(maxsize=1)
def _json_entries() -> dict[str, dict]:
    text = resources.files("pdes").joinpath("data", _DATA_FILE).read_text(encoding="utf-8")
    return {e["name"]: e for e in json.loads(text)["entries"]}


def list_entries() -> list[str]:
    """Names of every catalogue entry (problem modules and the JSON catalogue), sorted."""
    return sorted(set(_module_names()) | set(_json_entries()))


def load_entry(name: str) -> CatalogueEntry:
    """The catalogue entry `name` (see `list_entries()`)."""
    if not isinstance(name, str) or not name.isidentifier():
        raise UnknownEntryError(f"unknown problem {name!r}: expected a name such as 'heat' or 'burgers'")
    if name in _module_names():
        module = importlib.import_module(f"pdes.{name}")
        pde = getattr(module, "pde", None)
        if not isinstance(pde, PDE):
            raise UnknownEntryError(f"pdes/{name}.py defines no `pde` (a liepinn PDE)")
        doc = (module.__doc__ or "").strip().splitlines()
        return CatalogueEntry(
            name=name,
            pde=pde,
            literature=getattr(module, "literature", None),
            description=doc[0] if doc else "",
            problem=getattr(module, "problem", None),
            source=f"pdes/{name}.py",
        )
    entries = _json_entries()
    if name in entries:
        e = entries[name]
        pde = PDE.from_text(e["pde"], independent=e["independent"], dependent=e["dependent"])
        literature = dict(
            dimension=e["dimension"],
            generators=e["generators"],
            superposition=bool(e.get("linear_homogeneous")),
            reference=e.get("reference", "symmetry-catalogue.json (polynomial-ansatz cross-check and literature)"),
        )
        return CatalogueEntry(name=name, pde=pde, literature=literature, description=e.get("description", ""),
                              source=f"pdes/data/{_DATA_FILE}")
    raise UnknownEntryError(
        f"unknown problem {name!r}; known problems: {', '.join(list_entries())}"
    )
