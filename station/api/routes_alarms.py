"""Alarms over HTTP: current and past, operator actions, rule changes, KPIs, live push (SSE).

The rules of each action (who may, how long, what is audited) are in station.alarms.actions;
`station.alarms.service` hands each to the core's loop, which owns the alarm engine."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import HTTPException, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from station.alarms.lifecycle import State
from station.api.access import guarded_router
from station.api.deps import Actor, Alarms, Heavy, Zone, acting
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
from station.users import Role

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
    alarms: Alarms,
    include_normal: Annotated[
        bool, Query(description="every alarm point, not only standing ones")
    ] = False,
    state: Annotated[State | None, Query()] = None,
) -> list[AlarmOut]:
    rows = await alarms.current(include_normal or state is State.NORMAL)
    return [alarm_out(r) for r in rows if state is None or r["state"] == state.value]


@router.get("/api/alarms/history", response_model=list[AlarmEventOut])
def alarm_history(
    alarms: Alarms,
    zone: Zone,
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
    events = alarms.history(
        start_ms=to_ms(start, zone) if start else None,
        end_ms=to_ms(end, zone) if end else None,
        alarm=alarm,
        tag=tag,
        priority=priority,
        event=event,
        state=state.value if state else None,
        user=user,
        limit=limit,
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
    alarms: Alarms,
    body: AckIn,
    # never blocked by a login time-out: an expired session still identifies the operator
    actor: Annotated[Actor, acting(Role.operator, "alarm.ack", allow_expired=True)],
) -> ActionResult:
    out = await alarms.ack(actor.user, body.ids, body.comment, actor.address)
    return ActionResult(**asdict(out))


@router.post("/api/alarms/{alarm}/shelve", response_model=ActionResult, responses=CONFLICT)
async def shelve(
    alarms: Alarms,
    alarm: str,
    body: ShelveIn,
    actor: Annotated[Actor, acting(Role.operator, "alarm.shelve")],
) -> ActionResult:
    out = await alarms.shelve(actor.user, alarm, body.reason, body.duration_s, actor.address)
    return ActionResult(**asdict(out))


@router.post("/api/alarms/{alarm}/unshelve", response_model=ActionResult, responses=CONFLICT)
async def unshelve(
    alarms: Alarms,
    alarm: str,
    actor: Annotated[Actor, acting(Role.operator, "alarm.unshelve")],
) -> ActionResult:
    out = await alarms.unshelve(actor.user, alarm, actor.address)
    return ActionResult(**asdict(out))


@router.post("/api/alarms/{alarm}/reset", response_model=ActionResult, responses=CONFLICT)
async def reset(
    alarms: Alarms,
    alarm: str,
    body: CommentIn,
    actor: Annotated[Actor, acting(Role.operator, "alarm.reset")],
) -> ActionResult:
    out = await alarms.reset(actor.user, alarm, body.comment, actor.address)
    return ActionResult(**asdict(out))


@router.post("/api/alarms/{alarm}/out-of-service", response_model=ActionResult, responses=CONFLICT)
async def out_of_service(
    alarms: Alarms,
    alarm: str,
    body: OutOfServiceIn,
    actor: Annotated[Actor, acting(Role.station_master, "alarm.out_of_service")],
) -> ActionResult:
    out = await alarms.out_of_service(actor.user, alarm, body.enabled, body.reason, actor.address)
    return ActionResult(**asdict(out))


@router.get("/api/alarms/rules", response_model=list[RuleOut])
async def rules(alarms: Alarms) -> list[RuleOut]:
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
        for p in await alarms.rules()
    ]


@router.put("/api/alarms/rules/{alarm}", response_model=ActionResult, responses=CONFLICT)
async def change_rule(
    alarms: Alarms,
    alarm: str,
    body: RuleChangeIn,
    actor: Annotated[Actor, acting(Role.station_master, "alarm.rule_change")],
) -> ActionResult:
    """Management of change: takes effect at once, survives restarts, old → new audited."""
    out = await alarms.change_rule(
        actor.user, alarm, dict(body.changes), body.reason, actor.address
    )
    return ActionResult(**asdict(out))


@router.get("/api/alarms/kpi", response_model=KpiOut, responses={400: {"description": "bad range"}})
async def kpi(alarms: Alarms, zone: Zone, heavy: Heavy, start: datetime, end: datetime) -> KpiOut:
    """EEMUA 191 figures for any period (the safety report uses these)."""
    s, e = to_ms(start, zone), to_ms(end, zone)
    try:
        alarms.check_kpi_range(s, e)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    standing = await alarms.standing_since()
    k = await heavy.run(alarms.kpi, s, e, standing)
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
async def stream(alarms: Alarms) -> StreamingResponse:
    """Server-sent events: a snapshot of standing alarms, then every life-cycle event."""
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

    async def events() -> AsyncIterator[str]:
        current = await alarms.subscribe(listener)
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
            alarms.unsubscribe(listener)

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
    )
