"""Alarm system performance (EEMUA 191 / ISA-18.2): rates, floods, chattering, standing, top ten."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from station.alarms.journal import JournalEvent

TEN_MIN = 600_000


@dataclass(frozen=True)
class Flood:
    start_ms: int
    end_ms: int
    alarms: int


@dataclass(frozen=True)
class AlarmKpi:
    start_ms: int
    end_ms: int
    raised: int
    per_10_min: float
    max_in_10_min: int
    floods: list[Flood]
    chattering: list[str]
    standing: list[str]
    by_priority: dict[int, int]
    top10: list[tuple[str, int]]


def _floods(times: list[int], start_ms: int, end_ms: int) -> list[Flood]:
    """A 10-minute bucket with over 10 raises starts a flood, the first bucket with under 5
    ends it. Only buckets with raises are visited (an empty one is under 5), so a year costs
    what its raises cost, not its 52,560 buckets."""
    buckets = Counter((t - start_ms) // TEN_MIN for t in times)
    last_bucket = (end_ms - start_ms - 1) // TEN_MIN
    floods: list[Flood] = []
    current: list[int] | None = None  # [first bucket, raises]

    def end(bucket: int) -> None:
        nonlocal current
        assert current is not None
        floods.append(
            Flood(start_ms + current[0] * TEN_MIN, start_ms + bucket * TEN_MIN, current[1])
        )
        current = None

    previous = None
    for b in sorted(buckets):
        if current is not None and previous is not None and b > previous + 1:
            end(previous + 1)  # the empty bucket after the last busy one
        n = buckets[b]
        if current is None:
            if n > 10:
                current = [b, n]
        elif n < 5:
            end(b)
        else:
            current[1] += n
        previous = b
    if current is not None:
        assert previous is not None
        if previous < last_bucket:
            end(previous + 1)
        else:
            floods.append(Flood(start_ms + current[0] * TEN_MIN, end_ms, current[1]))
    return floods


def alarm_kpi(
    events: list[JournalEvent],
    start_ms: int,
    end_ms: int,
    active_since: dict[str, int],
    now_ms: int,
) -> AlarmKpi:
    """`active_since`: raise time of each alarm standing now (for standing alarms)."""
    raised = [
        e for e in events if e.event in ("raised", "reannunciated") and start_ms <= e.ts_ms < end_ms
    ]
    times = sorted(e.ts_ms for e in raised)
    windows = max(1.0, (end_ms - start_ms) / TEN_MIN)
    # busiest 10 minutes, sliding over raise times
    best, j = 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - TEN_MIN:
            j += 1
        best = max(best, i - j + 1)
    floods = _floods(times, start_ms, end_ms)
    # chattering: the same alarm raised three times within a minute
    per_alarm: dict[str, list[int]] = {}
    for e in raised:
        per_alarm.setdefault(e.alarm, []).append(e.ts_ms)
    chattering = sorted(
        a
        for a, ts in per_alarm.items()
        if any(ts[k + 2] - ts[k] <= 60_000 for k in range(len(ts) - 2))
    )
    standing = sorted(a for a, since in active_since.items() if now_ms - since > 86_400_000)
    by_priority = dict(sorted(Counter(e.priority for e in raised).items()))
    top10 = Counter(e.alarm for e in raised).most_common(10)
    return AlarmKpi(
        start_ms,
        end_ms,
        len(raised),
        len(raised) / windows,
        best,
        floods,
        chattering,
        standing,
        by_priority,
        top10,
    )
