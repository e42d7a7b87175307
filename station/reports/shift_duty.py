"""The shift report's duty sections: the handover the shift took over and the one it handed
over (every step, a refusal with its reason), who was on duty, and the shift's duty log. Pure:
from the duty records, so the paper form's "handed over by / taken over by / operations and
instructions" lines are filled in from what was signed, never left blank to be written by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from station.duty.store import SYSTEM, HandoverStep, LogEntry

AUTOMATIC_ALARM = "alarm"
"""The category of the entries the service writes for alarm events: the report's alarm table
shows those alarms already, so the log section counts them rather than repeating them."""


@dataclass(frozen=True)
class HandoverLine:
    step: str
    """drafted, signed, accepted or refused"""
    user: str
    ts_ms: int
    reason: str | None
    notes: dict[str, str] | None
    """What the outgoing wrote when signing (operating mode, equipment, problems…)."""


@dataclass(frozen=True)
class ShiftHandover:
    shift: str
    """The outgoing shift of this handover."""
    state: str
    """none, drafted, signed, accepted or refused (its last step)."""
    signed_by: str | None
    accepted_by: str | None
    refusals: int
    steps: tuple[HandoverLine, ...]


@dataclass(frozen=True, kw_only=True)
class LogLine:
    id: int
    event_ms: int
    written_ms: int
    author: str
    category: str
    text: str
    tag: str | None
    value: float | None
    corrects: int | None


def shift_handover(shift: str, steps: Sequence[HandoverStep]) -> ShiftHandover:
    """A handover as its steps left it (the draft itself is in the duty records)."""
    lines = tuple(HandoverLine(s.step, s.user, s.ts_ms, s.reason, s.notes) for s in steps)
    signed = [s for s in lines if s.step == "signed"]
    accepted = [s for s in lines if s.step == "accepted"]
    return ShiftHandover(
        shift=shift,
        state=lines[-1].step if lines else "none",
        signed_by=signed[-1].user if signed else None,
        accepted_by=accepted[-1].user if accepted else None,
        refusals=sum(s.step == "refused" for s in lines),
        steps=lines,
    )


def shift_log(entries: Sequence[LogEntry]) -> tuple[tuple[LogLine, ...], int]:
    """The shift's log lines, and how many automatic alarm entries were left to the alarm
    table."""
    kept = tuple(
        LogLine(
            id=e.id,
            event_ms=e.event_ms,
            written_ms=e.written_ms,
            author=e.author,
            category=e.category,
            text=e.text,
            tag=e.tag,
            value=e.value,
            corrects=e.corrects,
        )
        for e in entries
        if not (e.category == AUTOMATIC_ALARM and e.author == SYSTEM)
    )
    return kept, len(entries) - len(kept)
