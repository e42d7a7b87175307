"""Waiting for the reports a station makes."""

from __future__ import annotations

import asyncio
import time

from station.reports.archive import ReportArchive
from tests.harness.station import Station


async def until_made(station: Station, archive: ReportArchive, kind: str = "daily") -> None:
    """Steps on until a report of `kind` is in the archive (made on a worker thread)."""
    deadline = time.monotonic() + 20
    while not archive.listing(kind):
        assert time.monotonic() < deadline, "no report made"
        await station.run(60)
        await asyncio.sleep(0.05)
