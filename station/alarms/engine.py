"""The alarm engine: samples in, conditions through delays and suppression, life-cycle events out.

Runs inline as a fan-out consumer (evaluations are microseconds); timers that must run when no
sample arrives (shelve expiry, escalation) run from `tick`, driven by the station clock.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from station.alarms import rule_changes
from station.alarms.evaluate import Condition, TagState, evaluate, render
from station.alarms.journal import AlarmJournal
from station.alarms.lifecycle import AlarmStatus, NotAllowed, State
from station.alarms.points import AlarmPoint
from station.core_door import CoreOwned
from station.samples import Level, Quality, SampleBatch

log = logging.getLogger(__name__)
HISTORY_MS = 15 * 60_000
# Within one batch, causes before consequences: the first-out alarm is journalled first.
_ORDER = {
    "comm": 0,
    "bad_signal": 1,
    "discrete": 2,
    "limit": 3,
    "rate": 3,
    "deviation": 3,
    "supply": 4,
    "internal": 5,
}


class _View:
    """Latest value and quality per tag, short good-value history for rate and cause rules."""

    def __init__(self, history_tags: set[str]) -> None:
        self.latest: dict[str, TagState] = {}
        self._history: dict[str, deque[tuple[int, float]]] = {t: deque() for t in history_tags}
        self._empty: deque[tuple[int, float]] = deque()
        self.lost: dict[str, bool] = {}

    def get(self, tag: str) -> TagState | None:
        return self.latest.get(tag)

    def history(self, tag: str) -> deque[tuple[int, float]]:
        return self._history.get(tag, self._empty)

    def comm_lost(self, device: str) -> bool:
        return self.lost.get(device, False)

    def update(self, batch: SampleBatch, positions: Iterable[int]) -> None:
        """Only the tags some rule reads (and bad ones): the rest cost nothing per poll."""
        ts = batch.ts_ms
        values, quality = batch.values, batch.quality
        for k in positions:
            tag, value, q = batch.tags[k], float(values[k]), int(quality[k])
            self.latest[tag] = TagState(value, Quality(q), ts)
            hist = self._history.get(tag)
            if hist is not None and q == Quality.GOOD:
                hist.append((ts, value))
                while hist and hist[0][0] < ts - HISTORY_MS:
                    hist.popleft()
        if len(batch):  # an empty batch (a heartbeat) says the device is heard, no more
            self.lost[batch.device] = bool((batch.quality == Quality.BAD_COMM_LOSS).all())


@dataclass(frozen=True)
class _BatchPlan:
    """What a device's batch means to the engine, worked out once per tag layout."""

    watched: tuple[int, ...]
    """Positions of tags that limit, rate, discrete, deviation or supply rules read."""
    point_ids: tuple[str, ...]
    """Those rules' alarm ids, causes before consequences."""
    bad_ids: tuple[str | None, ...]
    """The signal alarm of each position (BAD.<tag>), if any."""


_BAD_LEVEL = np.array(
    [Quality(q).level is Level.BAD and q != Quality.BAD_COMM_LOSS for q in range(len(Quality))],
    dtype=bool,
)


@dataclass
class _Timer:
    on_since: int | None = None
    off_since: int | None = None
    memo: dict[str, float] = field(default_factory=dict)


AlarmListener = Callable[[dict[str, Any]], None]


_PLAN_CACHE = 1024
"""Batch layouts whose plans are kept; past that the cache starts again."""


class AlarmEngine(CoreOwned):
    def __init__(
        self, points: Iterable[AlarmPoint], journal: AlarmJournal, language: str = "zh"
    ) -> None:
        self.journal = journal
        self.language = language
        self.points: dict[str, AlarmPoint] = {p.id: p for p in points}
        for alarm, changes in journal.rule_changes().items():
            if alarm not in self.points:
                continue
            try:  # a change stored by an earlier version without these checks
                clean = rule_changes.validate(self.points[alarm], changes, self.points)
            except NotAllowed as exc:
                log.error("stored rule change of %s ignored: %s", alarm, exc)
                continue
            self.points[alarm] = self.points[alarm].with_changes(**clean)
        saved = journal.load_statuses()
        self.status = {i: saved.get(i, AlarmStatus(i)) for i in self.points}
        self._timers = {i: _Timer() for i in self.points}
        history = {
            t for p in self.points.values() if p.kind in ("rate", "supply") for t in p.inputs
        }
        self.view = _View(history)
        self._by_tag: dict[str, list[str]] = {}
        self._by_device: dict[str, list[str]] = {}
        self._dependents: dict[str, list[str]] = {}
        for p in self.points.values():
            for t in p.inputs:
                self._by_tag.setdefault(t, []).append(p.id)
            if p.kind == "comm" and p.device:
                self._by_device.setdefault(p.device, []).append(p.id)
            for s in p.suppressed_by:
                self._dependents.setdefault(s, []).append(p.id)
        self._rank = {i: _ORDER[p.kind] for i, p in self.points.items()}
        self._plans: dict[tuple[str, ...], _BatchPlan] = {}
        self._bad_standing = {
            i
            for i, s in self.status.items()
            if self.points[i].kind == "bad_signal" and (s.active or not s.acked)
        }
        self._internal: dict[str, Condition] = {}
        self.listeners: list[AlarmListener] = []
        self.evaluations = 0
        self.events = 0

    # -- samples in ------------------------------------------------------------------
    def _plan(self, tags: tuple[str, ...]) -> _BatchPlan:
        plan = self._plans.get(tags)
        if plan is None:
            watched, ids = [], {}
            for k, tag in enumerate(tags):
                rule_ids = [
                    i for i in self._by_tag.get(tag, ()) if self.points[i].kind != "bad_signal"
                ]
                if rule_ids:
                    watched.append(k)
                    ids.update(dict.fromkeys(rule_ids))
            bad = tuple(f"BAD.{t}" if f"BAD.{t}" in self.points else None for t in tags)
            plan = _BatchPlan(tuple(watched), tuple(sorted(ids, key=self._rank.__getitem__)), bad)
            if len(self._plans) >= _PLAN_CACHE:  # devices reporting by exception vary subsets
                self._plans.clear()
            self._plans[tags] = plan
        return plan

    def accept(self, batch: SampleBatch) -> None:
        self._owned()
        plan = self._plan(batch.tags)
        # Signal alarms only where a value is bad or its alarm stands: a good value would
        # leave a normal signal alarm as it is.
        signal: list[int] = np.flatnonzero(_BAD_LEVEL[batch.quality]).tolist()
        signal += [
            k for k, i in enumerate(plan.bad_ids) if i is not None and i in self._bad_standing
        ]
        self.view.update(batch, dict.fromkeys((*plan.watched, *signal)))
        ids = list(self._by_device.get(batch.device, ()))
        ids += [i for k in dict.fromkeys(signal) if (i := plan.bad_ids[k]) is not None]
        ids += plan.point_ids
        changed: list[str] = []
        for i in ids:
            if self._evaluate(i, batch.ts_ms):
                changed.append(i)
        self._propagate_suppression(changed, batch.ts_ms)

    def _evaluate(self, alarm: str, now_ms: int) -> bool:
        point, status, timer = self.points[alarm], self.status[alarm], self._timers[alarm]
        self.evaluations += 1
        cond = (
            self._internal.get(alarm, Condition(False))
            if point.kind == "internal"
            else evaluate(point, self.view, status.active, now_ms, timer.memo)
        )
        if cond.active is None or cond.active == status.active:
            timer.on_since = timer.off_since = None  # unknown holds the state; no pending change
            if cond.active is not None and cond.active:
                status.value = cond.value
            return False
        if cond.active:
            timer.off_since = None
            timer.on_since = now_ms if timer.on_since is None else timer.on_since
            if now_ms - timer.on_since < point.on_delay_s * 1000:
                return False
        else:
            timer.on_since = None
            timer.off_since = now_ms if timer.off_since is None else timer.off_since
            if now_ms - timer.off_since < point.off_delay_s * 1000:
                return False
        timer.on_since = timer.off_since = None
        if cond.active:
            self._describe(point, status, cond)
        event = status.condition(cond.active, point.latch, now_ms)
        if point.kind == "bad_signal":
            if cond.active:
                self._bad_standing.add(alarm)
            else:
                self._bad_standing.discard(alarm)
        if event:
            self._emit(point, status, event, now_ms)
        return True

    def _describe(self, point: AlarmPoint, status: AlarmStatus, cond: Condition) -> None:
        status.value, status.cause = cond.value, cond.cause
        status.text_zh = render(point.message.zh, cond.value, point.limit, cond.cause, "zh")
        status.text_en = render(point.message.en, cond.value, point.limit, cond.cause, "en")

    def _propagate_suppression(self, changed: list[str], now_ms: int) -> None:
        seen: set[str] = set()
        queue = list(changed)
        while queue:
            for dep in self._dependents.get(queue.pop(), ()):
                if dep in seen:
                    continue
                seen.add(dep)
                point = self.points[dep]
                on = any(
                    self.status[s].active or self.status[s].latched for s in point.suppressed_by
                )
                for event in self.status[dep].suppress(on, now_ms):
                    self._emit(point, self.status[dep], event, now_ms)
                queue.append(dep)

    def set_internal(self, alarm: str, active: bool, now_ms: int, detail: str = "") -> None:
        """Conditions of the service itself (historian link, spool), with the usual delays."""
        self._owned()
        if alarm not in self.points:
            return
        self._internal[alarm] = Condition(active, None, detail)
        if self._evaluate(alarm, now_ms):
            self._propagate_suppression([alarm], now_ms)

    # -- time ------------------------------------------------------------------------
    def tick(self, now_ms: int) -> None:
        self._owned()
        for i, st in self.status.items():
            if st.shelved_until_ms is not None and st.shelved_until_ms <= now_ms:
                for event in st.unshelve(now_ms):
                    self._emit(self.points[i], st, event, now_ms, comment="shelve expired")

    # -- operator actions (permission checks are the caller's) -----------------------
    def _get(self, alarm: str) -> tuple[AlarmPoint, AlarmStatus]:
        if alarm not in self.points:
            raise KeyError(alarm)
        return self.points[alarm], self.status[alarm]

    def ack(self, alarm: str, user: str, comment: str | None, now_ms: int) -> None:
        self._owned()
        point, st = self._get(alarm)
        self._emit(point, st, st.ack(user, now_ms), now_ms, user, comment)

    def reset(self, alarm: str, user: str, comment: str | None, now_ms: int) -> None:
        self._owned()
        point, st = self._get(alarm)
        self._emit(point, st, st.reset(now_ms), now_ms, user, comment)
        self._propagate_suppression([alarm], now_ms)

    def shelve(
        self,
        alarm: str,
        user: str,
        reason: str,
        until_ms: int | None,
        now_ms: int,
        oneshot: bool = False,
    ) -> None:
        self._owned()
        point, st = self._get(alarm)
        event = st.shelve(user, reason, until_ms, now_ms, oneshot)
        self._emit(point, st, event, now_ms, user, reason)

    def unshelve(self, alarm: str, user: str, now_ms: int) -> None:
        self._owned()
        point, st = self._get(alarm)
        for event in st.unshelve(now_ms):
            self._emit(point, st, event, now_ms, user)

    def out_of_service(self, alarm: str, on: bool, user: str, reason: str, now_ms: int) -> None:
        self._owned()
        point, st = self._get(alarm)
        for event in st.set_out_of_service(on, user, reason, now_ms):
            self._emit(point, st, event, now_ms, user, reason)
        self._propagate_suppression([alarm], now_ms)

    def change_rule(
        self, alarm: str, changes: dict[str, Any], user: str, reason: str, now_ms: int
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Management of change: effective at once, persisted; returns (old, new)."""
        self._owned()
        point, _ = self._get(alarm)
        clean = rule_changes.validate(point, changes, self.points)
        old = {k: getattr(point, k) for k in clean}
        self.points[alarm] = point.with_changes(**clean)
        self.journal.save_rule_change(alarm, clean, now_ms, user, reason)
        return old, clean

    # -- out -------------------------------------------------------------------------
    def _emit(
        self,
        point: AlarmPoint,
        st: AlarmStatus,
        event: str,
        now_ms: int,
        user: str | None = None,
        comment: str | None = None,
    ) -> None:
        self.events += 1
        seq = self.journal.record(st, event, point.priority, point.tag, now_ms, user, comment)
        message = self.describe(st)
        message.update(event=event, seq=seq, ts_ms=now_ms, user=user, comment=comment)
        for listener in list(self.listeners):
            try:
                listener(message)
            except Exception:
                log.exception("alarm listener failed")

    def describe(self, st: AlarmStatus) -> dict[str, Any]:
        p = self.points[st.id]
        return {
            "id": st.id,
            "state": st.state.value,
            "priority": p.priority,
            "tag": p.tag,
            "device": p.device,
            "kind": p.kind,
            "active": st.active,
            "acked": st.acked,
            "value": st.value,
            "cause": st.cause,
            "text": st.text_zh if self.language == "zh" else st.text_en,
            "text_zh": st.text_zh,
            "text_en": st.text_en,
            "raised_ms": st.raised_ms,
            "cleared_ms": st.cleared_ms,
            "acked_ms": st.acked_ms,
            "acked_by": st.acked_by,
            "shelved_until_ms": st.shelved_until_ms,
            "shelved_oneshot": st.shelved_oneshot,
            "shelved_by": st.shelved_by,
            "shelve_reason": st.shelve_reason,
            "out_of_service_by": st.oos_by,
            "out_of_service_reason": st.oos_reason,
        }

    def current(self, include_normal: bool = False) -> list[dict[str, Any]]:
        rows = [
            self.describe(s)
            for s in self.status.values()
            if include_normal or s.state is not State.NORMAL
        ]
        return sorted(rows, key=lambda r: (r["priority"], -(r["raised_ms"] or 0)))

    async def run_timers(
        self, clock_now_ms: Callable[[], int], sleep: Callable[[float], Any]
    ) -> None:
        while True:
            self.tick(clock_now_ms())
            await sleep(1.0)
