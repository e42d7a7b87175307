"""Shared fixtures: the example config, free loopback ports, the simulator on real sockets."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from simulators.station_sim import StationSimulator
from station.clock import Clock, ManualClock
from station.config.loader import default_config_path, load_config
from station.config.models import StationConfig
from station.duty.config import DutyConfig
from station.loopback import free_port

EXAMPLE = default_config_path()


def config_with_free_ports(tmp_path: Path, **replacements: str) -> tuple[Path, dict[str, int]]:
    """The example config rewritten to free loopback ports (and any other text replacements)."""
    text = EXAMPLE.read_text(encoding="utf-8")
    ports: dict[str, int] = {}
    for device, old in re.findall(r"- id: (\S+)\n(?:    .*\n)*?    port: (\d+)", text):
        new = free_port()
        ports[device] = new
        text = text.replace(f"port: {old}\n", f"port: {new}\n")
    for old, new in replacements.items():
        text = text.replace(old, new)
    path = tmp_path / "station.yaml"
    path.write_text(text, encoding="utf-8")
    return path, ports


def without_rounds(cfg: StationConfig) -> StationConfig:
    """The example station with nobody walking its inspection rounds: for tests of the process
    alarms over hours, where an overdue round would be one more (rightly raised) alarm."""
    return cfg.model_copy(update={"duty": DutyConfig()})


@pytest.fixture
def example_config() -> StationConfig:
    return load_config(EXAMPLE)


async def start_simulator(cfg: StationConfig, clock: Clock) -> StationSimulator:
    sim = StationSimulator(cfg, clock, ports={d.id: free_port() for d in cfg.devices})
    await sim.start()
    return sim


@pytest.fixture
async def frozen_simulator(example_config: StationConfig) -> AsyncIterator[StationSimulator]:
    """The simulator on a clock that stands still, so a reading can be compared exactly."""
    clock = ManualClock(t=1_764_036_000.0)  # 2025-11-25 10:00 Asia/Shanghai
    sim = await start_simulator(example_config, clock)
    clock.advance(30)
    yield sim
    await sim.stop()


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
    test names it with @pytest.mark.expect_log("regex")."""
    handler = _ServiceErrors()
    loggers = [logging.getLogger(n) for n in ("station", "drivers", "simulators")]
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
