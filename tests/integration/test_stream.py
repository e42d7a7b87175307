"""The page's push channel over a real socket: a full snapshot first, then only the values
that changed (a value polled again unchanged is not sent again), the standing alarms when one
of them moved, and a beat when nothing did."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from station.api import create_app
from tests.harness.config import example_station, free_port, without_rounds
from tests.harness.http import serve
from tests.harness.station import Station

pytestmark = pytest.mark.integration


async def events(response: httpx.Response) -> AsyncIterator[tuple[str, Any]]:
    name = None
    async for line in response.aiter_lines():
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: ") and name:
            yield name, json.loads(line[6:])
            name = None


async def test_a_snapshot_then_only_changes_then_alarms(tmp_path: Path) -> None:
    cfg = without_rounds(example_station())
    station = Station(cfg, tmp_path, core_thread=True)
    await station.start()
    await station.run(30)
    port = free_port()
    server, task = await serve(create_app(station.rt), port)
    try:
        async with (
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http,
            http.stream("GET", "/api/stream") as response,
        ):
            assert response.headers["content-type"].startswith("text/event-stream")
            stream = events(response)
            name, alarms = await anext(stream)
            assert (name, alarms) == ("alarms", [])
            name, first = await anext(stream)
            assert name == "live" and len(first["values"]) == 32
            sent = {v["tag"]: v for v in first["values"]}
            # the next polls: analogue values move, the valves stay where they are
            deltas: list[dict[str, Any]] = []
            beats = 0
            while len(deltas) < 3:
                await station.run(station.step_s)
                name, body = await asyncio.wait_for(anext(stream), 10)
                if name == "live":
                    deltas.append(body)
                elif name == "beat":
                    beats += 1
            for body in deltas:
                tags = {v["tag"] for v in body["values"]}
                assert "PT-301" in tags  # noisy: changes every poll
                assert not tags & {"XV-001", "XV-002", "XS-201A", "RUN-ACTIVE"}  # unchanged
                for v in body["values"]:
                    assert v != sent[v["tag"]]
                    sent[v["tag"]] = v
            # an alarm: the standing list comes whole, coalesced
            station.sim.set_scenario("gas-leak")
            await station.run(60)  # 0.5 %LEL a second: past 20 %LEL
            seen: list[str] = []
            for _ in range(100):
                name, body = await asyncio.wait_for(anext(stream), 10)
                if name == "alarms":
                    seen = [a["id"] for a in body]
                    if "GT-02.H" in seen:
                        break
            assert "GT-02.H" in seen
    finally:
        server.should_exit = True
        await task
        await station.stop()
