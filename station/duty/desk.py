"""The duty desk: the rules of the duties applied to their records, for the API and the
runtime. Who may act is the API's role check; what the act needs (the outgoing crew signs,
the incoming accepts, a round is complete before it is done) is checked here.

Methods that read the live cache or the alarm engine run on the core's loop (the API calls
them through `StationRuntime.call`); the others only touch the records store."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from station.alarms.engine import AlarmEngine
from station.alarms.lifecycle import NotAllowed
from station.calendar import Period, StationCalendar
from station.config.duty import DutyConfig, RoundConfig
from station.core_door import CoreOwned
from station.duty.handover import NOTE_FIELDS, alarm_lists, draft_handover
from station.duty.roster import shift_crew
from station.duty.rounds import (
    MISSED,
    OVERDUE,
    RoundState,
    due_times_ms,
    reading_flagged,
    round_state,
)
from station.duty.store import (
    SYSTEM,
    DutyRecords,
    HandoverStep,
    Hazard,
    LogEntry,
    RoundRecord,
    RoundResult,
)
from station.live_cache import LiveCache

log = logging.getLogger(__name__)
MAX_WAITING = 10_000
LOGGED_EVENTS = {"raised", "acknowledged", "shelved", "unshelved", "out_of_service", "in_service"}


@dataclass(frozen=True)
class HandoverStatus:
    shift: str
    state: str
    """none, drafted, signed, accepted or refused."""
    outgoing: list[str]
    incoming: list[str]
    steps: list[HandoverStep]


class DutyDesk(CoreOwned):
    def __init__(
        self,
        config: DutyConfig,
        calendar: StationCalendar,
        records: DutyRecords,
        live: LiveCache,
        alarms: AlarmEngine,
        readings: list[str],
        totals: list[str],
    ) -> None:
        self.config = config
        self.calendar = calendar
        self.records = records
        self.live = live
        self.alarms = alarms
        self.readings = readings
        self.totals = totals
        self.rounds = {r.id: r for r in config.rounds}
        self._auto: list[tuple[int, str, str, str | None, float | None]] = []
        """(event time, category, text, tag, value) of the entries to write."""
        self.last_error: str | None = None
        self._checked_ms = 0
        self._started_ms: int | None = None
        """The first tick: a round that was overdue already then (due while the service was
        not running, as at a first start in the middle of a shift) is not alarmed."""

    # -- who is on duty ----------------------------------------------------------------
    def _at(self, ms: int) -> datetime:
        return datetime.fromtimestamp(ms / 1000, tz=UTC)

    def shift_at(self, ms: int) -> Period:
        return self.calendar.shift_of(self._at(ms))

    def shift_id(self, shift: Period) -> str:
        return self.calendar.shift_id(shift)

    def crew(self, shift: Period) -> list[str]:
        return shift_crew(self.records, self.calendar, self.config, shift)

    def previous(self, shift: Period) -> Period:
        return self.shift_at(shift.start_ms - 1)

    def on_duty(self, now_ms: int) -> list[str]:
        """The shift's crew, and the last one's while its handover is not accepted: the
        outgoing stays on duty until someone has taken over. (A shift end the service never
        saw, with no handover at all, holds no one.)"""
        shift = self.shift_at(now_ms)
        people = self.crew(shift)
        before = self.previous(shift)
        if self.handover(before).state not in ("accepted", "none"):
            people = [*self.crew(before), *(p for p in people if p not in self.crew(before))]
        return people

    # -- duty log ----------------------------------------------------------------------
    def write(
        self,
        author: str,
        now_ms: int,
        event_ms: int,
        category: str,
        text: str,
        tag: str | None = None,
        value: float | None = None,
        corrects: int | None = None,
    ) -> LogEntry:
        self._owned()
        return self.records.write_log(
            event_ms, now_ms, author, self.on_duty(now_ms), category, text, tag, value, corrects
        )

    def on_alarm_event(self, message: dict[str, Any]) -> None:
        """Alarm listener (core loop): the events an operator would have written down, kept to
        be written with the next tick (one transaction a second, also in a flood)."""
        self._owned()
        if message["event"] not in LOGGED_EVENTS:
            return
        who = f" ({message['user']})" if message.get("user") else ""
        comment = f": {message['comment']}" if message.get("comment") else ""
        text = f"{message['id']} {message['event']}{who} — {message['text']}{comment}"
        self._auto.append(
            (int(message["ts_ms"]), "alarm", text, message.get("tag"), message.get("value"))
        )

    def note(self, now_ms: int, text: str, category: str = "system") -> None:
        """An entry the service writes about itself (a report signed, a handover step)."""
        self._owned()
        self._auto.append((now_ms, category, f"[{category}] {text}", None, None))

    def flush(self, now_ms: int) -> None:
        """Writes the automatic entries; on a failing store (a full disk) they wait, at most
        MAX_WAITING of them (the alarm journal keeps the alarms themselves)."""
        self._owned()
        if not self._auto:
            return
        try:
            on_duty = self.on_duty(now_ms)
            while self._auto:
                ts, category, text, tag, value = self._auto[0]
                self.records.write_log(ts, now_ms, SYSTEM, on_duty, category, text, tag, value)
                self._auto.pop(0)
        except sqlite3.Error as exc:
            if self.last_error is None:
                log.error("duty log write failed, %d entries wait: %s", len(self._auto), exc)
            self.last_error = str(exc)
            del self._auto[:-MAX_WAITING]
            return
        self.last_error = None

    # -- standing orders ---------------------------------------------------------------
    def order_acks_due(self, shift: Period) -> list[int]:
        return [
            o.id
            for o in self.records.orders(at_ms=shift.start_ms)
            if self.shift_id(shift) not in o.acks
        ]

    # -- handover ----------------------------------------------------------------------
    def handover(self, shift: Period) -> HandoverStatus:
        """The handover at the end of `shift` (named by the outgoing shift)."""
        steps = self.records.steps(self.shift_id(shift))
        state = steps[-1].step if steps else "none"
        nxt = self.shift_at(shift.end_ms)
        return HandoverStatus(self.shift_id(shift), state, self.crew(shift), self.crew(nxt), steps)

    def draft(self, shift: Period, now_ms: int, delivered: list[dict[str, Any]]) -> dict[str, Any]:
        """Core loop: the draft as of now (the handover instant when called at shift end)."""
        start, end = shift.start_ms, shift.end_ms
        values = []
        for tag in self.readings + self.totals:
            v = self.live.get(tag, now_ms / 1000)
            values.append(
                {
                    "tag": tag,
                    "value": None if v is None else v.value,
                    "quality": None if v is None else v.quality.level.name.lower(),
                    "ts_ms": None if v is None else v.ts_ms,
                }
            )
        n = len(self.readings)
        raised = [
            {
                "id": e.alarm,
                "ts_ms": e.ts_ms,
                "priority": e.priority,
                "tag": e.tag,
                "value": e.value,
                "text": e.text_zh if self.alarms.language == "zh" else e.text_en,
            }
            for e in self.alarms.journal.events(start, end, event="raised", limit=10_000)
        ]
        status = self.handover(shift)
        last = self.handover(self.previous(shift)).steps
        last_notes = next((s.notes for s in reversed(last) if s.step == "signed"), None)
        draft = draft_handover(
            shift=status.shift,
            at_ms=now_ms,
            outgoing=status.outgoing,
            incoming=status.incoming,
            readings=values[:n],
            totals=values[n:],
            delivered=delivered,
            alarms=alarm_lists(self.alarms.current(), raised),
            hazards=self.records.hazards(open_at_ms=now_ms),
            rounds=self._rounds_summary(shift, now_ms),
            orders=self.records.orders(at_ms=min(now_ms, end - 1)),
            log=self.records.log(start, end, limit=10_000),
            last_notes=last_notes,
        )
        return draft.to_dict()

    def keep_draft(self, shift: Period, now_ms: int, draft: dict[str, Any]) -> HandoverStep:
        self._owned()
        step = self.records.add_step(self.shift_id(shift), "drafted", SYSTEM, now_ms, draft=draft)
        self.note(now_ms, f"handover of {self.shift_id(shift)} drafted", "handover")
        return step

    def sign(
        self, shift: Period, user: str, now_ms: int, notes: dict[str, str], draft: dict[str, Any]
    ) -> HandoverStep:
        self._owned()
        status = self.handover(shift)
        if status.outgoing and user not in status.outgoing:
            raise NotAllowed(f"{user} is not on the outgoing shift {status.shift}")
        if status.state in ("signed", "accepted"):
            raise NotAllowed(f"the handover of {status.shift} is {status.state} already")
        if now_ms < shift.end_ms - 3_600_000:
            raise NotAllowed(
                f"the shift {status.shift} ends at {self._at(shift.end_ms).isoformat()}"
            )
        unknown = sorted(set(notes) - set(NOTE_FIELDS))
        if unknown:
            raise ValueError(f"unknown handover notes: {', '.join(unknown)}")
        step = self.records.add_step(status.shift, "signed", user, now_ms, notes=notes, draft=draft)
        self.note(now_ms, f"handover of {status.shift} signed by {user}", "handover")
        return step

    def accept(self, shift: Period, user: str, now_ms: int) -> HandoverStep:
        self._owned()
        status = self._incoming_act(shift, user)
        nxt = self.shift_at(shift.end_ms)
        for order_id in self.order_acks_due(nxt):
            self.records.ack_order(order_id, self.shift_id(nxt), user, now_ms)
        step = self.records.add_step(status.shift, "accepted", user, now_ms)
        self.note(now_ms, f"handover of {status.shift} accepted by {user}", "handover")
        return step

    def refuse(self, shift: Period, user: str, now_ms: int, reason: str) -> HandoverStep:
        self._owned()
        status = self._incoming_act(shift, user)
        step = self.records.add_step(status.shift, "refused", user, now_ms, reason=reason)
        self.note(now_ms, f"handover of {status.shift} refused by {user}: {reason}", "handover")
        return step

    def _incoming_act(self, shift: Period, user: str) -> HandoverStatus:
        status = self.handover(shift)
        if status.incoming and user not in status.incoming:
            raise NotAllowed(f"{user} is not on the incoming shift")
        if status.state != "signed":
            raise NotAllowed(f"the handover of {status.shift} is {status.state}, not signed")
        return status

    # -- rounds ------------------------------------------------------------------------
    def round_slots(
        self, shift: Period, now_ms: int
    ) -> list[tuple[RoundConfig, RoundRecord, RoundState]]:
        """The shift's rounds as scheduled, each with its record. A slot gets its record when
        it falls due in the shift under way (the tick makes it within five seconds, a read of
        the current shift at once); a slot of another shift is only read, never made, so a
        look at next week or at last year writes nothing."""
        have = {(r.round, r.due_ms): r for r in self.records.rounds(shift.start_ms, shift.end_ms)}
        current = shift.start_ms <= now_ms < shift.end_ms
        out = []
        for cfg in self.rounds.values():
            times = due_times_ms(cfg, shift)
            for i, due in enumerate(times):
                nxt = times[i + 1] if i + 1 < len(times) else shift.end_ms
                record = have.get((cfg.id, due))
                if record is None and current and due <= now_ms:
                    record = self.records.round_slot(cfg.id, due)
                if record is None:
                    record = RoundRecord.not_made(cfg.id, due)
                out.append((cfg, record, round_state(cfg, record, nxt, now_ms)))
        return out

    def _rounds_summary(self, shift: Period, now_ms: int) -> dict[str, list[dict[str, Any]]]:
        done, missed = [], []
        for cfg, record, state in self.round_slots(shift, now_ms):
            brief = {
                "round": cfg.id,
                "due_ms": record.due_ms,
                "state": state.state,
                "by": record.done_by,
            }
            if record.done_ms is not None:
                done.append(brief)
            elif state.state in (MISSED, OVERDUE) or now_ms >= shift.end_ms:
                missed.append(brief)
        return {"done": done, "missed": missed}

    def _round(self, record_id: int) -> tuple[RoundConfig, RoundRecord]:
        record = self.records.round_by_id(record_id)
        if record is None or record.round not in self.rounds:
            raise KeyError(record_id)
        return self.rounds[record.round], record

    def start_round(self, record_id: int, user: str, now_ms: int) -> RoundRecord:
        self._owned()
        cfg, record = self._round(record_id)
        if now_ms < record.due_ms:
            raise NotAllowed(
                f"round {cfg.id} is not due before {self._at(record.due_ms).isoformat()}"
            )
        self.records.mark_round(record_id, "started", user, now_ms)
        return self._round(record_id)[1]

    def record_item(
        self,
        record_id: int,
        item: str,
        ok: bool,
        reading: float | None,
        note: str | None,
        user: str,
        now_ms: int,
    ) -> tuple[RoundResult, Hazard | None]:
        """Core loop (compares a reading with the live value of its tag). A not-OK item opens
        a hazard."""
        self._owned()
        cfg, record = self._round(record_id)
        if record.started_ms is None:
            raise NotAllowed(f"round {cfg.id} is not started")
        if record.done_ms is not None:
            raise NotAllowed(f"round {cfg.id} is done")
        spec = next((i for i in cfg.items if i.id == item), None)
        if spec is None:
            raise KeyError(item)
        live = None
        if spec.tag is not None:
            v = self.live.get(spec.tag, now_ms / 1000)
            live = None if v is None or v.quality.level != 0 else v.value
        flagged = reading_flagged(reading, live, spec.tolerance)
        result = RoundResult(
            item=item,
            ok=ok,
            reading=reading,
            live=live,
            flagged=flagged,
            note=note,
            user=user,
            ts_ms=now_ms,
        )
        if not self.records.add_result(record_id, result):
            raise NotAllowed(f"item {item} of this round has its result already")
        hazard = None
        if not ok or flagged:
            why = "not OK" if not ok else f"gauge {reading} vs transmitter {live}"
            hazard = self.records.open_hazard(
                now_ms,
                user,
                f"{cfg.name_zh} / {spec.name_zh} ({spec.name_en}): {why}"
                + (f" — {note}" if note else ""),
                "medium",
                user,
                now_ms + 7 * 86_400_000,
                f"round:{record_id}:{item}",
            )
            self.note(now_ms, f"hazard {hazard.id} opened from round {cfg.id}", "hazard")
        return result, hazard

    def complete_round(self, record_id: int, user: str, now_ms: int) -> RoundRecord:
        self._owned()
        cfg, record = self._round(record_id)
        if record.started_ms is None:
            raise NotAllowed(f"round {cfg.id} is not started")
        have = {r.item for r in self.records.results(record_id)}
        missing = [i.id for i in cfg.items if i.id not in have]
        if missing:
            raise NotAllowed(f"items without a result: {', '.join(missing)}")
        self.records.mark_round(record_id, "done", user, now_ms)
        return self._round(record_id)[1]

    def approve_round(self, record_id: int, user: str, now_ms: int) -> RoundRecord:
        self._owned()
        cfg, record = self._round(record_id)
        if record.done_ms is None:
            raise NotAllowed(f"round {cfg.id} is not done")
        self.records.mark_round(record_id, "approved", user, now_ms)
        return self._round(record_id)[1]

    # -- time (core loop) --------------------------------------------------------------
    def tick(self, now_ms: int, set_alarm: Callable[[str, bool, int, str], None]) -> None:
        """The overdue-round alarms (every 5 s), and the automatic log entries."""
        self._owned()
        self.flush(now_ms)
        if self._started_ms is None:
            self._started_ms = now_ms
        if now_ms - self._checked_ms < 5000 or not self.rounds:
            return
        self._checked_ms = now_ms
        shift = self.shift_at(now_ms)
        late: dict[str, str] = {}
        try:
            slots = self.round_slots(shift, now_ms)
        except sqlite3.Error:
            return  # the store cannot be read or written: judged again in five seconds
        for cfg, record, state in slots:
            overdue_since = record.due_ms + int(cfg.grace_min * 60_000)
            if (
                state.state == OVERDUE
                and record.done_ms is None
                and (overdue_since >= self._started_ms)
            ):
                late[cfg.id] = (
                    self._at(record.due_ms).astimezone(self.calendar.tz).strftime("%H:%M")
                )
        for round_id in self.rounds:
            set_alarm(f"ROUND-OVERDUE.{round_id}", round_id in late, now_ms, late.get(round_id, ""))
