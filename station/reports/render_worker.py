"""One worker process that renders reports (HTML with its charts, XLSX, PDF).

Printing a PDF or drawing a chart takes up to a second of CPU and the interpreter lock for all
of it; in a process of its own it never holds up a poll or an API request."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from station.reports.document import ReportDocument, render


def render_to_files(doc: ReportDocument, formats: tuple[str, ...], folder: str) -> list[str]:
    """Writes the document in each format into the archive folder (atomically: a file there is
    always whole); returns the paths."""
    out = []
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    for fmt in formats:
        path = target / doc.file_name(fmt)
        part = path.with_suffix(path.suffix + ".part")
        part.write_bytes(render(doc, fmt))
        part.replace(path)
        out.append(str(path))
    return out


def _yield_to_polls() -> None:
    """The worker runs at the lowest CPU priority: on a station PC of two cores, a PDF being
    printed must never take a core from acquisition."""
    os.nice(19)


class RenderWorker:
    """Started on first use; spawned, not forked (the service has threads, and a fork could
    copy a lock some thread holds)."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_yield_to_polls,
            )
        return self._pool

    async def render(self, doc: ReportDocument, fmt: str) -> bytes:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor(), render, doc, fmt)

    async def files(self, doc: ReportDocument, formats: tuple[str, ...], folder: Path) -> list[str]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor(), render_to_files, doc, formats, str(folder)
        )

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
