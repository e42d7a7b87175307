"""Reports as the API takes and answers them: versions, content, plans, hourly records."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, TypeAdapter

from station.api.schemas.common import Reason
from station.reports.daily import DailyReport
from station.reports.monthly import MonthlyReport
from station.reports.safety import SafetyReport
from station.reports.shift import ShiftReport


class ReportOut(BaseModel):
    kind: str
    period: str
    version: int
    status: str
    """generated, reviewed or signed"""
    hash: str
    """SHA-256 of the content: the same data gives the same hash."""
    generated: str
    replaces: int | None
    reason: str | None
    reviewed_by: str | None
    signed_by: str | None
    signed: str | None
    audit_anchor: str | None


ReportContent = list[ShiftReport] | list[DailyReport] | list[MonthlyReport] | list[SafetyReport]
CONTENT_OF: dict[str, TypeAdapter[Any]] = {
    "shift": TypeAdapter(list[ShiftReport]),
    "daily": TypeAdapter(list[DailyReport]),
    "monthly": TypeAdapter(list[MonthlyReport]),
    "safety-weekly": TypeAdapter(list[SafetyReport]),
    "safety-monthly": TypeAdapter(list[SafetyReport]),
}
"""Each kind's data model, as its pure module computes it (the stored JSON is its fields)."""


class ReportContentOut(ReportOut):
    content: ReportContent
    """The data model, unrounded: one per meter run (daily, monthly), one for a shift and for
    a safety report; its shape is the kind's."""


class VersionIn(BaseModel):
    version: int = Field(ge=1, le=1_000_000)


class CorrectionIn(BaseModel):
    reason: Reason


class PlanIn(BaseModel):
    run: str = Field(min_length=1, max_length=40)
    standard_volume: float = Field(ge=0, le=1e12)
    """Nm³ planned for the gas month."""


class PlanOut(BaseModel):
    month: str
    plans: dict[str, float | None]


class HourVersionOut(BaseModel):
    version: int
    computed: datetime
    changed: str | None
    """What differs from the version before (late data), None for the first."""
    standard_volume: float
    working_volume: float | None
    integrated_volume: float
    coverage: float
    meter_resets: int
    hash: str


class HourOut(BaseModel):
    start: datetime
    label: str
    versions: list[HourVersionOut]


class HourlyOut(BaseModel):
    run: str
    gas_day: str
    hours: list[HourOut]
