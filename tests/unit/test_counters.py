"""Counter increments: rollover, reset, jitter, gaps and restarts, from readings alone."""

import numpy as np
import pytest

from station.history.counters import CounterTracker

U32 = 4_294_967_296.0


def feed(tracker: CounterTracker, readings: list[float], tag: int = 0) -> tuple[float, int, int]:
    delivered, resets, rollovers = 0.0, 0, 0
    for r in readings:
        inc = tracker.update(np.array([tag], dtype=np.intp), np.array([r]))
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
