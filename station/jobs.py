"""Periodic work as named jobs, each declared by the domain it belongs to and run by one small
runner on the core's loop: a job that fails is logged once with its name (and alarmed by the
runner's owner), the others go on, and each job's CPU time is counted for /metrics."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from station.clock import Clock

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class Job:
    name: str
    """`domain.what`, e.g. `alarms.tick`: how logs, alarms and /metrics name it."""
    every_s: float
    run: Callable[[int], None]
    """Called with the station time (UTC ms) on the core's loop; it must not block: work that
    takes long starts a task or a thread and returns."""


class JobRunner:
    """Runs each job when due, in the order given (the order is part of the contract: the alarm
    engine's tick before the jobs that read its state), every `tick_s` of station time."""

    def __init__(
        self,
        clock: Clock,
        jobs: Sequence[Job],
        on_failing: Callable[[int, list[str]], None] | None = None,
        tick_s: float = 1.0,
    ) -> None:
        names = [j.name for j in jobs]
        if len(set(names)) != len(names):
            raise ValueError(f"job names repeat: {names}")
        self.clock = clock
        self.jobs = list(jobs)
        self.on_failing = on_failing
        self.tick_s = tick_s
        self.cpu_s = dict.fromkeys(names, 0.0)
        self.runs = dict.fromkeys(names, 0)
        self.failures = dict.fromkeys(names, 0)
        self.failing: dict[str, str] = {}
        """Job → its last error, while it keeps failing."""
        self._due_ms = dict.fromkeys(names, 0)

    def run_due(self, now_ms: int) -> None:
        for job in self.jobs:
            if now_ms < self._due_ms[job.name]:
                continue
            self._due_ms[job.name] = now_ms + int(job.every_s * 1000)
            started = time.thread_time()
            try:
                job.run(now_ms)
            except Exception as exc:
                self.failures[job.name] += 1
                if job.name not in self.failing:  # once a streak, not once a second
                    log.exception("job %s failed (it is run again when due)", job.name)
                self.failing[job.name] = f"{type(exc).__name__}: {exc}"
            else:
                if self.failing.pop(job.name, None) is not None:
                    log.info("job %s runs again", job.name)
            finally:
                self.runs[job.name] += 1
                self.cpu_s[job.name] += time.thread_time() - started
        if self.on_failing is not None:
            self.on_failing(now_ms, sorted(self.failing))

    async def run_forever(self) -> None:
        while True:
            self.run_due(int(self.clock.now_s() * 1000))
            await self.clock.sleep(self.tick_s)
