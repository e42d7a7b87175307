"""The service's SQLite files checked before use, and moved aside when damaged.

A damaged file found at start stops the service with a message that names the file and the
way out, rather than a traceback or a service whose every write fails. `station repair`
moves the damaged file aside (kept whole, for a specialist to recover more later), copies into
a fresh file every row it can still read, and says how many it saved and lost.
"""

from __future__ import annotations

import shutil
import sqlite3
import struct
import time
from dataclasses import dataclass
from pathlib import Path

DATA_FILES = ("history.sqlite3", "records.sqlite3")


class DamagedFile(RuntimeError):
    def __init__(self, path: Path, detail: str) -> None:
        self.path = path
        self.detail = detail
        super().__init__(
            f"{path}: damaged ({detail}). The service will not start on it. "
            f"Run `station repair --data-dir {path.parent}` to move it aside (kept as "
            f"{path.name}.damaged-…) and copy every readable row into a fresh file, "
            "or restore it from a backup."
        )


def check_file(path: Path) -> None:
    """Raise DamagedFile unless the file is absent or passes SQLite's quick_check."""
    if not path.exists():
        return
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        try:
            rows = [r[0] for r in conn.execute("PRAGMA quick_check").fetchall()]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise DamagedFile(path, str(exc)) from None
    if rows != ["ok"]:
        raise DamagedFile(path, "; ".join(rows[:3]))


def check_data_dir(data_dir: Path) -> None:
    for name in DATA_FILES:
        check_file(data_dir / name)


@dataclass(frozen=True, slots=True)
class Salvage:
    damaged: Path
    kept_as: Path
    rows_saved: int
    tables_lost: list[str]


def repair(path: Path) -> Salvage | None:
    """Move a damaged file aside and salvage what can be read; None when it is sound."""
    try:
        check_file(path)
        return None
    except DamagedFile:
        pass
    kept = path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%dT%H%M%S')}")
    path.rename(kept)
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.rename(kept.with_name(kept.name + suffix))
    readable = kept.with_name(kept.name + ".salvage")
    try:
        schema, gone = _readable_copy(kept, readable)
        saved, lost = _copy_rows(readable, path, schema, gone)
    except sqlite3.DatabaseError:
        return Salvage(path, kept, 0, ["(schema unreadable)"])
    finally:
        for p in (readable, *(readable.with_name(readable.name + x) for x in ("-wal", "-shm"))):
            p.unlink(missing_ok=True)
    return Salvage(path, kept, saved, lost)


def _readable_copy(damaged: Path, copy: Path) -> tuple[list[tuple[str, str, str]], list[str]]:
    """A scratch copy SQLite will open: its header claims no more pages than the file has,
    and schema entries whose pages are gone are taken out (their tables are then recreated
    empty). The damaged file itself is left as it was. Returns the whole schema (type, name,
    sql) and the tables whose pages were gone."""
    shutil.copyfile(damaged, copy)
    size = copy.stat().st_size
    with copy.open("r+b") as f:
        header = f.read(100)
        if len(header) < 100 or not header.startswith(b"SQLite format 3\0"):
            raise sqlite3.DatabaseError("no SQLite header")
        page = struct.unpack(">H", header[16:18])[0]
        page = 65536 if page == 1 else page
        f.seek(28)
        f.write(struct.pack(">I", size // page))
    pages = size // page
    conn = sqlite3.connect(copy)
    try:
        conn.execute("PRAGMA writable_schema=ON")
        entries = conn.execute(
            "SELECT type, name, sql, rootpage FROM sqlite_master WHERE sql IS NOT NULL "
            "ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 ELSE 2 END"
        ).fetchall()
        gone = [name for kind, name, _, root in entries if kind == "table" and root > pages]
        conn.execute("DELETE FROM sqlite_master WHERE rootpage > ?", (pages,))
        conn.commit()
    finally:
        conn.close()
    return [(kind, name, sql) for kind, name, sql, _ in entries], gone


def _copy_rows(
    source: Path, target: Path, schema: list[tuple[str, str, str]], gone: list[str]
) -> tuple[int, list[str]]:
    saved, lost = 0, list(gone)
    old = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    new = sqlite3.connect(target)
    try:
        for _, _, sql in schema:
            try:
                new.execute(sql)
            except sqlite3.DatabaseError:
                continue
        for kind, name, _ in schema:
            if kind != "table" or name in gone or name.startswith("sqlite_"):
                continue
            rows = _rows_one_by_one(old, name)
            if not rows:
                continue
            marks = ",".join("?" * len(rows[0]))
            new.executemany(f'INSERT OR IGNORE INTO "{name}" VALUES ({marks})', rows)
            saved += len(rows)
        new.commit()
    finally:
        new.close()
        old.close()
    return saved, lost


def _rows_one_by_one(conn: sqlite3.Connection, name: str) -> list[tuple[object, ...]]:
    """Walk a damaged table as far as it reads; what lies past the damage is lost."""
    rows: list[tuple[object, ...]] = []
    try:
        for row in conn.execute(f'SELECT * FROM "{name}"'):
            rows.append(tuple(row))
    except sqlite3.DatabaseError:
        pass
    return rows
