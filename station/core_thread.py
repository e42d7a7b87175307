"""The station's core (acquisition, alarms, history hand-over) on a thread and loop of its own.

The API and the core used to share one event loop, so every slow handler and every burst of
HTTP requests was a delay of the next poll. Here the HTTP server has the main loop and the
core has this one: HTTP load costs the core at most a share of the interpreter (the GIL hands
over every few milliseconds), never a turn of its loop. The API reaches the core's state only
through `StationRuntime.call` and the snapshots the core publishes.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from typing import Any

from station.runtime import StationRuntime


class CoreThread:
    def __init__(self, runtime: StationRuntime) -> None:
        self.runtime = runtime
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="station-core", daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()

    def submit(self, fn: Callable[[], Awaitable[Any]]) -> Future[Any]:
        async def run() -> Any:
            return await fn()

        return asyncio.run_coroutine_threadsafe(run(), self.loop)

    async def start(self, *more: Callable[[], Awaitable[Any]]) -> None:
        """Starts the runtime (and `more`, e.g. a simulator) on the core loop."""
        self._thread.start()
        for fn in more:
            await asyncio.wrap_future(self.submit(fn))
        await asyncio.wrap_future(self.submit(self.runtime.start))

    async def stop(self, *more: Callable[[], Awaitable[Any]]) -> None:
        """Stops the runtime (then `more`) in order, and the thread."""
        if not self._thread.is_alive():
            return
        try:
            await asyncio.wrap_future(self.submit(self.runtime.stop))
            for fn in more:
                await asyncio.wrap_future(self.submit(fn))
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            await asyncio.to_thread(self._thread.join, 10)
