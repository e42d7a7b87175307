"""The product as a process: spawned, waited for, stopped with a real signal."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.harness.config import free_port
from tests.harness.http import login_sync


def spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "station.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def stop(proc: subprocess.Popen[str], sig: int = signal.SIGINT) -> str:
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
    try:
        out, _ = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGUSR1)  # the stacks of a hung process, for the report
        time.sleep(0.5)
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
    return out


def wait_until(fn: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = fn()
            if last:
                return last
        except httpx.HTTPError as exc:
            last = exc
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout} s (last: {last!r})")


def live(base: str) -> dict[str, dict[str, Any]]:
    return {v["tag"]: v for v in httpx.get(f"{base}/api/live", timeout=5).json()["values"]}


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    proc = spawn("demo", "--port", str(port), "--data-dir", str(tmp_path / "data"), "--speed", "10")
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(
            lambda: httpx.get(f"{base}/healthz", timeout=2).json()["status"] == "ok",
            30,
            "demo healthy",
        )
        yield base
    finally:
        out = stop(proc)
        assert "Traceback" not in out, out


def operator(base: str) -> dict[str, str]:
    """The demo's operator account (made on the demo's first start)."""
    return login_sync(base, "operator")


def healthy_for(base: str, polls: int) -> dict[str, Any]:
    health: dict[str, Any] = wait_until(
        lambda: (
            (h := httpx.get(f"{base}/healthz", timeout=2).json())["status"] == "ok"
            and min(d["polls"] for d in h["devices"]) >= polls
            and h
        ),
        40,
        f"{polls} polls",
    )
    return health
