"""The service as shipped: acquisition, alarms and history on the core's own thread and loop,
the HTTP server on another. Alarm state is changed only on the core's thread (actions are
handed over), the push channel hops back to the server's loop, and /api/live is served from
the snapshot the core builds."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

import httpx
import pytest

from simulators.station_sim import StationSimulator
from station.api import create_app
from station.clock import ScaledClock
from station.core_thread import CoreThread
from station.runtime import StationRuntime
from station.users import Role
from tests.harness.config import example_station, free_port
from tests.harness.http import serve

pytestmark = pytest.mark.integration


async def test_alarm_state_has_one_owner_and_events_cross_to_the_api_loop(tmp_path: Any) -> None:
    cfg = example_station()
    clock = ScaledClock(speed=20)
    sim = StationSimulator(cfg, clock, ports={d.id: free_port() for d in cfg.devices})
    rt = StationRuntime(cfg, clock, tmp_path, endpoints=sim.endpoints())
    rt.users.add("op", "op-pass-1", Role.operator, None, rt.now_ms())
    app = create_app(rt)
    core = CoreThread(rt)
    await core.start(sim.start)
    engine_threads: set[str] = set()

    def on_event(_: dict[str, Any]) -> None:
        engine_threads.add(threading.current_thread().name)

    await rt.call(rt.alarms.listeners.append, on_event)
    port = free_port()
    server, task = await serve(app, port)
    lines: list[str] = []
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:

            async def read() -> None:
                async with http.stream("GET", "/api/alarms/stream") as stream:
                    async for line in stream.aiter_lines():
                        lines.append(line)

            reader = asyncio.create_task(read())
            await rt.call(sim.set_scenario, "gas-leak")

            def raised() -> set[str]:
                msgs = [json.loads(x[6:]) for x in lines if x.startswith("data: {")]
                return {m["id"] for m in msgs if m["event"] == "raised"}

            async with asyncio.timeout(60):
                while "GT-02.H" not in raised():
                    await asyncio.sleep(0.1)
            r = await http.post("/api/login", json={"username": "op", "password": "op-pass-1"})
            op = {"Authorization": f"Bearer {r.json()['token']}"}
            r = await http.post("/api/alarms/ack", json={"ids": ["GT-02.H"]}, headers=op)
            assert r.status_code == 200 and r.json()["done"] == ["GT-02.H"]
            async with asyncio.timeout(10):
                while not any('"acknowledged"' in x for x in lines if x.startswith("data:")):
                    await asyncio.sleep(0.05)
            reader.cancel()
            live = (await http.get("/api/live")).json()
            assert len(live["values"]) == 32
            assert app.state.live_snapshot.builds > 0
    finally:
        server.should_exit = True
        await task
        await core.stop(sim.stop)
    # every life-cycle event, the operator's acknowledgement included, on the core's thread
    assert engine_threads == {"station-core"}
