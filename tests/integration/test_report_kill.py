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

import httpx
import pytest

from tests.harness.config import config_with_free_ports, free_port
from tests.harness.processes import healthy_for, spawn, stop, wait_until

pytestmark = pytest.mark.integration
SHANGHAI = ZoneInfo("Asia/Shanghai")


def shift_reports(data: Path) -> list[tuple[str, int]]:
    with sqlite3.connect(data / "records.sqlite3") as conn:
        return conn.execute(
            "SELECT period, version FROM reports WHERE kind='shift' ORDER BY period, version"
        ).fetchall()


def test_a_shift_that_ends_while_killed_is_reported_once_after_restart(tmp_path: Path) -> None:
    """Shifts change at B (the next whole minute 30–90 s from now), at C = B + 1 min and at
    B + 12 h. The shift ending at B is made while the service runs, fired by apscheduler; the
    service is killed just before C and started again just after: the shift B–C is made
    after the restart, once."""
    b = (datetime.now(SHANGHAI) + timedelta(seconds=90)).replace(second=0, microsecond=0)
    c, d = b + timedelta(minutes=1), b + timedelta(hours=12)
    cfg, _ = config_with_free_ports(
        tmp_path,
        **{
            '{name_zh: 白班, name_en: Day shift, start: "08:00"}': (
                f'{{name_zh: 白班, name_en: Day shift, start: "{b:%H:%M}"}}\n'
                f'    - {{name_zh: 交接, name_en: Handover, start: "{c:%H:%M}"}}'
            ),
            '{name_zh: 夜班, name_en: Night shift, start: "20:00"}': (
                f'{{name_zh: 夜班, name_en: Night shift, start: "{d:%H:%M}"}}'
            ),
            "  contract_hour: 8 ": "  generate_after_s: 0\n  contract_hour: 8 ",
        },
    )
    http, data = free_port(), tmp_path / "data"
    run = ("run", "--config", str(cfg), "--data-dir", str(data), "--port", str(http))
    sim = spawn("simulate", "--config", str(cfg))
    svc = spawn(*run)
    base = f"http://127.0.0.1:{http}"
    first = (b - timedelta(hours=12)).strftime("%Y-%m-%dT%H:%M")  # the shift ending at B
    missed = b.strftime("%Y-%m-%dT%H:%M")  # B–C, ending while the service lies killed
    try:
        healthy_for(base, 3)
        assert shift_reports(data) == []
        reports = httpx.get(f"{base}/healthz", timeout=5).json()["reports"]
        assert reports["scheduler"] == "apscheduler"
        assert (reports["fired"], reports["made"]) == (0, 0)
        wait_until(lambda: shift_reports(data), b.timestamp() - time.time() + 40, "shift at B")
        assert shift_reports(data) == [(first, 1)]
        # the production scheduler fired it (once: a shift ended), and waits for its next firing
        reports = httpx.get(f"{base}/healthz", timeout=5).json()["reports"]
        assert reports == {
            "scheduler": "apscheduler",
            "fired": 1,
            "made": 1,
            "last_made": f"shift {first}",
            "next_due": None,
        }
        time.sleep(max(0.0, c.timestamp() - time.time() - 3))
        stop(svc, signal.SIGKILL)  # three seconds before C: nothing shut down
        assert shift_reports(data) == [(first, 1)]
        time.sleep(max(0.0, c.timestamp() - time.time() + 3))  # C passes while it is down
        svc = spawn(*run)
        healthy_for(base, 1)
        wait_until(lambda: len(shift_reports(data)) == 2, 60, "the missed shift report")
        folder = data / "reports" / "demo-gate"
        name = f"demo-gate-shift-{missed.replace(':', '')}-v1-zh"
        wait_until(lambda: (folder / f"{name}.xlsx").exists(), 60, "its archive files")
        time.sleep(3)  # more ticks of the service: nothing is made twice
        assert shift_reports(data) == [(first, 1), (missed, 1)]
        assert f"{name}.pdf" in {p.name for p in folder.iterdir()}
        with sqlite3.connect(data / "records.sqlite3") as conn:
            (cursor,) = conn.execute(
                "SELECT done_until_ms FROM report_cursors WHERE kind='shift'"
            ).fetchone()
        assert cursor == int(c.timestamp() * 1000)
        out = stop(svc, signal.SIGTERM)
        assert svc.returncode == 0 and "Traceback" not in out, out
    finally:
        stop(svc, signal.SIGKILL)
        stop(sim)
