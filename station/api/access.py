"""Who is asking, and may they: one place for every route's access rule.

- A route that changes anything takes its user from a `RoleRequired` dependency
  (`user: Annotated[User, Depends(RoleRequired(Role.operator, "alarm.ack"))]`).
- Every other route is a read: routers made by `guarded_router` check the read policy
  (`api.open_read`, else a login or the scrape token) for each of them.
- A route open to anyone (the login itself, the page) is marked `@public` and kept in a router
  of its own.
`check_routes` refuses to start an app with a route that follows none of these, so an endpoint
added later cannot be open by mistake. Refusals go to the audit trail, rate-limited per address.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from station.runtime import StationRuntime
from station.users import Role, User

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="The token from POST /api/login; for reading, also the configured scrape token.",
)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LOGIN_FIRST = "log in first (POST /api/login), then send 'Authorization: Bearer <token>'"
UNAUTHORISED = {"WWW-Authenticate": "Bearer"}


def runtime_of(request: Request) -> StationRuntime:
    rt: StationRuntime = request.app.state.runtime
    return rt


def client_address(request: Request) -> str | None:
    """The peer, or the client a configured proxy names (uvicorn trusts only those)."""
    return request.client.host if request.client else None


def _token(creds: HTTPAuthorizationCredentials | None) -> str:
    return creds.credentials if creds is not None else ""


class RoleRequired:
    """The acting user, who needs at least `minimum`; 401/403 otherwise, audited.

    `allow_expired`: an expired session still identifies its user (acknowledging an alarm is
    never blocked by a login time-out). `also`: roles let in below the minimum (the auditor
    reads the audit trail; it writes nothing)."""

    def __init__(
        self,
        minimum: Role,
        action: str,
        allow_expired: bool = False,
        also: frozenset[Role] = frozenset(),
    ) -> None:
        self.minimum = minimum
        self.action = action
        self.allow_expired = allow_expired
        self.also = also

    def __call__(self, request: Request, creds: Credentials) -> User:
        rt = runtime_of(request)
        now = rt.now_ms()
        token = _token(creds)
        user = rt.users.session_user(token, now, self.allow_expired) if token else None
        address = client_address(request)
        obj = request.path_params.get("alarm")
        if user is None:
            rt.refusals.record(
                now, "anonymous", self.action, "not logged in", address=address, obj=obj
            )
            raise HTTPException(401, LOGIN_FIRST, headers=UNAUTHORISED)
        if user.role < self.minimum and user.role not in self.also:
            rt.refusals.record(
                now,
                user.username,
                self.action,
                f"needs {self.minimum.name}",
                role=user.role.name,
                address=address,
                obj=obj,
            )
            raise HTTPException(
                403,
                f"{self.action} needs the role {self.minimum.name} or higher; "
                f"{user.username} is {user.role.name}",
            )
        return user


async def read_access(request: Request, creds: Credentials) -> None:
    """Reading: open on the station LAN when `api.open_read`, else a login (any role) or the
    scrape token. Routes with a role rule check that instead.

    Async on purpose: it runs before every read, and a hop to the thread pool costs more than
    the check (a session lookup is one indexed row)."""
    if request.scope.get("endpoint") in request.app.state.role_endpoints:
        return
    rt = runtime_of(request)
    if rt.config.api.open_read:
        return
    token = _token(creds)
    scrape = rt.config.api.scrape_token
    if token and scrape and hmac.compare_digest(token.encode(), scrape.encode()):
        return
    now = rt.now_ms()
    if token and rt.users.session_user(token, now) is not None:
        return
    rt.refusals.record(
        now,
        "anonymous",
        f"read {request.url.path}",
        "not logged in",
        address=client_address(request),
    )
    raise HTTPException(401, LOGIN_FIRST, headers=UNAUTHORISED)


def guarded_router(**kwargs: Any) -> APIRouter:
    """A router whose every route is a read unless it declares a role."""
    return APIRouter(dependencies=[Depends(read_access)], **kwargs)


F = TypeVar("F", bound=Callable[..., Any])


def public(endpoint: F) -> F:
    """Open to anyone, logged in or not: say so where the route is defined."""
    endpoint.__station_public__ = True  # type: ignore[attr-defined]
    return endpoint


def _dependency_calls(route: APIRoute) -> list[Any]:
    calls: list[Any] = []
    todo = list(route.dependant.dependencies)
    while todo:
        d = todo.pop()
        calls.append(d.call)
        todo.extend(d.dependencies)
    return calls


def route_rule(route: APIRoute) -> str:
    """'public', 'read' or the role a route needs; '' when it has no rule."""
    calls = _dependency_calls(route)
    roles = [c for c in calls if isinstance(c, RoleRequired)]
    if roles:
        top = max(roles, key=lambda r: r.minimum)
        return "+".join([top.minimum.name, *sorted(r.name for r in top.also)])
    if getattr(route.endpoint, "__station_public__", False):
        return "public"
    if read_access in calls and (route.methods or set()) <= READ_METHODS:
        return "read"
    return ""


def check_routes(app: FastAPI, routers: list[APIRouter]) -> dict[tuple[str, str], str]:
    """Every route's rule, by (method, path), from the routers the app includes; refuses an
    app with a route that has none."""
    table: dict[tuple[str, str], str] = {}
    unguarded = []
    role_endpoints = set()
    for router in routers:
        for route in router.routes:
            if not isinstance(route, APIRoute):
                raise RuntimeError(f"{route!r}: only plain API routes can be checked")
            rule = route_rule(route)
            methods = route.methods or set()
            if not rule:
                unguarded.append(f"{','.join(sorted(methods))} {route.path}")
            elif rule not in ("public", "read"):
                role_endpoints.add(route.endpoint)
            for method in methods:
                table[(method, route.path)] = rule
    if unguarded:
        raise RuntimeError(
            "routes without an access rule (RoleRequired, a guarded router, or @public): "
            + "; ".join(unguarded)
        )
    app.state.role_endpoints = role_endpoints
    return table
