"""Hourly records are kept and versioned: late data (a flow computer's buffered half hour,
written after the hour was first computed) makes version 2 beside version 1, never an edit.
The real history writer and SQLite files, the example station's meter run."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from station.alarms.journal import AlarmJournal
from station.calendar import HOUR, Period
from station.config.models import StationConfig
from station.history import HistoryStore, HistoryWriter
from station.records import RecordsStore
from station.reports.archive import ReportArchive
from station.reports.production import ProductionReports
from station.runtime import counter_specs
from station.samples import SampleBatch
from tests.harness.config import example_station

pytestmark = pytest.mark.integration
START_S = 1_764_036_000  # 2025-11-25 10:00 Asia/Shanghai
TAGS = ("FQ-301S", "FQ-301", "FT-301S", "PT-301", "TT-301")


def write(writer: HistoryWriter, start_s: int, end_s: int) -> float:
    """Samples of the meter run each second: 3,600 Nm³/h, so 1 Nm³ a second; returns the
    standard totaliser's last reading."""
    total = 0.0
    for t in range(start_s, end_s):
        total = 5_000_000.0 + (t - START_S)
        values = np.array([total, total / 4.5, 3600.0, 0.35, 12.0])
        writer.accept(SampleBatch("FC-301", t * 1000, TAGS, values, np.zeros(5, np.uint8)))
    assert writer.wait_idle(60)
    return total


def started_writer(store: HistoryStore, cfg: StationConfig) -> HistoryWriter:
    """The real history writer, started, committing often (the tests wait for it)."""
    writer = HistoryWriter(store, cfg.history, counter_specs(cfg), commit_interval_s=0.05)
    writer.start()
    return writer


def reports_on(
    tmp_path: Path, cfg: StationConfig, store: HistoryStore, now_ms: Callable[[], int]
) -> ProductionReports:
    """The production reports over the history and a records file, on the clock given."""
    records = RecordsStore(tmp_path / "records.sqlite3")
    return ProductionReports(cfg, store, AlarmJournal(records), ReportArchive(records), now_ms)


def test_late_data_makes_a_new_version_and_the_old_one_stays(tmp_path: Path) -> None:
    cfg = example_station()
    run = cfg.reports.meter_runs[0]
    store = HistoryStore(tmp_path / "history.sqlite3")
    writer = started_writer(store, cfg)
    now = [(START_S + 3600 + 300) * 1000]  # 11:05: the hour 10:00–11:00 has ended
    reports = reports_on(tmp_path, cfg, store, lambda: now[0])
    start = datetime.fromtimestamp(START_S, tz=UTC)
    hour = Period("hour", "10:00", start, start + HOUR)
    try:
        write(writer, START_S, START_S + 1800)  # 10:00–10:30 arrive; the rest is buffered
        writer.stop()  # the writer flushes its rollups
        (first,) = reports.records(run, hour)
        assert first.coverage == pytest.approx(0.5) and len(first.gaps) == 1
        (v1,) = reports.ledger.versions(run.id, hour.start_ms)
        assert v1.version == 1 and v1.changed is None
        assert v1.record["standard_volume"] == first.standard_volume

        # computing it again with the same data keeps what is there, and reads no minutes:
        # the hourly rollup still holds what the kept record was made from
        reads: list[int] = []
        minutes = store.minutes
        store.minutes = lambda *a: reads.append(1) or minutes(*a)  # type: ignore[method-assign,func-returns-value]
        (again,) = reports.records(run, hour)
        assert again == first and reads == []
        assert len(reports.ledger.versions(run.id, hour.start_ms)) == 1

        writer = started_writer(store, cfg)
        write(writer, START_S + 1800, START_S + 3600)  # the buffered half hour, late
        writer.stop()
        now[0] += 600_000
        (second,) = reports.records(run, hour)
        assert reads == [1]  # the late half hour changed the rollup: the hour was read again
        assert second.coverage == 1.0 and second.gaps == ()
        assert second.standard_volume == pytest.approx(3599.0)  # 1 Nm³ a second, 10:00:00–10:59:59
        kept = reports.ledger.versions(run.id, hour.start_ms)
        assert [k.version for k in kept] == [1, 2]
        assert kept[0].content == v1.content  # version 1 as it was
        assert kept[1].record["standard_volume"] == second.standard_volume
        assert kept[1].changed is not None and kept[1].changed.startswith("standard_volume ")
        assert reports.ledger.latest(run.id, hour.start_ms, hour.end_ms) == [kept[1]]

        # an hour not yet over is no record
        open_hour = Period("hour", "11:00", start + HOUR, start + 2 * HOUR)
        now[0] = (START_S + 3600 + 1800) * 1000
        reports.records(run, open_hour)
        assert reports.ledger.versions(run.id, open_hour.start_ms) == []
    finally:
        writer.stop()
    with (
        sqlite3.connect(tmp_path / "records.sqlite3") as conn,
        pytest.raises(sqlite3.IntegrityError, match="new version"),
    ):
        conn.execute("UPDATE hourly_records SET content='{}' WHERE version=1")


def test_only_whole_station_hours_are_kept(tmp_path: Path) -> None:
    """A shift that starts off the hour (10:30) and a 10-minute shift compute their pieces of
    hours; kept, they read as hours of their own (23 false hours at :50 a day) and the whole
    hour later as late data ('334.0 → 2000.0'). Only whole station hours are kept."""
    cfg = example_station()
    run = cfg.reports.meter_runs[0]
    store = HistoryStore(tmp_path / "history.sqlite3")
    writer = started_writer(store, cfg)
    reports = reports_on(tmp_path, cfg, store, lambda: (START_S + 2 * 3600 + 300) * 1000)  # 12:05
    start = datetime.fromtimestamp(START_S, tz=UTC)
    try:
        write(writer, START_S, START_S + 2 * 3600)
    finally:
        writer.stop()
    half = start + HOUR / 2
    shift = Period("shift", "10:30", half, half + HOUR)  # 10:30–11:30
    (piece,) = reports.records(run, shift)
    assert piece.standard_volume == pytest.approx(3600.0)
    short = Period("shift", "10:50", start + HOUR * 5 / 6, start + HOUR)  # 10:50–11:00
    (ten,) = reports.records(run, short)
    assert ten.standard_volume == pytest.approx(600.0)
    for at in (half, start + HOUR * 5 / 6, start):
        assert reports.ledger.versions(run.id, int(at.timestamp() * 1000)) == []
    # the whole hour, computed for a day's report, is kept once, as version 1
    hour = Period("hour", "10:00", start, start + HOUR)
    (whole,) = reports.records(run, hour)
    assert [v.version for v in reports.ledger.versions(run.id, hour.start_ms)] == [1]
    assert whole.standard_volume == pytest.approx(3600.0, abs=1.0)
