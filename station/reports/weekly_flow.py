"""Standard flow against the same hour last week (a low-priority alarm): demand that is far off
its usual pattern tells of a large consumer gone, a leak downstream or a meter drifting.

Judged once an hour from the hourly quantity records, never from the live value, whose shape
within an hour (the morning peak) would trip it for nothing. Silent while the station has no
record of the same hour a week ago, or too little data in either hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from station.calendar import HOUR, Period
from station.reports.hourly import HourlyRecord

WEEK = timedelta(days=7)
MIN_COVERAGE = 0.5
"""Less good data than this in an hour gives no opinion."""


def hour_ending_by(tz: ZoneInfo, instant: datetime) -> Period:
    """The last whole local hour that ended at or before `instant`."""
    local = instant.astimezone(tz)
    start = local.replace(minute=0, second=0, microsecond=0).astimezone(UTC) - HOUR
    return Period("hour", start.astimezone(tz).strftime("%H:%M"), start, start + HOUR)


def same_hour_last_week(tz: ZoneInfo, hour: Period) -> Period:
    """The same local hour seven days before (a week with a daylight-saving change keeps the
    wall-clock hour, not 168 elapsed hours)."""
    wall = hour.start.astimezone(tz).replace(tzinfo=None) - WEEK
    start = wall.replace(tzinfo=tz).astimezone(UTC)
    return Period("hour", hour.label, start, start + HOUR)


def mean_flow(record: HourlyRecord) -> float | None:
    """Nm³/h delivered over the hour (from the counter), or None with too little data."""
    if record.coverage < MIN_COVERAGE or record.minutes == 0:
        return None
    return record.standard_volume / (record.minutes / 60)


@dataclass(frozen=True)
class WeeklyFlow:
    run: str
    hour_start_ms: int
    flow: float | None
    last_week: float | None

    @property
    def deviation(self) -> float | None:
        if self.flow is None or not self.last_week:
            return None
        return (self.flow - self.last_week) / self.last_week

    def off(self, bound: float, cutoff: float) -> bool | None:
        """More than `bound` (a share) off last week; None when there is nothing to compare
        (no data, or no delivery in last week's hour: an interruption is no baseline)."""
        if self.flow is None or self.last_week is None or self.last_week <= cutoff:
            return None
        deviation = self.deviation
        return deviation is not None and abs(deviation) > bound

    def describe(self) -> str:
        if self.deviation is None or self.flow is None or self.last_week is None:
            return ""
        return f"{self.deviation:+.0%}: {self.flow:,.0f} vs {self.last_week:,.0f} Nm³/h"


def weekly_flow(this_hour: HourlyRecord, last_week: HourlyRecord) -> WeeklyFlow:
    return WeeklyFlow(this_hour.run, this_hour.start_ms, mean_flow(this_hour), mean_flow(last_week))
