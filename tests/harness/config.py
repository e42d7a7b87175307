"""The example station's config, rewritten for a test (free ports, no rounds)."""

from __future__ import annotations

import re
from pathlib import Path

from simulators.station_sim import StationSimulator
from station.clock import Clock
from station.config.duty import DutyConfig
from station.config.loader import default_config_path, load_config
from station.config.models import StationConfig
from station.loopback import free_port

__all__ = [
    "EXAMPLE",
    "config_with_free_ports",
    "example_station",
    "free_port",
    "start_simulator",
    "without_rounds",
]


EXAMPLE = default_config_path()


def config_with_free_ports(tmp_path: Path, **replacements: str) -> tuple[Path, dict[str, int]]:
    """The example config rewritten to free loopback ports (and any other text replacements)."""
    text = EXAMPLE.read_text(encoding="utf-8")
    ports: dict[str, int] = {}
    for device, old in re.findall(r"- id: (\S+)\n(?:    .*\n)*?    port: (\d+)", text):
        port = free_port()
        ports[device] = port
        text = text.replace(f"port: {old}\n", f"port: {port}\n")
    for old, new in replacements.items():
        text = text.replace(old, new)
    path = tmp_path / "station.yaml"
    path.write_text(text, encoding="utf-8")
    return path, ports


def without_rounds(cfg: StationConfig) -> StationConfig:
    """The example station with nobody walking its inspection rounds: for tests of the process
    alarms over hours, where an overdue round would be one more (rightly raised) alarm."""
    return cfg.model_copy(update={"duty": DutyConfig()})


async def start_simulator(cfg: StationConfig, clock: Clock) -> StationSimulator:
    sim = StationSimulator(cfg, clock, ports={d.id: free_port() for d in cfg.devices})
    await sim.start()
    return sim


def example_station() -> StationConfig:
    """The example station's config, as shipped (each call a fresh copy to change)."""
    return load_config(EXAMPLE)
