"""The whole simulated station: one process model, served per device as the config says
(Modbus TCP, Modbus RTU on a serial line, RTU over TCP, OPC UA)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import numpy.typing as npt

from simulators.modbus_server import DeviceBehaviour, DeviceServer, SimulatedDevice
from simulators.opcua_server import OpcUaStationServer, VariableInfo
from simulators.process import GateStationModel
from station.clock import Clock
from station.config.models import (
    ModbusDevice,
    ModbusRtuDevice,
    OpcUaDevice,
    StationConfig,
)

log = logging.getLogger(__name__)


def synthetic_value(tag_index: int, t: float) -> float:
    """A deterministic waveform for tags the process model does not know (load tests)."""
    return 50.0 + 40.0 * math.sin(2 * math.pi * t / 600.0 + tag_index * 0.37)


def node_tag(node_id: str) -> str | None:
    """The simulator names its nodes ns=<idx>;s=<tag>."""
    for part in node_id.split(";"):
        if part.startswith("s="):
            return part[2:]
    return None


@dataclass
class StationSimulator:
    config: StationConfig
    clock: Clock
    seed: int = 1
    host: str = "127.0.0.1"
    ports: dict[str, int] = field(default_factory=dict)
    """TCP port per device id; devices not named here use the port in the config."""
    serial_ports: dict[str, str] = field(default_factory=dict)
    """The simulator's end of each RTU device's serial line (e.g. one side of a pty pair)."""
    signals: dict[str, Callable[[], float]] = field(default_factory=dict)
    """Per-tag value sources that override the model (benchmarks plant a timestamp)."""
    scan_s: float = 0.05
    """Wall seconds between register updates, like a PLC scan: values change whether or
    not anybody reads them."""
    pki_dir: Path | None = None
    """Where the OPC UA server keeps its certificate; None serves OPC UA without security."""
    opcua_users: dict[str, str] | None = None
    opcua_secure_only: bool = False
    opcua_clock_offset_s: float = 0.0
    strict_map: bool = False
    """Modbus devices answer exception 02 to reads that touch an address no tag covers."""
    """The OPC UA server's clock is off by this much (its source timestamps are)."""

    def __post_init__(self) -> None:
        self.model = GateStationModel(
            self.clock.now_s(), seed=self.seed, timezone=self.config.station.timezone
        )
        self.servers: list[DeviceServer] = []
        self.opcua: list[OpcUaStationServer] = []
        lines: dict[tuple[str, int] | str, list[SimulatedDevice]] = {}
        for d in self.config.devices:
            if isinstance(d, OpcUaDevice):
                self.opcua.append(self._opcua_for(d))
                continue
            key: tuple[str, int] | str = (
                self.serial_ports.get(d.id, d.serial_port)
                if isinstance(d, ModbusRtuDevice)
                else (self.host, self.ports.get(d.id, d.port))
            )
            lines.setdefault(key, []).append(self._modbus_for(d))
        for key, devices in lines.items():
            if isinstance(key, str):
                self.servers.append(DeviceServer(devices, self.host, 0, key))
            else:
                self.servers.append(DeviceServer(devices, key[0], key[1]))
        self._published_step = -1
        self.scans = 0
        """Register scans done (the image of a device with planted signals refreshes at each)."""

    def _advance(self) -> None:
        self.model.advance_to(self.clock.now_s())

    def delivered(self) -> tuple[float, float]:
        """Gas metered since the model began (standard Nm³, working m³), up to now, never
        reset or wrapped: the truth for the report tests."""
        self._advance()
        return self.model.state.delivered_std, self.model.state.delivered_work

    def _value_of(self, tag: str, index: int) -> float:
        if tag in self.signals:
            return self.signals[tag]()
        known = self.model.values
        if tag in known:
            return float(known[tag])
        return synthetic_value(index, self.model.state.t)

    def _modbus_for(self, device: ModbusDevice) -> SimulatedDevice:
        tag_ids = [t.id for t in device.tags]

        def values() -> npt.NDArray[np.float64]:
            self._advance()
            return np.array([self._value_of(t, i) for i, t in enumerate(tag_ids)], dtype=np.float64)

        planted = any(t in self.signals for t in tag_ids)

        def version() -> int:
            """When the registers are due a refresh: each model step, and each scan too where a
            signal is planted (it changes between model steps)."""
            self._advance()
            return (self.model.step_count << 32) + (self.scans if planted else 0)

        def silent() -> bool:
            self._advance()
            return device.id in self.model.faults.silent_devices

        def unreachable() -> bool:
            self._advance()
            return device.id in self.model.faults.unreachable_devices

        sim = SimulatedDevice(device, values, version, silent, unreachable)
        sim.behaviour.strict_map = self.strict_map
        return sim

    def _opcua_for(self, device: OpcUaDevice) -> OpcUaStationServer:
        meta: dict[str, VariableInfo] = {}
        for _, t in self.config.all_tags():
            tag = node_tag(t.address_text) if isinstance(_, OpcUaDevice) else t.id
            if tag is not None and tag not in meta:
                meta[tag] = VariableInfo(tag, t.name.en, t.name.zh, t.unit, t.range, t.is_discrete)
        for tag in self.model.values:
            meta.setdefault(tag, VariableInfo(tag, tag, tag, "", None, False))
        variables = list(meta.values())
        index = {v.tag: i for i, v in enumerate(variables)}

        def values() -> dict[str, float]:
            return {v.tag: self._value_of(v.tag, index[v.tag]) for v in variables}

        url = urlparse(device.endpoint)
        port = self.ports.get(device.id, url.port or 4840)
        return OpcUaStationServer(
            variables,
            values,
            lambda: self.model.faults.broken_instruments,
            self.host,
            port,
            pki_dir=self.pki_dir,
            users=self.opcua_users,
            secure_only=self.opcua_secure_only,
            clock_offset_s=self.opcua_clock_offset_s,
        )

    @property
    def scenario(self) -> str:
        return self.model.scenario.name

    def set_scenario(self, name: str) -> None:
        self._advance()
        self.model.set_scenario(name)
        log.info("scenario %s", name)

    async def _scan(self) -> None:
        while True:
            self.scans += 1
            for s in self.servers:
                s.refresh_if_stale()
            self._advance()
            if self.model.step_count != self._published_step:
                self._published_step = self.model.step_count
                for o in self.opcua:
                    await o.publish(self.model.state.t)
            await asyncio.sleep(self.scan_s)

    async def start(self) -> None:
        for s in self.servers:
            await s.start()
        for o in self.opcua:
            await o.start()
        self._scan_task = asyncio.create_task(self._scan(), name="simulator-scan")

    async def stop(self) -> None:
        task = getattr(self, "_scan_task", None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for s in self.servers:
            await s.stop()
        for o in self.opcua:
            await o.stop()

    def behaviour(self, device_id: str) -> DeviceBehaviour:
        """How a Modbus device answers (strict map, gateway fault, exceptions), live."""
        for s in self.servers:
            for d in s.devices:
                if d.device.id == device_id:
                    return d.behaviour
        raise KeyError(device_id)

    def endpoints(self) -> dict[str, tuple[str, int]]:
        """TCP address of each Modbus TCP / RTU-over-TCP device (serial ones excluded)."""
        return {
            d.device.id: (s.host, s.port)
            for s in self.servers
            if not s.serial_port
            for d in s.devices
        }

    def opcua_endpoints(self) -> dict[str, str]:
        ids = [d.id for d in self.config.devices if isinstance(d, OpcUaDevice)]
        return {i: o.endpoint for i, o in zip(ids, self.opcua, strict=True)}
