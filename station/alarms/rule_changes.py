"""Management of change: what a rule change may set, validated as the config is.

A station master's change takes effect at once and survives restarts, so nonsense must never
get in: priority 1–4, finite limits that keep a limit rule's levels in order (LL < L < H <
HH), deadbands and delays finite and within sane bounds.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from typing import Any

from station.alarms.lifecycle import NotAllowed
from station.alarms.points import AlarmPoint

MAX_DELAY_S = 86_400.0
"""An on- or off-delay longer than a day hides an alarm, it does not filter one."""
MAX_DEADBAND = 1e6
_LEVEL_ORDER = ("LL", "L", "H", "HH")


def _number(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise NotAllowed(f"{key} must be a number, not {value!r}")
    if not math.isfinite(value):
        raise NotAllowed(f"{key} must be finite, not {value}")
    return float(value)


def validate(
    point: AlarmPoint, changes: Mapping[str, Any], points: Mapping[str, AlarmPoint]
) -> dict[str, float | int]:
    """The changes as they will be stored, or NotAllowed with the reason."""
    allowed = {"limit", "deadband", "on_delay_s", "off_delay_s", "priority"}
    unknown = set(changes) - allowed
    if unknown:
        raise NotAllowed(f"cannot change {sorted(unknown)}; changeable: {sorted(allowed)}")
    if not changes:
        raise NotAllowed("no change given")
    clean: dict[str, float | int] = {}
    for key, value in changes.items():
        if key == "priority":
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 4:
                raise NotAllowed(f"priority is 1 (emergency) to 4 (low), not {value!r}")
            clean[key] = int(value)
            continue
        number = _number(key, value)
        if key in ("on_delay_s", "off_delay_s") and not 0 <= number <= MAX_DELAY_S:
            raise NotAllowed(f"{key} must be between 0 and {MAX_DELAY_S:g} s, not {number:g}")
        if key == "deadband" and not 0 <= number <= MAX_DEADBAND:
            raise NotAllowed(f"deadband must be between 0 and {MAX_DEADBAND:g}, not {number:g}")
        clean[key] = number
    if "limit" in clean:
        if point.limit is None:
            raise NotAllowed(f"{point.id} has no limit")
        _levels_stay_in_order(point, float(clean["limit"]), points)
    return clean


def _levels_stay_in_order(
    point: AlarmPoint, limit: float, points: Mapping[str, AlarmPoint]
) -> None:
    if point.kind != "limit" or point.tag is None:
        return
    base, _, level = point.id.rpartition(".")
    if level not in _LEVEL_ORDER:
        return
    levels = {
        lv: (limit if lv == level else p.limit)
        for lv in _LEVEL_ORDER
        if (p := points.get(f"{base}.{lv}")) is not None and p.limit is not None
    }
    ordered = [levels[lv] for lv in _LEVEL_ORDER if lv in levels]
    if any(a >= b for a, b in itertools.pairwise(ordered)):
        shown = ", ".join(f"{lv} {levels[lv]:g}" for lv in _LEVEL_ORDER if lv in levels)
        raise NotAllowed(f"limits must keep LL < L < H < HH: {shown}")
