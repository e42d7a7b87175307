"""The monthly production report (月报) of one gas month, as data: a row per gas day, totals,
plan against actual, month on month, interruption minutes (target 0) and the month's alarm
performance (EEMUA 191, from the alarm KPI code). Unrounded, with a content hash."""

from __future__ import annotations

from dataclasses import dataclass

from station.alarms.kpi import AlarmKpi
from station.reports.daily import DailyReport
from station.reports.hourly import known_total


@dataclass(frozen=True)
class DayRow:
    gas_day: str
    standard_volume: float | None
    """None for a day the history holds no data of (blank in the report, never a 0)."""
    working_volume: float | None
    peak_hour: str | None
    peak_volume: float
    interruption_minutes: float
    gap_minutes: int
    mismatch_hours: int


@dataclass(frozen=True)
class AlarmFigures:
    raised: int
    per_10_min: float
    max_in_10_min: int
    floods: int
    chattering: list[str]
    standing: list[str]
    by_priority: dict[int, int]


def alarm_figures(kpi: AlarmKpi) -> AlarmFigures:
    """What a report keeps of the alarm KPIs (the floods counted, not listed)."""
    return AlarmFigures(
        raised=kpi.raised,
        per_10_min=kpi.per_10_min,
        max_in_10_min=kpi.max_in_10_min,
        floods=len(kpi.floods),
        chattering=kpi.chattering,
        standing=kpi.standing,
        by_priority=kpi.by_priority,
    )


@dataclass(frozen=True)
class MonthlyReport:
    station: str
    run: str
    month: str
    start_ms: int
    end_ms: int
    rows: tuple[DayRow, ...]
    standard_volume: float
    working_volume: float | None
    plan: float | None
    """Standard volume planned for the month (Nm³), as the station master entered it."""
    plan_share: float | None
    """Actual ÷ plan."""
    previous_month: float | None
    month_on_month: float | None
    """This month ÷ the previous one − 1."""
    interruption_minutes: float
    gap_minutes: int
    days_with_gaps: int
    alarms: AlarmFigures


def _day_row(d: DailyReport) -> DayRow:
    """A day the history holds no data of is blank, never a 0."""
    known = any(r.coverage > 0 for r in d.rows)
    return DayRow(
        gas_day=d.gas_day,
        standard_volume=d.standard_volume if known else None,
        working_volume=d.working_volume if known else None,
        peak_hour=d.peak_hour,
        peak_volume=d.peak_volume,
        interruption_minutes=d.interruption_minutes,
        gap_minutes=d.gap_minutes,
        mismatch_hours=sum(1 for r in d.rows if r.mismatch),
    )


def monthly_report(
    month: str,
    days: list[DailyReport],
    plan: float | None,
    previous_month: float | None,
    kpi: AlarmKpi,
) -> MonthlyReport:
    """`days`: the month's daily reports of one run, in order."""
    first, last = days[0], days[-1]
    rows = tuple(_day_row(d) for d in days)
    total = sum(d.standard_volume for d in days)
    return MonthlyReport(
        station=first.station,
        run=first.run,
        month=month,
        start_ms=first.start_ms,
        end_ms=last.end_ms,
        rows=rows,
        standard_volume=total,
        working_volume=known_total(d.working_volume for d in days),
        plan=plan,
        plan_share=total / plan if plan else None,
        previous_month=previous_month,
        month_on_month=total / previous_month - 1 if previous_month else None,
        interruption_minutes=sum(d.interruption_minutes for d in days),
        gap_minutes=sum(d.gap_minutes for d in days),
        days_with_gaps=sum(1 for d in days if d.gap_minutes),
        alarms=alarm_figures(kpi),
    )
