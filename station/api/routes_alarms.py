"""Alarms over HTTP: current and past, operator actions, rule changes, KPIs, live push (SSE).

The rules of each action (who may, how long, what is audited) are in station.alarms.actions;
the actions run on the core's loop, which owns the alarm engine (StationRuntime.call)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, HTTPException, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from station.alarms.kpi import alarm_kpi
from station.alarms.lifecycle import State
from station.api.access import RoleRequired, client_address, guarded_router, runtime_of
from station.api.bounded import BoundedWork
from station.api.schemas.alarms import (
    ActionResult,
    AlarmCountOut,
    AlarmEventOut,
    AlarmOut,
    FloodOut,
    KpiOut,
    RuleOut,
)
from station.api.schemas.common import Reason
from station.api.timefmt import from_ms, to_ms
from station.users import Role, User

router = guarded_router(tags=["alarms"])
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"description": "not possible in the alarm's state"},
    404: {"description": "unknown alarm"},
    401: {"description": "not logged in"},
    403: {"description": "role too low"},
}
AlarmId = Annotated[str, Field(min_length=1, max_length=64)]


class AckIn(BaseModel):
    ids: list[AlarmId] = Field(min_length=1, max_length=1000)
    comment: str | None = Field(default=None, max_length=500)


class ShelveIn(BaseModel):
    reason: Reason
    duration_s: float | None = Field(default=None, gt=0, le=366 * 86400)
    """None: one-shot, until the alarm next clears or the role's cap, whichever comes first."""


class CommentIn(BaseModel):
    comment: str | None = Field(default=None, max_length=500)


class OutOfServiceIn(BaseModel):
    enabled: bool
    reason: Reason


class RuleChangeIn(BaseModel):
    changes: dict[Annotated[str, Field(max_length=32)], float] = Field(min_length=1, max_length=10)
    reason: Reason


def alarm_out(row: dict[str, Any]) -> AlarmOut:
    times: dict[str, Any] = {
        "raised": row["raised_ms"],
        "cleared": row["cleared_ms"],
        "acked_at": row["acked_ms"],
        "shelved_until": row["shelved_until_ms"],
    }
    out = {k: v for k, v in row.items() if not k.endswith("_ms")}
    out.update({k: from_ms(v) if v else None for k, v in times.items()})
    return AlarmOut(**out)


@router.get("/api/alarms", response_model=list[AlarmOut])
async def current_alarms(
    request: Request,
    include_normal: Annotated[
        bool, Query(description="every alarm point, not only standing ones")
    ] = False,
    state: Annotated[State | None, Query()] = None,
) -> list[AlarmOut]:
    rt = runtime_of(request)
    rows = await rt.call(rt.alarms.current, include_normal or state is State.NORMAL)
    return [alarm_out(r) for r in rows if state is None or r["state"] == state.value]


@router.get("/api/alarms/history", response_model=list[AlarmEventOut])
def alarm_history(
    request: Request,
    start: datetime | None = None,
    end: datetime | None = None,
    alarm: Annotated[str | None, Query(max_length=64)] = None,
    tag: Annotated[str | None, Query(max_length=64)] = None,
    priority: Annotated[int | None, Query(ge=1, le=4)] = None,
    event: Annotated[str | None, Query(max_length=32)] = None,
    state: State | None = None,
    user: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 1000,
) -> list[AlarmEventOut]:
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
        AlarmEventOut(
            seq=e.seq,
            ts=from_ms(e.ts_ms),
            alarm=e.alarm,
            event=e.event,
            state=e.state,
            priority=e.priority,
            tag=e.tag,
            value=e.value,
            text_zh=e.text_zh,
            text_en=e.text_en,
            user=e.user,
            comment=e.comment,
        )
        for e in events
    ]


@router.post("/api/alarms/ack", response_model=ActionResult, responses=CONFLICT)
async def acknowledge(
    request: Request,
    body: AckIn,
    # never blocked by a login time-out: an expired session still identifies the operator
    user: Annotated[User, Depends(RoleRequired(Role.operator, "alarm.ack", allow_expired=True))],
) -> ActionResult:
    rt = runtime_of(request)
    out = await rt.call(rt.alarm_actions.ack, user, body.ids, body.comment, client_address(request))
    return ActionResult(**asdict(out))


@router.post("/api/alarms/{alarm}/shelve", response_model=ActionResult, responses=CONFLICT)
async def shelve(
    request: Request,
    alarm: str,
    body: ShelveIn,
    user: Annotated[User, Depends(RoleRequired(Role.operator, "alarm.shelve"))],
) -> ActionResult:
    rt = runtime_of(request)
    out = await rt.call(
        rt.alarm_actions.shelve, user, alarm, body.reason, body.duration_s, client_address(request)
    )
    return ActionResult(**asdict(out))


@router.post("/api/alarms/{alarm}/unshelve", response_model=ActionResult, responses=CONFLICT)
async def unshelve(
    request: Request,
    alarm: str,
    user: Annotated[User, Depends(RoleRequired(Role.operator, "alarm.unshelve"))],
) -> ActionResult:
    rt = runtime_of(request)
    out = await rt.call(rt.alarm_actions.unshelve, user, alarm, client_address(request))
    return ActionResult(**asdict(out))


@router.post("/api/alarms/{alarm}/reset", response_model=ActionResult, responses=CONFLICT)
async def reset(
    request: Request,
    alarm: str,
    body: CommentIn,
    user: Annotated[User, Depends(RoleRequired(Role.operator, "alarm.reset"))],
) -> ActionResult:
    rt = runtime_of(request)
    out = await rt.call(rt.alarm_actions.reset, user, alarm, body.comment, client_address(request))
    return ActionResult(**asdict(out))


@router.post("/api/alarms/{alarm}/out-of-service", response_model=ActionResult, responses=CONFLICT)
async def out_of_service(
    request: Request,
    alarm: str,
    body: OutOfServiceIn,
    user: Annotated[User, Depends(RoleRequired(Role.station_master, "alarm.out_of_service"))],
) -> ActionResult:
    rt = runtime_of(request)
    out = await rt.call(
        rt.alarm_actions.out_of_service,
        user,
        alarm,
        body.enabled,
        body.reason,
        client_address(request),
    )
    return ActionResult(**asdict(out))


@router.get("/api/alarms/rules", response_model=list[RuleOut])
async def rules(request: Request) -> list[RuleOut]:
    rt = runtime_of(request)
    points = await rt.call(lambda: list(rt.alarms.points.values()))
    return [
        RuleOut(
            id=p.id,
            kind=p.kind,
            tag=p.tag,
            priority=p.priority,
            limit=p.limit,
            deadband=p.deadband,
            on_delay_s=p.on_delay_s,
            off_delay_s=p.off_delay_s,
            latch=p.latch,
            suppressed_by=list(p.suppressed_by),
        )
        for p in points
    ]


@router.put("/api/alarms/rules/{alarm}", response_model=ActionResult, responses=CONFLICT)
async def change_rule(
    request: Request,
    alarm: str,
    body: RuleChangeIn,
    user: Annotated[User, Depends(RoleRequired(Role.station_master, "alarm.rule_change"))],
) -> ActionResult:
    """Management of change: takes effect at once, survives restarts, old → new audited."""
    rt = runtime_of(request)
    out = await rt.call(
        rt.alarm_actions.change_rule,
        user,
        alarm,
        dict(body.changes),
        body.reason,
        client_address(request),
    )
    return ActionResult(**asdict(out))


KPI_MAX_DAYS = 400
"""A year and a bit: the yearly safety report, with the month on either side."""


@router.get("/api/alarms/kpi", response_model=KpiOut, responses={400: {"description": "bad range"}})
async def kpi(request: Request, start: datetime, end: datetime) -> KpiOut:
    """EEMUA 191 figures for any period (the safety report uses these)."""
    rt = runtime_of(request)
    zone = ZoneInfo(rt.config.station.timezone)
    s, e = to_ms(start, zone), to_ms(end, zone)
    if e <= s:
        raise HTTPException(400, "end must be after start")
    if e - s > KPI_MAX_DAYS * 86_400_000:
        raise HTTPException(400, f"KPIs cover at most {KPI_MAX_DAYS} days per request")

    def standing() -> dict[str, int]:
        return {
            a: st.raised_ms
            for a, st in rt.alarms.status.items()
            if st.active and st.raised_ms is not None
        }

    since = await rt.call(standing)
    now = rt.now_ms()
    heavy: BoundedWork = request.app.state.heavy
    k = await heavy.run(
        lambda: alarm_kpi(rt.journal.events(s, e, limit=1_000_000), s, e, since, now)
    )
    return KpiOut(
        start=from_ms(k.start_ms),
        end=from_ms(k.end_ms),
        raised=k.raised,
        per_10_min=round(k.per_10_min, 3),
        max_in_10_min=k.max_in_10_min,
        floods=[
            FloodOut(start=from_ms(f.start_ms), end=from_ms(f.end_ms), alarms=f.alarms)
            for f in k.floods
        ],
        chattering=k.chattering,
        standing=k.standing,
        by_priority=k.by_priority,
        priority_share={p: round(n / k.raised, 3) for p, n in k.by_priority.items()}
        if k.raised
        else {},
        top10=[AlarmCountOut(alarm=a, count=n) for a, n in k.top10],
    )


@router.get("/api/alarms/stream")
async def stream(request: Request) -> StreamingResponse:
    """Server-sent events: a snapshot of standing alarms, then every life-cycle event."""
    rt = runtime_of(request)
    api_loop = asyncio.get_running_loop()
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=10_000)

    def put(message: dict[str, Any]) -> None:
        # a client that stopped reading loses events, never the engine
        with contextlib.suppress(asyncio.QueueFull):
            queue.put_nowait(message)

    def listener(message: dict[str, Any]) -> None:
        """Called by the engine on the core's loop: hands the event over to the API's."""
        with contextlib.suppress(RuntimeError):  # the API's loop has closed
            api_loop.call_soon_threadsafe(put, message)

    def subscribe() -> list[dict[str, Any]]:
        rt.alarms.listeners.append(listener)
        return rt.alarms.current()

    async def events() -> AsyncIterator[str]:
        current = await rt.call(subscribe)
        try:
            snapshot = [alarm_out(r).model_dump(mode="json") for r in current]
            yield f"event: snapshot\ndata: {json.dumps(snapshot, ensure_ascii=False)}\n\n"
            while True:
                try:
                    msg = await asyncio.wait_for(queue.get(), timeout=15)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                yield f"event: alarm\ndata: {json.dumps(msg, ensure_ascii=False, default=str)}\n\n"
        finally:
            rt.call_soon(rt.alarms.listeners.remove, listener)

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
    )
