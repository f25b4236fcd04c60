"""`RunSpec`: everything that determines the numbers of one training run (and nothing else).

One spec type for `liepinn train`, `load_run`, sweeps and `liepinn compare`; `assemble(problem,
spec)` turns it into a loss, data, a network factory and an evaluator. It is frozen and
round-trips through JSON (`to_json` / `from_json`); `from_json` also reads the settings that
training directories stored before the spec existed (their `variant`, `generators`, `weight`
and `normaliser` strings become a `liepinn.losses` variant object).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..losses._variants import AbstractVariant, InitialBalance, Residual, variant_from_json, variant_from_name
from ._networks import AbstractNetwork, PeriodicMLP, network_from_json
from ._recipe import Recipe

CONSTRAINTS = ("hard", "soft")


def _check_int(name: str, v: Any, lo: int) -> None:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
        raise ValueError(f"{name} must be an int >= {lo}, got {v!r}")


@dataclasses.dataclass(frozen=True)
class RunSpec:
    """Everything that determines the numbers of one run (several seeds train vmapped).

    **Main arguments:**

    - `problem`: the name of a problem of `pdes/` or of one registered with
      `liepinn.problems.register_problem`; `problem_id`: its fingerprint (checked on load).
    - `recipe`: network size, collocation and optimiser settings (`liepinn.runs.Recipe`).
    - `loss`: the interior loss, a `liepinn.losses` variant: `Residual()`,
      `Symmetry(form=Evolutionary(), ...)`, `GPINN(...)` or your own `AbstractVariant`.
    - `seeds`: PRNG seeds (network initialisation and collocation points).

    **Other arguments:**

    - `constraints`: `"hard"` (the initial condition and Dirichlet data exact by construction)
      or `"soft"` (`n_initial` IC points, `n_boundary` points per end, weights `ic_weight`,
      `bc_weight`). Neumann conditions are always soft.
    - `network`: the architecture (`MLPNetwork()`, `PeriodicMLP(harmonics)`,
      `DeepONetNetwork(sensors, n_basis)`); None: `default_network(problem)`. Its width and
      depth are the recipe's.
    - `n_ics`, `n_test_ics`: problems with a family of initial conditions (the IC-conditioned
      DeepONet): training and test ICs.
    - `eval_nx`, `eval_nt`: the evaluation grid; `reference`: a .mat/.npz file instead.
    - `checkpoint_every`: steps between checkpoints (training directories).
    - `extra_lbfgs_rounds`: further L-BFGS rounds while a seed has not converged.
    """

    problem: str
    recipe: Recipe = dataclasses.field(default_factory=Recipe)
    loss: AbstractVariant = dataclasses.field(default_factory=Residual)
    seeds: tuple[int, ...] = (0,)
    constraints: str = "hard"
    n_initial: int = 128
    n_boundary: int = 64
    ic_weight: float = 1.0
    bc_weight: float = 1.0
    network: AbstractNetwork | None = None
    n_ics: int | None = None
    n_test_ics: int = 8
    eval_nx: int = 256
    eval_nt: int = 100
    reference: str | None = None
    checkpoint_every: int = 1000
    extra_lbfgs_rounds: int = 0
    problem_id: str | None = None

    def __post_init__(self):
        if not isinstance(self.problem, str) or not self.problem:
            raise ValueError(f"problem must be a non-empty name, got {self.problem!r}")
        if not isinstance(self.recipe, Recipe):
            raise TypeError(f"recipe must be a liepinn.runs.Recipe, got {type(self.recipe).__name__}")
        if not isinstance(self.loss, AbstractVariant):
            raise TypeError(f"loss must be a liepinn.losses variant (Residual(), Symmetry(...), GPINN(...)), "
                            f"got {self.loss!r}")
        if self.constraints not in CONSTRAINTS:
            raise ValueError(f"constraints must be 'hard' or 'soft'; got {self.constraints!r}")
        seeds = (self.seeds,) if isinstance(self.seeds, (int, np.integer)) else tuple(self.seeds)
        if not seeds or len(set(seeds)) != len(seeds) or any(
                isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 0 for s in seeds):
            raise ValueError(f"seeds must be distinct non-negative ints, got {list(seeds)}")
        object.__setattr__(self, "seeds", tuple(int(s) for s in seeds))
        if self.network is not None and not isinstance(self.network, AbstractNetwork):
            raise TypeError(f"network must be a liepinn.runs network (MLPNetwork(), PeriodicMLP(...), "
                            f"DeepONetNetwork(...)) or None, got {self.network!r}")
        for name, lo in (("n_initial", 1), ("n_boundary", 0), ("eval_nx", 2), ("eval_nt", 2),
                         ("checkpoint_every", 1), ("n_test_ics", 1), ("extra_lbfgs_rounds", 0)):
            _check_int(name, getattr(self, name), lo)
        if self.n_ics is not None:
            _check_int("n_ics", self.n_ics, 1)
        for name in ("ic_weight", "bc_weight"):
            v = getattr(self, name)
            if isinstance(v, bool) or not (isinstance(v, (int, float)) and math.isfinite(v) and v >= 0):
                raise ValueError(f"{name} must be a finite number >= 0, got {v!r}")

    def replace(self, **changes) -> RunSpec:
        return dataclasses.replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        d["recipe"] = self.recipe.to_json()
        d["loss"] = self.loss.to_json()
        d["network"] = None if self.network is None else self.network.to_json()
        d["seeds"] = list(self.seeds)
        return d

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> RunSpec:
        """A spec from `to_json`, or from the settings of an older training directory."""
        d = dict(d)
        if "loss" not in d and "variant" in d:  # the settings of training directories before RunSpec
            variant = d.pop("variant")
            generators, weight, normaliser = d.pop("generators", None), d.pop("weight", None), d.pop("normaliser", None)
            d["loss"] = variant_from_name(variant, weight=weight, generators=generators,
                                          normaliser=None if variant == Residual.name else (normaliser or InitialBalance.name))
            harmonics = d.pop("harmonics", 4)  # the periodic network's, used on periodic problems only
            d["network"] = None if harmonics == 4 else PeriodicMLP(harmonics=harmonics)
        elif "loss" in d:
            d["loss"] = variant_from_json(d["loss"])
        d["network"] = network_from_json(d.get("network"))
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"unknown run settings {unknown}")
        d["recipe"] = Recipe.from_json(d["recipe"])
        d["seeds"] = tuple(d.get("seeds", (0,)))
        return cls(**d)
