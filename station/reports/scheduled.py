"""In production the report schedule is run by apscheduler: an AsyncIOScheduler on the core's
loop fires each kind's trigger (the same triggers `schedule` defines) when its period ends.

A firing only says "look now": what is made comes from the kinds' cursors, so a firing that
apscheduler skips (a loop that was busy, a clock that jumped, the service down over the due
time) costs nothing, and a firing with nothing due makes nothing twice. Under an accelerated
or stepped clock, apscheduler (which reads the wall clock) is not used and the station's clock
fires the same triggers itself (`next_due_ms`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from station.calendar import StationCalendar
from station.reports.schedule import report_triggers

log = logging.getLogger(__name__)


class ReportScheduler:
    def __init__(
        self,
        calendar: StationCalendar,
        loop: asyncio.AbstractEventLoop,
        fired: Callable[[str], None],
    ) -> None:
        self._fired = fired
        self.scheduler = AsyncIOScheduler(
            event_loop=loop,
            timezone=calendar.tz,
            # the cursors catch up whatever a firing missed: never queue stale firings
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        for kind, trigger in report_triggers(calendar).items():
            self.scheduler.add_job(self._fire, trigger, args=[kind], id=f"report-{kind}")

    def _fire(self, kind: str) -> None:
        log.info("apscheduler fired the %s report", kind)
        self._fired(kind)

    def start(self) -> None:
        self.scheduler.start()

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
