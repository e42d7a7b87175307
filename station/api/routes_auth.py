"""Logging in and out: password guessing throttled (station.login_throttle), hashing bounded."""

from __future__ import annotations

from typing import Annotated, TypeVar

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from station.api.access import Credentials, client_address, public
from station.api.deps import Actor, Hashing, SessionsDep, acting
from station.api.schemas.auth import LoginOut
from station.api.timefmt import from_ms
from station.sessions import LoginRefused
from station.users import Role

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
async def login(
    request: Request, sessions: SessionsDep, hashing: Hashing, body: LoginIn
) -> LoginOut:
    address = client_address(request) or "?"
    try:
        s = await sessions.login(body.username, body.password, address, hashing.run)
    except LoginRefused as exc:
        headers = {"Retry-After": str(exc.retry_after_s)} if exc.retry_after_s else None
        raise HTTPException(exc.status, exc.why, headers) from None
    return LoginOut(
        token=s.token,
        username=s.user.username,
        role=s.user.role.name,
        expires=from_ms(s.expires_ms),
    )


@router.post("/api/logout", status_code=204, responses={401: {"description": "not logged in"}})
def logout(
    sessions: SessionsDep,
    actor: Annotated[Actor, acting(Role.viewer, "logout", allow_expired=True)],
    creds: Credentials,
) -> None:
    assert creds is not None
    sessions.logout(actor.user, creds.credentials, actor.address)
