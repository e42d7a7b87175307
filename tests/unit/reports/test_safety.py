"""The safety report's pure rules: which hazards a period counts and how, rounds done / late /
missed / not recorded, the fire register at the period's end, incidents open across periods,
the gas week and its schedule, and the shift report's handover and log sections."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from station.calendar import StationCalendar
from station.config.duty import FireEquipmentConfig, RoundConfig, RoundItemConfig
from station.config.reports import ReportsConfig
from station.duty.fire import FireCheck
from station.duty.safety_store import Incident
from station.duty.store import HandoverStep, Hazard, LogEntry, RoundRecord
from station.records import from_row
from station.reports.safety import fire_lines, hazard_lines, incident_lines, round_tallies
from station.reports.schedule import due_gas_weeks
from station.reports.shift_duty import shift_handover, shift_log

CAL = StationCalendar("Asia/Shanghai", ReportsConfig())
WEEK = CAL.gas_week(date(2025, 11, 26))  # Monday 24 Nov 08:00 → Monday 1 Dec 08:00
S, E = WEEK.start_ms, WEEK.end_ms
DAY = 86_400_000


def hazard(i: int, opened: int, deadline: int, closed: int | None = None) -> Hazard:
    return from_row(
        Hazard,
        (
            i,
            opened,
            "a1",
            f"h{i}",
            "medium",
            "a1",
            deadline,
            None,
            closed,
            "m" if closed else None,
            "fixed" if closed else None,
        ),
    )


def test_the_gas_week_is_seven_gas_days_from_monday_and_falls_due_once() -> None:
    assert WEEK.label == "2025-W48"
    assert WEEK.start == datetime(2025, 11, 24, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai
    assert WEEK.hours == 168
    assert CAL.period("safety-weekly", "2025-W48") == WEEK
    assert CAL.period("safety-monthly", "2025-11") == CAL.gas_month(2025, 11)
    for bad in ("2025-48", "2025-W60", "2025-WXX"):
        with pytest.raises(ValueError):
            CAL.period("safety-weekly", bad)
    delay = timedelta(minutes=10)
    assert due_gas_weeks(CAL, WEEK.start, WEEK.end + timedelta(minutes=9), delay) == []
    assert due_gas_weeks(CAL, WEEK.start, WEEK.end + delay, delay) == [WEEK]
    # the week after a year's last: ISO years (2026-W01 begins on Monday 29 Dec 2025)
    assert CAL.gas_week(date(2025, 12, 31)).label == "2026-W01"


def test_hazards_are_counted_found_fixed_open_and_overdue_at_the_period_end() -> None:
    lines = hazard_lines(
        [
            hazard(1, S - 3 * DAY, S - DAY),  # before, open, overdue
            hazard(2, S - 3 * DAY, S + 9 * DAY, S - DAY),  # closed before: not in the week
            hazard(3, S + DAY, S + 2 * DAY, S + 3 * DAY),  # found and fixed, late
            hazard(4, S + DAY, E + DAY, E + 2 * DAY),  # found, closed after: open at the end
            hazard(5, E, E + DAY),  # the next week's
            hazard(6, S + 2 * DAY, S + 5 * DAY, S + 4 * DAY),  # found and fixed in time
        ],
        S,
        E,
    )
    got = {h.id: (h.found, h.fixed, h.open_at_end, h.overdue) for h in lines}
    assert got == {
        1: (False, False, True, True),
        3: (True, True, False, True),
        4: (True, False, True, False),
        6: (True, True, False, False),
    }
    four = next(h for h in lines if h.id == 4)
    assert four.closed_ms is None and four.action is None  # its closing is next week's


def test_rounds_done_late_missed_and_not_recorded() -> None:
    cfg = RoundConfig(
        id="R",
        name_zh="巡",
        name_en="Round",
        every_h=6,
        grace_min=30,
        items=[RoundItemConfig(id="X", name_zh="x", name_en="x")],
    )
    shifts = [CAL.shift_of(WEEK.start + timedelta(hours=12 * i)) for i in range(2)]
    due = [S, S + 6 * 3_600_000, S + 12 * 3_600_000, S + 18 * 3_600_000]
    records = [
        from_row(
            RoundRecord,
            (
                1,
                "R",
                due[0],
                due[0],
                "a",
                due[0] + 60_000,
                "a",
                due[0] + 1,
                "l",
            ),
        ),
        from_row(
            RoundRecord,
            (
                2,
                "R",
                due[1],
                due[1],
                "a",
                due[1] + 3_600_000,
                "a",
                None,
                None,
            ),
        ),  # late
        from_row(
            RoundRecord,
            (
                3,
                "R",
                due[2],
                None,
                None,
                None,
                None,
                None,
                None,
            ),
        ),  # missed
    ]  # the fourth fell due while the service was down
    (tally,) = round_tallies([cfg], shifts, records, S, S + DAY)
    assert (tally.scheduled, tally.done, tally.late, tally.approved) == (4, 2, 1, 1)
    assert (tally.missed, tally.unrecorded) == (1, 1)
    # slots are the period's own: half the day holds two
    (half,) = round_tallies([cfg], shifts, records, S, S + DAY // 2)
    assert (half.scheduled, half.done, half.missed, half.unrecorded) == (2, 2, 0, 0)
    # a preview of the day at 13:00 of it (its third slot just fell due): the slots still
    # to come are not counted as unrecorded (a month's preview said 318 of them)
    (early,) = round_tallies([cfg], shifts, records, S, S + DAY, now_ms=due[2] + 1)
    assert (early.scheduled, early.done, early.missed, early.unrecorded) == (3, 2, 1, 0)


def test_the_fire_register_as_it_stood_at_the_period_end() -> None:
    register = [
        FireEquipmentConfig(
            id="EXT-1",
            kind="extinguisher",
            location="meter room",
            expiry=date(2025, 12, 5),
            check_every_days=30,
            min_pressure_mpa=1.2,
        ),
        FireEquipmentConfig(id="HYD-1", kind="hydrant", location="gate", check_every_days=30),
    ]
    checks = [
        FireCheck("EXT-1", S - 20 * DAY, date(2025, 11, 4), "a1", True, 1.4, None),
        FireCheck("EXT-1", S + DAY, date(2025, 11, 25), "a1", False, 1.0, "gauge red"),
        FireCheck("HYD-1", E + DAY, date(2025, 12, 2), "a1", True, None, None),  # after
    ]
    equipment, made = fire_lines(register, checks, S, E, date(2025, 11, 30), 14)
    ext, hyd = equipment
    assert (ext.checks, ext.failed) == (1, 1)
    assert set(ext.flags) == {"expiring", "failed_check"}
    assert (hyd.checks, hyd.flags) == (0, ("check_due",))  # never checked: due now
    assert [(c.equipment, c.ok) for c in made] == [("EXT-1", False)]


def test_incidents_of_the_period_and_those_open_across_it() -> None:
    def incident(i: int, opened: int, closed: int | None) -> Incident:
        return Incident(
            i,
            opened,
            None,
            "a1",
            f"i{i}",
            "x",
            ["master"],
            closed,
            "master" if closed else None,
            "done" if closed else None,
        )

    lines = incident_lines(
        [
            incident(1, S - 5 * DAY, S - DAY),  # closed before the week
            incident(2, S - 5 * DAY, S + DAY),  # open into the week, closed in it
            incident(3, S + 2 * DAY, E + DAY),  # closed after: open at the end
            incident(4, E + 1, None),  # the next week's
        ],
        S,
        E,
    )
    assert [(i.id, i.closed_ms is None) for i in lines] == [(2, False), (3, True)]


def test_the_shift_report_carries_every_handover_step_and_the_log_without_alarm_echoes() -> None:
    steps = [
        HandoverStep(1, "2025-11-25T20:00", "drafted", "system", 1, None, None, {"big": 1}),
        HandoverStep(2, "2025-11-25T20:00", "signed", "b1", 2, {"problems": "none"}, None, None),
        HandoverStep(3, "2025-11-25T20:00", "refused", "a1", 3, None, "log incomplete", None),
        HandoverStep(4, "2025-11-25T20:00", "signed", "b1", 4, {"problems": "done"}, None, None),
        HandoverStep(5, "2025-11-25T20:00", "accepted", "a1", 5, None, None, None),
    ]
    h = shift_handover("2025-11-25T20:00", steps)
    assert (h.state, h.signed_by, h.accepted_by, h.refusals) == ("accepted", "b1", "a1", 1)
    assert [s.reason for s in h.steps if s.step == "refused"] == ["log incomplete"]
    assert shift_handover("x", []).state == "none"
    entries = [
        from_row(
            LogEntry,
            (
                1,
                10,
                11,
                "system",
                [],
                "alarm",
                "GT-02.HH raised",
                "GT-02",
                55.0,
                None,
            ),
        ),
        from_row(
            LogEntry,
            (
                2,
                12,
                13,
                "a1",
                ["a1"],
                "operation",
                "heater to B",
                None,
                None,
                None,
            ),
        ),
        from_row(
            LogEntry,
            (
                3,
                14,
                15,
                "system",
                [],
                "handover",
                "[handover] drafted",
                None,
                None,
                None,
            ),
        ),
    ]
    lines, alarms = shift_log(entries)
    assert [x.id for x in lines] == [2, 3] and alarms == 1
