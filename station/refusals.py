"""Refusals into the audit trail, without letting a stranger fill it.

Every refused request is worth recording (who tried what, from where), but an anonymous client
must not be able to write without bound into a trail that can never be deleted: each address
gets `per_minute` entries a minute, and what is held back is counted and recorded as one entry
when its minute is over. What one entry holds is capped by the audit trail itself.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal

from station.audit import AuditTrail

WINDOW_MS = 60_000

RefusalKind = Literal["unknown", "forbidden", "conflict"]


class Refused(Exception):
    """A person's action the domain refuses (already audited where it was refused); the API
    answers it 404, 403 or 409."""

    def __init__(self, kind: RefusalKind, why: str | dict[str, str]) -> None:
        super().__init__(why)
        self.kind = kind
        self.why = why


@dataclass
class _Window:
    start_ms: int
    written: int = 0
    held: int = 0
    last_action: str = ""


class RefusalLog:
    def __init__(self, audit: AuditTrail, per_minute: int = 30) -> None:
        self.audit = audit
        self.per_minute = per_minute
        self._windows: dict[str, _Window] = {}
        self._lock = threading.Lock()
        self.held_total = 0

    def record(
        self,
        now_ms: int,
        user: str,
        action: str,
        why: str,
        *,
        role: str | None = None,
        address: str | None = None,
        obj: str | None = None,
    ) -> bool:
        """Writes the refusal, or counts it when its address is over its share; True if
        written."""
        key = address or "?"
        with self._lock:
            w = self._windows.get(key)
            summary = None
            if w is None or now_ms - w.start_ms >= WINDOW_MS:
                if w is not None and w.held:
                    summary = w
                w = self._windows[key] = _Window(now_ms)
                self._forget_old(now_ms)
            write = w.written < self.per_minute
            if write:
                w.written += 1
            else:
                w.held += 1
                w.last_action = action
                self.held_total += 1
        if summary is not None:
            self._write_summary(now_ms, key, summary)
        if write:
            self.audit.append(
                now_ms, user, action, f"denied: {why}", role=role, address=address, obj=obj
            )
        return write

    def flush(self, now_ms: int) -> None:
        """Windows whose minute is over get their summary entry (called each second)."""
        with self._lock:
            done = [
                (k, w)
                for k, w in self._windows.items()
                if now_ms - w.start_ms >= WINDOW_MS and w.held
            ]
            for k, _ in done:
                del self._windows[k]
        for key, w in done:
            self._write_summary(now_ms, key, w)

    def _write_summary(self, now_ms: int, address: str, w: _Window) -> None:
        self.audit.append(
            now_ms,
            "anonymous",
            "audit.refusals_held",
            f"denied: {w.held} further refusals from this address not recorded one by one",
            address=address,
            new={"held": w.held, "since_ms": w.start_ms, "last_action": w.last_action},
        )

    def _forget_old(self, now_ms: int) -> None:
        if len(self._windows) > 10_000:
            for k in [k for k, w in self._windows.items() if now_ms - w.start_ms >= WINDOW_MS]:
                if not self._windows[k].held:
                    del self._windows[k]


class Unknown(KeyError):
    """A record a person named that does not exist, with the words to say so."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why

    def __str__(self) -> str:
        return self.why
