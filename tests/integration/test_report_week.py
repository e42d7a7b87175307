"""A simulated week against the simulator's truth: simulator and service over real sockets on a
clock the test steps (10 s polls), with a supply interruption, a working-totaliser rollover, a
meter reset and 20 minutes without the flow computer. Every hourly, shift and daily volume is
held against the gas the simulator metered, the interruption minutes against when the
slam-shut was really shut, and the alarm figures against the journal."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from pathlib import Path

import pytest

from station.reports.archive import ReportArchive
from tests.harness.config import example_station, without_rounds
from tests.harness.station import START, Station

pytestmark = pytest.mark.integration
HOUR = 3600
MONDAY_0800 = START - 2 * HOUR  # 2025-11-25 08:00 Asia/Shanghai: a gas day and a shift begin


def within(got: float, truth: float, share: float = 0.001) -> bool:
    return abs(got - truth) <= share * abs(truth) + 1e-6


@pytest.mark.timeout(900)
async def test_a_week_of_reports_matches_the_simulators_truth(tmp_path: Path) -> None:
    cfg = without_rounds(example_station())
    cfg = cfg.model_copy(
        update={
            "devices": [d.model_copy(update={"poll_interval_s": 10.0}) for d in cfg.devices],
            # the archive files are tested elsewhere; here the week's figures
            "reports": cfg.reports.model_copy(update={"archive_formats": []}),
        }
    )
    station = Station(cfg, tmp_path, start=MONDAY_0800)
    sim = station.sim
    # the working totaliser's uint32 register is 25,000 m³ short of its wrap: it rolls over
    # on Wednesday (about 450 m³/h)
    sim.model.set_totalisers(working=2**32 - 25_000.0)
    await station.start()
    truth = [sim.delivered()]  # at each hour's end
    interruption: tuple[float, float] | None = None
    try:
        for hour in range(7 * 24):
            if hour == 30:  # Tuesday 14:10: slam-shut A trips, the operator restores at 14:40
                await station.run(600)
                sim.set_scenario("supply-interruption")
                tripped = station.clock.now_s() + 5  # the scenario trips it 5 s in
                await station.run(1200)
                station.rt.alarms.ack(
                    "SUPPLY-INTERRUPTION", "op1", "slam-shut A reset", station.rt.now_ms()
                )
                await station.run(600)
                sim.set_scenario("normal")
                interruption = (tripped, station.clock.now_s())
                await station.run(1200)
            elif hour == 78:  # Thursday 14:20: the meter is reset to 0
                await station.run(1200)
                sim.model.set_totalisers(standard=0.0)
                await station.run(2400)
            elif hour == 102:  # Friday 14:10–14:30: the flow computer cannot be read
                await station.run(600)
                sim.set_scenario("gateway-lost")
                await station.run(1200)
                sim.set_scenario("normal")
                await station.run(1800)
            else:
                await station.run(HOUR)
            truth.append(sim.delivered())
        # past the last day's due time (08:00 + 10 min), the writer caught up with the clock
        await station.run(15 * 60)
        station.rt.history.wait_idle()
        archive = ReportArchive(station.rt.records)
        deadline = time.monotonic() + 60
        while len(archive.listing("daily")) < 7 or not archive.listing("monthly"):
            assert time.monotonic() < deadline, [r.period for r in archive.listing()]
            await station.run(60)
            await station.rt.reporting_done()
            await asyncio.sleep(0.01)
        journal = station.rt.journal.events(limit=100_000)
        register_end = sim.model.state.totaliser_work
        kept = {kind: archive.listing(kind) for kind in ("shift", "daily", "monthly")}
    finally:
        await station.stop()

    assert interruption is not None
    days = [json.loads(r.content)[0] for r in kept["daily"]]
    shifts = [json.loads(r.content)[0] for r in kept["shift"]]
    assert [d["gas_day"] for d in days] == [f"2025-11-{d}" for d in range(25, 31)] + ["2025-12-01"]
    assert len(shifts) == 14
    assert all(r.version == 1 for k in kept.values() for r in k)  # each made once

    # every hour of the week: the counter volume within 0.1 % of what was metered
    hours = [row for d in days for row in d["rows"]]
    assert len(hours) == 168
    std = [b[0] - a[0] for a, b in itertools.pairwise(truth)]
    work = [b[1] - a[1] for a, b in itertools.pairwise(truth)]
    wrong = [
        (d["label"], i, d["standard_volume"], std[i])
        for i, d in enumerate(hours)
        if not within(d["standard_volume"], std[i])
    ]
    assert not wrong, wrong
    # the working totaliser is a uint32 register of whole m³: an hour is exact to one count
    wrong_work = [
        (i, d["working_volume"], work[i])
        for i, d in enumerate(hours)
        if not (within(d["working_volume"], work[i]) or abs(d["working_volume"] - work[i]) <= 1)
    ]
    assert not wrong_work, wrong_work

    # every day and every shift
    for k, d in enumerate(days):
        assert within(d["standard_volume"], truth[24 * (k + 1)][0] - truth[24 * k][0]), d
    for k, s in enumerate(shifts):
        (run,) = s["runs"]
        assert within(run["standard_volume"], truth[12 * (k + 1)][0] - truth[12 * k][0]), k

    assert register_end < 2**32 - 25_000  # the working register wrapped in the week
    # the reset and the gap are reported, their gas still counted from the counters
    thursday, friday = days[3], days[4]
    assert thursday["meter_resets"] == 1 and days[2]["meter_resets"] == 0
    assert 19 <= friday["gap_minutes"] <= 21
    gap_hour = friday["rows"][6]  # 14:00–15:00
    assert gap_hour["label"] == "14:00" and 19 <= gap_hour["gap_minutes"] <= 21

    # interruption minutes: within a minute of the slam-shut's real time shut, on Tuesday only
    shut = (interruption[1] - interruption[0]) / 60
    tuesday = days[1]
    assert abs(tuesday["interruption_minutes"] - shut) <= 1, (tuesday["interruption_minutes"], shut)
    assert [d["interruption_minutes"] for i, d in enumerate(days) if i != 1] == [0] * 6

    # alarms: each shift lists exactly the journal's raises in it, with who acknowledged
    for s in shifts:
        raised = [
            e.alarm
            for e in journal
            if e.event == "raised" and s["start_ms"] <= e.ts_ms < s["end_ms"]
        ]
        assert [a["alarm"] for a in s["alarms"]] == raised
    tuesday_day = shifts[2]
    supply = next(a for a in tuesday_day["alarms"] if a["alarm"] == "SUPPLY-INTERRUPTION")
    assert supply["acked_by"] == "op1" and supply["comment"] == "slam-shut A reset"
    assert sorted(a["alarm"] for s in shifts for a in s["alarms"]) == sorted(
        ["XS-201A.TRIP", "SUPPLY-INTERRUPTION", "COMM.FC-301"]
    )
    (november,) = json.loads(kept["monthly"][0].content)
    month_raises = [
        e
        for e in journal
        if e.event in ("raised", "reannunciated")
        and november["start_ms"] <= e.ts_ms < november["end_ms"]
    ]
    assert november["alarms"]["raised"] == len(month_raises)
    assert within(november["standard_volume"], truth[24 * 6][0] - truth[0][0])
    assert november["interruption_minutes"] == tuesday["interruption_minutes"]
