"""The records store (SQLite): alarm journal, alarm states, rule changes, users, audit trail."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCHEMA = """
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


class RecordsStore:
    """One connection, serialised by a lock: records are small, rare writes."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(SCHEMA)
        self._lock = threading.RLock()

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock, self._conn:
            yield self._conn

    def close(self) -> None:
        with self._lock:
            self._conn.close()
