"""What a logged-in person did, or was refused, into the audit trail: one way for every domain
action (alarms, reports, and the duty workflows to come)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from station.audit import AuditTrail
from station.refusals import RefusalKind, RefusalLog, Refused
from station.users import User


class ActorAudit:
    def __init__(self, audit: AuditTrail, refusals: RefusalLog, now_ms: Callable[[], int]) -> None:
        self.audit = audit
        self.refusals = refusals
        self.now_ms = now_ms

    def ok(self, user: User, action: str, obj: str | None, address: str | None, **kw: Any) -> None:
        self.audit.append(
            self.now_ms(),
            user.username,
            action,
            "ok",
            role=user.role.name,
            address=address,
            obj=obj,
            **kw,
        )

    def refuse(
        self,
        user: User,
        action: str,
        obj: str,
        address: str | None,
        kind: RefusalKind,
        why: str,
    ) -> Refused:
        """Records the refusal (rate-limited per address) and gives the exception to raise."""
        self.refusals.record(
            self.now_ms(), user.username, action, why, role=user.role.name, address=address, obj=obj
        )
        return Refused(kind, why)
