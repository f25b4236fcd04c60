"""What a results directory holds now: runs stored, claimed (by whom), failed, pending and
corrupt, over every sweep run into it (`liepinn compare --status DIR`)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

from ._claims import Lease
from ._store import CorruptRunError, ResultStore


@dataclass
class StoreStatus:
    """The state of every planned run of a results directory (each run in one class, in the
    order stored > claimed > failed > pending; a corrupt file's run is pending)."""

    directory: str
    planned: int
    stored: list[str] = field(default_factory=list)
    claimed: list[tuple[Lease, list[str]]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    corrupt: list[CorruptRunError] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def n_claimed(self) -> int:
        return sum(len(keys) for _, keys in self.claimed)

    @property
    def n_failed(self) -> int:
        return sum(len(f["keys"]) for f in self.failed)

    def __str__(self) -> str:
        now = time.time()
        lines = [f"{self.directory}: {self.planned} runs planned: {len(self.stored)} stored, "
                 f"{self.n_claimed} claimed, {self.n_failed} failed, {len(self.pending)} pending"
                 + (f"; {len(self.corrupt)} corrupt run file(s)" if self.corrupt else "")]
        if self.claimed:
            lines.append("claimed:")
            for lease, keys in self.claimed:
                state = "STALE (taken over by the next worker)" if lease.dead(now) else "live"
                lines.append(f"  {lease.label or lease.name} ({len(keys)} runs) by {lease.holder}, "
                             f"claimed {now - lease.acquired:.0f} s ago, lease renewed {now - lease.renewed:.0f} s "
                             f"ago, {state}")
        if self.failed:
            lines.append("failed (retried by the next sweep):")
            for f in self.failed:
                lines.append(f"  {f.get('label', '?')} seeds {f.get('seeds')} on {f.get('host')}:{f.get('pid')} "
                             f"at {f.get('time')}: {f.get('error')}")
        if self.corrupt:
            lines.append("corrupt (moved to corrupt/ and redone by the next sweep):")
            lines += [f"  {e.path}: {e.reason}" for e in self.corrupt]
        if self.pending:
            by_label: dict[str, int] = {}
            for k in self.pending:
                by_label[self.labels.get(k, "?")] = by_label.get(self.labels.get(k, "?"), 0) + 1
            lines.append("pending: " + ", ".join(f"{lab} x{n}" for lab, n in sorted(by_label.items())))
        return "\n".join(lines)


def store_status(directory: str | os.PathLike) -> StoreStatus:
    """Read the state of `directory` (nothing is changed)."""
    store = ResultStore(directory)
    if not store.root.is_dir():
        raise FileNotFoundError(f"no results directory {str(store.root)!r}")
    plan = store.planned()
    corrupt = store.corrupt()
    bad = {e.path.stem for e in corrupt}
    done = store.done_keys() - bad
    keys = set(plan) | done
    labels = {k: f"{r.get('problem')} n={r.get('samples')} {r.get('label')}" for k, r in plan.items()}
    out = StoreStatus(str(store.root), len(keys), stored=sorted(keys & done), corrupt=corrupt, labels=labels)
    left = keys - done
    for lease in store.claims().all():
        held = [k for k in lease.keys if k in left]
        if held or not lease.dead():
            out.claimed.append((lease, held))
            left -= set(held)
    for f in store.failures():
        f = dict(f, keys=[k for k in f.get("keys", []) if k in left])
        if f["keys"]:
            out.failed.append(f)
            left -= set(f["keys"])
    out.pending = sorted(left)
    return out


__all__ = ["StoreStatus", "store_status"]
