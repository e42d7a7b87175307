"""Standard flow ±40 % off the same hour last week: silent until a week of history exists, quiet
on a normal hour, raised once the hour closes when a large consumer comes on. Simulator and
service over real sockets on a stepped clock; the week-old hours come from the same service
run a week earlier on the same data folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from station.config.models import StationConfig
from tests.harness.config import example_station, without_rounds
from tests.harness.station import START, Station

pytestmark = pytest.mark.integration
WEEK_S = 7 * 86_400


def five_second_polls() -> StationConfig:
    cfg = without_rounds(example_station())
    return cfg.model_copy(
        update={
            "devices": [d.model_copy(update={"poll_interval_s": 5.0}) for d in cfg.devices],
            # the week's catch-up of reports is made, not printed: this test is about the alarm
            "reports": cfg.reports.model_copy(update={"archive_formats": []}),
        }
    )


async def test_an_hour_far_off_last_week_raises_the_low_priority_alarm(tmp_path: Path) -> None:
    cfg = five_second_polls()
    alarm = "FLOW-WEEK.RUN-1"
    last_week = Station(cfg, tmp_path, start=START - WEEK_S)  # 10:00, a week before
    await last_week.start()
    try:
        await last_week.run(2 * 3600 + 60)  # 10:00–12:01: two hours close, nothing to compare
        last_week.rt.history.wait_idle()
        await last_week.run(10)
        await last_week.rt.reporting_done()
        assert alarm not in last_week.events("raised")
        # both hours were looked at, up to 12:00
        assert last_week.rt.report_jobs is not None
        assert last_week.rt.report_jobs.weekly_done_ms == (START - WEEK_S + 7200) * 1000
        totals = last_week.sim.model.state.totaliser_std, last_week.sim.model.state.totaliser_work
    finally:
        await last_week.stop()

    station = Station(cfg, tmp_path, start=START)
    # the station was shut in between: the meter reads on where it stopped
    station.sim.model.set_totalisers(*totals)
    await station.start()
    try:
        await station.run(3600)  # 10:00–11:00 as last week
        station.sim.set_scenario("large-consumer")
        await station.run(3600 + 60)  # 11:00–12:00 with 2,500 Nm³/h more; it closes
        station.rt.history.wait_idle()  # the writer lags a stepped clock
        await station.run(10)
        await station.rt.reporting_done()
        assert station.raised().count(alarm) == 1
        status = station.rt.alarms.status[alarm]
        assert status.active and station.rt.alarms.points[alarm].priority == 4
        # the text gives both hours' flows: about 3,100 Nm³/h last week, 5,500 now
        assert "standard flow off the same hour last week (+" in (status.text_en or "")
        raised = next(e for e in station.rt.journal.events(event="raised") if e.alarm == alarm)
        assert raised.ts_ms >= (START + 2 * 3600) * 1000  # judged when 11:00–12:00 closed
        assert station.raised() == [alarm]  # nothing else: the station handles the load
    finally:
        await station.stop()
