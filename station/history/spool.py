"""On-disk spool of line protocol: append-only segment files and a persisted read cursor.

Survives restarts; read in the order written; bounded in size (the oldest segment goes when it
is full, counted, and the forwarder raises an alarm well before that).
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path


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
        self.cursor = self._load_cursor(segments)
        self.dropped_bytes = 0

    def _segments(self) -> list[int]:
        return sorted(int(p.stem) for p in self.folder.glob("*.lp"))

    def _path(self, seg: int) -> Path:
        return self.folder / f"{seg:09d}.lp"

    def _load_cursor(self, segments: list[int]) -> Cursor:
        try:
            data = json.loads(self._cursor_file.read_text())
            return Cursor(int(data["segment"]), int(data["offset"]))
        except (OSError, ValueError, KeyError):
            return Cursor(segments[0] if segments else 1, 0)

    def _save_cursor(self) -> None:
        tmp = self._cursor_file.with_suffix(".tmp")
        tmp.write_text(json.dumps({"segment": self.cursor.segment, "offset": self.cursor.offset}))
        os.replace(tmp, self._cursor_file)

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
            with path.open("ab") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            self._enforce_limit()

    def _enforce_limit(self) -> None:
        while self.size_bytes > self.max_bytes:
            segments = self._segments()
            if len(segments) <= 1:
                return
            oldest = segments[0]
            size = self._path(oldest).stat().st_size
            self._path(oldest).unlink()
            self.dropped_bytes += size - (
                self.cursor.offset if self.cursor.segment == oldest else 0
            )
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
