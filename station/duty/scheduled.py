"""The duty domain's periodic work: the desk's tick (overdue rounds, the automatic log entries)
and the handover drafted at every shift's end with what the service knows at that instant."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from station.alarms.engine import AlarmEngine
from station.calendar import Period
from station.config.reports import ReportsConfig
from station.core_door import CoreDoor
from station.duty.desk import DutyDesk
from station.history import HistoryStore, HistoryWriter
from station.history.store import Aggregate
from station.jobs import Job

log = logging.getLogger(__name__)


class HandoverDrafting:
    def __init__(
        self,
        *,
        desk: DutyDesk,
        door: CoreDoor,
        history: HistoryWriter,
        history_store: HistoryStore,
        reports: ReportsConfig,
        now_ms: Callable[[], int],
    ) -> None:
        self.desk = desk
        self.door = door
        self.history = history
        self.history_store = history_store
        self.reports = reports
        self.now_ms = now_ms
        self.due_ms = 0
        """The end of the shift under way: its handover is drafted then."""
        self.task: asyncio.Task[None] | None = None

    def look(self, now_ms: int) -> None:
        """The job: at a shift's end, the draft in the background (one at a time)."""
        if now_ms >= self.due_ms and (self.task is None or self.task.done()):
            self.task = asyncio.create_task(self._shift_ended(now_ms), name="handover")

    async def _shift_ended(self, now_ms: int) -> None:
        """On the service's first look, nothing ended yet."""
        shift = self.desk.shift_at(now_ms)
        first = self.due_ms == 0
        self.due_ms = shift.end_ms
        if first:
            return
        ended = self.desk.previous(shift)
        try:
            draft = await self.draft(ended, wait_s=300)
            self.desk.keep_draft(ended, self.now_ms(), draft)
        except Exception:
            log.exception("the handover draft of %s failed", self.desk.shift_id(ended))

    async def draft(self, shift: Period, wait_s: float = 2.0) -> dict[str, Any]:
        """The handover at the end of `shift` as of now: the gas delivered in it read from
        history on a thread, the rest on the core's loop (live values, alarm states).
        `wait_s`: how long the history writer is waited for to hold the shift (the draft at a
        shift's end waits for it; one asked over the API does not hold its caller)."""
        now = self.now_ms()
        no_delivery: list[dict[str, Any]] = []
        draft = await self.door.call(self.desk.draft, shift, now, no_delivery)
        until = min(now, shift.end_ms)
        # the minutes up to the handover are in the file (at most the writer's half second
        # away; a stepped clock outruns it by hours)
        deadline = time.monotonic() + wait_s
        while (self.history.flushed_until_ms or 0) < until and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        held = min(until, self.history.flushed_until_ms or 0)
        draft["delivered"] = await asyncio.to_thread(self._delivered, shift.start_ms, held)
        if held < until:  # the writer is stuck (a full disk): said, never passed off as whole
            log.warning("handover of %s: history holds the shift only until %d", shift.label, held)
            for run in draft["delivered"]:
                run["until_ms"] = held
        return draft

    def _delivered(self, start_ms: int, end_ms: int) -> list[dict[str, Any]]:
        """Per meter run, the counter increments of the minutes in [start, end)."""
        out = []
        for run in self.reports.meter_runs:
            tag = run.standard_volume
            points = self.history_store.query([tag], start_ms, end_ms, 60, Aggregate.DELTA)[tag]
            volume = sum(p.value for p in points if p.value is not None)
            out.append({"run": run.id, "tag": tag, "standard_volume": volume})
        return out


def duty_jobs(*, desk: DutyDesk, alarms: AlarmEngine, drafting: HandoverDrafting) -> list[Job]:
    return [
        Job(name="duty.tick", every_s=1, run=lambda now: desk.tick(now, alarms.set_internal)),
        Job(name="duty.handover", every_s=1, run=drafting.look),
    ]
