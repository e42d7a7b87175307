"""Numbered schema migrations for the SQLite files, one sequence per owning package.

A file keeps a `schema_versions` table: each owner (history, alarms, users, audit, and the
packages that come later) records the number of its last migration applied. On open, the
owner's migrations after that number run in order, each in its own transaction, so a station
upgraded in place keeps every record. A file from a newer program is refused, not guessed at.
Files made before versions were recorded count as version 0 and get every migration; the first
of each owner uses CREATE … IF NOT EXISTS so that such files pass it unchanged.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence


class SchemaTooNew(RuntimeError):
    pass


def migrate(conn: sqlite3.Connection, owner: str, migrations: Sequence[str]) -> int:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_versions (owner TEXT PRIMARY KEY, version INTEGER)"
    )
    conn.commit()
    row = conn.execute("SELECT version FROM schema_versions WHERE owner = ?", (owner,)).fetchone()
    version = 0 if row is None else int(row[0])
    if version > len(migrations):
        raise SchemaTooNew(
            f"{owner} schema version {version} is newer than this program knows "
            f"({len(migrations)}): run the newer program, or restore a backup"
        )
    for number, script in enumerate(migrations[version:], start=version + 1):
        conn.executescript(
            f"BEGIN; {script}\n"
            f"INSERT INTO schema_versions VALUES ('{owner}', {number}) "
            "ON CONFLICT(owner) DO UPDATE SET version = excluded.version; COMMIT;"
        )
    return len(migrations)


def version_of(conn: sqlite3.Connection, owner: str) -> int:
    try:
        row = conn.execute(
            "SELECT version FROM schema_versions WHERE owner = ?", (owner,)
        ).fetchone()
    except sqlite3.OperationalError:
        return 0
    return 0 if row is None else int(row[0])
