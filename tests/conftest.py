"""Shared fixtures: the example config, free loopback ports, the simulator on real sockets."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from simulators.station_sim import StationSimulator
from station.clock import Clock, ManualClock
from station.config.loader import default_config_path, load_config
from station.config.models import StationConfig
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
