"""Records of fire checks, maintenance work and incidents, beside the duty records.

Fire checks and maintenance records are written once; an incident changes only its closing
columns, and its timeline is the duty-log entries that name it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from station.duty.fire import FireCheck
from station.records import RecordsStore

MIGRATIONS = [
    """
    CREATE TABLE fire_checks (
        id INTEGER PRIMARY KEY AUTOINCREMENT, equipment TEXT NOT NULL, ts_ms INTEGER NOT NULL,
        day TEXT NOT NULL, user TEXT NOT NULL, ok INTEGER NOT NULL, pressure_mpa REAL, note TEXT
    );
    CREATE TRIGGER fire_checks_no_update BEFORE UPDATE ON fire_checks
        BEGIN SELECT RAISE(ABORT, 'a fire check is written once'); END;
    CREATE TABLE maintenance_done (
        id INTEGER PRIMARY KEY AUTOINCREMENT, plan TEXT NOT NULL, ts_ms INTEGER NOT NULL,
        day TEXT NOT NULL, user TEXT NOT NULL, text TEXT NOT NULL
    );
    CREATE TRIGGER maintenance_no_update BEFORE UPDATE ON maintenance_done
        BEGIN SELECT RAISE(ABORT, 'a maintenance record is written once'); END;
    CREATE TABLE incidents (
        id INTEGER PRIMARY KEY AUTOINCREMENT, opened_ms INTEGER NOT NULL, happened_ms INTEGER,
        opened_by TEXT NOT NULL, what TEXT NOT NULL, actions TEXT NOT NULL,
        notified TEXT NOT NULL, closed_ms INTEGER, closed_by TEXT, summary TEXT
    );
    """,
]


@dataclass(frozen=True)
class MaintenanceRecord:
    id: int
    plan: str
    ts_ms: int
    day: date
    user: str
    text: str


@dataclass(frozen=True)
class Incident:
    id: int
    opened_ms: int
    happened_ms: int | None
    opened_by: str
    what: str
    actions: str
    notified: list[str]
    closed_ms: int | None
    closed_by: str | None
    summary: str | None


class SafetyRecords:
    def __init__(self, store: RecordsStore) -> None:
        self.store = store
        store.ensure_schema("duty-safety", MIGRATIONS)

    def add_fire_check(self, check: FireCheck) -> int:
        with self.store.tx() as conn:
            cur = conn.execute(
                "INSERT INTO fire_checks (equipment, ts_ms, day, user, ok, pressure_mpa, note) "
                "VALUES (?,?,?,?,?,?,?)",
                (check.equipment, check.ts_ms, check.day.isoformat(), check.user, check.ok,
                 check.pressure_mpa, check.note),
            )  # fmt: skip
            return int(cur.lastrowid or 0)

    def fire_checks(
        self,
        equipment: str | None = None,
        start_ms: int = 0,
        end_ms: int = 2**62,
        limit: int = -1,
        offset: int = 0,
    ) -> list[FireCheck]:
        """Oldest first (`limit` -1: all)."""
        with self.store.tx() as conn:
            rows = conn.execute(
                "SELECT equipment, ts_ms, day, user, ok, pressure_mpa, note FROM fire_checks "
                "WHERE (?1 IS NULL OR equipment = ?1) AND ts_ms >= ?2 AND ts_ms < ?3 "
                "ORDER BY ts_ms, id LIMIT ?4 OFFSET ?5",
                (equipment, start_ms, end_ms, limit, offset),
            ).fetchall()
        return [
            FireCheck(r[0], r[1], date.fromisoformat(r[2]), r[3], bool(r[4]), r[5], r[6])
            for r in rows
        ]

    def add_maintenance(self, plan: str, ts_ms: int, day: date, user: str, text: str) -> int:
        with self.store.tx() as conn:
            cur = conn.execute(
                "INSERT INTO maintenance_done (plan, ts_ms, day, user, text) VALUES (?,?,?,?,?)",
                (plan, ts_ms, day.isoformat(), user, text),
            )
            return int(cur.lastrowid or 0)

    def maintenance(self, plan: str | None = None) -> list[MaintenanceRecord]:
        with self.store.tx() as conn:
            rows = conn.execute(
                "SELECT * FROM maintenance_done WHERE ?1 IS NULL OR plan = ?1 ORDER BY ts_ms",
                (plan,),
            ).fetchall()
        return [
            MaintenanceRecord(r[0], r[1], r[2], date.fromisoformat(r[3]), r[4], r[5]) for r in rows
        ]

    def open_incident(
        self,
        now_ms: int,
        happened_ms: int | None,
        user: str,
        what: str,
        actions: str,
        notified: list[str],
    ) -> Incident:
        with self.store.tx() as conn:
            cur = conn.execute(
                "INSERT INTO incidents (opened_ms, happened_ms, opened_by, what, actions, "
                "notified) VALUES (?,?,?,?,?,?)",
                (now_ms, happened_ms, user, what, actions, json.dumps(notified)),
            )
            incident_id = int(cur.lastrowid or 0)
        found = self.incident(incident_id)
        assert found is not None
        return found

    def close_incident(self, incident_id: int, user: str, now_ms: int, summary: str) -> bool:
        with self.store.tx() as conn:
            cur = conn.execute(
                "UPDATE incidents SET closed_ms=?, closed_by=?, summary=? "
                "WHERE id=? AND closed_ms IS NULL",
                (now_ms, user, summary, incident_id),
            )
            return cur.rowcount == 1

    def incident(self, incident_id: int) -> Incident | None:
        with self.store.tx() as conn:
            row = conn.execute("SELECT * FROM incidents WHERE id=?", (incident_id,)).fetchone()
        return None if row is None else _incident(row)

    def incidents(
        self, start_ms: int = 0, end_ms: int = 2**62, limit: int = -1, offset: int = 0
    ) -> list[Incident]:
        with self.store.tx() as conn:
            rows = conn.execute(
                "SELECT * FROM incidents WHERE opened_ms >= ? AND opened_ms < ? ORDER BY id "
                "LIMIT ? OFFSET ?",
                (start_ms, end_ms, limit, offset),
            ).fetchall()
        return [_incident(r) for r in rows]


def _incident(r: tuple[object, ...]) -> Incident:
    notified = json.loads(str(r[6]))
    return Incident(r[0], r[1], r[2], r[3], r[4], r[5], notified, r[7], r[8], r[9])  # type: ignore[arg-type]
