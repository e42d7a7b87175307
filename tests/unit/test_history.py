"""Embedded history: raw rows, rollups kept as data arrives, queries by step and aggregate."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from station.config.models import HistoryConfig
from station.history import Aggregate, HistoryStore, HistoryWriter
from station.history.store import MIGRATIONS
from station.samples import Quality, SampleBatch
from station.schema_versions import SchemaTooNew, version_of

T0 = 1_764_000_000_000 - 1_764_000_000_000 % 3_600_000  # an hour boundary, in ms
TAGS = ("PT-301", "FT-301S")


def batch(ts_ms: int, values: list[float], quality: list[int] | None = None) -> SampleBatch:
    q = np.array(quality or [0] * len(values), dtype=np.uint8)
    return SampleBatch("D", ts_ms, TAGS, np.array(values, dtype=np.float64), q)


def write(
    tmp_path: Path, batches: list[SampleBatch], flush_s: float = 10, name: str = "h.sqlite3"
) -> HistoryStore:
    store = HistoryStore(tmp_path / name)
    writer = HistoryWriter(store, HistoryConfig(rollup_flush_s=flush_s))
    writer.start()
    for b in batches:
        writer.accept(b)
    writer.stop()
    assert writer.stats.last_error is None
    return store


def two_hours() -> tuple[list[SampleBatch], np.ndarray]:
    rng = np.random.default_rng(3)
    vals = rng.normal(0.35, 0.01, size=(7200, 2))
    return [batch(T0 + i * 1000, vals[i].tolist()) for i in range(7200)], vals


def test_raw_rows_round_trip(tmp_path: Path) -> None:
    store = write(tmp_path, [batch(T0, [0.35, 2000.0]), batch(T0 + 1000, [0.36, 2100.0], [2, 0])])
    got = store.query(["PT-301"], T0, T0 + 2000)["PT-301"]
    assert [(p.ts_ms, p.value, p.quality) for p in got] == [(T0, 0.35, 0), (T0 + 1000, 0.36, 2)]


@pytest.mark.parametrize("step", [60, 600, 3600])
def test_rollups_equal_aggregates_of_raw(tmp_path: Path, step: int) -> None:
    batches, vals = two_hours()
    store = write(tmp_path, batches, flush_s=7)  # flushes mid-bucket: merges must add up
    cases: list[tuple[Aggregate, Callable[[Any], Any]]] = [
        (Aggregate.MEAN, np.mean),
        (Aggregate.MIN, np.min),
        (Aggregate.MAX, np.max),
        (Aggregate.LAST, lambda a: a[-1]),
        (Aggregate.COUNT, len),
    ]
    for agg, fn in cases:
        got = store.query(["FT-301S"], T0, T0 + 7_200_000, step, agg)["FT-301S"]
        per = vals[:, 1].reshape(-1, step)
        assert [p.ts_ms for p in got] == [T0 + i * step * 1000 for i in range(len(per))]
        assert [p.value for p in got] == pytest.approx([float(fn(row)) for row in per], rel=1e-12)


def test_fine_steps_read_raw_and_skip_bad_values(tmp_path: Path) -> None:
    bs = [batch(T0 + i * 1000, [float(i), 1.0], [2 if i == 3 else 0, 0]) for i in range(10)]
    store = write(tmp_path, bs)
    got = store.query(["PT-301"], T0, T0 + 10_000, 5, Aggregate.MEAN)["PT-301"]
    assert [p.value for p in got] == [pytest.approx((0 + 1 + 2 + 4) / 4), pytest.approx(7.0)]


def test_restart_mid_bucket_merges(tmp_path: Path) -> None:
    batches, vals = two_hours()
    write(tmp_path, batches[:1800])
    store = write(tmp_path, batches[1800:3600])  # a new writer on the same file
    got = store.query(["PT-301"], T0, T0 + 3_600_000, 3600, Aggregate.MEAN)["PT-301"]
    assert len(got) == 1 and got[0].value == pytest.approx(vals[:3600, 0].mean(), rel=1e-12)
    count = store.query(["PT-301"], T0, T0 + 3_600_000, 3600, Aggregate.COUNT)["PT-301"]
    assert count[0].value == 3600


def test_retention_drops_old_raw_but_keeps_rollups(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    writer = HistoryWriter(store, HistoryConfig(raw_retention_days=1))
    writer.start()
    day = 86_400_000
    for i in range(4):
        writer.accept(batch(T0 + i * day, [float(i), 0.0]))
    writer.stop()
    raw = store.query(["PT-301"], T0 - day, T0 + 5 * day)["PT-301"]
    assert [p.value for p in raw] == [2.0, 3.0]  # older than a day before the newest are gone
    hourly = store.query(["PT-301"], T0 - day, T0 + 5 * day, 3600, Aggregate.MEAN)["PT-301"]
    assert [p.value for p in hourly] == [0.0, 1.0, 2.0, 3.0]
    writer = HistoryWriter(
        store, HistoryConfig(rollup_1m_retention_days=2, rollup_1h_retention_days=3)
    )
    writer.start()
    writer.accept(batch(T0 + 4 * day, [4.0, 0.0]))
    writer.stop()
    minute = store.query(["PT-301"], T0 - day, T0 + 5 * day, 60, Aggregate.MEAN)["PT-301"]
    assert [p.value for p in minute] == [2.0, 3.0, 4.0]
    hourly = store.query(["PT-301"], T0 - day, T0 + 5 * day, 3600, Aggregate.MEAN)["PT-301"]
    assert [p.value for p in hourly] == [1.0, 2.0, 3.0, 4.0]


def test_unknown_tag_gives_empty_series(tmp_path: Path) -> None:
    store = write(tmp_path, [batch(T0, [1.0, 2.0])])
    assert store.query(["NOPE"], T0, T0 + 1000) == {"NOPE": []}


def test_quality_codes_are_stable() -> None:
    # History stores these integers: renumbering would corrupt stored data.
    assert [q.value for q in Quality] == list(range(10))


def test_export_csv_and_parquet_match_the_store(tmp_path: Path) -> None:
    import csv
    import subprocess
    import sys

    import pyarrow.parquet as pq

    batches, vals = two_hours()
    write(tmp_path, batches, name="history.sqlite3")
    cli = [
        sys.executable,
        "-m",
        "station.cli",
        "export",
        "--data-dir",
        str(tmp_path),
        "--start",
        "2025-11-24T00:00:00Z",
        "--end",
        "2025-11-25T00:00:00Z",
    ]
    for out in ("h.csv", "h.parquet"):
        res = subprocess.run(
            [*cli, "--tags", "FT-301S", "--out", str(tmp_path / out)],
            capture_output=True,
            text=True,
        )
        assert res.returncode == 0, res.stderr
        assert "7200 rows" in res.stdout
    with (tmp_path / "h.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [float(r["value"]) for r in rows] == vals[:, 1].tolist()
    assert rows[0]["tag"] == "FT-301S" and rows[0]["quality"] == "good"
    table = pq.read_table(tmp_path / "h.parquet")
    assert table.column("value").to_pylist() == vals[:, 1].tolist()
    assert table.column("time_utc")[0].as_py().timestamp() * 1000 == T0
    hourly = subprocess.run(
        [*cli, "--step", "3600", "--out", str(tmp_path / "hourly.csv")],
        capture_output=True,
        text=True,
    )
    assert "4 rows" in hourly.stdout  # 2 tags × 2 hours, from the hourly rollup


def test_a_file_from_before_numbered_schemas_is_upgraded_keeping_every_row(
    tmp_path: Path,
) -> None:
    """The history file as the first release wrote it (user_version 0, no counter columns)."""
    import sqlite3

    path = tmp_path / "history.sqlite3"
    old = sqlite3.connect(path)
    old.executescript("""
        CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
        CREATE TABLE samples (tag INTEGER NOT NULL, ts INTEGER NOT NULL, value REAL,
            quality INTEGER NOT NULL, PRIMARY KEY (tag, ts)) WITHOUT ROWID;
        CREATE TABLE rollup_1m (tag INTEGER NOT NULL, ts INTEGER NOT NULL, min REAL, max REAL,
            sum REAL, count INTEGER NOT NULL, last REAL, last_ts INTEGER NOT NULL,
            PRIMARY KEY (tag, ts)) WITHOUT ROWID;
        CREATE TABLE rollup_1h (tag INTEGER NOT NULL, ts INTEGER NOT NULL, min REAL, max REAL,
            sum REAL, count INTEGER NOT NULL, last REAL, last_ts INTEGER NOT NULL,
            PRIMARY KEY (tag, ts)) WITHOUT ROWID;
        INSERT INTO tags VALUES (1, 'PT-301');
        INSERT INTO samples VALUES (1, 60000, 0.35, 0), (1, 61000, 0.36, 0);
        INSERT INTO rollup_1m VALUES (1, 60000, 0.35, 0.36, 0.71, 2, 0.36, 61000);
    """)
    old.commit()
    old.close()
    store = HistoryStore(path)
    with store.connect() as conn:
        assert version_of(conn, "history") == len(MIGRATIONS)
        assert conn.execute("SELECT * FROM rollup_1m").fetchall() == [
            (1, 60000, 0.35, 0.36, 0.71, 2, 0.36, 61000, 0.0, 0)
        ]
    assert store.count_raw("PT-301") == 2
    mean = store.query(["PT-301"], 0, 120_000, 60, Aggregate.MEAN)["PT-301"]
    assert [p.value for p in mean] == [pytest.approx(0.355)]
    HistoryStore(path)  # opening again changes nothing


def test_a_file_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "history.sqlite3"
    HistoryStore(path)
    with sqlite3.connect(path) as conn:
        conn.execute(
            "UPDATE schema_versions SET version = ? WHERE owner = 'history'",
            (len(MIGRATIONS) + 1,),
        )
    with pytest.raises(SchemaTooNew, match="newer than this program"):
        HistoryStore(path)
