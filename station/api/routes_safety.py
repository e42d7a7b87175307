"""Fire-safety equipment, maintenance and emergencies over HTTP: the register with its flags,
checks, plans with their due dates, suggestions from data, and incidents that notify."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Path, Query, Request
from pydantic import BaseModel, Field

from station.api.access import RoleRequired, client_address, guarded_router, runtime_of
from station.api.bounded import BoundedWork
from station.api.timefmt import from_ms, to_ms
from station.duty.fire import FireCheck, check_ok, fire_status
from station.duty.maintenance import plan_status, projected_crossing
from station.duty.safety_store import Incident
from station.history.store import Aggregate
from station.runtime import StationRuntime
from station.users import Role, User

router = guarded_router(tags=["duty"])
Text = Annotated[str, Field(min_length=1, max_length=4000)]
Id = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,39}$")]
ACTION: dict[int | str, dict[str, Any]] = {
    400: {"description": "a time outside the calendar"},
    401: {"description": "not logged in"},
    403: {"description": "role too low"},
    404: {"description": "no such equipment, plan or incident"},
    409: {"description": "closed already"},
}
DAY_MS = 86_400_000


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


Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]


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
    timeline: list[dict[str, Any]]
    """The duty-log entries that name the incident ("incident 3: …"), oldest first."""


def _local_date(rt: StationRuntime, ms: int) -> date:
    return datetime.fromtimestamp(ms / 1000, UTC).astimezone(rt.duty.calendar.tz).date()


def _fire_out(rt: StationRuntime, equipment: str) -> FireOut:
    item = next(e for e in rt.config.duty.fire_equipment if e.id == equipment)
    today = _local_date(rt, rt.now_ms())
    status = fire_status(item, rt.safety.fire_checks(equipment), today, rt.config.duty.warn_days)
    last = status.last_check
    return FireOut(
        id=item.id, kind=item.kind, type=item.type, location=item.location, expiry=item.expiry,
        days_to_expiry=status.days_to_expiry, flags=status.flags,
        last_check=from_ms(last.ts_ms) if last else None,
        last_checked_by=last.user if last else None, next_check=status.next_check,
    )  # fmt: skip


@router.get("/api/duty/fire", response_model=list[FireOut])
def fire_register(request: Request) -> list[FireOut]:
    """Every item of the register, flagged `warn_days` ahead of an expiry or a check."""
    rt = runtime_of(request)
    return [_fire_out(rt, e.id) for e in rt.config.duty.fire_equipment]


class FireCheckOut(BaseModel):
    equipment: str
    time: datetime
    day: date
    user: str
    ok: bool
    pressure_mpa: float | None
    note: str | None


@router.get(
    "/api/duty/fire/{equipment}/checks",
    response_model=list[FireCheckOut],
    responses={404: {"description": "no such equipment"}},
)
def fire_checks(
    request: Request, equipment: Id, limit: Limit = 100, offset: Offset = 0
) -> list[FireCheckOut]:
    """The checks of one item, oldest first."""
    rt = runtime_of(request)
    if not any(e.id == equipment for e in rt.config.duty.fire_equipment):
        raise HTTPException(404, f"no fire equipment {equipment}")
    rows = rt.safety.fire_checks(equipment, limit=limit, offset=offset)
    return [
        FireCheckOut(equipment=c.equipment, time=from_ms(c.ts_ms), day=c.day, user=c.user,
                     ok=c.ok, pressure_mpa=c.pressure_mpa, note=c.note)
        for c in rows
    ]  # fmt: skip


@router.post("/api/duty/fire/{equipment}/checks", response_model=FireOut, responses=ACTION)
def fire_check(
    request: Request,
    equipment: Id,
    body: FireCheckIn,
    user: Annotated[User, Depends(RoleRequired(Role.operator, "duty.fire.check"))],
) -> FireOut:
    rt = runtime_of(request)
    item = next((e for e in rt.config.duty.fire_equipment if e.id == equipment), None)
    if item is None:
        raise rt.duty_audit.refuse(
            user, "duty.fire.check", equipment, client_address(request), "unknown",
            f"no fire equipment {equipment}",
        )  # fmt: skip
    now = rt.now_ms()
    ok = check_ok(item, body.ok, body.pressure_mpa)
    check = FireCheck(equipment, now, _local_date(rt, now), user.username, ok,
                      body.pressure_mpa, body.note)  # fmt: skip
    rt.safety.add_fire_check(check)
    rt.duty_audit.ok(user, "duty.fire.check", equipment, client_address(request), new={"ok": ok})
    return _fire_out(rt, equipment)


@router.get("/api/duty/maintenance", response_model=list[PlanOut])
def maintenance(request: Request) -> list[PlanOut]:
    rt = runtime_of(request)
    today, warn = _local_date(rt, rt.now_ms()), rt.config.duty.warn_days
    lang = rt.config.station.language.value
    out = []
    for plan in rt.config.duty.maintenance:
        s = plan_status(plan, [r.day for r in rt.safety.maintenance(plan.id)], today)
        out.append(
            PlanOut(
                id=plan.id,
                equipment=plan.equipment,
                name=plan.name_zh if lang == "zh" else plan.name_en,
                every_days=plan.every_days,
                last_done=s.last_done,
                next_due=s.next_due,
                overdue=s.overdue,
                due_soon=not s.overdue and s.next_due <= today + timedelta(days=warn),
            )
        )
    return out


@router.post("/api/duty/maintenance/{plan}/done", response_model=list[PlanOut], responses=ACTION)
def maintenance_done(
    request: Request,
    plan: Id,
    body: DoneIn,
    user: Annotated[User, Depends(RoleRequired(Role.operator, "duty.maintenance"))],
) -> list[PlanOut]:
    rt = runtime_of(request)
    if not any(p.id == plan for p in rt.config.duty.maintenance):
        raise rt.duty_audit.refuse(
            user, "duty.maintenance", plan, client_address(request), "unknown", f"no plan {plan}"
        )
    now = rt.now_ms()
    rt.safety.add_maintenance(plan, now, _local_date(rt, now), user.username, body.text)
    rt.duty_audit.ok(
        user, "duty.maintenance", plan, client_address(request), new={"text": body.text}
    )
    return maintenance(request)


def _suggestions(rt: StationRuntime) -> list[SuggestionOut]:
    now = rt.now_ms()
    lang = rt.config.station.language.value
    out = []
    for trend in rt.config.duty.trends:
        start = now - trend.days * DAY_MS
        points = rt.history_store.query([trend.tag], start, now, 3600, Aggregate.MEAN)[trend.tag]
        p = projected_crossing(
            [x.ts_ms for x in points], [x.value for x in points], trend.limit, trend.direction
        )
        out.append(
            SuggestionOut(
                id=trend.id,
                tag=trend.tag,
                name=trend.name_zh if lang == "zh" else trend.name_en,
                limit=trend.limit,
                slope_per_day=p.slope_per_day if p else None,
                value_now=p.now_value if p else None,
                projected=from_ms(p.crossing_ms) if p and p.crossing_ms is not None else None,
                samples=p.samples if p else 0,
            )
        )
    return out


@router.get("/api/duty/maintenance/suggestions", response_model=list[SuggestionOut])
async def suggestions(request: Request) -> list[SuggestionOut]:
    """From the hourly means of the configured trends: when each reaches its limit (a filter
    to change, a tank to refill), by a straight line through the last days."""
    rt = runtime_of(request)
    heavy: BoundedWork = request.app.state.heavy
    return await heavy.run(_suggestions, rt)


def _incident_out(rt: StationRuntime, i: Incident) -> IncidentOut:
    marker = f"incident {i.id}:"
    timeline = [
        {"id": e.id, "event_time": from_ms(e.event_ms).isoformat(), "author": e.author,
         "text": e.text}
        for e in rt.duty.records.log(text=marker, limit=1000)
        if e.text.startswith(marker)
    ]  # fmt: skip
    return IncidentOut(
        id=i.id, opened=from_ms(i.opened_ms),
        happened=from_ms(i.happened_ms) if i.happened_ms else None, opened_by=i.opened_by,
        what=i.what, actions=i.actions, notified=i.notified,
        closed=from_ms(i.closed_ms) if i.closed_ms else None, closed_by=i.closed_by,
        summary=i.summary, timeline=timeline,
    )  # fmt: skip


@router.get("/api/duty/incidents", response_model=list[IncidentOut])
def incidents(request: Request, limit: Limit = 100, offset: Offset = 0) -> list[IncidentOut]:
    rt = runtime_of(request)
    return [_incident_out(rt, i) for i in rt.safety.incidents(limit=limit, offset=offset)]


@router.post("/api/duty/incidents", response_model=IncidentOut, responses=ACTION)
async def open_incident(
    request: Request,
    body: IncidentIn,
    user: Annotated[User, Depends(RoleRequired(Role.operator, "duty.incident.open"))],
) -> IncidentOut:
    """One action: the incident is recorded, the station master and the named emergency
    contacts are notified at once (through the station's webhook), the duty log says so."""
    rt = runtime_of(request)
    contacts = rt.config.duty.emergency_contacts
    unknown = [n for n in body.notify if n not in contacts]
    if unknown:
        raise HTTPException(400, f"unknown emergency contacts {unknown}; known: {sorted(contacts)}")
    now = rt.now_ms()
    happened = to_ms(body.happened, rt.duty.calendar.tz) if body.happened else None
    notified = ["station_master", *(f"{n} {contacts[n]}" for n in body.notify)]
    incident = rt.safety.open_incident(
        now, happened, user.username, body.what, body.actions, notified
    )
    rt.duty.write(user.username, now, happened or now, "safety",
                  f"incident {incident.id}: {body.what} — {body.actions}")  # fmt: skip
    rt.duty_audit.ok(
        user,
        "duty.incident.open",
        f"incident/{incident.id}",
        client_address(request),
        new={"notified": notified},
    )
    await rt.notify_incident(incident)
    return _incident_out(rt, incident)


@router.post("/api/duty/incidents/{incident}/close", response_model=IncidentOut, responses=ACTION)
def close_incident(
    request: Request,
    incident: Annotated[int, Path(ge=1, le=2**62)],
    body: CloseIncidentIn,
    user: Annotated[User, Depends(RoleRequired(Role.station_master, "duty.incident.close"))],
) -> IncidentOut:
    """Closed by the station master, with a summary."""
    rt = runtime_of(request)
    obj = f"incident/{incident}"
    found = rt.safety.incident(incident)
    if found is None:
        raise rt.duty_audit.refuse(
            user, "duty.incident.close", obj, client_address(request), "unknown", f"no {obj}"
        )
    now = rt.now_ms()
    if not rt.safety.close_incident(incident, user.username, now, body.summary):
        raise rt.duty_audit.refuse(
            user,
            "duty.incident.close",
            obj,
            client_address(request),
            "conflict",
            f"{obj} is closed already",
        )
    rt.duty.write(
        user.username, now, now, "safety", f"incident {incident}: closed — {body.summary}"
    )
    rt.duty_audit.ok(user, "duty.incident.close", obj, client_address(request))
    closed = rt.safety.incident(incident)
    assert closed is not None
    return _incident_out(rt, closed)
