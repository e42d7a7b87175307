"""OPC UA values carry the server's time, every notification between polls is kept, and a
server whose clock is off is flagged and stamped on arrival instead.

The simulator's model steps on whole seconds and stamps each value with its step time; the
service polls on half seconds, every 3 s. So a value stored at a whole second came from the
source's timestamp, and one row per model step means no notification was dropped.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from simulators.station_sim import StationSimulator
from station.clock import ManualClock
from station.config.loader import load_config
from station.config.models import OpcUaDevice, StationConfig
from station.loopback import free_port
from station.runtime import StationRuntime
from tests.harness.config import EXAMPLE

pytestmark = pytest.mark.integration
T0 = 1_764_036_000.0  # a whole second
START = T0 + 0.5


def subscribed_plc(**updates: object) -> StationConfig:
    cfg = load_config(EXAMPLE.parent / "station-mixed.yaml")
    plc = cfg.devices[0]
    assert isinstance(plc, OpcUaDevice)
    data = plc.model_dump()
    data["tags"] = [{**t, "queue_size": 10} for t in data["tags"]]
    device = OpcUaDevice.model_validate({**data, **updates})
    return cfg.model_copy(update={"devices": [device]})


def ramp(sim_holder: list[StationSimulator]) -> Callable[[], float]:
    """PT-101 as a known function of the model's time, so a stored row can be checked."""
    return lambda: 3.0 + 0.001 * (sim_holder[0].model.state.t - T0)


async def run(
    tmp_path: Path, offset_s: float = 0.0, steps: int = 30
) -> tuple[StationRuntime, StationSimulator, ManualClock]:
    # the clock runs ~10× wall time here, so the publishing delay (0.5 s of wall time) looks
    # like up to 5 s of station time: the bound allows for it
    cfg = subscribed_plc(
        poll_interval_s=3.0,
        publishing_interval_s=0.5,
        sampling_interval_s=0,
        max_clock_offset_s=30.0,
    )
    clock = ManualClock(t=START)
    holder: list[StationSimulator] = []
    sim = StationSimulator(
        cfg,
        clock,
        ports={"PLC-1": free_port()},
        signals={"PT-101": ramp(holder)},
        opcua_clock_offset_s=offset_s,
    )
    holder.append(sim)
    await sim.start()
    rt = StationRuntime(cfg, clock, tmp_path, endpoints=sim.opcua_endpoints())
    await rt.start()
    deadline = time.monotonic() + 15
    while not rt.devices[0].poller.connected:  # the session is up before the clock moves
        assert time.monotonic() < deadline, rt.devices[0].poller.last_error
        await asyncio.sleep(0.05)
    for _ in range(steps):  # a model step every 0.1 s of wall time: ~5 per publish
        clock.advance(1.0)
        await asyncio.sleep(0.1)
    await asyncio.sleep(1.0)  # the last publish
    clock.advance(3.0)  # and a poll that takes it
    await asyncio.sleep(0.2)
    return rt, sim, clock


async def test_values_carry_source_time_and_none_is_dropped(tmp_path: Path) -> None:
    rt, sim, _ = await run(tmp_path)
    try:
        assert rt.history.wait_idle()
        rows = rt.history_store.query(["PT-101"], int(T0 * 1000), int((START + 100) * 1000))[
            "PT-101"
        ]
        good = [p for p in rows if p.quality == 0]
        stamps = [p.ts_ms for p in good]
        assert stamps and all(ts % 1000 == 0 for ts in stamps), stamps[:5]  # source times
        # one row per model step from the first to the last: nothing dropped in between
        assert stamps == list(range(stamps[0], stamps[-1] + 1000, 1000))
        assert len(stamps) >= 30
        for p in good:
            assert p.value == pytest.approx(3.0 + 0.001 * (p.ts_ms / 1000 - T0), abs=1e-9)
        polls = rt.devices[0].stats.polls
        assert len(stamps) > polls  # several values per poll interval
        offset = rt.devices[0].stats.clock_offset_s
        assert offset is not None and -6.0 < offset <= 0.0  # source behind arrival
        assert not rt.devices[0].stats.clock_suspect
        assert "CLOCK.PLC-1" not in {i for i, s in rt.alarms.status.items() if s.active}
    finally:
        await rt.stop()
        await sim.stop()


async def test_a_server_clock_an_hour_ahead_is_flagged_and_values_stamped_on_arrival(
    tmp_path: Path,
) -> None:
    rt, sim, clock = await run(tmp_path, offset_s=3600.0, steps=10)
    try:
        stats = rt.devices[0].stats
        assert stats.clock_offset_s is not None and 3594 < stats.clock_offset_s <= 3600
        assert stats.clock_suspect
        deadline = time.monotonic() + 5
        while not rt.alarms.status["CLOCK.PLC-1"].active:
            assert time.monotonic() < deadline
            clock.advance(1.0)
            await asyncio.sleep(0.05)
        assert rt.history.wait_idle()
        rows = rt.history_store.query(["PT-101"], int(T0 * 1000), int((START + 3600 * 2) * 1000))[
            "PT-101"
        ]
        assert rows and all(p.ts_ms < (clock.now_s() + 1) * 1000 for p in rows)  # not an hour ahead
    finally:
        await rt.stop()
        await sim.stop()
