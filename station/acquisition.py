"""Poll each device at its interval, timestamp in UTC, judge quality, publish batches."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from drivers.reading import DevicePoller, PointStatus, ReadResult
from station.clock import Clock
from station.config.models import DeviceConfig
from station.samples import Quality, SampleBatch

log = logging.getLogger(__name__)

_STATUS_QUALITY = np.array(
    [
        Quality.GOOD,  # PointStatus.OK
        Quality.BAD_COMM_LOSS,  # NO_RESPONSE
        Quality.BAD_DEVICE_ERROR,  # EXCEPTION
        Quality.BAD_INVALID,  # INVALID
        Quality.BAD_SENSOR,  # SOURCE_BAD
        Quality.UNCERTAIN_SOURCE,  # SOURCE_UNCERTAIN
        Quality.BAD_CONFIG,  # UNKNOWN_POINT
    ],
    dtype=np.uint8,
)
# A 4–20 mA loop below 3.8 mA or above 20.5 mA is a broken signal (NAMUR NE 43).
_UNDER_RANGE = (4.0 - 3.8) / 16
_OVER_RANGE = (20.5 - 20.0) / 16


def signal_limits(device: DeviceConfig) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    lo = np.full(len(device.tags), -np.inf)
    hi = np.full(len(device.tags), np.inf)
    for i, tag in enumerate(device.tags):
        if tag.range is not None:
            span = tag.range[1] - tag.range[0]
            lo[i] = tag.range[0] - _UNDER_RANGE * span
            hi[i] = tag.range[1] + _OVER_RANGE * span
    return lo, hi


@dataclass
class DeviceStats:
    polls: int = 0
    failed_polls: int = 0
    overruns: int = 0
    last_poll_s: float = 0.0
    """Wall seconds the last poll took."""
    poll_seconds_total: float = 0.0
    last_good_ms: int | None = None
    last_error: str | None = None
    connected: bool = False


class DeviceAcquisition:
    """One device's poll loop. A slow or dead device delays only itself."""

    def __init__(
        self,
        device: DeviceConfig,
        poller: DevicePoller,
        clock: Clock,
        publish: Callable[[SampleBatch], None],
        wall: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.device = device
        self.poller = poller
        self.clock = clock
        self.publish = publish
        self._wall = wall
        self.tags = tuple(t.id for t in device.tags)
        self._lo, self._hi = signal_limits(device)
        self._last = np.full(len(self.tags), np.nan)
        self.stats = DeviceStats()

    def judge(self, ts_ms: int, result: ReadResult) -> SampleBatch:
        """Quality per value; a value that is not good keeps the last good one beside it."""
        quality = _STATUS_QUALITY[result.status]
        ok = result.status == PointStatus.OK
        out_of_range = ok & ((result.values < self._lo) | (result.values > self._hi))
        quality[out_of_range] = Quality.BAD_OUT_OF_RANGE
        shown = ok | (result.status == PointStatus.SOURCE_UNCERTAIN)
        values = np.where(shown, result.values, self._last)
        self._last = np.where(ok & ~out_of_range, result.values, self._last)
        return SampleBatch(self.device.id, ts_ms, self.tags, values, quality)

    async def poll_once(self) -> SampleBatch:
        ts_ms = int(self.clock.now_s() * 1000)
        started = self._wall()
        result = await self.poller.read()
        self.stats.last_poll_s = self._wall() - started
        self.stats.poll_seconds_total += self.stats.last_poll_s
        self.stats.polls += 1
        self.stats.connected = self.poller.connected
        if result.all_ok:
            self.stats.last_good_ms = ts_ms
            self.stats.last_error = None
        else:
            self.stats.failed_polls += 1
            self.stats.last_error = self.poller.last_error
        batch = self.judge(ts_ms, result)
        self.publish(batch)
        return batch

    async def run(self) -> None:
        interval = self.device.poll_interval_s
        due = self.clock.now_s()
        while True:
            try:
                await self.poll_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("poll of %s failed", self.device.id)
            due += interval
            now = self.clock.now_s()
            if due < now:  # fell behind: skip the missed slots rather than burst
                self.stats.overruns += 1
                due = now + interval - (now - due) % interval
            await self.clock.sleep(due - now)

    async def close(self) -> None:
        await self.poller.close()
