"""The alarm domain's periodic work: time passes for shelves and escalation even when no
sample arrives, and the journal catches up on what a full disk held back."""

from __future__ import annotations

from station.alarms.engine import AlarmEngine
from station.alarms.journal import AlarmJournal
from station.alarms.notify import AlarmNotification
from station.jobs import Job


def alarm_jobs(
    *, engine: AlarmEngine, journal: AlarmJournal, notification: AlarmNotification | None
) -> tuple[list[Job], list[Job]]:
    """(the jobs that run first, the escalation that runs last): the tick before every job
    that reads alarm states, the escalation after the conditions of the second are set."""

    def escalated(alarm: str, now_ms: int) -> None:
        point, status = engine.points[alarm], engine.status[alarm]
        journal.record(
            status,
            "escalated",
            point.priority,
            point.tag,
            now_ms,
            comment="unacknowledged: sent to the station master",
        )

    first = [
        Job(name="alarms.tick", every_s=1, run=engine.tick),
        Job(name="alarms.journal", every_s=1, run=lambda _now: _catch_up(journal)),
    ]
    last = []
    if notification is not None:
        last.append(
            Job(
                name="alarms.escalation",
                every_s=1,
                run=lambda now: notification.tick(now, escalated),
            )
        )
    return first, last


def _catch_up(journal: AlarmJournal) -> None:
    journal.catch_up()
