"""Reports as the API takes and answers them: versions, content, plans, hourly records."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from station.api.schemas.common import Reason


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


class ReportContentOut(ReportOut):
    content: list[dict[str, Any]]
    """The data model, one per meter run, unrounded."""


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
