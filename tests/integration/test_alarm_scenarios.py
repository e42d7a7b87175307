"""Each simulator scenario and the exact alarms it raises, over real sockets, on a clock the
test steps (a simulated hour takes seconds, and the outcome does not depend on machine speed)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from station.alarms.kpi import alarm_kpi
from tests.harness.config import example_station, without_rounds
from tests.harness.station import Station

pytestmark = pytest.mark.integration


@pytest.fixture
async def station(tmp_path: Path) -> AsyncIterator[Station]:
    s = Station(example_station(), tmp_path)
    await s.start()
    await s.run(30)  # settle
    yield s
    await s.stop()


async def test_normal_day_raises_no_alarm(tmp_path: Path) -> None:
    cfg = without_rounds(example_station())
    # a whole day: 10 s polls keep it to ~9,000 rounds over real sockets
    cfg = cfg.model_copy(
        update={"devices": [d.model_copy(update={"poll_interval_s": 10.0}) for d in cfg.devices]}
    )
    s = Station(cfg, tmp_path)
    await s.start()
    try:
        await s.run(86_400)
        assert s.rt.journal.events() == []
        assert s.rt.alarms.evaluations > 100_000
    finally:
        await s.stop()


async def test_supply_interruption(station: Station) -> None:
    station.sim.set_scenario("supply-interruption")
    await station.run(600)
    assert station.raised() == ["XS-201A.TRIP", "SUPPLY-INTERRUPTION"]
    assert station.rt.alarms.status["SUPPLY-INTERRUPTION"].cause == "slam_shut"
    assert "切断阀跳闸" in station.rt.alarms.status["SUPPLY-INTERRUPTION"].text_zh
    # the consequences were there, and suppressed by design rather than annunciated
    assert {"AT-401.L", "PT-301.L", "PT-301.LL"} <= set(station.events("raised_hidden"))


async def test_overpressure_then_slam_shut(station: Station) -> None:
    station.sim.set_scenario("overpressure")
    await station.run(600)
    assert station.raised() == [
        "FT-301S.H",
        "PT-301.H",
        "PT-301.HH",
        "XS-201A.TRIP",
        "SUPPLY-INTERRUPTION",
    ]
    assert station.rt.alarms.status["SUPPLY-INTERRUPTION"].cause == "regulator_failed_open"
    assert station.rt.alarms.status["XS-201A.TRIP"].latched is False  # still active: tripped
    assert {"PT-301.H", "PT-301.HH"} <= set(station.events("cleared"))  # pressure fell back


async def test_upstream_loss(station: Station) -> None:
    station.sim.set_scenario("upstream-loss")
    await station.run(900)
    # inlet low, low-low; the odorant dose stops with the flow; after 2 minutes without
    # flow through open valves: supply interruption, named upstream loss
    assert station.raised() == ["PT-101.L", "PT-101.LL", "AT-401.L", "SUPPLY-INTERRUPTION"]
    assert station.rt.alarms.status["SUPPLY-INTERRUPTION"].cause == "upstream_loss"
    assert "上游来气中断" in station.rt.alarms.status["SUPPLY-INTERRUPTION"].text_zh


# The five other causes of a supply interruption, each from the pattern a real station shows;
# the reports count interruption minutes from this alarm, so each must stand once, unbroken.
INTERRUPTIONS = {
    "esd-closed": (
        ["XV-002.CLOSED", "SUPPLY-INTERRUPTION"],
        "esd_closed",
        "紧急切断阀关闭",
    ),
    # the dose stops with the flow (60 s on-delay) before the 2-minute low-flow rule
    "downstream-closed": (
        ["AT-401.L", "SUPPLY-INTERRUPTION"],
        "downstream_closed",
        "下游阀门关闭",
    ),
    # the working flow runs over its transmitter's span while the city main empties
    "downstream-rupture": (
        ["PT-301.FALLING", "FT-301S.H", "PT-301.L", "SUPPLY-INTERRUPTION", "BAD.FT-301"],
        "downstream_rupture",
        "下游管道破裂",
    ),
    "regulator-failing-closed": (
        ["PT-301.L", "SUPPLY-INTERRUPTION"],
        "outlet_ll_falling",
        "出站压力低低且持续下降",
    ),
    "hand-valve-closed": (
        ["AT-401.L", "SUPPLY-INTERRUPTION"],
        "no_flow",
        "阀门开启但无流量",
    ),
}


@pytest.mark.parametrize("name", list(INTERRUPTIONS))
async def test_each_cause_of_supply_interruption(station: Station, name: str) -> None:
    raised, cause, zh = INTERRUPTIONS[name]
    station.sim.set_scenario(name)
    await station.run(900)
    assert station.raised() == raised
    supply = station.rt.alarms.status["SUPPLY-INTERRUPTION"]
    assert supply.active and supply.cause == cause
    assert zh in (supply.text_zh or "")
    assert "SUPPLY-INTERRUPTION" not in station.events("cleared")  # one unbroken interruption
    # consequences below the first cause are kept from the operator's banner
    assert "PT-301.LL" not in station.raised()


async def test_supply_restored_clears_the_interruption_once(station: Station) -> None:
    """Outlet pressure that settles under LL holds the interruption; it ends when the pressure
    is back past LL + deadband, once (the minutes the reports count start and stop here)."""
    station.sim.set_scenario("downstream-rupture")
    await station.run(600)
    assert station.rt.alarms.status["SUPPLY-INTERRUPTION"].active
    station.sim.set_scenario("normal")
    await station.run(300)
    assert station.events("cleared").count("SUPPLY-INTERRUPTION") == 1
    assert station.raised().count("SUPPLY-INTERRUPTION") == 1
    assert not station.rt.alarms.status["SUPPLY-INTERRUPTION"].active


async def test_gas_leak_latches_at_high_high(station: Station) -> None:
    station.sim.set_scenario("gas-leak")
    await station.run(300)
    assert station.raised() == ["GT-02.H", "GT-02.HH"]
    station.sim.set_scenario("normal")  # the leak is fixed, the detector reads zero again
    await station.run(60)
    st = station.rt.alarms.status["GT-02.HH"]
    assert st.state.value == "latched"
    station.rt.alarms.ack("GT-02.HH", "op", None, station.rt.now_ms())
    station.rt.alarms.reset("GT-02.HH", "op", "leak repaired", station.rt.now_ms())
    assert station.rt.alarms.status["GT-02.HH"].state.value == "normal"


async def test_plc_silent_raises_only_communication_loss(tmp_path: Path) -> None:
    cfg = example_station()
    # each silent poll costs the PLC's timeout in wall time: keep that one short; the others
    # keep theirs, so a loaded machine's hiccup cannot pass for their communication loss
    cfg = cfg.model_copy(
        update={
            "devices": [
                d.model_copy(update={"timeout_s": 0.1}) if d.id == "PLC-1" else d
                for d in cfg.devices
            ]
        }
    )
    station = Station(cfg, tmp_path)
    await station.start()
    try:
        await station.run(30)
        station.sim.set_scenario("plc-silent")
        await station.run(180)  # long past every on-delay: nothing but the comm alarm
        assert station.raised() == ["COMM.PLC-1"]
        station.sim.set_scenario("normal")
        # the bus backs off its reconnects in wall time (a real network's time, up to 10 s:
        # on a loaded machine a connect to the silent PLC can time out), while this clock
        # steps as fast as the polls come: give the reconnect the wall time it waits for
        for _ in range(120):
            await station.run(1)
            if station.events("cleared"):
                break
            await asyncio.sleep(0.1)
        assert station.events("cleared") == ["COMM.PLC-1"]
        assert station.raised() == ["COMM.PLC-1"]  # and nothing else on the way back
    finally:
        await station.stop()


async def test_gateway_lost_is_one_communication_alarm_on_a_strict_station(
    tmp_path: Path,
) -> None:
    """Every Modbus device refuses reads over unmapped registers (the example's reads are cut
    where needed and every tag stays good); then the flow computer's gateway loses it: 0B."""
    station = Station(example_station(), tmp_path)
    for server in station.sim.servers:
        for device in server.devices:
            device.behaviour.strict_map = True
    await station.start()
    try:
        await station.run(30)
        assert station.raised() == []
        assert all(d.stats.delivering and d.stats.last_error is None for d in station.rt.devices)
        station.sim.set_scenario("gateway-lost")
        await station.run(180)
        assert station.raised() == ["COMM.FC-301"]
        fc = next(d for d in station.rt.devices if d.device.id == "FC-301")
        assert fc.stats.state == "down" and fc.stats.last_error is not None
        assert "exception 0B" in fc.stats.last_error
        station.sim.set_scenario("normal")
        await station.run(30)
        assert station.events("cleared") == ["COMM.FC-301"]
    finally:
        await station.stop()


async def test_chattering_transmitter_deadband_then_management_of_change(station: Station) -> None:
    station.sim.set_scenario("chattering-transmitter")
    await station.run(600)
    assert station.raised() == ["PT-301.H"]  # the 0.02 MPa deadband holds it: one alarm
    t0 = station.rt.now_ms()
    station.rt.alarms.change_rule(
        "PT-301.H", {"deadband": 0.0, "on_delay_s": 0.0, "off_delay_s": 0.0}, "master", "trial", t0
    )
    await station.run(600)
    now = station.rt.now_ms()
    events = station.rt.journal.events(start_ms=t0)
    raises = [e for e in events if e.alarm == "PT-301.H" and e.event == "raised"]
    assert len(raises) >= 9  # once a minute without deadband
    kpi = alarm_kpi(events, t0, now, {}, now)
    assert kpi.top10[0][0] == "PT-301.H" and kpi.max_in_10_min >= 9
