"""The training loop: Adam (with a schedule) then an optional second phase (L-BFGS, dense
(self-scaled) BFGS or Broyden: :mod:`liepinn.train._optimisers`), jit-compiled scan chunks.

Design:
- The model is split with ``eqx.partition`` into trainable arrays and the rest
  (:func:`liepinn.nn.trainable`); only the former go through the optimiser.
- Steps run in chunks of ``chunk`` steps inside one ``lax.scan`` (compiled once per
  phase and chunk length). Between chunks the host logs, checks for NaN/Inf, updates
  collocation sets (resampling, residual-based refinement), saves checkpoints and
  updates the progress bar.
- Everything that is random comes from the run's key through ``fold_in`` with fixed
  tags and the step number, so a run resumed from a checkpoint takes the same path as an
  uninterrupted one, and the same key gives the same numbers bit for bit.
- Seeds train together with ``vmap`` over the whole chunk (one compiled program).
"""

from __future__ import annotations

import contextlib
import enum
import dataclasses
import functools
import json
import math
import os
import time
from collections.abc import Callable, Sequence
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import optax
from jaxtyping import PRNGKeyArray

from ..nn._networks import trainable
from ._eng import residual_and_jacobian, residual_vector
from ._optimisers import LEGACY_OPTIONS, AbstractSecondPhase, second_phase_from_legacy
from ._sampling import Collocation
from ._sharding import AbstractSharding, SeedSharding

__all__ = [
    "train",
    "train_seeds",
    "TrainResult",
    "History",
    "Plateau",
    "NonFiniteLossError",
    "default_schedule",
]

_TOTAL = "total"
_GRAD = "grad_norm"
_DATA_TAG = 0x5EED


class NonFiniteLossError(FloatingPointError):
    """A loss term or the gradient became NaN/Inf during training.

    Attributes: ``step`` (global step whose evaluation failed), ``phase`` (``"adam"`` or
    the second phase's name, e.g. ``"lbfgs"``), ``terms`` (names of the non-finite terms), ``values`` (all terms at that
    step), ``seed`` (index in an ensemble, else ``None``), ``model`` (the last model known to
    be finite: the one at the start of the failing chunk).
    """

    def __init__(self, message, *, step, phase, terms, values, seed=None, model=None):
        super().__init__(message)
        self.step = step
        self.phase = phase
        self.terms = terms
        self.values = values
        self.seed = seed
        self.model = model


@dataclasses.dataclass(frozen=True)
class History:
    """Loss terms per logged step.

    ``step[i]`` is the global step (Adam steps, then the second phase's steps continue the
    count); the values are those of the model after ``step[i]`` updates. ``phase[i]`` is
    ``"adam"`` or the second phase's name (``"lbfgs"``, ``"ssbroyden"``, ...).
    ``terms[name]`` has shape ``(n_logged,)``, or ``(n_seeds, n_logged)`` for an ensemble;
    ``"total"`` is the loss and ``"grad_norm"`` the gradient's global norm (Adam phase; NaN
    for the second phase's rows).
    """

    step: np.ndarray
    phase: np.ndarray
    terms: dict[str, np.ndarray]

    def __getitem__(self, name: str) -> np.ndarray:
        return self.terms[name]

    def __len__(self) -> int:
        return len(self.step)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.terms)

    def to_csv(self, path: str | os.PathLike, seed: int | None = None) -> None:
        """Write ``step,phase,<terms...>`` (one seed of an ensemble with ``seed=i``)."""
        cols = {k: (v if v.ndim == 1 else v[seed if seed is not None else 0]) for k, v in self.terms.items()}
        with open(path, "w") as f:
            f.write(",".join(["step", "phase", *cols]) + "\n")
            for i in range(len(self.step)):
                vals = [repr(float(cols[k][i])) for k in cols]
                f.write(",".join([str(int(self.step[i])), str(self.phase[i]), *vals]) + "\n")

    def to_json(self) -> dict:
        return {
            "step": [int(s) for s in self.step],
            "phase": [str(p) for p in self.phase],
            "terms": {k: np.asarray(v, np.float64).tolist() for k, v in self.terms.items()},
        }

    @classmethod
    def from_json(cls, d: dict) -> "History":
        return cls(
            np.asarray(d["step"], np.int64),
            np.asarray(d["phase"], dtype=object),
            {k: np.asarray(v, np.float64) for k, v in d["terms"].items()},
        )


@dataclasses.dataclass(frozen=True)
class Plateau:
    r"""Plateau criterion on the logged total loss $L_k$.

    Converged when the best loss of the last ``window`` logged values improves on the
    best before them by less than ``rtol`` (relative): $\min_{\text{prev}} - \min_\text{last}
    \le \text{rtol}\,|\min_\text{prev}|$. Needs at least ``2 * window`` logged values.
    """

    window: int = 5
    rtol: float = 1e-2

    def __call__(self, total: np.ndarray) -> bool:
        total = np.asarray(total, np.float64)
        if len(total) < 2 * self.window or not np.all(np.isfinite(total)):
            return False
        prev = np.min(total[: -self.window])
        last = np.min(total[-self.window :])
        return bool(prev - last <= self.rtol * abs(prev))


@dataclasses.dataclass(frozen=True)
class TrainResult:
    """What :func:`train` returns.

    - ``model``: the trained model (leading seed axis on its arrays for an ensemble).
    - ``history``: :class:`History` of the loss terms.
    - ``wall_time``: seconds spent training (summed over resumed segments).
    - ``converged``: the :class:`Plateau` criterion on the logged total loss (per seed).
    - ``steps``, ``lbfgs_steps``: steps done in each phase (``lbfgs_steps``: the second
      phase, whichever its method).
    - ``data``: the final batch (collocation points after resampling/refinement).
    - ``stopped``: ``None`` if all steps ran, else why the run stopped early
      (:class:`Stopped`, a string enumeration: ``"stop_at"``, ``"max_time"``).
    """

    model: Any
    history: History
    wall_time: float
    converged: bool | np.ndarray
    steps: int
    lbfgs_steps: int
    data: Any = None
    stopped: Stopped | None = None


class Stopped(enum.StrEnum):
    """Why a training run stopped before its last step (stored as its string value)."""

    STOP_AT = "stop_at"  # the `stop_at` step was reached (a segment of a longer run)
    MAX_TIME = "max_time"  # the `max_time` budget was spent


def default_schedule(learning_rate: float, steps: int, decay: float = 0.1) -> optax.Schedule:
    r"""Exponential decay from ``learning_rate`` to ``decay * learning_rate`` over ``steps``:
    $\eta_k = \eta_0\, \text{decay}^{k/\text{steps}}$."""
    if steps <= 0:
        return optax.constant_schedule(learning_rate)
    return optax.exponential_decay(learning_rate, transition_steps=steps, decay_rate=decay)


# --------------------------------------------------------------------------- helpers


def _as_key(key):
    if key is None:
        return None
    if isinstance(key, (int, np.integer)):
        return jr.PRNGKey(int(key))
    return key


def _cast_floats(tree, dtype):
    if dtype is None:
        return tree

    def f(x):
        if eqx.is_inexact_array(x) and jnp.issubdtype(x.dtype, jnp.floating) and x.dtype != dtype:
            return jnp.asarray(x, dtype)
        return x

    return jax.tree.map(f, tree)


def _split_loss_output(out):
    if isinstance(out, tuple) and len(out) == 2 and isinstance(out[1], dict):
        total, terms = out
    else:
        total, terms = out, {}
    total = jnp.asarray(total)
    if total.shape != ():
        raise ValueError(f"loss_fn must return a scalar total (or (total, dict)); got shape {total.shape}")
    for k in terms:
        if k in (_TOTAL, _GRAD):
            raise ValueError(f"loss term name {k!r} is reserved; rename it")
    return total, {k: jnp.asarray(v) for k, v in terms.items()}


def _is_colloc(x):
    return isinstance(x, Collocation)


def _entry_name(path) -> str | None:
    """The innermost dict key (or attribute name) on a pytree path."""
    for entry in reversed(path):
        if isinstance(entry, jax.tree_util.DictKey):
            return str(entry.key)
        if isinstance(entry, jax.tree_util.GetAttrKey):
            return entry.name
    return None


def _gcd_all(values):
    out = 0
    for v in values:
        out = math.gcd(out, int(v))
    return out


def _fmt(v):
    return f"{v:.3e}"


@contextlib.contextmanager
def _precision(dtype):
    if dtype is not None and jnp.dtype(dtype).itemsize == 8 and not jax.config.jax_enable_x64:
        with jax.enable_x64(True):
            yield
    else:
        yield


class _Progress:
    def __init__(self, total, enabled, initial=0):
        self.bar = None
        if enabled:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, initial=initial, dynamic_ncols=True, leave=True)

    def update(self, n, phase, terms):
        if self.bar is not None:
            self.bar.set_description(phase)
            self.bar.set_postfix({k: _fmt(v) for k, v in terms.items()}, refresh=False)
            self.bar.update(n)

    def close(self):
        if self.bar is not None:
            self.bar.close()


# --------------------------------------------------------------------------- core


class _Run:
    """One training run (possibly an ensemble of seeds along a leading axis)."""

    def __init__(self, loss_fn, model, data, keys, *, ensemble, cfg):
        self.loss_fn = loss_fn
        self.ensemble = ensemble
        self.cfg = cfg
        self.keys = keys  # (S, ...) for an ensemble, a single key otherwise (or None)
        spec = cfg["filter_spec"]
        if spec is None:
            spec = trainable(model)
        self.params, self.static = eqx.partition(model, spec)
        leaves, self.data_def = jax.tree.flatten(data, is_leaf=_is_colloc)
        paths = jax.tree_util.tree_flatten_with_path(data, is_leaf=_is_colloc)[0]
        self.data_names = [_entry_name(path) for path, _ in paths]
        self.sharding: AbstractSharding | None = cfg.get("sharding")
        self.data_specs = [(i, leaf) for i, leaf in enumerate(leaves) if _is_colloc(leaf)]
        if self.data_specs and keys is None:
            raise ValueError("data contains Collocation sets: pass key=... to sample them")
        self.data_leaves = list(leaves)
        phase = cfg["second_phase"]
        if phase is not None and phase.needs_residuals and not callable(getattr(loss_fn, "residuals", None)):
            raise TypeError(f"the {phase.name} second phase needs the loss's residual vector: pass a loss function "
                            "with a residuals(model, batch) method, e.g. liepinn.train.LeastSquares(loss, residuals)")

    # ---- data

    def _data_key(self, key, i, step):
        return jr.fold_in(jr.fold_in(jr.fold_in(key, _DATA_TAG), i), step)

    def init_data(self, dtype):
        for i, spec in self.data_specs:
            if self.ensemble:
                pts = [spec.init(self._data_key(k, i, 0)) for k in self.keys]
                self.data_leaves[i] = jnp.stack(pts)
            else:
                self.data_leaves[i] = spec.init(self._data_key(self.keys, i, 0))
        self.data_leaves = [_cast_floats(x, dtype) if not _is_colloc(x) else x for x in self.data_leaves]
        if self.ensemble:
            # fixed arrays are shared by the seeds: give them the seed axis the chunk vmaps over
            n = len(self.keys)
            colloc = {i for i, _ in self.data_specs}
            self.data_leaves = [
                x if i in colloc or not eqx.is_array(x) else jnp.broadcast_to(x, (n, *x.shape))
                for i, x in enumerate(self.data_leaves)
            ]

    def batch(self):
        return jax.tree.unflatten(self.data_def, self.data_leaves)

    def periods(self):
        return [p for _, s in self.data_specs for p in s.periods]

    def update_data(self, step):
        """Update collocation sets due at ``step``; True if anything changed."""
        changed = False
        for i, spec in self.data_specs:
            if not spec.due(step):
                continue
            changed = True
            cur = self.data_leaves[i]
            if self.ensemble:
                n_seeds = cur.shape[0]
                new = []
                for s in range(n_seeds):
                    new.append(spec.update(cur[s], self.model(s), step=step, key=self._data_key(self.keys[s], i, step)))
                shapes = {a.shape for a in new}
                if len(shapes) != 1:
                    raise ValueError(f"collocation sets of different sizes across seeds: {shapes}")
                self.data_leaves[i] = jnp.stack(new)
            else:
                self.data_leaves[i] = spec.update(cur, self.model(), step=step, key=self._data_key(self.keys, i, step))
        return changed

    # ---- compiled chunks

    def model(self, seed=None):
        model = eqx.combine(self.params, self.static)
        if seed is None:
            return model
        return jax.tree.map(lambda x: x[seed] if eqx.is_array(x) else x, model)

    def place(self, state):
        """Lay parameters, optimiser state and data out over the devices (`self.sharding`;
        arrays already in place are not moved)."""
        if self.sharding is None:
            return state
        n = len(self.keys) if self.ensemble else None
        self.params, self.static, state = self.sharding.place_params((self.params, self.static, state), n)
        colloc = {i for i, _ in self.data_specs}
        self.data_leaves = self.sharding.place_data(
            self.data_leaves, self.data_names, [i in colloc for i in range(len(self.data_leaves))], n)
        return state

    def run_chunk(self, phase, length, opt, state, start):
        state = self.place(state)
        args = (self.params, self.static, state, self.batch(), jnp.asarray(start), self.loss_fn, opt, length,
                self.cfg["log_every"], self.ensemble)
        if phase == "adam":
            return _adam_chunk(*args)
        return _lbfgs_chunk(*args, residuals=self.cfg["second_phase"].needs_residuals)

    def term_names(self):
        """The loss terms' names in the order ``loss_fn`` returns them (pytrees sort dict keys)."""
        names = []
        seed = 0 if self.ensemble else None
        batch = self.batch()
        if self.ensemble:
            batch = jax.tree.map(lambda x: x[0] if eqx.is_array(x) else x, batch)

        def f(model):
            names.extend(_split_loss_output(self.loss_fn(model, batch))[1])
            return 0

        eqx.filter_eval_shape(f, self.model(seed))
        return names

    def eval_terms(self):
        return _eval_terms(self.params, self.static, self.batch(), self.loss_fn, self.ensemble)


# The compiled pieces live at module level and take everything as arguments, so that runs
# with the same loss function, model structure and optimiser reuse one compilation
# (eqx.filter_jit hashes the non-array arguments: loss_fn, opt, length, ...).


def _loss(loss_fn, params, static, batch):
    return _split_loss_output(loss_fn(eqx.combine(params, static), batch))


def _seeds(fn, ensemble, n_args):
    """vmap ``fn`` over the seed axis of every array argument except the last (``start``)."""
    if not ensemble:
        return fn
    return eqx.filter_vmap(fn, in_axes=(eqx.if_array(0),) * n_args + (None,))


@eqx.filter_jit
def _adam_chunk(params, static, state, batch, start, loss_fn, opt, length, log_every, ensemble):
    def one(params, static, state, batch, start):
        def body(carry, _):
            p, s = carry
            (total, terms), grads = jax.value_and_grad(
                lambda q: _loss(loss_fn, q, static, batch), has_aux=True
            )(p)
            updates, s = opt.update(grads, s, p)
            p = eqx.apply_updates(p, updates)
            return (p, s), {_TOTAL: total, **terms, _GRAD: optax.tree.norm(grads)}

        return jax.lax.scan(body, (params, state), None, length=length)

    return _seeds(one, ensemble, 4)(params, static, state, batch, start)


@eqx.filter_jit
def _lbfgs_chunk(params, static, state, batch, start, loss_fn, opt, length, log_every, ensemble, residuals=False):
    def one(params, static, state, batch, start):
        def value(p):
            return _loss(loss_fn, p, static, batch)[0]

        # the residual vector, for the phases that take it (needs_residuals)
        extra = {}
        if residuals and getattr(loss_fn, "pointwise", None) is not None:
            extra["residual_jacobian_fn"] = lambda p: residual_and_jacobian(loss_fn.pointwise, p, static, batch)
        elif residuals:
            extra["residual_fn"] = lambda p: residual_vector(loss_fn.residuals(eqx.combine(p, static), batch))

        def terms_of(p):
            return _loss(loss_fn, p, static, batch)[1]

        shapes = jax.eval_shape(terms_of, params)
        if residuals:  # the residual phases do not use the gradient
            def value_and_grad(p, state):
                return value(p), None
        else:
            value_and_grad = optax.value_and_grad_from_state(value)

        def body(carry, step):
            p, s = carry
            total, grad = value_and_grad(p, state=s)
            updates, s = opt.update(grad, s, p, value=total, grad=grad, value_fn=value, **extra)
            # the named terms cost an extra forward pass: only where they are logged or needed
            need = (step % log_every == 0) | ~jnp.isfinite(total)
            terms = jax.lax.cond(
                need, terms_of, lambda q: jax.tree.map(lambda sd: jnp.zeros(sd.shape, sd.dtype), shapes), p
            )
            p = eqx.apply_updates(p, updates)
            return (p, s), {_TOTAL: total, **terms, _GRAD: jnp.full((), jnp.nan, total.dtype)}

        return jax.lax.scan(body, (params, state), start + jnp.arange(length))

    return _seeds(one, ensemble, 4)(params, static, state, batch, start)


@eqx.filter_jit
def _eval_terms(params, static, batch, loss_fn, ensemble):
    def one(params, static, batch, _):
        total, terms = _loss(loss_fn, params, static, batch)
        return {_TOTAL: total, **terms}

    return _seeds(one, ensemble, 3)(params, static, batch, None)


def _opt_init(opt, params, ensemble):
    state = eqx.filter_vmap(opt.init)(params) if ensemble else opt.init(params)
    # optax's line-search state starts with weakly typed scalars that come back strongly typed
    # from a chunk or a checkpoint: type them strongly from the start, so the second chunk and
    # a resumed run reuse the first chunk's compilation instead of compiling again
    return jax.tree.map(lambda x: jnp.asarray(x, x.dtype) if eqx.is_array(x) and x.weak_type else x, state)


def _check_finite(recs, start, phase, run, params_before):
    """Raise NonFiniteLossError at the first non-finite step of a chunk."""
    total = np.asarray(recs[_TOTAL])
    grad = np.asarray(recs[_GRAD])
    bad_total = ~np.isfinite(total)
    bad_grad = ~np.isfinite(grad) if phase == "adam" else np.zeros_like(bad_total)
    bad = bad_total | bad_grad
    if not bad.any():
        return
    if run.ensemble:
        seeds, idx = np.nonzero(bad)
        j = int(np.argmin(idx))
        seed, i = int(seeds[j]), int(idx[j])
        pick = lambda v: np.asarray(v)[seed, i]
    else:
        seed, i = None, int(np.argmax(bad))
        pick = lambda v: np.asarray(v)[i]
    values = {k: float(pick(v)) for k, v in recs.items()}
    names = [k for k, v in values.items() if k not in (_TOTAL, _GRAD) and not math.isfinite(v)]
    step = start + i
    where = f" (seed {seed})" if seed is not None else ""
    if names:
        what = "loss term" + ("s " if len(names) > 1 else " ") + ", ".join(repr(n) for n in names)
        msg = f"{what} became non-finite at step {step}{where} in the {phase} phase: " + ", ".join(
            f"{k}={values[k]}" for k in values if k != _GRAD
        )
    elif not math.isfinite(values[_TOTAL]):
        msg = f"the total loss became non-finite at step {step}{where} in the {phase} phase (all named terms finite: {values})"
        names = [_TOTAL]
    else:
        msg = (
            f"the gradient became non-finite at step {step}{where} in the {phase} phase while the loss terms were finite "
            f"({', '.join(f'{k}={v:.4g}' for k, v in values.items() if k != _GRAD)})"
        )
        names = [_GRAD]
    model = eqx.combine(params_before, run.static)
    raise NonFiniteLossError(msg, step=step, phase=phase, terms=names, values=values, seed=seed, model=model)


# --------------------------------------------------------------------------- checkpoints

_CKPT_VERSION = 1


def _ckpt_paths(path):
    path = os.fspath(path)
    return path, path + ".json"


def _save_checkpoint(path, run, phase, opt_state, step, history_rows, wall_time, cfg_sig):
    leaves_path, meta_path = _ckpt_paths(path)
    data_arrays = [x for i, x in enumerate(run.data_leaves) if i in dict(run.data_specs)]
    tree = (run.params, opt_state, data_arrays)
    meta = {
        "version": _CKPT_VERSION,
        "phase": phase,
        "step": int(step),
        "wall_time": float(wall_time),
        "config": cfg_sig,
        "param_dtype": _first_float_dtype(run.params),
        "data": [[list(a.shape), str(a.dtype)] for a in data_arrays],
        "history": history_rows,
    }
    tmp = leaves_path + ".tmp"
    eqx.tree_serialise_leaves(tmp, tree)
    with open(meta_path + ".tmp", "w") as f:
        json.dump(meta, f)
    os.replace(tmp, leaves_path)
    os.replace(meta_path + ".tmp", meta_path)


def _first_float_dtype(tree):
    for x in jax.tree.leaves(tree):
        if eqx.is_inexact_array(x):
            return str(x.dtype)
    return "float32"


def _config_signature(steps, log_every, chunk, ensemble, adam_dtype, second):
    """What a checkpoint must agree on to be resumed."""
    return {"steps": steps, "log_every": log_every, "chunk": chunk, "ensemble": ensemble,
            "adam_dtype": str(adam_dtype), "second_phase": None if second is None else second.to_json()}


def _migrate_signature(sig):
    """A signature written before the second phase was an object (lbfgs_steps, lbfgs_memory,
    quasi_newton, lbfgs_dtype keys), in today's form."""
    if "quasi_newton" not in sig:
        return sig
    dtype = None if sig["lbfgs_dtype"] == "None" else sig["lbfgs_dtype"]
    second = second_phase_from_legacy(lbfgs_steps=sig["lbfgs_steps"], lbfgs_memory=sig["lbfgs_memory"],
                                      quasi_newton=sig["quasi_newton"], lbfgs_dtype=dtype)
    adam_dtype = None if sig["adam_dtype"] == "None" else jnp.dtype(sig["adam_dtype"])
    return _config_signature(sig["steps"], sig["log_every"], sig["chunk"], sig["ensemble"], adam_dtype, second)


def _load_meta(path):
    leaves_path, meta_path = _ckpt_paths(path)
    if not (os.path.exists(leaves_path) and os.path.exists(meta_path)):
        return None
    with open(meta_path) as f:
        meta = json.load(f)
    if meta.get("version") != _CKPT_VERSION:
        raise ValueError(f"checkpoint {leaves_path!r} has version {meta.get('version')}, expected {_CKPT_VERSION}")
    meta["config"] = _migrate_signature(meta["config"])
    return meta


# --------------------------------------------------------------------------- entry points


def train(
    loss_fn: Callable,
    model: Any,
    data: Any = None,
    *,
    steps: int = 1000,
    learning_rate: float | optax.Schedule = 1e-3,
    decay: float = 0.1,
    optimiser: optax.GradientTransformation | None = None,
    second_phase: AbstractSecondPhase | None = None,
    dtype: Any = None,
    key: PRNGKeyArray | int | None = None,
    log_every: int = 100,
    chunk: int | None = None,
    progress: bool = False,
    checkpoint: str | os.PathLike | None = None,
    checkpoint_every: int | None = None,
    resume: bool = True,
    stop_at: int | None = None,
    max_time: float | None = None,
    filter_spec: Any = None,
    sharding: AbstractSharding | None = None,
    plateau: Plateau = Plateau(),
    callback: Callable | None = None,
    lbfgs_steps: int | None = None,
    lbfgs_memory: int | None = None,
    lbfgs_linesearch_steps: int | None = None,
    lbfgs_dtype: Any = None,
    lbfgs_resample: bool | None = None,
    quasi_newton: str | None = None,
) -> TrainResult:
    r"""Train ``model`` to minimise ``loss_fn(model, batch)``: Adam, then optionally a
    quasi-Newton phase.

    **Main arguments:**
    - ``loss_fn(model, batch) -> (total, {name: term})`` (or just ``total``): a JAX
      function; the terms are logged, the total is minimised.
    - ``model``: an equinox Module (or any pytree); trainable leaves are chosen by
      :func:`liepinn.nn.trainable` unless ``filter_spec`` is given.
    - ``data``: the batch, a pytree of arrays in which any leaf may be a
      :class:`liepinn.train.Collocation`; those are sampled from ``key`` and resampled
      or refined on their schedule. Passed as ``batch`` to ``loss_fn``.
    - ``steps``: Adam steps; ``learning_rate``: float (exponentially decayed to
      ``decay * learning_rate`` over ``steps``) or an optax schedule; ``optimiser``
      replaces Adam altogether.
    - ``second_phase``: what runs after Adam, e.g. ``LBFGS(steps=2000, memory=50,
      dtype="float64")`` or ``SSBroyden(steps=2000)`` (:mod:`liepinn.train._optimisers`:
      iterations, precision, collocation updates, and the optax transformation with its
      strong-Wolfe line search); ``None``: Adam only.
    - ``key``: PRNG key or int for the data.

    **Other arguments:**
    - ``dtype``: cast the model's and data's floats for the Adam phase.
    - ``log_every``: record the terms every this many steps (plus step 0 and the end).
    - ``chunk``: steps per compiled ``lax.scan`` (default: the gcd of ``log_every``, the
      checkpoint and collocation periods).
    - ``progress``: tqdm bar with the current terms.
    - ``checkpoint``, ``checkpoint_every``: file to save model, optimiser state, data,
      step and history to (``eqx.tree_serialise_leaves`` plus a ``.json`` sidecar); if it
      exists and ``resume``, training continues from it and ends where an uninterrupted
      run would have, bit for bit.
    - ``stop_at``: stop after this global step (saving a checkpoint); ``max_time``:
      stop at the first chunk boundary after this many seconds.
    - ``sharding``: how the run is laid out over devices, e.g. ``PointSharding()``
      (collocation points split over all devices, parameters replicated; see
      :mod:`liepinn.train._sharding`); None: one device.
    - ``plateau``: convergence criterion for :attr:`TrainResult.converged`.
    - ``callback(step, phase, model, terms)``: called at each logged chunk end on the host.
    - ``lbfgs_steps``, ``lbfgs_memory``, ``lbfgs_linesearch_steps``, ``lbfgs_dtype``,
      ``lbfgs_resample``, ``quasi_newton``: the options before ``second_phase`` (deprecated;
      mapped by :func:`liepinn.train.second_phase_from_legacy`, not to be mixed with it).

    Raises :class:`NonFiniteLossError` naming the step and term that went NaN/Inf.
    """
    key = _as_key(key)
    cfg = _config(locals())
    run = _Run(loss_fn, model, data, key, ensemble=False, cfg=cfg)
    return _drive(run, cfg)


def train_seeds(
    loss_fn: Callable,
    make_model: Callable[[PRNGKeyArray], Any],
    data: Any = None,
    *,
    keys: Sequence[int | PRNGKeyArray] | PRNGKeyArray,
    devices: Sequence[jax.Device] | None = None,
    **kwargs,
) -> TrainResult:
    """Train one model per key together, ``vmap``-ed in one compiled program.

    Seed ``k`` does what ``train(loss_fn, make_model(k), data, key=k, **kwargs)`` does
    (the same numbers up to floating-point reduction order). The result's model has a
    leading seed axis on its arrays (``eqx.filter_vmap`` or index with
    ``jax.tree.map(lambda x: x[i], ...)`` on the arrays); history terms are
    ``(n_seeds, n_logged)`` and ``converged`` a boolean array.

    By default (``sharding=None``: ``SeedSharding(devices)``) the seed axis is sharded over
    ``devices`` (default: all devices of the default backend; the largest number of them
    that divides the number of seeds), so seeds run in parallel on several GPUs, or on
    several CPU cores exposed as devices with
    ``XLA_FLAGS=--xla_force_host_platform_device_count=N``; ``sharding=PointSharding(seeds=s)``
    splits the collocation points too (a seeds x points mesh). Other options as :func:`train`.
    """
    if "key" in kwargs:
        raise TypeError("train_seeds takes keys=..., not key=...")
    keys = [_as_key(k) for k in keys] if not hasattr(keys, "shape") else [keys[i] for i in range(keys.shape[0])]
    if not keys:
        raise ValueError("train_seeds needs at least one key")
    models = [make_model(k) for k in keys]
    arrays = [eqx.filter(m, eqx.is_array) for m in models]
    statics = [eqx.partition(m, eqx.is_array)[1] for m in models]
    if any(jax.tree.structure(a) != jax.tree.structure(arrays[0]) for a in arrays):
        raise ValueError("make_model returned models of different structure for different keys")
    if any(not eqx.tree_equal(s, statics[0]) for s in statics):
        raise ValueError("make_model returned models with different static parts for different keys")
    stacked = jax.tree.map(lambda *xs: jnp.stack(xs), *arrays)
    model = eqx.combine(stacked, statics[0])
    cfg = _config({**_defaults(), **kwargs, "key": None})
    if cfg["sharding"] is None:
        cfg["sharding"] = SeedSharding(None if devices is None else tuple(devices))
    elif devices is not None:
        raise TypeError("pass devices=... or sharding=..., not both (give the sharding its devices)")
    run = _Run(loss_fn, model, data, jnp.stack([jnp.asarray(k) for k in keys]), ensemble=True, cfg=cfg)
    return _drive(run, cfg)


def _defaults():
    import inspect

    sig = inspect.signature(train)
    return {k: p.default for k, p in sig.parameters.items() if p.default is not inspect.Parameter.empty}


def _config(args):
    cfg = {k: v for k, v in args.items() if k not in ("loss_fn", "model", "data", "make_model")}
    unknown = set(cfg) - set(_defaults()) - {"key"}
    if unknown:
        raise TypeError(f"unknown training options: {sorted(unknown)}")
    legacy = {k: cfg.pop(k) for k in LEGACY_OPTIONS}
    given = {k: v for k, v in legacy.items() if v is not None}
    if given:
        if cfg["second_phase"] is not None:
            raise TypeError(f"pass second_phase=... or the old options {sorted(given)}, not both")
        cfg["second_phase"] = second_phase_from_legacy(**given)
    phase = cfg["second_phase"]
    if phase is not None and not isinstance(phase, AbstractSecondPhase):
        raise TypeError(f"second_phase must be an AbstractSecondPhase (LBFGS(...), SSBroyden(...), ...) "
                        f"or None; got {phase!r} ({type(phase).__name__})")
    v = cfg["steps"]
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
        raise ValueError(f"steps must be a non-negative int; got {v!r}")
    if not isinstance(cfg["log_every"], (int, np.integer)) or cfg["log_every"] < 1:
        raise ValueError(f"log_every must be a positive int; got {cfg['log_every']!r}")
    if cfg["checkpoint_every"] is not None and cfg["checkpoint"] is None:
        raise ValueError("checkpoint_every given without checkpoint=path")
    if cfg["sharding"] is not None and not isinstance(cfg["sharding"], AbstractSharding):
        raise TypeError(f"sharding must be PointSharding(...), SeedSharding(...) or None; got "
                        f"{cfg['sharding']!r} ({type(cfg['sharding']).__name__})")
    return cfg


def _make_optimisers(cfg):
    opt = cfg["optimiser"]
    if opt is None:
        lr = cfg["learning_rate"]
        lr = lr if callable(lr) else float(lr)
        opt = _adam(lr, int(cfg["steps"]), float(cfg["decay"]))
    phase = cfg["second_phase"]
    return opt, (None if phase is None else phase.optimiser())


# Optimisers are cached by their settings: the same settings give the same (hashable)
# object, so a second run reuses the first one's compiled chunks (the second phase's
# transformations are cached the same way, in _optimisers.py).
@functools.lru_cache(maxsize=64)
def _adam(lr, steps, decay):
    if not callable(lr):
        lr = default_schedule(lr, steps, decay)
    return optax.adam(lr)


def _drive(run: _Run, cfg) -> TrainResult:
    opt_adam, opt_lbfgs = _make_optimisers(cfg)
    second = cfg["second_phase"]
    # the second phase's label in the history, progress bar, errors and checkpoints
    second_name = "lbfgs" if second is None else second.name
    steps, lbfgs_steps = int(cfg["steps"]), (0 if second is None else second.steps)
    total_steps = steps + lbfgs_steps
    log_every = int(cfg["log_every"])
    periods = [log_every] + ([int(cfg["checkpoint_every"])] if cfg["checkpoint_every"] else []) + run.periods()
    chunk = int(cfg["chunk"]) if cfg["chunk"] else _gcd_all(periods)
    if chunk < 1:
        raise ValueError(f"chunk must be a positive int; got {chunk}")
    adam_dtype = None if cfg["dtype"] is None else jnp.dtype(cfg["dtype"])
    lbfgs_dtype = None if second is None or second.dtype is None else jnp.dtype(second.dtype)
    cfg_sig = _config_signature(steps, log_every, chunk, run.ensemble, adam_dtype, second)

    rows: list = []  # (step, phase, {name: value or per-seed list})
    step = 0
    phase = "adam"
    wall_before = 0.0
    opt_state = None
    ckpt = cfg["checkpoint"]
    meta = _load_meta(ckpt) if (ckpt is not None and cfg["resume"]) else None

    with _precision(adam_dtype):
        run.params = _cast_floats(run.params, adam_dtype)
        run.init_data(adam_dtype)

    if meta is not None:
        if meta["config"] != cfg_sig:
            raise ValueError(
                f"checkpoint {os.fspath(ckpt)!r} was written by a different configuration:\n"
                f"  checkpoint: {meta['config']}\n  this run:   {cfg_sig}\n"
                "use resume=False (or another path) to start afresh"
            )
        phase, step, wall_before, rows = meta["phase"], meta["step"], meta["wall_time"], meta["history"]
        pdtype = adam_dtype if phase == "adam" else lbfgs_dtype
        with _precision(pdtype):
            like_params = _cast_floats(run.params, pdtype)
            like_state = _opt_init(opt_adam if phase == "adam" else opt_lbfgs, like_params, run.ensemble)
            like_data = [jnp.zeros(tuple(s), jnp.dtype(d)) for s, d in meta["data"]]
            params, opt_state, data_arrays = eqx.tree_deserialise_leaves(
                _ckpt_paths(ckpt)[0], (like_params, like_state, like_data)
            )
        run.params = params
        for (i, _), arr in zip(run.data_specs, data_arrays):
            run.data_leaves[i] = arr

    t_start = time.perf_counter()
    bar = _Progress(total_steps, cfg["progress"], initial=min(step, total_steps))
    stopped = None
    stop_at = cfg["stop_at"]
    max_time = cfg["max_time"]

    def record(at, ph, recs_at):
        rows.append([int(at), ph, {k: np.asarray(v, np.float64).tolist() for k, v in recs_at.items()}])

    def save(ph, st):
        _save_checkpoint(ckpt, run, ph, opt_state, st, rows, wall_before + time.perf_counter() - t_start, cfg_sig)

    try:
        for ph, first, last, opt, dt in (
            ("adam", 0, steps, opt_adam, adam_dtype),
            (second_name, steps, total_steps, opt_lbfgs, lbfgs_dtype),
        ):
            if step >= last or stopped:
                continue
            with _precision(dt):
                run.params = _cast_floats(run.params, dt)
                run.data_leaves = [_cast_floats(x, dt) for x in run.data_leaves]
                if phase != ph or opt_state is None:
                    # entering this phase fresh (not resuming inside it)
                    opt_state = _opt_init(opt, run.params, run.ensemble)
                    phase = ph
                while step < last:
                    if stop_at is not None and step >= stop_at:
                        stopped = Stopped.STOP_AT
                        break
                    if max_time is not None and time.perf_counter() - t_start > max_time:
                        stopped = Stopped.MAX_TIME
                        break
                    # collocation updates: during Adam, and once more as L-BFGS starts (so it
                    # starts on a refined set); inside L-BFGS only if asked, restarting its memory
                    if step > 0 and (ph == "adam" or step == first or second.resample):
                        if run.update_data(step) and ph != "adam" and step > first:
                            opt_state = _opt_init(opt, run.params, run.ensemble)
                    n = min(chunk, last - step)
                    params_before = run.params
                    (run.params, opt_state), recs = run.run_chunk(ph, n, opt, opt_state, step)
                    recs = jax.device_get(recs)
                    _check_finite(recs, step, ph, run, params_before)
                    logged = False
                    for j in range(n):
                        if (step + j) % log_every == 0:
                            record(step + j, ph, {k: np.asarray(v)[..., j] for k, v in recs.items()})
                            logged = True
                    step += n
                    if logged:
                        bar.update(n, ph, {k: float(np.mean(v)) for k, v in rows[-1][2].items() if k != _GRAD or ph == "adam"})
                    else:
                        bar.update(n, ph, {_TOTAL: float(np.mean(np.asarray(recs[_TOTAL])[..., -1]))})
                    if cfg["callback"] is not None and logged:
                        cfg["callback"](step, ph, run.model(), rows[-1][2])
                    if ckpt is not None and cfg["checkpoint_every"] and step % int(cfg["checkpoint_every"]) == 0:
                        save(ph, step)
        if stopped is None:
            # the final model's terms
            with _precision(lbfgs_dtype if (lbfgs_steps and phase != "adam") else adam_dtype):
                final = jax.device_get(run.eval_terms())
            if not rows or rows[-1][0] != step:
                final = {**final, _GRAD: np.full(np.shape(final[_TOTAL]), np.nan)}
                record(step, phase, final)
        if ckpt is not None and (stopped is not None or cfg["checkpoint_every"]):
            save(phase, step)
    finally:
        bar.close()

    wall = wall_before + time.perf_counter() - t_start
    with _precision(lbfgs_dtype if phase != "adam" else adam_dtype):
        history = _history(rows, run.ensemble, run.term_names())
    total = history.terms[_TOTAL]
    converged = (
        np.array([cfg["plateau"](row) for row in np.reshape(total, (len(run.keys), -1))])
        if run.ensemble
        else cfg["plateau"](total)
    )
    model = eqx.combine(run.params, run.static)
    return TrainResult(
        model=model,
        history=history,
        wall_time=wall,
        converged=converged,
        steps=min(step, steps),
        lbfgs_steps=max(0, step - steps),
        data=run.batch(),
        stopped=stopped,
    )


def _history(rows, ensemble, order) -> History:
    if not rows:
        empty = np.zeros((0,), np.float64)
        return History(np.zeros(0, np.int64), np.zeros(0, object),
                       {k: empty for k in [_TOTAL, *order, _GRAD]})
    names = list(order) + [k for k in rows[0][2] if k not in order]
    for r in rows:
        for k in r[2]:
            if k not in names:
                names.append(k)
    terms = {}
    for k in names:
        col = [r[2].get(k, np.nan) for r in rows]
        arr = np.asarray(col, np.float64)
        terms[k] = arr.T if ensemble else arr
    order = [_TOTAL] + [k for k in names if k not in (_TOTAL, _GRAD)] + [_GRAD]
    return History(
        np.asarray([r[0] for r in rows], np.int64),
        np.asarray([r[1] for r in rows], dtype=object),
        {k: terms[k] for k in order},
    )
