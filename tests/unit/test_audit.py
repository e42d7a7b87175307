"""The audit trail against someone who can write the records file: each way of tampering is
done for real on the SQLite file (triggers dropped, as an attacker would) and named by verify
and by `station audit-verify`."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from station.audit import GENESIS, AuditAnchor, AuditKey, AuditTrail, _body
from station.history.store import HistoryStore
from station.records import RecordsStore

T0 = 1_764_036_000_000
N = 300


def trail(tmp_path: Path) -> tuple[AuditTrail, AuditAnchor]:
    """300 entries, keyed, and the head anchored in the history file."""
    audit = AuditTrail(RecordsStore(tmp_path / "records.sqlite3"), tmp_path / "audit.key")
    for i in range(N):
        audit.append(T0 + i, "op", "alarm.ack", "ok", obj=f"A{i}", role="operator")
    seq, digest = audit.head()
    HistoryStore(tmp_path / "history.sqlite3").add_audit_anchor(T0 + N, seq, digest)
    return audit, AuditAnchor(T0 + N, seq, digest)


def attacker(tmp_path: Path) -> sqlite3.Connection:
    raw = sqlite3.connect(tmp_path / "records.sqlite3")
    raw.execute("DROP TRIGGER audit_no_update")
    raw.execute("DROP TRIGGER audit_no_delete")
    return raw


def cli_verify(tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "station.cli", "audit-verify", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_an_untouched_trail_verifies(tmp_path: Path) -> None:
    audit, anchor = trail(tmp_path)
    v = audit.verify(anchors=[anchor])
    assert v.intact and v.entries == N and v.findings == set()
    out = cli_verify(tmp_path)
    assert out.returncode == 0 and "intact" in out.stdout and "1 anchors" in out.stdout
    key = json.loads((tmp_path / "audit.key").read_text())
    assert key["keyed_from"] == 1 and (tmp_path / "audit.key").stat().st_mode & 0o777 == 0o600


def test_truncation_is_seen_against_the_anchor(tmp_path: Path) -> None:
    audit, anchor = trail(tmp_path)
    with attacker(tmp_path) as raw:
        raw.execute("DELETE FROM audit WHERE seq > ?", (N - 100,))
    assert audit.verify().intact  # the chain alone cannot see a shortened tail
    v = audit.verify(anchors=[anchor])
    assert not v.intact and v.findings == {"truncated"}
    assert f"saw {N} entries" in v.detail and f"ends at {N - 100}" in v.detail
    out = cli_verify(tmp_path)
    assert out.returncode == 1 and "TAMPERED (truncated)" in out.stdout


def test_deletion_in_the_middle(tmp_path: Path) -> None:
    audit, anchor = trail(tmp_path)
    with attacker(tmp_path) as raw:
        raw.execute("DELETE FROM audit WHERE seq BETWEEN 100 AND 109")
    v = audit.verify(anchors=[anchor])
    assert v.findings == {"deleted"} and "entries 100–109 are missing" in v.detail
    assert "deleted" in cli_verify(tmp_path).stdout


def test_an_edit(tmp_path: Path) -> None:
    audit, anchor = trail(tmp_path)
    with attacker(tmp_path) as raw:
        raw.execute("UPDATE audit SET user='mallory' WHERE seq=150")
    v = audit.verify(anchors=[anchor])
    assert v.findings == {"edited"} and "entry 150" in v.detail
    assert "TAMPERED (edited)" in cli_verify(tmp_path).stdout


def test_an_edit_with_every_hash_after_it_recomputed(tmp_path: Path) -> None:
    """What defeated the unkeyed chain: edit, then re-hash from there to the end."""
    audit, anchor = trail(tmp_path)
    with attacker(tmp_path) as raw:
        raw.execute("UPDATE audit SET user='mallory', result='ok' WHERE seq=150")
        rows = raw.execute("SELECT * FROM audit WHERE seq >= 150 ORDER BY seq").fetchall()
        prev = raw.execute("SELECT hash FROM audit WHERE seq=149").fetchone()[0]
        names = ["seq", "ts", "user", "role", "address", "action", "object", "old", "new"]
        names += ["reason", "result"]
        for r in rows:
            fields = dict(zip(names, r[:11], strict=True))
            digest = hashlib.sha256(_body(prev, fields)).hexdigest()
            raw.execute("UPDATE audit SET prev_hash=?, hash=? WHERE seq=?", (prev, digest, r[0]))
            prev = digest
    v = audit.verify(anchors=[anchor])
    assert not v.intact and "rehashed" in v.findings
    assert "entry 150: hashed without the station's key" in v.detail
    assert "rehashed" in cli_verify(tmp_path).stdout


def test_a_truncation_covered_by_new_entries_differs_from_the_anchor(tmp_path: Path) -> None:
    audit, anchor = trail(tmp_path)
    with attacker(tmp_path) as raw:
        raw.execute("DELETE FROM audit WHERE seq > ?", (N - 10,))
    for i in range(10):  # the trail grows back to the anchored length
        audit.append(T0 + 1000 + i, "op", "login", "ok")
    v = audit.verify(anchors=[anchor])
    assert v.findings == {"edited"} and f"entry {N} differs from the anchor" in v.detail


def test_oversized_fields_are_cut_with_a_note(tmp_path: Path) -> None:
    audit = AuditTrail(RecordsStore(tmp_path / "r.sqlite3"), tmp_path / "k")
    e = audit.append(T0, "anonymous", "alarm.ack", "denied", obj="X" * 20_000, new=["Y"] * 9000)
    assert e.object is not None and e.object.endswith("[cut: 20000 characters]")
    assert len(e.object) < 1100 and e.new is not None and len(e.new) < 1100
    assert audit.verify().intact


def test_a_trail_from_before_keys_stays_verifiable(tmp_path: Path) -> None:
    """Entries written before the key existed keep their plain hashes; from then on, keyed."""
    store = RecordsStore(tmp_path / "records.sqlite3")
    old = AuditTrail(store)
    for i in range(3):
        old.append(T0 + i, "cli", "user.add", "ok")
    keyed = AuditTrail(store, tmp_path / "audit.key")
    assert keyed.key is not None and keyed.key.keyed_from == 4
    keyed.append(T0 + 5, "op", "login", "ok")
    assert keyed.verify().intact
    with sqlite3.connect(tmp_path / "records.sqlite3") as raw:
        first = raw.execute("SELECT hash FROM audit WHERE seq=1").fetchone()[0]
    assert first == hashlib.sha256(_body(GENESIS, _fields(store, 1))).hexdigest()
    assert AuditKey.load(tmp_path / "missing") is None


def _fields(store: RecordsStore, seq: int) -> dict[str, object]:
    with store.tx() as conn:
        cur = conn.execute("SELECT * FROM audit WHERE seq=?", (seq,))
        names = [d[0] for d in cur.description]
        row = cur.fetchone()
    return dict(zip(names, row, strict=True))


def test_verify_without_the_key_says_so(tmp_path: Path) -> None:
    trail(tmp_path)
    (tmp_path / "audit.key").unlink()
    out = cli_verify(tmp_path)
    assert out.returncode == 2 and "no audit key" in out.stderr
