"""Who is asking: bearer tokens from /api/login, roles, and an audit entry for every refusal."""

from __future__ import annotations

from fastapi import HTTPException, Request

from station.runtime import StationRuntime
from station.users import Role, User


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def require(
    request: Request, action: str, obj: str | None, minimum: Role, allow_expired: bool = False
) -> User:
    """The acting user, or 401/403 (and the refusal in the audit trail)."""
    rt: StationRuntime = request.app.state.runtime
    now = rt.now_ms()
    header = request.headers.get("authorization", "")
    token = header[7:] if header.lower().startswith("bearer ") else ""
    user = rt.users.session_user(token, now, allow_expired=allow_expired) if token else None
    if user is None:
        rt.audit.append(
            now,
            "anonymous",
            action,
            "denied: not logged in",
            address=client_address(request),
            obj=obj,
        )
        raise HTTPException(
            401,
            "log in first (POST /api/login), then send 'Authorization: Bearer <token>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if user.role < minimum:
        rt.audit.append(
            now,
            user.username,
            action,
            f"denied: needs {minimum.name}",
            role=user.role.name,
            address=client_address(request),
            obj=obj,
        )
        raise HTTPException(
            403,
            f"{action} needs the role {minimum.name} or higher; "
            f"{user.username} is {user.role.name}",
        )
    return user
