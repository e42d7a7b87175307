"""Hourly quantity records per meter run: the backbone every production report reads.

One record closes each hour of the station's calendar (API MPMS 21.1 practice) and is kept
unrounded. Volumes come from the totalisers' increments (the history rollups count them across
rollover, reset and gaps); the volume integrated from the flow is kept beside them as a
cross-check. Computed from the 1-minute rollups only, so a month costs 43,200 rows a tag.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from station.history.store import MinuteRows
from station.reports.calendar import Period
from station.reports.config import MeterRunConfig

MINUTE_MS = 60_000


@dataclass(frozen=True)
class Extreme:
    value: float
    at_ms: int
    """Start of the minute it was seen in."""


@dataclass(frozen=True)
class Gap:
    start_ms: int
    minutes: int


@dataclass(frozen=True)
class HourlyRecord:
    run: str
    start_ms: int
    end_ms: int
    standard_volume: float
    """Nm³, from the standard totaliser's increments."""
    working_volume: float | None
    """m³, from the working totaliser's increments (None without one)."""
    integrated_volume: float
    """Nm³, the standard flow integrated over the minutes with data: the cross-check."""
    meter_resets: int
    flow_minutes: int
    """Minutes whose mean standard flow was above the run's cut-off."""
    pressure_mean: float | None
    """Flow-weighted (time-weighted while nothing flows), MPa."""
    temperature_mean: float | None
    pressure_min: Extreme | None
    pressure_max: Extreme | None
    temperature_min: Extreme | None
    temperature_max: Extreme | None
    coverage: float
    """Share of the hour's minutes in which the totaliser and the flow both read good."""
    gaps: tuple[Gap, ...]
    """Runs of minutes without a good totaliser reading (their volume still counts: the
    totaliser's increment across the gap lands in the minute after it)."""

    @property
    def minutes(self) -> int:
        return (self.end_ms - self.start_ms) // MINUTE_MS

    def mismatch(self) -> float | None:
        """Relative difference of counter volume and integrated flow (None when both are 0)."""
        base = max(abs(self.standard_volume), abs(self.integrated_volume))
        if base == 0:
            return None
        return abs(self.standard_volume - self.integrated_volume) / base


_FIELDS = tuple(MinuteRows.__dataclass_fields__)


def _in(rows: MinuteRows, start_ms: int, end_ms: int) -> MinuteRows:
    """The rows of [start, end): a slice (the rows come ordered by minute)."""
    a, b = np.searchsorted(rows.ts, (start_ms, end_ms))
    return MinuteRows(*(getattr(rows, f)[a:b] for f in _FIELDS))


def _means(rows: MinuteRows) -> dict[int, float]:
    good = rows.count > 0
    return dict(
        zip(rows.ts[good].tolist(), (rows.sum[good] / rows.count[good]).tolist(), strict=True)
    )


def _extreme(rows: MinuteRows, highest: bool) -> Extreme | None:
    values = rows.max if highest else rows.min
    ok = np.isfinite(values) & (rows.count > 0)
    if not ok.any():
        return None
    idx = np.flatnonzero(ok)
    i = idx[int(np.argmax(values[ok]) if highest else np.argmin(values[ok]))]
    return Extreme(float(values[i]), int(rows.ts[i]))


def _weighted(values: dict[int, float], weights: dict[int, float]) -> float | None:
    if not values:
        return None
    both = [(v, weights[m]) for m, v in values.items() if m in weights and weights[m] > 0]
    total = sum(w for _, w in both)
    if total > 0:
        return sum(v * w for v, w in both) / total
    return sum(values.values()) / len(values)


def _gaps(have: set[int], start_ms: int, end_ms: int) -> tuple[Gap, ...]:
    out: list[Gap] = []
    run_start, length = None, 0
    for m in range(start_ms, end_ms, MINUTE_MS):
        if m in have:
            if run_start is not None:
                out.append(Gap(run_start, length))
                run_start, length = None, 0
        else:
            run_start = m if run_start is None else run_start
            length += 1
    if run_start is not None:
        out.append(Gap(run_start, length))
    return tuple(out)


def hourly_record(
    run: MeterRunConfig, hour: Period, minutes: dict[str, MinuteRows]
) -> HourlyRecord:
    """One hour of one run from the minutes of its tags (rows outside the hour are ignored)."""
    s, e = hour.start_ms, hour.end_ms
    std = _in(minutes[run.standard_volume], s, e)
    work = _in(minutes[run.working_volume], s, e) if run.working_volume else None
    flow = _in(minutes[run.standard_flow], s, e)
    pressure = _in(minutes[run.pressure], s, e)
    temperature = _in(minutes[run.temperature], s, e)
    flow_means = _means(flow)
    counter_minutes = {int(t) for t, c in zip(std.ts, std.count, strict=True) if c > 0}
    covered = counter_minutes & set(flow_means)
    return HourlyRecord(
        run=run.id,
        start_ms=s,
        end_ms=e,
        standard_volume=float(np.nansum(std.delta)),
        working_volume=None if work is None else float(np.nansum(work.delta)),
        integrated_volume=sum(flow_means.values()) / 60.0,
        meter_resets=int(np.nansum(std.resets)),
        flow_minutes=sum(1 for q in flow_means.values() if q > run.cutoff),
        pressure_mean=_weighted(_means(pressure), flow_means),
        temperature_mean=_weighted(_means(temperature), flow_means),
        pressure_min=_extreme(pressure, highest=False),
        pressure_max=_extreme(pressure, highest=True),
        temperature_min=_extreme(temperature, highest=False),
        temperature_max=_extreme(temperature, highest=True),
        coverage=len(covered) / max(1, math.ceil((e - s) / MINUTE_MS)),
        gaps=_gaps(counter_minutes, s, e),
    )


def known_total(values: Iterable[float | None]) -> float | None:
    """The sum, or None when any part is unknown (a run without a working totaliser)."""
    parts = list(values)
    return None if any(v is None for v in parts) else sum(v or 0.0 for v in parts)


def pressure_range(records: Iterable[HourlyRecord]) -> tuple[Extreme | None, Extreme | None]:
    """Highest and lowest pressure of the hours, each with when it was seen."""
    rows = list(records)
    highs = [r.pressure_max for r in rows if r.pressure_max is not None]
    lows = [r.pressure_min for r in rows if r.pressure_min is not None]
    return (
        max(highs, key=lambda e: e.value) if highs else None,
        min(lows, key=lambda e: e.value) if lows else None,
    )


def hourly_records(
    run: MeterRunConfig, hours: list[Period], minutes: dict[str, MinuteRows]
) -> list[HourlyRecord]:
    return [hourly_record(run, h, minutes) for h in hours]


def run_tags(run: MeterRunConfig) -> list[str]:
    tags = [run.standard_volume, run.standard_flow, run.pressure, run.temperature]
    if run.working_volume:
        tags.append(run.working_volume)
    return tags
