"""Sample fan-out: acquisition publishes, consumers (live cache, history, ...) receive.

Consumers are called inline and must not block: anything slow queues the batch and does
its work elsewhere, so nothing downstream can stall a poll.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from station.samples import SampleBatch

log = logging.getLogger(__name__)

Consumer = Callable[[SampleBatch], None]


class SampleBus:
    def __init__(self) -> None:
        self._consumers: list[tuple[str, Consumer]] = []
        self.published = 0
        self.values_published = 0
        self.cpu_s: dict[str, float] = {}
        """CPU seconds each consumer spent inline (thread CPU time, so waits are not counted):
        what each stage costs the poll loop."""

    def subscribe(self, name: str, consumer: Consumer) -> None:
        self._consumers.append((name, consumer))
        self.cpu_s[name] = 0.0

    def publish(self, batch: SampleBatch) -> None:
        self.published += 1
        self.values_published += len(batch)
        cpu = self.cpu_s
        for name, consumer in self._consumers:
            started = time.thread_time()
            try:
                consumer(batch)
            except Exception:
                log.exception("consumer %s failed on a batch from %s", name, batch.device)
            cpu[name] += time.thread_time() - started
