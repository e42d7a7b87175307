"""Fire-safety equipment, maintenance and emergencies over HTTP: the register with its flags,
checks, plans with their due dates, suggestions from data, and incidents that notify. The rules
are in `station.duty.safety_service`; a route parses, calls it, audits, shapes the answer."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import HTTPException, Path, Query

from station.alarms.lifecycle import NotAllowed
from station.api.access import guarded_router
from station.api.deps import Actor, Config, Heavy, Safety, Zone, acting
from station.api.schemas.safety import (
    CloseIncidentIn,
    DoneIn,
    FireCheckIn,
    FireCheckOut,
    FireOut,
    IncidentIn,
    IncidentOut,
    PlanOut,
    SuggestionOut,
    TimelineEntryOut,
)
from station.api.timefmt import from_ms, to_ms
from station.config.models import StationConfig
from station.duty.safety_service import SafetyService
from station.duty.safety_store import Incident
from station.refusals import Unknown
from station.users import Role

router = guarded_router(tags=["duty"])
Id = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,39}$")]
Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]
ACTION: dict[int | str, dict[str, Any]] = {
    400: {"description": "a time outside the calendar"},
    401: {"description": "not logged in"},
    403: {"description": "role too low"},
    404: {"description": "no such equipment, plan or incident"},
    409: {"description": "closed already"},
}


def _fire_out(safety: SafetyService, equipment: str) -> FireOut:
    item, status = safety.equipment(equipment), safety.fire_status(equipment)
    last = status.last_check
    return FireOut(
        id=item.id,
        kind=item.kind,
        type=item.type,
        location=item.location,
        expiry=item.expiry,
        days_to_expiry=status.days_to_expiry,
        flags=status.flags,
        last_check=from_ms(last.ts_ms) if last else None,
        last_checked_by=last.user if last else None,
        next_check=status.next_check,
    )


@router.get("/api/duty/fire", response_model=list[FireOut])
def fire_register(safety: Safety) -> list[FireOut]:
    """Every item of the register, flagged `warn_days` ahead of an expiry or a check."""
    return [_fire_out(safety, item.id) for item, _ in safety.fire_register()]


@router.get(
    "/api/duty/fire/{equipment}/checks",
    response_model=list[FireCheckOut],
    responses={404: {"description": "no such equipment"}},
)
def fire_checks(
    safety: Safety, equipment: Id, limit: Limit = 100, offset: Offset = 0
) -> list[FireCheckOut]:
    """The checks of one item, oldest first."""
    try:
        rows = safety.fire_checks(equipment, limit, offset)
    except Unknown as exc:
        raise HTTPException(404, exc.why) from None
    return [
        FireCheckOut(
            equipment=c.equipment,
            time=from_ms(c.ts_ms),
            day=c.day,
            user=c.user,
            ok=c.ok,
            pressure_mpa=c.pressure_mpa,
            note=c.note,
        )
        for c in rows
    ]


@router.post("/api/duty/fire/{equipment}/checks", response_model=FireOut, responses=ACTION)
def fire_check(
    safety: Safety,
    equipment: Id,
    body: FireCheckIn,
    actor: Annotated[Actor, acting(Role.operator, "duty.fire.check")],
) -> FireOut:
    try:
        check = safety.fire_check(equipment, actor.name, body.ok, body.pressure_mpa, body.note)
    except Unknown as exc:
        raise actor.refuse(equipment, exc) from None
    actor.ok(equipment, new={"ok": check.ok})
    return _fire_out(safety, equipment)


def _plans(safety: SafetyService, config: StationConfig) -> list[PlanOut]:
    zh = config.station.language.value == "zh"
    return [
        PlanOut(
            id=p.plan.id,
            equipment=p.plan.equipment,
            name=p.plan.name_zh if zh else p.plan.name_en,
            every_days=p.plan.every_days,
            last_done=p.status.last_done,
            next_due=p.status.next_due,
            overdue=p.status.overdue,
            due_soon=p.due_soon,
        )
        for p in safety.maintenance()
    ]


@router.get("/api/duty/maintenance", response_model=list[PlanOut])
def maintenance(safety: Safety, config: Config) -> list[PlanOut]:
    return _plans(safety, config)


@router.post("/api/duty/maintenance/{plan}/done", response_model=list[PlanOut], responses=ACTION)
def maintenance_done(
    safety: Safety,
    config: Config,
    plan: Id,
    body: DoneIn,
    actor: Annotated[Actor, acting(Role.operator, "duty.maintenance")],
) -> list[PlanOut]:
    try:
        safety.maintenance_done(plan, actor.name, body.text)
    except Unknown as exc:
        raise actor.refuse(plan, exc) from None
    actor.ok(plan, new={"text": body.text})
    return _plans(safety, config)


def _suggestions(safety: SafetyService, config: StationConfig) -> list[SuggestionOut]:
    zh = config.station.language.value == "zh"
    out = []
    for s in safety.suggestions():
        trend, p = s.trend, s.projection
        out.append(
            SuggestionOut(
                id=trend.id,
                tag=trend.tag,
                name=trend.name_zh if zh else trend.name_en,
                limit=trend.limit,
                slope_per_day=p.slope_per_day if p else None,
                value_now=p.now_value if p else None,
                projected=from_ms(p.crossing_ms) if p and p.crossing_ms is not None else None,
                samples=p.samples if p else 0,
            )
        )
    return out


@router.get("/api/duty/maintenance/suggestions", response_model=list[SuggestionOut])
async def suggestions(safety: Safety, config: Config, heavy: Heavy) -> list[SuggestionOut]:
    """From the hourly means of the configured trends: when each reaches its limit (a filter
    to change, a tank to refill), by a straight line through the last days."""
    return await heavy.run(_suggestions, safety, config)


def _incident_out(safety: SafetyService, i: Incident) -> IncidentOut:
    timeline = [
        TimelineEntryOut(
            id=e.id, event_time=from_ms(e.event_ms).isoformat(), author=e.author, text=e.text
        )
        for e in safety.timeline(i)
    ]
    return IncidentOut(
        id=i.id,
        opened=from_ms(i.opened_ms),
        happened=from_ms(i.happened_ms) if i.happened_ms else None,
        opened_by=i.opened_by,
        what=i.what,
        actions=i.actions,
        notified=i.notified,
        closed=from_ms(i.closed_ms) if i.closed_ms else None,
        closed_by=i.closed_by,
        summary=i.summary,
        timeline=timeline,
    )


@router.get("/api/duty/incidents", response_model=list[IncidentOut])
def incidents(safety: Safety, limit: Limit = 100, offset: Offset = 0) -> list[IncidentOut]:
    return [_incident_out(safety, i) for i in safety.incidents(limit, offset)]


@router.post("/api/duty/incidents", response_model=IncidentOut, responses=ACTION)
async def open_incident(
    safety: Safety,
    zone: Zone,
    body: IncidentIn,
    actor: Annotated[Actor, acting(Role.operator, "duty.incident.open")],
) -> IncidentOut:
    """One action: the incident is recorded, the station master and the named emergency
    contacts are notified at once (through the station's webhook), the duty log says so."""
    try:
        incident = await safety.open_incident(
            user=actor.name,
            what=body.what,
            actions=body.actions,
            happened_ms=to_ms(body.happened, zone) if body.happened else None,
            notify=body.notify,
        )
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    actor.ok(f"incident/{incident.id}", new={"notified": incident.notified})
    return _incident_out(safety, incident)


@router.post("/api/duty/incidents/{incident}/close", response_model=IncidentOut, responses=ACTION)
async def close_incident(
    safety: Safety,
    incident: Annotated[int, Path(ge=1, le=2**62)],
    body: CloseIncidentIn,
    actor: Annotated[Actor, acting(Role.station_master, "duty.incident.close")],
) -> IncidentOut:
    """Closed by the station master, with a summary."""
    obj = f"incident/{incident}"
    try:
        closed = await safety.close_incident(incident, actor.name, body.summary)
    except (Unknown, NotAllowed) as exc:
        raise actor.refuse(obj, exc) from None
    actor.ok(obj)
    return _incident_out(safety, closed)
