"""An incident told to the station's webhook at once, in the background: a slow receiver never
holds the operator who reported it (it retries as for alarms)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from station.alarms.notify import WebhookNotifier
from station.duty.safety_store import Incident


class IncidentNotice:
    def __init__(self, *, webhook_url: str | None, station_id: str) -> None:
        self.webhook_url = webhook_url
        self.station_id = station_id
        self._sending: set[asyncio.Task[None]] = set()

    async def notify(self, incident: Incident) -> None:
        if not self.webhook_url:
            return
        message = {
            "notification": "incident",
            "station": self.station_id,
            "incident": incident.id,
            "opened": datetime.fromtimestamp(incident.opened_ms / 1000, UTC).isoformat(),
            "opened_by": incident.opened_by,
            "what": incident.what,
            "actions": incident.actions,
            "notified": incident.notified,
        }
        task = asyncio.create_task(WebhookNotifier(self.webhook_url).send(message), name="incident")
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)
