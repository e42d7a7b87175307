"""Async Modbus polling client: connect with backoff, run the read plan, decode, report status."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import numpy.typing as npt
from pymodbus.client import AsyncModbusTcpClient
from pymodbus.exceptions import ModbusException
from pymodbus.pdu import ModbusPDU

from drivers.modbus.codec import DataType, Order, decode
from drivers.modbus.planner import PointAddress, ReadRequest, Table, plan_reads

log = logging.getLogger(__name__)


class PointStatus(IntEnum):
    OK = 0
    NO_RESPONSE = 1
    """Not connected, timed out or the link broke: communication loss."""
    EXCEPTION = 2
    """The device answered with a Modbus exception for this read."""
    INVALID = 3
    """Decoded to NaN or infinity."""


@dataclass(frozen=True, slots=True)
class RegisterPoint:
    table: Table
    address: int
    dtype: DataType
    scale: float = 1.0
    offset: float = 0.0


@dataclass(frozen=True, slots=True)
class ModbusEndpoint:
    host: str
    port: int = 502
    device_id: int = 1
    timeout_s: float = 1.0
    byte_order: Order = Order.BIG
    word_order: Order = Order.BIG
    max_gap: int = 10
    max_registers: int = 125
    retries: int = 0
    """Extra attempts of a failed read within one poll, each on a fresh connection. Each
    one can add a timeout before comm loss is declared, so 0 is the default."""
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 10.0


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
    """Reads one device's points; owns its connection and its reconnect backoff."""

    def __init__(
        self,
        endpoint: ModbusEndpoint,
        points: Sequence[RegisterPoint],
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.endpoint = endpoint
        self.points = tuple(points)
        self._monotonic = monotonic
        self._scale = np.array([p.scale for p in self.points], dtype=np.float64)
        self._offset = np.array([p.offset for p in self.points], dtype=np.float64)
        addresses = [PointAddress(p.table, p.address, p.dtype.width) for p in self.points]
        self.requests = plan_reads(
            addresses, max_registers=endpoint.max_registers, max_gap=endpoint.max_gap
        )
        self._decoders = [self._build_decoder(r) for r in self.requests]
        self._client: AsyncModbusTcpClient | None = None
        self._next_connect = 0.0
        self._backoff = endpoint.backoff_initial_s
        self.connected = False
        self.last_error: str | None = None

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
        if not await self._ensure_connected():
            return ReadResult(values, status)
        for dec in self._decoders:
            response = await self._execute_with_retries(dec.request)
            if response is None:
                status[:] = PointStatus.NO_RESPONSE
                return ReadResult(values, status)
            idx = np.array(dec.request.points, dtype=np.intp)
            if response.isError():
                status[idx] = PointStatus.EXCEPTION
                continue
            self._decode_into(dec, response, values)
            status[idx] = PointStatus.OK
        self._backoff = self.endpoint.backoff_initial_s
        values = values * self._scale + self._offset
        status[(status == PointStatus.OK) & ~np.isfinite(values)] = PointStatus.INVALID
        return ReadResult(values, status)

    async def _execute_with_retries(self, request: ReadRequest) -> ModbusPDU | None:
        for attempt in range(self.endpoint.retries + 1):
            if attempt and not await self._ensure_connected():
                return None
            assert self._client is not None
            try:
                return await self._execute(self._client, request)
            except (TimeoutError, ModbusException, OSError) as exc:
                self._drop(f"{type(exc).__name__}: {exc}")
        return None

    async def _execute(self, client: AsyncModbusTcpClient, req: ReadRequest) -> ModbusPDU:
        device = self.endpoint.device_id
        call = {
            Table.HOLDING: client.read_holding_registers,
            Table.INPUT: client.read_input_registers,
            Table.COIL: client.read_coils,
            Table.DISCRETE_INPUT: client.read_discrete_inputs,
        }[req.table]
        # pymodbus has its own timeout; the outer one bounds a connection that hangs
        # mid-frame, so a silent device costs at most one timeout per poll.
        return await asyncio.wait_for(
            call(req.start, count=req.count, device_id=device),
            timeout=self.endpoint.timeout_s * 1.5,
        )

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

    async def _ensure_connected(self) -> bool:
        if self._client is not None and self._client.connected:
            return True
        now = self._monotonic()
        if now < self._next_connect:
            return False
        ep = self.endpoint
        client = AsyncModbusTcpClient(
            ep.host, port=ep.port, timeout=ep.timeout_s, retries=0, reconnect_delay=0
        )
        try:
            ok = await asyncio.wait_for(client.connect(), timeout=ep.timeout_s * 1.5)
        except (TimeoutError, OSError, ModbusException) as exc:
            ok = False
            self.last_error = f"connect: {exc}"
        if not ok:
            client.close()
            self._schedule_reconnect()
            if self.last_error is None or not self.last_error.startswith("connect"):
                self.last_error = f"connect to {ep.host}:{ep.port} failed"
            return False
        self._client = client
        self.connected = True
        self.last_error = None
        log.info("connected to %s:%s", ep.host, ep.port)
        return True

    def _schedule_reconnect(self) -> None:
        self._next_connect = self._monotonic() + self._backoff
        self._backoff = min(self._backoff * 2, self.endpoint.backoff_max_s)
        self.connected = False

    def _drop(self, reason: str) -> None:
        """Close after a failed read: a Modbus TCP stream is resynchronised by reconnecting."""
        log.warning("%s:%s %s", self.endpoint.host, self.endpoint.port, reason)
        self.last_error = reason
        if self._client is not None:
            self._client.close()
        self._client = None
        self.connected = False
        self._next_connect = 0.0  # first reconnect at once, then back off

    async def close(self) -> None:
        if self._client is not None:
            self._client.close()
        self._client = None
        self.connected = False
