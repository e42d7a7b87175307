"""Hourly quantity records against the simulator's truth: the gas it really metered, hour by hour,
across a working-totaliser rollover, a meter reset and 20 minutes without the flow computer,
on a clock the test steps (every poll over real sockets)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from pathlib import Path

import pytest

from station.calendar import Period, StationCalendar
from station.reports.hourly import hourly_record, run_tags
from tests.harness.config import example_station
from tests.harness.station import START, Station

pytestmark = pytest.mark.integration


def close(got: float, truth: float, within: float = 0.001) -> bool:
    return abs(got - truth) <= within * abs(truth)


async def test_hourly_volumes_match_what_the_simulator_metered(tmp_path: Path) -> None:
    cfg = example_station()
    run = cfg.reports.meter_runs[0]
    station = Station(cfg, tmp_path)
    sim = station.sim
    sim.model.set_totalisers(working=2**32 - 200.0)  # the uint32 register wraps in half an hour
    await station.start()
    try:
        truth = [sim.delivered()]  # 10:00 local, on the hour
        await station.run(3600)
        truth.append(sim.delivered())  # 11:00
        await station.run(600)
        sim.delivered()
        sim.model.set_totalisers(standard=0.0)  # the meter is reset at 11:10
        await station.run(600)
        sim.set_scenario("gateway-lost")  # 11:20–11:40 the flow computer cannot be read
        await station.run(1200)
        sim.set_scenario("normal")
        await station.run(1200)
        truth.append(sim.delivered())  # 12:00
        await station.run(120)  # the minutes of 11:59 reach the rollups
        station.rt.history.wait_idle()
    finally:
        await station.stop()

    cal = StationCalendar(cfg.station.timezone, cfg.reports)
    start = datetime.fromtimestamp(START, tz=UTC)
    hours = cal.hours(Period("span", "", start, start.replace(hour=start.hour + 2)))
    minutes = station.rt.history_store.minutes(run_tags(run), hours[0].start_ms, hours[-1].end_ms)
    first, second = (hourly_record(run, h, minutes) for h in hours)

    std = [b[0] - a[0] for a, b in itertools.pairwise(truth)]
    work = [b[1] - a[1] for a, b in itertools.pairwise(truth)]
    assert close(first.standard_volume, std[0]), (first.standard_volume, std[0])
    assert first.working_volume is not None and close(first.working_volume, work[0])
    assert first.coverage == 1.0 and first.gaps == () and first.meter_resets == 0
    assert first.flow_minutes == 60
    assert (first.mismatch() or 0) < cfg.reports.volume_mismatch  # counter and flow agree

    # across the reset and the 20-minute gap the counter still gives the hour's gas
    assert close(second.standard_volume, std[1]), (second.standard_volume, std[1])
    assert second.working_volume is not None and close(second.working_volume, work[1])
    assert second.meter_resets == 1
    assert len(second.gaps) == 1 and 19 <= second.gaps[0].minutes <= 21
    assert 0.63 <= second.coverage <= 0.7
    # the flow integrated over the minutes with data misses the gap's gas: flagged
    assert (second.mismatch() or 0) > cfg.reports.volume_mismatch
    assert second.pressure_min is not None and second.pressure_max is not None
    assert 0.3 < second.pressure_min.value <= second.pressure_max.value < 0.4
    assert second.pressure_mean is not None and 0.33 < second.pressure_mean < 0.37


async def test_a_totaliser_that_jumps_forward_is_no_gas(tmp_path: Path) -> None:
    """The flow computer's standard register jumps 5 million Nm³ ahead (a restore from a
    backup, a meter exchanged with a reading of its own): over real sockets, the hour still
    holds the gas really metered, and the jump is flagged as a reset, not delivered."""
    cfg = example_station()
    run = cfg.reports.meter_runs[0]
    station = Station(cfg, tmp_path)
    sim = station.sim
    await station.start()
    try:
        truth = [sim.delivered()]
        await station.run(1800)
        sim.model.set_totalisers(standard=sim.model.state.totaliser_std + 5_000_000.0)
        await station.run(1800)
        truth.append(sim.delivered())
        await station.run(120)
        station.rt.history.wait_idle()
    finally:
        await station.stop()
    cal = StationCalendar(cfg.station.timezone, cfg.reports)
    start = datetime.fromtimestamp(START, tz=UTC)
    (hour,) = cal.hours(Period("span", "", start, start.replace(hour=start.hour + 1)))
    minutes = station.rt.history_store.minutes(run_tags(run), hour.start_ms, hour.end_ms)
    record = hourly_record(run, hour, minutes)
    std = truth[1][0] - truth[0][0]
    # one poll's gas (1 s) is lost with the jump: the reading that carries it is discarded
    assert close(record.standard_volume, std), (record.standard_volume, std)
    assert record.meter_resets == 1
    assert (record.mismatch() or 0) < cfg.reports.volume_mismatch  # counter and flow agree
