"""The records store (SQLite): alarm journal, alarm states, rule changes, users, audit trail.

Each package owns its tables and their migrations (station.schema_versions)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from station.schema_versions import migrate

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    D = TypeVar("D", bound=DataclassInstance)


def from_row(cls: type[D], row: Sequence[Any]) -> D:
    """A keyword-only record from a row whose columns are its fields, in order."""
    names = [f.name for f in fields(cls)]
    return cls(**dict(zip(names, row, strict=True)))


class RecordsStore:
    """One connection, serialised by a lock: records are small, rare writes."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._lock = threading.RLock()

    def ensure_schema(self, owner: str, migrations: Sequence[str]) -> None:
        """Each package that keeps records here brings its own numbered migrations."""
        with self._lock:
            migrate(self._conn, owner, migrations)

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock, self._conn:
            yield self._conn

    def close(self) -> None:
        with self._lock:
            self._conn.close()
