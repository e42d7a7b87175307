"""Fire safety, maintenance and emergencies, once for every way in: checks against the register,
plans with their due dates, suggestions from the data, and incidents that notify at once.
Refusals are raised (`Unknown` for a record that does not exist, `NotAllowed` for one closed
already); the caller audits them. Nothing here knows HTTP."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from station.alarms.lifecycle import NotAllowed
from station.config.duty import (
    DutyConfig,
    FireEquipmentConfig,
    MaintenancePlanConfig,
    TrendWatchConfig,
)
from station.core_door import CoreDoor
from station.duty.desk import DutyDesk
from station.duty.fire import FireCheck, FireStatus, check_ok, fire_status
from station.duty.incident_notice import IncidentNotice
from station.duty.maintenance import PlanStatus, Projection, plan_status, projected_crossing
from station.duty.safety_store import Incident, SafetyRecords
from station.duty.store import LogEntry
from station.history import HistoryStore
from station.history.store import Aggregate
from station.refusals import Unknown

DAY_MS = 86_400_000


@dataclass(frozen=True, kw_only=True)
class PlanDue:
    plan: MaintenancePlanConfig
    status: PlanStatus
    due_soon: bool


@dataclass(frozen=True, kw_only=True)
class Suggestion:
    trend: TrendWatchConfig
    projection: Projection | None


class SafetyService:
    def __init__(
        self,
        *,
        config: DutyConfig,
        records: SafetyRecords,
        desk: DutyDesk,
        door: CoreDoor,
        history: HistoryStore,
        notice: IncidentNotice,
        now_ms: Callable[[], int],
    ) -> None:
        self.config = config
        self.records = records
        self.desk = desk
        self.door = door
        self.history = history
        self.notice = notice
        self.now_ms = now_ms

    def local_date(self, ms: int) -> date:
        return datetime.fromtimestamp(ms / 1000, UTC).astimezone(self.desk.calendar.tz).date()

    # -- fire equipment ------------------------------------------------------------------
    def equipment(self, equipment: str) -> FireEquipmentConfig:
        item = next((e for e in self.config.fire_equipment if e.id == equipment), None)
        if item is None:
            raise Unknown(f"no fire equipment {equipment}")
        return item

    def fire_register(self) -> list[tuple[FireEquipmentConfig, FireStatus]]:
        """Every item, flagged `warn_days` ahead of an expiry or a check."""
        return [(e, self.fire_status(e.id)) for e in self.config.fire_equipment]

    def fire_status(self, equipment: str) -> FireStatus:
        item = self.equipment(equipment)
        today = self.local_date(self.now_ms())
        return fire_status(item, self.records.fire_checks(equipment), today, self.config.warn_days)

    def fire_checks(self, equipment: str, limit: int, offset: int) -> list[FireCheck]:
        self.equipment(equipment)
        return self.records.fire_checks(equipment, limit=limit, offset=offset)

    def fire_check(
        self, equipment: str, user: str, ok: bool, pressure_mpa: float | None, note: str | None
    ) -> FireCheck:
        """A check as recorded: a gauge under the item's minimum fails it."""
        item = self.equipment(equipment)
        now = self.now_ms()
        passed = check_ok(item, ok, pressure_mpa)
        check = FireCheck(equipment, now, self.local_date(now), user, passed, pressure_mpa, note)
        self.records.add_fire_check(check)
        return check

    # -- maintenance ---------------------------------------------------------------------
    def maintenance(self) -> list[PlanDue]:
        today, warn = self.local_date(self.now_ms()), self.config.warn_days
        out = []
        for plan in self.config.maintenance:
            s = plan_status(plan, [r.day for r in self.records.maintenance(plan.id)], today)
            soon = not s.overdue and s.next_due <= today + timedelta(days=warn)
            out.append(PlanDue(plan=plan, status=s, due_soon=soon))
        return out

    def maintenance_done(self, plan: str, user: str, text: str) -> None:
        if not any(p.id == plan for p in self.config.maintenance):
            raise Unknown(f"no plan {plan}")
        now = self.now_ms()
        self.records.add_maintenance(plan, now, self.local_date(now), user, text)

    def suggestions(self) -> list[Suggestion]:
        """From the hourly means of the configured trends: when each reaches its limit (a
        filter to change, a tank to refill), by a straight line through the last days. Reads
        history: run it on a worker."""
        now = self.now_ms()
        out = []
        for trend in self.config.trends:
            start = now - trend.days * DAY_MS
            points = self.history.query([trend.tag], start, now, 3600, Aggregate.MEAN)[trend.tag]
            p = projected_crossing(
                [x.ts_ms for x in points], [x.value for x in points], trend.limit, trend.direction
            )
            out.append(Suggestion(trend=trend, projection=p))
        return out

    # -- incidents -----------------------------------------------------------------------
    def incidents(self, limit: int, offset: int) -> list[Incident]:
        return self.records.incidents(limit=limit, offset=offset)

    def timeline(self, incident: Incident) -> list[LogEntry]:
        """The duty-log entries that name the incident ("incident 3: …"), oldest first."""
        marker = f"incident {incident.id}:"
        rows = self.desk.records.log(text=marker, limit=1000)
        return [e for e in rows if e.text.startswith(marker)]

    async def open_incident(
        self, *, user: str, what: str, actions: str, happened_ms: int | None, notify: list[str]
    ) -> Incident:
        """One action: the incident is recorded, the station master and the named emergency
        contacts are notified at once (through the station's webhook), the duty log says so."""
        contacts = self.config.emergency_contacts
        unknown = [n for n in notify if n not in contacts]
        if unknown:
            raise ValueError(f"unknown emergency contacts {unknown}; known: {sorted(contacts)}")
        now = self.now_ms()
        notified = ["station_master", *(f"{n} {contacts[n]}" for n in notify)]
        incident = self.records.open_incident(now, happened_ms, user, what, actions, notified)
        text = f"incident {incident.id}: {what} — {actions}"
        await self.door.call(self.desk.write, user, now, happened_ms or now, "safety", text)
        await self.notice.notify(incident)
        return incident

    async def close_incident(self, incident_id: int, user: str, summary: str) -> Incident:
        if self.records.incident(incident_id) is None:
            raise Unknown(f"no incident/{incident_id}")
        now = self.now_ms()
        if not self.records.close_incident(incident_id, user, now, summary):
            raise NotAllowed(f"incident/{incident_id} is closed already")
        text = f"incident {incident_id}: closed — {summary}"
        await self.door.call(self.desk.write, user, now, now, "safety", text)
        closed = self.records.incident(incident_id)
        assert closed is not None
        return closed
