"""Maintenance: plans with intervals, records of work done, and suggestions from the data
(a filter's ΔP rising towards its change limit, the odorant tank falling towards its refill
level). Pure: the trend is a least-squares line through hourly means, its crossing of the
limit the projected date; no trend, or one going away from the limit, projects nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from station.config.duty import MaintenancePlanConfig

DAY_MS = 86_400_000


@dataclass(frozen=True)
class PlanStatus:
    plan: str
    last_done: date | None
    next_due: date
    overdue: bool


def plan_status(plan: MaintenancePlanConfig, done: Sequence[date], today: date) -> PlanStatus:
    last = max(done, default=None)
    due = today if last is None else last + timedelta(days=plan.every_days)
    return PlanStatus(plan.id, last, due, due < today)


@dataclass(frozen=True)
class Projection:
    slope_per_day: float
    """The fitted rate, in the tag's unit a day."""
    now_value: float
    """The line's value at the last sample."""
    crossing_ms: int | None
    """When the line reaches the limit (UTC ms); None when it goes the other way or is flat."""
    samples: int


def projected_crossing(
    ts_ms: Sequence[int], values: Sequence[float | None], limit: float, direction: str
) -> Projection | None:
    """A straight line through the points; None with fewer than a day's worth (24 points)."""
    pts = [(t, v) for t, v in zip(ts_ms, values, strict=True) if v is not None and np.isfinite(v)]
    if len(pts) < 24:
        return None
    t = np.array([p[0] for p in pts], dtype=np.float64)
    y = np.array([p[1] for p in pts], dtype=np.float64)
    days = (t - t[-1]) / DAY_MS  # the last sample at day 0: the intercept is the value now
    slope, intercept = np.polyfit(days, y, 1)
    toward = slope > 0 if direction == "rising" else slope < 0
    crossing = None
    if toward and abs(slope) > 1e-12:
        ahead_days = (limit - intercept) / slope
        crossing = int(t[-1] + max(0.0, ahead_days) * DAY_MS)
    return Projection(float(slope), float(intercept), crossing, len(pts))
