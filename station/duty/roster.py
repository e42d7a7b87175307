"""Who is on which shift: the roster a shift leader entered, else the crews' rotation."""

from __future__ import annotations

from datetime import date

from station.calendar import Period, StationCalendar
from station.config.duty import DutyConfig
from station.duty.store import DutyRecords


def shift_number(calendar: StationCalendar, start: date, shift: Period) -> int:
    """Shifts from the first shift of local date `start` to `shift` (0 for that first one)."""
    day = shift.start.astimezone(calendar.tz).date()
    index = [p.start for p in calendar.shifts_of(day)].index(shift.start)
    return (day - start).days * len(calendar.shifts) + index


def rotation_crew(calendar: StationCalendar, duty: DutyConfig, shift: Period) -> list[str]:
    """The crew the repeating pattern puts on a shift (none without crews)."""
    if not duty.crews or duty.rotation_start is None:
        return []
    n = shift_number(calendar, duty.rotation_start, shift)
    return list(duty.crews[n % len(duty.crews)].members)


def shift_crew(
    records: DutyRecords, calendar: StationCalendar, duty: DutyConfig, shift: Period
) -> list[str]:
    """The roster entered for the shift, else the rotation's crew."""
    entered = records.roster(calendar.shift_id(shift))
    return entered if entered is not None else rotation_crew(calendar, duty, shift)
