"""The station's calendar: gas days of 24, 23 and 25 hours, shifts across midnight, months."""

from __future__ import annotations

from datetime import UTC, date, datetime

from station.calendar import StationCalendar
from station.config.reports import ReportsConfig, ShiftConfig

DEFAULT = ReportsConfig()


def test_a_gas_day_runs_from_the_contract_hour_in_the_stations_time() -> None:
    cal = StationCalendar("Asia/Shanghai", DEFAULT)
    day = cal.gas_day(date(2025, 11, 25))
    assert day.start == datetime(2025, 11, 25, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai
    assert day.hours == 24 and len(cal.hours(day)) == 24
    assert [h.label for h in cal.hours(day)][:3] == ["08:00", "09:00", "10:00"]
    assert cal.gas_day_of(datetime(2025, 11, 25, 23, 59, tzinfo=UTC)) == date(2025, 11, 25)
    assert cal.gas_day_of(datetime(2025, 11, 26, 0, 0, tzinfo=UTC)) == date(2025, 11, 26)
    # 07:59 local on the 26th still belongs to the gas day of the 25th
    assert cal.gas_day_of(datetime(2025, 11, 25, 23, 59, tzinfo=UTC)) == date(2025, 11, 25)


def test_daylight_saving_days_have_23_and_25_hours() -> None:
    cal = StationCalendar("Europe/Berlin", ReportsConfig(contract_hour=6))
    spring = cal.gas_day(date(2025, 3, 29))  # clocks go 02:00 → 03:00 on the 30th
    autumn = cal.gas_day(date(2025, 10, 25))  # clocks go 03:00 → 02:00 on the 26th
    assert spring.hours == 23 and len(cal.hours(spring)) == 23
    assert autumn.hours == 25 and len(cal.hours(autumn)) == 25
    labels = [h.label for h in cal.hours(autumn)]
    assert labels.count("01:00") == 1
    assert "02:00+02:00" in labels and "02:00+01:00" in labels  # the hour the clock repeats
    spring_labels = [h.label for h in cal.hours(spring)]
    assert "02:00" not in spring_labels and "01:00" in spring_labels and "03:00" in spring_labels


def test_shifts_cover_the_day_and_cross_midnight() -> None:
    cal = StationCalendar("Asia/Shanghai", DEFAULT)
    day, night = cal.shifts_of(date(2025, 11, 25))
    assert (day.hours, night.hours) == (12, 12)
    assert night.start == datetime(2025, 11, 25, 12, 0, tzinfo=UTC)  # 20:00 local
    assert night.end == datetime(2025, 11, 26, 0, 0, tzinfo=UTC)  # 08:00 local next day
    # 03:00 local on the 26th is the night shift that began on the 25th
    assert cal.shift_of(datetime(2025, 11, 25, 19, 0, tzinfo=UTC)) == night
    three = ReportsConfig(
        shifts=[
            ShiftConfig(name_zh="夜班", name_en="Night", start="00:00"),
            ShiftConfig(name_zh="早班", name_en="Morning", start="08:00"),
            ShiftConfig(name_zh="中班", name_en="Afternoon", start="16:00"),
        ]
    )
    cal3 = StationCalendar("Asia/Shanghai", three)
    shifts = cal3.shifts_of(date(2025, 11, 25))
    assert [s.hours for s in shifts] == [8, 8, 8]
    assert shifts[-1].end == cal3.shifts_of(date(2025, 11, 26))[0].start  # no hole, no overlap


def test_a_gas_month_is_its_gas_days() -> None:
    cal = StationCalendar("Asia/Shanghai", DEFAULT)
    nov = cal.gas_month(2025, 11)
    days = cal.gas_days(nov)
    assert len(days) == 30 and days[0].label == "2025-11-01" and days[-1].label == "2025-11-30"
    assert nov.start == days[0].start and nov.end == days[-1].end
    dec = cal.gas_month(2025, 12)
    assert dec.end == cal.gas_day(date(2026, 1, 1)).start and len(cal.gas_days(dec)) == 31
