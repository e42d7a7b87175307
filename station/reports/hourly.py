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
from typing import Any

import numpy as np
import numpy.typing as npt

from station.calendar import Period
from station.config.reports import MeterRunConfig
from station.history.store import MinuteRows

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


class _Hours:
    """Which hour each minute row falls in, and sums per hour: every hour of a period in a
    few numpy calls instead of a pass per hour (a month of ten runs is 7,200 hours)."""

    def __init__(self, hours: list[Period]) -> None:
        """`hours` in order, not necessarily adjacent."""
        self.n = len(hours)
        self.starts = np.array([h.start_ms for h in hours], dtype=np.int64)
        self.ends = np.array([h.end_ms for h in hours], dtype=np.int64)

    def index(self, ts: npt.NDArray[np.int64]) -> npt.NDArray[np.intp]:
        """Hour of each row, -1 outside every hour."""
        idx = np.searchsorted(self.starts, ts, side="right") - 1
        inside = (idx >= 0) & (ts < self.ends[np.maximum(idx, 0)])
        return np.where(inside, idx, -1)

    def sum(self, idx: npt.NDArray[np.intp], weights: npt.NDArray[Any] | None = None) -> Floats:
        k = idx >= 0
        w = None if weights is None else np.asarray(weights, dtype=np.float64)[k]
        return np.bincount(idx[k], weights=w, minlength=self.n)[: self.n].astype(np.float64)

    def totals(self, ts: npt.NDArray[np.int64], values: Floats) -> list[float]:
        """Per hour the sum of the rows' values, NaN counted as 0, summed as numpy sums one
        hour's slice (pairwise): the same figure to the last bit as a sum of that hour alone,
        so an hour kept before gets no new version for the order of an addition."""
        lo, hi = np.searchsorted(ts, self.starts).tolist(), np.searchsorted(ts, self.ends).tolist()
        return [float(np.nansum(values[a:b])) for a, b in zip(lo, hi, strict=True)]

    def extremes(
        self, rows: MinuteRows, idx: npt.NDArray[np.intp], highest: bool
    ) -> list[Extreme | None]:
        """Per hour the lowest (highest) value and the first minute it was seen in."""
        values = rows.max if highest else rows.min
        ok = (idx >= 0) & (rows.count > 0) & np.isfinite(values)
        out: list[Extreme | None] = [None] * self.n
        if not ok.any():
            return out
        i, v, t = idx[ok], values[ok], rows.ts[ok]
        order = np.lexsort((t, -v if highest else v, i))  # by hour, then value, then time
        first = order[np.r_[True, i[order][1:] != i[order][:-1]]]
        for k in first.tolist():
            out[int(i[k])] = Extreme(float(v[k]), int(t[k]))
        return out


Floats = npt.NDArray[np.float64]


def _minute_means(rows: MinuteRows) -> tuple[npt.NDArray[np.int64], Floats]:
    good = rows.count > 0
    return rows.ts[good], rows.sum[good] / rows.count[good]


def _at(ts: npt.NDArray[np.int64], keys: npt.NDArray[np.int64], values: Floats) -> Floats:
    """`values` at the minutes `ts` where `keys` (sorted) has them, else 0."""
    if len(keys) == 0:
        return np.zeros(len(ts))
    pos = np.minimum(np.searchsorted(keys, ts), len(keys) - 1)
    return np.where(keys[pos] == ts, values[pos], 0.0)


def _weighted_means(
    hours: _Hours, rows: MinuteRows, flow_ts: npt.NDArray[np.int64], flow: Floats
) -> list[float | None]:
    """Per hour the flow-weighted mean of the minutes' means (time-weighted while nothing
    flows), None without a good minute."""
    ts, means = _minute_means(rows)
    idx = hours.index(ts)
    w = _at(ts, flow_ts, flow)
    w = np.where(w > 0, w, 0.0)
    total_w, weighted = hours.sum(idx, w), hours.sum(idx, means * w)
    n, plain = hours.sum(idx), hours.sum(idx, means)
    out: list[float | None] = []
    for k in range(hours.n):
        if n[k] == 0:
            out.append(None)
        else:
            out.append(
                float(weighted[k] / total_w[k]) if total_w[k] > 0 else float(plain[k] / n[k])
            )
    return out


def hourly_records(
    run: MeterRunConfig, hours: list[Period], minutes: dict[str, MinuteRows]
) -> list[HourlyRecord]:
    """The hours of one run from the minutes of its tags (rows outside them are ignored)."""
    if not hours:
        return []
    h = _Hours(hours)
    std = minutes[run.standard_volume]
    work = minutes[run.working_volume] if run.working_volume else None
    flow_ts, flow = _minute_means(minutes[run.standard_flow])
    flow_idx = h.index(flow_ts)
    std_idx = h.index(std.ts)
    counted = std.count > 0
    delta = h.totals(std.ts, std.delta)
    resets = h.sum(std_idx, np.nan_to_num(std.resets))
    working = None if work is None else h.totals(work.ts, work.delta)
    integrated = h.sum(flow_idx, flow) / 60.0
    flowing = h.sum(flow_idx, flow > run.cutoff)
    covered = h.sum(std_idx, counted & np.isin(std.ts, flow_ts))
    counter_minutes = h.sum(std_idx, counted)
    pressure = minutes[run.pressure]
    temperature = minutes[run.temperature]
    p_mean = _weighted_means(h, pressure, flow_ts, flow)
    t_mean = _weighted_means(h, temperature, flow_ts, flow)
    p_idx, t_idx = h.index(pressure.ts), h.index(temperature.ts)
    p_min, p_max = h.extremes(pressure, p_idx, False), h.extremes(pressure, p_idx, True)
    t_min, t_max = h.extremes(temperature, t_idx, False), h.extremes(temperature, t_idx, True)
    out = []
    for k, hour in enumerate(hours):
        s, e = hour.start_ms, hour.end_ms
        slots = max(1, math.ceil((e - s) / MINUTE_MS))
        if counter_minutes[k] >= slots:
            gaps: tuple[Gap, ...] = ()
        else:  # only an hour with missing minutes is walked minute by minute
            a, b = np.searchsorted(std.ts, (s, e))
            gaps = _gaps(set(std.ts[a:b][counted[a:b]].tolist()), s, e)
        out.append(
            HourlyRecord(
                run=run.id,
                start_ms=s,
                end_ms=e,
                standard_volume=delta[k],
                working_volume=None if working is None else working[k],
                integrated_volume=float(integrated[k]),
                meter_resets=int(resets[k]),
                flow_minutes=int(flowing[k]),
                pressure_mean=p_mean[k],
                temperature_mean=t_mean[k],
                pressure_min=p_min[k],
                pressure_max=p_max[k],
                temperature_min=t_min[k],
                temperature_max=t_max[k],
                coverage=float(covered[k]) / slots,
                gaps=gaps,
            )
        )
    return out


def hourly_record(
    run: MeterRunConfig, hour: Period, minutes: dict[str, MinuteRows]
) -> HourlyRecord:
    """One hour of one run from the minutes of its tags (rows outside the hour are ignored)."""
    (record,) = hourly_records(run, [hour], minutes)
    return record


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


def run_tags(run: MeterRunConfig) -> list[str]:
    tags = [run.standard_volume, run.standard_flow, run.pressure, run.temperature]
    if run.working_volume:
        tags.append(run.working_volume)
    return tags
