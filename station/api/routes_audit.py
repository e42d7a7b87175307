"""The audit trail for the station master: read it, and check it has not been tampered with."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

from station.api.access import guarded_router
from station.api.deps import Actor, Heavy, History, Trail, acting
from station.api.schemas.audit import AuditVerifyOut
from station.audit import AuditAnchor, AuditEntry
from station.users import Role

router = guarded_router(tags=["audit"])
AUDITOR = frozenset({Role.auditor})
"""The auditor reads and verifies the trail beside the station master."""
ROLE: dict[int | str, dict[str, Any]] = {
    401: {"description": "not logged in"},
    403: {"description": "role too low"},
}


@router.get("/api/audit", response_model=list[AuditEntry], responses=ROLE)
def audit(
    trail: Trail,
    _: Annotated[Actor, acting(Role.station_master, "audit.read", also=AUDITOR)],
    since_seq: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[AuditEntry]:
    """Entries as chained (`ts` in milliseconds since 1970, UTC)."""
    return trail.entries(limit, since_seq)


@router.get("/api/audit/verify", response_model=AuditVerifyOut, responses=ROLE)
async def audit_verify(
    trail: Trail,
    history: History,
    heavy: Heavy,
    _: Annotated[Actor, acting(Role.station_master, "audit.verify", also=AUDITOR)],
) -> AuditVerifyOut:
    def check() -> AuditVerifyOut:
        anchors = [AuditAnchor(*a) for a in history.audit_anchors()]
        v = trail.verify(anchors=anchors)
        return AuditVerifyOut(
            intact=v.intact,
            entries=v.entries,
            detail=v.detail,
            findings=sorted(v.findings),
            anchors=len(anchors),
        )

    return await heavy.run(check)
