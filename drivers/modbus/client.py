"""Async Modbus polling of one device: run the read plan over its bus, decode, report status.

A device that refuses a merged read (exception 02/03: the read spans a hole in its map) gets
that read cut at its widest gap, again, until only the points it really lacks fail; the cut
plan is kept and the original one tried again every `reprobe_s`, in case the device is fixed.
A gateway's exception 0A/0B means the device behind it is unreachable: communication loss, not
a fault of each point."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from pymodbus.exceptions import ModbusException
from pymodbus.pdu import ModbusPDU

from drivers.modbus.bus import Client, ModbusBus
from drivers.modbus.codec import DataType, Order, decode
from drivers.modbus.planner import PointAddress, ReadRequest, Table, plan_reads, split_read
from drivers.reading import PointStatus, ReadResult

log = logging.getLogger(__name__)

ILLEGAL_ADDRESS = (0x02, 0x03)
"""Illegal data address / value: this read touches registers the device does not have."""
GATEWAY_UNREACHABLE = (0x0A, 0x0B)
"""Gateway path unavailable / target device failed to respond."""
_EXCEPTION_NAMES = {
    0x01: "illegal function",
    0x02: "illegal data address",
    0x03: "illegal data value",
    0x04: "device failure",
    0x05: "acknowledge",
    0x06: "device busy",
    0x0A: "gateway path unavailable",
    0x0B: "gateway target failed to respond",
}


def exception_text(code: int, request: ReadRequest) -> str:
    name = _EXCEPTION_NAMES.get(code, "exception")
    last = request.start + request.count - 1
    return f"exception {code:02X} ({name}) reading {request.table.value} {request.start}–{last}"


@dataclass(frozen=True, slots=True)
class RegisterPoint:
    table: Table
    address: int
    dtype: DataType
    scale: float = 1.0
    offset: float = 0.0
    byte_order: Order = Order.BIG
    word_order: Order = Order.BIG
    bit: int | None = None
    """A flag in a register (0 = least significant bit)."""

    @property
    def width(self) -> int:
        return 1 if self.table.is_bits or self.bit is not None else self.dtype.width


@dataclass(frozen=True, slots=True)
class ModbusEndpoint:
    """How to read one device on a bus."""

    device_id: int = 1
    max_gap: int = 10
    max_registers: int = 125
    retries: int = 0
    """Extra attempts of a failed read within one poll (on TCP, on a fresh connection). Each
    can add a timeout before comm loss is declared, so 0 is the default."""
    reprobe_s: float = 600.0
    """How often a plan split after exception 02 is replaced by the original merged one."""


_GroupKey = tuple[DataType, Order, Order, bool]


@dataclass(frozen=True, slots=True)
class _Group:
    """Points of one read decoded together: same type, byte and word order."""

    key: _GroupKey
    offsets: npt.NDArray[np.intp]
    dest: npt.NDArray[np.intp]
    bits: npt.NDArray[np.intp] | None
    """For flags: the bit of each register."""


@dataclass(frozen=True, slots=True)
class _Decoder:
    """How one read's registers map to point values; built once, used every poll."""

    request: ReadRequest
    groups: tuple[_Group, ...]


class ModbusPoller:
    """Reads one device's points over its bus and decodes them in blocks."""

    def __init__(
        self,
        bus: ModbusBus,
        endpoint: ModbusEndpoint,
        points: Sequence[RegisterPoint],
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.bus = bus
        self.endpoint = endpoint
        self.points = tuple(points)
        self._monotonic = monotonic
        self._scale = np.array([p.scale for p in self.points], dtype=np.float64)
        self._offset = np.array([p.offset for p in self.points], dtype=np.float64)
        self._addresses = [PointAddress(p.table, p.address, p.width) for p in self.points]
        self._planned = [
            self._build_decoder(r)
            for r in plan_reads(
                self._addresses, max_registers=endpoint.max_registers, max_gap=endpoint.max_gap
            )
        ]
        self._decoders = list(self._planned)
        self._split_at: float | None = None
        self.last_error: str | None = None

    @property
    def requests(self) -> list[ReadRequest]:
        """The reads one poll makes now (after any split)."""
        return [d.request for d in self._decoders]

    @property
    def connected(self) -> bool:
        return self.bus.connected

    def _build_decoder(self, request: ReadRequest) -> _Decoder:
        by_key: dict[_GroupKey, tuple[list[int], list[int], list[int]]] = {}
        for i in request.points:
            p = self.points[i]
            flag = p.bit is not None
            key = (DataType.UINT16 if flag else p.dtype, p.byte_order, p.word_order, flag)
            offs, dest, bits = by_key.setdefault(key, ([], [], []))
            offs.append(p.address - request.start)
            dest.append(i)
            bits.append(p.bit or 0)
        groups = tuple(
            _Group(
                key,
                np.array(offs, dtype=np.intp),
                np.array(dest, dtype=np.intp),
                np.array(bits, dtype=np.intp) if key[3] else None,
            )
            for key, (offs, dest, bits) in by_key.items()
        )
        return _Decoder(request, groups)

    def _reprobe_if_due(self) -> None:
        if self._split_at is None:
            return
        if self._monotonic() - self._split_at >= self.endpoint.reprobe_s:
            self._decoders = list(self._planned)
            self._split_at = None

    def _split(self, dec: _Decoder) -> list[_Decoder]:
        halves = [self._build_decoder(r) for r in split_read(dec.request, self._addresses)]
        if halves:
            at = self._decoders.index(dec)
            self._decoders[at : at + 1] = halves
            if self._split_at is None:
                self._split_at = self._monotonic()
        return halves

    async def read(self) -> ReadResult:
        self._reprobe_if_due()
        n = len(self.points)
        values = np.full(n, np.nan)
        status = np.full(n, PointStatus.NO_RESPONSE, dtype=np.uint8)
        errors: dict[int, str] = {}
        refused: str | None = None
        async with self.bus.session() as client:
            if client is None:
                self.last_error = self.bus.last_error
                return ReadResult(values, status, reached=False)
            pending = list(self._decoders)
            while pending:
                dec = pending.pop(0)
                response = await self._execute_with_retries(client, dec.request)
                if response is None:
                    status[:] = PointStatus.NO_RESPONSE
                    return ReadResult(values, status, reached=False)
                idx = np.array(dec.request.points, dtype=np.intp)
                if not response.isError():
                    self._decode_into(dec, response, values)
                    status[idx] = PointStatus.OK
                    continue
                code = int(getattr(response, "exception_code", 0))
                text = exception_text(code, dec.request)
                if code in GATEWAY_UNREACHABLE:
                    self.last_error = text
                    status[:] = PointStatus.NO_RESPONSE
                    return ReadResult(values, status, reached=False)
                if code in ILLEGAL_ADDRESS:
                    halves = self._split(dec)
                    if halves:
                        log.info("%s: %s; reading it in smaller parts", self.bus.link, text)
                        pending[0:0] = halves
                        continue
                    status[idx] = PointStatus.UNKNOWN_POINT
                else:
                    status[idx] = PointStatus.EXCEPTION
                errors.update(dict.fromkeys(dec.request.points, text))
                refused = refused or text
        self.bus.ok()
        self.last_error = refused
        values = values * self._scale + self._offset
        status[(status == PointStatus.OK) & ~np.isfinite(values)] = PointStatus.INVALID
        return ReadResult(values, status, reached=True, errors=errors)

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
            for g in dec.groups:
                values[g.dest] = bits[g.offsets]
            return
        regs = np.asarray(response.registers, dtype=np.uint16)
        for g in dec.groups:
            dtype, byte_order, word_order, _ = g.key
            decoded = decode(regs, g.offsets, dtype, byte_order, word_order)
            if g.bits is not None:
                decoded = ((decoded.astype(np.int64) >> g.bits) & 1).astype(np.float64)
            values[g.dest] = decoded

    async def close(self) -> None:
        await self.bus.close()
