"""The processes a benchmark runs beside itself, and their CPU time and memory (from /proc)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")


def wait_healthy(base: str, timeout: float = 30) -> None:
    """Until the service at `base` says `ok` on /healthz."""
    import time

    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=10).json()["status"] == "ok":
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{base}: the service did not become healthy")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start_service(config: Path, data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    """`station run` in its own process, as a site runs it."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "station.cli",
            "run",
            "--config",
            str(config),
            "--data-dir",
            str(data_dir),
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def start_simulator(
    script: str, config: Path, extra: list[str] | None = None
) -> subprocess.Popen[str]:
    """A benchmark's own simulator process (`script --serve-simulator CONFIG`), once ready."""
    sim = subprocess.Popen(
        [sys.executable, script, "--serve-simulator", str(config), *(extra or [])],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert sim.stdout is not None and sim.stdout.readline().strip() == "ready"
    return sim
