"""When inspection rounds fall due, and what state each is in: pure, from the config, the
calendar and the round's record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from station.calendar import Period
from station.config.duty import RoundConfig
from station.duty.store import RoundRecord

SCHEDULED, DUE, OVERDUE, IN_PROGRESS, DONE, APPROVED, MISSED = (
    "scheduled", "due", "overdue", "in_progress", "done", "approved", "missed"
)  # fmt: skip


def due_times_ms(round_cfg: RoundConfig, shift: Period) -> list[int]:
    """Every `every_h` from the shift's start, while inside the shift."""
    out, step = [], timedelta(hours=round_cfg.every_h)
    t = shift.start
    while t < shift.end:
        out.append(int(t.timestamp() * 1000))
        t += step
    return out


@dataclass(frozen=True)
class RoundState:
    state: str
    due_ms: int
    overdue_ms: int
    """When it becomes overdue (due + grace)."""
    until_ms: int
    """When the next one falls due: undone by then, it is missed."""


def round_state(
    round_cfg: RoundConfig, record: RoundRecord, next_due_ms: int, now_ms: int
) -> RoundState:
    overdue = record.due_ms + int(round_cfg.grace_min * 60_000)
    if record.approved_ms is not None:
        state = APPROVED
    elif record.done_ms is not None:
        state = DONE
    elif now_ms < record.due_ms:
        state = SCHEDULED
    elif now_ms >= next_due_ms:
        state = MISSED  # the next one fell due with this one undone
    elif record.started_ms is not None:
        state = IN_PROGRESS if now_ms < overdue else OVERDUE
    else:
        state = DUE if now_ms < overdue else OVERDUE
    return RoundState(state, record.due_ms, overdue, next_due_ms)


def reading_flagged(reading: float | None, live: float | None, tolerance: float | None) -> bool:
    """A gauge read on the round that disagrees with its transmitter by more than the bound
    (or a transmitter with no value to compare with while the gauge shows one)."""
    if reading is None or tolerance is None:
        return False
    if live is None:
        return True
    return abs(reading - live) > tolerance
