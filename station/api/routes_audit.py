"""The audit trail for the station master: read it, and check it has not been tampered with."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query, Request

from station.api.access import RoleRequired, guarded_router, runtime_of
from station.api.bounded import BoundedWork
from station.api.schemas.audit import AuditVerifyOut
from station.audit import AuditAnchor, AuditEntry
from station.users import Role, User

router = guarded_router(tags=["audit"])
AUDITOR = frozenset({Role.auditor})
"""The auditor reads and verifies the trail beside the station master."""
ROLE: dict[int | str, dict[str, Any]] = {
    401: {"description": "not logged in"},
    403: {"description": "role too low"},
}


@router.get("/api/audit", response_model=list[AuditEntry], responses=ROLE)
def audit(
    request: Request,
    _: Annotated[User, Depends(RoleRequired(Role.station_master, "audit.read", also=AUDITOR))],
    since_seq: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[AuditEntry]:
    """Entries as chained (`ts` in milliseconds since 1970, UTC)."""
    return runtime_of(request).audit.entries(limit, since_seq)


@router.get("/api/audit/verify", response_model=AuditVerifyOut, responses=ROLE)
async def audit_verify(
    request: Request,
    _: Annotated[User, Depends(RoleRequired(Role.station_master, "audit.verify", also=AUDITOR))],
) -> AuditVerifyOut:
    rt = runtime_of(request)

    def check() -> AuditVerifyOut:
        anchors = [AuditAnchor(*a) for a in rt.history_store.audit_anchors()]
        v = rt.audit.verify(anchors=anchors)
        return AuditVerifyOut(
            intact=v.intact,
            entries=v.entries,
            detail=v.detail,
            findings=sorted(v.findings),
            anchors=len(anchors),
        )

    heavy: BoundedWork = request.app.state.heavy
    return await heavy.run(check)
