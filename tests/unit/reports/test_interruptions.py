"""Supply-interruption minutes of a gas day from the alarm journal, read from the day's own
events and the one that stood when the day began (not from the journal's start)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from station.alarms.journal import AlarmJournal
from station.alarms.lifecycle import AlarmStatus
from station.history import HistoryStore
from station.records import RecordsStore
from station.reports.archive import ReportArchive
from station.reports.daily import overlap_minutes
from station.reports.production import ProductionReports
from tests.harness.config import example_station

DAY_START = 1_764_028_800_000  # 2025-11-25 08:00 Asia/Shanghai
MIN = 60_000


def test_an_interruption_across_the_start_of_the_day_counts_from_it(tmp_path: Path) -> None:
    cfg = example_station()
    records = RecordsStore(tmp_path / "records.sqlite3")
    journal = AlarmJournal(records)
    supply = AlarmStatus("SUPPLY-INTERRUPTION")
    for ts, event in [
        (DAY_START - 24 * 60 * MIN, "raised"),  # the day before, 2 minutes
        (DAY_START - 24 * 60 * MIN + 2 * MIN, "cleared"),
        (DAY_START - 30 * MIN, "raised"),  # 07:30, standing at 08:00
        (DAY_START + 45 * MIN, "cleared"),  # 08:45
        (DAY_START + 600 * MIN, "raised"),  # 18:00, standing at the day's end
    ]:
        journal.record(supply, event, 1, "FT-301S", ts)
    reports = ProductionReports(
        cfg, HistoryStore(tmp_path / "history.sqlite3"), journal, ReportArchive(records)
    )
    day = reports.calendar.gas_day(date(2025, 11, 25))
    intervals = reports._interruptions(day)
    assert intervals == [(DAY_START, DAY_START + 45 * MIN), (DAY_START + 600 * MIN, day.end_ms)]
    assert overlap_minutes(intervals, day.start_ms, day.end_ms) == 45 + 14 * 60
