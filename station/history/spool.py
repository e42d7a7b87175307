"""On-disk spool of line protocol: append-only segment files and a persisted read cursor.

Survives restarts; read in the order written; bounded in size (the oldest segment goes when it
is full, counted, and the forwarder raises an alarm well before that).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass
class Cursor:
    segment: int
    offset: int


class Spool:
    def __init__(self, folder: str | Path, max_bytes: int, segment_bytes: int = 4 << 20) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes
        self.segment_bytes = segment_bytes
        self._lock = threading.Lock()
        self._cursor_file = self.folder / "cursor.json"
        segments = self._segments()
        self._write_seg = segments[-1] if segments else 1
        self.torn_bytes = self._discard_torn_tail()
        self.cursor = self._load_cursor(segments)
        self.dropped_bytes = 0
        self.dropped_lines = 0
        """Points lost because the spool was full (oldest segments dropped unread)."""

    def _segments(self) -> list[int]:
        return sorted(int(p.stem) for p in self.folder.glob("*.lp"))

    def _path(self, seg: int) -> Path:
        return self.folder / f"{seg:09d}.lp"

    def _discard_torn_tail(self) -> int:
        """Records end with a newline; a write cut off by a kill or a full disk leaves a
        partial last record, which would be glued to the next one. Cut it off at start."""
        path = self._path(self._write_seg)
        try:
            data = path.read_bytes()
        except OSError:
            return 0
        if not data or data.endswith(b"\n"):
            return 0
        keep = data.rfind(b"\n") + 1
        with path.open("r+b") as f:
            f.truncate(keep)
            os.fsync(f.fileno())
        log.warning("spool %s: discarded a torn last record (%d bytes)", path, len(data) - keep)
        return len(data) - keep

    def _load_cursor(self, segments: list[int]) -> Cursor:
        first = Cursor(segments[0] if segments else 1, 0)
        try:
            data = json.loads(self._cursor_file.read_text())
            cursor = Cursor(int(data["segment"]), int(data["offset"]))
        except FileNotFoundError:
            return first
        except (OSError, ValueError, KeyError, TypeError):
            # replaying from the oldest segment may send some points twice; losing them is worse
            log.warning("spool cursor %s unreadable: replaying from the start", self._cursor_file)
            return first
        if cursor.offset < 0:
            log.warning("spool cursor %s points nowhere: replaying from the start", cursor)
            return first
        if segments and cursor.segment < segments[0]:
            return first  # its segment is gone (dropped when full): go on with the oldest
        return cursor

    def _save_cursor(self) -> None:
        tmp = self._cursor_file.with_suffix(".tmp")
        try:
            tmp.write_text(
                json.dumps({"segment": self.cursor.segment, "offset": self.cursor.offset})
            )
            os.replace(tmp, self._cursor_file)
        except OSError as exc:
            # a full disk: the cursor holds in memory and is saved with the next change; a
            # kill meanwhile replays from the last saved one (points sent twice, never lost)
            log.warning("spool cursor not saved (%s); kept in memory", exc)

    @property
    def size_bytes(self) -> int:
        total = 0
        for seg in self._segments():
            try:
                total += self._path(seg).stat().st_size
            except OSError:
                continue
        if self.cursor.segment in self._segments():
            total -= self.cursor.offset
        return max(0, total)

    def append(self, lines: list[str]) -> None:
        if not lines:
            return
        data = ("\n".join(lines) + "\n").encode()
        with self._lock:
            path = self._path(self._write_seg)
            if path.exists() and path.stat().st_size + len(data) > self.segment_bytes:
                self._write_seg += 1
                path = self._path(self._write_seg)
            with path.open("ab", buffering=0) as f:
                start = f.tell()
                try:
                    written = f.write(data)
                    if written != len(data):
                        raise OSError(28, f"short write ({written} of {len(data)} bytes)")
                    os.fsync(f.fileno())
                except OSError:
                    # a full disk cut the write short: take the partial record back, so the
                    # next append (when space returns) does not glue onto it
                    with contextlib.suppress(OSError):
                        f.truncate(start)
                    raise
            self._enforce_limit()

    def _enforce_limit(self) -> None:
        while self.size_bytes > self.max_bytes:
            segments = self._segments()
            if len(segments) <= 1:
                return
            oldest = segments[0]
            data = self._path(oldest).read_bytes()
            self._path(oldest).unlink()
            unread = data[self.cursor.offset :] if self.cursor.segment == oldest else data
            self.dropped_bytes += len(unread)
            self.dropped_lines += unread.count(b"\n")
            log.warning("spool full: dropped %d unsent points", unread.count(b"\n"))
            if self.cursor.segment <= oldest:
                self.cursor = Cursor(segments[1], 0)
                self._save_cursor()

    def read(self, max_lines: int) -> tuple[list[str], Cursor]:
        """The next lines after the cursor (not consumed until `commit`)."""
        with self._lock:
            seg, off = self.cursor.segment, self.cursor.offset
            lines: list[str] = []
            while len(lines) < max_lines:
                path = self._path(seg)
                if not path.exists():
                    if seg < self._write_seg:
                        seg, off = seg + 1, 0
                        continue
                    break
                with path.open("rb") as f:
                    f.seek(off)
                    while len(lines) < max_lines:
                        raw = f.readline()
                        if not raw.endswith(b"\n"):
                            break  # nothing more (or a line still being written)
                        lines.append(raw.decode().rstrip("\n"))
                        off += len(raw)
                if len(lines) < max_lines and seg < self._write_seg:
                    seg, off = seg + 1, 0
                    continue
                break
            return lines, Cursor(seg, off)

    def commit(self, cursor: Cursor) -> None:
        with self._lock:
            for seg in self._segments():
                if seg < cursor.segment:
                    self._path(seg).unlink(missing_ok=True)
            self.cursor = cursor
            self._save_cursor()
