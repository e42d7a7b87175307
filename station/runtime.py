"""The running station: the services wired in `station.wiring`, started and stopped in order,
their periodic work run as named jobs, and the one typed door to the core's state."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar, TypeVarTuple, Unpack

from station.clock import WallClock
from station.reports.scheduled import ReportScheduler
from station.wiring import StationParts, audit_key_file, counter_specs

__all__ = ["StationRuntime", "audit_key_file", "counter_specs"]
T = TypeVar("T")
Ts = TypeVarTuple("Ts")


class StationRuntime(StationParts):
    report_scheduler: ReportScheduler | None = None
    """apscheduler, on the wall clock only (it cannot follow another clock)."""

    async def call(self, fn: Callable[[Unpack[Ts]], T], *args: *Ts) -> T:
        """Runs `fn` on the loop that owns the station's state and waits for it: how anything
        else (the API's threads and loop) changes or reads core state, so that state has one
        owner and no locks."""
        return await self.door.call(fn, *args)

    def call_soon(self, fn: Callable[[Unpack[Ts]], Any], *args: *Ts) -> None:
        """Runs `fn` on the owning loop without waiting (where waiting is not possible)."""
        self.door.call_soon(fn, *args)

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        return self.door.loop

    @property
    def reports_due_ms(self) -> int:
        return self.report_jobs.due_ms if self.report_jobs is not None else 0

    def stage_cpu_s(self) -> dict[str, float]:
        """CPU seconds per stage: each fan-out consumer on the poll loop, the writer thread."""
        return {**self.bus.cpu_s, "history-writer": self.history.stats.cpu_s}

    async def start(self) -> None:
        self.door.open()
        if self.report_jobs is not None and isinstance(self.clock, WallClock):
            assert self.reports is not None and self.door.loop is not None
            self.report_scheduler = ReportScheduler(
                self.reports.calendar, self.door.loop, self.report_jobs.fired
            )
            self.report_jobs.scheduled = True
            self.report_scheduler.start()
        self.history.start()
        if self.influx is not None:
            self.influx.start()
        if self.notification is not None:
            self.notification.start()
        self._tasks = [
            asyncio.create_task(dev.run(), name=f"poll-{dev.device.id}") for dev in self.devices
        ]
        self._jobs_task = asyncio.create_task(self.jobs.run_forever(), name="jobs")
        self.filing.start()

    async def reporting_done(self) -> None:
        """Waits for the report, filing or weekly-flow work under way (a stepped clock outruns
        it); from any loop (the tasks are the core's)."""
        await self.door.run(self._reporting_done)

    async def _reporting_done(self) -> None:
        # read each task when its turn comes: a report made now starts its filing then
        if self.report_jobs is not None and self.report_jobs.task is not None:
            await asyncio.gather(self.report_jobs.task, return_exceptions=True)
        for task in (self.filing.task, self.handover.task):
            if task is not None:
                await asyncio.gather(task, return_exceptions=True)

    async def stop(self) -> None:
        if self.report_scheduler is not None:
            self.report_scheduler.stop()
        # no new periodic work and no new report from here; the filing backlog cancelled;
        # the report worker gets a few seconds for what it is making, then is ended, so the
        # report work under way ends too (the next start makes and files what is missing,
        # from the cursors); a report made meanwhile queued filing: cancelled as well
        if self.report_jobs is not None:
            self.report_jobs.stop_making()
        self.report_worker.stop_taking()
        jobs = getattr(self, "_jobs_task", None)
        if jobs is not None:
            jobs.cancel()
            await asyncio.gather(jobs, return_exceptions=True)
        self.filing.cancel()
        await asyncio.to_thread(self.report_worker.close)
        await self._reporting_done()
        self.filing.cancel()
        tasks = getattr(self, "_tasks", [])
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for dev in self.devices:
            await dev.close()
        if self.notification is not None:
            await self.notification.stop()
        self.refusals.flush(self.now_ms() + 60_000)
        self.anchor.anchor(self.now_ms())
        self.history.stop()
        if self.influx is not None:
            self.influx.stop()
        self.records.close()
