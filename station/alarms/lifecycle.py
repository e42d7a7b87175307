"""The ISA-18.2 / IEC 62682 alarm life cycle of one alarm.

The displayed state is derived from a few facts (condition, acknowledged, latched, shelved,
suppressed, out of service), never stored, so it cannot disagree with them. Each method
applies one transition and returns the journal event it makes (None: nothing changed).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class State(StrEnum):
    NORMAL = "normal"
    UNACK = "unacknowledged"
    ACKED = "acknowledged"
    RTN_UNACK = "rtn_unacknowledged"
    LATCHED = "latched"
    SHELVED = "shelved"
    SUPPRESSED = "suppressed"
    OUT_OF_SERVICE = "out_of_service"


class NotAllowed(Exception):
    """The transition does not apply in this state (a 409 at the API)."""


@dataclass
class AlarmStatus:
    id: str
    active: bool = False
    acked: bool = True
    latched: bool = False
    shelved_until_ms: int | None = None
    shelved_oneshot: bool = False
    shelved_by: str | None = None
    shelve_reason: str | None = None
    suppressed: bool = False
    out_of_service: bool = False
    oos_by: str | None = None
    oos_reason: str | None = None
    raised_ms: int | None = None
    cleared_ms: int | None = None
    acked_ms: int | None = None
    acked_by: str | None = None
    value: float | None = None
    text_zh: str = ""
    text_en: str = ""
    cause: str | None = None
    changed_ms: int = 0

    @property
    def shelved(self) -> bool:
        return self.shelved_oneshot or self.shelved_until_ms is not None

    @property
    def hidden(self) -> bool:
        return self.shelved or self.suppressed or self.out_of_service

    @property
    def state(self) -> State:
        if self.out_of_service:
            return State.OUT_OF_SERVICE
        if self.shelved:
            return State.SHELVED
        if self.suppressed:
            return State.SUPPRESSED
        if self.latched:
            return State.LATCHED
        if self.active:
            return State.ACKED if self.acked else State.UNACK
        return State.NORMAL if self.acked else State.RTN_UNACK

    # -- the process -----------------------------------------------------------------
    def condition(self, active: bool, latch: bool, now_ms: int) -> str | None:
        if active == self.active:
            return None
        self.active = active
        self.changed_ms = now_ms
        if active:
            self.raised_ms = now_ms
            self.cleared_ms = None
            if self.hidden:
                return "raised_hidden"  # annunciated when it comes out of hiding
            self.acked = False
            self.acked_ms = self.acked_by = None
            return "raised"
        self.cleared_ms = now_ms
        if self.shelved_oneshot:  # a one-shot shelve ends with the alarm it shelved
            self.shelved_oneshot = False
            self.shelved_until_ms = None
            self.shelved_by = self.shelve_reason = None
            return "cleared_unshelved"
        if latch and not self.hidden and self.raised_ms is not None:
            self.latched = True
            return "latched"
        return "cleared"

    # -- operator actions ------------------------------------------------------------
    def ack(self, user: str, now_ms: int) -> str:
        if self.acked:
            raise NotAllowed(f"{self.id} is already acknowledged")
        self.acked, self.acked_ms, self.acked_by, self.changed_ms = True, now_ms, user, now_ms
        return "acknowledged"

    def reset(self, now_ms: int) -> str:
        if not self.latched:
            raise NotAllowed(f"{self.id} is not latched")
        if self.active:
            raise NotAllowed(f"{self.id} is still active: it resets after it clears")
        if not self.acked:
            raise NotAllowed(f"{self.id} must be acknowledged before reset")
        self.latched, self.changed_ms = False, now_ms
        return "reset"

    def shelve(
        self, user: str, reason: str, until_ms: int | None, now_ms: int, oneshot: bool = False
    ) -> str:
        """Until `until_ms`; a one-shot shelve also ends when the alarm clears (and, given
        an `until_ms`, at that time at the latest: the role's cap holds for it too)."""
        if self.out_of_service:
            raise NotAllowed(f"{self.id} is out of service")
        self.shelved_until_ms = until_ms
        self.shelved_oneshot = oneshot or until_ms is None
        self.shelved_by, self.shelve_reason, self.changed_ms = user, reason, now_ms
        return "shelved"

    def unshelve(self, now_ms: int) -> list[str]:
        if not self.shelved:
            raise NotAllowed(f"{self.id} is not shelved")
        self.shelved_until_ms, self.shelved_oneshot = None, False
        self.shelved_by = self.shelve_reason = None
        self.changed_ms = now_ms
        return ["unshelved", *self._reannunciate()]

    def suppress(self, on: bool, now_ms: int) -> list[str]:
        if on == self.suppressed:
            return []
        self.suppressed, self.changed_ms = on, now_ms
        return ["suppressed"] if on else ["unsuppressed", *self._reannunciate()]

    def set_out_of_service(self, on: bool, user: str, reason: str, now_ms: int) -> list[str]:
        if on == self.out_of_service:
            raise NotAllowed(f"{self.id} is {'already' if on else 'not'} out of service")
        self.out_of_service, self.changed_ms = on, now_ms
        self.oos_by, self.oos_reason = (user, reason) if on else (None, None)
        if on:
            self.latched = False
            return ["out_of_service"]
        return ["returned_to_service", *self._reannunciate()]

    def _reannunciate(self) -> list[str]:
        """Out of hiding while the condition stands: the operator must see it again."""
        if self.active and not self.hidden:
            self.acked = False
            self.acked_ms = self.acked_by = None
            return ["reannunciated"]
        return []

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AlarmStatus:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})
