"""Work the API hands to threads, bounded: how many at once, how many waiting.

Each thread doing Python work takes the interpreter from the loop that answers every other
request; a burst of heavy requests (a year of KPIs, a week of raw history, Argon2 hashes of
64 MiB each) is therefore run a few at a time, the rest wait without costing anything, and
past the queue the answer is 503 with Retry-After instead of memory or latency without bound.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from fastapi import HTTPException
from starlette.concurrency import run_in_threadpool

T = TypeVar("T")


class BoundedWork:
    def __init__(self, slots: int, queue: int, busy: str) -> None:
        self.slots = slots
        self.queue = queue
        self.busy = busy
        self.waiting = 0
        self.running = 0
        self.peak_running = 0
        self._semaphore: asyncio.Semaphore | None = None

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        if self.waiting >= self.slots + self.queue:
            raise HTTPException(503, f"{self.busy}: try again", {"Retry-After": "1"})
        if self._semaphore is None:  # made on the loop that serves
            self._semaphore = asyncio.Semaphore(self.slots)
        self.waiting += 1
        try:
            async with self._semaphore:
                self.running += 1
                self.peak_running = max(self.peak_running, self.running)
                try:
                    return await run_in_threadpool(fn, *args)
                finally:
                    self.running -= 1
        finally:
            self.waiting -= 1
