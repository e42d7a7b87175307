"""The one door to the core: state the core's loop owns (the alarm engine, the duty desk) is
changed only on that loop's thread, and anything else (the API's threads and loop) reaches it
through `call`, which keeps the argument types. Owned objects assert their owner in their
mutators, so a call from the wrong thread fails in the tests instead of racing in production."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, TypeVarTuple, Unpack

T = TypeVar("T")
Ts = TypeVarTuple("Ts")


class WrongThread(RuntimeError):
    """Core state touched from a thread that does not own it."""


class CoreOwned:
    """Mixin for an object the core's thread owns: `_owned()` at the top of each mutator."""

    _owner: threading.Thread | None = None

    def bind_owner(self, thread: threading.Thread | None) -> None:
        self._owner = thread

    def _owned(self) -> None:
        owner = self._owner
        if owner is not None and threading.current_thread() is not owner:
            raise WrongThread(
                f"{type(self).__name__} belongs to the thread {owner.name!r}; "
                f"{threading.current_thread().name!r} must go through the core's door (call)"
            )


class CoreDoor:
    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        """The loop that owns acquisition, the alarm engine and history hand-over."""
        self.thread: threading.Thread | None = None
        self._members: list[CoreOwned] = []

    def own(self, *objects: CoreOwned) -> None:
        """These objects are the core's from `open` on."""
        self._members.extend(objects)
        for o in objects:
            o.bind_owner(self.thread)

    def open(self) -> None:
        """Called on the core's loop when the station starts: its loop and thread own."""
        self.loop = asyncio.get_running_loop()
        self.thread = threading.current_thread()
        for o in self._members:
            o.bind_owner(self.thread)

    def on_core(self) -> bool:
        return self.thread is None or threading.current_thread() is self.thread

    async def call(self, fn: Callable[[Unpack[Ts]], T], *args: *Ts) -> T:
        """Runs `fn(*args)` on the core's loop and waits for it (at once when already there)."""
        loop = self.loop
        if loop is None or (self.on_core() and loop is asyncio.get_running_loop()):
            return fn(*args)
        done: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            if not done.set_running_or_notify_cancel():
                return
            try:
                done.set_result(fn(*args))
            except BaseException as exc:
                done.set_exception(exc)

        loop.call_soon_threadsafe(run)
        return await asyncio.wrap_future(done)

    async def run(self, fn: Callable[[*Ts], Awaitable[T]], *args: *Ts) -> T:
        """Runs the coroutine `fn(*args)` on the core's loop and waits for it (what the core's
        own tasks are awaited with from elsewhere)."""
        loop = self.loop
        if loop is None or (self.on_core() and loop is asyncio.get_running_loop()):
            return await fn(*args)

        async def run() -> T:
            return await fn(*args)

        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(run(), loop))

    def call_soon(self, fn: Callable[[Unpack[Ts]], Any], *args: *Ts) -> None:
        """Runs `fn(*args)` on the core's loop without waiting (where waiting is not possible)."""
        loop = self.loop
        if loop is None or loop.is_closed():
            fn(*args)
            return
        loop.call_soon_threadsafe(fn, *args)
