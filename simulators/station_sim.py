"""The whole simulated station: one process model, one Modbus server per configured device."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from simulators.modbus_server import DeviceServer
from simulators.process import GateStationModel
from station.clock import Clock
from station.config.models import DeviceConfig, StationConfig

log = logging.getLogger(__name__)


def synthetic_value(tag_index: int, t: float) -> float:
    """A deterministic waveform for tags the process model does not know (load tests)."""
    return 50.0 + 40.0 * math.sin(2 * math.pi * t / 600.0 + tag_index * 0.37)


@dataclass
class StationSimulator:
    config: StationConfig
    clock: Clock
    seed: int = 1
    host: str = "127.0.0.1"
    ports: dict[str, int] = field(default_factory=dict)
    """Port per device id; devices not named here use the port in the config."""
    signals: dict[str, Callable[[], float]] = field(default_factory=dict)
    """Per-tag value sources that override the model (benchmarks plant a timestamp)."""
    scan_s: float = 0.05
    """Wall seconds between register updates, like a PLC scan: values change whether or
    not anybody reads them."""

    def __post_init__(self) -> None:
        self.model = GateStationModel(
            self.clock.now_s(), seed=self.seed, timezone=self.config.station.timezone
        )
        self.servers = [self._server_for(d) for d in self.config.devices]

    def _server_for(self, device: DeviceConfig) -> DeviceServer:
        tag_ids = [t.id for t in device.tags]

        def values() -> npt.NDArray[np.float64]:
            self.model.advance_to(self.clock.now_s())
            known = self.model.values
            t = self.model.state.t
            signals = self.signals
            return np.array(
                [
                    signals[tag]()
                    if tag in signals
                    else known[tag]
                    if tag in known
                    else synthetic_value(i, t)
                    for i, tag in enumerate(tag_ids)
                ],
                dtype=np.float64,
            )

        def version() -> int:
            self.model.advance_to(self.clock.now_s())
            return self.model.step_count

        def silent() -> bool:
            self.model.advance_to(self.clock.now_s())
            return device.id in self.model.faults.silent_devices

        return DeviceServer(
            device, values, version, silent, self.host, self.ports.get(device.id, device.port)
        )

    @property
    def scenario(self) -> str:
        return self.model.scenario.name

    def set_scenario(self, name: str) -> None:
        self.model.advance_to(self.clock.now_s())
        self.model.set_scenario(name)
        log.info("scenario %s", name)

    async def _scan(self) -> None:
        while True:
            for s in self.servers:
                s.refresh_if_stale()
            await asyncio.sleep(self.scan_s)

    async def start(self) -> None:
        for s in self.servers:
            await s.start()
        self._scan_task = asyncio.create_task(self._scan(), name="simulator-scan")

    async def stop(self) -> None:
        task = getattr(self, "_scan_task", None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for s in self.servers:
            await s.stop()

    def endpoints(self) -> dict[str, tuple[str, int]]:
        return {s.device.id: (s.host, s.port) for s in self.servers}
