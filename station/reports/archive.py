"""Generated reports and the cursor of each kind, in the records store.

A report is kept as its content (JSON of the data model) and that content's hash. Regenerating
a period with unchanged data changes nothing; with changed data (late samples, a replay) it
adds a version that names the one it replaces, never overwrites. The cursor of a kind is the
end of the last period done: on start, every period after it is generated, so a report due while
the service was down is made late, never lost, and never twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from station.records import RecordsStore

MIGRATIONS = (
    """
CREATE TABLE IF NOT EXISTS reports (
    kind TEXT NOT NULL, period TEXT NOT NULL, version INTEGER NOT NULL,
    generated_ms INTEGER NOT NULL, content TEXT NOT NULL, hash TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'generated', replaces INTEGER, reason TEXT,
    PRIMARY KEY (kind, period, version));
CREATE TABLE IF NOT EXISTS report_cursors (
    kind TEXT PRIMARY KEY, done_until_ms INTEGER NOT NULL);
""",
    # 2: review and signature; a signed version never changes (SQLite refuses it)
    """
ALTER TABLE reports ADD COLUMN reviewed_by TEXT;
ALTER TABLE reports ADD COLUMN reviewed_ms INTEGER;
ALTER TABLE reports ADD COLUMN signed_by TEXT;
ALTER TABLE reports ADD COLUMN signed_ms INTEGER;
ALTER TABLE reports ADD COLUMN audit_anchor TEXT;
CREATE TRIGGER IF NOT EXISTS reports_signed_stay BEFORE UPDATE ON reports
    WHEN OLD.status = 'signed'
    BEGIN SELECT RAISE(ABORT, 'a signed report does not change: correct it with a new version');
    END;
CREATE TRIGGER IF NOT EXISTS reports_no_delete BEFORE DELETE ON reports
    BEGIN SELECT RAISE(ABORT, 'reports are kept'); END;
""",
    # 3: the monthly plan per meter run, as the station master enters it
    """
CREATE TABLE IF NOT EXISTS monthly_plans (
    month TEXT NOT NULL, run TEXT NOT NULL, standard_volume REAL NOT NULL,
    entered_by TEXT NOT NULL, entered_ms INTEGER NOT NULL, PRIMARY KEY (month, run));
""",
)


def stored_form(reports: Sequence[Any]) -> tuple[str, str]:
    """Report data models (dataclasses) as kept: JSON, and the SHA-256 of their canonical,
    unrounded form, so the same data always gives the same hash."""
    content = json.dumps([asdict(r) for r in reports], ensure_ascii=False, sort_keys=True)
    canonical = json.dumps(
        [asdict(r) for r in reports], sort_keys=True, separators=(",", ":"), allow_nan=False
    )
    return content, hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class StoredReport:
    kind: str
    period: str
    version: int
    generated_ms: int
    content: str
    hash: str
    status: str
    """generated → reviewed → signed"""
    replaces: int | None
    reason: str | None
    reviewed_by: str | None = None
    reviewed_ms: int | None = None
    signed_by: str | None = None
    signed_ms: int | None = None
    audit_anchor: str | None = None
    """The audit chain's head when it was signed (`seq:hash`): the signature and the trail
    vouch for each other."""


class ReportArchive:
    def __init__(self, store: RecordsStore) -> None:
        self.store = store
        store.ensure_schema("reports", MIGRATIONS)

    def versions(self, kind: str, period: str) -> list[StoredReport]:
        with self.store.tx() as conn:
            rows = conn.execute(
                "SELECT * FROM reports WHERE kind=? AND period=? ORDER BY version",
                (kind, period),
            ).fetchall()
        return [StoredReport(*r) for r in rows]

    def latest(self, kind: str, period: str) -> StoredReport | None:
        versions = self.versions(kind, period)
        return versions[-1] if versions else None

    def keep(
        self,
        kind: str,
        period: str,
        content: str,
        digest: str,
        now_ms: int,
        reason: str | None = None,
    ) -> StoredReport:
        """The period's report as generated now: the latest version when its content is the
        same, else a new version replacing it (with `reason`, or 'data changed')."""
        with self.store.tx() as conn:
            row = conn.execute(
                "SELECT * FROM reports WHERE kind=? AND period=? ORDER BY version DESC LIMIT 1",
                (kind, period),
            ).fetchone()
            last = StoredReport(*row) if row else None
            if last is not None and last.hash == digest:
                return last
            version = 1 if last is None else last.version + 1
            replaces = None if last is None else last.version
            if last is not None and reason is None:
                reason = "data changed since the previous version"
            conn.execute(
                "INSERT INTO reports (kind, period, version, generated_ms, content, hash, status, "
                "replaces, reason) VALUES (?,?,?,?,?,?,'generated',?,?)",
                (kind, period, version, now_ms, content, digest, replaces, reason),
            )
        return StoredReport(
            kind, period, version, now_ms, content, digest, "generated", replaces, reason
        )

    def review(self, kind: str, period: str, version: int, user: str, now_ms: int) -> None:
        with self.store.tx() as conn:
            conn.execute(
                "UPDATE reports SET status='reviewed', reviewed_by=?, reviewed_ms=? "
                "WHERE kind=? AND period=? AND version=?",
                (user, now_ms, kind, period, version),
            )

    def sign(
        self, kind: str, period: str, version: int, user: str, now_ms: int, anchor: str
    ) -> None:
        with self.store.tx() as conn:
            conn.execute(
                "UPDATE reports SET status='signed', signed_by=?, signed_ms=?, audit_anchor=? "
                "WHERE kind=? AND period=? AND version=?",
                (user, now_ms, anchor, kind, period, version),
            )

    def listing(self, kind: str | None = None) -> list[StoredReport]:
        with self.store.tx() as conn:
            rows = conn.execute(
                "SELECT * FROM reports WHERE ?1 IS NULL OR kind=?1 ORDER BY period, version",
                (kind,),
            ).fetchall()
        return [StoredReport(*r) for r in rows]

    def cursor(self, kind: str) -> int | None:
        with self.store.tx() as conn:
            row = conn.execute(
                "SELECT done_until_ms FROM report_cursors WHERE kind=?", (kind,)
            ).fetchone()
        return None if row is None else int(row[0])

    def set_cursor(self, kind: str, done_until_ms: int) -> None:
        with self.store.tx() as conn:
            conn.execute(
                "INSERT INTO report_cursors VALUES (?, ?) ON CONFLICT(kind) "
                "DO UPDATE SET done_until_ms=excluded.done_until_ms",
                (kind, done_until_ms),
            )

    # -- monthly plans -------------------------------------------------------------------
    def plan(self, month: str, run: str) -> float | None:
        with self.store.tx() as conn:
            row = conn.execute(
                "SELECT standard_volume FROM monthly_plans WHERE month=? AND run=?", (month, run)
            ).fetchone()
        return None if row is None else float(row[0])

    def set_plan(self, month: str, run: str, volume: float, user: str, now_ms: int) -> float | None:
        """Enters the plan; returns the one it replaces."""
        old = self.plan(month, run)
        with self.store.tx() as conn:
            conn.execute(
                "INSERT INTO monthly_plans VALUES (?,?,?,?,?) ON CONFLICT(month, run) DO UPDATE "
                "SET standard_volume=excluded.standard_volume, entered_by=excluded.entered_by, "
                "entered_ms=excluded.entered_ms",
                (month, run, volume, user, now_ms),
            )
        return old
