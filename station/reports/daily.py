"""The daily production report (日报) of one gas day, as data: what every format renders.

Built from the day's hourly quantity records, the supply-interruption intervals of the alarm
journal and the month's and year's totals before the day. Nothing is rounded here; the content
hash is over the unrounded data, so regenerating a day with unchanged data gives the same hash.
"""

from __future__ import annotations

from dataclasses import dataclass

from station.calendar import Period
from station.reports.hourly import Extreme, HourlyRecord, known_total, pressure_range


@dataclass(frozen=True)
class HourRow:
    label: str
    start_ms: int
    standard_volume: float
    working_volume: float | None
    integrated_volume: float
    pressure_mean: float | None
    temperature_mean: float | None
    coverage: float
    gap_minutes: int
    mismatch: bool
    """Counter volume and integrated flow differ by more than the configured share."""


@dataclass(frozen=True)
class DailyReport:
    station: str
    run: str
    gas_day: str
    start_ms: int
    end_ms: int
    hours: float
    """23, 24 or 25 (daylight saving)."""
    rows: tuple[HourRow, ...]
    standard_volume: float
    working_volume: float | None
    peak_hour: str | None
    peak_volume: float
    pressure_max: Extreme | None
    pressure_min: Extreme | None
    interruption_minutes: float
    gap_minutes: int
    meter_resets: int
    month_to_date: float | None
    year_to_date: float | None
    """None only inside a monthly report, which does not read them."""


def overlap_minutes(intervals: list[tuple[int, int]], start_ms: int, end_ms: int) -> float:
    """Minutes of the period covered by the intervals (they may overlap each other)."""
    cut = sorted((max(a, start_ms), min(b, end_ms)) for a, b in intervals if b > start_ms)
    total, reach = 0, start_ms
    for a, b in cut:
        if b <= reach or a >= end_ms:
            continue
        total += b - max(a, reach)
        reach = b
    return total / 60_000


def daily_report(
    station: str,
    run: str,
    day: Period,
    hours: list[Period],
    records: list[HourlyRecord],
    interruptions: list[tuple[int, int]],
    before_in_month: float | None,
    before_in_year: float | None,
    mismatch_bound: float,
) -> DailyReport:
    """`before_in_month` / `before_in_year`: standard volume of the month's and year's gas days
    before this one."""
    rows = tuple(
        HourRow(
            label=h.label,
            start_ms=r.start_ms,
            standard_volume=r.standard_volume,
            working_volume=r.working_volume,
            integrated_volume=r.integrated_volume,
            pressure_mean=r.pressure_mean,
            temperature_mean=r.temperature_mean,
            coverage=r.coverage,
            gap_minutes=sum(g.minutes for g in r.gaps),
            mismatch=(r.mismatch() or 0.0) > mismatch_bound,
        )
        for h, r in zip(hours, records, strict=True)
    )
    total = sum(r.standard_volume for r in records)
    pressure_max, pressure_min = pressure_range(records)
    # a day without flow has no peak hour (not the first hour of the day at 0 Nm³)
    peak = max(rows, key=lambda r: r.standard_volume) if rows else None
    if peak is not None and peak.standard_volume <= 0:
        peak = None
    return DailyReport(
        station=station,
        run=run,
        gas_day=day.label,
        start_ms=day.start_ms,
        end_ms=day.end_ms,
        hours=day.hours,
        rows=rows,
        standard_volume=total,
        working_volume=known_total(r.working_volume for r in records),
        peak_hour=peak.label if peak else None,
        peak_volume=peak.standard_volume if peak else 0.0,
        pressure_max=pressure_max,
        pressure_min=pressure_min,
        interruption_minutes=overlap_minutes(interruptions, day.start_ms, day.end_ms),
        gap_minutes=sum(r.gap_minutes for r in rows),
        meter_resets=sum(r.meter_resets for r in records),
        month_to_date=None if before_in_month is None else before_in_month + total,
        year_to_date=None if before_in_year is None else before_in_year + total,
    )
