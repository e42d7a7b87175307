"""Reports filed in the archive folder in the archive formats, rendered by the worker process,
in the background on the core's loop, one batch after another; a start files whatever a stop
cut short (a file in the folder is always whole)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path

from station.config.models import StationConfig
from station.reports.archive import ReportArchive, StoredReport
from station.reports.document import ReportDocument, archive_name
from station.reports.report_worker import ReportWorker, WorkerClosed

log = logging.getLogger(__name__)


class ReportFiling:
    def __init__(
        self,
        *,
        config: StationConfig,
        archive: ReportArchive,
        worker: ReportWorker,
        folder: Path,
    ) -> None:
        self.config = config
        self.archive = archive
        self.worker = worker
        self.folder = folder
        self.task: asyncio.Task[None] | None = None

    def file_later(self, made: list[StoredReport]) -> None:
        """Files reports in the background (on this loop), one batch after another, beside the
        next generation and the weekly check."""
        if made and self.config.reports.archive_formats:
            self.task = asyncio.create_task(self._file_after(self.task, made), name="file")

    def start(self) -> None:
        if self.config.reports.archive_formats:
            self.task = asyncio.create_task(self._file_unfiled(), name="file-unfiled")

    def cancel(self) -> None:
        """What is not filed yet is filed at the next start; the file being written is finished
        (a file in the folder is always whole)."""
        if self.task is not None:
            self.task.cancel()

    def unfiled_reports(self) -> list[StoredReport]:
        """The latest version of every report whose archive files are not all there: a stop
        cut its filing short, or the disk was full. Names only, no content read."""
        formats = self.config.reports.archive_formats
        latest = {(s.kind, s.period): s for s in self.archive.listing()}
        return [s for s in latest.values() if not self._filed(s, formats)]

    def _filed(self, stored: StoredReport, formats: Sequence[str]) -> bool:
        """A version's files never change (they show its content, hash and version only)."""
        lang, station = self.config.station.language.value, self.config.station.id
        names = (
            archive_name(station, stored.kind, stored.period, stored.version, lang, fmt)
            for fmt in formats
        )
        return all((self.folder / name).exists() for name in names)

    async def _file_unfiled(self) -> None:
        missing = await asyncio.to_thread(self.unfiled_reports)
        if missing:
            log.info("%d reports without their archive files: filing them", len(missing))
            await self.file_reports(missing)

    async def _file_after(
        self, before: asyncio.Task[None] | None, made: list[StoredReport]
    ) -> None:
        if before is not None:
            await asyncio.gather(before, return_exceptions=True)
        await self.file_reports(made)

    async def file_reports(self, made: list[StoredReport]) -> None:
        """Each report made, in the archive formats, into the archive folder. A file that fails
        is logged; the report itself is kept already, and `station report` or the API renders
        it again at any time."""
        formats = tuple(self.config.reports.archive_formats)
        for stored in made:
            if self._filed(stored, formats):
                continue
            doc = ReportDocument.of(stored, self.config, None)
            try:
                await self.worker.files(doc, formats, self.folder)
            except WorkerClosed:  # a stop: the next start files what is missing
                log.info("report %s %s: filed at the next start", stored.kind, stored.period)
                return
            except Exception:
                log.exception("report %s %s: archive files not written", stored.kind, stored.period)
