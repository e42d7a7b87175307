"""The station harness: simulator and service on one stepped clock, over real sockets."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from simulators.station_sim import StationSimulator
from station.clock import ManualClock
from station.config.models import StationConfig
from station.core_thread import CoreThread
from station.runtime import StationRuntime
from tests.harness.config import free_port

T = TypeVar("T")
START = 1_764_036_000.0  # 2025-11-25 10:00 Asia/Shanghai


class Station:
    """Simulator and service on one ManualClock; `run` steps it and waits for every poll.

    `core_thread`: the simulator and the service's core on a thread and loop of their own, as
    `station run` has them, so an API served from the test's loop reaches the core only
    through its door (a route that skips it fails: the core's objects check their thread)."""

    def __init__(
        self, cfg: StationConfig, data: Path, start: float = START, core_thread: bool = False
    ) -> None:
        self.clock = ManualClock(t=start)
        self.sim = StationSimulator(cfg, self.clock, ports={d.id: free_port() for d in cfg.devices})
        self.rt = StationRuntime(cfg, self.clock, data, endpoints=self.sim.endpoints())
        self.step_s = min(d.poll_interval_s for d in cfg.devices)
        self.core = CoreThread(self.rt) if core_thread else None

    async def start(self) -> None:
        before = [d.stats.polls for d in self.rt.devices]
        if self.core is not None:
            await self.core.start(self.sim.start)
        else:
            await self.sim.start()
            await self.rt.start()
        await self._polled(before)

    async def _polled(self, before: list[int]) -> None:
        deadline = time.monotonic() + 10
        while any(d.stats.polls <= b for d, b in zip(self.rt.devices, before, strict=True)):
            assert time.monotonic() < deadline, "a poll did not happen"
            await asyncio.sleep(0.001)
        await self._settled()

    async def _settled(self) -> None:
        """With the core on its own thread: a turn of its loop after the polls counted, so each
        device has gone back to sleep on the clock (and the jobs the step woke have run) before
        the test moves the clock again or looks, as on one loop."""
        if self.core is not None:
            await self.rt.door.run(_one_turn)

    async def run(self, seconds: float) -> None:
        for _ in range(round(seconds / self.step_s)):
            polls = [d.stats.polls for d in self.rt.devices]
            self.clock.advance(self.step_s)
            deadline = time.monotonic() + 10
            while any(d.stats.polls <= p for d, p in zip(self.rt.devices, polls, strict=True)):
                assert time.monotonic() < deadline, "a poll did not happen"
                await asyncio.sleep(0.0005)
            await self._settled()

    def raised(self) -> list[str]:
        return [e.alarm for e in self.rt.journal.events(event="raised")]

    def events(self, event: str) -> list[str]:
        return [e.alarm for e in self.rt.journal.events(event=event)]

    async def on_core(self, fn: Callable[[], Awaitable[T]]) -> T:
        """Awaits `fn()` on the core's loop (its tasks belong to that loop)."""
        return await self.rt.door.run(fn)

    async def stop(self) -> None:
        if self.core is not None:
            await self.core.stop(self.sim.stop)
            return
        await self.rt.stop()
        await self.sim.stop()


async def _one_turn() -> None:
    await asyncio.sleep(0)
