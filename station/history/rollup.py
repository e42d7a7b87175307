"""Rollups (min, max, sum, count, last per tag and bucket; for counters also the quantity
delivered and the resets seen) accumulated as data arrives.

Partial buckets are flushed as they are and merged in the store by upsert, so a flush
every few seconds, a restart mid-bucket or a late batch all give the same totals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

RollupRow = tuple[int, int, float, float, float, int, float, int, float, int]
"""(tag id, bucket start ms, min, max, sum, count, last, last ts ms, delta, resets)"""


@dataclass
class _Bucket:
    size: int
    min: npt.NDArray[np.float64] = field(init=False)
    max: npt.NDArray[np.float64] = field(init=False)
    sum: npt.NDArray[np.float64] = field(init=False)
    count: npt.NDArray[np.int64] = field(init=False)
    last: npt.NDArray[np.float64] = field(init=False)
    last_ts: npt.NDArray[np.int64] = field(init=False)
    delta: npt.NDArray[np.float64] = field(init=False)
    resets: npt.NDArray[np.int64] = field(init=False)

    def __post_init__(self) -> None:
        self.min = np.full(self.size, np.inf)
        self.max = np.full(self.size, -np.inf)
        self.sum = np.zeros(self.size)
        self.count = np.zeros(self.size, dtype=np.int64)
        self.last = np.full(self.size, np.nan)
        self.last_ts = np.full(self.size, -1, dtype=np.int64)
        self.delta = np.zeros(self.size)
        self.resets = np.zeros(self.size, dtype=np.int64)

    def grow(self, size: int) -> None:
        extra = size - self.size
        self.min = np.concatenate([self.min, np.full(extra, np.inf)])
        self.max = np.concatenate([self.max, np.full(extra, -np.inf)])
        self.sum = np.concatenate([self.sum, np.zeros(extra)])
        self.count = np.concatenate([self.count, np.zeros(extra, dtype=np.int64)])
        self.last = np.concatenate([self.last, np.full(extra, np.nan)])
        self.last_ts = np.concatenate([self.last_ts, np.full(extra, -1, dtype=np.int64)])
        self.delta = np.concatenate([self.delta, np.zeros(extra)])
        self.resets = np.concatenate([self.resets, np.zeros(extra, dtype=np.int64)])
        self.size = size


class RollupAccumulator:
    def __init__(self, bucket_ms: int) -> None:
        self.bucket_ms = bucket_ms
        self._buckets: dict[int, _Bucket] = {}
        self._size = 64

    def add(
        self, tag_ids: npt.NDArray[np.intp], ts_ms: int, values: npt.NDArray[np.float64]
    ) -> None:
        """Add good values of one instant; `tag_ids` are unique within the call."""
        if len(tag_ids) == 0:
            return
        b = self._bucket(tag_ids, ts_ms)
        b.min[tag_ids] = np.minimum(b.min[tag_ids], values)
        b.max[tag_ids] = np.maximum(b.max[tag_ids], values)
        b.sum[tag_ids] += values
        b.count[tag_ids] += 1
        newer = ts_ms >= b.last_ts[tag_ids]
        b.last[tag_ids[newer]] = values[newer]
        b.last_ts[tag_ids[newer]] = ts_ms

    def add_increments(
        self,
        tag_ids: npt.NDArray[np.intp],
        ts_ms: int,
        deltas: npt.NDArray[np.float64],
        resets: npt.NDArray[np.int64],
    ) -> None:
        """Counter increments of one instant. An increment is the quantity of the interval
        that the reading ends, (previous reading, ts]: it goes to the bucket holding the
        instant just before ts, so a reading exactly on a boundary (a flow computer's
        snapshot at 11:00:00, a poll on the hour) closes the hour before it."""
        if len(tag_ids) == 0:
            return
        b = self._bucket(tag_ids, ts_ms - 1)
        b.delta[tag_ids] += deltas
        b.resets[tag_ids] += resets

    def _bucket(self, tag_ids: npt.NDArray[np.intp], ts_ms: int) -> _Bucket:
        top = int(tag_ids.max()) + 1
        if top > self._size:
            self._size = max(top, self._size * 2)
            for b in self._buckets.values():
                b.grow(self._size)
        start = ts_ms - ts_ms % self.bucket_ms
        if start not in self._buckets:
            self._buckets[start] = _Bucket(self._size)
        return self._buckets[start]

    def drain(self) -> list[RollupRow]:
        rows: list[RollupRow] = []
        for start, b in sorted(self._buckets.items()):
            (ids,) = np.nonzero((b.count > 0) | (b.delta != 0) | (b.resets > 0))
            rows.extend(
                zip(
                    ids.tolist(),
                    [start] * len(ids),
                    b.min[ids].tolist(),
                    b.max[ids].tolist(),
                    b.sum[ids].tolist(),
                    b.count[ids].tolist(),
                    b.last[ids].tolist(),
                    b.last_ts[ids].tolist(),
                    b.delta[ids].tolist(),
                    b.resets[ids].tolist(),
                    strict=True,
                )
            )
        self._buckets.clear()
        return rows
