"""The pure duty rules: the crews' rotation, when rounds fall due and what state they are in,
a gauge against its transmitter, and what a handover carries over."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from station.calendar import StationCalendar
from station.config.duty import (
    CrewConfig,
    DutyConfig,
    FireEquipmentConfig,
    MaintenancePlanConfig,
    RoundConfig,
    RoundItemConfig,
)
from station.config.reports import ReportsConfig, ShiftConfig
from station.duty.fire import FireCheck, check_ok, fire_status
from station.duty.handover import alarm_lists, draft_handover
from station.duty.maintenance import plan_status, projected_crossing
from station.duty.roster import rotation_crew
from station.duty.rounds import (
    APPROVED,
    DONE,
    DUE,
    IN_PROGRESS,
    MISSED,
    OVERDUE,
    SCHEDULED,
    due_times_ms,
    reading_flagged,
    round_state,
)
from station.duty.store import RoundRecord
from station.records import from_row

SHANGHAI = ZoneInfo("Asia/Shanghai")
MIN = 60_000


def _calendar(*starts: str) -> StationCalendar:
    shifts = [ShiftConfig(name_zh=s, name_en=s, start=s) for s in starts] if starts else None
    cfg = ReportsConfig(shifts=shifts) if shifts else ReportsConfig()
    return StationCalendar("Asia/Shanghai", cfg)


def _round(every_h: float = 2, grace_min: float = 30) -> RoundConfig:
    item = RoundItemConfig(id="PT", name_zh="压力表", name_en="Gauge", tag="PT-301", tolerance=0.02)
    return RoundConfig(
        id="R", name_zh="巡检", name_en="Round", every_h=every_h, grace_min=grace_min, items=[item]
    )


def test_four_crews_rotate_over_two_shifts_a_day() -> None:
    cal = _calendar()
    duty = DutyConfig(
        crews=[CrewConfig(name=c, members=[f"{c}1", f"{c}2"]) for c in "ABCD"],
        rotation_start=date(2025, 11, 1),
    )
    crews = []
    for day in (date(2025, 11, 1), date(2025, 11, 2), date(2025, 11, 3)):
        crews += [rotation_crew(cal, duty, s)[0] for s in cal.shifts_of(day)]
    assert crews == ["A1", "B1", "C1", "D1", "A1", "B1"]
    before = cal.shifts_of(date(2025, 10, 31))  # before the rotation began: still the pattern
    assert [rotation_crew(cal, duty, s)[0] for s in before] == ["C1", "D1"]
    assert rotation_crew(cal, DutyConfig(), before[0]) == []


def test_crews_need_a_start_and_round_items_are_unique() -> None:
    with pytest.raises(ValidationError, match="rotation_start"):
        DutyConfig(crews=[CrewConfig(name="A", members=["a"])])
    item = RoundItemConfig(id="X", name_zh="x", name_en="x")
    with pytest.raises(ValidationError, match="X"):
        RoundConfig(id="R", name_zh="r", name_en="r", items=[item, item])


def test_rounds_fall_due_from_each_shift_start() -> None:
    cal = _calendar("08:00", "16:00", "00:00")
    night, day, _evening = cal.shifts_of(date(2025, 11, 25))  # in the order of the day
    due = due_times_ms(_round(every_h=3), day)
    starts = [datetime.fromtimestamp(t / 1000, SHANGHAI).strftime("%H:%M") for t in due]
    assert starts == ["08:00", "11:00", "14:00"]  # 17:00 is past the shift's end
    assert len(due_times_ms(_round(every_h=3), night)) == 3


def test_a_round_goes_from_scheduled_to_missed() -> None:
    cfg = _round(every_h=2, grace_min=30)
    due, nxt = 1_000 * MIN, 1_120 * MIN

    def at(now: int, **marks: int) -> str:
        record = from_row(
            RoundRecord,
            (
                1,
                "R",
                due,
                marks.get("started"),
                "a" if "started" in marks else None,
                marks.get("done"),
                None,
                marks.get("approved"),
                None,
            ),
        )
        return round_state(cfg, record, nxt, now).state

    assert at(due - 1) == SCHEDULED
    assert at(due) == DUE
    assert at(due + 30 * MIN - 1) == DUE
    assert at(due + 30 * MIN) == OVERDUE
    assert at(due + 10 * MIN, started=due + 5 * MIN) == IN_PROGRESS
    assert at(due + 40 * MIN, started=due + 5 * MIN) == OVERDUE  # begun, not finished
    assert at(nxt) == MISSED
    assert at(nxt + 5, started=due, done=due + 20 * MIN) == DONE
    assert at(nxt, started=due, done=due + 1, approved=due + 2) == APPROVED


def test_a_gauge_against_its_transmitter() -> None:
    assert not reading_flagged(0.35, 0.36, 0.02)
    assert reading_flagged(0.35, 0.38, 0.02)
    assert reading_flagged(0.35, None, 0.02)  # nothing to compare with: looked at
    assert not reading_flagged(None, 0.38, 0.02) and not reading_flagged(0.9, 0.1, None)


def test_a_handover_draft_sorts_alarms_and_carries_open_problems() -> None:
    current = [
        {"id": "A", "state": "unacknowledged", "active": True, "acked": False, "priority": 1},
        {"id": "B", "state": "acknowledged", "active": True, "acked": True, "priority": 2},
        {"id": "C", "state": "shelved", "active": True, "acked": True, "priority": 3},
        {"id": "D", "state": "out_of_service", "active": False, "acked": True, "priority": 3},
        {"id": "E", "state": "rtn_unacknowledged", "active": False, "acked": False, "priority": 2},
    ]
    lists = alarm_lists(current, [{"id": "A"}])
    assert [a["id"] for a in lists["standing"]] == ["A", "B", "C"]
    assert [a["id"] for a in lists["unacknowledged"]] == ["A", "E"]
    assert [a["id"] for a in lists["shelved"]] == ["C"]
    assert [a["id"] for a in lists["out_of_service"]] == ["D"]
    draft = draft_handover(
        "2025-11-25T08:00",
        0,
        ["a"],
        ["b"],
        [],
        [],
        [],
        lists,
        [],
        {},
        [],
        [],
        {"problems": "heater B noisy", "instructions": "", "housekeeping": "done"},
    )
    assert draft.carried == {"problems": "heater B noisy"}


def test_fire_equipment_is_flagged_ahead() -> None:
    today = date(2025, 11, 25)
    ext = FireEquipmentConfig(
        id="E",
        kind="extinguisher",
        location="x",
        expiry=date(2025, 12, 1),
        check_every_days=30,
        min_pressure_mpa=1.2,
    )
    assert fire_status(ext, [], today, 14).flags == ["expiring", "check_due"]
    assert fire_status(ext, [], date(2025, 12, 2), 14).flags == ["expired", "check_due"]
    assert fire_status(ext, [], today, 3).flags == ["check_due"]  # 6 days: not yet
    checked = FireCheck("E", 0, date(2025, 10, 1), "op", check_ok(ext, True, 1.3), 1.3, None)
    late = fire_status(ext, [checked], today, 3)
    assert late.flags == ["check_overdue"] and late.next_check == date(2025, 10, 31)
    assert not check_ok(ext, True, 1.1) and not check_ok(ext, False, 1.5)


def test_a_trend_projects_where_it_crosses_its_limit() -> None:
    day = 86_400_000
    ts = [i * 3_600_000 for i in range(96)]  # four days, hourly
    rising = [10 + 5 * t / day for t in ts]  # 5 a day from 10
    p = projected_crossing(ts, rising, 60, "rising")
    assert p is not None and p.slope_per_day == pytest.approx(5)
    assert p.now_value == pytest.approx(10 + 5 * ts[-1] / day)
    assert p.crossing_ms == pytest.approx(10 * day, abs=1000)  # 10 + 5·10 = 60
    assert projected_crossing(ts, rising, 60, "falling").crossing_ms is None  # type: ignore[union-attr]
    assert projected_crossing(ts[:10], rising[:10], 60, "rising") is None  # too few
    gappy = [v if i % 3 else None for i, v in enumerate(rising)]
    assert projected_crossing(ts, gappy, 60, "rising").samples == 64  # type: ignore[union-attr]
    done = plan_status(
        MaintenancePlanConfig(id="P", equipment="e", name_zh="p", name_en="p", every_days=30),
        [date(2025, 10, 1), date(2025, 9, 1)],
        date(2025, 11, 25),
    )
    assert done.last_done == date(2025, 10, 1) and done.next_due == date(2025, 10, 31)
    assert done.overdue
