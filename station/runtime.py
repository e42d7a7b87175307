"""The running service: drivers → acquisition → fan-out → live cache and history."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from pathlib import Path

from station.acquisition import DeviceAcquisition
from station.clock import Clock
from station.config.models import DeviceConfig, StationConfig, TagConfig
from station.device_drivers import DriverFactory
from station.fanout import SampleBus
from station.history import HistoryStore, HistoryWriter
from station.live_cache import LiveCache

log = logging.getLogger(__name__)


class StationRuntime:
    def __init__(
        self,
        config: StationConfig,
        clock: Clock,
        data_dir: str | Path,
        endpoints: Mapping[str, tuple[str, int] | str] | None = None,
    ) -> None:
        """`endpoints` overrides where devices are: (host, port) for TCP, a path for a serial
        line, a URL for OPC UA (the demo's simulator picks free ports)."""
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
        self.drivers = DriverFactory(endpoints)
        self.devices = [
            DeviceAcquisition(d, self.drivers.poller(d), clock, self.bus.publish)
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
