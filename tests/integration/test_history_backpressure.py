"""Acquisition faster than the history file can take it: another process holds the file's
write lock, so the writer stalls for real. The backlog stays bounded, what is refused is
counted, HISTORIAN.BEHIND stands and health says so; afterwards rows in the file plus rows
refused equal the values published, exactly."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from simulators.station_sim import StationSimulator
from station.clock import WallClock
from station.config.loader import parse_config
from station.loopback import free_port
from station.runtime import StationRuntime

pytestmark = pytest.mark.integration
TAGS = 200


def config_text() -> str:
    tags = "".join(
        f"      - {{id: P{i:03d}, name: {{zh: 点{i}, en: P{i}}}, table: holding,"
        f" address: {2 * i}, type: float32}}\n"
        for i in range(TAGS)
    )
    return (
        "station: {id: s, name: {zh: 站, en: S}}\n"
        "history: {max_backlog_rows: 1000, behind_alarm_s: 1}\n"
        "devices:\n  - id: BIG\n    protocol: modbus_tcp\n    host: 127.0.0.1\n"
        "    poll_interval_s: 0.1\n    tags:\n" + tags
    )


HOLD = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
conn.execute("BEGIN IMMEDIATE")  # the write lock: every other writer waits
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("ROLLBACK")
"""


async def test_a_stalled_writer_is_bounded_counted_and_alarmed(tmp_path: Path) -> None:
    cfg = parse_config(config_text())
    clock = WallClock()
    sim = StationSimulator(cfg, clock, ports={"BIG": free_port()})
    await sim.start()
    rt = StationRuntime(cfg, clock, tmp_path, endpoints=sim.endpoints())
    await rt.start()
    holder = None
    stopped = False
    try:
        while rt.history.stats.rows_written < 10 * TAGS:
            await asyncio.sleep(0.05)
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLD, str(tmp_path / "history.sqlite3"), "4"],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert holder.stdout is not None
        assert await asyncio.to_thread(holder.stdout.readline) == "locked\n"
        deadline = time.monotonic() + 4
        peak = 0
        while time.monotonic() < deadline:
            peak = max(peak, rt.history.backlog.rows)
            await asyncio.sleep(0.05)
        assert peak <= 1000 + TAGS  # bounded: the batch that met the bound was refused
        assert rt.history.stats.shed_rows > 0
        assert rt.history.backlog.lag_s > 1.0 or rt.history.stats.shed_rows > 0
        behind, text = rt.history_watch.behind(rt.now_ms())
        assert behind and "rows refused" in text
        await asyncio.sleep(1.2)  # the alarm timers run every second
        assert rt.alarms.status["HISTORIAN.BEHIND"].active
        await asyncio.to_thread(holder.wait, 10)
        # caught up once the lock is gone
        deadline = time.monotonic() + 20
        while rt.history.backlog.rows > 0:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        raised = [e.alarm for e in rt.journal.events(event="raised")]
        await rt.stop()
        stopped = True
        published = rt.bus.values_published
        with sqlite3.connect(tmp_path / "history.sqlite3") as conn:
            stored = conn.execute("SELECT count(*) FROM samples").fetchone()[0]
        assert rt.history.stats.failed_rows == 0
        assert stored + rt.history.stats.shed_rows == published
        assert stored == rt.history.stats.rows_written
        assert "HISTORIAN.BEHIND" in raised
    finally:
        if holder is not None and holder.poll() is None:
            holder.kill()
        if not stopped:
            await rt.stop()
        await sim.stop()
