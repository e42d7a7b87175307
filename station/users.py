"""Users, roles and sessions. Passwords are hashed with Argon2id (argon2-cffi)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from enum import IntEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from station.records import RecordsStore

MIGRATIONS = (
    """
CREATE TABLE IF NOT EXISTS users (
    username TEXT PRIMARY KEY, password_hash TEXT NOT NULL, role TEXT NOT NULL,
    display_name TEXT, active INTEGER NOT NULL DEFAULT 1, created INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY, username TEXT NOT NULL, created INTEGER NOT NULL,
    expires INTEGER NOT NULL);
""",
)


class Role(IntEnum):
    """Ordered: each role may do what the roles below it may. The auditor writes nothing: it
    reads what a viewer reads and, beside that, the audit trail (a route names it there, see
    `RoleRequired.also`), which the order alone keeps for the station master. Stored by name,
    so the numbers may change."""

    viewer = 0
    auditor = 1
    operator = 2
    shift_leader = 3
    station_master = 4
    admin = 5


@dataclass(frozen=True)
class User:
    username: str
    role: Role
    display_name: str | None = None


class UserError(Exception):
    pass


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class UserStore:
    def __init__(self, store: RecordsStore, session_s: float = 8 * 3600) -> None:
        self.store = store
        store.ensure_schema("users", MIGRATIONS)
        self.session_s = session_s
        self._hasher = PasswordHasher()

    def add(
        self, username: str, password: str, role: Role, display_name: str | None, now_ms: int
    ) -> User:
        if len(password) < 8:
            raise UserError("a password needs at least 8 characters")
        with self.store.tx() as conn:
            if conn.execute("SELECT 1 FROM users WHERE username=?", (username,)).fetchone():
                raise UserError(f"user {username!r} exists")
            conn.execute(
                "INSERT INTO users VALUES (?,?,?,?,1,?)",
                (username, self._hasher.hash(password), role.name, display_name, now_ms),
            )
        return User(username, role, display_name)

    def set_active(self, username: str, active: bool) -> None:
        with self.store.tx() as conn:
            if (
                conn.execute(
                    "UPDATE users SET active=? WHERE username=?", (int(active), username)
                ).rowcount
                == 0
            ):
                raise UserError(f"no user {username!r}")

    def list(self) -> list[tuple[User, bool]]:
        with self.store.tx() as conn:
            rows = conn.execute(
                "SELECT username, role, display_name, active FROM users ORDER BY username"
            ).fetchall()
        return [(User(u, Role[r], d), bool(a)) for u, r, d, a in rows]

    def authenticate(self, username: str, password: str) -> User | None:
        with self.store.tx() as conn:
            row = conn.execute(
                "SELECT password_hash, role, display_name, active FROM users WHERE username=?",
                (username,),
            ).fetchone()
        if row is None or not row[3]:
            self._hasher.hash(password)  # same time whether or not the user exists
            return None
        try:
            self._hasher.verify(row[0], password)
        except (VerificationError, InvalidHashError):
            return None
        return User(username, Role[row[1]], row[2])

    def open_session(self, user: User, now_ms: int) -> tuple[str, int]:
        token = secrets.token_urlsafe(32)
        expires = now_ms + int(self.session_s * 1000)
        with self.store.tx() as conn:
            conn.execute(
                "INSERT INTO sessions VALUES (?,?,?,?)",
                (_token_hash(token), user.username, now_ms, expires),
            )
        return token, expires

    def session_user(self, token: str, now_ms: int, allow_expired: bool = False) -> User | None:
        """The user behind a token. An expired session still identifies its user where
        `allow_expired` (acknowledging an alarm is never blocked by a login time-out)."""
        with self.store.tx() as conn:
            row = conn.execute(
                "SELECT u.username, u.role, u.display_name, u.active, s.expires FROM sessions s "
                "JOIN users u ON u.username = s.username WHERE s.token_hash=?",
                (_token_hash(token),),
            ).fetchone()
        if row is None or not row[3]:
            return None
        if row[4] < now_ms and not allow_expired:
            return None
        return User(row[0], Role[row[1]], row[2])

    def close_session(self, token: str) -> None:
        with self.store.tx() as conn:
            conn.execute("DELETE FROM sessions WHERE token_hash=?", (_token_hash(token),))
