"""Totaliser readings to delivered quantity: increments that survive rollover and reset.

A uint32 totaliser wraps from 4,294,967,295 to 0; a meter can be reset to 0 by hand. The
difference of two readings is then hugely negative, and a mean or a plain difference over
them means nothing. Each new good reading of a counter tag is turned here into the quantity
delivered since the previous good one (across any gap in between): a drop that a wrap
explains is a rollover, any other drop is a reset, counted from 0 and flagged. Never
negative. With a most the meter can pass (`max_rate`), an increment no flow explains (a
register jumping forward, a meter exchanged with a reading of its own, a flow computer restored
from a backup) counts nothing and is flagged as a reset: no report is ever handed a year's gas
in one minute.

The time that explains an increment is not the time since the previous reading. A device
updates its register at its own cycle (a flow computer each second, a PLC at its scan, a
simulator at ×1440 every few station minutes), so a poll may find a change that accumulated
since well before the previous poll. The change can have begun no earlier than the last
reading that still showed the value before the previous one (`held_from`): that span bounds
it, whatever the poll timing, and a late or fast poll never looks like a reset.

Pure computation: the history writer feeds it and stores what it returns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

RELATIVE_JITTER = 1e-9
"""A drop smaller than this share of the reading is rounding in the device, not a reset."""


@dataclass(frozen=True, slots=True)
class CounterSpec:
    rollover: float | None = None
    """Where the reading wraps, in engineering units (None: never)."""
    max_rate: float | None = None
    """The most the meter passes, in units per hour (None: no bound)."""
    stamp_slack_ms: int = 0
    """How much later than its stamp a reading can have been taken (the poll's longest wait
    for an answer, in station time: at ×1440 a one-second timeout is 24 station minutes)."""


@dataclass(frozen=True, slots=True)
class Increments:
    tag_ids: npt.NDArray[np.intp]
    deltas: FloatArray
    resets: IntArray
    rollovers: IntArray


class CounterTracker:
    """The last good reading of each counter tag, and the increments since."""

    def __init__(self) -> None:
        self._is_counter = np.zeros(0, dtype=bool)
        self._rollover = np.zeros(0)
        self._last = np.zeros(0)
        self._last_ms = np.zeros(0, dtype=np.int64)
        self._held_from_ms = np.zeros(0, dtype=np.int64)
        """The last reading before the one that first showed the held value: the change to
        the next value accumulated after it."""
        self._per_ms = np.zeros(0)
        """The most an increment may be per millisecond since the previous reading."""
        self._slack_ms = np.zeros(0, dtype=np.int64)

    def register(
        self,
        tag_id: int,
        spec: CounterSpec | float | None,
        last: float | None,
        last_ms: int | None = None,
        held_from_ms: int | None = None,
    ) -> None:
        """A counter tag, with its spec (or where it wraps, in engineering units) and its last
        stored reading and time (and the last reading of another value before it): what was
        delivered while the service was down still counts after a restart (as far as the
        meter could have passed it)."""
        if not isinstance(spec, CounterSpec):
            spec = CounterSpec(rollover=spec)
        if tag_id >= len(self._is_counter):
            extra = tag_id + 1 - len(self._is_counter)
            self._is_counter = np.concatenate([self._is_counter, np.zeros(extra, dtype=bool)])
            self._rollover = np.concatenate([self._rollover, np.full(extra, np.inf)])
            self._last = np.concatenate([self._last, np.full(extra, np.nan)])
            self._last_ms = np.concatenate([self._last_ms, np.full(extra, -1, dtype=np.int64)])
            self._held_from_ms = np.concatenate(
                [self._held_from_ms, np.full(extra, -1, dtype=np.int64)]
            )
            self._per_ms = np.concatenate([self._per_ms, np.full(extra, np.inf)])
            self._slack_ms = np.concatenate([self._slack_ms, np.zeros(extra, dtype=np.int64)])
        self._is_counter[tag_id] = True
        self._rollover[tag_id] = np.inf if spec.rollover is None else spec.rollover
        self._last[tag_id] = np.nan if last is None else last
        self._last_ms[tag_id] = -1 if last_ms is None else last_ms
        held_from = last_ms if held_from_ms is None else held_from_ms
        self._held_from_ms[tag_id] = -1 if held_from is None else held_from
        self._per_ms[tag_id] = np.inf if spec.max_rate is None else spec.max_rate / 3_600_000
        self._slack_ms[tag_id] = spec.stamp_slack_ms

    def counters_among(self, tag_ids: npt.NDArray[np.intp]) -> npt.NDArray[np.bool_]:
        inside = tag_ids < len(self._is_counter)
        out = np.zeros(len(tag_ids), dtype=bool)
        out[inside] = self._is_counter[tag_ids[inside]]
        return out

    def update(
        self, tag_ids: npt.NDArray[np.intp], readings: FloatArray, ts_ms: int | None = None
    ) -> Increments:
        """Good readings of counter tags (unique ids, one instant `ts_ms`) to increments."""
        last = self._last[tag_ids]
        rollover = self._rollover[tag_ids]
        delta = readings - last
        known = ~np.isnan(last)
        jitter = (delta < 0) & (-delta <= RELATIVE_JITTER * np.maximum(np.abs(last), 1.0))
        dropped = known & (delta < 0) & ~jitter
        wrapped = readings + rollover - last
        # a wrap explains the drop when the register wrapped less than once: the counted
        # quantity across it is then below half the modulus
        rolled = dropped & np.isfinite(rollover) & (wrapped >= 0) & (wrapped < rollover / 2)
        reset = dropped & ~rolled
        delta = np.where(rolled, wrapped, delta)
        delta = np.where(reset, readings, delta)  # counted from 0 since the reset
        delta = np.where(known & ~jitter, delta, 0.0)
        if ts_ms is not None:
            since = self._last_ms[tag_ids]
            held_from = self._held_from_ms[tag_ids]
            # at least a second: readings stamped alike (a replay) still get their meter's due
            elapsed = np.where(
                held_from >= 0,
                np.maximum(ts_ms - held_from, 1000) + self._slack_ms[tag_ids],
                np.inf,
            )
            implausible = known & (delta > self._per_ms[tag_ids] * elapsed)
            delta = np.where(implausible, 0.0, delta)
            reset = reset | implausible
            rolled = rolled & ~implausible
            changed = known & ~jitter & (readings != last)
            # a first reading: nothing earlier is known to bound the next change by
            held_from = np.where(known, held_from, ts_ms)
            self._held_from_ms[tag_ids] = np.where(changed, since, held_from)
            self._last_ms[tag_ids] = np.where(jitter, since, ts_ms)
        self._last[tag_ids] = np.where(jitter, last, readings)
        return Increments(
            tag_ids,
            np.maximum(delta, 0.0),
            reset.astype(np.int64),
            rolled.astype(np.int64),
        )
