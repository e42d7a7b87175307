"""A cancel must end a loop even where a library swallowed it.

Python 3.11's `asyncio.wait_for` loses a cancel that arrives as its inner call completes
(bpo-42130, fixed in 3.12), and pymodbus and httpx call it on every request; an async context
manager around such a call then raises RuntimeError ("generator didn't stop after athrow()")
instead of CancelledError. A loop that logs exceptions and goes on would then run for ever
with its task marked as cancelling, and a stop that awaits it would never end.
"""

from __future__ import annotations

import asyncio


def honour_cancel() -> None:
    """Raise CancelledError if the current task was cancelled, whatever swallowed it."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
