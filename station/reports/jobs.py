"""The reports' periodic work: the periods due since their cursors (made on a worker thread,
never on the core's loop), and each ended hour against the same hour last week. In production
apscheduler's firing says when to look (`fired`); under a stepped or accelerated clock the
cursors' own next due time does."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from station.history import HistoryWriter
from station.jobs import Job
from station.reports.archive import StoredReport
from station.reports.filing import ReportFiling
from station.reports.production import ProductionReports
from station.reports.weekly_flow import hour_ending_by

log = logging.getLogger(__name__)
NEVER = 2**62
SetAlarm = Callable[[str, bool, int, str], None]


class ReportJobs:
    def __init__(
        self,
        *,
        reports: ProductionReports,
        history: HistoryWriter,
        filing: ReportFiling,
        generate_after_s: float,
        set_alarm: SetAlarm,
        now_ms: Callable[[], int],
    ) -> None:
        self.reports = reports
        self.history = history
        self.filing = filing
        self.generate_after_s = generate_after_s
        self.set_alarm = set_alarm
        self.now_ms = now_ms
        self.scheduled = False
        """apscheduler runs the schedule (on the wall clock only): no look between firings."""
        self.task: asyncio.Task[None] | None = None
        self.due_ms = 0
        """Station time the next report falls due: no look (no thread, no query) before."""
        self.weekly_due_ms = 0
        self.weekly_done_ms = 0
        """End of the last hour judged against the same hour last week."""
        self.fired_count = 0
        """Report triggers fired since start: apscheduler's firings in production, else each
        time the station clock found periods due and reports were made."""
        self.made_count = 0
        """Reports made since start (every kind)."""
        self.last_made: StoredReport | None = None
        self._stopping = threading.Event()
        """Set at a stop: the catch-up on its worker thread makes no further report."""

    def stop_making(self) -> None:
        """No report after the one under way: a stop waits for one report, not a backlog."""
        self._stopping.set()

    def look(self, now_ms: int) -> None:
        """The job: one piece of report work at a time, reports before the weekly check."""
        if self.task is not None and not self.task.done():
            return
        if now_ms >= self.due_ms:
            self.task = asyncio.create_task(self._reports_due(now_ms), name="reports")
        elif now_ms >= self.weekly_due_ms:
            self.task = asyncio.create_task(self._weekly_flow_due(now_ms), name="weekly")

    def fired(self, kind: str) -> None:
        """apscheduler's firing at a period's end: look once the delay for late data is over."""
        self.fired_count += 1
        due = self.now_ms() + int(self.generate_after_s * 1000)
        self.due_ms = min(self.due_ms, due)

    async def _reports_due(self, now_ms: int) -> None:
        reports, delay = self.reports, self.generate_after_s

        def make() -> tuple[list[StoredReport], int]:
            made = reports.catch_up(
                now_ms, delay, None, self.history.flushed_until_ms or 0, self._stopping.is_set
            )
            # a period the history file does not hold yet stays due: looked at next second
            return made, reports.next_due_ms(delay)

        try:
            made, due = await asyncio.to_thread(make)
        except Exception:
            if self._stopping.is_set():  # its worker job was cancelled: made at the next start
                log.info("report generation stopped by the stop")
                return
            log.exception("report generation failed; it is tried again in a minute")
            self.due_ms = now_ms + 60_000
            return
        if self.scheduled and due > now_ms:
            due = NEVER  # in production apscheduler's firing says when to look next
        self.due_ms = due
        if made:
            self.made_count += len(made)
            self.last_made = made[-1]
            if not self.scheduled:
                self.fired_count += 1
        self.filing.file_later(made)

    async def _weekly_flow_due(self, now_ms: int) -> None:
        """The last hour the history file holds, against the same hour last week (read on a
        worker thread); then nothing until the next hour has ended."""
        reports = self.reports
        until = datetime.fromtimestamp(min(now_ms, self.history.flushed_until_ms or 0) / 1000, UTC)
        hour = hour_ending_by(reports.calendar.tz, until)
        if hour.end_ms <= self.weekly_done_ms:
            self.weekly_due_ms = now_ms + 1000  # the file does not hold the next hour yet
            return
        self.weekly_due_ms = hour.end_ms + 3_600_000
        try:
            judged = await asyncio.to_thread(reports.weekly_flows, hour)
        except Exception:
            log.exception("weekly flow comparison failed; it is tried again")
            self.weekly_due_ms = now_ms + 60_000
            return
        for run, flow in judged:
            assert run.weekly_deviation is not None
            off = flow.off(run.weekly_deviation, run.cutoff)
            if off is not None:
                self.set_alarm(f"FLOW-WEEK.{run.id}", off, now_ms, flow.describe())
        self.weekly_done_ms = hour.end_ms

    def jobs(self) -> list[Job]:
        return [Job(name="reports.due", every_s=1, run=self.look)]
