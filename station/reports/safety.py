"""The safety report (安全报表), weekly and monthly, as data: hazards found, fixed and open with
their deadlines; leak and gas-detector events; over-pressure events; the fire-safety checks and
the register's state at the period's end; inspection rounds done, missed and not recorded;
incidents; alarm KPIs. Pure: every input is passed in, so each count is tested against the
records it counts. Signatures are the report archive's (review, then the station master's).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from station.alarms.journal import JournalEvent
from station.alarms.kpi import AlarmKpi
from station.calendar import Period
from station.config.duty import FireEquipmentConfig, RoundConfig
from station.duty.fire import FireCheck, fire_status
from station.duty.rounds import due_times_ms
from station.duty.safety_store import Incident
from station.duty.store import Hazard, RoundRecord
from station.reports.monthly import AlarmFigures, alarm_figures
from station.reports.shift import ShiftAlarm, shift_alarms


@dataclass(frozen=True)
class HazardLine:
    id: int
    opened_ms: int
    opened_by: str
    text: str
    severity: str
    owner: str
    deadline_ms: int
    closed_ms: int | None
    closed_by: str | None
    action: str | None
    found: bool
    """Opened in the period."""
    fixed: bool
    """Closed in the period."""
    open_at_end: bool
    overdue: bool
    """Open at the period's end past its deadline (or closed after it)."""


@dataclass(frozen=True)
class FireEquipmentLine:
    equipment: str
    kind: str
    type: str
    location: str
    expiry: str | None
    flags: tuple[str, ...]
    """At the period's end: expired, expiring, check_overdue, check_due, failed_check."""
    checks: int
    """Checks in the period."""
    failed: int


@dataclass(frozen=True)
class FireCheckLine:
    equipment: str
    ts_ms: int
    user: str
    ok: bool
    pressure_mpa: float | None
    note: str | None


@dataclass(frozen=True)
class RoundTally:
    round: str
    name_zh: str
    name_en: str
    scheduled: int
    done: int
    late: int
    """Done, but after the round was overdue."""
    approved: int
    missed: int
    """Fell due with the service running and was not done."""
    unrecorded: int
    """Fell due while the service was down: no record either way."""


@dataclass(frozen=True)
class IncidentLine:
    id: int
    opened_ms: int
    happened_ms: int | None
    opened_by: str
    what: str
    actions: str
    notified: tuple[str, ...]
    closed_ms: int | None
    closed_by: str | None
    summary: str | None


@dataclass(frozen=True)
class SafetyReport:
    station: str
    kind: str
    """weekly or monthly"""
    label: str
    """2025-W48 or 2025-11"""
    start_ms: int
    end_ms: int
    hazards_found: int
    hazards_fixed: int
    hazards_open: int
    hazards_overdue: int
    hazards: tuple[HazardLine, ...]
    leak_events: tuple[ShiftAlarm, ...]
    """Gas-detector alarms raised in the period, each with its first acknowledgement."""
    overpressure_events: tuple[ShiftAlarm, ...]
    """High pressure alarms raised in the period."""
    fire_checks: tuple[FireCheckLine, ...]
    fire_checks_failed: int
    extinguishers: int
    fire_equipment: tuple[FireEquipmentLine, ...]
    rounds: tuple[RoundTally, ...]
    rounds_done: int
    rounds_missed: int
    rounds_unrecorded: int
    incidents: tuple[IncidentLine, ...]
    incidents_open: int
    alarms: AlarmFigures


def open_during(opened_ms: int, closed_ms: int | None, start_ms: int, end_ms: int) -> bool:
    """Open at some time in [start, end): opened before the end, not closed before the start."""
    return opened_ms < end_ms and (closed_ms is None or closed_ms >= start_ms)


def hazard_lines(hazards: Sequence[Hazard], start_ms: int, end_ms: int) -> tuple[HazardLine, ...]:
    """Every hazard that was open at some time in the period."""
    out = []
    for h in hazards:
        if not open_during(h.opened_ms, h.closed_ms, start_ms, end_ms):
            continue
        open_at_end = h.closed_ms is None or h.closed_ms >= end_ms
        late = h.deadline_ms < (end_ms if open_at_end else h.closed_ms or end_ms)
        out.append(
            HazardLine(
                id=h.id,
                opened_ms=h.opened_ms,
                opened_by=h.opened_by,
                text=h.text,
                severity=h.severity,
                owner=h.owner,
                deadline_ms=h.deadline_ms,
                closed_ms=None if open_at_end else h.closed_ms,
                closed_by=None if open_at_end else h.closed_by,
                action=None if open_at_end else h.action,
                found=start_ms <= h.opened_ms,
                fixed=not open_at_end,
                open_at_end=open_at_end,
                overdue=late,
            )
        )
    return tuple(out)


def round_tallies(
    rounds: Sequence[RoundConfig],
    shifts: Sequence[Period],
    records: Sequence[RoundRecord],
    start_ms: int,
    end_ms: int,
    now_ms: int | None = None,
) -> tuple[RoundTally, ...]:
    """The rounds scheduled in the period's shifts (falling due inside it, and by `now_ms`:
    a preview of a period not ended counts only what has fallen due), against their records;
    a slot with a record and not done is missed."""
    by_slot = {(r.round, r.due_ms): r for r in records}
    until = end_ms if now_ms is None else min(end_ms, now_ms)
    out = []
    for cfg in rounds:
        grace_ms = int(cfg.grace_min * 60_000)
        slots = [t for s in shifts for t in due_times_ms(cfg, s) if start_ms <= t < until]
        found = [by_slot.get((cfg.id, t)) for t in slots]
        done = [r for r in found if r is not None and r.done_ms is not None]
        out.append(
            RoundTally(
                round=cfg.id,
                name_zh=cfg.name_zh,
                name_en=cfg.name_en,
                scheduled=len(slots),
                done=len(done),
                late=sum(r.done_ms is not None and r.done_ms > r.due_ms + grace_ms for r in done),
                approved=sum(r.approved_ms is not None for r in done),
                missed=sum(r is not None and r.done_ms is None for r in found),
                unrecorded=sum(r is None for r in found),
            )
        )
    return tuple(out)


def fire_lines(
    register: Sequence[FireEquipmentConfig],
    checks: Sequence[FireCheck],
    start_ms: int,
    end_ms: int,
    end_day: date,
    warn_days: int,
) -> tuple[tuple[FireEquipmentLine, ...], tuple[FireCheckLine, ...]]:
    """The register as it stood at the period's end, and the checks made in it. `checks`:
    every check up to the end, oldest first (the state needs the last one before)."""
    lines = []
    for item in register:
        own = [c for c in checks if c.equipment == item.id and c.ts_ms < end_ms]
        in_period = [c for c in own if c.ts_ms >= start_ms]
        status = fire_status(item, own, end_day, warn_days)
        lines.append(
            FireEquipmentLine(
                equipment=item.id,
                kind=item.kind,
                type=item.type,
                location=item.location,
                expiry=item.expiry.isoformat() if item.expiry else None,
                flags=tuple(status.flags),
                checks=len(in_period),
                failed=sum(not c.ok for c in in_period),
            )
        )
    made = tuple(
        FireCheckLine(c.equipment, c.ts_ms, c.user, c.ok, c.pressure_mpa, c.note)
        for c in checks
        if start_ms <= c.ts_ms < end_ms
    )
    return tuple(lines), made


def incident_lines(
    incidents: Sequence[Incident], start_ms: int, end_ms: int
) -> tuple[IncidentLine, ...]:
    """Opened in the period, or opened before it and not closed by its start; closed as of
    the period's end (a closing after it is the next report's)."""
    out = []
    for i in incidents:
        closed = i.closed_ms is not None and i.closed_ms < end_ms
        if not open_during(i.opened_ms, i.closed_ms, start_ms, end_ms):
            continue
        out.append(
            IncidentLine(
                id=i.id,
                opened_ms=i.opened_ms,
                happened_ms=i.happened_ms,
                opened_by=i.opened_by,
                what=i.what,
                actions=i.actions,
                notified=tuple(i.notified),
                closed_ms=i.closed_ms if closed else None,
                closed_by=i.closed_by if closed else None,
                summary=i.summary if closed else None,
            )
        )
    return tuple(out)


def alarm_events(
    events: Sequence[JournalEvent], alarms: frozenset[str], start_ms: int, end_ms: int
) -> tuple[ShiftAlarm, ...]:
    """The raises of the named alarms in the period, each with its first acknowledgement."""
    return shift_alarms([e for e in events if e.alarm in alarms], start_ms, end_ms)


def safety_report(
    station: str,
    kind: str,
    period: Period,
    hazards: tuple[HazardLine, ...],
    leaks: tuple[ShiftAlarm, ...],
    overpressure: tuple[ShiftAlarm, ...],
    fire: tuple[tuple[FireEquipmentLine, ...], tuple[FireCheckLine, ...]],
    rounds: tuple[RoundTally, ...],
    incidents: tuple[IncidentLine, ...],
    kpi: AlarmKpi,
) -> SafetyReport:
    equipment, checks = fire
    return SafetyReport(
        station=station,
        kind=kind,
        label=period.label,
        start_ms=period.start_ms,
        end_ms=period.end_ms,
        hazards_found=sum(h.found for h in hazards),
        hazards_fixed=sum(h.fixed for h in hazards),
        hazards_open=sum(h.open_at_end for h in hazards),
        hazards_overdue=sum(h.open_at_end and h.overdue for h in hazards),
        hazards=hazards,
        leak_events=leaks,
        overpressure_events=overpressure,
        fire_checks=checks,
        fire_checks_failed=sum(not c.ok for c in checks),
        extinguishers=sum(e.kind == "extinguisher" for e in equipment),
        fire_equipment=equipment,
        rounds=rounds,
        rounds_done=sum(r.done for r in rounds),
        rounds_missed=sum(r.missed for r in rounds),
        rounds_unrecorded=sum(r.unrecorded for r in rounds),
        incidents=incidents,
        incidents_open=sum(i.closed_ms is None for i in incidents),
        alarms=alarm_figures(kpi),
    )
