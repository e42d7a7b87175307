"""Health tells the truth: what a device delivers, per tag, through /healthz, /metrics and the
alarms, against a simulated flow computer that refuses, loses its gateway or runs slow."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from simulators.station_sim import StationSimulator
from station.api import create_app
from station.clock import WallClock
from station.config.loader import parse_config
from station.config.models import StationConfig
from station.loopback import free_port
from station.runtime import StationRuntime
from tests.harness.foreign import FOREIGN, constant_signals
from tests.harness.http import serve

pytestmark = pytest.mark.integration

GHOST = (
    "      - {id: GHOST, name: {zh: 无, en: ghost}, table: holding, address: 16, type: float32,"
    " range: [0, 100]}\n"
)


def service_config(extra: str = "") -> StationConfig:
    text = FOREIGN.replace("    timeout_s: 0.5\n", "    timeout_s: 0.5\n    poll_interval_s: 0.2\n")
    return parse_config(text + extra)


class Site:
    def __init__(self, sim: StationSimulator, rt: StationRuntime, base: str) -> None:
        self.sim, self.rt, self.base = sim, rt, base
        self.http = httpx.AsyncClient(base_url=base, timeout=10)

    async def health(self) -> dict[str, Any]:
        r = await self.http.get("/healthz")
        assert r.status_code == 200
        body: dict[str, Any] = r.json()
        return body

    async def until(self, pred: Callable[[dict[str, Any]], bool], timeout: float = 10) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            h = await self.health()
            if pred(h):
                return h
            assert time.monotonic() < deadline, h
            await asyncio.sleep(0.05)

    def active(self) -> set[str]:
        return {i for i, s in self.rt.alarms.status.items() if s.active}


@pytest.fixture
async def site_factory(tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    made: list[tuple[StationSimulator, StationRuntime, Any, asyncio.Task[None], Site]] = []

    async def make(extra: str = "", **behaviour: Any) -> Site:
        clock = WallClock()
        sim_cfg = parse_config(FOREIGN)
        signals = constant_signals()
        sim = StationSimulator(sim_cfg, clock, ports={"FC-X": free_port()}, signals=signals)
        await sim.start()
        for k, v in behaviour.items():
            setattr(sim.behaviour("FC-X"), k, v)
        rt = StationRuntime(service_config(extra), clock, tmp_path, endpoints=sim.endpoints())
        await rt.start()
        port = free_port()
        server, task = await serve(create_app(rt), port)
        site = Site(sim, rt, f"http://127.0.0.1:{port}")
        made.append((sim, rt, server, task, site))
        return site

    yield make
    for sim, rt, server, task, site in made:
        await site.http.aclose()
        server.should_exit = True
        await task
        await rt.stop()
        await sim.stop()


async def test_one_missing_register_is_one_bad_tag_not_a_failing_device(
    site_factory: Callable[..., Any],
) -> None:
    site: Site = await site_factory(GHOST, strict_map=True)
    h = await site.until(lambda h: h["devices"][0]["polls"] >= 5)
    dev = h["devices"][0]
    assert h["status"] == "ok"  # the device delivers everything it has
    assert dev["state"] == "up" and dev["delivering"]
    assert dev["failed_polls"] == 0
    assert dev["polls_reached"] == dev["polls"]
    assert dev["incomplete_polls"] == dev["polls"]
    assert list(dev["bad_tags"]) == ["GHOST"]
    assert dev["bad_tags"]["GHOST"] == dev["polls"]
    assert "exception 02" in dev["tag_errors"]["GHOST"]
    assert "holding 16–17" in dev["tag_errors"]["GHOST"]
    assert "exception 02" in dev["last_error"]
    await asyncio.sleep(0.3)
    assert "BAD.GHOST" in site.active() and "COMM.FC-X" not in site.active()
    metrics = (await site.http.get("/metrics")).text
    assert 'gate_station_tag_bad_polls_total{device="FC-X",tag="GHOST"}' in metrics
    assert 'gate_station_tag_bad_polls_total{device="FC-X",tag="ABCD"} 0.0' in metrics
    assert 'gate_station_device_up{device="FC-X"} 1.0' in metrics


async def test_gateway_loss_is_one_comm_alarm_and_degraded_health(
    site_factory: Callable[..., Any],
) -> None:
    site: Site = await site_factory()
    await site.until(lambda h: h["status"] == "ok")
    site.sim.behaviour("FC-X").gateway_unreachable = True
    h = await site.until(lambda h: h["status"] == "degraded")
    dev = h["devices"][0]
    assert dev["state"] == "down" and not dev["delivering"]
    assert "exception 0B" in dev["last_error"]
    await asyncio.sleep(0.5)
    raised = [e.alarm for e in site.rt.journal.events(event="raised")]
    assert raised == ["COMM.FC-X"], raised  # one alarm for the device, none per tag
    metrics = (await site.http.get("/metrics")).text
    assert 'gate_station_device_up{device="FC-X"} 0.0' in metrics
    site.sim.behaviour("FC-X").gateway_unreachable = False
    await site.until(lambda h: h["status"] == "ok")
    await asyncio.sleep(0.3)
    assert "COMM.FC-X" not in site.active()


async def test_a_device_refusing_everything_is_not_delivering(
    site_factory: Callable[..., Any],
) -> None:
    from pymodbus.constants import ExcCodes

    site: Site = await site_factory(exception=ExcCodes.ILLEGAL_ADDRESS)
    h = await site.until(lambda h: h["devices"][0]["polls"] >= 3)
    dev = h["devices"][0]
    assert h["status"] == "degraded" and not dev["delivering"]
    assert dev["state"] == "up"  # it answers, it just delivers nothing
    assert dev["failed_polls"] == 0 and dev["incomplete_polls"] == dev["polls"]
    assert "exception 02" in dev["last_error"]


async def test_overrunning_device_raises_a_low_priority_alarm_and_shows_its_rate(
    site_factory: Callable[..., Any],
) -> None:
    site: Site = await site_factory()
    await site.until(lambda h: h["status"] == "ok")
    site.sim.behaviour("FC-X").answer_delay_s = 0.45  # polls take longer than 0.2 s
    h = await site.until(lambda h: h["devices"][0]["overrunning"])
    deadline = time.monotonic() + 5
    while "OVERRUN.FC-X" not in site.active():
        assert time.monotonic() < deadline, site.active()
        await asyncio.sleep(0.1)
    assert site.rt.alarms.points["OVERRUN.FC-X"].priority == 4
    h = await site.until(lambda h: (h["devices"][0]["poll_rate_hz"] or 99) < 3.0)
    assert h["devices"][0]["poll_interval_s"] == 0.2
    metrics = (await site.http.get("/metrics")).text
    assert 'gate_station_poll_rate_hertz{device="FC-X"}' in metrics
    site.sim.behaviour("FC-X").answer_delay_s = 0.0
    # it clears once at most one slot was skipped in 60 intervals (12 s): the deadband
    deadline = time.monotonic() + 25
    while "OVERRUN.FC-X" in site.active():
        assert time.monotonic() < deadline
        await asyncio.sleep(0.1)
    assert "COMM.FC-X" not in site.active()
