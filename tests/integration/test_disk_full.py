"""The data disk fills up for real (a small tmpfs the test mounts): alarms, no lasting damage,
first-out suppression intact, and once space returns every poll is in history and every alarm
event in the journal, exactly."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness.config import example_station
from tests.harness.station import Station

pytestmark = pytest.mark.integration


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 24 MB filesystem of its own (root mounts a tmpfs; CI runs as root)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    res = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if res.returncode != 0:
        if os.environ.get("CI"):
            pytest.fail(f"cannot mount a small filesystem: {res.stderr}")
        pytest.skip(f"mounting a tmpfs needs root here: {res.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> Path:
    """Write until the disk refuses: ENOSPC for real."""
    filler = disk / "filler"
    chunk = b"\0" * (1 << 16)
    with filler.open("wb", buffering=0) as f:
        try:
            while True:
                f.write(chunk)
        except OSError as exc:
            assert exc.errno == 28
    return filler


@pytest.mark.expect_log(
    "history write failed",
    "alarm journal write failed",
    "history writer failed",
    "duty log write failed",
)
async def test_a_full_disk_is_alarmed_loses_nothing_and_recovers(small_disk: Path) -> None:
    cfg = example_station()
    cfg = cfg.model_copy(
        update={"history": cfg.history.model_copy(update={"disk_warn_free_mb": 8.0})}
    )
    station = Station(cfg, small_disk / "data")
    annunciated: list[str] = []
    station.rt.alarms.listeners.append(
        lambda m: annunciated.append(m["id"]) if m["event"] == "raised" else None
    )
    await station.start()
    try:
        await station.run(30)
        assert annunciated == []
        assert await asyncio.to_thread(station.rt.history.wait_idle, 10)
        filler = fill(small_disk)
        await station.run(20)  # writes fail: the history file and the journal
        deadline = time.monotonic() + 10
        while station.rt.history.stats.last_error is None:
            assert time.monotonic() < deadline, "no history write met the full disk"
            await asyncio.sleep(0.05)
        await station.run(2)
        assert "HISTORIAN.DISK" in annunciated and "HISTORIAN.WRITE" in annunciated
        station.sim.set_scenario("supply-interruption")
        await station.run(600)
        # the alarm engine does not need the disk: first-out suppression holds
        process = [a for a in annunciated if not a.startswith("HISTORIAN.")]
        assert process == ["XS-201A.TRIP", "SUPPLY-INTERRUPTION"], annunciated
        assert station.rt.journal.pending > 0  # waiting in memory, not lost
        filler.unlink()  # space returns
        await station.run(30)
        deadline = time.monotonic() + 20
        while station.rt.history.stats.last_error is not None or station.rt.history.backlog.rows:
            assert time.monotonic() < deadline, station.rt.history.stats
            await asyncio.sleep(0.1)
        await station.run(2)
        assert station.rt.history.stats.last_error is None
        assert station.rt.journal.pending == 0 and station.rt.journal.last_error is None
        raised = station.raised()
        assert [a for a in raised if not a.startswith("HISTORIAN.")] == process
        assert {"HISTORIAN.DISK", "HISTORIAN.WRITE"} <= set(raised)
        assert {"AT-401.L", "PT-301.L", "PT-301.LL"} <= set(station.events("raised_hidden"))
        # the duty log's automatic entries waited too, and are all there: one per raise
        written = [e.text for e in station.rt.duty.records.log(author="system", limit=10_000)]
        assert [t.split()[0] for t in written if " raised " in t] == raised
        assert station.rt.duty.last_error is None
        polls = {d.device.id: d.stats.polls for d in station.rt.devices}
        tags = {d.device.id: d.tags[0] for d in station.rt.devices}
    finally:
        await station.stop()
    with sqlite3.connect(small_disk / "data" / "history.sqlite3") as conn:
        for device, tag in tags.items():
            raw, good = conn.execute(
                "SELECT count(*), sum(quality = 0) FROM samples JOIN tags ON tags.id = tag "
                "WHERE name = ?",
                (tag,),
            ).fetchone()
            assert raw == polls[device], (device, raw, polls[device])  # every poll, none twice
            for table in ("rollup_1m", "rollup_1h"):
                (counted,) = conn.execute(
                    f"SELECT sum(count) FROM {table} JOIN tags ON tags.id = tag WHERE name = ?",
                    (tag,),
                ).fetchone()
                assert counted == good, (table, tag, counted, good)


@pytest.mark.expect_log("InfluxDB spool cannot be written")
def test_the_forwarder_outlives_a_full_disk_and_sends_everything_once(small_disk: Path) -> None:
    from station.history.influx import InfluxForwarder
    from station.history.spool import Spool
    from tests.harness.influx import (
        TAGS,
        UNITS,
        batch,
        drained,
        exported,
    )
    from tests.harness.servers import victoria_metrics

    vm = victoria_metrics(small_disk.parent / "vm").start()
    spool_dir = small_disk / "spool"
    fwd = InfluxForwarder(
        vm.base, "station", "", "", Spool(spool_dir, 50 << 20), "demo-gate", UNITS,
        batch_size=2000, flush_interval_s=0.05,
    )  # fmt: skip
    fwd.start()
    try:
        for i in range(50):
            fwd.accept(batch(i))
        drained(fwd)
        filler = fill(small_disk)
        for i in range(50, 150):
            fwd.accept(batch(i))
        deadline = time.monotonic() + 10
        while fwd.stats.spool_error is None:
            assert time.monotonic() < deadline, "the spool never met the full disk"
            time.sleep(0.05)
        assert fwd._thread is not None and fwd._thread.is_alive()
        filler.unlink()
        drained(fwd)
        assert fwd.stats.spool_error is None and fwd.stats.dropped_points == 0
        for seg in spool_dir.glob("*.lp"):  # no record cut short and glued to the next
            assert all(line.count(" ") == 2 for line in seg.read_text().splitlines())
        time.sleep(0.3)
        got = exported(vm.base)  # fails on a point sent twice
        assert all(len(got[("gate_station_value", t)]) == 150 for t in TAGS)
    finally:
        fwd.stop()
        vm.stop()
