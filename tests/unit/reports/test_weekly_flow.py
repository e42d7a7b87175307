"""An hour's flow against the same hour last week: which hours are compared, and when the
comparison has no opinion."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from station.reports.hourly import HourlyRecord
from station.reports.weekly_flow import (
    WeeklyFlow,
    hour_ending_by,
    mean_flow,
    same_hour_last_week,
    weekly_flow,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")


def record(volume: float, coverage: float = 1.0) -> HourlyRecord:
    return HourlyRecord(
        run="RUN-1", start_ms=0, end_ms=3_600_000, standard_volume=volume, working_volume=None,
        integrated_volume=volume, meter_resets=0, flow_minutes=60, pressure_mean=None,
        temperature_mean=None, pressure_min=None, pressure_max=None, temperature_min=None,
        temperature_max=None, coverage=coverage, gaps=(),
    )  # fmt: skip


def test_the_hour_judged_is_the_last_whole_local_hour() -> None:
    hour = hour_ending_by(SHANGHAI, datetime(2025, 11, 25, 3, 59, 59, tzinfo=UTC))  # 11:59:59
    assert hour.start == datetime(2025, 11, 25, 2, 0, tzinfo=UTC) and hour.label == "10:00"
    on_the_hour = hour_ending_by(SHANGHAI, datetime(2025, 11, 25, 4, 0, tzinfo=UTC))
    assert on_the_hour.start == datetime(2025, 11, 25, 3, 0, tzinfo=UTC)
    # a zone half an hour off UTC cuts its hours at :30 UTC
    kolkata = hour_ending_by(ZoneInfo("Asia/Kolkata"), datetime(2025, 11, 25, 5, 45, tzinfo=UTC))
    assert kolkata.start == datetime(2025, 11, 25, 4, 30, tzinfo=UTC)


def test_last_week_is_the_same_wall_clock_hour_across_a_daylight_saving_change() -> None:
    shanghai = hour_ending_by(SHANGHAI, datetime(2025, 11, 25, 3, 0, tzinfo=UTC))
    assert same_hour_last_week(SHANGHAI, shanghai).start == datetime(2025, 11, 18, 2, tzinfo=UTC)
    # Berlin, Tuesday 1 April 2025 09:00 (UTC+2) against Tuesday 25 March 09:00 (UTC+1):
    # 167 elapsed hours, not 168
    berlin = hour_ending_by(BERLIN, datetime(2025, 4, 1, 8, 0, tzinfo=UTC))
    assert berlin.start == datetime(2025, 4, 1, 7, 0, tzinfo=UTC)
    assert same_hour_last_week(BERLIN, berlin).start == datetime(2025, 3, 25, 8, 0, tzinfo=UTC)


def test_forty_percent_off_either_way_is_off() -> None:
    assert weekly_flow(record(2700), record(2000)).off(0.4, 50) is False
    assert weekly_flow(record(2700), record(2000)).deviation == 0.35
    assert weekly_flow(record(2801), record(2000)).off(0.4, 50) is True
    assert weekly_flow(record(1199), record(2000)).off(0.4, 50) is True
    assert weekly_flow(record(1201), record(2000)).off(0.4, 50) is False
    assert weekly_flow(record(1000), record(2000)).describe() == "-50%: 1,000 vs 2,000 Nm³/h"


def test_no_opinion_without_a_baseline() -> None:
    # no week of history yet: last week's hour has no data at all
    assert weekly_flow(record(2000), record(0.0, coverage=0.0)).off(0.4, 50) is None
    # too little data in this hour, or an interruption last week (no delivery as baseline)
    assert weekly_flow(record(2000, coverage=0.4), record(2000)).off(0.4, 50) is None
    assert weekly_flow(record(2000), record(10.0)).off(0.4, 50) is None
    assert mean_flow(record(1500, coverage=0.5)) == 1500
    assert WeeklyFlow("RUN-1", 0, None, None).describe() == ""
