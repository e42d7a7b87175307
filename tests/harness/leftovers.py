"""What a test left running: threads and child processes that were not there when it began
(pymodbus's `_check_system_health` idea). A leftover is waited for a few seconds (a thread
that is stopping, a process reaped late) before it fails the test."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

# threads that outlive a test by design: pools that keep idle workers (anyio's for sync
# routes, asyncio's default executor until its loop closes), and pytest-timeout's watchdog
POOLED = ("AnyIO worker thread", "asyncio_", "ThreadPoolExecutor-", "Thread-timeout")
# processes that outlive a test by design: multiprocessing's one resource tracker per session
LASTING = ("multiprocessing.resource_tracker", "multiprocessing.forkserver")


def threads() -> set[tuple[int, str]]:
    return {
        (t.ident or 0, t.name)
        for t in threading.enumerate()
        if t.is_alive() and not t.name.startswith(POOLED)
    }


def children() -> set[tuple[int, str]]:
    """Child processes of this one that are still running (not zombies)."""
    me = str(os.getpid())
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name_end = text.rfind(")")
        fields = text[name_end + 2 :].split()
        if len(fields) > 1 and fields[1] == me and fields[0] != "Z":
            try:
                cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if not any(x in cmdline for x in LASTING):
                found.add((int(stat.parent.name), text[text.find("(") + 1 : name_end]))
    return found


def left_over(
    threads_before: set[tuple[int, str]], children_before: set[tuple[int, str]], wait_s: float
) -> list[str]:
    deadline = time.monotonic() + wait_s
    while True:
        extra_threads = threads() - threads_before
        extra_children = children() - children_before
        if not (extra_threads or extra_children) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    return [f"thread {name}" for _, name in sorted(extra_threads, key=lambda x: x[1])] + [
        f"process {pid} ({name})" for pid, name in sorted(extra_children)
    ]
