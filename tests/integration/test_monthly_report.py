"""The monthly production report makes itself when the gas month ends: a row per gas day, the
plan the station master entered, and the month's alarm figures."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from station.records import RecordsStore
from station.reports.archive import ReportArchive
from tests.harness.config import example_station
from tests.harness.reports import typed_as_stored, until_made
from tests.harness.station import Station

pytestmark = pytest.mark.integration
NOV_30 = 1_764_468_000.0  # 2025-11-30 10:00 Asia/Shanghai


async def test_the_month_report_follows_the_last_gas_day(tmp_path: Path) -> None:
    cfg = example_station()
    station = Station(cfg, tmp_path, start=NOV_30)
    station.step_s = 60.0
    station.rt.report_archive.set_plan("2025-11", "RUN-1", 60_000.0, "master", 0)
    await station.start()
    try:
        await station.run(22.5 * 3600)  # to 08:30 on 1 December: the gas month has ended
        station.rt.history.wait_idle()
        archive = ReportArchive(station.rt.records)
        await until_made(station, archive, "monthly")
        reports = {
            (r.kind, r.period): r for r in archive.listing() if r.kind in ("daily", "monthly")
        }
    finally:
        await station.stop()

    assert set(reports) == {("daily", "2025-11-30"), ("monthly", "2025-11")}
    (day,) = json.loads(reports["daily", "2025-11-30"].content)
    (month,) = json.loads(reports["monthly", "2025-11"].content)
    for (kind, _), stored in reports.items():
        typed_as_stored(kind, stored.content)
    assert month["month"] == "2025-11" and len(month["rows"]) == 30
    assert [r["gas_day"] for r in month["rows"]][:2] == ["2025-11-01", "2025-11-02"]
    assert month["rows"][-1]["standard_volume"] == day["standard_volume"] > 0
    assert month["standard_volume"] == day["standard_volume"]  # the only day with data
    assert month["plan"] == 60_000.0
    assert month["plan_share"] == pytest.approx(day["standard_volume"] / 60_000.0)
    assert month["days_with_gaps"] == 30 and month["previous_month"] is None
    # the 29 days before the station's data began are blank, not 0, and have no peak hour
    blank = month["rows"][:-1]
    assert all(r["standard_volume"] is None and r["working_volume"] is None for r in blank)
    assert all(r["peak_hour"] is None for r in blank)
    assert month["alarms"]["raised"] >= 0 and month["interruption_minutes"] == 0
    # the command makes the same content, so the same version, in either language
    out = tmp_path / "m.html"
    made = subprocess.run(
        [sys.executable, "-m", "station.cli", "report", "monthly", "--date", "2025-11",
         "--data-dir", str(tmp_path), "--lang", "zh", "--out", str(out)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert "version 1" in made.stdout
    # a month is 30 gas days of work: the progress is shown on stderr, one step per day
    steps = [line for line in made.stderr.splitlines() if "gas days" in line]
    assert len(steps) == 30 and steps[0].endswith("] 1/30 gas days")
    assert steps[-1] == f"[{'#' * 30}] 30/30 gas days"
    html = out.read_text()
    assert "门站生产月报" in html and reports["monthly", "2025-11"].hash in html
    wrong = subprocess.run(
        [sys.executable, "-m", "station.cli", "report", "monthly", "--date", "2025-11-30",
         "--data-dir", str(tmp_path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert wrong.returncode == 2 and "gas month YYYY-MM" in wrong.stderr
    # a month that has not ended (this one, on the wall clock) is a preview: marked so on its
    # face, never archived (so never reviewed nor signed)
    this_month = datetime.now(ZoneInfo(cfg.station.timezone)).strftime("%Y-%m")
    out = tmp_path / "now.html"
    made = subprocess.run(
        [sys.executable, "-m", "station.cli", "report", "monthly", "--date", this_month,
         "--data-dir", str(tmp_path), "--lang", "en", "--out", str(out)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert "preview: the period has not ended, not archived" in made.stdout
    assert out.read_text().count("PREVIEW: the period has not ended") == 2
    assert "Signed off by" not in out.read_text()
    assert [
        r.period
        for r in ReportArchive(RecordsStore(tmp_path / "records.sqlite3")).listing("monthly")
    ] == ["2025-11"]
