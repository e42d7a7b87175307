"""Floods found from the raises alone: the same answer as walking every 10-minute bucket, and
a year with a handful of raises costs a handful of steps."""

from __future__ import annotations

from station.alarms.kpi import TEN_MIN, Flood, _floods

T0 = 1_764_036_000_000


def burst(bucket: int, n: int) -> list[int]:
    return [T0 + bucket * TEN_MIN + k * 1000 for k in range(n)]


def test_a_flood_ends_at_the_first_quiet_bucket_even_an_empty_one() -> None:
    times = burst(2, 12) + burst(3, 6) + burst(7, 12)
    assert _floods(times, T0, T0 + 20 * TEN_MIN) == [
        Flood(T0 + 2 * TEN_MIN, T0 + 4 * TEN_MIN, 18),  # bucket 4 is empty: under 5
        Flood(T0 + 7 * TEN_MIN, T0 + 8 * TEN_MIN, 12),
    ]


def test_a_flood_that_runs_to_the_end_of_the_period() -> None:
    times = burst(8, 11) + burst(9, 7)
    assert _floods(times, T0, T0 + 10 * TEN_MIN) == [Flood(T0 + 8 * TEN_MIN, T0 + 10 * TEN_MIN, 18)]


def test_a_busy_bucket_ends_by_a_bucket_with_few() -> None:
    times = burst(0, 15) + burst(1, 4) + burst(2, 15)
    assert _floods(times, T0, T0 + 6 * TEN_MIN) == [
        Flood(T0, T0 + TEN_MIN, 15),
        Flood(T0 + 2 * TEN_MIN, T0 + 3 * TEN_MIN, 15),
    ]


def test_a_year_of_few_raises_visits_only_their_buckets() -> None:
    year = 400 * 86_400_000
    times = burst(10, 12) + burst(50_000, 12)
    floods = _floods(times, T0, T0 + year)
    assert [f.alarms for f in floods] == [12, 12]
    assert floods[1].end_ms == T0 + 50_001 * TEN_MIN
