"""Daily production reports from the stores: reads history and the alarm journal, builds the
data model (station.reports.daily), keeps it in the archive, and moves the cursor.

Runs off the core's loop (a worker thread); it only reads history and writes records.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from station.alarms.journal import AlarmJournal
from station.alarms.kpi import alarm_kpi
from station.calendar import HOUR_MS, Period, StationCalendar
from station.config.models import StationConfig
from station.config.reports import MeterRunConfig
from station.duty.roster import shift_crew
from station.duty.safety_store import SafetyRecords
from station.duty.store import DutyRecords
from station.history.store import Aggregate, HistoryStore
from station.reports.archive import ReportArchive, StoredReport, stored_form
from station.reports.daily import DailyReport, daily_report
from station.reports.hourly import HourlyRecord, hourly_records, run_tags
from station.reports.hourly_ledger import HourlyLedger
from station.reports.monthly import MonthlyReport, monthly_report
from station.reports.safety_source import SafetyReports
from station.reports.schedule import (
    due_gas_days,
    due_gas_months,
    due_gas_weeks,
    due_shifts,
    next_end,
    report_triggers,
)
from station.reports.shift import (
    Reading,
    RunVolume,
    ShiftReport,
    highest,
    pressure_figures,
    readings_at,
    run_volume,
    shift_alarms,
)
from station.reports.shift_duty import shift_handover, shift_log
from station.reports.weekly_flow import WeeklyFlow, same_hour_last_week, weekly_flow

log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]
"""Called with (gas days done, gas days in all) while a month is built."""
DAILY = "daily"
MONTHLY = "monthly"
SHIFT = "shift"
SAFETY_WEEKLY = "safety-weekly"
SAFETY_MONTHLY = "safety-monthly"
KINDS = (SHIFT, DAILY, MONTHLY, SAFETY_WEEKLY, SAFETY_MONTHLY)
"""Every kind the archive keeps, in the order a catch-up makes them."""


class ProductionReports:
    def __init__(
        self,
        config: StationConfig,
        history: HistoryStore,
        journal: AlarmJournal,
        archive: ReportArchive,
        now_ms: Callable[[], int] | None = None,
        compute: Callable[[str, str], tuple[str, str]] | None = None,
    ) -> None:
        """`now_ms`: the station's clock; the hours that ended by then are kept, versioned, in
        the ledger of hourly records each time a report computes them. `compute`: where a
        report's content is computed when not here (the service's worker process)."""
        self.config = config
        self.history = history
        self.journal = journal
        self.archive = archive
        self.ledger = HourlyLedger(archive.store)
        self.now_ms = now_ms or (lambda: int(time.time() * 1000))
        self.calendar = StationCalendar(config.station.timezone, config.reports)
        self.compute = compute
        self.duty = DutyRecords(archive.store)
        self.safety = SafetyReports(
            config, self.calendar, journal, self.duty, SafetyRecords(archive.store)
        )

    def records(self, run: MeterRunConfig, period: Period) -> list[HourlyRecord]:
        """The hourly records of a run over a period, held against the ledger: an hour whose
        figures changed since they were last kept (late data) gets a new version. An hour kept
        from exactly what the hourly rollup still holds is taken as kept, without reading its
        minutes again (a month is then the ledger's rows, not 43,200 minutes a tag)."""
        hours = self.calendar.hours(period)
        tags = run_tags(run)
        sources: dict[int, str] = {}
        kept: dict[int, HourlyRecord] = {}
        if all(h.start_ms % HOUR_MS == 0 and h.end_ms - h.start_ms == HOUR_MS for h in hours):
            sources = self.history.hour_fingerprints(tags, period.start_ms, period.end_ms)
            kept = self.ledger.current(run.id, period.start_ms, period.end_ms, sources)
        todo = [h for h in hours if h.start_ms not in kept]
        computed: dict[int, HourlyRecord] = {}
        if todo:
            minutes = self.history.minutes(tags, todo[0].start_ms, todo[-1].end_ms)
            computed = {r.start_ms: r for r in hourly_records(run, todo, minutes)}
        records = [kept.get(h.start_ms) or computed[h.start_ms] for h in hours]
        now = self.now_ms()
        # only whole station hours are kept: a shift that starts or ends off the hour computes
        # its pieces of hours, which kept would read as hours of their own (and as late data
        # when the whole hour came)
        whole = [
            r for r in computed.values() if self.calendar.is_station_hour(r.start_ms, r.end_ms)
        ]
        try:
            self.ledger.keep(whole, now, now, sources)
        except sqlite3.Error as exc:
            # a full disk: the figures are right all the same, and the next computation of
            # these hours keeps them (as version 1 if this one never was)
            log.warning("hourly records of %s not kept yet: %s", run.id, exc)
        return records

    # -- building ------------------------------------------------------------------------
    def _counted(self, tag: str, start: datetime, end: datetime) -> float:
        """The counter's delivered quantity over whole hours (from the hourly rollup)."""
        if end <= start:
            return 0.0
        s, e = int(start.timestamp() * 1000), int(end.timestamp() * 1000)
        points = self.history.query([tag], s, e, 3600, Aggregate.DELTA)[tag]
        return float(sum(p.value for p in points if p.value is not None))

    def _interruptions(self, day: Period) -> list[tuple[int, int]]:
        supply = self.config.alarms.supply
        if supply is None:
            return []
        before = self.journal.last_before(supply.id, day.start_ms)
        events = self.journal.events(day.start_ms, day.end_ms, alarm=supply.id, limit=100_000)
        out: list[tuple[int, int]] = []
        since = day.start_ms if before is not None and before.event == "raised" else None
        for e in events:
            if e.event == "raised" and since is None:
                since = e.ts_ms
            elif e.event == "cleared" and since is not None:
                out.append((since, e.ts_ms))
                since = None
        if since is not None:
            out.append((since, day.end_ms))
        return out

    def daily(self, day: date, to_date: bool = True) -> list[DailyReport]:
        """One report per meter run (`to_date`: with the month's and year's totals before it,
        which a monthly report, building its days, does without)."""
        period = self.calendar.gas_day(day)
        hours = self.calendar.hours(period)
        month = self.calendar.gas_month(day.year, day.month)
        year_start = self.calendar.gas_day(date(day.year, 1, 1)).start
        interruptions = self._interruptions(period)
        out = []
        for run in self.config.reports.meter_runs:
            records = self.records(run, period)
            in_month = (
                self._counted(run.standard_volume, month.start, period.start) if to_date else None
            )
            in_year = (
                self._counted(run.standard_volume, year_start, period.start) if to_date else None
            )
            out.append(
                daily_report(
                    self.config.station.id,
                    run.id,
                    period,
                    hours,
                    records,
                    interruptions,
                    in_month,
                    in_year,
                    self.config.reports.volume_mismatch,
                )
            )
        return out

    def monthly(
        self, year: int, month: int, progress: Progress | None = None
    ) -> list[MonthlyReport]:
        """One report per meter run: every gas day of the month, built as the daily ones."""
        period = self.calendar.gas_month(year, month)
        label = period.label
        gas_days = [self.calendar.gas_day_of(p.start) for p in self.calendar.gas_days(period)]
        days = []
        for i, d in enumerate(gas_days):
            days.append(self.daily(d, to_date=False))
            if progress is not None:
                progress(i + 1, len(gas_days))
        before = self.calendar.gas_month(year - (month == 1), 12 if month == 1 else month - 1)
        events = self.journal.events(period.start_ms, period.end_ms, limit=1_000_000)
        kpi = alarm_kpi(events, period.start_ms, period.end_ms, {}, period.end_ms)
        out = []
        for i, run in enumerate(self.config.reports.meter_runs):
            out.append(
                monthly_report(
                    label,
                    [reports[i] for reports in days],
                    self.archive.plan(label, run.id),
                    self._counted(run.standard_volume, before.start, before.end) or None,
                    kpi,
                )
            )
        return out

    def shift(self, period: Period) -> ShiftReport:
        """One shift: readings at the hour marks, volumes per run, pressures, gas, alarms."""
        cfg = self.config.reports
        marks = list(range(period.start_ms, period.end_ms + 1, HOUR_MS))
        tags = list(dict.fromkeys([*cfg.shift_readings, *cfg.gas_detectors]))
        minutes = self.history.minutes(tags, period.start_ms - 60_000, period.end_ms)
        runs: list[RunVolume] = []
        first_records: list[HourlyRecord] = []
        for run in cfg.meter_runs:
            records = self.records(run, period)
            runs.append(run_volume(run.id, records))
            first_records = first_records or records
        p_max, p_min, p_mean = pressure_figures(first_records)
        lel, lel_tag = highest(minutes, list(cfg.gas_detectors))
        events = self.journal.events(period.start_ms, None, limit=100_000)
        names = self.calendar.shift_name(period)
        units = {t.id: t.unit for _, t in self.config.all_tags()}
        shift_id = self.calendar.shift_id(period)
        before = self.calendar.shift_id(self.calendar.shift_of(period.start - timedelta(seconds=1)))
        log_lines, alarm_entries = shift_log(
            self.duty.log(period.start_ms, period.end_ms, limit=100_000)
        )
        return ShiftReport(
            station=self.config.station.id,
            shift=shift_id,
            name_zh=names.name_zh,
            name_en=names.name_en,
            start_ms=period.start_ms,
            end_ms=period.end_ms,
            marks=tuple(marks),
            readings=tuple(
                Reading(t, units[t], readings_at(minutes[t], marks)) for t in cfg.shift_readings
            ),
            runs=tuple(runs),
            pressure_max=p_max,
            pressure_min=p_min,
            pressure_mean=p_mean,
            max_lel=lel,
            max_lel_tag=lel_tag,
            alarms=shift_alarms(events, period.start_ms, period.end_ms),
            crew=tuple(shift_crew(self.duty, self.calendar, self.config.duty, period)),
            taken_over=shift_handover(before, self.duty.steps(before)),
            handed_over=shift_handover(shift_id, self.duty.steps(shift_id)),
            log=log_lines,
            log_alarm_entries=alarm_entries,
        )

    def weekly_flows(self, hour: Period) -> list[tuple[MeterRunConfig, WeeklyFlow]]:
        """Each run with a weekly bound: the hour's flow beside the same hour last week."""
        out = []
        for run in self.config.reports.meter_runs:
            if run.weekly_deviation is None:
                continue
            (now,) = self.records(run, hour)
            (before,) = self.records(run, same_hour_last_week(self.calendar.tz, hour))
            out.append((run, weekly_flow(now, before)))
        return out

    # -- keeping -------------------------------------------------------------------------
    def content(self, kind: str, period: str, progress: Progress | None = None) -> tuple[str, str]:
        """(content, hash) of a period as the data is now: `2025-11-25T08:00` (a shift),
        `2025-11-25` (a gas day), `2025-11` (a gas month) or `2025-W48` (a gas week); one
        report per meter run (one for a shift and for a safety report)."""
        reports: list[Any]
        if kind in (SAFETY_WEEKLY, SAFETY_MONTHLY):
            which = kind.removeprefix("safety-")
            reports = [self.safety.report(which, self.calendar.period(kind, period), self.now_ms())]
        elif kind == SHIFT:
            reports = [self.shift(self.calendar.shift_by_id(period))]
        elif kind == DAILY:
            reports = self.daily(date.fromisoformat(period))
        else:
            year, month = (int(x) for x in period.split("-"))
            reports = self.monthly(year, month, progress)
        return stored_form(reports)

    def generate(
        self, kind: str, period: str, now_ms: int, progress: Progress | None = None
    ) -> StoredReport:
        if self.compute is not None and progress is None:
            content, digest = self.compute(kind, period)
        else:
            content, digest = self.content(kind, period, progress)
        return self.archive.keep(kind, period, content, digest, now_ms)

    def catch_up(
        self,
        now_ms: int,
        delay_s: float,
        first_ms: int | None = None,
        history_until_ms: int | None = None,
        stopping: Callable[[], bool] = lambda: False,
    ) -> list[StoredReport]:
        """Generates every period of every kind due since its cursor, oldest first, moving the
        cursor after each; returns the reports made. Without a cursor yet, a kind starts from
        the period holding `first_ms` (when the station's data begins) or now.
        `history_until_ms`: how far the history file's rollups are complete; a period past it
        waits (the writer may be behind). `stopping` is asked before each report: a stop waits
        for the one report under way, never for a day's backlog (the next start makes the
        rest, from the cursors)."""
        now = datetime.fromtimestamp(now_ms / 1000, tz=UTC)
        start = datetime.fromtimestamp((first_ms or now_ms) / 1000, tz=UTC)
        first_day = self.calendar.gas_day_of(start)
        delay = timedelta(seconds=delay_s)
        done: list[StoredReport] = []
        month = self.calendar.gas_month(first_day.year, first_day.month)
        for kind in KINDS:
            cursor = self.archive.cursor(kind)
            if cursor is None:
                begin = {
                    SHIFT: self.calendar.shift_of(start),
                    DAILY: self.calendar.gas_day(first_day),
                    MONTHLY: month,
                    SAFETY_WEEKLY: self.calendar.gas_week(first_day),
                    SAFETY_MONTHLY: month,
                }[kind]
                cursor = begin.start_ms
                self.archive.set_cursor(kind, cursor)
            done_until = datetime.fromtimestamp(cursor / 1000, tz=UTC)
            for period in self._due(kind, done_until, now, delay):
                if history_until_ms is not None and history_until_ms < period.end_ms:
                    break
                if stopping():
                    return done
                label = self.calendar.shift_id(period) if kind == SHIFT else period.label
                stored = self.generate(kind, label, now_ms)
                self.archive.set_cursor(kind, period.end_ms)
                log.info(
                    "%s report %s: version %d, %s", kind, label, stored.version, stored.hash[:12]
                )
                done.append(stored)
        return done

    def next_due_ms(self, delay_s: float) -> int:
        """When the next period of any kind falls due (its end plus the delay), from the
        cursors: until then there is nothing to look for."""
        due = []
        for kind, trigger in report_triggers(self.calendar).items():
            cursor = self.archive.cursor(kind)
            if cursor is None:
                return 0  # not started yet: look now
            end = next_end(trigger, datetime.fromtimestamp(cursor / 1000, tz=UTC))
            if end is not None:
                due.append(int(end.timestamp() * 1000 + delay_s * 1000))
        return min(due, default=2**62)

    def _due(
        self, kind: str, done_until: datetime, now: datetime, delay: timedelta
    ) -> list[Period]:
        if kind == SHIFT:
            return due_shifts(self.calendar, done_until, now, delay)
        if kind == DAILY:
            days = due_gas_days(self.calendar, done_until, now, delay)
            return [self.calendar.gas_day(d) for d in days]
        if kind == SAFETY_WEEKLY:
            return due_gas_weeks(self.calendar, done_until, now, delay)
        months = due_gas_months(self.calendar, done_until, now, delay)
        return [self.calendar.gas_month(y, m) for y, m in months]
