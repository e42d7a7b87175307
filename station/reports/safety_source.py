"""The safety report's inputs, read from the stores: the duty records (hazards, rounds), the
safety records (fire checks, incidents) and the alarm journal; which alarms are leak and
over-pressure events comes from the alarm points of the config."""

from __future__ import annotations

from datetime import timedelta

from station.alarms.journal import AlarmJournal
from station.alarms.kpi import alarm_kpi
from station.alarms.points import build_points
from station.calendar import Period, StationCalendar
from station.config.models import StationConfig
from station.duty.safety_store import SafetyRecords
from station.duty.store import DutyRecords
from station.reports.safety import (
    SafetyReport,
    alarm_events,
    fire_lines,
    hazard_lines,
    incident_lines,
    round_tallies,
    safety_report,
)

ALL = 1_000_000
"""Rows read at most per kind of record (a station makes a few a day)."""


class SafetyReports:
    def __init__(
        self,
        config: StationConfig,
        calendar: StationCalendar,
        journal: AlarmJournal,
        duty: DutyRecords,
        safety: SafetyRecords,
    ) -> None:
        self.config = config
        self.calendar = calendar
        self.journal = journal
        self.duty = duty
        self.safety = safety
        points = build_points(config, config.alarms)
        units = {t.id: t.unit for _, t in config.all_tags()}
        detectors = set(config.reports.gas_detectors)
        self.leak_alarms = frozenset(p.id for p in points if p.tag in detectors)
        """Every alarm of a gas detector: its readings over the limits, and its faults."""
        self.pressure_alarms = frozenset(
            p.id
            for p in points
            if p.kind == "limit" and p.direction == "high" and units.get(p.tag or "") == "MPa"
        )

    def shifts(self, period: Period) -> list[Period]:
        out = [self.calendar.shift_of(period.start)]
        while out[-1].end < period.end:
            out.append(self.calendar.shift_of(out[-1].end))
        return out

    def report(self, kind: str, period: Period, now_ms: int | None = None) -> SafetyReport:
        """`kind`: weekly or monthly; `now_ms`: what has fallen due by then (a preview)."""
        start, end = period.start_ms, period.end_ms
        duty = self.config.duty
        # acknowledgements after the period still name who acknowledged an event in it
        events = self.journal.events(start, None, limit=ALL)
        in_period = [e for e in events if e.ts_ms < end]
        end_day = (period.end - timedelta(milliseconds=1)).astimezone(self.calendar.tz).date()
        return safety_report(
            station=self.config.station.id,
            kind=kind,
            period=period,
            hazards=hazard_lines(self.duty.hazards(limit=ALL), start, end),
            leaks=alarm_events(events, self.leak_alarms, start, end),
            overpressure=alarm_events(events, self.pressure_alarms, start, end),
            fire=fire_lines(
                duty.fire_equipment,
                self.safety.fire_checks(end_ms=end),
                start,
                end,
                end_day,
                duty.warn_days,
            ),
            rounds=round_tallies(
                duty.rounds,
                self.shifts(period),
                self.duty.rounds(start, end),
                start,
                end,
                now_ms,
            ),
            incidents=incident_lines(self.safety.incidents(), start, end),
            kpi=alarm_kpi(in_period, start, end, {}, end),
        )
