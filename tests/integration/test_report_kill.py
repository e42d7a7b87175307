"""A report due while the service lies killed (SIGKILL, no shutdown at all) is made after the
restart, exactly once, with its archive files: the real process, the real signal, the wall
clock, and a shift that ends a minute from now."""

from __future__ import annotations

import signal
import sqlite3
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import config_with_free_ports, free_port
from tests.integration.test_end_to_end import spawn, stop, wait_until
from tests.integration.test_stops import healthy_for

pytestmark = pytest.mark.integration
SHANGHAI = ZoneInfo("Asia/Shanghai")


def shift_reports(data: Path) -> list[tuple[str, int]]:
    with sqlite3.connect(data / "records.sqlite3") as conn:
        return conn.execute(
            "SELECT period, version FROM reports WHERE kind='shift' ORDER BY period, version"
        ).fetchall()


def test_a_shift_that_ends_while_killed_is_reported_once_after_restart(tmp_path: Path) -> None:
    # shifts change at the next whole minute 30–90 s from now, and 12 hours later
    end = (datetime.now(SHANGHAI) + timedelta(seconds=90)).replace(second=0, microsecond=0)
    other = end + timedelta(hours=12)
    cfg, _ = config_with_free_ports(
        tmp_path,
        **{
            '{name_zh: 白班, name_en: Day shift, start: "08:00"}': (
                f'{{name_zh: 白班, name_en: Day shift, start: "{end:%H:%M}"}}'
            ),
            '{name_zh: 夜班, name_en: Night shift, start: "20:00"}': (
                f'{{name_zh: 夜班, name_en: Night shift, start: "{other:%H:%M}"}}'
            ),
            "  contract_hour: 8 ": "  generate_after_s: 0\n  contract_hour: 8 ",
        },
    )
    http, data = free_port(), tmp_path / "data"
    run = ("run", "--config", str(cfg), "--data-dir", str(data), "--port", str(http))
    sim = spawn("simulate", "--config", str(cfg))
    svc = spawn(*run)
    base = f"http://127.0.0.1:{http}"
    try:
        healthy_for(base, 3)
        time.sleep(max(0.0, end.timestamp() - time.time() - 3))
        stop(svc, signal.SIGKILL)  # three seconds before the shift ends: nothing shut down
        assert shift_reports(data) == []
        time.sleep(max(0.0, end.timestamp() - time.time() + 3))  # the due time passes, down
        svc = spawn(*run)
        healthy_for(base, 1)
        period = (end - timedelta(hours=12)).strftime("%Y-%m-%dT%H:%M")
        wait_until(lambda: shift_reports(data), 60, "the missed shift report")
        folder = data / "reports" / "demo-gate"
        name = f"demo-gate-shift-{period.replace(':', '')}-v1-zh"
        wait_until(lambda: (folder / f"{name}.xlsx").exists(), 60, "its archive files")
        time.sleep(3)  # more ticks of the service: nothing is made twice
        assert shift_reports(data) == [(period, 1)]
        assert sorted(p.name for p in folder.iterdir()) == [f"{name}.pdf", f"{name}.xlsx"]
        with sqlite3.connect(data / "records.sqlite3") as conn:
            (cursor,) = conn.execute(
                "SELECT done_until_ms FROM report_cursors WHERE kind='shift'"
            ).fetchone()
        assert cursor == int(end.timestamp() * 1000)
        out = stop(svc, signal.SIGTERM)
        assert svc.returncode == 0 and "Traceback" not in out, out
    finally:
        stop(svc, signal.SIGKILL)
        stop(sim)
