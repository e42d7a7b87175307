"""The station's calendar: hours, shifts, gas days and gas months as periods in UTC.

Everything is stored in UTC and every period is cut in the station's local time. A gas day runs
from the contract hour to the contract hour (08:00–08:00 by default), so on a daylight-saving
change it has 23 or 25 hours, and its hours are counted in real elapsed hours, never by the
wall clock's numbers (02:00–03:00 happens twice in autumn, not at all in spring).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from station.config.reports import ReportsConfig, ShiftConfig

HOUR = timedelta(hours=1)
HOUR_MS = 3_600_000
PERIODS = {
    "shift": ("a shift's local start", "YYYY-MM-DDTHH:MM"),
    "daily": ("a gas day", "YYYY-MM-DD"),
    "monthly": ("a gas month", "YYYY-MM"),
    "safety-weekly": ("an ISO week of gas days, Monday's first", "YYYY-Www"),
    "safety-monthly": ("a gas month", "YYYY-MM"),
}
"""How each report kind names its period."""


@dataclass(frozen=True)
class Period:
    kind: str
    """hour, shift, gas_day or gas_month"""
    label: str
    """How a person names it: 2025-11-25, 2025-11, 2025-11-25 Day shift, 02:00+01:00 …"""
    start: datetime
    """Aware, UTC."""
    end: datetime

    @property
    def start_ms(self) -> int:
        return int(self.start.timestamp() * 1000)

    @property
    def end_ms(self) -> int:
        return int(self.end.timestamp() * 1000)

    @property
    def hours(self) -> float:
        return (self.end - self.start) / HOUR

    def contains(self, instant: datetime) -> bool:
        return self.start <= instant < self.end


class StationCalendar:
    def __init__(self, timezone: str, reports: ReportsConfig) -> None:
        self.tz = ZoneInfo(timezone)
        self.contract = time(reports.contract_hour)
        self.shifts = sorted(reports.shifts, key=lambda s: s.minute_of_day)

    def _local(self, day: date, at: time) -> datetime:
        """A local wall time as UTC (a time skipped by a spring change is read forward)."""
        local = datetime.combine(day, at, tzinfo=self.tz)
        return local.astimezone(UTC)

    def period(self, kind: str, text: str) -> Period:
        """The period a report of `kind` names (see PERIODS); ValueError saying what is wrong
        with the name. Periods are held to 1970–2199, as every time the station keeps."""
        _, shape = PERIODS[kind]
        if len(text) != len(shape):
            raise ValueError(f"a {kind} report's period is {shape}")
        try:
            if kind == "safety-weekly":
                if text[4:6] != "-W":
                    raise ValueError
                first = date.fromisocalendar(int(text[:4]), int(text[6:]), 1)
            elif kind in ("monthly", "safety-monthly"):
                first = date.fromisoformat(f"{text}-01")
            else:
                first = date.fromisoformat(text[:10])
        except ValueError:
            raise ValueError(f"{text!r} is not a date") from None
        if not date(1970, 1, 2) <= first < date(2199, 12, 1):
            raise ValueError(f"{text} is outside 1970–2199")
        if kind == "shift":
            return self.shift_by_id(text)
        if kind == "daily":
            return self.gas_day(first)
        if kind == "safety-weekly":
            return self.gas_week(first)
        return self.gas_month(first.year, first.month)

    # -- gas days and months -------------------------------------------------------------
    def gas_day(self, day: date) -> Period:
        """The gas day named by the date it begins on."""
        return Period(
            "gas_day",
            day.isoformat(),
            self._local(day, self.contract),
            self._local(day + timedelta(days=1), self.contract),
        )

    def gas_day_of(self, instant: datetime) -> date:
        local = instant.astimezone(self.tz)
        return local.date() if local.time() >= self.contract else local.date() - timedelta(days=1)

    def gas_month(self, year: int, month: int) -> Period:
        """From the first gas day of the month to the first of the next."""
        following = date(year + month // 12, month % 12 + 1, 1)
        return Period(
            "gas_month",
            f"{year:04d}-{month:02d}",
            self.gas_day(date(year, month, 1)).start,
            self.gas_day(following).start,
        )

    def gas_week(self, day: date) -> Period:
        """The seven gas days of the ISO week holding `day`, from Monday's; named 2025-W48.
        The safety report's week: its days and shifts are the production reports' own."""
        monday = day - timedelta(days=day.weekday())
        year, week, _ = monday.isocalendar()
        return Period(
            "gas_week",
            f"{year:04d}-W{week:02d}",
            self.gas_day(monday).start,
            self.gas_day(monday + timedelta(days=7)).start,
        )

    def gas_days(self, month: Period) -> list[Period]:
        first = self.gas_day_of(month.start)
        out = []
        day = first
        while (p := self.gas_day(day)).start < month.end:
            out.append(p)
            day += timedelta(days=1)
        return out

    # -- hours --------------------------------------------------------------------------
    def hours(self, period: Period) -> list[Period]:
        """The elapsed hours of a period, labelled by local start time (with its UTC offset
        where the wall clock shows the same hour twice)."""
        out = []
        t = period.start
        while t < period.end:
            local = t.astimezone(self.tz)
            label = local.strftime("%H:%M")
            if local.fold or (t + HOUR).astimezone(self.tz).fold:
                label += local.strftime("%z")[:3] + ":" + local.strftime("%z")[3:]
            out.append(Period("hour", label, t, min(t + HOUR, period.end)))
            t += HOUR
        return out

    def is_station_hour(self, start_ms: int, end_ms: int) -> bool:
        """A whole hour of the station's clock (10:00–11:00 local), not a shift's piece of
        one (07:30–08:30, or the 10 minutes of a short shift)."""
        local = datetime.fromtimestamp(start_ms / 1000, UTC).astimezone(self.tz)
        return end_ms - start_ms == HOUR_MS and local.minute == 0 and local.second == 0

    # -- shifts -------------------------------------------------------------------------
    def shifts_of(self, day: date) -> list[Period]:
        """The shifts that begin on a local date, in order."""
        out = []
        for i, s in enumerate(self.shifts):
            start = self._local(day, time(s.minute_of_day // 60, s.minute_of_day % 60))
            nxt = self.shifts[(i + 1) % len(self.shifts)]
            end_day = day if i + 1 < len(self.shifts) else day + timedelta(days=1)
            end = self._local(end_day, time(nxt.minute_of_day // 60, nxt.minute_of_day % 60))
            out.append(Period("shift", f"{day.isoformat()} {s.name_en}", start, end))
        return out

    def _day_of(self, shift: Period) -> date:
        """The local date a shift begins on."""
        return shift.start.astimezone(self.tz).date()

    def shift_name(self, shift: Period) -> ShiftConfig:
        starts = [self._local(self._day_of(shift), time(*divmod(s.minute_of_day, 60)))
                  for s in self.shifts]  # fmt: skip
        return self.shifts[starts.index(shift.start)]

    def shift_id(self, shift: Period) -> str:
        """How the archive names a shift: its local start, e.g. 2025-11-25T20:00."""
        return shift.start.astimezone(self.tz).strftime("%Y-%m-%dT%H:%M")

    def shift_by_id(self, text: str) -> Period:
        local = datetime.strptime(text, "%Y-%m-%dT%H:%M")
        for p in self.shifts_of(local.date()):
            if self.shift_id(p) == text:
                return p
        raise ValueError(f"no shift starts at {text}")

    def shift_of(self, instant: datetime) -> Period:
        local_day = instant.astimezone(self.tz).date()
        for day in (local_day - timedelta(days=1), local_day):
            for p in self.shifts_of(day):
                if p.contains(instant):
                    return p
        raise ValueError(f"no shift contains {instant.isoformat()}")  # pragma: no cover
