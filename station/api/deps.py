"""What a route may depend on, each one narrow: the domain services (alarm actions, duty,
safety, reports), the station's clock and time zone, and the acting user, whose dependency
carries the action's name and the client's address and writes the audit entry
(`actor.ok(obj, ...)`, `raise actor.refuse(obj, exc)`). Routes parse, call one service and
shape the answer; none reaches into the runtime."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, Request

from station.actor_audit import ActorAudit
from station.alarms.service import AlarmService
from station.api.access import Credentials, RoleRequired, client_address, runtime_of
from station.api.bounded import BoundedWork
from station.api.live_snapshot import LiveSnapshot
from station.audit import AuditTrail
from station.config.models import DeviceConfig, StationConfig, TagConfig
from station.core_door import CoreDoor
from station.duty.safety_service import SafetyService
from station.duty.service import DutyService
from station.history import HistoryStore
from station.refusals import RefusalKind, Refused, Unknown
from station.reports.service import ReportService
from station.runtime import StationRuntime
from station.sessions import Sessions
from station.users import Role, User


@dataclass(frozen=True)
class Actor:
    """The logged-in person acting, what they do, from where: one audit ceremony for all."""

    user: User
    action: str
    address: str | None
    audit: ActorAudit

    @property
    def name(self) -> str:
        return self.user.username

    def ok(self, obj: str | None, **kw: Any) -> None:
        self.audit.ok(self.user, self.action, obj, self.address, **kw)

    def refuse(self, obj: str, exc: Exception) -> Refused:
        """The refusal audited, and the exception to raise: no such record (404) or not
        possible in its state (409)."""
        kind: RefusalKind = "unknown" if isinstance(exc, KeyError) else "conflict"
        if isinstance(exc, Unknown):
            why = exc.why
        elif isinstance(exc, KeyError):
            why = f"no such {obj}"
        else:
            why = str(exc)
        return self.audit.refuse(self.user, self.action, obj, self.address, kind, why)


class ActorRequired(RoleRequired):
    """`RoleRequired` that hands the route an `Actor` (so the route table still sees the
    role rule)."""

    def __call__(  # type: ignore[override]
        self, request: Request, creds: Credentials
    ) -> Actor:
        user = super().__call__(request, creds)
        rt = runtime_of(request)
        return Actor(user, self.action, client_address(request), rt.duty_audit)


def acting(
    minimum: Role, action: str, *, also: frozenset[Role] = frozenset(), allow_expired: bool = False
) -> Any:
    """`actor: Annotated[Actor, acting(Role.operator, "duty.log")]`."""
    return Depends(ActorRequired(minimum, action, allow_expired=allow_expired, also=also))


def _duty(request: Request) -> DutyService:
    return runtime_of(request).duty_service


def _safety(request: Request) -> SafetyService:
    return runtime_of(request).safety_service


def _alarms(request: Request) -> AlarmService:
    return runtime_of(request).alarm_service


def _config(request: Request) -> StationConfig:
    return runtime_of(request).config


def _zone(request: Request) -> ZoneInfo:
    return ZoneInfo(runtime_of(request).config.station.timezone)


def _now_ms(request: Request) -> int:
    """The station's time (UTC ms) at the request."""
    return runtime_of(request).now_ms()


def _reports(request: Request) -> ReportService:
    return runtime_of(request).report_service


Duty = Annotated[DutyService, Depends(_duty)]
Reports = Annotated[ReportService, Depends(_reports)]
Safety = Annotated[SafetyService, Depends(_safety)]
Alarms = Annotated[AlarmService, Depends(_alarms)]
Config = Annotated[StationConfig, Depends(_config)]
Zone = Annotated[ZoneInfo, Depends(_zone)]
NowMs = Annotated[int, Depends(_now_ms)]


def _heavy(request: Request) -> BoundedWork:
    """The worker for heavy reads (history, KPIs, trends): bounded, so a burst queues or is
    refused instead of taking every thread."""
    heavy: BoundedWork = request.app.state.heavy
    return heavy


Heavy = Annotated[BoundedWork, Depends(_heavy)]


def _hashing(request: Request) -> BoundedWork:
    """Where password hashes run: two at a time, a bounded queue beyond."""
    hashing: BoundedWork = request.app.state.hashing
    return hashing


def _sessions(request: Request) -> Sessions:
    return runtime_of(request).sessions


def _station(request: Request) -> StationRuntime:
    """The whole station: for the views that report on every part of it (/healthz, /metrics)
    and nothing else."""
    return runtime_of(request)


def _history(request: Request) -> HistoryStore:
    return runtime_of(request).history_store


def _trail(request: Request) -> AuditTrail:
    return runtime_of(request).audit


def _tags(request: Request) -> TagTable:
    return runtime_of(request).tags


def _door(request: Request) -> CoreDoor:
    return runtime_of(request).door


def _live(request: Request) -> LiveSnapshot:
    snapshot: LiveSnapshot = request.app.state.live_snapshot
    return snapshot


TagTable = dict[str, tuple[DeviceConfig, TagConfig]]
Hashing = Annotated[BoundedWork, Depends(_hashing)]
SessionsDep = Annotated[Sessions, Depends(_sessions)]
Station = Annotated[StationRuntime, Depends(_station)]
History = Annotated[HistoryStore, Depends(_history)]
Trail = Annotated[AuditTrail, Depends(_trail)]
Tags = Annotated[TagTable, Depends(_tags)]
Door = Annotated[CoreDoor, Depends(_door)]
Live = Annotated[LiveSnapshot, Depends(_live)]
