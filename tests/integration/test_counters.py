"""A uint32 totaliser that rolls over and is reset, through the whole service on a stepped
clock: raw readings stored as read, and the rollups carry the delivered quantity, exactly."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest

from simulators.station_sim import StationSimulator
from station.api import create_app
from station.clock import ManualClock
from station.config.loader import parse_config
from station.history import Aggregate
from station.loopback import free_port
from station.runtime import StationRuntime
from tests.harness.foreign import FOREIGN, constant_signals
from tests.harness.http import serve

pytestmark = pytest.mark.integration
START = 1_764_036_000.0  # 2025-11-25 10:00 Asia/Shanghai, on a whole minute
U32 = 4_294_967_296
RATE = 10.0  # counts per second
RESET_AT = 150.0  # seconds after START the meter is reset to 0


def total(elapsed: float) -> float:
    """What the meter has counted; its uint32 register shows it modulo 2^32."""
    if elapsed >= RESET_AT:
        return RATE * (elapsed - RESET_AT)
    return U32 - 600 + RATE * elapsed  # wraps 60 s after START


def register(elapsed: float) -> float:
    return total(elapsed) % U32


async def poll_rounds(rt: StationRuntime, clock: ManualClock, seconds: int) -> None:
    deadline = time.monotonic() + 10
    while rt.devices[0].stats.polls == 0:  # the poll at start
        assert time.monotonic() < deadline, "no first poll"
        await asyncio.sleep(0.0005)
    for _ in range(seconds):
        polls = rt.devices[0].stats.polls
        clock.advance(1.0)
        deadline = time.monotonic() + 10
        while rt.devices[0].stats.polls <= polls:
            assert time.monotonic() < deadline, "a poll did not happen"
            await asyncio.sleep(0.0005)


async def test_rollover_and_reset_give_the_true_delivered_quantity(tmp_path: Path) -> None:
    cfg = parse_config(FOREIGN)
    clock = ManualClock(t=START)
    signals = constant_signals()
    signals["TOTAL"] = lambda: total(clock.now_s() - START)
    sim = StationSimulator(cfg, clock, ports={"FC-X": free_port()}, signals=signals)
    await sim.start()
    rt = StationRuntime(cfg, clock, tmp_path, endpoints=sim.endpoints())
    await rt.start()
    try:
        await poll_rounds(rt, clock, 120)  # polls at 0…120 s: the wrap at 60 s
        # the service stops for 20 s (no polls), then goes on: the gap still counts
        await rt.stop()
        clock.advance(20)
        rt = StationRuntime(cfg, clock, tmp_path, endpoints=sim.endpoints())
        await rt.start()
        await poll_rounds(rt, clock, 100)  # 140…240 s: the reset at 150 s
        rt.history.wait_idle()
        await rt.stop()
        rt = StationRuntime(cfg, clock, tmp_path, endpoints=sim.endpoints())
        store = rt.history_store
        raw = store.query(["TOTAL"], int(START * 1000), int((START + 300) * 1000))["TOTAL"]
        readings = [(p.ts_ms / 1000 - START, p.value) for p in raw]
        assert readings[0] == (0.0, register(0.0))
        wrong = [(e, v, register(e)) for e, v in readings if v != register(e)]
        assert not wrong, wrong[:5]  # stored as read, wrap and all
        assert any(
            v is not None and v < 1000 for _, v in readings[:130]
        )  # the wrap is in the raw data
        first, last = readings[0][0], readings[-1][0]
        before_reset = max(e for e, _ in readings if e < RESET_AT)
        # truth: counted from the first reading to the last one before the reset, then from
        # 0 at the reset; what passed between the last reading and the reset is unknowable
        truth = RATE * (before_reset - first) + RATE * (last - RESET_AT)
        for step, table in ((60, "minute"), (3600, "hour")):
            deltas = store.query(
                ["TOTAL"], int(START * 1000), int((START + 3600) * 1000), step, agg("delta")
            )["TOTAL"]
            assert all((p.value or 0) >= 0 for p in deltas), table
            assert sum(p.value or 0 for p in deltas) == pytest.approx(truth, abs=1e-6), table
            resets = store.query(
                ["TOTAL"], int(START * 1000), int((START + 3600) * 1000), step, agg("resets")
            )["TOTAL"]
            assert sum(p.value or 0 for p in resets) == 1, table
        minute = store.query(
            ["TOTAL"], int(START * 1000), int((START + 240) * 1000), 60, agg("delta")
        )["TOTAL"]
        # each whole minute without the reset or the outage: its 60 s × 10/s, wrap included;
        # the reading on the minute's end (10:01:00) closes it, as a flow computer's does
        assert [p.value for p in minute[:2]] == [RATE * 60, RATE * 60]
        # the API answers the same, and refuses the delta of a tag that is no counter
        await rt.start()
        port = free_port()
        server, task = await serve(create_app(rt), port)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            q: dict[str, str | int] = {
                "start": "2025-11-25T10:00:00",
                "end": "2025-11-25T11:00:00",
                "step": 3600,
            }
            r = await http.get("/api/history", params={**q, "tags": "TOTAL", "agg": "delta"})
            assert r.status_code == 200, r.text
            assert r.json()["series"][0]["points"][0]["value"] == pytest.approx(truth)
            r = await http.get("/api/history", params={**q, "tags": "ABCD", "agg": "delta"})
            assert r.status_code == 400 and "counter" in r.json()["detail"]
        server.should_exit = True
        await task
    finally:
        await rt.stop()
        await sim.stop()


def agg(name: str) -> Aggregate:
    return Aggregate(name)
