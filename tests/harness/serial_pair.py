"""A virtual RS-485 line: a pty pair from socat, one end for the simulator, one for the service."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def serial_pair(folder: Path) -> Iterator[tuple[str, str]]:
    socat = shutil.which("socat")
    assert socat, "socat is installed by scripts/bootstrap.sh (Debian package socat)"
    a, b = folder / "ttySIM", folder / "ttySVC"
    proc = subprocess.Popen(
        [socat, "-d", "-d", f"pty,raw,echo=0,link={a}", f"pty,raw,echo=0,link={b}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 5
        while not (a.exists() and b.exists()):
            assert time.monotonic() < deadline, "socat did not create the pty pair"
            time.sleep(0.02)
        yield str(a), str(b)
    finally:
        proc.terminate()
        proc.wait(5)
