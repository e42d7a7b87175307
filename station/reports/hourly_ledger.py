"""The hourly quantity records as kept: every closed hour of every meter run, with versions.

Reports compute their hours from the rollups each time; each hour so computed is held against
the ledger. The first computation of a closed hour is version 1; when late data (a spool
replay, a device's buffered values after a restart) changes it, the new figures become a new
version that names what changed, and the old version stays: a record is never changed silently,
so a signed report's hours can always be shown as they were when it was signed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from station.records import RecordsStore
from station.reports.hourly import Extreme, Gap, HourlyRecord

MIGRATIONS = (
    """
CREATE TABLE IF NOT EXISTS hourly_records (
    run TEXT NOT NULL, start_ms INTEGER NOT NULL, version INTEGER NOT NULL,
    computed_ms INTEGER NOT NULL, content TEXT NOT NULL, hash TEXT NOT NULL,
    changed TEXT, PRIMARY KEY (run, start_ms, version));
CREATE TRIGGER IF NOT EXISTS hourly_records_stay BEFORE UPDATE ON hourly_records
    BEGIN SELECT RAISE(ABORT, 'an hourly record does not change: it gets a new version'); END;
CREATE TRIGGER IF NOT EXISTS hourly_records_kept BEFORE DELETE ON hourly_records
    BEGIN SELECT RAISE(ABORT, 'hourly records are kept'); END;
""",
    # 2: what the hourly rollup held of the run's tags when each hour was last computed (a
    # cache, so it may change; the records themselves never do)
    """
CREATE TABLE IF NOT EXISTS hourly_sources (
    run TEXT NOT NULL, start_ms INTEGER NOT NULL, source TEXT NOT NULL,
    PRIMARY KEY (run, start_ms));
""",
)
VOLUMES = ("standard_volume", "working_volume", "integrated_volume", "coverage", "meter_resets")


def _plain(record: HourlyRecord) -> dict[str, Any]:
    """The record as JSON-ready values (what `asdict` gives, at a tenth of its cost: a month
    of a station's runs is thousands of records)."""
    out = dict(record.__dict__)
    for key in ("pressure_min", "pressure_max", "temperature_min", "temperature_max"):
        e = out[key]
        out[key] = None if e is None else {"value": e.value, "at_ms": e.at_ms}
    out["gaps"] = [{"start_ms": g.start_ms, "minutes": g.minutes} for g in record.gaps]
    return out


def _canonical(record: HourlyRecord) -> tuple[str, str]:
    content = json.dumps(_plain(record), sort_keys=True, separators=(",", ":"), allow_nan=False)
    return content, hashlib.sha256(content.encode()).hexdigest()


@dataclass(frozen=True)
class KeptRecord:
    run: str
    start_ms: int
    version: int
    computed_ms: int
    content: str
    hash: str
    changed: str | None
    """What differs from the version before (the quantities a report shows), or None."""

    @property
    def record(self) -> dict[str, Any]:
        out: dict[str, Any] = json.loads(self.content)
        return out

    def hourly_record(self) -> HourlyRecord:
        d = self.record
        for key in ("pressure_min", "pressure_max", "temperature_min", "temperature_max"):
            d[key] = None if d[key] is None else Extreme(**d[key])
        d["gaps"] = tuple(Gap(**g) for g in d["gaps"])
        return HourlyRecord(**d)


def _changes(old: dict[str, object], new: dict[str, object]) -> str:
    moved = [f"{k} {old.get(k)} → {new.get(k)}" for k in VOLUMES if old.get(k) != new.get(k)]
    return "; ".join(moved) or "other figures changed (extremes, means, gaps)"


class HourlyLedger:
    def __init__(self, store: RecordsStore) -> None:
        self.store = store
        store.ensure_schema("hourly_records", MIGRATIONS)

    def keep(
        self,
        records: Iterable[HourlyRecord],
        closed_by_ms: int,
        now_ms: int,
        sources: dict[int, str] | None = None,
    ) -> int:
        """Holds each record of an hour that ended by `closed_by_ms` against its latest version;
        returns how many new versions were written (first ones included). `sources`: the
        hourly rollup's fingerprint per hour start, kept with a new version."""
        written = 0
        with self.store.tx() as conn:
            for record in records:
                if record.end_ms > closed_by_ms:
                    continue  # an hour still open is no record yet
                source = (sources or {}).get(record.start_ms)
                if source is not None:
                    conn.execute(
                        "INSERT INTO hourly_sources VALUES (?,?,?) ON CONFLICT(run, start_ms) "
                        "DO UPDATE SET source=excluded.source",
                        (record.run, record.start_ms, source),
                    )
                content, digest = _canonical(record)
                last = conn.execute(
                    "SELECT version, content, hash FROM hourly_records WHERE run=? AND start_ms=? "
                    "ORDER BY version DESC LIMIT 1",
                    (record.run, record.start_ms),
                ).fetchone()
                if last is not None and last[2] == digest:
                    continue
                version = 1 if last is None else int(last[0]) + 1
                changed = None if last is None else _changes(json.loads(last[1]), _plain(record))
                conn.execute(
                    "INSERT INTO hourly_records VALUES (?,?,?,?,?,?,?)",
                    (record.run, record.start_ms, version, now_ms, content, digest, changed),
                )
                written += 1
        return written

    def current(
        self, run: str, start_ms: int, end_ms: int, sources: dict[int, str]
    ) -> dict[int, HourlyRecord]:
        """The latest kept record of each hour whose rollup still holds what it was computed
        from (`sources`: the fingerprints now)."""
        with self.store.tx() as conn:
            was = dict(
                conn.execute(
                    "SELECT start_ms, source FROM hourly_sources WHERE run=? AND start_ms>=? "
                    "AND start_ms<?",
                    (run, start_ms, end_ms),
                ).fetchall()
            )
        same = {t for t, src in was.items() if sources.get(t) == src}
        if not same:
            return {}
        return {
            k.start_ms: k.hourly_record()
            for k in self.latest(run, start_ms, end_ms)
            if k.start_ms in same
        }

    def versions(self, run: str, start_ms: int) -> list[KeptRecord]:
        with self.store.tx() as conn:
            rows = conn.execute(
                "SELECT * FROM hourly_records WHERE run=? AND start_ms=? ORDER BY version",
                (run, start_ms),
            ).fetchall()
        return [KeptRecord(*r) for r in rows]

    def latest(self, run: str, start_ms: int, end_ms: int) -> list[KeptRecord]:
        """The latest version of each hour of a run that starts in [start_ms, end_ms)."""
        with self.store.tx() as conn:
            rows = conn.execute(
                "SELECT h.* FROM hourly_records h JOIN (SELECT run, start_ms, max(version) v "
                "FROM hourly_records WHERE run=? AND start_ms>=? AND start_ms<? "
                "GROUP BY run, start_ms) m ON h.run=m.run AND h.start_ms=m.start_ms "
                "AND h.version=m.v ORDER BY h.start_ms",
                (run, start_ms, end_ms),
            ).fetchall()
        return [KeptRecord(*r) for r in rows]
