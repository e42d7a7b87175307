"""Latest value per tag, for the API and the web page."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from station.samples import Quality, SampleBatch

_LAYOUT_CACHE = 256
"""Batch layouts remembered per device (devices reporting by exception send subsets)."""


@dataclass(frozen=True, slots=True)
class DeviceView:
    """One device's tags as of a moment, as arrays (stale already applied): what a
    serialiser of every value reads without a Python object per value."""

    device: str
    tags: tuple[str, ...]
    values: npt.NDArray[np.float64]
    quality: npt.NDArray[np.uint8]
    ts_ms: npt.NDArray[np.int64]
    heard: npt.NDArray[np.bool_]
    """False for a tag nothing has been heard of yet."""


@dataclass(frozen=True, slots=True)
class LiveValue:
    tag: str
    device: str
    value: float | None
    quality: Quality
    ts_ms: int
    age_s: float


class _DeviceValues:
    """One device's tags as arrays; a poll of every tag replaces them in one copy."""

    def __init__(self, device: str, tags: tuple[str, ...]) -> None:
        self.device = device
        self.tags = tags
        self.values = np.full(len(tags), np.nan)
        self.quality = np.full(len(tags), Quality.UNCERTAIN_INITIAL, dtype=np.uint8)
        self.ts = np.full(len(tags), -1, dtype=np.int64)
        self.heard_ms = -1
        self._positions: dict[tuple[str, ...], npt.NDArray[np.intp]] = {}
        self._where = {t: i for i, t in enumerate(tags)}

    def accept(self, batch: SampleBatch) -> None:
        self.heard_ms = max(self.heard_ms, batch.ts_ms)
        if not batch.tags:
            return
        if batch.tags is self.tags or batch.tags == self.tags:
            self.values[:] = batch.values
            self.quality[:] = batch.quality
            self.ts[:] = batch.ts_ms
            return
        pos = self._positions.get(batch.tags)
        if pos is None:
            if len(self._positions) >= _LAYOUT_CACHE:
                self._positions.clear()
            pos = np.array([self._where[t] for t in batch.tags], dtype=np.intp)
            self._positions[batch.tags] = pos
        newer = batch.ts_ms >= self.ts[pos]  # a late value never hides a newer one
        pos = pos[newer]
        self.values[pos] = batch.values[newer]
        self.quality[pos] = batch.quality[newer]
        self.ts[pos] = batch.ts_ms


class LiveCache:
    """Keeps the newest value of each tag, and when each device was last heard from.

    A good value is stale when its device has not been heard from for a while, not when
    the value is old: a device reporting by exception sends nothing while nothing changes.
    """

    def __init__(
        self, stale_after_s: dict[str, float], layouts: dict[str, tuple[str, ...]] | None = None
    ) -> None:
        self._stale_after = stale_after_s
        self._devices: dict[str, _DeviceValues] = {
            d: _DeviceValues(d, tags) for d, tags in (layouts or {}).items()
        }
        self._index: dict[str, tuple[_DeviceValues, int]] = {}
        for dev in self._devices.values():
            for i, tag in enumerate(dev.tags):
                self._index[tag] = (dev, i)

    def accept(self, batch: SampleBatch) -> None:
        dev = self._devices.get(batch.device)
        if dev is None:  # a device not declared up front: its first batch is its layout
            dev = self._devices[batch.device] = _DeviceValues(batch.device, batch.tags)
            for i, tag in enumerate(batch.tags):
                self._index[tag] = (dev, i)
        dev.accept(batch)

    def get(self, tag: str, now_s: float) -> LiveValue | None:
        where = self._index.get(tag)
        if where is None:
            return None
        dev, i = where
        ts = int(dev.ts[i])
        if ts < 0:
            return None  # nothing heard of this tag yet
        value = float(dev.values[i])
        quality = Quality(int(dev.quality[i]))
        silent_s = now_s - dev.heard_ms / 1000
        if quality is Quality.GOOD and silent_s > self._stale_after.get(dev.device, float("inf")):
            quality = Quality.UNCERTAIN_STALE
        shown = None if value != value else value
        return LiveValue(tag, dev.device, shown, quality, ts, now_s - ts / 1000)

    def views(self, now_s: float) -> list[DeviceView]:
        """Copies of every device's arrays, in the order `snapshot` lists tags."""
        out = []
        for dev in self._devices.values():
            quality = dev.quality.copy()
            silent_s = now_s - dev.heard_ms / 1000
            if silent_s > self._stale_after.get(dev.device, float("inf")):
                quality[quality == Quality.GOOD] = Quality.UNCERTAIN_STALE
            ts = dev.ts.copy()
            out.append(DeviceView(dev.device, dev.tags, dev.values.copy(), quality, ts, ts >= 0))
        return out

    def snapshot(self, now_s: float) -> list[LiveValue]:
        out = []
        for tag in self._index:
            v = self.get(tag, now_s)
            if v is not None:
                out.append(v)
        return out
