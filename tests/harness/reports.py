"""Waiting for the reports a station makes."""

from __future__ import annotations

import asyncio
import json
import time

from station.api.schemas.reports import CONTENT_OF
from station.reports.archive import ReportArchive
from tests.harness.station import Station


async def until_made(station: Station, archive: ReportArchive, kind: str = "daily") -> None:
    """Steps on until a report of `kind` is in the archive (made on a worker thread, by the
    worker process at the lowest CPU priority: on a loaded 2-core machine it waits its turn
    behind every other process, which is what it is for)."""
    deadline = time.monotonic() + 90
    while not archive.listing(kind):
        assert time.monotonic() < deadline, f"no {kind} report made within 90 s"
        await station.run(60)
        await asyncio.sleep(0.05)


def typed_as_stored(kind: str, content: str) -> None:
    """The API's typed model of a report's content holds every field as stored: validated and
    dumped again, the stored JSON comes back equal."""
    stored = json.loads(content)
    adapter = CONTENT_OF[kind]
    assert adapter.dump_python(adapter.validate_python(stored), mode="json") == stored
