"""The results store: one JSON file per finished run, written atomically.

Layout of a results directory:

    DIR/sweep.json          the latest Sweep spec run into DIR (informational)
    DIR/runs/<key>.json     one finished run: {"key", "group", "config", "result", "versions", ...}

A run file is written to a temporary name in the same directory, flushed and fsynced, then
renamed onto `<key>.json` with `os.replace` (atomic on POSIX) and the directory fsynced, so a
SIGKILL at any moment leaves either no file or a complete one: at most the runs in progress
are lost. Temporary files left by a kill are ignored (and swept by `ResultStore.clean`).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import fcntl
import json
import math
import os
import platform
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ._spec import RunConfig

SCHEMA = 1
_TMP_PREFIX = ".tmp-"


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # e.g. platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _json_safe(value: Any) -> Any:
    """Replace non-finite floats by None-free strings JSON can hold ("nan", "inf", "-inf")."""
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", 1) == 0:
        return _json_safe(value.item())  # numpy / jax scalars
    if hasattr(value, "tolist"):
        return _json_safe(value.tolist())
    return value


def _float(value: Any) -> float:
    """Inverse of `_json_safe` for one number."""
    if isinstance(value, str):
        return float(value)
    if value is None:
        return math.nan
    return float(value)


def atomic_write_json(path: str | os.PathLike, payload: Any) -> None:
    """Write JSON to `path` atomically: temp file in the same directory, fsync, os.replace."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(_json_safe(payload), indent=1, sort_keys=True, allow_nan=False)
    fd, tmp = tempfile.mkstemp(prefix=_TMP_PREFIX + path.name + ".", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_dir(path.parent)


def versions() -> dict[str, str]:
    """Versions of Python, liepinn and the numeric packages a run depends on."""
    from importlib import metadata

    out = {"python": platform.python_version(), "platform": platform.platform()}
    for name in ("liepinn", "jax", "jaxlib", "equinox", "optax", "diffrax", "sympy", "numpy", "scipy"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            mod = sys.modules.get(name)
            out[name] = getattr(mod, "__version__", "unknown") if mod else "not installed"
    try:
        import jax

        out["jax_backend"] = jax.default_backend()
    except Exception:  # noqa: BLE001 - versions are informational
        pass
    return out


class RunRecord:
    """One stored run: its config, its result (metrics) and provenance."""

    __slots__ = ("config", "result", "versions", "created", "key")

    def __init__(self, config: RunConfig, result: Mapping[str, Any],
                 versions: Mapping[str, str] | None = None, created: str | None = None):
        self.config = config
        self.result = dict(result)
        self.versions = dict(versions or {})
        self.created = created
        self.key = config.key

    @property
    def rel_l2(self) -> float:
        return _float(self.result.get("rel_l2"))

    @property
    def wall_time(self) -> float:
        return _float(self.result.get("wall_time_s"))

    @property
    def converged(self) -> bool:
        return bool(self.result.get("converged", False))

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "key": self.key,
            "group": self.config.group,
            "label": self.config.label,
            "config": self.config.to_dict(),
            "result": self.result,
            "versions": self.versions,
            "created": self.created,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RunRecord:
        rec = cls(RunConfig.from_dict(d["config"]), d["result"], d.get("versions"), d.get("created"))
        if d.get("key") not in (None, rec.key):
            raise ValueError(f"run file key {d.get('key')} does not match its config (hash {rec.key})")
        return rec

    def __repr__(self) -> str:
        return f"RunRecord({self.config.label}, n={self.config.samples}, seed={self.config.seed}, rel_l2={self.rel_l2:.3g})"


class ResultStore:
    """A directory of finished runs, one atomic JSON file per run, keyed by `RunConfig.key`."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self.runs_dir = self.root / "runs"
        if self.root.exists() and not self.root.is_dir():
            raise ValueError(f"results directory {str(self.root)!r} exists and is not a directory")

    def path(self, key: str) -> Path:
        return self.runs_dir / f"{key}.json"

    def done_keys(self) -> set[str]:
        if not self.runs_dir.is_dir():
            return set()
        return {p.stem for p in self.runs_dir.glob("*.json") if not p.name.startswith(_TMP_PREFIX)}

    def __contains__(self, key: str) -> bool:
        return self.path(key).exists()

    def write(self, config: RunConfig, result: Mapping[str, Any], *,
              versions_: Mapping[str, str] | None = None) -> RunRecord:
        """Store one finished run (atomically). Never overwrites a stored run."""
        rec = RunRecord(config, _json_safe(dict(result)), versions_ if versions_ is not None else versions(),
                        _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"))
        path = self.path(rec.key)
        if path.exists():
            raise FileExistsError(f"run {rec.key} ({config.label}, seed {config.seed}) is already stored at {path}")
        atomic_write_json(path, rec.to_dict())
        return rec

    def read(self, key: str) -> RunRecord:
        with open(self.path(key), encoding="utf-8") as f:
            return RunRecord.from_dict(json.load(f))

    def __iter__(self) -> Iterator[RunRecord]:
        for key in sorted(self.done_keys()):
            yield self.read(key)

    def records(self, keys: set[str] | None = None) -> list[RunRecord]:
        """Stored runs (those in `keys` only, when given), in a deterministic order."""
        done = self.done_keys()
        wanted = sorted(done if keys is None else done & set(keys))
        return [self.read(k) for k in wanted]

    def write_spec(self, spec: Mapping[str, Any]) -> None:
        atomic_write_json(self.root / "sweep.json", spec)

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold an exclusive lock on the directory (one sweep writer at a time).

        An `flock` on DIR/.lock: the kernel drops it when the process dies, even by SIGKILL,
        so a killed sweep never leaves a stale lock behind.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        f = open(self.root / ".lock", "a+")
        try:
            try:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise ValueError(
                    f"results directory {str(self.root)!r} is in use by another sweep (it holds "
                    f"{self.root / '.lock'}); wait for it to finish or choose another --out"
                ) from None
            yield
        finally:
            f.close()

    def clean(self) -> int:
        """Remove temporary files left by killed writers; returns how many."""
        n = 0
        if self.runs_dir.is_dir():
            for p in self.runs_dir.glob(_TMP_PREFIX + "*"):
                try:
                    p.unlink()
                    n += 1
                except FileNotFoundError:
                    pass
        return n
