"""Fire-safety equipment: the register (from the station config) and its periodic checks.
Pure: what is flagged, and how far ahead, from the register, the checks and the date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from station.config.duty import FireEquipmentConfig


@dataclass(frozen=True)
class FireCheck:
    equipment: str
    ts_ms: int
    day: date
    """The local date of the check."""
    user: str
    ok: bool
    pressure_mpa: float | None
    note: str | None


@dataclass(frozen=True)
class FireStatus:
    equipment: str
    flags: list[str]
    """expired, expiring, check_overdue, check_due, failed_check: empty when all is well."""
    last_check: FireCheck | None
    next_check: date
    days_to_expiry: int | None


def check_ok(item: FireEquipmentConfig, ok: bool, pressure_mpa: float | None) -> bool:
    """A check passes when the checker says so and the gauge is in its zone."""
    if item.min_pressure_mpa is not None and pressure_mpa is not None:
        return ok and pressure_mpa >= item.min_pressure_mpa
    return ok


def fire_status(
    item: FireEquipmentConfig, checks: list[FireCheck], today: date, warn_days: int
) -> FireStatus:
    """`checks` oldest first. Flagged `warn_days` ahead: an expiry or a check falling due
    within them is flagged before it is late, so a replacement can be ordered."""
    last = checks[-1] if checks else None  # oldest first, as they were written
    next_check = (last.day if last else today) + timedelta(days=item.check_every_days)
    if last is None:
        next_check = today  # never checked: due now
    flags = []
    days_left = None if item.expiry is None else (item.expiry - today).days
    if days_left is not None:
        if days_left < 0:
            flags.append("expired")
        elif days_left <= warn_days:
            flags.append("expiring")
    if next_check < today:
        flags.append("check_overdue")
    elif (next_check - today).days <= min(warn_days, item.check_every_days // 4):
        flags.append("check_due")
    if last is not None and not last.ok:
        flags.append("failed_check")
    return FireStatus(item.id, flags, last, next_check, days_left)
