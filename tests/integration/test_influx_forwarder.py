"""The InfluxDB forwarder against a real server (VictoriaMetrics' InfluxDB v2 write endpoint):
an outage mid-stream and a service restart while it lasts lose nothing and invent nothing."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import numpy as np
import pytest

from station.history.influx import InfluxForwarder, line_protocol
from station.history.spool import Spool
from station.samples import SampleBatch
from tests.harness.config import example_station
from tests.harness.influx import T0, TAGS, UNITS, batch, drained, exported, forwarder
from tests.harness.servers import victoria_metrics

pytestmark = pytest.mark.integration


def test_line_protocol_escapes_and_omits_missing_values() -> None:
    b = SampleBatch(
        "PLC 1", T0, ("A,1", "B"), np.array([0.35, np.nan]), np.array([0, 2], dtype=np.uint8)
    )
    assert line_protocol(b, "gate=1", {"A,1": "m³/h", "B": ""}) == [
        "gate_station,station=gate\\=1,device=PLC\\ 1,tag=A\\,1,unit=m³/h "
        f"value=0.35,quality=0i {T0}",
        f"gate_station,station=gate\\=1,device=PLC\\ 1,tag=B quality=2i {T0}",
    ]


def test_outage_and_restart_lose_nothing(tmp_path: Path) -> None:
    vm = victoria_metrics(tmp_path / "vm").start()
    fwd = forwarder(vm.base, tmp_path / "spool")
    try:
        for i in range(100):
            fwd.accept(batch(i))
        drained(fwd)
        # The server goes away mid-stream. Stopped, not killed: on SIGKILL VictoriaMetrics
        # 1.79 loses the last second it acknowledged, which would test the server, not us.
        vm.stop(signal.SIGTERM)
        for i in range(100, 200):
            fwd.accept(batch(i))
        deadline = time.monotonic() + 10
        while fwd.stats.write_failures == 0:
            assert time.monotonic() < deadline, "no failed write while the server was down"
            time.sleep(0.05)
        fwd.stop()  # ... and the service restarts during the outage
        assert fwd.spool.size_bytes > 0
        fwd = forwarder(vm.base, tmp_path / "spool")
        for i in range(200, 300):
            fwd.accept(batch(i))
        time.sleep(0.5)
        vm.start()
        drained(fwd)
        got = exported(vm.base)
    finally:
        fwd.stop()
        vm.stop()
    for k, tag in enumerate(TAGS):
        values = got[("gate_station_value", tag)]
        qualities = got[("gate_station_quality", tag)]
        assert len(values) == 300 and len(qualities) == 300, tag  # nothing lost, nothing extra
        for i in range(300):
            ts = T0 + i * 1000
            assert values[ts] == pytest.approx(k + i / 1000, abs=1e-9)
            assert qualities[ts] == (2 if i % 50 == 7 else 0)


async def test_three_lines_of_config_and_the_outage_alarm(tmp_path: Path) -> None:
    from station.config.models import InfluxConfig
    from tests.harness.station import Station

    vm = victoria_metrics(tmp_path / "vm").start()
    cfg = example_station()
    influx = InfluxConfig(url=vm.base, bucket="station", token="", flush_interval_s=0.05)
    cfg = cfg.model_copy(update={"history": cfg.history.model_copy(update={"influx": influx})})
    station = Station(cfg, tmp_path / "data")
    await station.start()
    try:
        await station.run(20)
        vm.stop(signal.SIGTERM)
        await station.run(5)
        await asyncio.sleep(1.5)  # the forwarder's thread meets the dead server
        await station.run(90)
        assert station.raised() == ["HISTORIAN.INFLUX-DOWN"]
        assert station.rt.influx is not None and station.rt.influx.spool.size_bytes > 0
        vm.start()
        deadline = time.monotonic() + 30
        while station.rt.influx.spool.size_bytes > 0:
            assert time.monotonic() < deadline, station.rt.influx.stats
            await asyncio.sleep(0.1)
        await station.run(2)
        assert "HISTORIAN.INFLUX-DOWN" in station.events("cleared")
        polls = station.rt.devices[0].stats.polls
        await asyncio.to_thread(drained, station.rt.influx)
        await asyncio.sleep(0.2)
        got = exported(vm.base)
        assert len(got[("gate_station_value", "PT-301")]) == polls
    finally:
        await station.stop()
        vm.stop()


def test_replay_keeps_to_its_rate_limit(tmp_path: Path) -> None:
    vm = victoria_metrics(tmp_path / "vm").start()
    spool = Spool(tmp_path / "spool", 50 << 20)
    for i in range(20):
        spool.append(line_protocol(batch(i), "demo-gate", UNITS))  # 22 points a batch
    points = 20 * len(TAGS)
    fwd = InfluxForwarder(
        vm.base, "station", "", "", spool, "demo-gate", UNITS,
        batch_size=50, flush_interval_s=0.05, replay_max_points_per_s=200,
    )  # fmt: skip
    try:
        started = time.monotonic()
        fwd.start()
        drained(fwd)
        took = time.monotonic() - started
        # 440 points at 200/s: at least the waits after the first 8 batches of 50
        assert took >= (points - 50) / 200 - 0.1, took
        assert fwd.stats.points_written == points
    finally:
        fwd.stop()
        vm.stop()


async def test_spool_filling_alarm_before_the_spool_is_full(tmp_path: Path) -> None:
    from station.config.models import InfluxConfig
    from station.loopback import free_port
    from tests.harness.station import Station

    cfg = example_station()
    influx = InfluxConfig(
        url=f"http://127.0.0.1:{free_port()}",  # nobody there
        bucket="station",
        flush_interval_s=0.05,
        spool_max_mb=0.2,
        spool_alarm_fraction=0.5,
    )
    cfg = cfg.model_copy(update={"history": cfg.history.model_copy(update={"influx": influx})})
    station = Station(cfg, tmp_path / "data")
    await station.start()
    try:
        assert station.rt.influx is not None
        spool = station.rt.influx.spool
        while spool.size_bytes < 0.5 * spool.max_bytes:
            assert "HISTORIAN.SPOOL-FILLING" not in station.raised()
            await station.run(5)
            await asyncio.sleep(0.1)  # the forwarder thread moves the buffer to disk
        await station.run(2)
        assert "HISTORIAN.SPOOL-FILLING" in station.raised()
        assert station.rt.alarms.points["HISTORIAN.SPOOL-FILLING"].priority == 2
        assert spool.dropped_lines == 0  # raised before anything was lost
    finally:
        await station.stop()
