"""Alarms, their events, rules and figures (EEMUA 191) as the API answers them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class ActionResult(BaseModel):
    done: list[str]
    refused: dict[str, str] = {}


class AlarmOut(BaseModel):
    id: str
    state: str
    priority: int
    tag: str | None
    device: str | None
    kind: str
    active: bool
    acked: bool
    value: float | None
    cause: str | None
    text: str
    """In the station's language."""
    text_zh: str
    text_en: str
    raised: datetime | None
    cleared: datetime | None
    acked_at: datetime | None
    acked_by: str | None
    shelved_until: datetime | None
    shelved_oneshot: bool
    shelved_by: str | None
    shelve_reason: str | None
    out_of_service_by: str | None
    out_of_service_reason: str | None


class AlarmEventOut(BaseModel):
    seq: int
    ts: datetime
    alarm: str
    event: str
    state: str
    priority: int
    tag: str | None
    value: float | None
    text_zh: str | None
    text_en: str | None
    user: str | None
    comment: str | None


class RuleOut(BaseModel):
    id: str
    kind: str
    tag: str | None
    priority: int
    limit: float | None
    deadband: float
    on_delay_s: float
    off_delay_s: float
    latch: bool
    suppressed_by: list[str]


class FloodOut(BaseModel):
    start: datetime
    end: datetime
    alarms: int


class AlarmCountOut(BaseModel):
    alarm: str
    count: int


class KpiOut(BaseModel):
    start: datetime
    end: datetime
    raised: int
    per_10_min: float
    max_in_10_min: int
    floods: list[FloodOut]
    chattering: list[str]
    standing: list[str]
    by_priority: dict[int, int]
    priority_share: dict[int, float]
    top10: list[AlarmCountOut]
