"""The alarms as every way in (API, page, push channels) reaches them from outside the core:
reads of the engine's state and the actions of `AlarmActions`, each handed to the core's loop
through the door; the journal and the KPIs read from the records. Nothing here knows HTTP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from station.alarms.actions import AlarmActions, Outcome
from station.alarms.engine import AlarmEngine
from station.alarms.journal import AlarmJournal, JournalEvent
from station.alarms.kpi import AlarmKpi, alarm_kpi
from station.alarms.points import AlarmPoint
from station.core_door import CoreDoor
from station.users import User

KPI_MAX_DAYS = 400
"""A year and a bit: the yearly safety report, with the month on either side."""
Listener = Callable[[dict[str, Any]], None]


class AlarmService:
    def __init__(
        self,
        *,
        actions: AlarmActions,
        engine: AlarmEngine,
        journal: AlarmJournal,
        door: CoreDoor,
        now_ms: Callable[[], int],
    ) -> None:
        self.actions = actions
        self.engine = engine
        self.journal = journal
        self.door = door
        self.now_ms = now_ms

    # -- reads ---------------------------------------------------------------------------
    async def current(self, include_normal: bool = False) -> list[dict[str, Any]]:
        return await self.door.call(self.engine.current, include_normal)

    async def rules(self) -> list[AlarmPoint]:
        return await self.door.call(self._points)

    def _points(self) -> list[AlarmPoint]:
        return list(self.engine.points.values())

    def history(
        self,
        *,
        start_ms: int | None,
        end_ms: int | None,
        alarm: str | None,
        tag: str | None,
        priority: int | None,
        event: str | None,
        state: str | None,
        user: str | None,
        limit: int,
    ) -> list[JournalEvent]:
        return self.journal.events(
            start_ms, end_ms, alarm, tag, priority, event, state, user, limit
        )

    def check_kpi_range(self, start_ms: int, end_ms: int) -> None:
        if end_ms <= start_ms:
            raise ValueError("end must be after start")
        if end_ms - start_ms > KPI_MAX_DAYS * 86_400_000:
            raise ValueError(f"KPIs cover at most {KPI_MAX_DAYS} days per request")

    async def standing_since(self) -> dict[str, int]:
        """Each standing alarm and when it was raised (the core's state, read on its loop)."""
        return await self.door.call(self._standing)

    def _standing(self) -> dict[str, int]:
        return {
            a: st.raised_ms
            for a, st in self.engine.status.items()
            if st.active and st.raised_ms is not None
        }

    def kpi(self, start_ms: int, end_ms: int, standing: dict[str, int]) -> AlarmKpi:
        """EEMUA 191 figures of a period, from the journal: heavy, run it on a worker."""
        events = self.journal.events(start_ms, end_ms, limit=1_000_000)
        return alarm_kpi(events, start_ms, end_ms, standing, self.now_ms())

    # -- push ----------------------------------------------------------------------------
    async def subscribe(self, listener: Listener) -> list[dict[str, Any]]:
        """`listener` is called on the core's loop with every life-cycle event from now on;
        the standing alarms as of the same instant are returned."""
        return await self.door.call(self._subscribe, listener)

    def _subscribe(self, listener: Listener) -> list[dict[str, Any]]:
        self.engine.listeners.append(listener)
        return self.engine.current()

    def unsubscribe(self, listener: Listener) -> None:
        self.door.call_soon(self.engine.listeners.remove, listener)

    # -- actions (the rules and their audit are in AlarmActions) -------------------------
    async def ack(
        self, user: User, ids: list[str], comment: str | None, address: str | None
    ) -> Outcome:
        return await self.door.call(self.actions.ack, user, ids, comment, address)

    async def shelve(
        self, user: User, alarm: str, reason: str, duration_s: float | None, address: str | None
    ) -> Outcome:
        return await self.door.call(self.actions.shelve, user, alarm, reason, duration_s, address)

    async def unshelve(self, user: User, alarm: str, address: str | None) -> Outcome:
        return await self.door.call(self.actions.unshelve, user, alarm, address)

    async def reset(
        self, user: User, alarm: str, comment: str | None, address: str | None
    ) -> Outcome:
        return await self.door.call(self.actions.reset, user, alarm, comment, address)

    async def out_of_service(
        self, user: User, alarm: str, enabled: bool, reason: str, address: str | None
    ) -> Outcome:
        return await self.door.call(
            self.actions.out_of_service, user, alarm, enabled, reason, address
        )

    async def change_rule(
        self, user: User, alarm: str, changes: dict[str, float], reason: str, address: str | None
    ) -> Outcome:
        return await self.door.call(self.actions.change_rule, user, alarm, changes, reason, address)
