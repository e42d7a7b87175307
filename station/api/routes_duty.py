"""The duty workflows over HTTP: who is on duty, roster, duty log, standing orders, handover,
inspection rounds and hazards. The rules are in station.duty.desk; here: roles, validation,
the audit trail, and the loop each call runs on."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import Depends, HTTPException, Path, Query, Request
from pydantic import BaseModel, Field

from station.alarms.lifecycle import NotAllowed
from station.api.access import RoleRequired, client_address, guarded_router, runtime_of
from station.api.timefmt import from_ms, to_ms
from station.duty.store import HandoverStep, Hazard, LogEntry, RoundRecord
from station.refusals import RefusalKind, Refused
from station.reports.calendar import Period
from station.runtime import StationRuntime
from station.users import Role, User

router = guarded_router(tags=["duty"])
ShiftText = Annotated[
    str,
    Path(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$", description="the shift's local start"),
]
Text = Annotated[str, Field(min_length=1, max_length=4000)]
Short = Annotated[str, Field(min_length=1, max_length=64)]
ACTION: dict[int | str, dict[str, Any]] = {
    400: {"description": "a time outside the calendar, or no such shift"},
    401: {"description": "not logged in"},
    403: {"description": "role too low"},
    404: {"description": "no such record"},
    409: {"description": "not possible in the record's state, or not this user's shift"},
}
READ: dict[int | str, dict[str, Any]] = {400: {"description": "bad shift or time"}}


# -- models ------------------------------------------------------------------------------
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
    draft: dict[str, Any]
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
    results: list[dict[str, Any]]


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


# -- helpers -----------------------------------------------------------------------------
def _zone(rt: StationRuntime) -> ZoneInfo:
    return ZoneInfo(rt.config.station.timezone)


def _shift(rt: StationRuntime, text: str) -> Period:
    try:
        return rt.duty_calendar.shift_by_id(text)
    except (ValueError, OverflowError) as exc:
        raise HTTPException(400, f"no shift starts at {text}: {exc}") from None


def _refuse(
    rt: StationRuntime, user: User, action: str, obj: str, request: Request, exc: Exception
) -> Refused:
    kind: RefusalKind = "unknown" if isinstance(exc, KeyError) else "conflict"
    why = f"no such {obj}" if isinstance(exc, KeyError) else str(exc)
    return rt.duty_audit.refuse(user, action, obj, client_address(request), kind, why)


def _log_out(e: LogEntry) -> LogOut:
    return LogOut(
        id=e.id, event_time=from_ms(e.event_ms), written=from_ms(e.written_ms), author=e.author,
        on_duty=e.on_duty, category=e.category, text=e.text, tag=e.tag, value=e.value,
        corrects=e.corrects,
    )  # fmt: skip


def _hazard_out(h: Hazard, now_ms: int) -> HazardOut:
    return HazardOut(
        id=h.id, opened=from_ms(h.opened_ms), opened_by=h.opened_by, text=h.text,
        severity=h.severity, owner=h.owner, deadline=from_ms(h.deadline_ms),
        overdue=h.closed_ms is None and h.deadline_ms <= now_ms, source=h.source,
        closed=from_ms(h.closed_ms) if h.closed_ms else None, closed_by=h.closed_by,
        action=h.action,
    )  # fmt: skip


def _step_out(s: HandoverStep) -> HandoverStepOut:
    return HandoverStepOut(
        id=s.id, step=s.step, user=s.user, ts=from_ms(s.ts_ms), notes=s.notes, reason=s.reason
    )


# -- who is on duty, roster ------------------------------------------------------------
@router.get("/api/duty/now", response_model=OnDutyOut)
async def on_duty(request: Request) -> OnDutyOut:
    rt = runtime_of(request)
    desk, now = rt.duty, rt.now_ms()
    shift = desk.shift_at(now)
    return OnDutyOut(
        shift=desk.shift_id(shift),
        shift_end=shift.end,
        on_duty=desk.on_duty(now),
        previous_shift=desk.shift_id(desk.previous(shift)),
        previous_handover=desk.handover(desk.previous(shift)).state,
    )


@router.get("/api/duty/roster/{shift}", response_model=list[str], responses=READ)
def roster(request: Request, shift: ShiftText) -> list[str]:
    rt = runtime_of(request)
    return rt.duty.crew(_shift(rt, shift))


@router.put("/api/duty/roster/{shift}", response_model=list[str], responses=ACTION)
def set_roster(
    request: Request,
    shift: ShiftText,
    body: RosterIn,
    user: Annotated[User, Depends(RoleRequired(Role.shift_leader, "duty.roster"))],
) -> list[str]:
    rt = runtime_of(request)
    desk = rt.duty
    period = _shift(rt, shift)
    old = desk.crew(period)
    desk.records.set_roster(shift, body.members, user.username, rt.now_ms())
    rt.duty_audit.ok(user, "duty.roster", shift, client_address(request), old=old, new=body.members)
    return desk.crew(period)


# -- duty log ----------------------------------------------------------------------------
@router.get("/api/duty/log", response_model=list[LogOut], responses=READ)
def duty_log(
    request: Request,
    start: datetime | None = None,
    end: datetime | None = None,
    text: Annotated[str | None, Query(max_length=200)] = None,
    category: Annotated[str | None, Query(max_length=32)] = None,
    author: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[LogOut]:
    """By the time of the event, oldest first; `text` matches anywhere in the entry."""
    rt = runtime_of(request)
    zone = _zone(rt)
    rows = rt.duty.records.log(
        to_ms(start, zone) if start else None, to_ms(end, zone) if end else None,
        text, category, author, limit, offset,
    )  # fmt: skip
    return [_log_out(e) for e in rows]


@router.post("/api/duty/log", response_model=LogOut, responses=ACTION)
def write_log(
    request: Request,
    body: LogIn,
    user: Annotated[User, Depends(RoleRequired(Role.operator, "duty.log"))],
) -> LogOut:
    """Append-only: a correction is a new entry that names the one it corrects."""
    rt = runtime_of(request)
    now = rt.now_ms()
    event = to_ms(body.event_time, _zone(rt)) if body.event_time else now
    if event > now + 60_000:
        raise HTTPException(400, "an entry records what happened, not what is to come")
    try:
        entry = rt.duty.write(
            user.username, now, event, body.category, body.text, body.tag, body.value, body.corrects
        )
    except KeyError as exc:
        raise _refuse(rt, user, "duty.log", f"log entry {body.corrects}", request, exc) from None
    rt.duty_audit.ok(
        user,
        "duty.log",
        f"log/{entry.id}",
        client_address(request),
        new={"category": entry.category},
    )
    return _log_out(entry)


# -- standing orders ---------------------------------------------------------------------
def _order_out(o: Any) -> OrderOut:
    return OrderOut(
        id=o.id, text=o.text, issued_by=o.issued_by, issued=from_ms(o.issued_ms),
        start=from_ms(o.start_ms), end=from_ms(o.end_ms), acknowledged=o.acks,
    )  # fmt: skip


@router.get("/api/duty/orders", response_model=list[OrderOut], responses=READ)
def orders(request: Request, at: datetime | None = None) -> list[OrderOut]:
    """In force at `at`, or all."""
    rt = runtime_of(request)
    at_ms = to_ms(at, _zone(rt)) if at else None
    return [_order_out(o) for o in rt.duty.records.orders(at_ms=at_ms)]


@router.post("/api/duty/orders", response_model=OrderOut, responses=ACTION)
def issue_order(
    request: Request,
    body: OrderIn,
    user: Annotated[User, Depends(RoleRequired(Role.shift_leader, "duty.order"))],
) -> OrderOut:
    """Each shift acknowledges it at its handover, until it ends."""
    rt = runtime_of(request)
    zone = _zone(rt)
    start, end = to_ms(body.start, zone), to_ms(body.end, zone)
    if end <= start:
        raise HTTPException(400, "an order ends after it starts")
    now = rt.now_ms()
    records = rt.duty.records
    order_id = records.issue_order(body.text, user.username, now, start, end)
    rt.duty_audit.ok(
        user, "duty.order", f"order/{order_id}", client_address(request), new={"text": body.text}
    )
    return _order_out(next(o for o in records.orders() if o.id == order_id))


# -- handover ----------------------------------------------------------------------------
async def _handover_out(rt: StationRuntime, period: Period) -> HandoverOut:
    desk = rt.duty
    if period.start_ms > rt.now_ms():
        raise HTTPException(400, "that shift has not begun: no handover yet")
    status = desk.handover(period)
    kept = next((s.draft for s in reversed(status.steps) if s.draft is not None), None)
    draft = kept if kept is not None else await rt.handover_draft(period, wait_s=0)
    return HandoverOut(
        shift=status.shift, state=status.state, outgoing=status.outgoing,
        incoming=status.incoming, steps=[_step_out(s) for s in status.steps], draft=draft,
    )  # fmt: skip


@router.get("/api/duty/handovers/{shift}", response_model=HandoverOut, responses=READ)
async def handover(request: Request, shift: ShiftText) -> HandoverOut:
    """The handover at the end of `shift`: its steps, and its draft."""
    rt = runtime_of(request)
    return await _handover_out(rt, _shift(rt, shift))


@router.post("/api/duty/handovers/{shift}/sign", response_model=HandoverOut, responses=ACTION)
async def sign_handover(
    request: Request,
    shift: ShiftText,
    body: SignIn,
    user: Annotated[User, Depends(RoleRequired(Role.operator, "duty.handover.sign"))],
) -> HandoverOut:
    """The outgoing operator's notes and signature, over the draft as of now."""
    rt = runtime_of(request)
    period = _shift(rt, shift)
    if period.end_ms - 3_600_000 > rt.now_ms() or period.end_ms < rt.now_ms() - 30 * 86_400_000:
        why = NotAllowed(
            f"the handover of {shift} is signed from an hour before its end, within 30 days"
        )
        raise _refuse(rt, user, "duty.handover.sign", f"handover/{shift}", request, why)
    draft = await rt.handover_draft(period)
    notes = {str(k): v for k, v in body.notes.items()}
    try:
        rt.duty.sign(period, user.username, rt.now_ms(), notes, draft)
    except (NotAllowed, ValueError) as exc:
        raise _refuse(rt, user, "duty.handover.sign", f"handover/{shift}", request, exc) from None
    rt.duty_audit.ok(
        user, "duty.handover.sign", f"handover/{shift}", client_address(request), new=notes
    )
    return await _handover_out(rt, period)


@router.post("/api/duty/handovers/{shift}/accept", response_model=HandoverOut, responses=ACTION)
async def accept_handover(
    request: Request,
    shift: ShiftText,
    user: Annotated[User, Depends(RoleRequired(Role.operator, "duty.handover.accept"))],
) -> HandoverOut:
    """The incoming operator takes over (and acknowledges the standing orders in force)."""
    rt = runtime_of(request)
    period = _shift(rt, shift)
    try:
        rt.duty.accept(period, user.username, rt.now_ms())
    except NotAllowed as exc:
        raise _refuse(rt, user, "duty.handover.accept", f"handover/{shift}", request, exc) from None
    rt.duty_audit.ok(user, "duty.handover.accept", f"handover/{shift}", client_address(request))
    return await _handover_out(rt, period)


@router.post("/api/duty/handovers/{shift}/refuse", response_model=HandoverOut, responses=ACTION)
async def refuse_handover(
    request: Request,
    shift: ShiftText,
    body: RefuseIn,
    user: Annotated[User, Depends(RoleRequired(Role.operator, "duty.handover.refuse"))],
) -> HandoverOut:
    """The incoming operator refuses, with the reason: the outgoing stays on duty."""
    rt = runtime_of(request)
    period = _shift(rt, shift)
    try:
        rt.duty.refuse(period, user.username, rt.now_ms(), body.reason)
    except NotAllowed as exc:
        raise _refuse(rt, user, "duty.handover.refuse", f"handover/{shift}", request, exc) from None
    rt.duty_audit.ok(
        user,
        "duty.handover.refuse",
        f"handover/{shift}",
        client_address(request),
        reason=body.reason,
    )
    return await _handover_out(rt, period)


# -- rounds ------------------------------------------------------------------------------
def _rounds_of(rt: StationRuntime, period: Period) -> list[RoundOut]:
    desk, now = rt.duty, rt.now_ms()
    lang = rt.config.station.language.value
    return [
        RoundOut(
            id=record.id,
            round=cfg.id,
            name=cfg.name_zh if lang == "zh" else cfg.name_en,
            due=from_ms(record.due_ms),
            state=state.state,
            started_by=record.started_by,
            done_by=record.done_by,
            approved_by=record.approved_by,
            items=[
                RoundItemOut(
                    id=i.id,
                    name=i.name_zh if lang == "zh" else i.name_en,
                    tag=i.tag,
                    tolerance=i.tolerance,
                )
                for i in cfg.items
            ],
            results=[]
            if record.id is None
            else [asdict(r) for r in desk.records.results(record.id)],
        )
        for cfg, record, state in desk.round_slots(period, now)
    ]


@router.get("/api/duty/rounds", response_model=list[RoundOut], responses=READ)
def rounds(
    request: Request,
    shift: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$")] = None,
) -> list[RoundOut]:
    """The rounds of a shift (default: the one under way) with their state."""
    rt = runtime_of(request)
    period = _shift(rt, shift) if shift else rt.duty.shift_at(rt.now_ms())
    return _rounds_of(rt, period)


RoundId = Annotated[int, Path(ge=1, le=2**62)]


def _round_act(
    request: Request, user: User, record_id: int, action: str, fn: Any, *args: Any
) -> RoundRecord:
    rt = runtime_of(request)
    try:
        record: RoundRecord = fn(record_id, *args, user.username, rt.now_ms())
    except (NotAllowed, KeyError) as exc:
        raise _refuse(rt, user, action, f"round/{record_id}", request, exc) from None
    rt.duty_audit.ok(user, action, f"round/{record_id}", client_address(request))
    return record


def _one_round(rt: StationRuntime, record: RoundRecord) -> RoundOut:
    period = rt.duty.shift_at(record.due_ms)
    return next(r for r in _rounds_of(rt, period) if r.id == record.id)


@router.post("/api/duty/rounds/{record}/start", response_model=RoundOut, responses=ACTION)
def start_round(
    request: Request,
    record: RoundId,
    user: Annotated[User, Depends(RoleRequired(Role.operator, "duty.round.start"))],
) -> RoundOut:
    rt = runtime_of(request)
    done = _round_act(request, user, record, "duty.round.start", rt.duty.start_round)
    return _one_round(rt, done)


@router.post("/api/duty/rounds/{record}/items", response_model=ItemOut, responses=ACTION)
async def record_item(
    request: Request,
    record: RoundId,
    body: ItemIn,
    user: Annotated[User, Depends(RoleRequired(Role.operator, "duty.round.item"))],
) -> ItemOut:
    """One item's result; a reading is compared with its transmitter's live value, and a
    not-OK item (or a disagreeing gauge) opens a hazard."""
    rt = runtime_of(request)
    desk = rt.duty
    try:
        result, hazard = await rt.call(
            desk.record_item, record, body.item, body.ok, body.reading, body.note,
            user.username, rt.now_ms(),
        )  # fmt: skip
    except (NotAllowed, KeyError) as exc:
        raise _refuse(
            rt, user, "duty.round.item", f"round/{record}/{body.item}", request, exc
        ) from None
    rt.duty_audit.ok(
        user,
        "duty.round.item",
        f"round/{record}/{body.item}",
        client_address(request),
        new={"ok": body.ok, "reading": body.reading},
    )
    return ItemOut(
        item=result.item, ok=result.ok, reading=result.reading, live=result.live,
        flagged=result.flagged, hazard=hazard.id if hazard else None,
    )  # fmt: skip


@router.post("/api/duty/rounds/{record}/complete", response_model=RoundOut, responses=ACTION)
def complete_round(
    request: Request,
    record: RoundId,
    user: Annotated[User, Depends(RoleRequired(Role.operator, "duty.round.complete"))],
) -> RoundOut:
    rt = runtime_of(request)
    done = _round_act(request, user, record, "duty.round.complete", rt.duty.complete_round)
    return _one_round(rt, done)


@router.post("/api/duty/rounds/{record}/approve", response_model=RoundOut, responses=ACTION)
def approve_round(
    request: Request,
    record: RoundId,
    user: Annotated[User, Depends(RoleRequired(Role.shift_leader, "duty.round.approve"))],
) -> RoundOut:
    rt = runtime_of(request)
    done = _round_act(request, user, record, "duty.round.approve", rt.duty.approve_round)
    return _one_round(rt, done)


# -- hazards -----------------------------------------------------------------------------
@router.get("/api/duty/hazards", response_model=list[HazardOut])
def hazards(
    request: Request,
    open_only: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[HazardOut]:
    rt = runtime_of(request)
    now = rt.now_ms()
    rows = rt.duty.records.hazards(now if open_only else None, limit, offset)
    return [_hazard_out(h, now) for h in rows]


@router.post("/api/duty/hazards", response_model=HazardOut, responses=ACTION)
def open_hazard(
    request: Request,
    body: HazardIn,
    user: Annotated[User, Depends(RoleRequired(Role.operator, "duty.hazard.open"))],
) -> HazardOut:
    rt = runtime_of(request)
    now = rt.now_ms()
    deadline = to_ms(body.deadline, _zone(rt))
    desk = rt.duty
    h = desk.records.open_hazard(
        now, user.username, body.text, body.severity, body.owner, deadline, "entered"
    )
    rt.duty_audit.ok(
        user,
        "duty.hazard.open",
        f"hazard/{h.id}",
        client_address(request),
        new={"severity": h.severity},
    )
    return _hazard_out(h, now)


@router.post("/api/duty/hazards/{hazard}/close", response_model=HazardOut, responses=ACTION)
def close_hazard(
    request: Request,
    hazard: Annotated[int, Path(ge=1, le=2**62)],
    body: CloseIn,
    user: Annotated[User, Depends(RoleRequired(Role.station_master, "duty.hazard.close"))],
) -> HazardOut:
    """Closed by the station master, with what was done."""
    rt = runtime_of(request)
    now, records = rt.now_ms(), rt.duty.records
    found = records.hazard(hazard)
    if found is None:
        raise _refuse(rt, user, "duty.hazard.close", f"hazard/{hazard}", request, KeyError(hazard))
    if not records.close_hazard(hazard, user.username, now, body.action):
        raise _refuse(
            rt,
            user,
            "duty.hazard.close",
            f"hazard/{hazard}",
            request,
            NotAllowed(f"hazard {hazard} is closed already"),
        )
    rt.duty_audit.ok(
        user,
        "duty.hazard.close",
        f"hazard/{hazard}",
        client_address(request),
        new={"action": body.action},
    )
    closed = records.hazard(hazard)
    assert closed is not None
    return _hazard_out(closed, now)
