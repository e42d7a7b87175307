"""A stop does not wait for a backlog of archive files, and the next start files what it left:
the real service, the real signal (to its whole process group, the worker included, as a
terminal's Ctrl-C or systemd's stop sends it), and the files on disk."""

from __future__ import annotations

import signal
import sqlite3
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from station.records import RecordsStore
from station.reports.archive import ReportArchive
from tests.harness.config import config_with_free_ports, free_port
from tests.harness.processes import healthy_for, spawn, stop, wait_until

pytestmark = pytest.mark.integration
SHANGHAI = ZoneInfo("Asia/Shanghai")
SHIFTS = 12
DAYS = 6
FORMATS = ("pdf", "xlsx")


def archive(folder: Path) -> dict[str, list[str]]:
    names = sorted(p.name for p in folder.iterdir()) if folder.exists() else []
    return {
        "whole": [n for n in names if not n.endswith(".part")],
        "part": [n for n in names if n.endswith(".part")],
    }


def test_a_stop_leaves_the_filing_and_the_next_start_finishes_it(tmp_path: Path) -> None:
    """The service was down for six days: on start it makes twelve shift and six daily
    reports and files each as PDF and XLSX. It is stopped when the first file is there."""
    cfg, _ = config_with_free_ports(tmp_path)
    http, data = free_port(), tmp_path / "data"
    now = datetime.now(SHANGHAI)
    last = now.replace(hour=20 if now.hour >= 20 else 8, minute=0, second=0, microsecond=0)
    if now.hour < 8:
        last -= timedelta(hours=12)
    shifts = sorted(last - timedelta(hours=12 * (i + 1)) for i in range(SHIFTS))
    gas_day = (now - timedelta(hours=8)).date()  # the gas day under way
    days = [gas_day - timedelta(days=i + 1) for i in reversed(range(DAYS))]
    records = RecordsStore(data / "records.sqlite3")
    archive_of_the_last_run = ReportArchive(records)
    archive_of_the_last_run.set_cursor("shift", int(shifts[0].timestamp() * 1000))
    first_day = datetime.combine(days[0], datetime.min.time(), SHANGHAI) + timedelta(hours=8)
    archive_of_the_last_run.set_cursor("daily", int(first_day.timestamp() * 1000))
    records.close()
    expected = sorted(
        [f"demo-gate-shift-{s:%Y-%m-%dT%H%M}-v1-zh.{fmt}" for s in shifts for fmt in FORMATS]
        + [f"demo-gate-daily-{d.isoformat()}-v1-zh.{fmt}" for d in days for fmt in FORMATS]
    )
    run = ("run", "--config", str(cfg), "--data-dir", str(data), "--port", str(http))
    sim = spawn("simulate", "--config", str(cfg))
    svc = spawn(*run)
    base = f"http://127.0.0.1:{http}"
    folder = data / "reports" / "demo-gate"
    try:
        healthy_for(base, 1)
        wait_until(lambda: archive(folder)["whole"], 60, "the first archive file")
        stopped = time.monotonic()
        out = stop(svc, signal.SIGTERM)
        took = time.monotonic() - stopped
        left = archive(folder)
        assert left["part"] == [], out  # a file in the folder is always whole
        assert set(left["whole"]) < set(expected), (left, out)  # the backlog was left
        assert took < 10, out
        assert "Traceback" not in out, out
        svc = spawn(*run)
        healthy_for(base, 1)
        wait_until(lambda: archive(folder)["whole"] == expected, 120, "the files left")
        assert archive(folder)["part"] == []
        with sqlite3.connect(data / "records.sqlite3") as conn:
            made = conn.execute(
                "SELECT kind, period, version FROM reports ORDER BY kind, period"
            ).fetchall()
        assert made == [("daily", d.isoformat(), 1) for d in days] + [
            ("shift", f"{s:%Y-%m-%dT%H:%M}", 1) for s in shifts
        ]  # filed, not made again
    finally:
        out = stop(svc)
        stop(sim)
    assert "Traceback" not in out, out
