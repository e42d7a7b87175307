"""The duty workflows' rules, once, for every way in (API, page, CLI, jobs): who is on duty, the
roster, the duty log, standing orders, the handover, inspection rounds and hazards.

What changes the desk's state goes through the core's door; the rest reads the records. A
refusal is raised as `NotAllowed` (not possible in the record's state), `KeyError` (no such
record) or `ValueError` (a request that makes no sense: the API answers it 400); the caller
audits it. Nothing here knows HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from station.alarms.lifecycle import NotAllowed
from station.calendar import Period
from station.config.duty import RoundConfig
from station.core_door import CoreDoor
from station.duty.desk import DutyDesk, HandoverStatus
from station.duty.rounds import RoundState
from station.duty.scheduled import HandoverDrafting
from station.duty.store import (
    Hazard,
    LogEntry,
    RoundRecord,
    RoundResult,
    StandingOrder,
)

SIGN_FROM_S = 3600
"""A handover is signed from an hour before its shift ends …"""
SIGN_WITHIN_DAYS = 30
"""… and within 30 days after."""
FUTURE_SLACK_MS = 60_000
"""A log entry records what happened: an event time at most a minute ahead (clock skew)."""


@dataclass(frozen=True, kw_only=True)
class OnDuty:
    shift: Period
    shift_id: str
    on_duty: list[str]
    previous_shift_id: str
    previous_state: str


@dataclass(frozen=True, kw_only=True)
class Handover:
    status: HandoverStatus
    draft: dict[str, Any]
    """The last draft kept, or one as of now."""


@dataclass(frozen=True, kw_only=True)
class RoundSlot:
    config: RoundConfig
    record: RoundRecord
    state: RoundState
    results: list[RoundResult]


class DutyService:
    def __init__(self, *, desk: DutyDesk, door: CoreDoor, drafting: HandoverDrafting) -> None:
        self.desk = desk
        self.records = desk.records
        self.calendar = desk.calendar
        self.door = door
        self.drafting = drafting

    # -- shifts, roster ------------------------------------------------------------------
    def shift(self, text: str) -> Period:
        """The shift that starts at `text` (local `YYYY-MM-DDTHH:MM`); ValueError if none."""
        try:
            return self.calendar.shift_by_id(text)
        except (ValueError, OverflowError) as exc:
            raise ValueError(f"no shift starts at {text}: {exc}") from None

    def on_duty(self, now_ms: int) -> OnDuty:
        desk = self.desk
        shift = desk.shift_at(now_ms)
        before = desk.previous(shift)
        return OnDuty(
            shift=shift,
            shift_id=desk.shift_id(shift),
            on_duty=desk.on_duty(now_ms),
            previous_shift_id=desk.shift_id(before),
            previous_state=desk.handover(before).state,
        )

    def crew(self, shift: Period) -> list[str]:
        return self.desk.crew(shift)

    def set_roster(
        self, shift: Period, members: list[str], user: str, now_ms: int
    ) -> tuple[list[str], list[str]]:
        """(the crew before, the crew now)."""
        old = self.desk.crew(shift)
        self.records.set_roster(self.desk.shift_id(shift), members, user, now_ms)
        return old, self.desk.crew(shift)

    # -- duty log ------------------------------------------------------------------------
    def log(
        self,
        *,
        start_ms: int | None,
        end_ms: int | None,
        text: str | None,
        category: str | None,
        author: str | None,
        limit: int,
        offset: int,
        newest_first: bool = False,
    ) -> list[LogEntry]:
        return self.records.log(
            start_ms, end_ms, text, category, author, limit, offset, newest_first
        )

    async def write(
        self,
        *,
        user: str,
        now_ms: int,
        event_ms: int | None,
        category: str,
        text: str,
        tag: str | None = None,
        value: float | None = None,
        corrects: int | None = None,
    ) -> LogEntry:
        """Append-only: a correction is a new entry that names the one it corrects."""
        event = now_ms if event_ms is None else event_ms
        if event > now_ms + FUTURE_SLACK_MS:
            raise ValueError("an entry records what happened, not what is to come")
        return await self.door.call(
            self.desk.write, user, now_ms, event, category, text, tag, value, corrects
        )

    # -- standing orders -----------------------------------------------------------------
    def orders(self, at_ms: int | None) -> list[StandingOrder]:
        return self.records.orders(at_ms=at_ms)

    def issue_order(
        self, *, text: str, user: str, now_ms: int, start_ms: int, end_ms: int
    ) -> StandingOrder:
        """Each shift acknowledges it at its handover, until it ends."""
        if end_ms <= start_ms:
            raise ValueError("an order ends after it starts")
        order_id = self.records.issue_order(text, user, now_ms, start_ms, end_ms)
        return next(o for o in self.records.orders() if o.id == order_id)

    # -- handover ------------------------------------------------------------------------
    async def handover(self, shift: Period, now_ms: int) -> Handover:
        """The handover at the end of `shift`: its steps, and its draft."""
        if shift.start_ms > now_ms:
            raise ValueError("that shift has not begun: no handover yet")
        status = self.desk.handover(shift)
        kept = next((s.draft for s in reversed(status.steps) if s.draft is not None), None)
        draft = kept if kept is not None else await self.drafting.draft(shift, wait_s=0)
        return Handover(status=status, draft=draft)

    async def sign(self, shift: Period, user: str, now_ms: int, notes: dict[str, str]) -> None:
        """The outgoing operator's notes and signature, over the draft as of now."""
        early = shift.end_ms - SIGN_FROM_S * 1000 > now_ms
        late = shift.end_ms < now_ms - SIGN_WITHIN_DAYS * 86_400_000
        if early or late:
            raise NotAllowed(
                f"the handover of {self.desk.shift_id(shift)} is signed from an hour before "
                f"its end, within {SIGN_WITHIN_DAYS} days"
            )
        draft = await self.drafting.draft(shift)
        await self.door.call(self.desk.sign, shift, user, now_ms, notes, draft)

    async def accept(self, shift: Period, user: str, now_ms: int) -> None:
        """The incoming operator takes over (and acknowledges the standing orders in force)."""
        await self.door.call(self.desk.accept, shift, user, now_ms)

    async def refuse(self, shift: Period, user: str, now_ms: int, reason: str) -> None:
        """The incoming operator refuses, with the reason: the outgoing stays on duty."""
        await self.door.call(self.desk.refuse, shift, user, now_ms, reason)

    # -- rounds --------------------------------------------------------------------------
    def rounds(self, shift: Period, now_ms: int) -> list[RoundSlot]:
        return [
            RoundSlot(
                config=cfg,
                record=record,
                state=state,
                results=[] if record.id is None else self.records.results(record.id),
            )
            for cfg, record, state in self.desk.round_slots(shift, now_ms)
        ]

    def round_of(self, record: RoundRecord, now_ms: int) -> RoundSlot:
        """The slot of one round record, as the list of its shift shows it."""
        shift = self.desk.shift_at(record.due_ms)
        return next(s for s in self.rounds(shift, now_ms) if s.record.id == record.id)

    async def start_round(self, record_id: int, user: str, now_ms: int) -> RoundRecord:
        return await self.door.call(self.desk.start_round, record_id, user, now_ms)

    async def complete_round(self, record_id: int, user: str, now_ms: int) -> RoundRecord:
        return await self.door.call(self.desk.complete_round, record_id, user, now_ms)

    async def approve_round(self, record_id: int, user: str, now_ms: int) -> RoundRecord:
        return await self.door.call(self.desk.approve_round, record_id, user, now_ms)

    async def record_item(
        self,
        *,
        record_id: int,
        item: str,
        ok: bool,
        reading: float | None,
        note: str | None,
        user: str,
        now_ms: int,
    ) -> tuple[RoundResult, Hazard | None]:
        """One item's result; a reading is compared with its transmitter's live value, and a
        not-OK item (or a disagreeing gauge) opens a hazard."""
        return await self.door.call(
            self.desk.record_item, record_id, item, ok, reading, note, user, now_ms
        )

    # -- hazards -------------------------------------------------------------------------
    def hazards(self, *, open_at_ms: int | None, limit: int, offset: int) -> list[Hazard]:
        return self.records.hazards(open_at_ms, limit, offset)

    def open_hazard(
        self, *, user: str, now_ms: int, text: str, severity: str, owner: str, deadline_ms: int
    ) -> Hazard:
        return self.records.open_hazard(now_ms, user, text, severity, owner, deadline_ms, "entered")

    def close_hazard(self, hazard_id: int, user: str, now_ms: int, action: str) -> Hazard:
        """Closed by the station master, with what was done."""
        if self.records.hazard(hazard_id) is None:
            raise KeyError(hazard_id)
        if not self.records.close_hazard(hazard_id, user, now_ms, action):
            raise NotAllowed(f"hazard {hazard_id} is closed already")
        closed = self.records.hazard(hazard_id)
        assert closed is not None
        return closed

    def local(self, ms: int) -> datetime:
        return datetime.fromtimestamp(ms / 1000, self.calendar.tz)
