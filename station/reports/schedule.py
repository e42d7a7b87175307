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

from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger

from station.calendar import Period, StationCalendar

TICK = timedelta(microseconds=1)


def daily_trigger(calendar: StationCalendar) -> CronTrigger:
    """Fires when a gas day ends: at the contract hour, in the station's time zone."""
    return CronTrigger(hour=calendar.contract.hour, minute=0, timezone=calendar.tz)


def shift_trigger(calendar: StationCalendar) -> OrTrigger:
    """Fires when a shift ends: at each shift's start time, in the station's time zone."""
    return OrTrigger(
        [
            CronTrigger(
                hour=s.minute_of_day // 60, minute=s.minute_of_day % 60, timezone=calendar.tz
            )
            for s in calendar.shifts
        ]
    )


def due_shifts(
    calendar: StationCalendar, done_until: datetime, now: datetime, delay: timedelta
) -> list[Period]:
    """The shifts that ended after `done_until` and at least `delay` before `now`."""
    ends = due_ends(shift_trigger(calendar), done_until, now, delay)
    return [calendar.shift_of(end - TICK) for end in ends]


def monthly_trigger(calendar: StationCalendar) -> CronTrigger:
    """Fires when a gas month ends: the contract hour of the 1st, in the station's time zone."""
    return CronTrigger(day=1, hour=calendar.contract.hour, minute=0, timezone=calendar.tz)


def weekly_trigger(calendar: StationCalendar) -> CronTrigger:
    """Fires when a gas week ends: Monday's contract hour, in the station's time zone."""
    return CronTrigger(
        day_of_week="mon", hour=calendar.contract.hour, minute=0, timezone=calendar.tz
    )


def report_triggers(calendar: StationCalendar) -> dict[str, CronTrigger | OrTrigger]:
    """The one definition of when each report kind falls due."""
    return {
        "shift": shift_trigger(calendar),
        "daily": daily_trigger(calendar),
        "monthly": monthly_trigger(calendar),
        "safety-weekly": weekly_trigger(calendar),
        "safety-monthly": monthly_trigger(calendar),
    }


def next_end(trigger: CronTrigger | OrTrigger, done_until: datetime) -> datetime | None:
    """The end of the first period after `done_until`."""
    end: datetime | None = trigger.get_next_fire_time(None, done_until + TICK)
    return end


def due_ends(
    trigger: CronTrigger | OrTrigger,
    done_until: datetime,
    now: datetime,
    delay: timedelta,
    limit: int = 400,
) -> list[datetime]:
    """Fire times (ends of periods) after `done_until` and at least `delay` before `now`,
    oldest first (at most `limit`: a catch-up after a long outage goes on at the next call)."""
    out: list[datetime] = []
    fire = trigger.get_next_fire_time(None, done_until + TICK)
    while fire is not None and fire + delay <= now and len(out) < limit:
        out.append(fire)
        fire = trigger.get_next_fire_time(fire, fire + TICK)
    return out


def due_gas_days(
    calendar: StationCalendar,
    done_until: datetime,
    now: datetime,
    delay: timedelta,
    limit: int = 400,
) -> list[date]:
    """The gas days that ended after `done_until` and at least `delay` before `now`."""
    ends = due_ends(daily_trigger(calendar), done_until, now, delay, limit)
    return [calendar.gas_day_of(end - TICK) for end in ends]


def due_gas_weeks(
    calendar: StationCalendar, done_until: datetime, now: datetime, delay: timedelta
) -> list[Period]:
    """The gas weeks that ended after `done_until` and at least `delay` before `now`."""
    ends = due_ends(weekly_trigger(calendar), done_until, now, delay)
    return [calendar.gas_week(calendar.gas_day_of(end - TICK)) for end in ends]


def due_gas_months(
    calendar: StationCalendar, done_until: datetime, now: datetime, delay: timedelta
) -> list[tuple[int, int]]:
    """The gas months (year, month) that ended after `done_until` and `delay` before `now`."""
    ends = due_ends(monthly_trigger(calendar), done_until, now, delay)
    days = [calendar.gas_day_of(end - TICK) for end in ends]
    return [(d.year, d.month) for d in days]
