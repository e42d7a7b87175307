"""One worker process that computes reports from the stores and renders them (HTML with its
charts, XLSX, PDF).

A month's data model, printing a PDF or drawing a chart each take a second or more of CPU and
the interpreter lock for all of it. In the service's own process a thread holding the lock
delays every await of the poll loop by up to the switch interval (5 ms), and a poll of 2,000
tags awaits a few dozen answers: that missed poll slots. In a process of its own, at the lowest
CPU priority, the work never holds up a poll or an API request."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any, TypeVar

from station.alarms.journal import AlarmJournal
from station.config.models import StationConfig
from station.history.store import HistoryStore
from station.records import RecordsStore
from station.reports.archive import ReportArchive
from station.reports.document import ReportDocument
from station.reports.production import ProductionReports
from station.reports.render import render

T = TypeVar("T")
log = logging.getLogger(__name__)
STOP_GRACE_S = 5.0
"""How long a stop waits for the report or file the worker is making."""
_opened: dict[tuple[str, str], ProductionReports] = {}
"""The worker's own handles on the stores, opened on its first report."""


def report_content(
    config: StationConfig, history: str, records: str, kind: str, period: str, now_ms: int
) -> tuple[str, str]:
    """(content, hash) of a period as the stores hold it now (in the worker). The hourly
    records it computes are kept in the ledger from here, stamped with the station's `now_ms`
    (the service's clock, which may be a stepped one)."""
    key = (history, records)
    production = _opened.get(key)
    if production is None or production.config != config:
        store = RecordsStore(records)
        production = ProductionReports(
            config, HistoryStore(history), AlarmJournal(store), ReportArchive(store)
        )
        _opened[key] = production
    production.now_ms = lambda: now_ms
    return production.content(kind, period)


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


def _worker_start() -> None:
    """The worker runs at the lowest CPU priority: on a station PC of two cores, a PDF being
    printed must never take a core from acquisition. It leaves stopping to the service: a
    Ctrl-C or a service manager's stop reaches the whole process group, and the service
    finishes the file being written, then closes the worker."""
    os.nice(19)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


class WorkerClosed(RuntimeError):
    """The station is stopping: what was asked of the worker is done at the next start."""


class ReportWorker:
    """Started on first use; spawned, not forked (the service has threads, and a fork could
    copy a lock some thread holds)."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._closed = False
        self._jobs: set[Future[Any]] = set()
        """Submitted and not done: what a stop cancels while it waits."""

    def _executor(self) -> ProcessPoolExecutor:
        if self._closed:  # a process started now would outlive the station
            raise WorkerClosed("the report worker is closed: the station is stopping")
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_worker_start,
            )
        return self._pool

    def _submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        job = self._executor().submit(fn, *args)
        self._jobs.add(job)
        job.add_done_callback(self._jobs.discard)
        return job

    async def render(self, doc: ReportDocument, fmt: str) -> bytes:
        return await asyncio.wrap_future(self._submit(render, doc, fmt))

    async def files(self, doc: ReportDocument, formats: tuple[str, ...], folder: Path) -> list[str]:
        return await asyncio.wrap_future(self._submit(render_to_files, doc, formats, str(folder)))

    def content(
        self,
        config: StationConfig,
        history: Path,
        records: Path,
        kind: str,
        period: str,
        now_ms: int,
    ) -> tuple[str, str]:
        """Blocking: for the threads that generate reports (the scheduled catch-up, the API's
        generate), which wait for it anyway."""
        job = self._submit(report_content, config, str(history), str(records), kind, period, now_ms)
        return job.result()

    def stop_taking(self) -> None:
        """At a stop: no new job, and those still queued cancelled (their reports are made or
        filed at the next start, from the cursors): the stop waits for the job under way
        only, not for a backlog of PDFs."""
        self._closed = True
        for job in list(self._jobs):
            job.cancel()

    def close(self, grace_s: float = STOP_GRACE_S) -> None:
        """Blocking. The job under way gets `grace_s` to finish; a worker still busy then is
        ended. It runs at the lowest priority, so on a loaded PC a long PDF could hold a stop
        for minutes; ending it loses nothing: files are written whole or not at all, a
        report's content is kept by the service (not the worker), and the next start makes
        and files what is missing."""
        self.stop_taking()
        pool, self._pool = self._pool, None
        if pool is None:
            return
        _, running = wait(list(self._jobs), timeout=grace_s)
        if running:
            log.warning(
                "report worker still busy %.0f s into the stop: ended (%d job(s) left for "
                "the next start)",
                grace_s,
                len(running),
            )
            # the executor has no public way to end its process before Python 3.14
            for process in list((getattr(pool, "_processes", None) or {}).values()):
                process.kill()  # it ignores SIGTERM (the service stops it)
        pool.shutdown(wait=True, cancel_futures=True)
