"""Alarm conditions from the latest values: pure functions of a tag view.

A condition is True, False, or None when its inputs are bad or stale: then nothing changes.
That is what keeps a lost PLC from raising "zero flow" or "low pressure" alarms.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Protocol

from station.alarms.points import AlarmPoint
from station.samples import Level, Quality

CAUSES = {
    "upstream_loss": ("上游来气中断", "upstream supply lost (inlet pressure collapsed)"),
    "regulator_failed_open": (
        "调压器失效超压，切断阀动作",
        "regulator failed open: outlet over-pressure, slam-shut tripped",
    ),
    "esd_closed": ("紧急切断阀关闭", "emergency shut-off valve closed"),
    "slam_shut": ("切断阀跳闸", "slam-shut valve tripped"),
    "downstream_closed": (
        "下游阀门关闭",
        "downstream valve closed (outlet pressure rising, flow falling)",
    ),
    "downstream_rupture": (
        "下游管道破裂",
        "downstream rupture (outlet pressure collapsing, flow surging)",
    ),
    "outlet_ll_falling": ("出站压力低低且持续下降", "outlet pressure at low-low and falling"),
    "no_flow": ("阀门开启但无流量", "no flow with valves open"),
}


@dataclass(frozen=True, slots=True)
class TagState:
    value: float
    quality: Quality
    ts_ms: int

    @property
    def good(self) -> bool:
        return self.quality.level is Level.GOOD


class TagView(Protocol):
    def get(self, tag: str) -> TagState | None: ...

    def history(self, tag: str) -> deque[tuple[int, float]]: ...

    def comm_lost(self, device: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class Condition:
    active: bool | None
    value: float | None = None
    cause: str | None = None


UNKNOWN = Condition(None)


def _good(view: TagView, tag: str) -> TagState | None:
    s = view.get(tag)
    return s if s is not None and s.good else None


def _beyond(value: float, point: AlarmPoint, was_active: bool) -> bool:
    """Limit test with hysteresis: entering at the limit, leaving past limit ∓ deadband."""
    assert point.limit is not None
    if point.direction == "high":
        return value > (point.limit - point.deadband if was_active else point.limit)
    return value < (point.limit + point.deadband if was_active else point.limit)


def rate_per_min(hist: deque[tuple[int, float]], now_ms: int, window_s: float) -> float | None:
    start = now_ms - window_s * 1000
    pts = [(t, v) for t, v in hist if t >= start]
    if len(pts) < 2 or pts[-1][0] - pts[0][0] < window_s * 500:
        return None  # less than half a window of good data: no opinion
    (t0, v0), (t1, v1) = pts[0], pts[-1]
    return (v1 - v0) / ((t1 - t0) / 60_000)


def evaluate(
    point: AlarmPoint, view: TagView, was_active: bool, now_ms: int, memo: dict[str, float]
) -> Condition:
    kind = point.kind
    if kind == "comm":
        assert point.device is not None
        return Condition(view.comm_lost(point.device))
    if kind == "bad_signal":
        assert point.tag is not None and point.device is not None
        s = view.get(point.tag)
        if s is None:
            return UNKNOWN
        if view.comm_lost(point.device) or s.quality is Quality.BAD_COMM_LOSS:
            return Condition(False)  # the communication alarm tells it, once per device
        bad = s.quality.level is Level.BAD
        return Condition(bad, s.value, s.quality.reason if bad else None)
    if kind == "limit":
        assert point.tag is not None
        s = _good(view, point.tag)
        return UNKNOWN if s is None else Condition(_beyond(s.value, point, was_active), s.value)
    if kind == "discrete":
        assert point.tag is not None
        s = _good(view, point.tag)
        if s is None:
            return UNKNOWN
        return Condition((s.value != 0) == bool(point.params["alarm_when"]), s.value)
    if kind == "deviation":
        assert point.tag is not None
        a, b = _good(view, point.tag), _good(view, str(point.params["reference"]))
        if a is None or b is None:
            return UNKNOWN
        diff = abs(a.value - b.value)
        return Condition(_beyond(diff, point.with_changes(direction="high"), was_active), diff)
    if kind == "rate":
        assert point.tag is not None
        if _good(view, point.tag) is None:
            return UNKNOWN
        rate = rate_per_min(view.history(point.tag), now_ms, float(point.params["window_s"]))
        if rate is None:
            return UNKNOWN
        signed = -rate if point.direction == "low" else rate
        return Condition(_beyond(signed, point.with_changes(direction="high"), was_active), rate)
    if kind == "supply":
        return _supply(point, view, now_ms, memo)
    raise ValueError(kind)


def _supply(point: AlarmPoint, view: TagView, now_ms: int, memo: dict[str, float]) -> Condition:
    """Supply interruption: a shut-off closed, no flow through open valves, or outlet LL falling."""
    p = point.params
    inputs = point.inputs
    flow_tag, outlet_tag = inputs[0], inputs[1]
    esd = inputs[2 : 2 + int(p["esd_count"])]
    unknown = False
    esd_closed = False
    for t in esd:
        s = _good(view, t)
        if s is None:
            unknown = True
        elif s.value == 0:
            esd_closed = True
    run_closed = False
    run_known = True
    runs = {int(k[4:]): str(v) for k, v in p.items() if k.startswith("run:")}
    if runs:
        run_tag = str(p.get("active_run_tag", ""))
        r = _good(view, run_tag) if run_tag else None
        valve = runs.get(int(r.value)) if r is not None else None
        s = _good(view, valve) if valve else None
        if s is None:
            run_known = False
        else:
            run_closed = s.value == 0
    flow = _good(view, flow_tag)
    outlet = _good(view, outlet_tag)
    low_flow = False
    if flow is not None and flow.value < float(p["cutoff"]) and not esd_closed and not run_closed:
        since = memo.setdefault("low_since", float(now_ms))
        low_flow = now_ms - since >= float(p["low_flow_s"]) * 1000
    elif flow is not None:
        memo.pop("low_since", None)
    ll, deadband = float(p["outlet_ll"]), float(p["outlet_deadband"])
    falling_ll = _below_ll_falling(outlet, view.history(outlet_tag), now_ms, ll, deadband, memo)
    if esd_closed or run_closed or low_flow or falling_ll:
        cause = _cause(point, view, now_ms, esd_closed, run_closed, falling_ll and not low_flow)
        return Condition(True, flow.value if flow else None, cause)
    if flow is None or outlet is None or unknown or not run_known:
        return UNKNOWN
    return Condition(False, flow.value)


def _below_ll_falling(
    outlet: TagState | None,
    history: deque[tuple[int, float]],
    now_ms: int,
    ll: float,
    deadband: float,
    memo: dict[str, float],
) -> bool:
    """Outlet pressure went under LL while falling; it stays so until the pressure is back
    past LL + deadband, so a pressure that settles low, or wobbles at LL, does not chatter.
    Bad or stale pressure changes nothing."""
    if outlet is not None and outlet.value < ll and "below_ll" not in memo:
        rate = rate_per_min(history, now_ms, 60)
        if rate is not None and rate < 0:
            memo["below_ll"] = float(now_ms)
    elif outlet is not None and outlet.value >= ll + deadband:
        memo.pop("below_ll", None)
    return "below_ll" in memo


def _window(hist: deque[tuple[int, float]], now_ms: int, seconds: float) -> list[float]:
    return [v for t, v in hist if t >= now_ms - seconds * 1000]


def _cause(
    point: AlarmPoint, view: TagView, now_ms: int, esd: bool, slam: bool, ll_falling: bool
) -> str:
    p = point.params
    inlet_tag = str(p.get("inlet_tag", ""))
    outlet_tag = point.inputs[1]
    flow_tag = point.inputs[0]
    outlet = _window(view.history(outlet_tag), now_ms, 600)
    if inlet_tag:
        inlet = _window(view.history(inlet_tag), now_ms, 600)
        if inlet and max(inlet) > 0 and inlet[-1] < 0.5 * max(inlet):
            return "upstream_loss"
        if inlet and outlet and inlet[-1] < outlet[-1] + 0.3:
            return "upstream_loss"
    if slam and outlet and max(outlet) >= float(p["outlet_hh"]):
        return "regulator_failed_open"
    if esd:
        return "esd_closed"
    if slam:
        return "slam_shut"
    flow = _window(view.history(flow_tag), now_ms, 300)
    if outlet and flow and len(outlet) > 1:
        if outlet[-1] > outlet[0] + 0.02 and flow[-1] < flow[0]:
            return "downstream_closed"
        if outlet[-1] < outlet[0] - 0.05 and flow[-1] > 1.5 * max(flow[0], 1.0):
            return "downstream_rupture"
    if ll_falling:
        return "outlet_ll_falling"
    return "no_flow"


def render(
    template: str, value: float | None, limit: float | None, cause: str | None, language: str
) -> str:
    fmt = "—" if value is None or math.isnan(value) else f"{value:.4g}"
    cause_text = cause or ""
    if cause in CAUSES:
        cause_text = CAUSES[cause][0 if language == "zh" else 1]
    return template.format(
        value=fmt, limit="" if limit is None else f"{limit:g}", unit="", cause=cause_text
    )
