"""Waits with a deadline that say what they waited for: a hang in a loaded run names its step
and shows where every task of the loop stood, instead of a bare pytest-timeout at 300 s."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


def tasks_now() -> str:
    """Every task of the running loop with the stack it is suspended in."""
    out = io.StringIO()
    for task in asyncio.all_tasks():
        out.write(f"--- {task.get_name()}: {task.get_coro()!r}\n")
        task.print_stack(file=out)
    return out.getvalue()


async def within(seconds: float, step: str, awaitable: Awaitable[T]) -> T:
    try:
        async with asyncio.timeout(seconds):
            return await awaitable
    except TimeoutError:
        raise AssertionError(f"{step}: not done within {seconds} s\n{tasks_now()}") from None


async def until(condition: Callable[[], object], seconds: float, what: str) -> None:
    """Polls the condition on the loop every 50 ms."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{what}: not within {seconds} s\n{tasks_now()}")
        await asyncio.sleep(0.05)
