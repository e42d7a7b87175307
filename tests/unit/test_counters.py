"""Counter increments: rollover, reset, jitter, gaps and restarts, from readings alone."""

import numpy as np
import pytest

from station.history.counters import CounterSpec, CounterTracker

U32 = 4_294_967_296.0


def feed(
    tracker: CounterTracker, readings: list[float] | list[tuple[int, float]], tag: int = 0
) -> tuple[float, int, int]:
    """Readings one by one, each a value or (time ms, value); the totals of what they gave."""
    delivered, resets, rollovers = 0.0, 0, 0
    for r in readings:
        ts, value = r if isinstance(r, tuple) else (None, r)
        inc = tracker.update(np.array([tag], dtype=np.intp), np.array([value]), ts)
        assert (inc.deltas >= 0).all()
        delivered += float(inc.deltas.sum())
        resets += int(inc.resets.sum())
        rollovers += int(inc.rollovers.sum())
    return delivered, resets, rollovers


def test_rollover_counts_across_the_wrap() -> None:
    t = CounterTracker()
    t.register(0, U32, None)
    got = feed(t, [U32 - 20, U32 - 5, 7, 30])
    assert got == (50.0, 0, 1)


def test_reset_counts_from_zero_and_is_flagged() -> None:
    t = CounterTracker()
    t.register(0, U32, None)
    assert feed(t, [1_000_000.0, 1_000_500.0, 40.0, 90.0]) == (500.0 + 40.0 + 50.0, 1, 0)


def test_float_totaliser_without_rollover_treats_every_drop_as_reset() -> None:
    t = CounterTracker()
    t.register(3, None, None)
    assert feed(t, [5e8, 5e8 + 12.5, 3.0], tag=3) == (12.5 + 3.0, 1, 0)


def test_rounding_jitter_is_neither_reset_nor_double_counted() -> None:
    t = CounterTracker()
    t.register(0, None, None)
    d, resets, _ = feed(t, [1e9, 1e9 - 0.5, 1e9 + 10])
    assert resets == 0 and d == pytest.approx(10.0)


def test_a_restart_counts_what_came_through_meanwhile() -> None:
    t = CounterTracker()
    t.register(0, U32, 1000.0)  # last stored reading before the stop
    assert feed(t, [1600.0]) == (600.0, 0, 0)


def test_first_reading_without_history_counts_nothing() -> None:
    t = CounterTracker()
    t.register(0, U32, None)
    assert feed(t, [123456.0]) == (0.0, 0, 0)


def test_only_counter_tags_are_tracked() -> None:
    t = CounterTracker()
    t.register(2, None, None)
    mask = t.counters_among(np.array([0, 1, 2, 9], dtype=np.intp))
    assert mask.tolist() == [False, False, True, False]


def test_a_register_jumping_forward_counts_nothing_and_is_flagged() -> None:
    """3,600 Nm³/h at most: a reading 5 million higher a second later is no gas."""
    t = CounterTracker()
    t.register(0, CounterSpec(max_rate=3600.0), None)
    got = feed(t, [(0, 1000.0), (1000, 1001.0), (2000, 5_001_001.0), (3000, 5_001_002.0)])
    assert got == (2.0, 1, 0)


def test_a_meter_exchanged_with_a_reading_of_its_own_is_not_counted_from_zero() -> None:
    t = CounterTracker()
    t.register(0, CounterSpec(rollover=U32, max_rate=3600.0), None)
    # the old meter at 2,000,000, the new one reads 12,345 ten seconds later
    got = feed(t, [(0, 2_000_000.0), (10_000, 12_345.0), (20_000, 12_355.0)])
    assert got == (10.0, 1, 0)
    # a real reset to 0 is still counted from 0 (25 Nm³ in 30 s is within the meter)
    t.register(0, CounterSpec(max_rate=3600.0), None)
    assert feed(t, [(0, 9_000.0), (30_000, 25.0)]) == (25.0, 1, 0)


def test_after_a_long_stop_the_meter_had_the_whole_time() -> None:
    """Two hours down at up to 3,600 Nm³/h: 6,000 Nm³ meanwhile is plausible."""
    t = CounterTracker()
    t.register(0, CounterSpec(max_rate=3600.0), 1000.0, last_ms=0)
    assert feed(t, [(7_200_000, 7000.0)]) == (6000.0, 0, 0)
    # a wrap that the meter could pass counts; one it could not is flagged
    t = CounterTracker()
    t.register(0, CounterSpec(rollover=U32, max_rate=3600.0), U32 - 10, last_ms=0)
    assert feed(t, [(1000, 5.0)]) == (0.0, 1, 0)  # 15 in a second: over 1 a second
    t.register(0, CounterSpec(rollover=U32, max_rate=3600.0), U32 - 10, last_ms=0)
    assert feed(t, [(20_000, 5.0)]) == (15.0, 0, 1)


def test_a_register_updated_slower_than_the_poll_is_not_a_reset() -> None:
    """A device that updates its totaliser every 10 s, polled each second (a ×1440 simulator
    refreshing every few station minutes, polled as fast as it answers, is the same): each
    change holds 10 s of gas, found one second after the previous poll."""
    t = CounterTracker()
    t.register(0, CounterSpec(max_rate=3600.0), None)  # at most 1 Nm³/s
    flow = 0.95  # Nm³/s, near the meter's most
    readings = [(ms, 1000.0 + flow * 10 * (ms // 10_000)) for ms in range(0, 600_000, 1000)]
    delivered, resets, _ = feed(t, readings)
    assert resets == 0
    assert delivered == pytest.approx(flow * 590)


def test_a_late_poll_after_a_fast_one_is_not_a_reset() -> None:
    """Polls whose times jitter (one late, the next at once): the change accumulated over
    the span since the last reading of the value before it."""
    t = CounterTracker()
    t.register(0, CounterSpec(max_rate=3600.0), None)
    # the device updates every 2 s; polls at 0, 1.9 s (just before an update), 2.05 s (at
    # once: 2 s of gas 150 ms after the previous poll) and 4.1 s
    got = feed(t, [(0, 0.0), (1900, 0.0), (2050, 1.9), (4100, 3.8)])
    assert got == pytest.approx((3.8, 0, 0))


def test_a_restart_bounds_the_first_increment_by_the_stored_readings() -> None:
    """After a restart the held-from time comes from the file: a change that accumulated
    since before the last stored reading still counts."""
    t = CounterTracker()
    # stored: the value 100 last read at 60 s, last of another value at 50 s
    t.register(0, CounterSpec(max_rate=3600.0), 100.0, 60_000, 50_000)
    assert feed(t, [(61_000, 110.0)]) == (10.0, 0, 0)
    t2 = CounterTracker()
    t2.register(0, CounterSpec(max_rate=3600.0), 100.0, 60_000)  # no earlier value known
    assert feed(t2, [(61_000, 110.0)]) == (0.0, 1, 0)


def test_a_reading_taken_later_than_its_stamp_is_bounded_by_the_polls_wait() -> None:
    """A poll stamped as it is sent whose answer took long (the device read its register
    late): the value holds gas up to then. The poll's longest wait for an answer bounds it."""
    spec = CounterSpec(max_rate=3600.0, stamp_slack_ms=60_000)  # 1 Nm³/s, answers ≤ 60 s
    t = CounterTracker()
    t.register(0, spec, None)
    # stamped at 0 s and 10 s, the second read 50 s late: 60 s of gas at 0.9 Nm³/s
    assert feed(t, [(0, 0.0), (10_000, 54.0)]) == (54.0, 0, 0)
    strict = CounterTracker()
    strict.register(0, CounterSpec(max_rate=3600.0), None)
    assert feed(strict, [(0, 0.0), (10_000, 54.0)]) == (0.0, 1, 0)
