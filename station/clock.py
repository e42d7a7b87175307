"""The one clock every component reads: wall time, accelerated time, or a clock a test steps."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """Simulated (station) time in UTC and a way to wait in it."""

    @property
    def speed(self) -> float: ...

    def now_s(self) -> float:
        """Seconds since the Unix epoch, station time."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds` of station time."""
        ...


def now_ms(clock: Clock) -> int:
    return int(clock.now_s() * 1000)


def utc_datetime(clock: Clock) -> datetime:
    return datetime.fromtimestamp(clock.now_s(), tz=UTC)


class WallClock:
    """Production clock: station time is wall time."""

    speed = 1.0

    def now_s(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


@dataclass
class ScaledClock:
    """Station time runs `speed` times faster than the wall, from an origin.

    Simulator and service share one instance, so a simulated week passes in minutes
    with delays, rollups and schedules all in simulated time.
    """

    speed: float = 1.0
    origin_s: float = field(default_factory=time.time)
    _wall_origin: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        if self.speed <= 0:
            raise ValueError("clock speed must be positive")

    def now_s(self) -> float:
        return self.origin_s + (time.monotonic() - self._wall_origin) * self.speed

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self.speed)


@dataclass
class ManualClock:
    """A clock a test moves by hand; sleepers wake when it passes their deadline. It may be
    moved from another thread than the sleepers' (a test stepping a station whose core runs on
    a thread of its own, as in production): each sleeper is woken on its own loop."""

    t: float = 1_700_000_000.0
    speed: float = 1.0
    _waiters: list[tuple[float, asyncio.Future[None]]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def now_s(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.t += seconds
            due = [w for w in self._waiters if w[0] <= self.t]
            self._waiters = [w for w in self._waiters if w[0] > self.t]
        try:
            here: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            here = None
        for _, fut in due:
            loop = fut.get_loop()
            if loop is here:
                _wake(fut)
            elif not loop.is_closed():
                loop.call_soon_threadsafe(_wake, fut)

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        with self._lock:
            self._waiters.append((self.t + seconds, fut))
        await fut


def _wake(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)
