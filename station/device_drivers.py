"""Build the driver for each configured device; the only place that knows every protocol."""

from __future__ import annotations

from collections.abc import Mapping

from drivers.modbus.bus import Link, ModbusBus, SerialLink, TcpLink
from drivers.modbus.client import ModbusEndpoint, ModbusPoller, RegisterPoint
from drivers.opcua.client import OpcUaPoller
from drivers.opcua.settings import OpcUaNode, OpcUaSecuritySettings, OpcUaSettings
from drivers.reading import DevicePoller
from station.clock import Clock, WallClock, now_ms
from station.config.models import (
    DeviceConfig,
    ModbusDevice,
    ModbusRtuDevice,
    ModbusRtuOverTcpDevice,
    ModbusTcpDevice,
    OpcUaDevice,
)


def modbus_link(device: ModbusDevice, address: tuple[str, int] | str | None = None) -> Link:
    """`address` overrides where the device is (tests and the demo pick free ports)."""
    if isinstance(device, ModbusRtuDevice):
        port = address if isinstance(address, str) else device.serial_port
        return SerialLink(
            port,
            device.baudrate,
            device.parity,
            device.stopbits,
            device.bytesize,
            device.frame_gap_s,
        )
    host, tcp_port = address if isinstance(address, tuple) else (device.host, device.port)
    return TcpLink(host, tcp_port, rtu_framing=isinstance(device, ModbusRtuOverTcpDevice))


class DriverFactory:
    """Creates pollers; devices on the same link share one bus (and its lock)."""

    def __init__(
        self,
        overrides: Mapping[str, tuple[str, int] | str] | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.overrides = dict(overrides or {})
        self.clock = clock or WallClock()
        self.buses: dict[Link, ModbusBus] = {}

    def bus_for(self, device: ModbusDevice) -> ModbusBus:
        link = modbus_link(device, self.overrides.get(device.id))
        if link not in self.buses:
            self.buses[link] = ModbusBus(
                link,
                timeout_s=device.timeout_s,
                backoff_initial_s=min(0.5, device.poll_interval_s),
                backoff_max_s=device.backoff_max_s,
            )
        return self.buses[link]

    def poller(self, device: DeviceConfig) -> DevicePoller:
        if isinstance(device, ModbusTcpDevice | ModbusRtuOverTcpDevice | ModbusRtuDevice):
            return modbus_poller(device, self.bus_for(device))
        if isinstance(device, OpcUaDevice):
            return OpcUaPoller(
                opcua_settings(device, self.overrides.get(device.id)),
                now_ms=lambda: now_ms(self.clock),
            )
        raise TypeError(f"no driver for {device!r}")


def opcua_settings(
    device: OpcUaDevice, endpoint: tuple[str, int] | str | None = None
) -> OpcUaSettings:
    sec = device.security
    return OpcUaSettings(
        endpoint=endpoint if isinstance(endpoint, str) else device.endpoint,
        nodes=tuple(
            OpcUaNode(
                t.node_id,
                t.sampling_interval_s,
                t.queue_size,
                (t.deadband.type, t.deadband.value) if t.deadband else None,
            )
            for t in device.tags
        ),
        mode=device.mode,
        publishing_interval_s=device.publishing_interval_s,
        sampling_interval_s=device.sampling_interval_s,
        timeout_s=device.timeout_s,
        backoff_initial_s=min(0.5, device.poll_interval_s),
        backoff_max_s=device.backoff_max_s,
        max_nodes_per_read=device.max_nodes_per_read,
        node_retry_s=device.node_retry_s,
        username=device.username,
        password=device.password,
        security=OpcUaSecuritySettings(
            sec.policy, sec.mode, sec.certificate, sec.private_key, sec.trust_store
        ),
    )


def modbus_poller(device: ModbusDevice, bus: ModbusBus) -> ModbusPoller:
    endpoint = ModbusEndpoint(
        device_id=device.device_id,
        max_gap=device.max_gap,
        max_registers=device.max_registers,
        retries=device.retries,
        reprobe_s=device.reprobe_s,
    )
    points = [
        RegisterPoint(
            t.table,
            t.address,
            t.type,
            t.scale,
            t.offset,
            t.byte_order or device.byte_order,
            t.word_order or device.word_order,
            t.bit,
        )
        for t in device.tags
    ]
    return ModbusPoller(bus, endpoint, points)


def single_modbus_poller(
    device: ModbusDevice, address: tuple[str, int] | str | None = None
) -> ModbusPoller:
    """A poller with a bus of its own (tools and tests)."""
    factory = DriverFactory({device.id: address} if address is not None else None)
    return modbus_poller(device, factory.bus_for(device))
