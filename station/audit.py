"""Append-only, hash-chained audit trail (IEC 62443, GB/T 22239): who did what, who was refused.

Each entry's hash covers its content and the previous hash, so editing or removing an entry
anywhere breaks the chain from there on; SQLite triggers refuse UPDATE and DELETE outright.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from station.records import RecordsStore

MIGRATIONS = (
    """
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL, user TEXT NOT NULL, role TEXT,
    address TEXT, action TEXT NOT NULL, object TEXT, old TEXT, new TEXT, reason TEXT,
    result TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
""",
)

GENESIS = "0" * 64
_FIELDS = (
    "seq",
    "ts",
    "user",
    "role",
    "address",
    "action",
    "object",
    "old",
    "new",
    "reason",
    "result",
)


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    ts: int
    user: str
    role: str | None
    address: str | None
    action: str
    object: str | None
    old: str | None
    new: str | None
    reason: str | None
    result: str
    prev_hash: str
    hash: str


def _digest(prev: str, fields: dict[str, Any]) -> str:
    body = json.dumps(
        [prev, *[fields[k] for k in _FIELDS]], ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(body.encode()).hexdigest()


def _text(v: Any) -> str | None:
    if v is None or isinstance(v, str):
        return v
    return json.dumps(v, ensure_ascii=False, sort_keys=True, default=str)


class AuditTrail:
    def __init__(self, store: RecordsStore) -> None:
        self.store = store
        store.ensure_schema("audit", MIGRATIONS)

    def append(
        self,
        ts: int,
        user: str,
        action: str,
        result: str,
        *,
        role: str | None = None,
        address: str | None = None,
        obj: str | None = None,
        old: Any = None,
        new: Any = None,
        reason: str | None = None,
    ) -> AuditEntry:
        with self.store.tx() as conn:
            row = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
            seq, prev = (row[0] + 1, row[1]) if row else (1, GENESIS)
            fields = {
                "seq": seq,
                "ts": ts,
                "user": user,
                "role": role,
                "address": address,
                "action": action,
                "object": obj,
                "old": _text(old),
                "new": _text(new),
                "reason": reason,
                "result": result,
            }
            digest = _digest(prev, fields)
            conn.execute(
                "INSERT INTO audit VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (*[fields[k] for k in _FIELDS], prev, digest),
            )
        return AuditEntry(
            seq,
            ts,
            user,
            role,
            address,
            action,
            obj,
            _text(old),
            _text(new),
            reason,
            result,
            prev,
            digest,
        )

    def entries(self, limit: int = 1000, since_seq: int = 0) -> list[AuditEntry]:
        with self.store.tx() as conn:
            rows = conn.execute(
                "SELECT * FROM audit WHERE seq > ? ORDER BY seq LIMIT ?", (since_seq, limit)
            ).fetchall()
        return [AuditEntry(*r) for r in rows]

    def verify(self) -> tuple[bool, int, str]:
        """(intact, entries checked, what is wrong)."""
        prev = GENESIS
        count = 0
        with self.store.tx() as conn:
            rows = conn.execute("SELECT * FROM audit ORDER BY seq").fetchall()
        for expected_seq, r in enumerate(rows, start=1):
            e = AuditEntry(*r)
            if e.seq != expected_seq:
                return False, count, f"entry {expected_seq} is missing (found {e.seq})"
            if e.prev_hash != prev:
                return False, count, f"entry {e.seq}: chain broken before it"
            if _digest(prev, {k: getattr(e, k) for k in _FIELDS}) != e.hash:
                return False, count, f"entry {e.seq}: content does not match its hash"
            prev = e.hash
            count += 1
        return True, count, "intact"
