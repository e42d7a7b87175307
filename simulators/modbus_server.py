"""Serve the process model over Modbus TCP, one pymodbus server per simulated device.

Registers are laid out from the station config, so the simulator and the example config
can never disagree. A running pymodbus server copies its datastore, so live values are
served the documented way: a `SimDevice` action that refreshes registers on each access.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from pymodbus import FramerType
from pymodbus.constants import ExcCodes
from pymodbus.exceptions import NoSuchIdException
from pymodbus.server import ModbusSerialServer, ModbusTcpServer
from pymodbus.simulator import DataType as SimType
from pymodbus.simulator import SimAction, SimData, SimDevice

from drivers.modbus.codec import DataType, Order, encode
from drivers.modbus.planner import Table
from station.config.models import ModbusDevice, ModbusRtuDevice, ModbusRtuOverTcpDevice

log = logging.getLogger(__name__)

_TABLE_OF_FC = {
    1: Table.COIL,
    5: Table.COIL,
    15: Table.COIL,
    2: Table.DISCRETE_INPUT,
    3: Table.HOLDING,
    6: Table.HOLDING,
    16: Table.HOLDING,
    23: Table.HOLDING,
    4: Table.INPUT,
}
_BLOCK_ORDER = (Table.COIL, Table.DISCRETE_INPUT, Table.HOLDING, Table.INPUT)


@dataclass(frozen=True)
class _Group:
    """Tags encoded together: one table, type, byte and word order (or flags of words)."""

    table: Table
    dtype: DataType
    byte_order: Order
    word_order: Order
    addresses: npt.NDArray[np.intp]
    value_index: npt.NDArray[np.intp]
    scale: npt.NDArray[np.float64]
    offset: npt.NDArray[np.float64]
    rollover: npt.NDArray[np.float64]
    """Counters wrap at this many units (inf for every other tag)."""
    bits: npt.NDArray[np.intp] | None


class RegisterImage:
    """The registers of one device, re-encoded from engineering values."""

    def __init__(self, device: ModbusDevice) -> None:
        self.device = device
        self.tag_ids = tuple(t.id for t in device.tags)
        size = dict.fromkeys(Table, 16)
        groups: dict[tuple[Table, DataType, Order, Order, bool], list[int]] = {}
        mapped: dict[Table, set[int]] = {t: set() for t in Table}
        for i, tag in enumerate(device.tags):
            width = tag.width
            size[tag.table] = max(size[tag.table], tag.address + width + 1)
            mapped[tag.table].update(range(tag.address, tag.address + width))
            key = (
                tag.table,
                tag.type,
                tag.byte_order or device.byte_order,
                tag.word_order or device.word_order,
                tag.bit is not None,
            )
            groups.setdefault(key, []).append(i)
        for table in (Table.COIL, Table.DISCRETE_INPUT):
            size[table] = -(-size[table] // 16) * 16
        self.size = size
        self.mapped = {t: frozenset(a) for t, a in mapped.items()}
        """Addresses some tag covers; a strict device refuses reads of anything else."""
        self._arrays = {t: np.zeros(size[t], dtype=np.uint16) for t in Table}

        def rollover(i: int) -> float:
            counter = device.tags[i].counter
            return counter.rollover if counter and counter.rollover else np.inf

        self._groups = [
            _Group(
                table,
                dtype,
                byte_order,
                word_order,
                np.array([device.tags[i].address for i in idx], dtype=np.intp),
                np.array(idx, dtype=np.intp),
                np.array([device.tags[i].scale for i in idx]),
                np.array([device.tags[i].offset for i in idx]),
                np.array([rollover(i) for i in idx]),
                np.array([device.tags[i].bit for i in idx], dtype=np.intp) if flags else None,
            )
            for (table, dtype, byte_order, word_order, flags), idx in groups.items()
        ]
        self.lists: dict[Table, list[int]] = {}

    def refresh(self, values: npt.NDArray[np.float64]) -> None:
        for g in self._groups:
            raw = (values[g.value_index] - g.offset) / g.scale
            wraps = np.isfinite(g.rollover) & np.isfinite(raw)
            raw = np.where(wraps, np.mod(raw, g.rollover, where=wraps, out=raw.copy()), raw)
            target = self._arrays[g.table]
            if g.table.is_bits:
                target[g.addresses] = raw != 0
                continue
            if g.bits is not None:  # flags share their status word: clear, then set each
                np.bitwise_and.at(target, g.addresses, (~(1 << g.bits)).astype(np.uint16))
                flags = ((raw != 0).astype(np.intp) << g.bits).astype(np.uint16)
                np.bitwise_or.at(target, g.addresses, flags)
                continue
            regs = encode(raw, g.dtype, g.byte_order, g.word_order)
            for j in range(g.dtype.width):
                target[g.addresses + j] = regs[:, j]
        lists = {t: a.tolist() for t, a in self._arrays.items() if not t.is_bits}
        for t in (Table.COIL, Table.DISCRETE_INPUT):
            bits = self._arrays[t].astype(bool)
            lists[t] = np.packbits(bits, bitorder="little").view("<u2").tolist()
        self.lists = lists

    def sim_device(self, action: SimAction) -> SimDevice:
        def block(t: Table) -> list[SimData]:
            if t.is_bits:
                return [SimData(0, count=self.size[t], values=False, datatype=SimType.BITS)]
            return [SimData(0, count=self.size[t], values=0, datatype=SimType.REGISTERS)]

        coils, inputs, holding, input_regs = (block(t) for t in _BLOCK_ORDER)
        return SimDevice(
            id=self.device.device_id, simdata=(coils, inputs, holding, input_regs), action=action
        )


@dataclass
class DeviceBehaviour:
    """How a simulated device answers besides its values; tests and scenarios change it live,
    to play devices that are not the example station's."""

    strict_map: bool = False
    """Answer exception 02 (illegal data address) to any read that touches an address no tag
    covers, as many flow computers do."""
    gateway_unreachable: bool = False
    """Play a gateway whose device behind it is gone: exception 0B to every request."""
    exception: ExcCodes | None = None
    """Answer this exception to every read (04, device failure, for instance)."""
    answer_delay_s: float = 0.0
    """Take this long to answer, like a slow serial line or an overloaded PLC."""


class SimulatedDevice:
    """One device's registers and behaviour (answers, silence, read-only)."""

    def __init__(
        self,
        device: ModbusDevice,
        values: Callable[[], npt.NDArray[np.float64]],
        version: Callable[[], int],
        silent: Callable[[], bool],
        unreachable: Callable[[], bool] = lambda: False,
    ) -> None:
        self.device = device
        self._unreachable = unreachable
        self.image = RegisterImage(device)
        self._values = values
        self._version = version
        self._silent = silent
        self._seen = -1
        self.requests = 0
        self.lost_requests = 0
        self.behaviour = DeviceBehaviour()

    async def action(
        self,
        function_code: int,
        start_address: int,
        address: int,
        count: int,
        registers: list[int],
        set_values: list[int] | list[bool] | None,
    ) -> ExcCodes | None:
        if self._silent():
            # A hung PLC: the connection stays open and what it was asked meanwhile is lost.
            self.lost_requests += 1
            while self._silent():
                await asyncio.sleep(0.05)
            raise NoSuchIdException(self.device.id)  # the server then sends nothing
        if set_values is not None:
            return ExcCodes.ILLEGAL_FUNCTION  # the simulated devices are read-only
        self.requests += 1
        if self.behaviour.answer_delay_s:
            await asyncio.sleep(self.behaviour.answer_delay_s)
        refusal = self._refusal(_TABLE_OF_FC[function_code], address, count)
        if refusal is not None:
            return refusal
        self.refresh_if_stale()
        src = self.image.lists[_TABLE_OF_FC[function_code]]
        if _TABLE_OF_FC[function_code].is_bits:
            registers[: len(src)] = src
        else:
            off = address - start_address
            registers[off : off + count] = src[off : off + count]
        return None

    def _refusal(self, table: Table, address: int, count: int) -> ExcCodes | None:
        b = self.behaviour
        if b.gateway_unreachable or self._unreachable():
            return ExcCodes.GATEWAY_NO_RESPONSE
        if b.exception is not None:
            return b.exception
        if b.strict_map and not self.image.mapped[table].issuperset(
            range(address, address + count)
        ):
            return ExcCodes.ILLEGAL_ADDRESS
        return None

    def refresh_if_stale(self) -> None:
        version = self._version()
        if version != self._seen:
            self.image.refresh(self._values())
            self._seen = version


async def _absent(*_: object) -> ExcCodes | None:
    raise NoSuchIdException("no such unit")  # the server then sends nothing


def absent_units() -> SimDevice:
    """Unit id 0 stands for every id not defined: like an RS-485 line, nobody answers for them
    (pymodbus would otherwise reply DEVICE_FAILURE)."""
    return SimDevice(
        id=0,
        simdata=[SimData(0, count=65535, values=0, datatype=SimType.REGISTERS)],
        action=_absent,
    )


class DeviceServer:
    """The devices behind one TCP port, or at the far end of one serial line (multi-drop)."""

    def __init__(
        self,
        devices: list[SimulatedDevice],
        host: str,
        port: int,
        serial_port: str | None = None,
    ) -> None:
        self.devices = devices
        self.device = devices[0].device
        self.host, self.port = host, port
        self.serial_port = serial_port
        self._server: ModbusTcpServer | ModbusSerialServer | None = None

    def refresh_if_stale(self) -> None:
        for d in self.devices:
            d.refresh_if_stale()

    @property
    def requests(self) -> int:
        return sum(d.requests for d in self.devices)

    @property
    def where(self) -> str:
        return self.serial_port if self.serial_port else f"{self.host}:{self.port}"

    async def start(self) -> None:
        sims = [d.image.sim_device(d.action) for d in self.devices]
        sims.append(absent_units())
        dev = self.device
        if isinstance(dev, ModbusRtuDevice):
            if not self.serial_port:
                raise ValueError(f"{dev.id}: the simulator needs the far end of its serial line")
            self._server = ModbusSerialServer(
                sims,
                framer=FramerType.RTU,
                port=self.serial_port,
                baudrate=dev.baudrate,
                parity=dev.parity,
                stopbits=dev.stopbits,
                bytesize=dev.bytesize,
                ignore_missing_devices=True,
            )
        else:
            framer = (
                FramerType.RTU if isinstance(dev, ModbusRtuOverTcpDevice) else FramerType.SOCKET
            )
            self._server = ModbusTcpServer(
                sims, framer=framer, address=(self.host, self.port), ignore_missing_devices=True
            )
        await self._server.serve_forever(background=True)
        log.info("simulated %s on %s", ", ".join(d.device.id for d in self.devices), self.where)

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.shutdown()  # type: ignore[no-untyped-call]
            self._server = None
