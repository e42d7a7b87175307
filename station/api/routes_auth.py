"""Logging in and out: password guessing throttled (station.login_throttle), hashing bounded."""

from __future__ import annotations

import math
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field

from station.api.access import Credentials, RoleRequired, client_address, public, runtime_of
from station.api.bounded import BoundedWork
from station.api.schemas.auth import LoginOut
from station.api.timefmt import from_ms
from station.users import Role, User

router = APIRouter(tags=["auth"])
T = TypeVar("T")


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


@router.post(
    "/api/login",
    response_model=LoginOut,
    responses={
        401: {"description": "wrong user name or password"},
        429: {"description": "too many failed logins from here: wait (Retry-After)"},
        503: {"description": "too many logins at once"},
    },
)
@public
async def login(request: Request, body: LoginIn) -> LoginOut:
    rt = runtime_of(request)
    now = rt.now_ms()
    address = client_address(request) or "?"
    wait = rt.login_throttle.wait_s(body.username, address, now)
    if wait > 0:
        seconds = math.ceil(wait)
        why = f"too many failed logins: try again in {seconds} s"
        rt.refusals.record(now, body.username, "login", why, address=address)
        raise HTTPException(429, why, {"Retry-After": str(seconds)})
    hashing: BoundedWork = request.app.state.hashing
    user = await hashing.run(rt.users.authenticate, body.username, body.password)
    now = rt.now_ms()
    if user is None:
        rt.login_throttle.failed(body.username, address, now)
        rt.refusals.record(
            now, body.username, "login", "wrong user name or password", address=address
        )
        raise HTTPException(401, "wrong user name or password")
    rt.login_throttle.succeeded(body.username, address)
    token, expires = rt.users.open_session(user, now)
    rt.audit.append(now, user.username, "login", "ok", role=user.role.name, address=address)
    return LoginOut(
        token=token, username=user.username, role=user.role.name, expires=from_ms(expires)
    )


@router.post("/api/logout", status_code=204, responses={401: {"description": "not logged in"}})
def logout(
    request: Request,
    user: Annotated[User, Depends(RoleRequired(Role.viewer, "logout", allow_expired=True))],
    creds: Credentials,
) -> None:
    rt = runtime_of(request)
    assert creds is not None
    rt.users.close_session(creds.credentials)
    rt.audit.append(
        rt.now_ms(),
        user.username,
        "logout",
        "ok",
        role=user.role.name,
        address=client_address(request),
    )
