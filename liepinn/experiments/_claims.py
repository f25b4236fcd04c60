"""Claims with a lease: who is training which batch of runs of a shared results directory.

Layout, next to the store's runs:

    DIR/claims/<name>.json    one claim: {"owner", "host", "pid", "label", "acquired", "expires", ...}
    DIR/claims/.mutex         serialises the read-modify-write steps below (held for milliseconds)

A worker claims a batch before training it: the claim file is created with
``os.open(O_CREAT | O_EXCL)``, so of several workers exactly one gets it. While the batch
trains, a heartbeat thread renews the lease (`expires` moves `lease` seconds ahead every
`lease / 4` seconds). A claim is *stale*, and the next worker that wants the batch takes it
over, when its lease has expired (the owner hung, its host died, or the network split) or
when its owner is a process of this host that no longer exists (SIGKILL, OOM killer): such a
batch is redone at once, without waiting for the lease. A worker whose claim was taken over
notices at its next heartbeat (`Claim.lost`); the store never overwrites a stored run, so
even a zombie that finishes late changes nothing.

Takeover, renewal and release re-read the claim under an exclusive ``flock`` of
DIR/claims/.mutex so that no worker ever removes a claim it did not read as stale. Hosts
sharing DIR (NFS, Lustre, ...) need synchronised clocks (NTP) and working ``flock``.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_LEASE = 120.0  # seconds; a worker renews every lease / 4


@dataclass(frozen=True)
class Lease:
    """The content of one claim file."""

    name: str
    owner: str
    host: str
    pid: int
    label: str
    acquired: float  # time.time() of the claim
    renewed: float  # of the latest heartbeat
    expires: float
    keys: tuple[str, ...] = ()  # the runs of the batch

    @property
    def holder(self) -> str:
        return f"{self.host}:{self.pid}"

    def dead(self, now: float | None = None) -> bool:
        """Expired, or owned by a process of this host that is gone."""
        now = time.time() if now is None else now
        if now > self.expires:
            return True
        return self.host == socket.gethostname() and not _pid_alive(self.pid)

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Lease:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k != "keys"}, keys=tuple(d.get("keys", ())))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    # a zombie (killed, not yet reaped by its parent) is dead for our purposes
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


class Claims:
    """The claims of one results directory.

    **Arguments:**
    - `root`: the results directory.
    - `lease`: seconds a claim stays valid without a heartbeat.
    """

    def __init__(self, root: str | os.PathLike, *, lease: float = DEFAULT_LEASE):
        if not lease > 0:
            raise ValueError(f"lease must be > 0 seconds, got {lease!r}")
        self.dir = Path(root) / "claims"
        self.lease = float(lease)
        self._thread_lock = threading.Lock()  # flock emulated by fcntl locks (NFS) is per process

    def path(self, name: str) -> Path:
        return self.dir / f"{name}.json"

    @contextlib.contextmanager
    def _mutex(self) -> Iterator[None]:
        self.dir.mkdir(parents=True, exist_ok=True)
        with self._thread_lock, open(self.dir / ".mutex", "a+") as f:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f.fileno(), fcntl.LOCK_UN)

    def read(self, name: str) -> Lease | None:
        """The claim on `name`, None if unclaimed. A claim file that cannot be read (its
        creator was killed between creating and writing it) counts as expired once older than
        the lease."""
        p = self.path(name)
        try:
            text = p.read_text(encoding="utf-8")
            st = p.stat()
        except FileNotFoundError:
            return None
        try:
            return Lease.from_dict(json.loads(text))
        except (ValueError, KeyError, TypeError):
            return Lease(name, "?", "?", -1, "(unreadable claim)", st.st_mtime, st.st_mtime,
                         st.st_mtime + self.lease)

    def all(self) -> list[Lease]:
        """Every claim in the directory (live or stale)."""
        if not self.dir.is_dir():
            return []
        out = []
        for p in sorted(self.dir.glob("*.json")):
            lease = self.read(p.stem)
            if lease is not None:
                out.append(lease)
        return out

    def _create(self, name: str, label: str, keys: tuple[str, ...]) -> Lease | None:
        now = time.time()
        lease = Lease(name, uuid.uuid4().hex, socket.gethostname(), os.getpid(), label, now, now,
                      now + self.lease, keys)
        try:
            fd = os.open(self.path(name), os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return None
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(lease.to_dict(), f)
            f.flush()
            os.fsync(f.fileno())
        return lease

    def claim(self, name: str, label: str = "", keys: Iterable[str] = ()) -> Claim | None:
        """Claim `name` (taking over a stale claim); None while someone else holds it. `label`
        and `keys` (the runs) are recorded for `liepinn compare --status`."""
        keys = tuple(keys)
        self.dir.mkdir(parents=True, exist_ok=True)
        with self._mutex():
            lease = self._create(name, label, keys)
            if lease is None:
                held = self.read(name)
                if held is not None and not held.dead():
                    return None
                with contextlib.suppress(FileNotFoundError):
                    self.path(name).unlink()
                lease = self._create(name, label, keys)
        return None if lease is None else Claim(self, lease)

    def renew(self, lease: Lease) -> Lease | None:
        """Move the lease's expiry ahead; None if the claim is no longer ours."""
        from ._store import atomic_write_json

        with self._mutex():
            held = self.read(lease.name)
            if held is None or held.owner != lease.owner:
                return None
            now = time.time()
            new = Lease(**{**held.to_dict(), "renewed": now, "expires": now + self.lease})
            atomic_write_json(self.path(lease.name), new.to_dict())
            return new

    def release(self, lease: Lease) -> None:
        """Remove the claim if it is still ours."""
        with self._mutex():
            held = self.read(lease.name)
            if held is not None and held.owner == lease.owner:
                with contextlib.suppress(FileNotFoundError):
                    self.path(lease.name).unlink()


class Claim:
    """A held claim: a context manager that renews the lease in a heartbeat thread and
    releases it on exit. `lost` turns true if another worker took the claim over."""

    def __init__(self, claims: Claims, lease: Lease):
        self.claims = claims
        self.lease = lease
        self.lost = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _beat(self) -> None:
        while not self._stop.wait(self.claims.lease / 4):
            try:
                new = self.claims.renew(self.lease)
            except OSError:  # a hiccup of a shared filesystem: try again next beat
                continue
            if new is None:
                self.lost = True
                return
            self.lease = new

    def __enter__(self) -> Claim:
        self._thread = threading.Thread(target=self._beat, name=f"lease-{self.lease.name[:8]}", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if not self.lost:
            self.claims.release(self.lease)


__all__ = ["Claim", "Claims", "DEFAULT_LEASE", "Lease"]
