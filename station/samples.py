"""Samples as they leave acquisition: a batch per device poll, one array per field."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import numpy.typing as npt


class Level(IntEnum):
    GOOD = 0
    UNCERTAIN = 1
    BAD = 2


class Quality(IntEnum):
    """Quality code of a sample; stored as a small integer in history."""

    GOOD = 0
    UNCERTAIN_STALE = 1
    BAD_COMM_LOSS = 2
    BAD_OUT_OF_RANGE = 3
    BAD_INVALID = 4
    BAD_DEVICE_ERROR = 5
    UNCERTAIN_INITIAL = 6
    BAD_SENSOR = 7
    UNCERTAIN_SOURCE = 8
    BAD_CONFIG = 9

    @property
    def level(self) -> Level:
        return _LEVEL[self]

    @property
    def reason(self) -> str | None:
        return None if self is Quality.GOOD else _REASON[self]


_LEVEL = {
    Quality.GOOD: Level.GOOD,
    Quality.UNCERTAIN_STALE: Level.UNCERTAIN,
    Quality.UNCERTAIN_INITIAL: Level.UNCERTAIN,
    Quality.BAD_COMM_LOSS: Level.BAD,
    Quality.BAD_OUT_OF_RANGE: Level.BAD,
    Quality.BAD_INVALID: Level.BAD,
    Quality.BAD_DEVICE_ERROR: Level.BAD,
    Quality.BAD_SENSOR: Level.BAD,
    Quality.UNCERTAIN_SOURCE: Level.UNCERTAIN,
    Quality.BAD_CONFIG: Level.BAD,
}
_REASON = {
    Quality.UNCERTAIN_STALE: "stale",
    Quality.UNCERTAIN_INITIAL: "initial",
    Quality.BAD_COMM_LOSS: "comm_loss",
    Quality.BAD_OUT_OF_RANGE: "out_of_range",
    Quality.BAD_INVALID: "invalid",
    Quality.BAD_DEVICE_ERROR: "device_error",
    Quality.BAD_SENSOR: "sensor_fault",
    Quality.UNCERTAIN_SOURCE: "uncertain_source",
    Quality.BAD_CONFIG: "config_error",
}

FloatArray = npt.NDArray[np.float64]
QualityArray = npt.NDArray[np.uint8]


@dataclass(frozen=True, slots=True)
class Sample:
    tag: str
    ts_ms: int
    value: float
    quality: Quality


@dataclass(frozen=True, slots=True)
class SampleBatch:
    """All tags of one device read at one instant.

    Arrays instead of an object per value: at tens of thousands of values a second the
    per-object cost would dominate acquisition.
    """

    device: str
    ts_ms: int
    tags: tuple[str, ...]
    values: FloatArray
    quality: QualityArray

    def __len__(self) -> int:
        return len(self.tags)

    def samples(self) -> Iterator[Sample]:
        for tag, value, q in zip(
            self.tags, self.values.tolist(), self.quality.tolist(), strict=True
        ):
            yield Sample(tag, self.ts_ms, value, Quality(q))
