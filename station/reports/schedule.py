"""When each report kind is due: one apscheduler 3.x trigger per kind, read by the station's
own clock.

The trigger is the single definition of the schedule; it is asked for fire times
(`get_next_fire_time`) rather than run by apscheduler's scheduler, which follows the wall clock
and silently skips what was due while the service was down. Here the due periods come from the
kind's persisted cursor, so under `--speed`, in tests and after an outage the same trigger
gives the same periods, each exactly once.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from apscheduler.triggers.cron import CronTrigger

from station.reports.calendar import StationCalendar


def daily_trigger(calendar: StationCalendar) -> CronTrigger:
    """Fires when a gas day ends: at the contract hour, in the station's time zone."""
    return CronTrigger(hour=calendar.contract.hour, minute=0, timezone=calendar.tz)


def due_gas_days(
    calendar: StationCalendar,
    done_until: datetime,
    now: datetime,
    delay: timedelta,
    limit: int = 400,
) -> list[date]:
    """The gas days that ended after `done_until` and at least `delay` before `now`, oldest
    first (at most `limit`: a catch-up after a long outage goes on at the next call)."""
    trigger = daily_trigger(calendar)
    out: list[date] = []
    fire = trigger.get_next_fire_time(None, done_until + timedelta(microseconds=1))
    while fire is not None and fire + delay <= now and len(out) < limit:
        out.append(calendar.gas_day_of(fire - timedelta(microseconds=1)))
        fire = trigger.get_next_fire_time(fire, fire + timedelta(microseconds=1))
    return out
