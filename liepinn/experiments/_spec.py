"""Sweep specifications: a typed grid of training runs, each with a reproducible key.

A `Sweep` is the product problems x samples (x training initial conditions) x variants x
seeds x symmetry weights x normalisers; `Sweep.expand()` lists its `RunConfig`s. Everything
that can change a run's numbers is a field of `RunConfig`, so the SHA-256 of its canonical
JSON (`RunConfig.key`) identifies the run: a sweep rerun on the same results directory skips
every key already stored.

Variants (all share learning rate, steps, network, points and everything else):

- `residual`: plain PINN, residual + initial/boundary terms.
- `prolonged`: + one term per generator, ||pr v(Delta)[u_theta]||^2 (order n).
- `evolutionary`: + one term per generator, ||L_Delta[Q][u_theta]||^2 (order n + 1).
- `gpinn`: + ||D_i Delta[u_theta]||^2 for every independent variable (no generator weights).
- `matched`: plain PINN given the extra compute that `match_to` costs, as more collocation
  points (`match="points"`) or more Adam steps (`match="steps"`), scaled by a RECORDED cost
  ratio (never a live clock, so reruns give the same runs): the ratio of the derivative
  values per point that the two variants' losses need (Taylor coefficients of the derivative
  plan, `cost="derivatives"`), or a number given by the user (e.g. a step-cost ratio from
  `benchmarks/step_cost.py`). A loss with points of its own (`conserved`: its quadrature)
  states its cost per step through a `step_cost(n)` hook (`liepinn.runs._cost.step_cost`);
  its ratio then depends on the sample count.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..losses._conserved import ConservedQuantity
from ..losses._variants import (
    GPINN,
    Evolutionary,
    InitialBalance,
    AbstractVariant,
    Residual,
    Symmetry,
    form_names,
    normaliser_names,
    variant_from_json,
    variant_from_name,
    variant_names,
)

# the compute-matched arm: a plain PINN given the compute of another arm (a sweep-level arm,
# not a loss: its runs train `Residual()` with more points or steps)
MATCHED = "matched"


@dataclass(frozen=True)
class ComputeMatched:
    """The compute-matched arm as an object: a plain PINN given `to`'s extra compute as more
    collocation points (`match="points"`) or Adam steps (`match="steps"`), by the recorded
    cost ratio (`cost="derivatives"`: Taylor coefficients per point of the two losses'
    derivative plans; or a number >= 1). `Sweep(variants=(..., "matched"))` is this arm with
    the sweep's `match`, `match_to` and `cost`."""

    match: str = "points"
    to: str = Evolutionary.name
    cost: str | float = "derivatives"

    def __post_init__(self):
        if self.match not in MATCH_MODES:
            raise ValueError(f"match must be one of {list(MATCH_MODES)}, got {self.match!r}")
        if self.to not in MATCH_TARGETS:
            raise ValueError(f"to must be one of {list(MATCH_TARGETS)}, got {self.to!r}")
        if isinstance(self.cost, str) and self.cost != "derivatives" or (
                not isinstance(self.cost, str) and not float(self.cost) >= 1):
            raise ValueError(f"cost must be 'derivatives' or a number >= 1, got {self.cost!r}")
VARIANTS: tuple[str, ...] = variant_names() + (MATCHED,)
SYMMETRY_VARIANTS: tuple[str, ...] = form_names()
# variants whose loss has an extra term scaled by `weight`
WEIGHTED_VARIANTS: tuple[str, ...] = SYMMETRY_VARIANTS + (GPINN.name,)
# variants the compute-matched arm can be matched to (their loss has a recorded cost)
MATCH_TARGETS: tuple[str, ...] = WEIGHTED_VARIANTS + (ConservedQuantity.name,)
MATCH_MODES: tuple[str, ...] = ("points", "steps")
NORMALISERS: tuple[str, ...] = normaliser_names()

# Settings of a run besides the grid axes, with their defaults. Every run records all of them
# (defaults included), so a later change of a default never reuses stored runs. Adding a key
# here changes every run key (stored results would no longer be found): extend with care.
DEFAULT_OPTIONS: dict[str, Any] = {
    # evaluation grid (reference or exact solution): nx x nt. Coarser than a single run's
    # (`RunSpec`: 256 x 100) because a sweep evaluates hundreds of runs, and recorded in every
    # run key, so changing it would orphan every stored sweep
    "eval_nx": 128,
    "eval_nt": 65,
    "n_test_ics": 8,  # IC-conditioned problems: test initial conditions (fixed, shared)
    "sensors": 64,  # DeepONet branch sensors (fixed uniform grid)
    "n_basis": 32,  # DeepONet basis size
    "ic_weight": 1.0,  # weights of the initial and boundary loss terms
    "bc_weight": 1.0,
    "harmonics": 4,  # periodic embedding: harmonics of the exact periodic input features
    "log_every": 100,
    "lbfgs_float64": True,  # L-BFGS phase in float64
    # until a plateau: up to this many further L-BFGS rounds of `lbfgs_steps` each, while any
    # seed of the group has not converged: the trainer's Plateau criterion on the whole loss
    # history, or its residual on fixed held-out points improved by < 1 % in the last round
    "extra_lbfgs_rounds": 0,
}


def _check_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r} ({type(value).__name__})")
    return value


def _check_float(name: str, value: Any, *, positive: bool = False, nonneg: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r} ({type(value).__name__})")
    if positive and value <= 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    if nonneg and value < 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    return float(value)


def _tuple(name: str, value: Any) -> tuple:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ValueError(f"{name} must be a sequence, got {value!r} ({type(value).__name__})")
    out = tuple(value)
    if not out:
        raise ValueError(f"{name} must not be empty")
    if len(set(out)) != len(out):
        raise ValueError(f"{name} has repeated entries: {list(out)}")
    return out


@dataclass(frozen=True)
class RunConfig:
    """Everything that determines one training run (and nothing that does not).

    `samples` is the nominal number of interior collocation points (the x-axis of the sample
    efficiency plots); `n_collocation` and `steps` are what the run actually uses (they differ
    from the nominal values only in the compute-matched arm, which records how they were
    obtained in `match`, `matched_to`, `cost_model` and `cost_ratio`).
    """

    problem: str
    samples: int
    n_collocation: int
    variant: str
    seed: int
    steps: int
    lbfgs_steps: int
    lr: float
    n_ics: int | None = None
    weight: float | None = None
    normaliser: str | None = None
    generators: str = "all"
    network: str = "auto"
    width: int = 32
    depth: int = 3
    n_initial: int = 128
    n_boundary: int = 64
    sampler: str = "sobol"
    float64: bool = False
    match: str | None = None
    matched_to: str | None = None
    cost_model: str | None = None
    cost_ratio: float | None = None
    problem_id: str | None = None
    options: tuple[tuple[str, Any], ...] = ()
    # the fields of a variant defined outside liepinn (`AbstractVariant.to_json` minus its
    # name); empty for the built-in ones, and then left out of the record and the key
    variant_options: tuple[tuple[str, Any], ...] = ()

    def option(self, name: str) -> Any:
        """A setting of `options` (DEFAULT_OPTIONS fills what the run does not record)."""
        return dict(self.options).get(name, DEFAULT_OPTIONS.get(name))

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["options"] = {k: v for k, v in self.options}
        if self.variant_options:
            d["variant_options"] = {k: v for k, v in self.variant_options}
        else:
            d.pop("variant_options")
        return d

    def loss(self) -> AbstractVariant:
        """The run's interior loss (`residual` for the compute-matched arm)."""
        if self.variant == MATCHED:
            return Residual()
        if self.variant_options:
            return variant_from_json({"variant": self.variant, **dict(self.variant_options)})
        return variant_from_name(self.variant, weight=self.weight, normaliser=self.normaliser,
                                 generators=self.generators)

    def spec(self):
        """The `liepinn.runs.RunSpec` this sweep record trains (soft initial/boundary terms, the
        network size and optimiser of the record; one seed)."""
        from ..problems import is_conditioned, load_problem
        from ..runs import DeepONetNetwork, MLPNetwork, PeriodicMLP, Recipe, RunSpec
        from ..train import LBFGS

        o = self.option
        kind = self.network
        if kind == "auto":
            problem = load_problem(self.problem)
            kind = "deeponet" if is_conditioned(problem) else ("mlp-periodic" if problem.periodic else "mlp")
        networks = {"mlp": lambda: MLPNetwork(), "mlp-periodic": lambda: PeriodicMLP(harmonics=int(o("harmonics"))),
                    "deeponet": lambda: DeepONetNetwork(sensors=int(o("sensors")), n_basis=int(o("n_basis")),
                                                        harmonics=int(o("harmonics")))}
        if kind not in networks:
            raise ValueError(f"network must be auto, {', '.join(networks)}; got {self.network!r}")
        second = None if self.lbfgs_steps == 0 else LBFGS(
            steps=self.lbfgs_steps, memory=20, dtype="float64" if o("lbfgs_float64") else None)
        recipe = Recipe(width=self.width, depth=self.depth, n_collocation=self.n_collocation,
                        sampler=self.sampler, steps=self.steps, learning_rate=self.lr, decay=0.1,
                        second_phase=second, adam_float64=bool(self.float64), log_every=int(o("log_every")))
        return RunSpec(problem=self.problem, problem_id=self.problem_id, recipe=recipe, loss=self.loss(),
                       seeds=(self.seed,), constraints="soft", n_initial=self.n_initial,
                       n_boundary=self.n_boundary, ic_weight=float(o("ic_weight")), bc_weight=float(o("bc_weight")),
                       network=networks[kind](), n_ics=self.n_ics, n_test_ics=int(o("n_test_ics")), eval_nx=int(o("eval_nx")),
                       eval_nt=int(o("eval_nt")), extra_lbfgs_rounds=int(o("extra_lbfgs_rounds")))

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RunConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"unknown RunConfig fields {unknown}")
        d = dict(d)
        d["options"] = tuple(sorted(dict(d.get("options") or {}).items()))
        d["variant_options"] = tuple(sorted(_tuples(dict(d.get("variant_options") or {})).items()))
        return cls(**d)

    @property
    def key(self) -> str:
        """Hex SHA-256 (first 20 digits) of the canonical JSON of the config."""
        return _hash(self.to_dict())

    @property
    def group(self) -> str:
        """Key of the config without its seed: runs that train together, vmapped over seeds."""
        d = self.to_dict()
        d.pop("seed")
        return _hash(d)

    @property
    def label(self) -> str:
        """Short human label of the arm (variant and, where they apply, weight and normaliser)."""
        parts = [self.variant]
        parts += [f"{k}={v}" for k, v in self.variant_options]
        if self.variant == MATCHED:
            parts.append(f"{self.match} x{self.cost_ratio:.3g} of {self.matched_to}")
        if self.weight is not None:
            parts.append(f"w={self.weight:g}")
        if self.normaliser is not None:
            parts.append(f"norm={self.normaliser}")
        if self.generators != "all" and self.variant in SYMMETRY_VARIANTS:
            parts.append(f"gens={self.generators}")
        return parts[0] if len(parts) == 1 else f"{parts[0]} ({', '.join(parts[1:])})"


def _tuples(d: dict[str, Any]) -> dict[str, Any]:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}


def _hash(d: Mapping[str, Any]) -> str:
    text = json.dumps(d, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


CostFn = Callable[[str, str, str], float]
"""cost_fn(problem, variant, generators) -> cost of one step's derivatives, in any unit."""


@dataclass(frozen=True)
class Sweep:
    r"""A grid of runs: problems x samples x n_ics x variants x weights x normalisers x seeds.

    **Main arguments:**

    - `problems`: problem names (entries of `pdes/`, or names a custom runner knows).
    - `samples`: numbers of interior collocation points.
    - `variants`: a subset of `VARIANTS`.
    - `seeds`: a number n (seeds 0..n-1) or explicit seeds.

    **Other arguments:**

    - `n_ics`: numbers of training initial conditions (IC-conditioned problems only; `(None,)`
      otherwise).
    - `weights`: weights of the extra terms (symmetry variants and gpinn).
    - `normalisers`: scaling of the extra terms (symmetry variants and gpinn): "coefficients"
      (the losses' rule: divide by the largest coefficient on the domain; for gpinn the rule
      applied to d/dx^i, i.e. multiply D_i Delta by the domain length), "initial" (each extra
      term equals the residual term on a fixed calibration network) or "none".
    - `steps`, `lbfgs_steps`, `lr`: Adam steps, L-BFGS steps and Adam learning rate (all arms).
    - `match`, `match_to`, `cost`: how the `matched` arm is matched ("points" or "steps"; the
      variant whose cost it matches; "derivatives" or a fixed ratio >= 1).
    - the rest: network and data settings passed to every run.
    """

    problems: tuple[str, ...]
    samples: tuple[int, ...]
    variants: tuple[str | AbstractVariant, ...] = VARIANTS
    seeds: int | tuple[int, ...] = 5
    n_ics: tuple[int | None, ...] = (None,)
    weights: tuple[float, ...] = (1.0,)
    normalisers: tuple[str, ...] = (InitialBalance.name,)
    generators: str = "all"
    steps: int = 2000
    lbfgs_steps: int = 500
    lr: float = 1e-3
    network: str = "auto"
    width: int = 32
    depth: int = 3
    n_initial: int = 128
    n_boundary: int = 64
    sampler: str = "sobol"
    float64: bool = False
    match: str = "points"
    match_to: str = SYMMETRY_VARIANTS[-1]  # the evolutionary form
    cost: str | float = "derivatives"
    options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        set_ = lambda name, v: object.__setattr__(self, name, v)
        problems = []
        for p in _tuple("problems", self.problems):
            if not isinstance(p, str):
                from ..problems._registry import register_problem

                try:
                    p = register_problem(p)
                except TypeError:
                    raise ValueError(f"problems must be names or liepinn Problems, got {p!r}") from None
            if not p:
                raise ValueError("problem names must be non-empty")
            problems.append(p)
        set_("problems", tuple(problems))
        set_("samples", tuple(_check_int("samples", n, 1) for n in _tuple("samples", self.samples)))
        variants = _tuple("variants", self.variants)
        bad = [v for v in variants if not isinstance(v, (AbstractVariant, ComputeMatched)) and v not in VARIANTS]
        if bad:
            raise ValueError(f"unknown variant(s) {bad}; choose from {list(VARIANTS)} or pass "
                             "liepinn.losses variant objects")
        set_("variants", variants)
        if isinstance(self.seeds, int) and not isinstance(self.seeds, bool):
            set_("seeds", tuple(range(_check_int("seeds", self.seeds, 1))))
        else:
            set_("seeds", tuple(_check_int("seed", s, 0) for s in _tuple("seeds", self.seeds)))
        n_ics = _tuple("n_ics", self.n_ics)
        set_("n_ics", tuple(None if n is None else _check_int("n_ics", n, 1) for n in n_ics))
        set_("weights", tuple(_check_float("weight", w, nonneg=True) for w in _tuple("weights", self.weights)))
        normalisers = _tuple("normalisers", self.normalisers)
        bad = [nm for nm in normalisers if nm not in NORMALISERS]
        if bad:
            raise ValueError(f"unknown normaliser(s) {bad}; choose from {list(NORMALISERS)}")
        set_("normalisers", normalisers)
        _check_int("steps", self.steps, 0)
        _check_int("lbfgs_steps", self.lbfgs_steps, 0)
        if self.steps + self.lbfgs_steps == 0:
            raise ValueError("steps + lbfgs_steps must be > 0")
        set_("lr", _check_float("lr", self.lr, positive=True))
        _check_int("width", self.width, 1)
        _check_int("depth", self.depth, 1)
        _check_int("n_initial", self.n_initial, 0)
        _check_int("n_boundary", self.n_boundary, 0)
        if self.match not in MATCH_MODES:
            raise ValueError(f"match must be one of {list(MATCH_MODES)}, got {self.match!r}")
        if self.match_to not in MATCH_TARGETS:
            raise ValueError(
                f"match_to must be one of {list(MATCH_TARGETS)}, got {self.match_to!r}"
            )
        if isinstance(self.cost, str):
            if self.cost != "derivatives":
                raise ValueError(f"cost must be 'derivatives' or a number >= 1, got {self.cost!r}")
        else:
            c = _check_float("cost", self.cost)
            if c < 1:
                raise ValueError(f"a fixed cost ratio must be >= 1, got {c!r}")
            set_("cost", c)
        if not isinstance(self.generators, str) or not self.generators:
            raise ValueError(f"generators must be 'all' or a list like '1,2,4', got {self.generators!r}")
        unknown = sorted(set(self.options) - set(DEFAULT_OPTIONS))
        if unknown:
            raise ValueError(f"unknown option(s) {unknown}; known: {sorted(DEFAULT_OPTIONS)}")
        set_("options", {**DEFAULT_OPTIONS, **dict(self.options)})

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["options"] = dict(self.options)
        return d

    def cost_ratio(self, problem: str, cost_fn: CostFn | None = None, arm: ComputeMatched | None = None,
                   samples: int | None = None) -> float:
        """The recorded cost ratio of `match_to` (or `arm.to`) to `residual` for `problem` (>= 1);
        `samples`: the interior points, needed when the target's cost depends on them
        (`conserved`, whose quadrature points do not grow with the collocation points)."""
        arm = self._matched() if arm is None else arm
        if not isinstance(arm.cost, str):
            return float(arm.cost)
        if cost_fn is None:
            from ..runs._cost import derivative_cost

            # the sweep's own object of that name where it has one (its settings set the cost)
            own = {v.name: v for v in self.variants
                   if isinstance(v, AbstractVariant) and not isinstance(v, (Residual, GPINN, Symmetry))}

            def cost_fn(problem, variant, generators):
                return derivative_cost(problem, own.get(variant, variant), generators, samples)
        ratio = cost_fn(problem, arm.to, self.generators) / cost_fn(problem, Residual.name, self.generators)
        return max(1.0, float(ratio))

    def expand(self, cost_fn: CostFn | None = None) -> list[RunConfig]:
        """All runs of the sweep, in execution order (cheapest sample counts first)."""
        from ..problems._registry import problem_id

        out: list[RunConfig] = []
        ids = {p: problem_id(p) for p in self.problems}
        common = dict(
            steps=self.steps, lbfgs_steps=self.lbfgs_steps, lr=self.lr, network=self.network,
            width=self.width, depth=self.depth, n_initial=self.n_initial,
            n_boundary=self.n_boundary, sampler=self.sampler, float64=bool(self.float64),
            options=tuple(sorted(self.options.items())),
        )
        for problem in self.problems:
            for n_ics in self.n_ics:
                for n in sorted(self.samples):
                    for v in self.variants:
                        variant, arms = self._arms(v, problem, cost_fn, n)
                        for arm in arms:
                            for seed in self.seeds:
                                kw = dict(common)
                                kw.update(arm)
                                if arm.get("match") == "points":
                                    kw["n_collocation"] = int(round(n * arm["cost_ratio"]))
                                else:
                                    kw["n_collocation"] = n
                                if arm.get("match") == "steps":
                                    kw["steps"] = int(round(self.steps * arm["cost_ratio"]))
                                out.append(RunConfig(problem=problem, problem_id=ids[problem],
                                                     samples=n, n_ics=n_ics,
                                                     variant=variant, seed=seed, **kw))
        return out

    def _matched(self) -> ComputeMatched:
        """The sweep's own compute-matched arm (`match`, `match_to`, `cost`)."""
        return ComputeMatched(match=self.match, to=self.match_to, cost=self.cost)

    def _arms(self, variant, problem: str, cost_fn: CostFn | None,
              samples: int | None = None) -> tuple[str, list[dict[str, Any]]]:
        """(the record's variant name, the settings of each of its arms)."""
        if variant == MATCHED:
            variant = self._matched()
        if isinstance(variant, ComputeMatched):
            ratio = self.cost_ratio(problem, cost_fn, variant, samples)
            model = "derivatives" if isinstance(variant.cost, str) else "fixed"
            return MATCHED, [dict(match=variant.match, matched_to=variant.to, cost_model=model,
                                  cost_ratio=round(float(ratio), 6))]
        if isinstance(variant, (Residual, GPINN, Symmetry)):  # built-in objects: the flat record
            d = variant.to_json()
            if isinstance(variant, Symmetry):
                gens = d["generators"]
                return variant.form.name, [dict(weight=d["weight"], normaliser=d["normaliser"],
                                                generators=gens if gens == "all" else ",".join(map(str, gens)))]
            if isinstance(variant, GPINN):
                return variant.name, [dict(weight=d["weight"], normaliser=d["normaliser"])]
            return variant.name, [{}]
        if isinstance(variant, AbstractVariant):  # defined outside liepinn: its own fields
            d = variant.to_json()
            d.pop("variant")
            return variant.name, [dict(variant_options=tuple(sorted(d.items())))]
        if variant == Residual.name:
            return variant, [{}]
        if variant == GPINN.name:
            return variant, [dict(weight=w, normaliser=nm) for w in self.weights for nm in self.normalisers]
        if variant in SYMMETRY_VARIANTS:
            return variant, [dict(weight=w, normaliser=nm, generators=self.generators)
                             for w in self.weights for nm in self.normalisers]
        # a user variant registered by name: built with its defaults
        return self._arms(variant_from_name(variant), problem, cost_fn, samples)


def _parse_list(text: str, what: str, kind: type, example: str) -> tuple:
    try:
        out = tuple(kind(s) for s in text.split(",") if s.strip())
    except ValueError:
        words = {int: "integers", float: "numbers"}[kind]
        raise ValueError(f"{what} must be comma-separated {words} like {example}, got {text!r}") from None
    if not out:
        raise ValueError(f"{what} is empty")
    return out


def parse_int_list(text: str, what: str) -> tuple[int, ...]:
    """'250,500,1000' -> (250, 500, 1000), with a clear error."""
    return _parse_list(text, what, int, "250,500,1000")


def parse_float_list(text: str, what: str) -> tuple[float, ...]:
    """'0.1,1' -> (0.1, 1.0), with a clear error."""
    return _parse_list(text, what, float, "0.1,1")


def parse_str_list(text: str, what: str, choices: Sequence[str] | None = None) -> tuple[str, ...]:
    out = tuple(s.strip() for s in text.split(",") if s.strip())
    if not out:
        raise ValueError(f"{what} is empty")
    if choices is not None:
        bad = [s for s in out if s not in choices]
        if bad:
            raise ValueError(f"unknown {what} {bad}; choose from {list(choices)}")
    return out
