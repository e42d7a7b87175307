"""Failed logins slow the one who fails, never the user at their own console.

Password guessing is throttled three ways, each by a lockout that grows with every further
failure (1 s, 2 s, 4 s … up to `max_lock_s`):
- per (user name, address): one client guessing one account;
- per address: one client trying many accounts;
- per user name: many clients guessing one account.
The last two count only attempts from addresses the user has never logged in from: the user at
their own console (or a colleague at the shared one) is slowed by their own mistakes alone, so
an attacker cannot lock the real user out.
A throttled attempt is refused before any password hash is computed.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass
class _Failures:
    count: int = 0
    locked_until_ms: int = 0
    last_ms: int = 0


class LoginThrottle:
    def __init__(
        self,
        per_pair: int = 5,
        per_address: int = 20,
        per_user: int = 10,
        max_lock_s: float = 900,
        forget_after_s: float = 3600,
    ) -> None:
        self.free = {"pair": per_pair, "address": per_address, "user": per_user}
        self.max_lock_ms = int(max_lock_s * 1000)
        self.forget_ms = int(forget_after_s * 1000)
        self._failures: dict[tuple[str, str], _Failures] = {}
        self._known: dict[str, set[str]] = {}
        """Per user, the addresses they have logged in from."""
        self._lock = threading.Lock()

    def _keys(self, username: str, address: str) -> list[tuple[str, str]]:
        keys = [("pair", f"{username}\0{address}")]
        if address not in self._known.get(username, ()):
            keys += [("address", address), ("user", username)]
        return keys

    def wait_s(self, username: str, address: str, now_ms: int) -> float:
        """0 if an attempt may go ahead now, else how long this client must wait."""
        with self._lock:
            until = 0
            for key in self._keys(username, address):
                f = self._failures.get(key)
                if f is not None and now_ms - f.last_ms < self.forget_ms:
                    until = max(until, f.locked_until_ms)
            return max(0.0, (until - now_ms) / 1000)

    def failed(self, username: str, address: str, now_ms: int) -> None:
        with self._lock:
            for key in self._keys(username, address):
                f = self._failures.get(key)
                if f is None or now_ms - f.last_ms >= self.forget_ms:
                    f = self._failures[key] = _Failures()
                f.count += 1
                f.last_ms = now_ms
                over = f.count - self.free[key[0]]
                if over >= 0:
                    lock = min(self.max_lock_ms, 1000 << min(over, 20))
                    f.locked_until_ms = max(f.locked_until_ms, now_ms + lock)
            if len(self._failures) > 100_000:
                self._forget(now_ms)

    def succeeded(self, username: str, address: str) -> None:
        with self._lock:
            self._failures.pop(("pair", f"{username}\0{address}"), None)
            self._known.setdefault(username, set()).add(address)

    def _forget(self, now_ms: int) -> None:
        for key in [k for k, f in self._failures.items() if now_ms - f.last_ms >= self.forget_ms]:
            del self._failures[key]
