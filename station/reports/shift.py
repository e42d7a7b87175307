"""The shift report (班报) as data: the readings at every hour mark, the gas delivered in the
shift, pressures with their times, the highest gas-detector reading, and the shift's alarms with
who acknowledged them. What the operators used to copy onto paper; unrounded, with a hash."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from station.alarms.journal import JournalEvent
from station.history.store import MinuteRows
from station.reports.hourly import (
    MINUTE_MS,
    Extreme,
    HourlyRecord,
    known_total,
    pressure_range,
)
from station.reports.shift_duty import LogLine, ShiftHandover


@dataclass(frozen=True)
class Reading:
    tag: str
    unit: str
    values: tuple[float | None, ...]
    """At each hour mark: the last good value before it (None: nothing read that minute)."""


@dataclass(frozen=True)
class RunVolume:
    run: str
    standard_volume: float
    working_volume: float | None
    gap_minutes: int


@dataclass(frozen=True)
class ShiftAlarm:
    ts_ms: int
    alarm: str
    tag: str | None
    priority: int
    value: float | None
    text_zh: str | None
    text_en: str | None
    acked_by: str | None
    acked_ms: int | None
    comment: str | None


@dataclass(frozen=True)
class ShiftReport:
    station: str
    shift: str
    """Its local start, e.g. 2025-11-25T20:00."""
    name_zh: str
    name_en: str
    start_ms: int
    end_ms: int
    marks: tuple[int, ...]
    """The hour marks (UTC ms), from the shift's start to its end."""
    readings: tuple[Reading, ...]
    runs: tuple[RunVolume, ...]
    pressure_max: Extreme | None
    pressure_min: Extreme | None
    pressure_mean: float | None
    max_lel: Extreme | None
    max_lel_tag: str | None
    alarms: tuple[ShiftAlarm, ...]
    crew: tuple[str, ...] = ()
    """On duty: the roster entered for the shift, else the crews' rotation."""
    taken_over: ShiftHandover | None = None
    """The handover the shift took over at its start (the previous shift's)."""
    handed_over: ShiftHandover | None = None
    """Its own handover, as far as it had gone when the report was made."""
    log: tuple[LogLine, ...] = ()
    """The duty log of the shift by the time of the event, but for the automatic alarm
    entries, which the alarm table shows."""
    log_alarm_entries: int = 0


def readings_at(rows: MinuteRows, marks: list[int]) -> tuple[float | None, ...]:
    """The last good value of the minute before each mark."""
    last = {int(t): float(v) for t, v, c in zip(rows.ts, rows.last, rows.count, strict=True) if c}
    return tuple(last.get(m - MINUTE_MS) for m in marks)


def highest(minutes: dict[str, MinuteRows], tags: list[str]) -> tuple[Extreme | None, str | None]:
    best: tuple[Extreme | None, str | None] = (None, None)
    for tag in tags:
        rows = minutes[tag]
        ok = (rows.count > 0) & np.isfinite(rows.max)
        if not ok.any():
            continue
        i = np.flatnonzero(ok)[int(np.argmax(rows.max[ok]))]
        found = Extreme(float(rows.max[i]), int(rows.ts[i]))
        if best[0] is None or found.value > best[0].value:
            best = (found, tag)
    return best


def shift_alarms(events: list[JournalEvent], start_ms: int, end_ms: int) -> tuple[ShiftAlarm, ...]:
    """Alarms raised in the shift, each with its first acknowledgement (whenever it came)."""
    acks: dict[str, list[JournalEvent]] = {}
    for e in events:
        if e.event == "acknowledged":
            acks.setdefault(e.alarm, []).append(e)
    out = []
    for e in events:
        if e.event != "raised" or not start_ms <= e.ts_ms < end_ms:
            continue
        ack = next((a for a in acks.get(e.alarm, []) if a.ts_ms >= e.ts_ms), None)
        out.append(
            ShiftAlarm(
                ts_ms=e.ts_ms,
                alarm=e.alarm,
                tag=e.tag,
                priority=e.priority,
                value=e.value,
                text_zh=e.text_zh,
                text_en=e.text_en,
                acked_by=ack.user if ack else None,
                acked_ms=ack.ts_ms if ack else None,
                comment=ack.comment if ack else None,
            )
        )
    return tuple(out)


def run_volume(run: str, records: list[HourlyRecord]) -> RunVolume:
    return RunVolume(
        run=run,
        standard_volume=sum(r.standard_volume for r in records),
        working_volume=known_total(r.working_volume for r in records),
        gap_minutes=sum(g.minutes for r in records for g in r.gaps),
    )


def pressure_figures(
    records: list[HourlyRecord],
) -> tuple[Extreme | None, Extreme | None, float | None]:
    """Highest and lowest outlet pressure with times, and the flow-weighted mean, over hours."""
    high, low = pressure_range(records)
    weighted = [(r.pressure_mean, r.integrated_volume) for r in records if r.pressure_mean]
    total = sum(w for _, w in weighted)
    mean = (
        sum((p or 0.0) * w for p, w in weighted) / total
        if total > 0
        else (sum(p or 0.0 for p, _ in weighted) / len(weighted) if weighted else None)
    )
    return high, low, mean
