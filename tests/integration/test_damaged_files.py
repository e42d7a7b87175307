"""Damaged data files: the service refuses to start on them with a message that names the file
and the way out; `station repair` keeps the damaged file and salvages what it can."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.harness.config import config_with_free_ports, free_port
from tests.harness.processes import spawn, stop, wait_until

pytestmark = pytest.mark.integration


def station(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "station.cli", *args], capture_output=True, text=True, timeout=60
    )


def a_station_that_ran(tmp_path: Path) -> tuple[Path, Path]:
    """A data folder written by the real service for a few seconds, then stopped cleanly."""
    cfg, _ = config_with_free_ports(tmp_path, **{"poll_interval_s: 1.0": "poll_interval_s: 0.2"})
    data, http = tmp_path / "data", free_port()
    sim = spawn("simulate", "--config", str(cfg))
    svc = spawn("run", "--config", str(cfg), "--data-dir", str(data), "--port", str(http))
    try:
        wait_until(
            lambda: (
                min(
                    d["polls"]
                    for d in httpx.get(f"http://127.0.0.1:{http}/healthz", timeout=2).json()[
                        "devices"
                    ]
                )
                >= 10
            ),
            40,
            "polls",
        )
    finally:
        stop(svc, signal.SIGTERM)
        stop(sim)
    return cfg, data


def refused(cfg: Path, data: Path, name: str) -> str:
    res = station("run", "--config", str(cfg), "--data-dir", str(data), "--port", "0")
    assert res.returncode == 3, res.stderr
    assert "Traceback" not in res.stderr
    assert str(data / name) in res.stderr and "station repair" in res.stderr
    return res.stderr


def test_truncated_history_is_refused_then_repaired(tmp_path: Path) -> None:
    cfg, data = a_station_that_ran(tmp_path)
    history = data / "history.sqlite3"
    with sqlite3.connect(history) as conn:
        before = conn.execute("SELECT count(*) FROM samples").fetchone()[0]
    size = history.stat().st_size
    with history.open("r+b") as f:
        f.truncate(size // 2)
    refused(cfg, data, "history.sqlite3")
    out = station("repair", "--data-dir", str(data))
    assert out.returncode == 0, out.stderr
    assert "history.sqlite3: damaged, kept as history.sqlite3.damaged-" in out.stdout, out.stdout
    assert "records.sqlite3: ok" in out.stdout
    kept = [p for p in data.glob("history.sqlite3.damaged-*") if p.suffix != ".sqlite3-wal"]
    kept = [p for p in kept if not p.name.endswith(("-wal", "-shm"))]
    assert len(kept) == 1 and kept[0].stat().st_size == size // 2  # the damaged file, whole
    with sqlite3.connect(history) as conn:
        assert conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        after = conn.execute("SELECT count(*) FROM samples").fetchone()[0]
    assert 0 <= after < before
    # the repaired folder runs again
    http = free_port()
    sim = spawn("simulate", "--config", str(cfg))
    svc = spawn("run", "--config", str(cfg), "--data-dir", str(data), "--port", str(http))
    try:
        wait_until(
            lambda: (
                httpx.get(f"http://127.0.0.1:{http}/healthz", timeout=2).json()["status"] == "ok"
            ),
            40,
            "healthy after repair",
        )
    finally:
        said = stop(svc, signal.SIGTERM)
        stop(sim)
    assert svc.returncode == 0 and "Traceback" not in said


def test_garbage_records_file_is_refused_and_named(tmp_path: Path) -> None:
    cfg, data = a_station_that_ran(tmp_path)
    (data / "records.sqlite3").write_bytes(b"this is not a database\n" * 200)
    for side in ("records.sqlite3-wal", "records.sqlite3-shm"):
        (data / side).unlink(missing_ok=True)
    err = refused(cfg, data, "records.sqlite3")
    assert "file is not a database" in err


def test_garbage_inside_a_history_file_with_an_intact_header_is_refused(tmp_path: Path) -> None:
    cfg, data = a_station_that_ran(tmp_path)
    history = data / "history.sqlite3"
    with history.open("r+b") as f:
        f.seek(4096 * 3)  # past the header page: a few pages of nonsense
        f.write(b"\xde\xad\xbe\xef" * 4096)
    err = refused(cfg, data, "history.sqlite3")
    assert "damaged" in err


@pytest.mark.expect_log("history write failed", "rows not written at stop")
async def test_damage_found_while_running_is_alarmed_and_a_503(tmp_path: Path) -> None:

    from simulators.station_sim import StationSimulator
    from station.api import create_app
    from station.clock import WallClock
    from station.config.loader import parse_config
    from station.runtime import StationRuntime
    from tests.harness.foreign import FOREIGN
    from tests.harness.http import serve
    from tests.harness.waits import until, within

    cfg = parse_config(FOREIGN.replace("    timeout_s: 0.5\n", "    poll_interval_s: 0.1\n"))
    clock = WallClock()
    sim = StationSimulator(cfg, clock, ports={"FC-X": free_port()})
    await sim.start()
    rt = StationRuntime(cfg, clock, tmp_path, endpoints=sim.endpoints())
    await rt.start()
    port = free_port()
    server, task = await serve(create_app(rt), port)
    try:
        await until(lambda: rt.history.stats.rows_written >= 500, 60, "500 rows written")
        history = tmp_path / "history.sqlite3"
        with sqlite3.connect(history) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        with history.open("r+b") as f:  # pages past the header overwritten with nonsense
            f.seek(4096 * 2)
            f.write(b"\xde\xad\xbe\xef" * 1024 * 8)
        from datetime import UTC, datetime, timedelta

        now = datetime.now(UTC)
        span = {"start": (now - timedelta(hours=1)).isoformat(), "end": now.isoformat()}
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            r = await http.get("/api/history", params={"tags": "ABCD", **span})
        assert r.status_code == 503, r.text
        assert "history file unreadable" in r.json()["detail"]
        # writes meet the damage too
        await until(lambda: rt.alarms.status["HISTORIAN.WRITE"].active, 10, "write alarm")
        assert "malformed" in (rt.alarms.status["HISTORIAN.WRITE"].cause or "")
    finally:
        server.should_exit = True
        await within(30, "HTTP server stop", task)
        await within(60, "station stop", rt.stop())
        await within(30, "simulator stop", sim.stop())
