"""Latest value per tag, for the API and the web page."""

from __future__ import annotations

from dataclasses import dataclass

from station.samples import Quality, SampleBatch


@dataclass(frozen=True, slots=True)
class LiveValue:
    tag: str
    device: str
    value: float | None
    quality: Quality
    ts_ms: int
    age_s: float


class LiveCache:
    """Keeps the newest batch of each device; looking a tag up is an index into it.

    Storing whole batches makes an update O(1) per poll, however many tags a device has.
    """

    def __init__(self, stale_after_s: dict[str, float]) -> None:
        self._stale_after = stale_after_s
        self._batches: dict[str, SampleBatch] = {}
        self._index: dict[str, tuple[str, int]] = {}

    def accept(self, batch: SampleBatch) -> None:
        if batch.device not in self._batches:
            for i, tag in enumerate(batch.tags):
                self._index[tag] = (batch.device, i)
        self._batches[batch.device] = batch

    def get(self, tag: str, now_s: float) -> LiveValue | None:
        where = self._index.get(tag)
        if where is None:
            return None
        device, i = where
        batch = self._batches[device]
        value = float(batch.values[i])
        quality = Quality(int(batch.quality[i]))
        age = now_s - batch.ts_ms / 1000
        if quality is Quality.GOOD and age > self._stale_after.get(device, float("inf")):
            quality = Quality.UNCERTAIN_STALE
        return LiveValue(tag, device, None if value != value else value, quality, batch.ts_ms, age)

    def snapshot(self, now_s: float) -> list[LiveValue]:
        out = []
        for tag in self._index:
            v = self.get(tag, now_s)
            if v is not None:
                out.append(v)
        return out
