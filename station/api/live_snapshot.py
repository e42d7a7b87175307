"""The live values as `/api/live` serves them, serialised once per poll on the core's loop.

A request then costs a reference read and a write of ready bytes: a thousand clients a second
cost the core nothing, and the API never reads the live cache while the core changes it.
`now` is when the snapshot was taken, `age_s` is as of then.

The JSON is written here rather than by pydantic: at 8,000 tags rebuilt ten times a second,
one model object per value took most of a core (72 ms a build). Everything that does not
change between polls (a tag's name and device, a quality's words, a poll's time) is a ready
fragment, so a build costs one float formatting and one join per value. `LiveResponse` stays
the schema, and a test holds this writer to it value for value.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from dataclasses import dataclass

import numpy as np

from station.api.timefmt import from_ms
from station.clock import Clock, utc_datetime
from station.live_cache import DeviceView, LiveCache
from station.samples import Quality


def _json_time(dt_iso: str) -> str:
    return dt_iso.replace("+00:00", "Z")


_QUALITY_FRAGMENT = {
    int(q): f'"quality":{json.dumps(q.level.name.lower())},"reason":{json.dumps(q.reason)},'
    for q in Quality
}


def _number(x: float) -> str:
    return repr(x) if math.isfinite(x) else "null"


@dataclass(frozen=True)
class Snapshot:
    now: str
    """When it was taken, as JSON text."""
    body: bytes
    """Every value, as `LiveResponse` JSON."""
    by_tag: dict[str, str]
    """Each value's JSON object, for a request that names tags."""

    def only(self, tags: list[str]) -> bytes:
        values = ",".join(v for t in tags if (v := self.by_tag.get(t)) is not None)
        return f'{{"now":{self.now},"values":[{values}]}}'.encode()


class LiveSnapshot:
    def __init__(
        self, live: LiveCache, discrete: set[str], clock: Clock, min_interval_s: float = 0.1
    ) -> None:
        self.live = live
        self.discrete = discrete
        self.clock = clock
        self.min_interval_s = min_interval_s
        self._prefixes: dict[tuple[str, tuple[str, ...]], list[str]] = {}
        self.current = self._build()
        self.builds = 0
        self._built_at = 0.0
        self._pending = False

    def accept(self, _batch: object) -> None:
        """Bus consumer (after the live cache): rebuild now, or once shortly after when polls
        come faster than `min_interval_s` (wall time)."""
        wait = self._built_at + self.min_interval_s - time.monotonic()
        if wait <= 0:
            self.refresh()
            return
        if self._pending:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.refresh()
            return
        self._pending = True
        loop.call_later(wait, self.refresh)

    def refresh(self) -> None:
        self._pending = False
        self._built_at = time.monotonic()
        self.current = self._build()
        self.builds += 1

    def _build(self) -> Snapshot:
        now_s = self.clock.now_s()
        by_tag: dict[str, str] = {}
        for view in self.live.views(now_s):
            self._device_objects(view, now_s, by_tag)
        now = json.dumps(_json_time(utc_datetime(self.clock).isoformat()))
        body = f'{{"now":{now},"values":[{",".join(by_tag.values())}]}}'.encode()
        return Snapshot(now, body, by_tag)

    def _device_objects(self, view: DeviceView, now_s: float, into: dict[str, str]) -> None:
        heard = np.flatnonzero(view.heard)
        if len(heard) == 0:
            return
        prefixes = self._prefix(view)
        values = view.values.tolist()
        quality = view.quality.tolist()
        ts_ms = view.ts_ms.tolist()
        tails: dict[tuple[int, int], str] = {}
        for i in heard.tolist():
            tag = view.tags[i]
            if tag in self.discrete and values[i] == values[i]:
                value = "true" if values[i] else "false"
            else:
                value = _number(values[i])
            key = (quality[i], ts_ms[i])
            tail = tails.get(key)
            if tail is None:
                tail = tails[key] = self._tail(*key, now_s)
            into[tag] = prefixes[i] + value + tail

    def _prefix(self, view: DeviceView) -> list[str]:
        key = (view.device, view.tags)
        prefixes = self._prefixes.get(key)
        if prefixes is None:
            device = json.dumps(view.device)
            prefixes = [f'{{"tag":{json.dumps(t)},"device":{device},"value":' for t in view.tags]
            self._prefixes[key] = prefixes
        return prefixes

    @staticmethod
    def _tail(quality: int, ts_ms: int, now_s: float) -> str:
        ts = _json_time(from_ms(ts_ms).isoformat())
        age = round(now_s - ts_ms / 1000, 3)
        return f',{_QUALITY_FRAGMENT[quality]}"ts":"{ts}","age_s":{_number(age)}}}'
