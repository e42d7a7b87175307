"""Time at the API edge: UTC inside, naive input read in the station's zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo


def from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


EARLIEST = datetime(1970, 1, 2, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


class TimeOutOfRange(ValueError):
    """A time the station can hold no data for; the API answers 400 with the reason."""


def to_ms(dt: datetime, zone: ZoneInfo) -> int:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=zone)
    try:
        inside = EARLIEST <= dt < LATEST
    except OverflowError:  # year 1 or 9999 shifted by an offset
        inside = False
    if not inside:
        raise TimeOutOfRange(f"{dt.isoformat()} is outside {EARLIEST.year + 0}–{LATEST.year - 1}")
    return int(dt.timestamp() * 1000)
