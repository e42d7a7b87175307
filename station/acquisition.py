"""Poll each device at its interval, timestamp in UTC, judge quality, publish batches."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

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
        Quality.UNCERTAIN_INITIAL,  # INITIAL
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
    """What a device delivers, told honestly: answered polls apart from unanswered ones, and
    bad values counted per tag, so one broken sensor does not make every poll a failure."""

    tags: int = 0
    polls: int = 0
    polls_reached: int = 0
    """Polls the device answered (an exception answer counts)."""
    failed_polls: int = 0
    """Polls that did not reach the device: no link, timeout, a gateway that lost it."""
    incomplete_polls: int = 0
    """Polls the device answered with some value not good."""
    overruns: int = 0
    last_overrun_s: float | None = None
    last_poll_s: float = 0.0
    """Wall seconds the last poll took."""
    poll_seconds_total: float = 0.0
    last_good_ms: int | None = None
    last_error: str | None = None
    connected: bool = False
    delivering: bool = False
    """The last poll reached the device and read at least one good value."""
    state: str = "initial"
    """initial (no answer yet), up, or down; a change is logged once."""
    tag_bad_polls: npt.NDArray[np.int64] = field(
        default_factory=lambda: np.zeros(0, dtype=np.int64)
    )
    tag_errors: dict[int, str] = field(default_factory=dict)
    """Why a tag was bad on the last poll, where the driver said more than a status."""
    poll_times: deque[float] = field(default_factory=lambda: deque(maxlen=_RATE_WINDOW))

    def __post_init__(self) -> None:
        if len(self.tag_bad_polls) != self.tags:
            self.tag_bad_polls = np.zeros(self.tags, dtype=np.int64)

    @property
    def poll_rate_hz(self) -> float | None:
        """Polls per second achieved over the last few polls (station clock)."""
        t = self.poll_times
        if len(t) < 2 or t[-1] <= t[0]:
            return None
        return (len(t) - 1) / (t[-1] - t[0])

    def overrunning(self, now_s: float, interval_s: float) -> bool:
        """A slot was skipped within the last ten intervals."""
        last = self.last_overrun_s
        return last is not None and now_s - last < 10 * interval_s


_RATE_WINDOW = 20


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
        self.stats = DeviceStats(tags=len(self.tags))
        self._started = 0.0

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
        now_s = self.clock.now_s()
        ts_ms = int(now_s * 1000)
        self._started = self._wall()
        result = await self.poller.read()
        self._account(now_s, ts_ms, result)
        batch = self.judge(ts_ms, result)
        self.publish(batch)
        return batch

    def _account(self, now_s: float, ts_ms: int, result: ReadResult) -> None:
        s = self.stats
        s.last_poll_s = self._wall() - self._started
        s.poll_seconds_total += s.last_poll_s
        s.polls += 1
        s.poll_times.append(now_s)
        s.connected = self.poller.connected
        initial = bool((result.status == PointStatus.INITIAL).all())
        if result.reached and not initial:
            s.polls_reached += 1
        elif not initial:
            s.failed_polls += 1
        if result.reached and not result.all_ok:
            s.incomplete_polls += 1
        s.tag_bad_polls += result.status != PointStatus.OK
        s.tag_errors = result.errors
        s.delivering = result.reached and result.any_ok
        if result.all_ok:
            s.last_good_ms = ts_ms
            s.last_error = None
        else:
            s.last_error = self.poller.last_error
        state = "initial" if initial else ("up" if result.reached else "down")
        if state != s.state:
            if state == "down":
                log.warning("%s down: %s", self.device.id, s.last_error or "no answer")
            elif state == "up" and s.state == "down":
                log.info("%s up again", self.device.id)
            s.state = state

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
                self.stats.last_overrun_s = now
                due = now + interval - (now - due) % interval
            await self.clock.sleep(due - now)

    async def close(self) -> None:
        await self.poller.close()
