"""Alarm journal: each transition with time, value, user and comment; states survive restarts."""

from __future__ import annotations

import json
import logging
import sqlite3
from dataclasses import dataclass
from typing import Any

from station.alarms.lifecycle import AlarmStatus
from station.records import RecordsStore

log = logging.getLogger(__name__)

MIGRATIONS = (
    """
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
""",
)
"""The alarm package's tables in the records file, migration by migration."""
MAX_PENDING = 100_000
"""Journal events kept in memory while the records file cannot be written."""


@dataclass(frozen=True)
class JournalEvent:
    seq: int
    ts_ms: int
    alarm: str
    event: str
    state: str
    priority: int
    tag: str | None
    value: float | None
    text_zh: str | None
    text_en: str | None
    user: str | None
    comment: str | None


class AlarmJournal:
    def __init__(self, store: RecordsStore) -> None:
        self.store = store
        store.ensure_schema("alarms", MIGRATIONS)
        self._pending: list[tuple[tuple[object, ...], str, str]] = []
        self.last_error: str | None = None
        self.dropped = 0

    def record(
        self,
        status: AlarmStatus,
        event: str,
        priority: int,
        tag: str | None,
        ts_ms: int,
        user: str | None = None,
        comment: str | None = None,
    ) -> int:
        row = (
            ts_ms,
            status.id,
            event,
            status.state.value,
            priority,
            tag,
            status.value,
            status.text_zh,
            status.text_en,
            user,
            comment,
        )
        snapshot = json.dumps(status.to_dict(), ensure_ascii=False)
        if len(self._pending) >= MAX_PENDING:
            self.dropped += 1  # memory is bounded too; counted, and the alarm already stands
        else:
            self._pending.append((row, status.id, snapshot))
        return self.catch_up()

    def catch_up(self) -> int:
        """Write what waits, oldest first. The engine's state never depends on this: a full
        disk delays the journal, it does not change which alarms are annunciated."""
        if not self._pending:
            return 0
        try:
            with self.store.tx() as conn:
                seq = 0
                for row, alarm, snapshot in self._pending:
                    cur = conn.execute(
                        "INSERT INTO alarm_events (ts, alarm, event, state, priority, tag, "
                        "value, text_zh, text_en, user, comment) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                        row,
                    )
                    conn.execute(
                        "INSERT OR REPLACE INTO alarm_status VALUES (?, ?)", (alarm, snapshot)
                    )
                    seq = int(cur.lastrowid or 0)
        except sqlite3.Error as exc:
            if self.last_error is None:
                log.error("alarm journal write failed, %d events wait: %s", len(self._pending), exc)
            self.last_error = str(exc)
            return 0
        if self.last_error is not None:
            log.info("alarm journal caught up (%d events)", len(self._pending))
        self.last_error = None
        self._pending.clear()
        return seq

    @property
    def pending(self) -> int:
        return len(self._pending)

    def load_statuses(self) -> dict[str, AlarmStatus]:
        with self.store.tx() as conn:
            rows = conn.execute("SELECT alarm, json FROM alarm_status").fetchall()
        return {a: AlarmStatus.from_dict(json.loads(j)) for a, j in rows}

    def events(
        self,
        start_ms: int | None = None,
        end_ms: int | None = None,
        alarm: str | None = None,
        tag: str | None = None,
        priority: int | None = None,
        event: str | None = None,
        state: str | None = None,
        user: str | None = None,
        limit: int = 10_000,
    ) -> list[JournalEvent]:
        where: list[str] = []
        args: list[object] = []
        for column, op, value in (
            ("ts", ">=", start_ms),
            ("ts", "<", end_ms),
            ("alarm", "=", alarm),
            ("tag", "=", tag),
            ("priority", "=", priority),
            ("event", "=", event),
            ("state", "=", state),
            ("user", "=", user),
        ):
            if value is not None:
                where.append(f"{column} {op} ?")
                args.append(value)
        sql = "SELECT * FROM alarm_events"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY seq LIMIT ?"
        with self.store.tx() as conn:
            rows = conn.execute(sql, (*args, limit)).fetchall()
        return [JournalEvent(*r) for r in rows]

    def last_before(
        self, alarm: str, ts_ms: int, kinds: tuple[str, ...] = ("raised", "cleared")
    ) -> JournalEvent | None:
        """The alarm's last event of these kinds before `ts_ms` (what stood when a period
        began), without reading its history from the start."""
        marks = ",".join("?" * len(kinds))
        with self.store.tx() as conn:
            row = conn.execute(
                f"SELECT * FROM alarm_events WHERE alarm = ? AND ts < ? AND event IN ({marks}) "
                "ORDER BY seq DESC LIMIT 1",
                (alarm, ts_ms, *kinds),
            ).fetchone()
        return None if row is None else JournalEvent(*row)

    def save_rule_change(
        self, alarm: str, changes: dict[str, Any], ts_ms: int, user: str, reason: str
    ) -> None:
        with self.store.tx() as conn:
            row = conn.execute(
                "SELECT json FROM alarm_rule_changes WHERE alarm=?", (alarm,)
            ).fetchone()
            merged = {**(json.loads(row[0]) if row else {}), **changes}
            conn.execute(
                "INSERT OR REPLACE INTO alarm_rule_changes VALUES (?,?,?,?,?)",
                (alarm, json.dumps(merged), ts_ms, user, reason),
            )

    def rule_changes(self) -> dict[str, dict[str, Any]]:
        with self.store.tx() as conn:
            rows = conn.execute("SELECT alarm, json FROM alarm_rule_changes").fetchall()
        return {a: json.loads(j) for a, j in rows}
