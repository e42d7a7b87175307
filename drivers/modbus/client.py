"""Async Modbus polling of one device: run the read plan over its bus, decode, report status."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import numpy.typing as npt
from pymodbus.exceptions import ModbusException
from pymodbus.pdu import ModbusPDU

from drivers.modbus.bus import Client, ModbusBus
from drivers.modbus.codec import DataType, Order, decode
from drivers.modbus.planner import PointAddress, ReadRequest, Table, plan_reads


class PointStatus(IntEnum):
    OK = 0
    NO_RESPONSE = 1
    """Not connected, timed out or the link broke: communication loss."""
    EXCEPTION = 2
    """The device answered with a Modbus exception for this read."""
    INVALID = 3
    """Decoded to NaN or infinity."""
    SOURCE_BAD = 4
    """The source marks the value bad (an OPC UA server reporting a failed sensor)."""
    SOURCE_UNCERTAIN = 5
    UNKNOWN_POINT = 6
    """The address does not exist on the device (a wrong OPC UA node id)."""


@dataclass(frozen=True, slots=True)
class RegisterPoint:
    table: Table
    address: int
    dtype: DataType
    scale: float = 1.0
    offset: float = 0.0


@dataclass(frozen=True, slots=True)
class ModbusEndpoint:
    """How to read one device on a bus."""

    device_id: int = 1
    byte_order: Order = Order.BIG
    word_order: Order = Order.BIG
    max_gap: int = 10
    max_registers: int = 125
    retries: int = 0
    """Extra attempts of a failed read within one poll (on TCP, on a fresh connection). Each
    can add a timeout before comm loss is declared, so 0 is the default."""


@dataclass(frozen=True, slots=True)
class ReadResult:
    values: npt.NDArray[np.float64]
    status: npt.NDArray[np.uint8]

    @property
    def all_ok(self) -> bool:
        return bool((self.status == PointStatus.OK).all())


@dataclass(frozen=True, slots=True)
class _Decoder:
    """How one read's registers map to point values; built once, used every poll."""

    request: ReadRequest
    groups: tuple[tuple[DataType, npt.NDArray[np.intp], npt.NDArray[np.intp]], ...]
    """(type, offsets in the read, destination indices)."""


class ModbusPoller:
    """Reads one device's points over its bus and decodes them in blocks."""

    def __init__(
        self, bus: ModbusBus, endpoint: ModbusEndpoint, points: Sequence[RegisterPoint]
    ) -> None:
        self.bus = bus
        self.endpoint = endpoint
        self.points = tuple(points)
        self._scale = np.array([p.scale for p in self.points], dtype=np.float64)
        self._offset = np.array([p.offset for p in self.points], dtype=np.float64)
        addresses = [PointAddress(p.table, p.address, p.dtype.width) for p in self.points]
        self.requests = plan_reads(
            addresses, max_registers=endpoint.max_registers, max_gap=endpoint.max_gap
        )
        self._decoders = [self._build_decoder(r) for r in self.requests]
        self.last_error: str | None = None

    @property
    def connected(self) -> bool:
        return self.bus.connected

    def _build_decoder(self, request: ReadRequest) -> _Decoder:
        by_type: dict[DataType, tuple[list[int], list[int]]] = {}
        for i in request.points:
            p = self.points[i]
            offs, dest = by_type.setdefault(p.dtype, ([], []))
            offs.append(p.address - request.start)
            dest.append(i)
        groups = tuple(
            (dt, np.array(offs, dtype=np.intp), np.array(dest, dtype=np.intp))
            for dt, (offs, dest) in by_type.items()
        )
        return _Decoder(request, groups)

    async def read(self) -> ReadResult:
        n = len(self.points)
        values = np.full(n, np.nan)
        status = np.full(n, PointStatus.NO_RESPONSE, dtype=np.uint8)
        async with self.bus.session() as client:
            if client is None:
                self.last_error = self.bus.last_error
                return ReadResult(values, status)
            for dec in self._decoders:
                response = await self._execute_with_retries(client, dec.request)
                if response is None:
                    status[:] = PointStatus.NO_RESPONSE
                    return ReadResult(values, status)
                idx = np.array(dec.request.points, dtype=np.intp)
                if response.isError():
                    status[idx] = PointStatus.EXCEPTION
                    continue
                self._decode_into(dec, response, values)
                status[idx] = PointStatus.OK
        self.bus.ok()
        self.last_error = None
        values = values * self._scale + self._offset
        status[(status == PointStatus.OK) & ~np.isfinite(values)] = PointStatus.INVALID
        return ReadResult(values, status)

    async def _execute_with_retries(self, client: Client, request: ReadRequest) -> ModbusPDU | None:
        for attempt in range(self.endpoint.retries + 1):
            if attempt and not self.bus.is_serial:
                # the TCP stream was dropped to resynchronise: reconnect for the retry
                fresh = await self.bus.reconnect()
                if fresh is None:
                    return None
                client = fresh
            try:
                await self.bus.pace()
                return await self._execute(client, request)
            except (TimeoutError, ModbusException, OSError) as exc:
                self.last_error = f"{type(exc).__name__}: {exc}"
                self.bus.failed(self.last_error, link_broken=isinstance(exc, OSError))
            finally:
                self.bus.frame_done()
        return None

    async def _execute(self, client: Client, req: ReadRequest) -> ModbusPDU:
        device = self.endpoint.device_id
        call = {
            Table.HOLDING: client.read_holding_registers,
            Table.INPUT: client.read_input_registers,
            Table.COIL: client.read_coils,
            Table.DISCRETE_INPUT: client.read_discrete_inputs,
        }[req.table]
        # pymodbus has its own timeout; the outer one bounds a link that hangs mid-frame,
        # so a silent device costs at most one timeout per poll.
        response: ModbusPDU = await asyncio.wait_for(
            call(req.start, count=req.count, device_id=device),
            timeout=self.bus.timeout_s * 1.5,
        )
        return response

    def _decode_into(
        self, dec: _Decoder, response: ModbusPDU, values: npt.NDArray[np.float64]
    ) -> None:
        if dec.request.table.is_bits:
            bits = np.asarray(response.bits, dtype=np.float64)
            for _dt, offs, dest in dec.groups:
                values[dest] = bits[offs]
            return
        regs = np.asarray(response.registers, dtype=np.uint16)
        for dt, offs, dest in dec.groups:
            values[dest] = decode(
                regs, offs, dt, self.endpoint.byte_order, self.endpoint.word_order
            )

    async def close(self) -> None:
        await self.bus.close()
