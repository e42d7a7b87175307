"""Notification of priority 1–2 alarms (webhook first), with escalation to the station master.

Sending happens in a task of its own: a slow or dead receiver never delays the engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any, Protocol

import httpx

from station.cancellation import honour_cancel

log = logging.getLogger(__name__)


class Notifier(Protocol):
    async def send(self, message: dict[str, Any]) -> None: ...


class WebhookNotifier:
    def __init__(self, url: str, timeout_s: float = 5.0, attempts: int = 3) -> None:
        self.url = url
        self.timeout_s = timeout_s
        self.attempts = attempts
        self.sent = 0
        self.failed = 0

    async def send(self, message: dict[str, Any]) -> None:
        async with httpx.AsyncClient(timeout=self.timeout_s) as client:
            for attempt in range(self.attempts):
                try:
                    r = await client.post(self.url, json=message)
                    r.raise_for_status()
                    self.sent += 1
                    return
                except httpx.HTTPError as exc:
                    log.warning("webhook %s: %s (attempt %d)", self.url, exc, attempt + 1)
                    await asyncio.sleep(0.5 * (attempt + 1))
        self.failed += 1


class AlarmNotification:
    """Listens to the engine; sends raises of the configured priorities, escalates the
    ones still unacknowledged after `escalate_after_s`."""

    def __init__(
        self, notifier: Notifier, priorities: list[int], escalate_after_s: float, station: str
    ) -> None:
        self.notifier = notifier
        self.priorities = set(priorities)
        self.escalate_after_ms = int(escalate_after_s * 1000)
        self.station = station
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._pending: dict[str, dict[str, Any]] = {}
        self._task: asyncio.Task[None] | None = None

    def on_event(self, message: dict[str, Any]) -> None:
        if message["priority"] not in self.priorities:
            return
        alarm, event = message["id"], message["event"]
        if event in ("raised", "reannunciated"):
            self._pending[alarm] = message
            self._queue.put_nowait({**message, "station": self.station, "notification": "alarm"})
        elif event in ("acknowledged", "out_of_service", "shelved") or not message["active"]:
            self._pending.pop(alarm, None)

    def tick(self, now_ms: int, escalated: Callable[[str, int], None] | None = None) -> None:
        for alarm, msg in list(self._pending.items()):
            if now_ms - msg["ts_ms"] >= self.escalate_after_ms:
                del self._pending[alarm]
                self._queue.put_nowait(
                    {
                        **msg,
                        "station": self.station,
                        "notification": "escalation",
                        "to_role": "station_master",
                        "unacknowledged_s": (now_ms - msg["ts_ms"]) / 1000,
                    }
                )
                if escalated:
                    escalated(alarm, now_ms)

    async def _run(self) -> None:
        while True:
            message = await self._queue.get()
            try:
                await self.notifier.send(message)
            except Exception:
                log.exception("notification failed")
            honour_cancel()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="alarm-notification")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
