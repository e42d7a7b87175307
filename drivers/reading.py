"""What every driver hands acquisition, whatever the protocol: a status per point, a read
result, and the poller protocol. Drivers import this; they never import each other."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Protocol

import numpy as np
import numpy.typing as npt


class PointStatus(IntEnum):
    OK = 0
    NO_RESPONSE = 1
    """Not connected, timed out, the link broke, or a gateway could not reach the device."""
    EXCEPTION = 2
    """The device answered with an exception for this read."""
    INVALID = 3
    """Decoded to NaN or infinity."""
    SOURCE_BAD = 4
    """The source marks the value bad (an OPC UA server reporting a failed sensor)."""
    SOURCE_UNCERTAIN = 5
    UNKNOWN_POINT = 6
    """The address does not exist on the device (a wrong node id, an unmapped register)."""
    INITIAL = 7
    """The device has not yet had its first chance to answer."""


FloatArray = npt.NDArray[np.float64]
StatusArray = npt.NDArray[np.uint8]
TimeArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class PointChange:
    """One value as the source reported it, at the source's time (report by exception)."""

    index: int
    ts_ms: int
    """The source's time (OPC UA SourceTimestamp, else ServerTimestamp, else received_ms)."""
    value: float
    status: PointStatus
    received_ms: int
    """When the driver got it, on the service's clock."""


@dataclass(frozen=True, slots=True)
class ReadResult:
    values: FloatArray
    status: StatusArray
    reached: bool = True
    """The device itself answered this poll (an exception answer counts; a gateway's 0A/0B,
    a timeout or a closed link do not)."""
    changes: tuple[PointChange, ...] | None = None
    """For sources that report by exception (OPC UA subscriptions): every value reported
    since the previous read, in arrival order, with its source time. None for polled
    sources, whose values all stand at the poll time."""
    clock_offset_s: float | None = None
    """How far the source's clock is ahead of the service's (median over recent values,
    publishing delay included); None where the source sends no timestamps."""
    errors: dict[int, str] = field(default_factory=dict)
    """Why a point is bad, where the driver knows more than its status (point index → text)."""

    @property
    def all_ok(self) -> bool:
        return bool((self.status == PointStatus.OK).all())

    @property
    def any_ok(self) -> bool:
        return bool((self.status == PointStatus.OK).any())


class DevicePoller(Protocol):
    """What acquisition needs of a driver, whatever the protocol."""

    @property
    def connected(self) -> bool: ...

    @property
    def last_error(self) -> str | None: ...

    async def read(self) -> ReadResult: ...

    async def close(self) -> None: ...
