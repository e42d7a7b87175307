"""The live values as `/api/live` serves them, serialised once per poll on the core's loop.

A request then costs a reference read and a write of ready bytes: a thousand clients a second
cost the core nothing, and the API never reads the live cache while the core changes it.
`now` is when the snapshot was taken, `age_s` is as of then.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from station.api.schemas import LiveOut, LiveResponse
from station.api.timefmt import from_ms
from station.clock import Clock, utc_datetime
from station.live_cache import LiveCache
from station.samples import Level, SampleBatch


@dataclass(frozen=True)
class Snapshot:
    response: LiveResponse
    body: bytes
    """`response` as JSON."""
    by_tag: dict[str, LiveOut]


class LiveSnapshot:
    def __init__(
        self, live: LiveCache, discrete: set[str], clock: Clock, min_interval_s: float = 0.1
    ) -> None:
        self.live = live
        self.discrete = discrete
        self.clock = clock
        self.min_interval_s = min_interval_s
        self.current = self._build()
        self.builds = 0
        self._built_at = 0.0
        self._pending = False

    def accept(self, _batch: SampleBatch) -> None:
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
        now = self.clock.now_s()
        out = []
        for v in self.live.snapshot(now):
            value: float | bool | None = v.value
            if v.tag in self.discrete and v.value is not None:
                value = bool(v.value)
            out.append(
                LiveOut(
                    tag=v.tag,
                    device=v.device,
                    value=value,
                    quality=Level(v.quality.level).name.lower(),
                    reason=v.quality.reason,
                    ts=from_ms(v.ts_ms),
                    age_s=round(v.age_s, 3),
                )
            )
        response = LiveResponse(now=utc_datetime(self.clock), values=out)
        return Snapshot(response, response.model_dump_json().encode(), {o.tag: o for o in out})
