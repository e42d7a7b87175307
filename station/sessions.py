"""Logging in and out, once for every way in: password guessing throttled per account and
address (station.login_throttle), every login and refusal audited. The password hash itself is
run where the caller bounds it (Argon2id takes 64 MiB a hash)."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from station.audit import AuditTrail
from station.login_throttle import LoginThrottle
from station.refusals import RefusalLog
from station.users import User, UserStore

WRONG = "wrong user name or password"


class LoginRefused(Exception):
    """401 (wrong name or password) or 429 (wait `retry_after_s`)."""

    def __init__(self, status: int, why: str, retry_after_s: int | None = None) -> None:
        super().__init__(why)
        self.status = status
        self.why = why
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class Session:
    user: User
    token: str
    expires_ms: int


class Sessions:
    def __init__(
        self,
        *,
        users: UserStore,
        throttle: LoginThrottle,
        audit: AuditTrail,
        refusals: RefusalLog,
        now_ms: Callable[[], int],
    ) -> None:
        self.users = users
        self.throttle = throttle
        self.audit = audit
        self.refusals = refusals
        self.now_ms = now_ms

    async def login(
        self,
        username: str,
        password: str,
        address: str,
        hash_on: Callable[[Callable[[str, str], User | None], str, str], Awaitable[User | None]],
    ) -> Session:
        """`hash_on(fn, *args)` runs the password check where the caller bounds it. A waiting
        attempt costs no hash."""
        now = self.now_ms()
        wait = self.throttle.wait_s(username, address, now)
        if wait > 0:
            seconds = math.ceil(wait)
            why = f"too many failed logins: try again in {seconds} s"
            self.refusals.record(now, username, "login", why, address=address)
            raise LoginRefused(429, why, seconds)
        user = await hash_on(self.users.authenticate, username, password)
        now = self.now_ms()
        if user is None:
            self.throttle.failed(username, address, now)
            self.refusals.record(now, username, "login", WRONG, address=address)
            raise LoginRefused(401, WRONG)
        self.throttle.succeeded(username, address)
        token, expires = self.users.open_session(user, now)
        self.audit.append(now, user.username, "login", "ok", role=user.role.name, address=address)
        return Session(user, token, expires)

    def logout(self, user: User, token: str, address: str | None) -> None:
        self.users.close_session(token)
        self.audit.append(
            self.now_ms(), user.username, "logout", "ok", role=user.role.name, address=address
        )
