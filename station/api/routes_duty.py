"""The duty workflows over HTTP: who is on duty, roster, duty log, standing orders, handover,
inspection rounds and hazards. The rules are in `station.duty.service`; a route parses, calls
it, audits through its actor, and shapes the answer."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import HTTPException, Path, Query

from station.alarms.lifecycle import NotAllowed
from station.api.access import guarded_router
from station.api.deps import Actor, Config, Duty, NowMs, Zone, acting
from station.api.schemas.duty import (
    CloseIn,
    HandoverDraftOut,
    HandoverOut,
    HandoverStepOut,
    HazardIn,
    HazardOut,
    ItemIn,
    ItemOut,
    LogIn,
    LogOut,
    OnDutyOut,
    OrderIn,
    OrderOut,
    RefuseIn,
    RosterIn,
    RoundItemOut,
    RoundOut,
    RoundResultOut,
    SignIn,
)
from station.api.timefmt import from_ms, to_ms
from station.calendar import Period
from station.config.models import StationConfig
from station.duty.service import DutyService, Handover, RoundSlot
from station.duty.store import HandoverStep, Hazard, LogEntry, RoundRecord, StandingOrder
from station.users import Role

router = guarded_router(tags=["duty"])
ShiftText = Annotated[
    str,
    Path(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$", description="the shift's local start"),
]
RoundId = Annotated[int, Path(ge=1, le=2**62)]
ACTION: dict[int | str, dict[str, Any]] = {
    400: {"description": "a time outside the calendar, or no such shift"},
    401: {"description": "not logged in"},
    403: {"description": "role too low"},
    404: {"description": "no such record"},
    409: {"description": "not possible in the record's state, or not this user's shift"},
}
READ: dict[int | str, dict[str, Any]] = {400: {"description": "bad shift or time"}}
REFUSED = (NotAllowed, KeyError, ValueError)


def _shift(duty: DutyService, text: str) -> Period:
    try:
        return duty.shift(text)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None


def _log_out(e: LogEntry) -> LogOut:
    return LogOut(
        id=e.id,
        event_time=from_ms(e.event_ms),
        written=from_ms(e.written_ms),
        author=e.author,
        on_duty=e.on_duty,
        category=e.category,
        text=e.text,
        tag=e.tag,
        value=e.value,
        corrects=e.corrects,
    )


def _hazard_out(h: Hazard, now_ms: int) -> HazardOut:
    return HazardOut(
        id=h.id,
        opened=from_ms(h.opened_ms),
        opened_by=h.opened_by,
        text=h.text,
        severity=h.severity,
        owner=h.owner,
        deadline=from_ms(h.deadline_ms),
        overdue=h.closed_ms is None and h.deadline_ms <= now_ms,
        source=h.source,
        closed=from_ms(h.closed_ms) if h.closed_ms else None,
        closed_by=h.closed_by,
        action=h.action,
    )


def _step_out(s: HandoverStep) -> HandoverStepOut:
    return HandoverStepOut(
        id=s.id, step=s.step, user=s.user, ts=from_ms(s.ts_ms), notes=s.notes, reason=s.reason
    )


def _order_out(o: StandingOrder) -> OrderOut:
    return OrderOut(
        id=o.id,
        text=o.text,
        issued_by=o.issued_by,
        issued=from_ms(o.issued_ms),
        start=from_ms(o.start_ms),
        end=from_ms(o.end_ms),
        acknowledged=o.acks,
    )


def _handover_out(h: Handover) -> HandoverOut:
    s = h.status
    return HandoverOut(
        shift=s.shift,
        state=s.state,
        outgoing=s.outgoing,
        incoming=s.incoming,
        steps=[_step_out(x) for x in s.steps],
        draft=HandoverDraftOut.model_validate(h.draft),
    )


def _round_out(slot: RoundSlot, config: StationConfig) -> RoundOut:
    cfg, record, zh = slot.config, slot.record, config.station.language.value == "zh"
    return RoundOut(
        id=record.id,
        round=cfg.id,
        name=cfg.name_zh if zh else cfg.name_en,
        due=from_ms(record.due_ms),
        state=slot.state.state,
        started_by=record.started_by,
        done_by=record.done_by,
        approved_by=record.approved_by,
        items=[
            RoundItemOut(
                id=i.id, name=i.name_zh if zh else i.name_en, tag=i.tag, tolerance=i.tolerance
            )
            for i in cfg.items
        ],
        results=[RoundResultOut(**asdict(r)) for r in slot.results],
    )


# -- who is on duty, roster ------------------------------------------------------------
@router.get("/api/duty/now", response_model=OnDutyOut)
async def on_duty(duty: Duty, now: NowMs) -> OnDutyOut:
    d = duty.on_duty(now)
    return OnDutyOut(
        shift=d.shift_id,
        shift_end=d.shift.end,
        on_duty=d.on_duty,
        previous_shift=d.previous_shift_id,
        previous_handover=d.previous_state,
    )


@router.get("/api/duty/roster/{shift}", response_model=list[str], responses=READ)
def roster(duty: Duty, shift: ShiftText) -> list[str]:
    return duty.crew(_shift(duty, shift))


@router.put("/api/duty/roster/{shift}", response_model=list[str], responses=ACTION)
def set_roster(
    duty: Duty,
    now: NowMs,
    shift: ShiftText,
    body: RosterIn,
    actor: Annotated[Actor, acting(Role.shift_leader, "duty.roster")],
) -> list[str]:
    old, new = duty.set_roster(_shift(duty, shift), body.members, actor.name, now)
    actor.ok(shift, old=old, new=body.members)
    return new


# -- duty log ----------------------------------------------------------------------------
@router.get("/api/duty/log", response_model=list[LogOut], responses=READ)
def duty_log(
    duty: Duty,
    zone: Zone,
    start: datetime | None = None,
    end: datetime | None = None,
    text: Annotated[str | None, Query(max_length=200)] = None,
    category: Annotated[str | None, Query(max_length=32)] = None,
    author: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    order: Literal["oldest", "newest"] = "oldest",
) -> list[LogOut]:
    """By the time of the event, oldest first (`order=newest`: the latest first, as the page
    shows them, paged back with `offset`); `text` matches anywhere in the entry."""
    rows = duty.log(
        start_ms=to_ms(start, zone) if start else None,
        end_ms=to_ms(end, zone) if end else None,
        text=text,
        category=category,
        author=author,
        limit=limit,
        offset=offset,
        newest_first=order == "newest",
    )
    return [_log_out(e) for e in rows]


@router.post("/api/duty/log", response_model=LogOut, responses=ACTION)
async def write_log(
    duty: Duty,
    zone: Zone,
    now: NowMs,
    body: LogIn,
    actor: Annotated[Actor, acting(Role.operator, "duty.log")],
) -> LogOut:
    """Append-only: a correction is a new entry that names the one it corrects."""
    try:
        entry = await duty.write(
            user=actor.name,
            now_ms=now,
            event_ms=to_ms(body.event_time, zone) if body.event_time else None,
            category=body.category,
            text=body.text,
            tag=body.tag,
            value=body.value,
            corrects=body.corrects,
        )
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    except KeyError as exc:
        raise actor.refuse(f"log entry {body.corrects}", exc) from None
    actor.ok(f"log/{entry.id}", new={"category": entry.category})
    return _log_out(entry)


# -- standing orders ---------------------------------------------------------------------
@router.get("/api/duty/orders", response_model=list[OrderOut], responses=READ)
def orders(duty: Duty, zone: Zone, at: datetime | None = None) -> list[OrderOut]:
    """In force at `at`, or all."""
    return [_order_out(o) for o in duty.orders(to_ms(at, zone) if at else None)]


@router.post("/api/duty/orders", response_model=OrderOut, responses=ACTION)
def issue_order(
    duty: Duty,
    zone: Zone,
    now: NowMs,
    body: OrderIn,
    actor: Annotated[Actor, acting(Role.shift_leader, "duty.order")],
) -> OrderOut:
    """Each shift acknowledges it at its handover, until it ends."""
    try:
        order = duty.issue_order(
            text=body.text,
            user=actor.name,
            now_ms=now,
            start_ms=to_ms(body.start, zone),
            end_ms=to_ms(body.end, zone),
        )
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    actor.ok(f"order/{order.id}", new={"text": body.text})
    return _order_out(order)


# -- handover ----------------------------------------------------------------------------
async def _handover(duty: DutyService, period: Period, now_ms: int) -> HandoverOut:
    try:
        return _handover_out(await duty.handover(period, now_ms))
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None


@router.get("/api/duty/handovers/{shift}", response_model=HandoverOut, responses=READ)
async def handover(duty: Duty, now: NowMs, shift: ShiftText) -> HandoverOut:
    """The handover at the end of `shift`: its steps, and its draft."""
    return await _handover(duty, _shift(duty, shift), now)


@router.post("/api/duty/handovers/{shift}/sign", response_model=HandoverOut, responses=ACTION)
async def sign_handover(
    duty: Duty,
    now: NowMs,
    shift: ShiftText,
    body: SignIn,
    actor: Annotated[Actor, acting(Role.operator, "duty.handover.sign")],
) -> HandoverOut:
    """The outgoing operator's notes and signature, over the draft as of now."""
    period = _shift(duty, shift)
    notes = {str(k): v for k, v in body.notes.items()}
    try:
        await duty.sign(period, actor.name, now, notes)
    except REFUSED as exc:
        raise actor.refuse(f"handover/{shift}", exc) from None
    actor.ok(f"handover/{shift}", new=notes)
    return await _handover(duty, period, now)


@router.post("/api/duty/handovers/{shift}/accept", response_model=HandoverOut, responses=ACTION)
async def accept_handover(
    duty: Duty,
    now: NowMs,
    shift: ShiftText,
    actor: Annotated[Actor, acting(Role.operator, "duty.handover.accept")],
) -> HandoverOut:
    """The incoming operator takes over (and acknowledges the standing orders in force)."""
    period = _shift(duty, shift)
    try:
        await duty.accept(period, actor.name, now)
    except NotAllowed as exc:
        raise actor.refuse(f"handover/{shift}", exc) from None
    actor.ok(f"handover/{shift}")
    return await _handover(duty, period, now)


@router.post("/api/duty/handovers/{shift}/refuse", response_model=HandoverOut, responses=ACTION)
async def refuse_handover(
    duty: Duty,
    now: NowMs,
    shift: ShiftText,
    body: RefuseIn,
    actor: Annotated[Actor, acting(Role.operator, "duty.handover.refuse")],
) -> HandoverOut:
    """The incoming operator refuses, with the reason: the outgoing stays on duty."""
    period = _shift(duty, shift)
    try:
        await duty.refuse(period, actor.name, now, body.reason)
    except NotAllowed as exc:
        raise actor.refuse(f"handover/{shift}", exc) from None
    actor.ok(f"handover/{shift}", reason=body.reason)
    return await _handover(duty, period, now)


# -- rounds ------------------------------------------------------------------------------
@router.get("/api/duty/rounds", response_model=list[RoundOut], responses=READ)
def rounds(
    duty: Duty,
    config: Config,
    now: NowMs,
    shift: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$")] = None,
) -> list[RoundOut]:
    """The rounds of a shift (default: the one under way) with their state."""
    period = _shift(duty, shift) if shift else duty.on_duty(now).shift
    return [_round_out(s, config) for s in duty.rounds(period, now)]


async def _round_step(
    duty: DutyService, config: StationConfig, actor: Actor, record_id: int, now_ms: int
) -> RoundOut:
    step = {
        "duty.round.start": duty.start_round,
        "duty.round.complete": duty.complete_round,
        "duty.round.approve": duty.approve_round,
    }[actor.action]
    try:
        record: RoundRecord = await step(record_id, actor.name, now_ms)
    except (NotAllowed, KeyError) as exc:
        raise actor.refuse(f"round/{record_id}", exc) from None
    actor.ok(f"round/{record_id}")
    return _round_out(duty.round_of(record, now_ms), config)


@router.post("/api/duty/rounds/{record}/start", response_model=RoundOut, responses=ACTION)
async def start_round(
    duty: Duty,
    config: Config,
    now: NowMs,
    record: RoundId,
    actor: Annotated[Actor, acting(Role.operator, "duty.round.start")],
) -> RoundOut:
    return await _round_step(duty, config, actor, record, now)


@router.post("/api/duty/rounds/{record}/items", response_model=ItemOut, responses=ACTION)
async def record_item(
    duty: Duty,
    now: NowMs,
    record: RoundId,
    body: ItemIn,
    actor: Annotated[Actor, acting(Role.operator, "duty.round.item")],
) -> ItemOut:
    """One item's result; a reading is compared with its transmitter's live value, and a
    not-OK item (or a disagreeing gauge) opens a hazard."""
    obj = f"round/{record}/{body.item}"
    try:
        result, hazard = await duty.record_item(
            record_id=record,
            item=body.item,
            ok=body.ok,
            reading=body.reading,
            note=body.note,
            user=actor.name,
            now_ms=now,
        )
    except (NotAllowed, KeyError) as exc:
        raise actor.refuse(obj, exc) from None
    actor.ok(obj, new={"ok": body.ok, "reading": body.reading})
    return ItemOut(
        item=result.item,
        ok=result.ok,
        reading=result.reading,
        live=result.live,
        flagged=result.flagged,
        hazard=hazard.id if hazard else None,
    )


@router.post("/api/duty/rounds/{record}/complete", response_model=RoundOut, responses=ACTION)
async def complete_round(
    duty: Duty,
    config: Config,
    now: NowMs,
    record: RoundId,
    actor: Annotated[Actor, acting(Role.operator, "duty.round.complete")],
) -> RoundOut:
    return await _round_step(duty, config, actor, record, now)


@router.post("/api/duty/rounds/{record}/approve", response_model=RoundOut, responses=ACTION)
async def approve_round(
    duty: Duty,
    config: Config,
    now: NowMs,
    record: RoundId,
    actor: Annotated[Actor, acting(Role.shift_leader, "duty.round.approve")],
) -> RoundOut:
    return await _round_step(duty, config, actor, record, now)


# -- hazards -----------------------------------------------------------------------------
@router.get("/api/duty/hazards", response_model=list[HazardOut])
def hazards(
    duty: Duty,
    now: NowMs,
    open_only: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[HazardOut]:
    rows = duty.hazards(open_at_ms=now if open_only else None, limit=limit, offset=offset)
    return [_hazard_out(h, now) for h in rows]


@router.post("/api/duty/hazards", response_model=HazardOut, responses=ACTION)
def open_hazard(
    duty: Duty,
    zone: Zone,
    now: NowMs,
    body: HazardIn,
    actor: Annotated[Actor, acting(Role.operator, "duty.hazard.open")],
) -> HazardOut:
    h = duty.open_hazard(
        user=actor.name,
        now_ms=now,
        text=body.text,
        severity=body.severity,
        owner=body.owner,
        deadline_ms=to_ms(body.deadline, zone),
    )
    actor.ok(f"hazard/{h.id}", new={"severity": h.severity})
    return _hazard_out(h, now)


@router.post("/api/duty/hazards/{hazard}/close", response_model=HazardOut, responses=ACTION)
def close_hazard(
    duty: Duty,
    now: NowMs,
    hazard: Annotated[int, Path(ge=1, le=2**62)],
    body: CloseIn,
    actor: Annotated[Actor, acting(Role.station_master, "duty.hazard.close")],
) -> HazardOut:
    """Closed by the station master, with what was done."""
    try:
        closed = duty.close_hazard(hazard, actor.name, now, body.action)
    except (NotAllowed, KeyError) as exc:
        raise actor.refuse(f"hazard/{hazard}", exc) from None
    actor.ok(f"hazard/{hazard}", new={"action": body.action})
    return _hazard_out(closed, now)
