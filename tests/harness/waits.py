"""Waits with a deadline that say what they waited for: a hang in a loaded run names its step
and shows where every task of the loop stood, instead of a bare pytest-timeout at 300 s."""

from __future__ import annotations

import asyncio
import io
import sys
import threading
import traceback
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


def tasks_now(*loops: asyncio.AbstractEventLoop) -> str:
    """Every task of the running loop (and of the loops given: a core thread's) with the stack
    it is suspended in, then every thread's stack."""
    out = io.StringIO()
    for loop in (None, *loops):
        for task in asyncio.all_tasks(loop):
            out.write(f"--- task {task.get_name()}: {task.get_coro()!r}\n")
            task.print_stack(file=out)
    names = {t.ident: t.name for t in threading.enumerate()}
    for ident, frame in sys._current_frames().items():
        out.write(f"--- thread {names.get(ident, ident)}\n")
        out.write("".join(traceback.format_stack(frame)[-12:]))
    return out.getvalue()


async def within(
    seconds: float, step: str, awaitable: Awaitable[T], *loops: asyncio.AbstractEventLoop
) -> T:
    try:
        async with asyncio.timeout(seconds):
            return await awaitable
    except TimeoutError:
        where = tasks_now(*loops)
        raise AssertionError(f"{step}: not done within {seconds} s\n{where}") from None


async def until(condition: Callable[[], object], seconds: float, what: str) -> None:
    """Polls the condition on the loop every 50 ms."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{what}: not within {seconds} s\n{tasks_now()}")
        await asyncio.sleep(0.05)
