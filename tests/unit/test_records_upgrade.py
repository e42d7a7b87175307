"""A records file made by the first release (one CREATE script, no versions) is upgraded in
place: every alarm event, user and audit entry kept, the audit chain still intact."""

import sqlite3
from pathlib import Path

import pytest

from station.alarms.journal import MIGRATIONS as ALARMS
from station.alarms.journal import AlarmJournal
from station.audit import MIGRATIONS as AUDIT
from station.audit import AuditTrail
from station.records import RecordsStore
from station.schema_versions import SchemaTooNew, version_of
from station.users import MIGRATIONS as USERS
from station.users import UserStore

# The records schema exactly as the first release created it.
FIRST_RELEASE = """
CREATE TABLE IF NOT EXISTS alarm_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL, alarm TEXT NOT NULL,
    event TEXT NOT NULL, state TEXT NOT NULL, priority INTEGER NOT NULL, tag TEXT,
    value REAL, text_zh TEXT, text_en TEXT, user TEXT, comment TEXT);
CREATE INDEX IF NOT EXISTS alarm_events_ts ON alarm_events(ts);
CREATE INDEX IF NOT EXISTS alarm_events_alarm ON alarm_events(alarm, ts);
CREATE TABLE IF NOT EXISTS alarm_status (alarm TEXT PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS alarm_rule_changes (
    alarm TEXT PRIMARY KEY, json TEXT NOT NULL, ts INTEGER NOT NULL, user TEXT NOT NULL,
    reason TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    username TEXT PRIMARY KEY, password_hash TEXT NOT NULL, role TEXT NOT NULL,
    display_name TEXT, active INTEGER NOT NULL DEFAULT 1, created INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY, username TEXT NOT NULL, created INTEGER NOT NULL,
    expires INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL, user TEXT NOT NULL, role TEXT,
    address TEXT, action TEXT NOT NULL, object TEXT, old TEXT, new TEXT, reason TEXT,
    result TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
"""


def first_release_file(path: Path) -> None:
    """Made with the first release's own schema, then filled through today's code paths
    (which write the same columns)."""
    with sqlite3.connect(path) as conn:
        conn.executescript(FIRST_RELEASE)
        conn.execute(
            "INSERT INTO alarm_events (ts, alarm, event, state, priority, tag, value) "
            "VALUES (1000, 'PT-301.H', 'raised', 'unack', 2, 'PT-301', 0.39)"
        )
        conn.execute("INSERT INTO users VALUES ('op', 'x', 'operator', NULL, 1, 1000)")


def test_first_release_records_are_upgraded_keeping_everything(tmp_path: Path) -> None:
    path = tmp_path / "records.sqlite3"
    first_release_file(path)
    store = RecordsStore(path)
    audit = AuditTrail(store)
    audit.append(2000, "op", "alarm.ack", "ok", obj="PT-301.H")
    journal, users = AlarmJournal(store), UserStore(store)
    assert [e.alarm for e in journal.events()] == ["PT-301.H"]
    assert [u.username for u, _ in users.list()] == ["op"]
    v = audit.verify()
    ok, count = v.intact, v.entries
    assert ok and count == 1
    store.close()
    with sqlite3.connect(path) as conn:
        assert version_of(conn, "alarms") == len(ALARMS)
        assert version_of(conn, "users") == len(USERS)
        assert version_of(conn, "audit") == len(AUDIT)
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("DELETE FROM audit")
    # opened again: nothing to do, nothing changed
    again = RecordsStore(path)
    assert [e.alarm for e in AlarmJournal(again).events()] == ["PT-301.H"]
    again.close()


def test_records_from_a_newer_program_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "records.sqlite3"
    store = RecordsStore(path)
    AlarmJournal(store)
    store.close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE schema_versions SET version = 99 WHERE owner = 'alarms'")
    with pytest.raises(SchemaTooNew, match="alarms schema version 99"):
        AlarmJournal(RecordsStore(path))
