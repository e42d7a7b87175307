"""A Modbus link (TCP connection, RTU-over-TCP gateway, or RS-485 line) shared by the devices on it.

One request at a time per bus: on a serial line the protocol allows nothing else, and a
gateway in front of one has the same limit. Connect and reconnect-with-backoff live here.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from pymodbus import FramerType
from pymodbus.client import AsyncModbusSerialClient, AsyncModbusTcpClient
from pymodbus.exceptions import ModbusException

log = logging.getLogger(__name__)

Client = AsyncModbusTcpClient | AsyncModbusSerialClient


@dataclass(frozen=True, slots=True)
class TcpLink:
    host: str
    port: int
    rtu_framing: bool = False
    """RTU frames with CRC over TCP, as serial-to-Ethernet gateways speak."""

    def __str__(self) -> str:
        return f"{'rtu+' if self.rtu_framing else ''}tcp://{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class SerialLink:
    port: str
    baudrate: int = 19200
    parity: str = "E"
    stopbits: int = 1
    bytesize: int = 8
    frame_gap_s: float = 0.00175

    def __str__(self) -> str:
        return f"rtu://{self.port}@{self.baudrate}{self.parity}{self.stopbits}"


Link = TcpLink | SerialLink


class ModbusBus:
    def __init__(
        self,
        link: Link,
        timeout_s: float = 1.0,
        backoff_initial_s: float = 0.5,
        backoff_max_s: float = 10.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.link = link
        self.timeout_s = timeout_s
        self.backoff_initial_s = backoff_initial_s
        self.backoff_max_s = backoff_max_s
        self._monotonic = monotonic
        self._client: Client | None = None
        self._lock = asyncio.Lock()
        self._next_connect = 0.0
        self._backoff = backoff_initial_s
        self._quiet_until = 0.0
        self.last_error: str | None = None
        self.connect_attempts = 0

    @property
    def connected(self) -> bool:
        return self._client is not None and self._client.connected

    @property
    def is_serial(self) -> bool:
        return isinstance(self.link, SerialLink)

    def _new_client(self) -> Client:
        link = self.link
        if isinstance(link, SerialLink):
            return AsyncModbusSerialClient(
                link.port,
                framer=FramerType.RTU,
                baudrate=link.baudrate,
                parity=link.parity,
                stopbits=link.stopbits,
                bytesize=link.bytesize,
                timeout=self.timeout_s,
                retries=0,
                reconnect_delay=0,
            )
        framer = FramerType.RTU if link.rtu_framing else FramerType.SOCKET
        return AsyncModbusTcpClient(
            link.host,
            port=link.port,
            framer=framer,
            timeout=self.timeout_s,
            retries=0,
            reconnect_delay=0,
        )

    @asynccontextmanager
    async def session(self) -> AsyncIterator[Client | None]:
        """The bus to oneself, connected (or None while the link is down or backing off)."""
        async with self._lock:
            if not await self._ensure_connected():
                yield None
                return
            yield self._client

    async def pace(self) -> None:
        """Keep the inter-frame silence a serial line needs before the next request."""
        if isinstance(self.link, SerialLink):
            wait = self._quiet_until - self._monotonic()
            if wait > 0:
                await asyncio.sleep(wait)

    def frame_done(self) -> None:
        if isinstance(self.link, SerialLink):
            self._quiet_until = self._monotonic() + self.link.frame_gap_s

    async def reconnect(self) -> Client | None:
        """Within a session: a fresh connection for a retry, or None while the link is down."""
        return self._client if await self._ensure_connected() else None

    def ok(self) -> None:
        self._backoff = self.backoff_initial_s

    async def _ensure_connected(self) -> bool:
        if self.connected:
            return True
        if self._monotonic() < self._next_connect:
            return False
        client = self._new_client()
        self.connect_attempts += 1
        try:
            ok = await asyncio.wait_for(client.connect(), timeout=self.timeout_s * 1.5)
        except (TimeoutError, OSError, ModbusException) as exc:
            ok = False
            self.last_error = f"connect to {self.link}: {exc}"
        if not ok:
            client.close()
            self._next_connect = self._monotonic() + self._backoff
            self._backoff = min(self._backoff * 2, self.backoff_max_s)
            if not (self.last_error or "").startswith("connect"):
                self.last_error = f"connect to {self.link} failed"
            return False
        self._client = client
        self.last_error = None
        log.debug("connected to %s", self.link)
        return True

    def failed(self, reason: str, *, link_broken: bool) -> None:
        """A request failed. A TCP stream is resynchronised by reconnecting at once; a
        serial line stays open (one silent slave says nothing about the others)."""
        self.last_error = reason
        log.debug("%s: %s", self.link, reason)  # acquisition logs the device going down, once
        if link_broken or not self.is_serial:
            if self._client is not None:
                self._client.close()
            self._client = None
            self._next_connect = 0.0

    async def close(self) -> None:
        if self._client is not None:
            self._client.close()
        self._client = None
