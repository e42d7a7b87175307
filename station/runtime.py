"""The running service: drivers → acquisition → fan-out → live cache and history."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from drivers.modbus.client import ModbusEndpoint, ModbusPoller, RegisterPoint
from station.acquisition import DeviceAcquisition
from station.clock import Clock
from station.config.models import DeviceConfig, StationConfig, TagConfig
from station.fanout import SampleBus
from station.history import HistoryStore, HistoryWriter
from station.live_cache import LiveCache

log = logging.getLogger(__name__)


def modbus_poller(device: DeviceConfig, endpoint: tuple[str, int] | None = None) -> ModbusPoller:
    host, port = endpoint or (device.host, device.port)
    ep = ModbusEndpoint(
        host=host,
        port=port,
        device_id=device.device_id,
        timeout_s=device.timeout_s,
        byte_order=device.byte_order,
        word_order=device.word_order,
        max_gap=device.max_gap,
        max_registers=device.max_registers,
        retries=device.retries,
        backoff_initial_s=min(0.5, device.poll_interval_s),
        backoff_max_s=device.backoff_max_s,
    )
    points = [RegisterPoint(t.table, t.address, t.type, t.scale, t.offset) for t in device.tags]
    return ModbusPoller(ep, points)


class StationRuntime:
    def __init__(
        self,
        config: StationConfig,
        clock: Clock,
        data_dir: str | Path,
        endpoints: dict[str, tuple[str, int]] | None = None,
    ) -> None:
        """`endpoints` overrides device addresses (the demo's simulator picks free ports)."""
        self.config = config
        self.clock = clock
        self.data_dir = Path(data_dir)
        self.tags: dict[str, tuple[DeviceConfig, TagConfig]] = {
            t.id: (d, t) for d, t in config.all_tags()
        }
        self.bus = SampleBus()
        self.live = LiveCache(
            {d.id: 3 * d.poll_interval_s + d.timeout_s * clock.speed for d in config.devices}
        )
        self.history_store = HistoryStore(self.data_dir / "history.sqlite3")
        self.history = HistoryWriter(self.history_store, config.history)
        self.bus.subscribe("live", self.live.accept)
        self.bus.subscribe("history", self.history.accept)
        endpoints = endpoints or {}
        self.devices = [
            DeviceAcquisition(d, modbus_poller(d, endpoints.get(d.id)), clock, self.bus.publish)
            for d in config.devices
        ]
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        self.history.start()
        self._tasks = [
            asyncio.create_task(dev.run(), name=f"poll-{dev.device.id}") for dev in self.devices
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for dev in self.devices:
            await dev.close()
        self.history.stop()
