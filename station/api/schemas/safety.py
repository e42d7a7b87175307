"""Fire safety, maintenance and incidents as the API takes and answers them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field

Text = Annotated[str, Field(min_length=1, max_length=4000)]


class FireOut(BaseModel):
    id: str
    kind: str
    type: str
    location: str
    expiry: date | None
    days_to_expiry: int | None
    flags: list[str]
    """expired, expiring, check_overdue, check_due, failed_check"""
    last_check: datetime | None
    last_checked_by: str | None
    next_check: date


class FireCheckIn(BaseModel):
    ok: bool
    pressure_mpa: float | None = Field(default=None, ge=0, le=10, allow_inf_nan=False)
    note: Annotated[str, Field(max_length=2000)] | None = None


class PlanOut(BaseModel):
    id: str
    equipment: str
    name: str
    every_days: int
    last_done: date | None
    next_due: date
    overdue: bool
    due_soon: bool


class DoneIn(BaseModel):
    text: Text
    """What was done."""


class SuggestionOut(BaseModel):
    id: str
    tag: str
    name: str
    limit: float
    slope_per_day: float | None
    value_now: float | None
    projected: datetime | None
    """When the trend reaches the limit; none without a trend towards it."""
    samples: int


class IncidentIn(BaseModel):
    what: Text
    actions: Text
    happened: datetime | None = None
    notify: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(
        default=[], max_length=10
    )
    """Names from the station's emergency contacts (police, fire, ambulance …); the station
    master is always notified."""


class CloseIncidentIn(BaseModel):
    summary: Text


class TimelineEntryOut(BaseModel):
    """A duty-log entry that names the incident."""

    id: int
    event_time: str
    """ISO 8601, UTC."""
    author: str
    text: str


class IncidentOut(BaseModel):
    id: int
    opened: datetime
    happened: datetime | None
    opened_by: str
    what: str
    actions: str
    notified: list[str]
    closed: datetime | None
    closed_by: str | None
    summary: str | None
    timeline: list[TimelineEntryOut]
    """The duty-log entries that name the incident ("incident 3: …"), oldest first."""


class FireCheckOut(BaseModel):
    equipment: str
    time: datetime
    day: date
    user: str
    ok: bool
    pressure_mpa: float | None
    note: str | None
