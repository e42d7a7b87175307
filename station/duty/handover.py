"""The handover draft: what the service itself knows at the handover instant, gathered for the
outgoing operator to complete and the incoming to accept or refuse ("hand over seven, refuse
five"). Pure: every input is passed in, so a draft is tested without a station."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from station.duty.store import Hazard, LogEntry, StandingOrder

NOTE_FIELDS = (
    "operating_mode",
    "equipment",
    "dispatch_contacts",
    "housekeeping",
    "problems",
    "instructions",
)
"""What the outgoing operator writes; `problems` and `instructions` carry into the next
handover until someone writes them again."""
STATES = ("drafted", "signed", "accepted", "refused")


@dataclass(frozen=True)
class HandoverDraft:
    shift: str
    at_ms: int
    outgoing: list[str]
    incoming: list[str]
    readings: list[dict[str, Any]]
    """Key values at the handover instant: tag, name, unit, value, quality."""
    totals: list[dict[str, Any]]
    """Totaliser readings at the handover instant."""
    delivered: list[dict[str, Any]]
    """Gas delivered in the shift per meter run (counter increments, rollover-safe)."""
    alarms: dict[str, list[dict[str, Any]]]
    """raised (in the shift), standing, unacknowledged, shelved, out_of_service."""
    hazards: list[dict[str, Any]]
    rounds: dict[str, list[dict[str, Any]]]
    """done and missed in the shift."""
    orders: list[dict[str, Any]]
    log: list[dict[str, Any]]
    carried: dict[str, str] = field(default_factory=dict)
    """Problems and instructions the last handover left open."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def alarm_lists(
    current: list[dict[str, Any]], raised_in_shift: list[dict[str, Any]]
) -> dict[str, list[dict[str, Any]]]:
    def brief(a: dict[str, Any]) -> dict[str, Any]:
        keep = ("id", "state", "priority", "tag", "value", "text", "raised_ms", "acked_by")
        return {k: a.get(k) for k in keep}

    return {
        "raised": raised_in_shift,
        "standing": [brief(a) for a in current if a["active"]],
        "unacknowledged": [brief(a) for a in current if not a["acked"] and a["state"] != "normal"],
        "shelved": [brief(a) for a in current if a["state"] == "shelved"],
        "out_of_service": [brief(a) for a in current if a["state"] == "out_of_service"],
    }


def draft_handover(
    shift: str,
    at_ms: int,
    outgoing: list[str],
    incoming: list[str],
    readings: list[dict[str, Any]],
    totals: list[dict[str, Any]],
    delivered: list[dict[str, Any]],
    alarms: dict[str, list[dict[str, Any]]],
    hazards: list[Hazard],
    rounds: dict[str, list[dict[str, Any]]],
    orders: list[StandingOrder],
    log: list[LogEntry],
    last_notes: dict[str, str] | None,
) -> HandoverDraft:
    carried = {
        k: v for k, v in (last_notes or {}).items() if k in ("problems", "instructions") and v
    }
    return HandoverDraft(
        shift=shift,
        at_ms=at_ms,
        outgoing=outgoing,
        incoming=incoming,
        readings=readings,
        totals=totals,
        delivered=delivered,
        alarms=alarms,
        hazards=[
            {
                "id": h.id,
                "text": h.text,
                "severity": h.severity,
                "owner": h.owner,
                "deadline_ms": h.deadline_ms,
                "overdue": h.deadline_ms <= at_ms,
            }
            for h in hazards
        ],
        rounds=rounds,
        orders=[
            {"id": o.id, "text": o.text, "issued_by": o.issued_by, "end_ms": o.end_ms}
            for o in orders
        ],
        log=[
            {
                "id": e.id,
                "event_ms": e.event_ms,
                "author": e.author,
                "category": e.category,
                "text": e.text,
                "corrects": e.corrects,
            }
            for e in log
        ],
        carried=carried,
    )
