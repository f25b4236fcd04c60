"""The results store: one JSON file per finished run, written atomically, never overwritten.

Layout of a results directory:

    DIR/sweep.json          the latest Sweep spec run into DIR (informational)
    DIR/plans/<hash>.json   the run keys of each sweep run into DIR (for `compare --status`)
    DIR/runs/<key>.json     one finished run: {"key", "group", "config", "result", "versions",
                            "checksum", ...}
    DIR/models/<key>.<sha>.eqx  its trained model (`eqx.tree_serialise_leaves`), when the runner
                            returned one; named in the record's result["model_file"] with its
                            SHA-256 and array dtypes (`liepinn.experiments.load_model` reloads it)
    DIR/claims/             who trains what now (`liepinn.experiments._claims`)
    DIR/failed/<name>.json  batches whose runner raised: the error, where and when
    DIR/corrupt/            run files that failed their check, moved aside (then redone)

A run file is written to a temporary name in the same directory, flushed and fsynced, then
hard-linked to `<key>.json` (`os.link` fails if the name exists, so a stored run is never
overwritten, even by two writers at once; atomic on POSIX) and the directory fsynced: a
SIGKILL at any moment leaves either no file or a complete one. Every record carries the
SHA-256 of its content, so a file truncated or altered afterwards (a full disk, a partial
copy) is detected when read (`CorruptRunError`), never silently used. Temporary files left by
a kill are ignored (and swept by `ResultStore.clean` once old).

A model file is written the same way, before its run file, under a name that holds the
first digits of its SHA-256: it is never overwritten either, a kill between the two writes
leaves only an unreferenced model (the run is redone), and the record names the exact bytes
it was evaluated with. The model is not part of the run's key: stores written before models
were kept are read, resumed and reported as before (their records have no "model_file").
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import os
import platform
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ._spec import RunConfig

SCHEMA = 1
_TMP_PREFIX = ".tmp-"
MODELS = "models"
_TMP_MAX_AGE = 3600.0  # seconds; a younger temporary file may be another writer's, in flight


class CorruptRunError(ValueError):
    """A stored run file that cannot be trusted: not JSON, missing fields, or content that
    does not match its key or checksum."""

    def __init__(self, path: str | os.PathLike, reason: str):
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"corrupt run file {self.path}: {reason}")


def _checksum(d: Mapping[str, Any]) -> str:
    body = {k: v for k, v in d.items() if k != "checksum"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, allow_nan=False).encode()).hexdigest()


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


def atomic_write_json(path: str | os.PathLike, payload: Any, *, exclusive: bool = False) -> None:
    """Write JSON to `path` atomically: temp file in the same directory, fsync, os.replace
    (`exclusive`: os.link instead, FileExistsError if `path` exists)."""
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
        if exclusive:
            os.link(tmp, path)
            os.unlink(tmp)
        else:
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
        d = {
            "schema": SCHEMA,
            "key": self.key,
            "group": self.config.group,
            "label": self.config.label,
            "config": self.config.to_dict(),
            "result": self.result,
            "versions": self.versions,
            "created": self.created,
        }
        d["checksum"] = _checksum(_json_safe(d))
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RunRecord:
        rec = cls(RunConfig.from_dict(d["config"]), d["result"], d.get("versions"), d.get("created"))
        if d.get("key") not in (None, rec.key):
            raise ValueError(f"run file key {d.get('key')} does not match its config (hash {rec.key})")
        return rec

    def __repr__(self) -> str:
        return f"RunRecord({self.config.label}, n={self.config.samples}, seed={self.config.seed}, rel_l2={self.rel_l2:.3g})"


class ResultStore:
    """A directory of finished runs, one atomic JSON file per run, keyed by `RunConfig.key`.

    Any number of processes, on any number of hosts sharing the directory, may write to it
    at once: a run is stored at most once (`write` never overwrites) and workers share out
    the work with claims (`claims()`).
    """

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

    def model_path(self, info: Mapping[str, Any]) -> Path:
        """The file of a record's `result["model_file"]`."""
        return self.root / info["path"]

    def write_model(self, key: str, model: Any) -> dict[str, Any]:
        """Store the trained model of run `key` (atomically, never overwritten); its
        `result["model_file"]` entry: {"path", "sha256", "bytes", "dtypes"}."""
        import io

        import equinox as eqx

        from ..runs._directory import _model_dtypes

        buf = io.BytesIO()
        eqx.tree_serialise_leaves(buf, model)
        data = buf.getvalue()
        sha = hashlib.sha256(data).hexdigest()
        rel = f"{MODELS}/{key}.{sha[:16]}.eqx"
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=_TMP_PREFIX + path.name + ".", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            try:
                os.link(tmp, path)
            except FileExistsError:  # the same bytes, stored by a worker that lost its claim
                pass
        finally:
            os.unlink(tmp)
        _fsync_dir(path.parent)
        return {"path": rel, "sha256": sha, "bytes": len(data), "dtypes": _model_dtypes(model)}

    def write(self, config: RunConfig, result: Mapping[str, Any], *,
              versions_: Mapping[str, str] | None = None, model: Any = None) -> RunRecord:
        """Store one finished run (atomically), and its trained `model` (an equinox module;
        default: the `"model"` entry of `result`, as `TrainRunner` returns it), first, when
        there is one. Never overwrites a stored run: FileExistsError."""
        result = dict(result)
        model = result.pop("model", None) if model is None else model
        if model is not None:
            if self.path(config.key).exists():
                raise FileExistsError(f"run {config.key} ({config.label}, seed {config.seed}) is already "
                                      f"stored at {self.path(config.key)}")
            result["model_file"] = self.write_model(config.key, model)
        rec = RunRecord(config, _json_safe(result), versions_ if versions_ is not None else versions(),
                        _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"))
        path = self.path(rec.key)
        try:
            atomic_write_json(path, rec.to_dict(), exclusive=True)
        except FileExistsError:
            raise FileExistsError(f"run {rec.key} ({config.label}, seed {config.seed}) is already stored at {path}") from None
        return rec

    def read(self, key: str) -> RunRecord:
        """The stored run `key`; `CorruptRunError` if its file fails its checks."""
        path = self.path(key)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        try:
            d = json.loads(text)
        except ValueError as e:
            raise CorruptRunError(path, f"not valid JSON ({e}; {len(text)} bytes, truncated?)") from None
        if not isinstance(d, dict):
            raise CorruptRunError(path, f"a JSON {type(d).__name__}, not a run record")
        if "checksum" in d and d["checksum"] != _checksum(d):
            raise CorruptRunError(path, "content does not match its checksum (altered after writing)")
        try:
            rec = RunRecord.from_dict(d)
        except (KeyError, TypeError, ValueError) as e:
            raise CorruptRunError(path, f"not a run record ({type(e).__name__}: {e})") from None
        if rec.key != key:
            raise CorruptRunError(path, f"holds run {rec.key}, not {key}")
        return rec

    def __iter__(self) -> Iterator[RunRecord]:
        for key in sorted(self.done_keys()):
            yield self.read(key)

    def records(self, keys: Iterable[str] | None = None) -> list[RunRecord]:
        """Stored runs (those in `keys` only, when given), in a deterministic order.
        `CorruptRunError` naming the first file that fails its checks."""
        done = self.done_keys()
        wanted = sorted(done if keys is None else done & set(keys))
        return [self.read(k) for k in wanted]

    def corrupt(self) -> list[CorruptRunError]:
        """Every stored run file that fails its checks (each read in full)."""
        out = []
        for key in sorted(self.done_keys()):
            try:
                self.read(key)
            except CorruptRunError as e:
                out.append(e)
            except FileNotFoundError:  # moved aside meanwhile by another worker
                pass
        return out

    def quarantine(self) -> list[CorruptRunError]:
        """Move every corrupt run file to DIR/corrupt/ (so that its run is redone) and return
        what was moved, with the reasons."""
        moved = []
        for err in self.corrupt():
            dest = self.root / "corrupt" / f"{err.path.stem}.{time.strftime('%Y%m%dT%H%M%S')}.{os.getpid()}.json"
            dest.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.rename(err.path, dest)
            except FileNotFoundError:
                continue
            err.path = dest
            moved.append(err)
        return moved

    def write_spec(self, spec: Mapping[str, Any]) -> None:
        atomic_write_json(self.root / "sweep.json", spec)

    def write_plan(self, configs: Iterable[RunConfig]) -> None:
        """Record the runs of one sweep (DIR/plans/<hash>.json) for `status`."""
        runs = [{"key": c.key, "group": c.group, "label": c.label, "seed": c.seed,
                 "problem": c.problem, "samples": c.samples} for c in configs]
        name = hashlib.sha256("".join(sorted(r["key"] for r in runs)).encode()).hexdigest()[:16]
        path = self.root / "plans" / f"{name}.json"
        if not path.exists():
            atomic_write_json(path, {"runs": runs})

    def planned(self) -> dict[str, dict[str, Any]]:
        """key -> {label, seed, group, ...} of every run of every sweep run into DIR."""
        out: dict[str, dict[str, Any]] = {}
        for p in sorted((self.root / "plans").glob("*.json")):
            try:
                runs = json.loads(p.read_text(encoding="utf-8"))["runs"]
            except (ValueError, KeyError, OSError):
                continue
            out.update({r["key"]: r for r in runs})
        return out

    def claims(self, *, lease: float | None = None):
        """The `Claims` of this directory (lease in seconds, default `DEFAULT_LEASE`)."""
        from ._claims import DEFAULT_LEASE, Claims

        return Claims(self.root, lease=DEFAULT_LEASE if lease is None else lease)

    def record_failure(self, name: str, configs: Iterable[RunConfig], error: BaseException) -> None:
        """Note that the batch `name` failed (DIR/failed/<name>.json); kept until it is stored."""
        import socket
        import traceback

        configs = list(configs)
        atomic_write_json(self.root / "failed" / f"{name}.json", {
            "name": name, "label": configs[0].label if configs else "", "keys": [c.key for c in configs],
            "seeds": [c.seed for c in configs], "error": f"{type(error).__name__}: {error}",
            "traceback": "".join(traceback.format_exception(error))[-4000:],
            "host": socket.gethostname(), "pid": os.getpid(),
            "time": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        })

    def clear_failure(self, name: str) -> None:
        try:
            (self.root / "failed" / f"{name}.json").unlink()
        except FileNotFoundError:
            pass

    def failures(self) -> list[dict[str, Any]]:
        """The failed batches not stored since (see `record_failure`)."""
        out = []
        for p in sorted((self.root / "failed").glob("*.json")):
            try:
                out.append(json.loads(p.read_text(encoding="utf-8")))
            except (ValueError, OSError):
                continue
        return out

    def clean(self, *, max_age: float = _TMP_MAX_AGE) -> int:
        """Remove temporary files left by killed writers (older than `max_age` seconds, so
        that another writer's file in flight is left alone); returns how many."""
        n = 0
        now = time.time()
        for folder in (self.runs_dir, self.root / MODELS):
            if not folder.is_dir():
                continue
            for p in folder.glob(_TMP_PREFIX + "*"):
                try:
                    if now - p.stat().st_mtime >= max_age:
                        p.unlink()
                        n += 1
                except FileNotFoundError:
                    pass
        return n
