"""The simulated gate station behaves as DOMAIN.md says a gate station does."""

import itertools
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from simulators.process import GateStationModel, demand_shape
from simulators.scenarios import SCENARIOS, scenario

SHANGHAI = ZoneInfo("Asia/Shanghai")
MIDNIGHT = datetime(2026, 11, 25, 0, 0, tzinfo=SHANGHAI).timestamp()


def run_day(seed: int = 1) -> dict[str, list[float]]:
    m = GateStationModel(MIDNIGHT, seed=seed)
    series: dict[str, list[float]] = {k: [] for k in m.values}
    for minute in range(1, 24 * 60 + 1):
        m.advance_to(MIDNIGHT + minute * 60)
        for k, v in m.values.items():
            series[k].append(float(v))
    return series


@pytest.fixture(scope="module")
def day() -> dict[str, list[float]]:
    return run_day()


def test_normal_day_stays_in_domain_ranges(day: dict[str, list[float]]) -> None:
    assert all(2.5 <= v <= 4.0 for v in day["PT-101"])
    assert all(0.33 <= v <= 0.37 for v in day["PT-301"])
    assert all(5 <= v <= 20 for v in day["TT-301"])
    assert all(v >= 5 for v in day["TT-102"])
    assert all(v <= 20 for v in day["PDT-101"])
    assert all(0 <= v <= 2 for g in ("GT-01", "GT-02", "GT-03", "GT-04") for v in day[g])
    assert all(15 <= v <= 30 for v in day["AT-401"])
    assert all(v == 1.0 for v in day["XV-201A"]) and all(v == 0.0 for v in day["XS-201A"])
    cf = day["CF-301"]
    assert all(4.2 <= v <= 4.9 for v in cf)  # ≈ 4.5 at 0.35 MPa(g)


def test_demand_has_morning_noon_and_evening_peaks(day: dict[str, list[float]]) -> None:
    flow = day["FT-301S"]
    hourly = [sum(flow[h * 60 : (h + 1) * 60]) / 60 for h in range(24)]
    night = hourly[3]
    for peak_hour in (7, 12, 18):
        assert hourly[peak_hour] > 1.8 * night
    assert min(hourly) == pytest.approx(min(hourly[0:5]))
    assert 1000 <= night <= 3000 * 1.6 and max(hourly) <= 3000 * 1.6
    assert demand_shape(7.0) == pytest.approx(1.0)


def test_totalisers_integrate_flow(day: dict[str, list[float]]) -> None:
    std = day["FQ-301S"]
    assert all(b >= a for a, b in itertools.pairwise(std))
    delivered = std[-1] - std[0]
    mean_flow = sum(day["FT-301S"]) / len(day["FT-301S"])
    assert delivered == pytest.approx(mean_flow * 24 * 1439 / 1440, rel=0.01)
    work = day["FQ-301"][-1] - day["FQ-301"][0]
    assert delivered / work == pytest.approx(sum(day["CF-301"]) / len(day["CF-301"]), rel=0.01)


def test_same_seed_same_day_whatever_the_read_pattern() -> None:
    a = GateStationModel(MIDNIGHT, seed=5)
    b = GateStationModel(MIDNIGHT, seed=5)
    a.advance_to(MIDNIGHT + 3600)
    for t in range(0, 3601, 7):  # irregular reads
        b.advance_to(MIDNIGHT + t + 0.37)
    b.advance_to(MIDNIGHT + 3600)
    assert a.values == b.values
    c = GateStationModel(MIDNIGHT, seed=6)
    c.advance_to(MIDNIGHT + 3600)
    assert c.values["PT-301"] != a.values["PT-301"]


def run_scenario(name: str, seconds: int) -> GateStationModel:
    m = GateStationModel(MIDNIGHT + 10 * 3600, seed=1)
    m.advance_to(m.state.t + 60)
    m.set_scenario(name)
    m.advance_to(m.state.t + seconds)
    return m


def test_supply_interruption_trips_slam_shut_and_flow_falls_to_zero() -> None:
    m = run_scenario("supply-interruption", 120)
    assert m.values["XS-201A"] == 1.0 and m.values["XV-201A"] == 0.0
    assert m.values["FT-301S"] == 0.0
    assert m.values["PT-301"] < 0.35


def test_overpressure_climbs_then_slam_shut_latches() -> None:
    m = GateStationModel(MIDNIGHT + 10 * 3600, seed=1)
    m.set_scenario("overpressure")
    peak, tripped_at = 0.0, None
    for s in range(1, 600):
        m.advance_to(m.state.t + 1)
        peak = max(peak, m.values["PT-301"])
        if tripped_at is None and m.values["XS-201A"] == 1.0:
            tripped_at = s
    assert peak >= 0.42 and tripped_at is not None
    assert m.values["FT-301S"] == 0.0 and m.values["XS-201A"] == 1.0  # latched
    m.set_scenario("normal")  # operator resets the slam-shut
    m.advance_to(m.state.t + 120)
    assert m.values["XS-201A"] == 0.0 and m.values["FT-301S"] > 500


def test_upstream_loss_and_gas_leak() -> None:
    m = run_scenario("upstream-loss", 900)
    assert m.values["PT-101"] < 1.0 and m.values["FT-301S"] == 0.0
    g = run_scenario("gas-leak", 200)
    assert g.values["GT-02"] > 50 and g.values["GT-01"] < 5


def test_plc_silent_is_a_device_fault_not_a_process_change() -> None:
    m = run_scenario("plc-silent", 30)
    assert m.faults.silent_devices == {"PLC-1"}
    assert 0.33 < m.values["PT-301"] < 0.37


def test_unknown_scenario_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match="known: normal, supply-interruption"):
        scenario("earthquake")
    assert {"normal", "supply-interruption", "overpressure", "plc-silent"} <= set(SCENARIOS)
