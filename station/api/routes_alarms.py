"""Alarms over HTTP: current and past, operator actions, rule changes, KPIs, live push (SSE)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field, field_validator

from station.alarms.kpi import alarm_kpi
from station.alarms.lifecycle import NotAllowed, State
from station.api.auth import client_address, require
from station.api.routes_live import runtime_of
from station.api.timefmt import from_ms, to_ms
from station.users import Role

router = APIRouter(tags=["alarms"])
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"description": "not possible in the alarm's state"},
    404: {"description": "unknown alarm"},
    401: {"description": "not logged in"},
    403: {"description": "role too low"},
}


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class LoginOut(BaseModel):
    token: str
    username: str
    role: str
    expires: datetime


class AckIn(BaseModel):
    ids: list[str] = Field(min_length=1, max_length=1000)
    comment: str | None = Field(default=None, max_length=500)


class ShelveIn(BaseModel):
    reason: str = Field(min_length=3, max_length=500)
    duration_s: float | None = Field(default=None, gt=0)
    """None: one-shot, until the alarm next clears or the role's cap, whichever comes first."""

    @field_validator("reason")
    @classmethod
    def _a_reason_says_something(cls, v: str) -> str:
        if len(v.strip()) < 3:
            raise ValueError("a reason of blanks is not a reason")
        return v.strip()


class CommentIn(BaseModel):
    comment: str | None = Field(default=None, max_length=500)


class OutOfServiceIn(BaseModel):
    enabled: bool
    reason: str = Field(min_length=3, max_length=500)


class RuleChangeIn(BaseModel):
    changes: dict[str, float] = Field(min_length=1)
    reason: str = Field(min_length=3, max_length=500)


class ActionResult(BaseModel):
    done: list[str]
    refused: dict[str, str] = {}


@router.post(
    "/api/login",
    response_model=LoginOut,
    tags=["auth"],
    responses={401: {"description": "wrong user name or password"}},
)
def login(request: Request, body: LoginIn) -> LoginOut:
    rt = runtime_of(request)
    now = rt.now_ms()
    user = rt.users.authenticate(body.username, body.password)
    if user is None:
        rt.audit.append(
            now,
            body.username,
            "login",
            "denied: wrong user name or password",
            address=client_address(request),
        )
        raise HTTPException(401, "wrong user name or password")
    token, expires = rt.users.open_session(user, now)
    rt.audit.append(
        now, user.username, "login", "ok", role=user.role.name, address=client_address(request)
    )
    return LoginOut(
        token=token, username=user.username, role=user.role.name, expires=from_ms(expires)
    )


def _audit_ok(request: Request, user: Any, action: str, obj: str, **kw: Any) -> None:
    rt = runtime_of(request)
    rt.audit.append(
        rt.now_ms(),
        user.username,
        action,
        "ok",
        role=user.role.name,
        address=client_address(request),
        obj=obj,
        **kw,
    )


def _refuse(request: Request, user: Any, action: str, obj: str, why: str, code: int) -> None:
    rt = runtime_of(request)
    rt.audit.append(
        rt.now_ms(),
        user.username,
        action,
        f"denied: {why}",
        role=user.role.name,
        address=client_address(request),
        obj=obj,
    )
    raise HTTPException(code, why)


def _alarm_out(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    for key in ("raised_ms", "cleared_ms", "acked_ms", "shelved_until_ms"):
        out[key.removesuffix("_ms")] = from_ms(row[key]).isoformat() if row[key] else None
        del out[key]
    return out


@router.get("/api/alarms")
def current_alarms(
    request: Request,
    include_normal: Annotated[
        bool, Query(description="every alarm point, not only standing ones")
    ] = False,
    state: Annotated[State | None, Query()] = None,
) -> list[dict[str, Any]]:
    rt = runtime_of(request)
    rows = rt.alarms.current(include_normal=include_normal or state is State.NORMAL)
    return [_alarm_out(r) for r in rows if state is None or r["state"] == state.value]


@router.get("/api/alarms/history")
def alarm_history(
    request: Request,
    start: datetime | None = None,
    end: datetime | None = None,
    alarm: str | None = None,
    tag: str | None = None,
    priority: Annotated[int | None, Query(ge=1, le=4)] = None,
    event: str | None = None,
    state: State | None = None,
    user: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 1000,
) -> list[dict[str, Any]]:
    rt = runtime_of(request)
    zone = ZoneInfo(rt.config.station.timezone)
    events = rt.journal.events(
        to_ms(start, zone) if start else None,
        to_ms(end, zone) if end else None,
        alarm,
        tag,
        priority,
        event,
        state.value if state else None,
        user,
        limit,
    )
    return [
        {
            "seq": e.seq,
            "ts": from_ms(e.ts_ms).isoformat(),
            "alarm": e.alarm,
            "event": e.event,
            "state": e.state,
            "priority": e.priority,
            "tag": e.tag,
            "value": e.value,
            "text_zh": e.text_zh,
            "text_en": e.text_en,
            "user": e.user,
            "comment": e.comment,
        }
        for e in events
    ]


@router.post("/api/alarms/ack", response_model=ActionResult, responses=CONFLICT)
def acknowledge(request: Request, body: AckIn) -> ActionResult:
    # Never blocked by a login time-out: an expired session still identifies the operator.
    user = require(request, "alarm.ack", ",".join(body.ids), Role.operator, allow_expired=True)
    rt = runtime_of(request)
    result = ActionResult(done=[])
    for alarm in body.ids:
        try:
            rt.alarms.ack(alarm, user.username, body.comment, rt.now_ms())
        except KeyError:
            result.refused[alarm] = "unknown alarm"
            continue
        except NotAllowed as exc:
            result.refused[alarm] = str(exc)
            continue
        result.done.append(alarm)
        _audit_ok(request, user, "alarm.ack", alarm, reason=body.comment)
    if not result.done and result.refused:
        code = 404 if all(v == "unknown alarm" for v in result.refused.values()) else 409
        raise HTTPException(code, result.refused)
    return result


def _act(
    request: Request,
    alarm: str,
    action: str,
    minimum: Role,
    fn: Any,
    audit: dict[str, Any] | None = None,
) -> ActionResult:
    user = require(request, action, alarm, minimum)
    rt = runtime_of(request)
    if alarm not in rt.alarms.points:
        raise HTTPException(404, f"unknown alarm {alarm!r}")
    try:
        fn(user)
    except NotAllowed as exc:
        _refuse(request, user, action, alarm, str(exc), 409)
    _audit_ok(request, user, action, alarm, **(audit or {}))
    return ActionResult(done=[alarm])


@router.post("/api/alarms/{alarm}/shelve", response_model=ActionResult, responses=CONFLICT)
def shelve(request: Request, alarm: str, body: ShelveIn) -> ActionResult:
    rt = runtime_of(request)
    user = require(request, "alarm.shelve", alarm, Role.operator)
    point = rt.alarms.points.get(alarm)
    if point is None:
        raise HTTPException(404, f"unknown alarm {alarm!r}")
    if point.priority == 1 and user.role < Role.shift_leader:
        _refuse(
            request,
            user,
            "alarm.shelve",
            alarm,
            "priority 1 alarms are shelved by a shift leader or above",
            403,
        )
    limit = rt.config.alarms.shelve_max_s.get(user.role.name, 0)  # type: ignore[call-overload]
    duration = body.duration_s
    if duration is not None and duration > limit:
        _refuse(
            request,
            user,
            "alarm.shelve",
            alarm,
            f"{user.role.name} may shelve for at most {limit:g} s",
            403,
        )
    now = rt.now_ms()
    # a one-shot shelve ends when the alarm clears, and at the role's cap at the latest
    oneshot = duration is None
    until = now + int((limit if duration is None else duration) * 1000)
    return _act(
        request,
        alarm,
        "alarm.shelve",
        Role.operator,
        lambda u: rt.alarms.shelve(alarm, u.username, body.reason, until, now, oneshot),
        {"reason": body.reason, "new": {"until": until, "oneshot": oneshot}},
    )


@router.post("/api/alarms/{alarm}/unshelve", response_model=ActionResult, responses=CONFLICT)
def unshelve(request: Request, alarm: str) -> ActionResult:
    rt = runtime_of(request)
    return _act(
        request,
        alarm,
        "alarm.unshelve",
        Role.operator,
        lambda u: rt.alarms.unshelve(alarm, u.username, rt.now_ms()),
    )


@router.post("/api/alarms/{alarm}/reset", response_model=ActionResult, responses=CONFLICT)
def reset(request: Request, alarm: str, body: CommentIn) -> ActionResult:
    rt = runtime_of(request)
    return _act(
        request,
        alarm,
        "alarm.reset",
        Role.operator,
        lambda u: rt.alarms.reset(alarm, u.username, body.comment, rt.now_ms()),
        {"reason": body.comment},
    )


@router.post("/api/alarms/{alarm}/out-of-service", response_model=ActionResult, responses=CONFLICT)
def out_of_service(request: Request, alarm: str, body: OutOfServiceIn) -> ActionResult:
    rt = runtime_of(request)
    return _act(
        request,
        alarm,
        "alarm.out_of_service" if body.enabled else "alarm.return_to_service",
        Role.station_master,
        lambda u: rt.alarms.out_of_service(
            alarm, body.enabled, u.username, body.reason, rt.now_ms()
        ),
        {"reason": body.reason, "old": not body.enabled, "new": body.enabled},
    )


@router.get("/api/alarms/rules")
def rules(request: Request) -> list[dict[str, Any]]:
    rt = runtime_of(request)
    return [
        {
            "id": p.id,
            "kind": p.kind,
            "tag": p.tag,
            "priority": p.priority,
            "limit": p.limit,
            "deadband": p.deadband,
            "on_delay_s": p.on_delay_s,
            "off_delay_s": p.off_delay_s,
            "latch": p.latch,
            "suppressed_by": list(p.suppressed_by),
        }
        for p in rt.alarms.points.values()
    ]


@router.put("/api/alarms/rules/{alarm}", response_model=ActionResult, responses=CONFLICT)
def change_rule(request: Request, alarm: str, body: RuleChangeIn) -> ActionResult:
    """Management of change: takes effect at once, survives restarts, old → new audited."""
    user = require(request, "alarm.rule_change", alarm, Role.station_master)
    rt = runtime_of(request)
    if alarm not in rt.alarms.points:
        raise HTTPException(404, f"unknown alarm {alarm!r}")
    try:
        old, new = rt.alarms.change_rule(
            alarm, body.changes, user.username, body.reason, rt.now_ms()
        )
    except (NotAllowed, ValueError) as exc:
        _refuse(request, user, "alarm.rule_change", alarm, str(exc), 409)
    _audit_ok(request, user, "alarm.rule_change", alarm, old=old, new=new, reason=body.reason)
    return ActionResult(done=[alarm])


KPI_MAX_DAYS = 400
"""A year and a bit: the yearly safety report, with the month on either side."""


@router.get("/api/alarms/kpi")
def kpi(request: Request, start: datetime, end: datetime) -> dict[str, Any]:
    """EEMUA 191 figures for any period (the safety report uses these)."""
    rt = runtime_of(request)
    zone = ZoneInfo(rt.config.station.timezone)
    s, e = to_ms(start, zone), to_ms(end, zone)
    if e <= s:
        raise HTTPException(400, "end must be after start")
    if e - s > KPI_MAX_DAYS * 86_400_000:
        raise HTTPException(400, f"KPIs cover at most {KPI_MAX_DAYS} days per request")
    standing = {
        a: st.raised_ms
        for a, st in rt.alarms.status.items()
        if st.active and st.raised_ms is not None
    }
    k = alarm_kpi(rt.journal.events(s, e, limit=1_000_000), s, e, standing, rt.now_ms())
    return {
        "start": from_ms(k.start_ms).isoformat(),
        "end": from_ms(k.end_ms).isoformat(),
        "raised": k.raised,
        "per_10_min": round(k.per_10_min, 3),
        "max_in_10_min": k.max_in_10_min,
        "floods": [
            {
                "start": from_ms(f.start_ms).isoformat(),
                "end": from_ms(f.end_ms).isoformat(),
                "alarms": f.alarms,
            }
            for f in k.floods
        ],
        "chattering": k.chattering,
        "standing": k.standing,
        "by_priority": k.by_priority,
        "priority_share": {p: round(n / k.raised, 3) for p, n in k.by_priority.items()}
        if k.raised
        else {},
        "top10": [{"alarm": a, "count": n} for a, n in k.top10],
    }


@router.get("/api/alarms/stream")
async def stream(request: Request) -> StreamingResponse:
    """Server-sent events: a snapshot of standing alarms, then every life-cycle event."""
    rt = runtime_of(request)
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=10_000)

    def listener(message: dict[str, Any]) -> None:
        # a client that stopped reading loses events, never the engine
        with contextlib.suppress(asyncio.QueueFull):
            queue.put_nowait(message)

    async def events() -> AsyncIterator[str]:
        rt.alarms.listeners.append(listener)
        try:
            snapshot = [_alarm_out(r) for r in rt.alarms.current()]
            yield f"event: snapshot\ndata: {json.dumps(snapshot, ensure_ascii=False)}\n\n"
            while True:
                try:
                    msg = await asyncio.wait_for(queue.get(), timeout=15)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                yield f"event: alarm\ndata: {json.dumps(msg, ensure_ascii=False, default=str)}\n\n"
        finally:
            rt.alarms.listeners.remove(listener)

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
    )


@router.get("/api/audit", tags=["audit"])
def audit(
    request: Request,
    since_seq: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[dict[str, Any]]:
    require(request, "audit.read", None, Role.station_master)
    rt = runtime_of(request)
    return [e.__dict__ for e in rt.audit.entries(limit, since_seq)]


@router.get("/api/audit/verify", tags=["audit"])
def audit_verify(request: Request) -> dict[str, Any]:
    rt = runtime_of(request)
    ok, count, detail = rt.audit.verify()
    return {"intact": ok, "entries": count, "detail": detail}
