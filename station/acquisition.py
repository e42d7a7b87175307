"""Poll each device at its interval, timestamp in UTC, judge quality, publish batches."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from drivers.reading import DevicePoller, PointStatus, ReadResult
from station.cancellation import honour_cancel
from station.clock import Clock
from station.config.models import DeviceConfig
from station.jobs import Job
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
_NO_VALUES = np.zeros(0, dtype=np.float64)
_NO_QUALITY = np.zeros(0, dtype=np.uint8)
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
    skips: deque[tuple[float, int]] = field(default_factory=deque)
    """(station time, slots skipped) of the overruns within the judged window."""
    overrun_alarm: bool = False
    last_poll_s: float = 0.0
    """Wall seconds the last poll took."""
    start_late_s: deque[float] = field(default_factory=lambda: deque(maxlen=100))
    """How late each of the last 100 polls started after its slot (station seconds): what
    anything else on the machine costs the poll schedule."""
    poll_seconds_total: float = 0.0
    last_good_ms: int | None = None
    last_error: str | None = None
    connected: bool = False
    clock_offset_s: float | None = None
    """How far the device's clock is ahead of the service's (sources with timestamps)."""
    clock_suspect: bool = False
    """Off by more than the device's max_clock_offset_s: its timestamps are not used."""
    delivering: bool = False
    """The last poll reached the device and read at least one good value."""
    state: str = "initial"
    """initial (no answer yet), up, or down; a change is logged once."""
    down_since_s: float | None = None
    """Station time the device went down (while it is)."""
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

    def skipped(self, now_s: float, slots: int) -> None:
        self.overruns += 1
        self.skips.append((now_s, slots))

    def overrunning(self, now_s: float, interval_s: float) -> bool:
        """The station really cannot keep this device's scan: at least 10 % of the slots of
        the last 60 intervals skipped raises it, under 2 % (at most one) clears it (in
        between it stays as it is). A busy PC that skips a slot now and then (a report printed, a
        backup) is no alarm: it re-raised every minute or two and filled a shift's log."""
        window = OVERRUN_WINDOW * interval_s
        while self.skips and self.skips[0][0] < now_s - window:
            self.skips.popleft()
        missed = sum(n for _, n in self.skips)
        if missed >= OVERRUN_WINDOW * OVERRUN_SHARE:
            self.overrun_alarm = True
        elif missed < OVERRUN_WINDOW * OVERRUN_CLEAR_SHARE:
            self.overrun_alarm = False
        return self.overrun_alarm


_RATE_WINDOW = 20
OVERRUN_WINDOW = 60
"""Intervals over which skipped slots are counted for the overrun alarm."""
OVERRUN_SHARE = 0.1
OVERRUN_CLEAR_SHARE = 0.02


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
        self._all = np.arange(len(self.tags), dtype=np.intp)
        self.stats = DeviceStats(tags=len(self.tags))
        self._started = 0.0

    def judge(self, ts_ms: int, result: ReadResult) -> SampleBatch:
        """Quality per value; a value that is not good keeps the last good one beside it."""
        return self._judge(ts_ms, self._all, result.values, result.status)

    def _judge(
        self,
        ts_ms: int,
        idx: npt.NDArray[np.intp],
        values: npt.NDArray[np.float64],
        status: npt.NDArray[np.uint8],
    ) -> SampleBatch:
        quality = _STATUS_QUALITY[status]
        ok = status == PointStatus.OK
        out_of_range = ok & ((values < self._lo[idx]) | (values > self._hi[idx]))
        quality[out_of_range] = Quality.BAD_OUT_OF_RANGE
        shown = ok | (status == PointStatus.SOURCE_UNCERTAIN)
        last = self._last[idx]
        self._last[idx] = np.where(ok & ~out_of_range, values, last)
        tags = self.tags if len(idx) == len(self.tags) else tuple(self.tags[i] for i in idx)
        return SampleBatch(self.device.id, ts_ms, tags, np.where(shown, values, last), quality)

    def _change_batches(self, result: ReadResult) -> list[SampleBatch]:
        """Values reported by exception, each at its source time: one batch per instant."""
        assert result.changes is not None
        trust_source = not self.stats.clock_suspect  # judged from this very result
        instants: dict[int, dict[int, tuple[float, int]]] = {}
        for c in result.changes:
            ts = c.ts_ms if trust_source else c.received_ms
            instants.setdefault(ts, {})[c.index] = (c.value, int(c.status))
        batches = []
        for ts in sorted(instants):
            points = instants[ts]
            idx = np.sort(np.fromiter(points, dtype=np.intp, count=len(points)))
            vals = np.array([points[i][0] for i in idx.tolist()], dtype=np.float64)
            stat = np.array([points[i][1] for i in idx.tolist()], dtype=np.uint8)
            batches.append(self._judge(ts, idx, vals, stat))
        return batches

    async def poll_once(self) -> SampleBatch:
        now_s = self.clock.now_s()
        ts_ms = int(now_s * 1000)
        self._started = self._wall()
        result = await self.poller.read()
        self._account(now_s, ts_ms, result)
        if result.changes is None:
            batch = self.judge(ts_ms, result)
            self.publish(batch)
            return batch
        for batch in self._change_batches(result):
            self.publish(batch)
        # an empty batch at poll time: the device was heard, though nothing changed
        heartbeat = SampleBatch(self.device.id, ts_ms, (), _NO_VALUES, _NO_QUALITY)
        self.publish(heartbeat)
        return heartbeat

    def _account(self, now_s: float, ts_ms: int, result: ReadResult) -> None:
        s = self.stats
        s.last_poll_s = self._wall() - self._started
        s.poll_seconds_total += s.last_poll_s
        s.polls += 1
        s.poll_times.append(now_s)
        s.connected = self.poller.connected
        s.clock_offset_s = result.clock_offset_s
        s.clock_suspect = (
            result.clock_offset_s is not None
            and abs(result.clock_offset_s) > self.device.max_clock_offset_s
        )
        initial = bool((result.status == PointStatus.INITIAL).all())
        if result.reached and not initial:
            s.polls_reached += 1
        elif not initial:
            s.failed_polls += 1
        if result.reached and not result.all_ok:
            s.incomplete_polls += 1
        s.tag_bad_polls += (result.status != PointStatus.OK) & (
            result.status != PointStatus.INITIAL
        )
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
                s.down_since_s = now_s
            elif state == "up" and s.state == "down":
                # as loud as the loss: an operator reading the log must see it ended
                down_s = now_s - (s.down_since_s if s.down_since_s is not None else now_s)
                log.warning("%s up again after %.0f s down", self.device.id, down_s)
                s.down_since_s = None
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
            honour_cancel()  # a stop must end the loop, though the read swallowed it
            due += interval
            now = self.clock.now_s()
            if due < now:  # fell behind: skip the missed slots rather than burst
                self.stats.skipped(now, int((now - due) // interval) + 1)
                due = now + interval - (now - due) % interval
            await self.clock.sleep(due - now)
            self.stats.start_late_s.append(max(0.0, self.clock.now_s() - due))

    async def close(self) -> None:
        await self.poller.close()


def device_watch_job(
    devices: Sequence[DeviceAcquisition], set_alarm: Callable[[str, bool, int, str], None]
) -> Job:
    """A device whose polls take longer than its interval skips slots, or whose clock is off:
    said every second as an internal alarm."""

    def watch(now_ms: int) -> None:
        for dev in devices:
            s, interval = dev.stats, dev.device.poll_interval_s
            rate = s.poll_rate_hz
            cause = f"{rate:.2f} Hz of {1 / interval:.2f} Hz" if rate else f"{s.overruns} skipped"
            set_alarm(
                f"OVERRUN.{dev.device.id}", s.overrunning(now_ms / 1000, interval), now_ms, cause
            )
            if s.clock_offset_s is not None:
                set_alarm(
                    f"CLOCK.{dev.device.id}", s.clock_suspect, now_ms, f"{s.clock_offset_s:+.1f} s"
                )

    return Job(name="acquisition.devices", every_s=1, run=watch)
