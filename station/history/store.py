"""The embedded history file: SQLite in WAL mode, raw samples plus 1-minute and 1-hour rollups.

SQLite over DuckDB: acquisition writes small batches every second, where SQLite inserts
~700,000 rows/s and DuckDB's small inserts are slow; rollups are kept as data arrives,
so reports read a month of hourly rows instead of scanning raw samples.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np
import numpy.typing as npt

from station.history.counters import CounterSpec, CounterTracker
from station.history.rollup import RollupRow
from station.schema_versions import migrate

ROLLUPS = {"rollup_1m": 60_000, "rollup_1h": 3_600_000}
HELD_LOOKBACK_MS = 86_400_000

_BASE_SCHEMA = """
CREATE TABLE IF NOT EXISTS tags (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS samples (
    tag INTEGER NOT NULL, ts INTEGER NOT NULL, value REAL, quality INTEGER NOT NULL,
    PRIMARY KEY (tag, ts)) WITHOUT ROWID;
""" + "".join(
    f"""
CREATE TABLE IF NOT EXISTS {name} (
    tag INTEGER NOT NULL, ts INTEGER NOT NULL, min REAL, max REAL, sum REAL,
    count INTEGER NOT NULL, last REAL, last_ts INTEGER NOT NULL,
    PRIMARY KEY (tag, ts)) WITHOUT ROWID;
"""
    for name in ROLLUPS
)
MIGRATIONS: tuple[str, ...] = (
    # 1: the first schema (files made before schemas were numbered have it, at version 0)
    _BASE_SCHEMA,
    # 2: counters: the quantity delivered per bucket, across rollover and reset
    "".join(
        f"ALTER TABLE {name} ADD COLUMN delta REAL NOT NULL DEFAULT 0;"
        f"ALTER TABLE {name} ADD COLUMN resets INTEGER NOT NULL DEFAULT 0;"
        for name in ROLLUPS
    ),
    # 3: facts about the file itself (the oldest raw row not yet in the rollups)
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER) WITHOUT ROWID;",
    # 4: the audit trail's head, kept here because it is not the records file (station.audit)
    "CREATE TABLE IF NOT EXISTS audit_anchors (ts INTEGER NOT NULL, seq INTEGER NOT NULL, "
    "hash TEXT NOT NULL);",
)
"""The history file's schema changes, in order (station.schema_versions applies them)."""


class Aggregate(StrEnum):
    MEAN = "mean"
    MIN = "min"
    MAX = "max"
    LAST = "last"
    COUNT = "count"
    DELTA = "delta"
    """Counters: the quantity delivered in each bucket, across rollover and reset."""
    RESETS = "resets"
    """Counters: how many resets of the meter each bucket saw."""


@dataclass(frozen=True, slots=True)
class SeriesPoint:
    ts_ms: int
    value: float | None
    quality: int | None = None
    """Set on raw points; aggregates count good values only."""


@dataclass(frozen=True)
class MinuteRows:
    """One tag's minutes that have data, as columns; min/max/sum/last are NaN where the
    minute had no good value."""

    ts: npt.NDArray[np.int64]
    min: npt.NDArray[np.float64]
    max: npt.NDArray[np.float64]
    sum: npt.NDArray[np.float64]
    count: npt.NDArray[np.float64]
    last: npt.NDArray[np.float64]
    delta: npt.NDArray[np.float64]
    resets: npt.NDArray[np.float64]


class HistoryStore:
    """Opens connections to the history file; the writer thread and readers each use their own."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = self.connect()
        try:
            migrate(conn, "history", MIGRATIONS)
        finally:
            conn.close()

    def connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    # -- the audit trail's anchors -----------------------------------------------------
    def add_audit_anchor(self, ts_ms: int, seq: int, digest: str) -> None:
        conn = self.connect()
        try:
            with conn:
                conn.execute("INSERT INTO audit_anchors VALUES (?,?,?)", (ts_ms, seq, digest))
        finally:
            conn.close()

    def audit_anchors(self) -> list[tuple[int, int, str]]:
        """(ts_ms, seq, hash), oldest first."""
        conn = self.connect()
        try:
            return conn.execute("SELECT ts, seq, hash FROM audit_anchors ORDER BY ts").fetchall()
        finally:
            conn.close()

    # -- writing (writer thread) ----------------------------------------------------
    @staticmethod
    def tag_ids(conn: sqlite3.Connection, names: tuple[str, ...]) -> list[int]:
        conn.executemany("INSERT OR IGNORE INTO tags(name) VALUES (?)", [(n,) for n in names])
        known = dict(conn.execute("SELECT name, id FROM tags").fetchall())
        return [known[n] for n in names]

    @staticmethod
    def insert_raw(conn: sqlite3.Connection, rows: list[tuple[int, int, float, int]]) -> None:
        conn.executemany("INSERT OR REPLACE INTO samples VALUES (?,?,?,?)", rows)

    @staticmethod
    def last_good_reading(
        conn: sqlite3.Connection, tag_id: int, at_or_before_ms: int | None = None
    ) -> tuple[float | None, int | None, int | None]:
        """The tag's last good value, its time, and the time of the last good reading of
        another value before it (what bounds the counter's next increment)."""
        until = (1 << 62) if at_or_before_ms is None else at_or_before_ms
        row = conn.execute(
            "SELECT value, ts FROM samples WHERE tag = ? AND quality = 0 AND ts <= ? "
            "ORDER BY ts DESC LIMIT 1",
            (tag_id, until),
        ).fetchone()
        if row is None:
            return None, None, None
        # looked for within a day (a counter standing still for longer has no bound worth
        # a scan of its year): the day's start then
        window = int(row[1]) - HELD_LOOKBACK_MS
        other = conn.execute(
            "SELECT max(ts) FROM samples WHERE tag = ? AND quality = 0 AND ts < ? AND ts >= ? "
            "AND value != ?",
            (tag_id, row[1], window, row[0]),
        ).fetchone()
        return float(row[0]), int(row[1]), window if other[0] is None else int(other[0])

    @staticmethod
    def merge_rollup(conn: sqlite3.Connection, table: str, rows: list[RollupRow]) -> None:
        if table not in ROLLUPS:
            raise ValueError(table)
        conn.executemany(
            f"""INSERT INTO {table} VALUES (?,?,?,?,?,?,?,?,?,?)
            ON CONFLICT(tag, ts) DO UPDATE SET
              min = min(min, excluded.min), max = max(max, excluded.max),
              sum = sum + excluded.sum, count = count + excluded.count,
              last = CASE WHEN excluded.last_ts >= last_ts THEN excluded.last ELSE last END,
              last_ts = max(last_ts, excluded.last_ts),
              delta = delta + excluded.delta, resets = resets + excluded.resets""",
            rows,
        )

    # -- rollups that a stop did not flush ------------------------------------------------
    @staticmethod
    def mark_unflushed(conn: sqlite3.Connection, oldest_ms: int) -> None:
        """Raw rows from `oldest_ms` on may be missing from the rollups until the next flush."""
        conn.execute(
            """INSERT INTO meta VALUES ('unflushed_since', ?)
            ON CONFLICT(key) DO UPDATE SET value = min(value, excluded.value)""",
            (oldest_ms,),
        )

    @staticmethod
    def clear_unflushed(conn: sqlite3.Connection) -> None:
        conn.execute("DELETE FROM meta WHERE key = 'unflushed_since'")

    @staticmethod
    def unflushed_since(conn: sqlite3.Connection) -> int | None:
        row = conn.execute("SELECT value FROM meta WHERE key = 'unflushed_since'").fetchone()
        return None if row is None else int(row[0])

    @staticmethod
    def rebuild_rollups(
        conn: sqlite3.Connection,
        since_ms: int,
        counters: Mapping[int, CounterSpec | float | None],
    ) -> None:
        """Recompute every rollup bucket from `since_ms` on from the raw rows, which are
        complete: after a kill, the buckets then hold exactly what raw holds. Minutes come from
        raw rows (a few minutes' worth), hours from their minutes."""
        # the bucket holding the instant before `since_ms`: a counter reading at since_ms
        # exactly ends an interval that belongs to it
        m0 = (since_ms - 1) - (since_ms - 1) % ROLLUPS["rollup_1m"]
        h0 = m0 - m0 % ROLLUPS["rollup_1h"]
        conn.execute("DELETE FROM rollup_1m WHERE ts >= ?", (m0,))
        conn.execute(
            """INSERT INTO rollup_1m
            SELECT tag, (ts / 60000) * 60000 AS b, min(value), max(value), sum(value),
                   count(*), NULL, max(ts), 0, 0
            FROM samples WHERE ts >= ? AND quality = 0 GROUP BY tag, b""",
            (m0,),
        )
        conn.execute(
            """UPDATE rollup_1m SET last = (SELECT value FROM samples s
                WHERE s.tag = rollup_1m.tag AND s.ts = rollup_1m.last_ts) WHERE ts >= ?""",
            (m0,),
        )
        for tag_id, spec in counters.items():
            HistoryStore._rebuild_increments(conn, tag_id, spec, m0)
        conn.execute("DELETE FROM rollup_1h WHERE ts >= ?", (h0,))
        conn.execute(
            """INSERT INTO rollup_1h
            SELECT tag, (ts / 3600000) * 3600000 AS b, min(min), max(max), sum(sum),
                   sum(count), NULL, max(last_ts), sum(delta), sum(resets)
            FROM rollup_1m WHERE ts >= ? GROUP BY tag, b""",
            (h0,),
        )
        conn.execute(
            """UPDATE rollup_1h SET last = (SELECT m.last FROM rollup_1m m
                WHERE m.tag = rollup_1h.tag AND m.last_ts = rollup_1h.last_ts
                  AND m.ts >= rollup_1h.ts AND m.ts < rollup_1h.ts + 3600000)
            WHERE ts >= ?""",
            (h0,),
        )

    @staticmethod
    def _rebuild_increments(
        conn: sqlite3.Connection, tag_id: int, spec: CounterSpec | float | None, m0: int
    ) -> None:
        tracker = CounterTracker()
        tracker.register(tag_id, spec, *HistoryStore.last_good_reading(conn, tag_id, m0))
        ids = np.array([tag_id], dtype=np.intp)
        per_minute: dict[int, tuple[float, int]] = {}
        for ts, value in conn.execute(
            "SELECT ts, value FROM samples WHERE tag = ? AND quality = 0 AND ts > ? ORDER BY ts",
            (tag_id, m0),
        ):
            inc = tracker.update(ids, np.array([value], dtype=np.float64), ts)
            b = (ts - 1) - (ts - 1) % 60_000  # the interval the reading ends (as the writer)
            delta, resets = per_minute.get(b, (0.0, 0))
            per_minute[b] = (delta + float(inc.deltas[0]), resets + int(inc.resets[0]))
        conn.executemany(
            """INSERT INTO rollup_1m VALUES (?, ?, ?, ?, 0, 0, NULL, -1, ?, ?)
            ON CONFLICT(tag, ts) DO UPDATE SET delta = excluded.delta, resets = excluded.resets""",
            [(tag_id, b, math.inf, -math.inf, d, r) for b, (d, r) in per_minute.items()],
        )

    @staticmethod
    def purge(conn: sqlite3.Connection, table: str, before_ms: int) -> int:
        if table not in ("samples", *ROLLUPS):
            raise ValueError(table)
        return conn.execute(f"DELETE FROM {table} WHERE ts < ?", (before_ms,)).rowcount

    # -- reading ----------------------------------------------------------------------
    def known_tags(self) -> dict[str, int]:
        with self.connect() as conn:
            return dict(conn.execute("SELECT name, id FROM tags").fetchall())

    def hour_fingerprints(self, tags: list[str], start_ms: int, end_ms: int) -> dict[int, str]:
        """Per UTC hour in [start, end), what the hourly rollup holds of these tags (counts,
        sums, increments): it changes whenever a minute of theirs does, so a quantity record
        kept with it is known current without reading its minutes again."""
        conn = self.connect()
        try:
            ids = dict(conn.execute("SELECT name, id FROM tags").fetchall())
            parts: dict[int, list[str]] = {}
            for tag in tags:
                rows = conn.execute(
                    "SELECT ts, count, sum, delta, resets FROM rollup_1h "
                    "WHERE tag=? AND ts>=? AND ts<? ORDER BY ts",
                    (ids.get(tag, -1), start_ms, end_ms),
                ).fetchall()
                for ts, count, total, delta, resets in rows:
                    parts.setdefault(ts, []).append(f"{tag}:{count}:{total!r}:{delta!r}:{resets}")
        finally:
            conn.close()
        return {ts: "|".join(sorted(p)) for ts, p in parts.items()}

    def minutes(self, tags: list[str], start_ms: int, end_ms: int) -> dict[str, MinuteRows]:
        """The 1-minute rollup of each tag as columns (minute start, min, max, sum, count of
        good values, last, counter delta, resets), for the hourly quantity records."""
        out: dict[str, MinuteRows] = {}
        conn = self.connect()  # one connection for the names and the rows (a month asks often)
        try:
            ids = dict(conn.execute("SELECT name, id FROM tags").fetchall())
            for tag in tags:
                rows = (
                    conn.execute(
                        "SELECT ts, min, max, sum, count, last, delta, resets FROM rollup_1m "
                        "WHERE tag=? AND ts>=? AND ts<? ORDER BY ts",
                        (ids[tag], start_ms, end_ms),
                    ).fetchall()
                    if tag in ids
                    else []
                )
                cols = np.array(rows, dtype=np.float64).reshape(-1, 8)
                out[tag] = MinuteRows(
                    cols[:, 0].astype(np.int64), *(cols[:, k] for k in range(1, 8))
                )
        finally:
            conn.close()
        return out

    def count_raw(self, tag: str | None = None) -> int:
        with self.connect() as conn:
            if tag is None:
                return int(conn.execute("SELECT count(*) FROM samples").fetchone()[0])
            row = conn.execute(
                "SELECT count(*) FROM samples JOIN tags ON tags.id = samples.tag WHERE name = ?",
                (tag,),
            ).fetchone()
            return int(row[0])

    def query(
        self,
        tags: list[str],
        start_ms: int,
        end_ms: int,
        step_s: int | None = None,
        aggregate: Aggregate = Aggregate.MEAN,
        limit: int = 200_000,
    ) -> dict[str, list[SeriesPoint]]:
        """Raw points when `step_s` is None, else one aggregate per epoch-aligned bucket.

        A step that is a whole number of hours reads the hourly rollup, of minutes the
        minute rollup; anything finer aggregates raw samples. `limit` bounds the points of
        all tags together: past it the answer stops (with one point more than `limit`, so the
        caller can tell).
        """
        ids = self.known_tags()
        out: dict[str, list[SeriesPoint]] = {t: [] for t in tags}
        total = 0
        with self.connect() as conn:
            for tag in tags:
                if tag not in ids:
                    continue
                if total > limit:
                    break
                remaining = limit + 1 - total
                args = (ids[tag], start_ms, end_ms)
                if step_s is None:
                    sql = (
                        "SELECT ts, value, quality FROM samples WHERE tag=? AND ts>=? AND ts<? "
                        "ORDER BY ts LIMIT ?"
                    )
                    rows = conn.execute(sql, (*args, remaining)).fetchall()
                    out[tag] = [SeriesPoint(ts, v, q) for ts, v, q in rows]
                    total += len(rows)
                    continue
                sql = _aggregate_sql(step_s, aggregate)
                rows = conn.execute(
                    sql,
                    {
                        "tag": args[0],
                        "start": start_ms,
                        "end": end_ms,
                        "step": step_s * 1000,
                        "limit": remaining,
                    },
                ).fetchall()
                out[tag] = [SeriesPoint(b, v) for b, v in rows]
                total += len(rows)
        return out


COUNTER_AGGREGATES = (Aggregate.DELTA, Aggregate.RESETS)


def _aggregate_sql(step_s: int, aggregate: Aggregate) -> str:
    step_ms = step_s * 1000
    source = next(
        (t for t, size in sorted(ROLLUPS.items(), key=lambda kv: -kv[1]) if step_ms % size == 0),
        None,
    )
    bucket = "(ts / :step) * :step"
    where = "WHERE tag = :tag AND ts >= :start AND ts < :end"
    if source is None and aggregate in COUNTER_AGGREGATES:
        raise ValueError(f"{aggregate.value} needs a step of whole minutes")
    if source is None:
        good = f"FROM samples {where} AND quality = 0"
        if aggregate is Aggregate.LAST:
            return (
                f"SELECT b, value FROM (SELECT {bucket} AS b, max(ts), value {good} "
                "GROUP BY b) ORDER BY b LIMIT :limit"
            )
        expr = {
            Aggregate.MEAN: "avg(value)",
            Aggregate.MIN: "min(value)",
            Aggregate.MAX: "max(value)",
            Aggregate.COUNT: "count(value)",
        }[aggregate]
        return f"SELECT {bucket} AS b, {expr} {good} GROUP BY b ORDER BY b LIMIT :limit"
    # a bucket may hold only a counter increment that a reading on its end boundary closed
    # (count 0): it has no values to aggregate
    rows = f"FROM {source} {where}" + ("" if aggregate in COUNTER_AGGREGATES else " AND count > 0")
    if aggregate is Aggregate.LAST:
        return (
            f"SELECT b, last FROM (SELECT {bucket} AS b, max(last_ts), last {rows} "
            "GROUP BY b) ORDER BY b LIMIT :limit"
        )
    expr = {
        Aggregate.MEAN: "sum(sum) / sum(count)",
        Aggregate.MIN: "min(min)",
        Aggregate.MAX: "max(max)",
        Aggregate.COUNT: "sum(count)",
        Aggregate.DELTA: "sum(delta)",
        Aggregate.RESETS: "sum(resets)",
    }[aggregate]
    return f"SELECT {bucket} AS b, {expr} {rows} GROUP BY b ORDER BY b LIMIT :limit"
