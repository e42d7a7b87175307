"""The duty workflows as the API takes and answers them: on duty, roster, log, orders,
handover, rounds, hazards."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

Text = Annotated[str, Field(min_length=1, max_length=4000)]
Short = Annotated[str, Field(min_length=1, max_length=64)]


class DraftReadingOut(BaseModel):
    """A reading or totaliser at the handover instant, with the time it was polled."""

    tag: str
    value: float | None
    quality: str | None
    ts_ms: int | None


class DraftDeliveredOut(BaseModel):
    """Gas delivered in the shift by one meter run (its counter's increments)."""

    run: str
    tag: str
    standard_volume: float
    until_ms: int | None = None
    """Set when history held the shift only until then (a stuck writer): not the whole shift."""


class DraftRoundOut(BaseModel):
    round: str
    due_ms: int
    state: str
    by: str | None


class DraftHazardOut(BaseModel):
    id: int
    text: str
    severity: str
    owner: str
    deadline_ms: int
    overdue: bool


class DraftOrderOut(BaseModel):
    id: int
    text: str
    issued_by: str
    end_ms: int


class DraftLogOut(BaseModel):
    id: int
    event_ms: int
    author: str
    category: str
    text: str
    corrects: int | None


class HandoverDraftOut(BaseModel):
    """What the service knows at the handover instant."""

    shift: str
    at_ms: int
    outgoing: list[str]
    incoming: list[str]
    readings: list[DraftReadingOut]
    totals: list[DraftReadingOut]
    delivered: list[DraftDeliveredOut]
    alarms: dict[str, list[dict[str, Any]]]
    """raised, standing, unacknowledged, shelved, out_of_service: each alarm as /api/alarms
    describes it."""
    hazards: list[DraftHazardOut]
    """The hazards open at the instant."""
    rounds: dict[str, list[DraftRoundOut]]
    """done and missed."""
    orders: list[DraftOrderOut]
    """The standing orders in force."""
    log: list[DraftLogOut]
    """The shift's log entries."""
    carried: dict[str, str] = {}
    """The problems and instructions the last handover left open."""


class RoundResultOut(BaseModel):
    item: str
    ok: bool
    reading: float | None
    live: float | None
    flagged: bool
    note: str | None
    user: str
    ts_ms: int


class OnDutyOut(BaseModel):
    shift: str
    shift_end: datetime
    on_duty: list[str]
    """The shift's crew, and the last shift's while its handover is not accepted."""
    previous_shift: str
    previous_handover: str


class RosterIn(BaseModel):
    members: list[Short] = Field(min_length=1, max_length=8)


class LogIn(BaseModel):
    event_time: datetime | None = None
    """When it happened (default: now); the time written is kept apart."""
    category: Literal["operation", "dispatch", "equipment", "safety", "note", "correction"]
    text: Text
    tag: Short | None = None
    value: float | None = Field(default=None, allow_inf_nan=False)
    corrects: int | None = Field(default=None, ge=1, le=2**62)


class LogOut(BaseModel):
    id: int
    event_time: datetime
    written: datetime
    author: str
    on_duty: list[str]
    category: str
    text: str
    tag: str | None
    value: float | None
    corrects: int | None


class OrderIn(BaseModel):
    text: Text
    start: datetime
    end: datetime


class OrderOut(BaseModel):
    id: int
    text: str
    issued_by: str
    issued: datetime
    start: datetime
    end: datetime
    acknowledged: dict[str, str]
    """shift → who acknowledged it at that shift's handover"""


class HandoverStepOut(BaseModel):
    id: int
    step: str
    user: str
    ts: datetime
    notes: dict[str, str] | None
    reason: str | None


class HandoverOut(BaseModel):
    shift: str
    state: str
    """none, drafted, signed, accepted or refused"""
    outgoing: list[str]
    incoming: list[str]
    steps: list[HandoverStepOut]
    draft: HandoverDraftOut
    """What the service knows at the handover instant (the last kept draft, or one as of now)."""


NoteField = Literal[
    "operating_mode", "equipment", "dispatch_contacts", "housekeeping", "problems", "instructions"
]


class SignIn(BaseModel):
    notes: dict[NoteField, Annotated[str, Field(max_length=4000)]] = {}
    """What the outgoing hands over beside the draft; problems and instructions carry on."""


class RefuseIn(BaseModel):
    reason: Text


class RoundItemOut(BaseModel):
    id: str
    name: str
    tag: str | None
    """A reading of this item is compared with the tag's live value."""
    tolerance: float | None


class RoundOut(BaseModel):
    id: int | None
    """The record to act on; None for a slot of another shift that has none (not yet due, or
    due while the service was down)."""
    round: str
    name: str
    due: datetime
    state: str
    """scheduled, due, overdue, in_progress, done, approved or missed"""
    started_by: str | None
    done_by: str | None
    approved_by: str | None
    items: list[RoundItemOut]
    """The checklist, in order."""
    results: list[RoundResultOut]


class ItemIn(BaseModel):
    item: Short
    ok: bool
    reading: float | None = Field(default=None, allow_inf_nan=False)
    note: Annotated[str, Field(max_length=2000)] | None = None


class ItemOut(BaseModel):
    item: str
    ok: bool
    reading: float | None
    live: float | None
    flagged: bool
    """The reading and the transmitter disagree by more than the item's tolerance."""
    hazard: int | None


class HazardIn(BaseModel):
    text: Text
    severity: Literal["low", "medium", "high"]
    owner: Short
    deadline: datetime


class CloseIn(BaseModel):
    action: Text
    """What was done."""


class HazardOut(BaseModel):
    id: int
    opened: datetime
    opened_by: str
    text: str
    severity: str
    owner: str
    deadline: datetime
    overdue: bool
    source: str | None
    closed: datetime | None
    closed_by: str | None
    action: str | None
