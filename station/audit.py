"""Append-only, chained audit trail (IEC 62443, GB/T 22239): who did what, who was refused.

Each entry's hash covers its content and the previous hash, so editing or removing an entry
anywhere breaks the chain from there on; SQLite triggers refuse UPDATE and DELETE outright.

A plain hash chain only proves that the file is self-consistent: whoever can write the file can
delete its tail or edit an entry and recompute every hash after it. So the chain is keyed
(HMAC-SHA-256 with a key kept in its own file, not in the records file: `AuditKey`), and the
head of the chain (count and hash) is anchored elsewhere from time to time (`AuditAnchor`: the
history file, the log, signed reports). `verify` then tells an edit, a deletion, a truncation
and a full re-hash apart.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
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


MAX_FIELD_CHARS = 1000
"""What one field of one entry may hold; longer text is cut with a note of its length."""


@dataclass(frozen=True)
class AuditKey:
    """The chain's secret, in a file of its own (mode 0600). Entries from `keyed_from` on are
    keyed; older ones (written before the trail was keyed) keep their plain SHA-256."""

    secret: bytes
    keyed_from: int

    @classmethod
    def load(cls, path: Path) -> AuditKey | None:
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            return None
        return cls(bytes.fromhex(data["key"]), int(data["keyed_from"]))

    @classmethod
    def load_or_create(cls, path: Path, next_seq: int) -> AuditKey:
        key = cls.load(path)
        if key is not None:
            return key
        key = cls(secrets.token_bytes(32), next_seq)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump({"key": key.secret.hex(), "keyed_from": key.keyed_from}, f)
        return key

    def applies(self, seq: int) -> bool:
        return seq >= self.keyed_from


@dataclass(frozen=True)
class AuditAnchor:
    """The chain's head as seen at `ts_ms`, kept outside the records file."""

    ts_ms: int
    seq: int
    hash: str


@dataclass
class AuditVerdict:
    intact: bool
    entries: int
    problems: list[str] = field(default_factory=list)
    findings: set[str] = field(default_factory=set)
    """Which kinds of tampering: edited, deleted, truncated, rehashed, unkeyed."""

    @property
    def detail(self) -> str:
        return "intact" if self.intact else "; ".join(self.problems)


def _body(prev: str, fields: dict[str, Any]) -> bytes:
    return json.dumps(
        [prev, *[fields[k] for k in _FIELDS]], ensure_ascii=False, separators=(",", ":")
    ).encode()


def _digest(prev: str, fields: dict[str, Any], secret: bytes | None = None) -> str:
    body = _body(prev, fields)
    if secret is None:
        return hashlib.sha256(body).hexdigest()
    return hmac.new(secret, body, hashlib.sha256).hexdigest()


def _capped(text: str | None) -> str | None:
    if text is None or len(text) <= MAX_FIELD_CHARS:
        return text
    return f"{text[:MAX_FIELD_CHARS]}… [cut: {len(text)} characters]"


def _text(v: Any) -> str | None:
    if v is None or isinstance(v, str):
        return _capped(v)
    return _capped(json.dumps(v, ensure_ascii=False, sort_keys=True, default=str))


class AuditTrail:
    def __init__(self, store: RecordsStore, key_file: Path | None = None) -> None:
        """`key_file`: where the chain's key lives (made on first use). None: unkeyed, for
        reading only."""
        self.store = store
        store.ensure_schema("audit", MIGRATIONS)
        self.key = (
            None if key_file is None else AuditKey.load_or_create(key_file, self.head()[0] + 1)
        )

    def head(self) -> tuple[int, str]:
        """(last seq, its hash): what an anchor records."""
        with self.store.tx() as conn:
            row = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        return (row[0], row[1]) if row else (0, GENESIS)

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
        fields = {
            "ts": ts,
            "user": _capped(user),
            "role": role,
            "address": _capped(address),
            "action": action,
            "object": _capped(obj),
            "old": _text(old),
            "new": _text(new),
            "reason": _capped(reason),
            "result": _capped(result),
        }
        with self.store.tx() as conn:
            row = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
            seq, prev = (row[0] + 1, row[1]) if row else (1, GENESIS)
            fields["seq"] = seq
            key = self.key
            digest = _digest(prev, fields, key.secret if key and key.applies(seq) else None)
            conn.execute(
                "INSERT INTO audit VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (*[fields[k] for k in _FIELDS], prev, digest),
            )
        return AuditEntry(**fields, prev_hash=prev, hash=digest)  # type: ignore[arg-type]

    def entries(self, limit: int = 1000, since_seq: int = 0) -> list[AuditEntry]:
        with self.store.tx() as conn:
            rows = conn.execute(
                "SELECT * FROM audit WHERE seq > ? ORDER BY seq LIMIT ?", (since_seq, limit)
            ).fetchall()
        return [AuditEntry(*r) for r in rows]

    def verify(
        self, key: AuditKey | None = None, anchors: list[AuditAnchor] | None = None
    ) -> AuditVerdict:
        """Checks the chain, each keyed entry's MAC (with `key`) and the chain against
        `anchors`; says what kind of tampering it sees and where."""
        key = key or self.key
        with self.store.tx() as conn:
            rows = conn.execute("SELECT * FROM audit ORDER BY seq").fetchall()
        v = AuditVerdict(True, 0)

        def problem(kind: str, text: str) -> None:
            v.intact = False
            v.findings.add(kind)
            if len(v.problems) < 20:
                v.problems.append(text)

        prev = GENESIS
        by_seq: dict[int, str] = {}
        expected_seq = 1
        for r in rows:
            e = AuditEntry(*r)
            if e.seq != expected_seq:
                problem("deleted", f"entries {expected_seq}–{e.seq - 1} are missing")
            elif e.prev_hash != prev:
                problem("edited", f"entry {e.seq}: the chain is broken before it")
            fields = {k: getattr(e, k) for k in _FIELDS}
            if key is not None and key.applies(e.seq):
                if not hmac.compare_digest(_digest(e.prev_hash, fields, key.secret), e.hash):
                    if _digest(e.prev_hash, fields) == e.hash:
                        problem(
                            "rehashed",
                            f"entry {e.seq}: hashed without the station's key "
                            "(the chain was recomputed after the fact)",
                        )
                    else:
                        problem("edited", f"entry {e.seq}: content does not match its MAC")
            elif _digest(e.prev_hash, fields) != e.hash:
                hint = "" if key is not None else " (or it is keyed and the key was not given)"
                problem("edited", f"entry {e.seq}: content does not match its hash{hint}")
            by_seq[e.seq] = e.hash
            prev = e.hash
            expected_seq = e.seq + 1
            v.entries += 1
        last = expected_seq - 1
        for a in sorted(anchors or [], key=lambda a: a.seq):
            if a.seq > last:
                problem(
                    "truncated",
                    f"an anchor saw {a.seq} entries at {a.ts_ms} ms; the trail ends at {last}",
                )
            elif a.seq in by_seq and by_seq[a.seq] != a.hash:
                problem("edited", f"entry {a.seq} differs from the anchor taken at {a.ts_ms} ms")
        return v
