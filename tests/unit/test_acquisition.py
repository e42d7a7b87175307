"""Quality judgement, the live cache and the poll schedule, with a clock the test steps."""

import asyncio
import time

import numpy as np
import pytest

from drivers.reading import PointStatus, ReadResult
from station.acquisition import DeviceAcquisition, DeviceStats
from station.clock import ManualClock, ScaledClock
from station.config.loader import parse_config
from station.live_cache import LiveCache
from station.samples import Quality, SampleBatch

CFG = parse_config("""\
station: {id: s, name: {zh: 站, en: S}}
devices:
  - id: D1
    protocol: modbus_tcp
    host: 127.0.0.1
    poll_interval_s: 2
    tags:
      - {id: PT, name: {zh: 压力, en: P}, table: holding, address: 0, type: float32,
         range: [0, 1.6]}
      - {id: XV, name: {zh: 阀, en: V}, table: coil, address: 0, type: bool}
""")
DEVICE = CFG.devices[0]


class FakePoller:
    """Stands in for the network in unit tests only; the integration tests use real sockets."""

    def __init__(self, results: list[ReadResult]) -> None:
        self.results = results
        self.connected = True
        self.last_error: str | None = None
        self.calls = 0

    async def read(self) -> ReadResult:
        self.calls += 1
        return self.results[min(self.calls - 1, len(self.results) - 1)]

    async def close(self) -> None:
        pass


def result(values: list[float], status: list[int]) -> ReadResult:
    return ReadResult(np.array(values), np.array(status, dtype=np.uint8))


def acq(
    results: list[ReadResult], clock: ManualClock | None = None
) -> tuple[DeviceAcquisition, list[SampleBatch]]:
    out: list[SampleBatch] = []
    a = DeviceAcquisition(DEVICE, FakePoller(results), clock or ManualClock(), out.append)
    return a, out


def test_good_then_comm_loss_keeps_last_value_marked_bad() -> None:
    a, _ = acq([])
    good = a.judge(1000, result([0.35, 1.0], [0, 0]))
    assert good.quality.tolist() == [Quality.GOOD, Quality.GOOD]
    lost = a.judge(2000, result([np.nan, np.nan], [PointStatus.NO_RESPONSE] * 2))
    assert lost.quality.tolist() == [Quality.BAD_COMM_LOSS] * 2
    assert lost.values.tolist() == [0.35, 1.0]


def test_out_of_range_is_bad_and_not_remembered() -> None:
    a, _ = acq([])
    a.judge(0, result([0.35, 1.0], [0, 0]))
    # 1.6 MPa span: 20.5 mA is 1.65 MPa. 1.64 is a real (if high) reading, 1.66 a broken loop.
    ok = a.judge(1, result([1.64, 1.0], [0, 0]))
    assert ok.quality[0] == Quality.GOOD
    broken = a.judge(2, result([1.66, 1.0], [0, 0]))
    assert broken.quality[0] == Quality.BAD_OUT_OF_RANGE
    under = a.judge(3, result([-0.03, 1.0], [0, 0]))  # below 3.8 mA = -0.02 MPa
    assert under.quality[0] == Quality.BAD_OUT_OF_RANGE
    lost = a.judge(4, result([np.nan, np.nan], [1, 1]))
    assert lost.values[0] == 1.64  # the last good value, not the broken one


def test_exception_and_invalid_map_to_their_qualities() -> None:
    a, _ = acq([])
    b = a.judge(0, result([np.nan, 1.0], [PointStatus.INVALID, PointStatus.EXCEPTION]))
    assert b.quality.tolist() == [Quality.BAD_INVALID, Quality.BAD_DEVICE_ERROR]
    assert Quality.BAD_DEVICE_ERROR.reason == "device_error" and Quality.GOOD.reason is None


async def test_poll_loop_follows_the_clock_and_skips_missed_slots() -> None:
    clock = ManualClock(t=1000.0)
    a, out = acq([result([0.35, 1.0], [0, 0])], clock)
    task = asyncio.create_task(a.run())
    await asyncio.sleep(0)
    assert [b.ts_ms for b in out] == [1_000_000]
    clock.advance(2.0)
    await asyncio.sleep(0)
    assert [b.ts_ms for b in out] == [1_000_000, 1_002_000]
    clock.advance(1.0)  # not yet due
    await asyncio.sleep(0)
    assert len(out) == 2
    clock.advance(9.0)  # four slots late: one poll, not a burst of five
    for _ in range(3):
        await asyncio.sleep(0)
    assert len(out) == 3 and a.stats.overruns == 1
    clock.advance(2.0)  # back on the 2 s grid
    await asyncio.sleep(0)
    assert [b.ts_ms for b in out][-2:] == [1_012_000, 1_014_000]
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def test_live_cache_marks_stale_good_values() -> None:
    cache = LiveCache({"D1": 5.0})
    cache.accept(
        SampleBatch(
            "D1", 10_000, ("PT", "XV"), np.array([0.35, 1.0]), np.array([0, 2], dtype=np.uint8)
        )
    )
    fresh = cache.get("PT", now_s=12.0)
    assert fresh is not None and fresh.quality is Quality.GOOD and fresh.age_s == 2.0
    old = cache.get("PT", now_s=20.0)
    assert old is not None and old.quality is Quality.UNCERTAIN_STALE
    bad = cache.get("XV", now_s=20.0)
    assert bad is not None and bad.quality is Quality.BAD_COMM_LOSS  # bad stays bad, not "stale"
    assert cache.get("NOPE", 0) is None
    assert [v.tag for v in cache.snapshot(12.0)] == ["PT", "XV"]


def test_live_cache_merges_values_reported_by_exception() -> None:
    """Subsets at their source times, and empty heartbeats: a quiet value is not stale."""
    cache = LiveCache({"D1": 5.0}, {"D1": ("PT", "XV", "TT")})
    q = np.array([0], dtype=np.uint8)
    cache.accept(SampleBatch("D1", 10_000, ("XV",), np.array([1.0]), q))
    cache.accept(SampleBatch("D1", 9_500, ("PT",), np.array([0.35]), q))
    cache.accept(SampleBatch("D1", 9_000, ("PT",), np.array([0.30]), q))  # late: older
    assert cache.get("TT", 10.0) is None  # nothing heard of it yet
    pt = cache.get("PT", 10.0)
    assert pt is not None and (pt.value, pt.ts_ms) == (0.35, 9_500)
    empty = np.zeros(0)
    for t in range(11, 30):
        cache.accept(SampleBatch("D1", t * 1000, (), empty, empty.astype(np.uint8)))
    pt = cache.get("PT", 30.0)
    assert pt is not None and pt.quality is Quality.GOOD and pt.age_s == 30.0 - 9.5
    stale = cache.get("PT", 36.0)  # heard last at 29 s
    assert stale is not None and stale.quality is Quality.UNCERTAIN_STALE


async def test_scaled_clock_runs_fast() -> None:
    clock = ScaledClock(speed=100.0)
    t0, wall0 = clock.now_s(), time.monotonic()
    await clock.sleep(5.0)  # 50 ms of wall time
    assert clock.now_s() - t0 >= 5.0
    # the sleep itself is scaled: a clock whose sleep ignored the speed would take 5 s here
    # (the bound leaves a loaded machine 40x its due)
    assert time.monotonic() - wall0 < 2.0
    with pytest.raises(ValueError):
        ScaledClock(speed=0)


def test_an_overrun_alarm_means_a_scan_the_station_cannot_keep() -> None:
    """A slot skipped now and then on a busy PC is no alarm; 10 % of the last 60 intervals
    skipped is; it clears once at most one was skipped in them (it re-raised every minute)."""
    s = DeviceStats(tags=1)
    t = 0.0
    for _ in range(20):  # one slot skipped a minute, for 20 minutes
        t += 60.0
        s.skipped(t, 1)
        assert not s.overrunning(t, 1.0)
    for k in range(6):  # a sustained overrun: a slot skipped every other second
        t += 2.0
        s.skipped(t, 1)
        assert s.overrunning(t, 1.0) == (k >= 4)  # 6 in the window: the 1 a minute before
    t += 55.0
    assert s.overrunning(t, 1.0)  # 3 skips left in the window, below 6: held (the deadband)
    t += 4.0
    assert not s.overrunning(t, 1.0)  # one skip left in the window: cleared
