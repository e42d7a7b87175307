"""Due periods from the cron trigger and the cursor: each once, after the delay, in order."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from station.calendar import StationCalendar
from station.config.reports import ReportsConfig
from station.reports.daily import overlap_minutes
from station.reports.schedule import due_gas_days

CAL = StationCalendar("Asia/Shanghai", ReportsConfig())
DELAY = timedelta(minutes=10)


def test_a_day_is_due_after_it_ends_and_the_delay() -> None:
    done = CAL.gas_day(date(2025, 11, 25)).start  # nothing of the 25th done yet
    end = CAL.gas_day(date(2025, 11, 25)).end
    assert due_gas_days(CAL, done, end + timedelta(minutes=9), DELAY) == []
    assert due_gas_days(CAL, done, end + DELAY, DELAY) == [date(2025, 11, 25)]
    # once the cursor has moved past it, never again
    assert due_gas_days(CAL, end, end + timedelta(hours=5), DELAY) == []


def test_an_outage_of_days_gives_every_missed_day_in_order() -> None:
    done = CAL.gas_day(date(2025, 11, 20)).end
    now = CAL.gas_day(date(2025, 11, 25)).end + timedelta(hours=1)
    assert due_gas_days(CAL, done, now, DELAY) == [date(2025, 11, d) for d in range(21, 26)]
    assert due_gas_days(CAL, done, now, DELAY, limit=2) == [date(2025, 11, 21), date(2025, 11, 22)]


def test_daylight_saving_days_fire_once_each() -> None:
    berlin = StationCalendar("Europe/Berlin", ReportsConfig(contract_hour=6))
    done = berlin.gas_day(date(2025, 10, 24)).end
    now = datetime(2025, 10, 28, 12, 0, tzinfo=UTC)
    days = due_gas_days(berlin, done, now, DELAY)
    assert days == [date(2025, 10, 25), date(2025, 10, 26), date(2025, 10, 27)]


def test_interruption_minutes_count_overlaps_once() -> None:
    day = CAL.gas_day(date(2025, 11, 25))
    m = 60_000
    spans = [
        (day.start_ms - 10 * m, day.start_ms + 5 * m),  # began the day before: 5 minutes
        (day.start_ms + 60 * m, day.start_ms + 90 * m),
        (day.start_ms + 80 * m, day.start_ms + 100 * m),  # overlaps the one before
        (day.end_ms - 3 * m, day.end_ms + 30 * m),  # runs into the next day: 3 minutes
    ]
    assert overlap_minutes(spans, day.start_ms, day.end_ms) == 5 + 40 + 3
