"""Shared fixtures: the example config, the simulator on real sockets, the demo as a process,
and the checks after every test (errors the service logged, what it left running)."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterator

import pytest

from simulators.station_sim import StationSimulator
from station.clock import ManualClock
from station.config.models import StationConfig
from tests.harness.config import example_station, start_simulator
from tests.harness.leftovers import children, left_over, threads
from tests.harness.processes import demo  # noqa: F401 - a fixture for every suite


@pytest.fixture
def example_config() -> StationConfig:
    return example_station()


@pytest.fixture
async def frozen_simulator(example_config: StationConfig) -> AsyncIterator[StationSimulator]:
    """The simulator on a clock that stands still, so a reading can be compared exactly."""
    clock = ManualClock(t=1_764_036_000.0)  # 2025-11-25 10:00 Asia/Shanghai
    sim = await start_simulator(example_config, clock)
    clock.advance(30)
    yield sim
    await sim.stop()


WATCHED_LOGGERS = ("station", "drivers", "simulators", "uvicorn.error", "asyncio")
"""Ours, and the two where a failure of ours can surface without our name: a route's 500
(uvicorn.error) and a task whose exception nobody retrieved (asyncio's loop handler)."""


class _ServiceErrors(logging.Handler):
    """Errors and tracebacks the service, drivers or simulator logged during one test."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR or record.exc_info:
            self.records.append(record)


@pytest.fixture(autouse=True)
def fail_on_service_errors(request: pytest.FixtureRequest) -> Iterator[None]:
    """An exception the service logs and carries on from (the fan-out, acquisition, the alarm
    engine) would otherwise pass unseen: any error or traceback fails the test, unless the
    test names it with @pytest.mark.expect_log("regex"); and whatever the test left running
    (a thread, a child process) fails it too, unless it is marked @pytest.mark.leaves."""
    threads_before, children_before = threads(), children()
    handler = _ServiceErrors()
    loggers = [logging.getLogger(n) for n in WATCHED_LOGGERS]
    for lg in loggers:
        lg.addHandler(handler)
    try:
        yield
    finally:
        for lg in loggers:
            lg.removeHandler(handler)
    allowed = [re.compile(p) for m in request.node.iter_markers("expect_log") for p in m.args]
    unexpected = [
        f"{r.name}: {r.getMessage()}"
        + (f"\n{logging.Formatter().formatException(r.exc_info)}" if r.exc_info else "")
        for r in handler.records
        if not any(p.search(r.getMessage()) for p in allowed)
    ]
    if unexpected:
        pytest.fail("the service logged errors:\n" + "\n".join(unexpected), pytrace=False)
    if request.node.get_closest_marker("leaves") is None:
        leftovers = left_over(threads_before, children_before, wait_s=5)
        if leftovers:
            pytest.fail("the test left running: " + ", ".join(leftovers), pytrace=False)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under integration/ and browser/ starts real peers: marked so, whether or not
    its module says it, so the fast lane (`pytest -m "not integration"`) never starts one."""
    for item in items:
        parts = item.path.parts
        if "integration" in parts or "browser" in parts:
            item.add_marker(pytest.mark.integration)
