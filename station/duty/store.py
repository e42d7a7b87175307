"""The duty records, in the records store beside the alarm journal and the reports.

Every table is append-only where the paper it replaces would be: a duty-log entry is never
edited (a correction is an entry that names it), a handover step is a row of its own, a round
item's result is written once. SQLite triggers refuse the edits, so no code path can make them.
Tables whose rows have a life (orders, rounds, hazards) change only their state columns.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import astuple, dataclass
from typing import Any

from station.records import RecordsStore, from_row

SYSTEM = "system"
"""Author of the entries and steps the service writes itself."""

MIGRATIONS = [
    """
    CREATE TABLE duty_roster (
        shift TEXT PRIMARY KEY, members TEXT NOT NULL, set_by TEXT NOT NULL, set_ms INTEGER
    );
    CREATE TABLE duty_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        event_ms INTEGER NOT NULL, written_ms INTEGER NOT NULL, author TEXT NOT NULL,
        on_duty TEXT NOT NULL, category TEXT NOT NULL, text TEXT NOT NULL,
        tag TEXT, value REAL, corrects INTEGER REFERENCES duty_log(id)
    );
    CREATE INDEX duty_log_event ON duty_log(event_ms);
    CREATE TRIGGER duty_log_no_update BEFORE UPDATE ON duty_log
        BEGIN SELECT RAISE(ABORT, 'the duty log is append-only: write a correction'); END;
    CREATE TRIGGER duty_log_no_delete BEFORE DELETE ON duty_log
        BEGIN SELECT RAISE(ABORT, 'the duty log is append-only'); END;
    CREATE TABLE standing_orders (
        id INTEGER PRIMARY KEY AUTOINCREMENT, text TEXT NOT NULL, issued_by TEXT NOT NULL,
        issued_ms INTEGER NOT NULL, start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL
    );
    CREATE TABLE order_acks (
        order_id INTEGER NOT NULL REFERENCES standing_orders(id), shift TEXT NOT NULL,
        user TEXT NOT NULL, ts_ms INTEGER NOT NULL, PRIMARY KEY (order_id, shift)
    );
    CREATE TABLE handover_steps (
        id INTEGER PRIMARY KEY AUTOINCREMENT, shift TEXT NOT NULL, step TEXT NOT NULL,
        user TEXT NOT NULL, ts_ms INTEGER NOT NULL, notes TEXT, reason TEXT, draft TEXT
    );
    CREATE INDEX handover_shift ON handover_steps(shift);
    CREATE TRIGGER handover_no_update BEFORE UPDATE ON handover_steps
        BEGIN SELECT RAISE(ABORT, 'a handover step is never changed'); END;
    CREATE TABLE rounds (
        id INTEGER PRIMARY KEY AUTOINCREMENT, round TEXT NOT NULL, due_ms INTEGER NOT NULL,
        started_ms INTEGER, started_by TEXT, done_ms INTEGER, done_by TEXT,
        approved_ms INTEGER, approved_by TEXT, UNIQUE (round, due_ms)
    );
    CREATE TABLE round_results (
        round_id INTEGER NOT NULL REFERENCES rounds(id), item TEXT NOT NULL, ok INTEGER NOT NULL,
        reading REAL, live REAL, flagged INTEGER NOT NULL, note TEXT, user TEXT NOT NULL,
        ts_ms INTEGER NOT NULL, PRIMARY KEY (round_id, item)
    );
    CREATE TRIGGER round_results_no_update BEFORE UPDATE ON round_results
        BEGIN SELECT RAISE(ABORT, 'a round result is written once'); END;
    CREATE TABLE hazards (
        id INTEGER PRIMARY KEY AUTOINCREMENT, opened_ms INTEGER NOT NULL, opened_by TEXT NOT NULL,
        text TEXT NOT NULL, severity TEXT NOT NULL, owner TEXT NOT NULL,
        deadline_ms INTEGER NOT NULL, source TEXT, closed_ms INTEGER, closed_by TEXT, action TEXT
    );
    """,
]


@dataclass(frozen=True, kw_only=True)
class LogEntry:
    id: int
    event_ms: int
    written_ms: int
    author: str
    on_duty: list[str]
    category: str
    text: str
    tag: str | None
    value: float | None
    corrects: int | None


@dataclass(frozen=True)
class StandingOrder:
    id: int
    text: str
    issued_by: str
    issued_ms: int
    start_ms: int
    end_ms: int
    acks: dict[str, str]
    """Shift id → who acknowledged it for that shift."""


@dataclass(frozen=True)
class HandoverStep:
    id: int
    shift: str
    step: str
    """drafted, signed (by the outgoing), accepted or refused (by the incoming)."""
    user: str
    ts_ms: int
    notes: dict[str, str] | None
    reason: str | None
    draft: dict[str, Any] | None


@dataclass(frozen=True, kw_only=True)
class RoundRecord:
    id: int | None
    """None for a slot not yet due (or due while the service was down): no record yet."""
    round: str
    due_ms: int
    started_ms: int | None
    started_by: str | None
    done_ms: int | None
    done_by: str | None
    approved_ms: int | None
    approved_by: str | None

    @classmethod
    def not_made(cls, round_id: str, due_ms: int) -> RoundRecord:
        """A slot with no record (not yet due, or due while the service was down)."""
        return cls(
            id=None,
            round=round_id,
            due_ms=due_ms,
            started_ms=None,
            started_by=None,
            done_ms=None,
            done_by=None,
            approved_ms=None,
            approved_by=None,
        )


@dataclass(frozen=True, kw_only=True)
class RoundResult:
    item: str
    ok: bool
    reading: float | None
    live: float | None
    flagged: bool
    note: str | None
    user: str
    ts_ms: int


@dataclass(frozen=True, kw_only=True)
class Hazard:
    id: int
    opened_ms: int
    opened_by: str
    text: str
    severity: str
    owner: str
    deadline_ms: int
    source: str | None
    closed_ms: int | None
    closed_by: str | None
    action: str | None


class DutyRecords:
    def __init__(self, store: RecordsStore) -> None:
        self.store = store
        store.ensure_schema("duty", MIGRATIONS)

    # -- roster ----------------------------------------------------------------------
    def set_roster(self, shift: str, members: list[str], user: str, now_ms: int) -> None:
        with self.store.tx() as conn:
            conn.execute(
                "INSERT INTO duty_roster VALUES (?,?,?,?) ON CONFLICT(shift) DO UPDATE SET "
                "members=excluded.members, set_by=excluded.set_by, set_ms=excluded.set_ms",
                (shift, json.dumps(members), user, now_ms),
            )

    def roster(self, shift: str) -> list[str] | None:
        with self.store.tx() as conn:
            row = conn.execute("SELECT members FROM duty_roster WHERE shift=?", (shift,)).fetchone()
        return None if row is None else list(json.loads(row[0]))

    # -- duty log --------------------------------------------------------------------
    def write_log(
        self,
        event_ms: int,
        written_ms: int,
        author: str,
        on_duty: list[str],
        category: str,
        text: str,
        tag: str | None = None,
        value: float | None = None,
        corrects: int | None = None,
    ) -> LogEntry:
        with self.store.tx() as conn:
            if (
                corrects is not None
                and not conn.execute("SELECT 1 FROM duty_log WHERE id=?", (corrects,)).fetchone()
            ):
                raise KeyError(corrects)
            cur = conn.execute(
                "INSERT INTO duty_log (event_ms, written_ms, author, on_duty, category, text, "
                "tag, value, corrects) VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    event_ms,
                    written_ms,
                    author,
                    json.dumps(on_duty),
                    category,
                    text,
                    tag,
                    value,
                    corrects,
                ),
            )
            entry_id = int(cur.lastrowid or 0)
        return LogEntry(
            id=entry_id,
            event_ms=event_ms,
            written_ms=written_ms,
            author=author,
            on_duty=on_duty,
            category=category,
            text=text,
            tag=tag,
            value=value,
            corrects=corrects,
        )

    def log(
        self,
        start_ms: int | None = None,
        end_ms: int | None = None,
        text: str | None = None,
        category: str | None = None,
        author: str | None = None,
        limit: int = 100,
        offset: int = 0,
        newest_first: bool = False,
    ) -> list[LogEntry]:
        """By the time of the event, oldest first (or newest first: the page, which shows the
        latest and pages back); `text` matches anywhere, any case."""
        where, args = _filters(
            ("event_ms >= ?", start_ms),
            ("event_ms < ?", end_ms),
            ("instr(lower(text), lower(?)) > 0", text),
            ("category = ?", category),
            ("author = ?", author),
        )
        order = "DESC" if newest_first else "ASC"
        with self.store.tx() as conn:
            rows = conn.execute(
                f"SELECT * FROM duty_log {where} ORDER BY event_ms {order}, id {order} "
                "LIMIT ? OFFSET ?",
                (*args, limit, offset),
            ).fetchall()
        return [_entry(r) for r in rows]

    # -- standing orders ---------------------------------------------------------------
    def issue_order(self, text: str, user: str, now_ms: int, start_ms: int, end_ms: int) -> int:
        with self.store.tx() as conn:
            cur = conn.execute(
                "INSERT INTO standing_orders (text, issued_by, issued_ms, start_ms, end_ms) "
                "VALUES (?,?,?,?,?)",
                (text, user, now_ms, start_ms, end_ms),
            )
            return int(cur.lastrowid or 0)

    def ack_order(self, order_id: int, shift: str, user: str, now_ms: int) -> bool:
        """False when this shift had acknowledged it already."""
        try:
            with self.store.tx() as conn:
                conn.execute(
                    "INSERT INTO order_acks VALUES (?,?,?,?)", (order_id, shift, user, now_ms)
                )
        except sqlite3.IntegrityError:
            return False
        return True

    def orders(
        self, at_ms: int | None = None, start_ms: int | None = None, end_ms: int | None = None
    ) -> list[StandingOrder]:
        """In force at `at_ms`, or overlapping [start, end), or all."""
        if at_ms is not None:
            start_ms, end_ms = at_ms, at_ms + 1
        where, args = _filters(("end_ms > ?", start_ms), ("start_ms < ?", end_ms))
        with self.store.tx() as conn:
            rows = conn.execute(
                f"SELECT * FROM standing_orders {where} ORDER BY id", args
            ).fetchall()
            acks: dict[int, dict[str, str]] = {}
            for oid, shift, user in conn.execute("SELECT order_id, shift, user FROM order_acks"):
                acks.setdefault(oid, {})[shift] = user
        return [StandingOrder(r[0], r[1], r[2], r[3], r[4], r[5], acks.get(r[0], {})) for r in rows]

    # -- handover ----------------------------------------------------------------------
    def add_step(
        self,
        shift: str,
        step: str,
        user: str,
        now_ms: int,
        notes: dict[str, str] | None = None,
        reason: str | None = None,
        draft: dict[str, Any] | None = None,
    ) -> HandoverStep:
        with self.store.tx() as conn:
            cur = conn.execute(
                "INSERT INTO handover_steps (shift, step, user, ts_ms, notes, reason, draft) "
                "VALUES (?,?,?,?,?,?,?)",
                (shift, step, user, now_ms, _json(notes), reason, _json(draft)),
            )
            step_id = int(cur.lastrowid or 0)
        return HandoverStep(step_id, shift, step, user, now_ms, notes, reason, draft)

    def steps(
        self, shift: str | None = None, limit: int = 1000, offset: int = 0
    ) -> list[HandoverStep]:
        where, args = _filters(("shift = ?", shift))
        with self.store.tx() as conn:
            rows = conn.execute(
                f"SELECT * FROM handover_steps {where} ORDER BY id LIMIT ? OFFSET ?",
                (*args, limit, offset),
            ).fetchall()
        return [
            HandoverStep(r[0], r[1], r[2], r[3], r[4], _load(r[5]), r[6], _load(r[7])) for r in rows
        ]

    # -- rounds ------------------------------------------------------------------------
    def round_slot(self, round_id: str, due_ms: int) -> RoundRecord:
        """The record of a round falling due then (made the first time it is asked for)."""
        with self.store.tx() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO rounds (round, due_ms) VALUES (?,?)", (round_id, due_ms)
            )
            row = conn.execute(
                "SELECT * FROM rounds WHERE round=? AND due_ms=?", (round_id, due_ms)
            ).fetchone()
        return from_row(RoundRecord, row)

    def round_by_id(self, record_id: int) -> RoundRecord | None:
        with self.store.tx() as conn:
            row = conn.execute("SELECT * FROM rounds WHERE id=?", (record_id,)).fetchone()
        return None if row is None else from_row(RoundRecord, row)

    def rounds(self, start_ms: int, end_ms: int) -> list[RoundRecord]:
        with self.store.tx() as conn:
            rows = conn.execute(
                "SELECT * FROM rounds WHERE due_ms >= ? AND due_ms < ? ORDER BY due_ms, round",
                (start_ms, end_ms),
            ).fetchall()
        return [from_row(RoundRecord, r) for r in rows]

    def mark_round(self, record_id: int, what: str, user: str, now_ms: int) -> None:
        """`what`: started, done or approved (each once)."""
        column = {"started": "started", "done": "done", "approved": "approved"}[what]
        with self.store.tx() as conn:
            conn.execute(
                f"UPDATE rounds SET {column}_ms=?, {column}_by=? "
                f"WHERE id=? AND {column}_ms IS NULL",
                (now_ms, user, record_id),
            )

    def add_result(self, record_id: int, result: RoundResult) -> bool:
        """False when the item has a result already."""
        try:
            with self.store.tx() as conn:
                conn.execute(
                    "INSERT INTO round_results VALUES (?,?,?,?,?,?,?,?,?)",
                    (record_id, *astuple(result)),
                )
        except sqlite3.IntegrityError:
            return False
        return True

    def results(self, record_id: int) -> list[RoundResult]:
        with self.store.tx() as conn:
            rows = conn.execute(
                "SELECT item, ok, reading, live, flagged, note, user, ts_ms FROM round_results "
                "WHERE round_id=? ORDER BY ts_ms, item",
                (record_id,),
            ).fetchall()
        return [
            from_row(RoundResult, (r[0], bool(r[1]), r[2], r[3], bool(r[4]), *r[5:])) for r in rows
        ]

    # -- hazards -----------------------------------------------------------------------
    def open_hazard(
        self,
        now_ms: int,
        user: str,
        text: str,
        severity: str,
        owner: str,
        deadline_ms: int,
        source: str | None = None,
    ) -> Hazard:
        with self.store.tx() as conn:
            cur = conn.execute(
                "INSERT INTO hazards (opened_ms, opened_by, text, severity, owner, deadline_ms, "
                "source) VALUES (?,?,?,?,?,?,?)",
                (now_ms, user, text, severity, owner, deadline_ms, source),
            )
            hazard_id = int(cur.lastrowid or 0)
        return Hazard(
            id=hazard_id,
            opened_ms=now_ms,
            opened_by=user,
            text=text,
            severity=severity,
            owner=owner,
            deadline_ms=deadline_ms,
            source=source,
            closed_ms=None,
            closed_by=None,
            action=None,
        )

    def close_hazard(self, hazard_id: int, user: str, now_ms: int, action: str) -> bool:
        """False when it was closed already."""
        with self.store.tx() as conn:
            cur = conn.execute(
                "UPDATE hazards SET closed_ms=?, closed_by=?, action=? "
                "WHERE id=? AND closed_ms IS NULL",
                (now_ms, user, action, hazard_id),
            )
            return cur.rowcount == 1

    def hazards(
        self, open_at_ms: int | None = None, limit: int = 1000, offset: int = 0
    ) -> list[Hazard]:
        """Open at `open_at_ms` (opened by then and not closed by then), or all."""
        where, args = _filters(
            ("opened_ms <= ?", open_at_ms),
            ("(closed_ms IS NULL OR closed_ms > ?)", open_at_ms),
        )
        with self.store.tx() as conn:
            rows = conn.execute(
                f"SELECT * FROM hazards {where} ORDER BY id LIMIT ? OFFSET ?",
                (*args, limit, offset),
            ).fetchall()
        return [from_row(Hazard, r) for r in rows]

    def hazard(self, hazard_id: int) -> Hazard | None:
        with self.store.tx() as conn:
            row = conn.execute("SELECT * FROM hazards WHERE id=?", (hazard_id,)).fetchone()
        return None if row is None else from_row(Hazard, row)


def _filters(*clauses: tuple[str, object]) -> tuple[str, tuple[object, ...]]:
    used = [(sql, v) for sql, v in clauses if v is not None]
    if not used:
        return "", ()
    return "WHERE " + " AND ".join(sql for sql, _ in used), tuple(v for _, v in used)


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


def _load(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _entry(r: tuple[Any, ...]) -> LogEntry:
    return from_row(LogEntry, (*r[:4], json.loads(r[4]), *r[5:]))
