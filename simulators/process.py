"""Physical model of the gate station, stepped on a fixed one-second grid.

Stepping on a grid anchored at the start time makes the model deterministic for a seed,
however often or irregularly it is read.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np

from simulators.scenarios import Faults, Scenario, scenario

P_ATM = 0.101325  # MPa
T_BASE = 293.15  # K, Chinese standard conditions 20 °C
OUTLET_SET = 0.35  # MPa(g)
SLAM_SHUT_TRIP = 0.43  # MPa(g)
LINE_PACK = 2000.0  # Nm³ the city network gives up per MPa of outlet pressure
METER_CUTOFF = 20.0  # Nm³/h
REGULATOR_QMAX = 8000.0  # Nm³/h the two regulator runs pass at most
LOCK_UP = 0.025  # MPa a regulator rises above its set point when nothing flows
RUPTURE_FLOW = 20_000.0  # Nm³/h a burst main draws at the outlet set point


def demand_shape(hour: float) -> float:
    """Relative demand 0..1 over the local day: peaks 06–08, 11–13, 17–20 h."""
    peaks = ((7.0, 0.8, 1.0), (12.0, 0.8, 0.8), (18.5, 1.2, 1.0))
    return min(1.0, sum(a * math.exp(-0.5 * ((hour - c) / s) ** 2) for c, s, a in peaks))


def season_factor(day_of_year: int) -> float:
    """1.0 in mid-summer to 1.5 in mid-January (heating)."""
    return 1.0 + 0.25 * (1 + math.cos(2 * math.pi * (day_of_year - 15) / 365.25))


WORK_TOTALISER_WRAP = 2**32
FILTER_FOULING_KPA_PER_DAY = 0.2


@dataclass
class ProcessState:
    t: float
    inlet_pressure: float = 3.2
    inlet_temperature: float = 10.0
    outlet_pressure: float = OUTLET_SET
    standard_flow: float = 2000.0
    filter_dirt_a: float = 6.0
    totaliser_std: float = 12_345_678.0
    totaliser_work: float = 2_712_345.0
    """The working totaliser's register is a uint32: it wraps at 2^32, as a real one does."""
    delivered_std: float = 0.0
    """Standard volume delivered since the model began, never reset or wrapped: the truth
    the report tests hold the service's volumes against (Nm³)."""
    delivered_work: float = 0.0
    odorant_level: float = 76.0
    heartbeat: int = 0
    slam_shut_a_tripped: bool = False
    slam_shut_b_tripped: bool = False
    esd_inlet_open: bool = True
    esd_outlet_open: bool = True
    gas_leak_level: float = 0.0


class GateStationModel:
    STEP_S = 1.0

    def __init__(self, start_s: float, seed: int = 1, timezone: str = "Asia/Shanghai") -> None:
        self.seed = seed
        self.tz = ZoneInfo(timezone)
        self.state = ProcessState(t=math.floor(start_s))
        self._rng = np.random.default_rng(seed)
        self.scenario: Scenario = scenario("normal")
        self.scenario_start = self.state.t
        self.faults = Faults()
        self.step_count = 0
        self.values: dict[str, float] = {}
        self._noise = np.zeros(12)
        self._compute_outputs()

    def set_scenario(self, name: str) -> None:
        self.scenario = scenario(name)
        self.scenario_start = self.state.t
        if name == "normal":  # operators reset the latches and restore the station
            s = self.state
            s.slam_shut_a_tripped = s.slam_shut_b_tripped = False
            s.esd_inlet_open = s.esd_outlet_open = True
            s.gas_leak_level = 0.0
            s.inlet_pressure = max(s.inlet_pressure, 3.0)
        self.faults = self.scenario.faults(0.0)

    def advance_to(self, t: float) -> None:
        while self.state.t + self.STEP_S <= t:
            self._step(self.STEP_S)

    def demand(self, t: float) -> float:
        local = datetime.fromtimestamp(t, tz=UTC).astimezone(self.tz)
        hour = local.hour + local.minute / 60 + local.second / 3600
        return (1000.0 + 2000.0 * demand_shape(hour)) * season_factor(local.timetuple().tm_yday)

    def _step(self, dt: float) -> None:
        s = self.state
        s.t += dt
        self.step_count += 1
        s.heartbeat = (s.heartbeat + 1) % 2**31
        self._noise = self._rng.standard_normal(12)
        f = self.faults = self.scenario.faults(s.t - self.scenario_start)
        hours = dt / 3600

        # Upstream pipeline: slow drift around 3.2 MPa, or collapse on upstream loss.
        drift = 3.25 + 0.35 * math.sin(2 * math.pi * s.t / (3 * 86400))
        target_in = 0.25 if f.upstream_loss else drift
        s.inlet_pressure += (target_in - s.inlet_pressure) * min(
            1.0, dt / (60 if f.upstream_loss else 600)
        )
        local = datetime.fromtimestamp(s.t, tz=UTC).astimezone(self.tz)
        seasonal = 11 + 8 * math.cos(2 * math.pi * (local.timetuple().tm_yday - 220) / 365.25)
        s.inlet_temperature = seasonal + 1.5 * math.sin(2 * math.pi * (local.hour - 9) / 24)

        if f.trip_slam_shut_a:
            s.slam_shut_a_tripped = True
        if f.close_esd_outlet:
            s.esd_outlet_open = False
        demand = 0.0 if f.downstream_closed else self.demand(s.t) + f.extra_demand
        demand += RUPTURE_FLOW if f.downstream_rupture else 0.0
        path_open = s.esd_inlet_open and s.esd_outlet_open and not s.slam_shut_a_tripped
        path_open = path_open and not f.hand_valve_closed
        headroom = s.inlet_pressure - s.outlet_pressure
        supplying = path_open and headroom > 0.05
        consumption = demand * math.sqrt(max(s.outlet_pressure, 0.0) / OUTLET_SET)

        if supplying and f.regulator_a_failed_open:
            # Regulator wide open: outlet pressure heads for the inlet pressure.
            s.outlet_pressure += 0.00035 * headroom * dt
            s.standard_flow = consumption + LINE_PACK * 0.00035 * headroom * 3600
        elif supplying and headroom > 0.5 and consumption > REGULATOR_QMAX:
            # More drawn than the regulators pass: the line pack makes up the rest, falling.
            s.outlet_pressure -= (consumption - REGULATOR_QMAX) * hours / LINE_PACK
            s.standard_flow += (REGULATOR_QMAX - s.standard_flow) * min(1.0, dt / 10)
        elif supplying and headroom > 0.5:
            droop = 0.008 * demand / 4000
            lock_up = LOCK_UP if consumption < METER_CUTOFF else 0.0
            target = OUTLET_SET - f.regulator_set_drop - droop + lock_up
            s.outlet_pressure += (target - s.outlet_pressure) * min(1.0, dt / 5)
            s.standard_flow += (consumption - s.standard_flow) * min(1.0, dt / 10)
        elif supplying:
            # Too little headroom: the regulator, wide open, passes what the inlet gives, never
            # more than its set point.
            target = min(OUTLET_SET, s.inlet_pressure - 0.05)
            s.outlet_pressure += (target - s.outlet_pressure) * min(1.0, dt / 30)
            s.standard_flow += (consumption - s.standard_flow) * min(1.0, dt / 10)
        else:
            s.standard_flow *= math.exp(-dt / 3)
            s.outlet_pressure = max(0.0, s.outlet_pressure - consumption * hours / LINE_PACK)
        if s.standard_flow < METER_CUTOFF and not supplying:
            s.standard_flow = 0.0
        if s.outlet_pressure >= SLAM_SHUT_TRIP:
            s.slam_shut_a_tripped = True

        s.filter_dirt_a += (FILTER_FOULING_KPA_PER_DAY + f.filter_clogging) * hours / 24
        std, work = s.standard_flow * hours, s.standard_flow / self._conversion_factor() * hours
        s.totaliser_std += std
        s.totaliser_work = (s.totaliser_work + work) % WORK_TOTALISER_WRAP
        s.delivered_std += std
        s.delivered_work += work
        s.odorant_level = max(0.0, s.odorant_level - s.standard_flow * hours * 20e-6 / 400 * 100)
        if f.gas_leak_detector:
            s.gas_leak_level = min(58.0, s.gas_leak_level + 0.5 * dt)
        self._compute_outputs()

    def set_totalisers(self, standard: float | None = None, working: float | None = None) -> None:
        """A meter reset or exchange: the registers jump, the gas delivered does not."""
        if standard is not None:
            self.state.totaliser_std = standard
        if working is not None:
            self.state.totaliser_work = working % WORK_TOTALISER_WRAP
        self._compute_outputs()

    def _conversion_factor(self) -> float:
        s = self.state
        t_out = self._temperature_after_regulator() - 0.3
        z = 1 - 0.0045 * (s.outlet_pressure + P_ATM)
        return (s.outlet_pressure + P_ATM) / P_ATM * T_BASE / (t_out + 273.15) * 0.998 / z

    def _temperature_after_regulator(self) -> float:
        s = self.state
        # Joule–Thomson cools ~0.5 °C per bar dropped; the water-bath heater makes up
        # to 25 °C of it back, aiming at 12 °C after the regulator.
        cooled = s.inlet_temperature - 0.5 * (s.inlet_pressure - s.outlet_pressure) * 10
        return cooled + min(25.0, max(0.0, 12.0 + 0.15 * (s.inlet_temperature - 11) - cooled))

    def _compute_outputs(self) -> None:
        s, n = self.state, self._noise
        flowing = s.standard_flow > METER_CUTOFF
        cf = self._conversion_factor()
        t_reg = self._temperature_after_regulator()
        q = s.standard_flow
        gas = [max(0.0, 0.6 + 0.3 * n[7 + i]) for i in range(4)]
        if self.faults.gas_leak_detector or s.gas_leak_level > 0:
            gas[1] = max(gas[1], s.gas_leak_level)
        self.values = {
            "PT-101": s.inlet_pressure + 0.003 * n[0],
            "TT-101": s.inlet_temperature + 0.05 * n[1],
            "PDT-101": (s.filter_dirt_a + 5.0 * (q / 4000) ** 2 + 0.1 * n[2]) if flowing else 0.1,
            "PDT-102": 0.2 + 0.05 * abs(n[3]),
            "PT-201A": (s.outlet_pressure + 0.002 + 0.0005 * n[4])
            if not s.slam_shut_a_tripped
            else s.outlet_pressure,
            "PT-201B": s.outlet_pressure + 0.0005 * n[5],
            "PT-301": s.outlet_pressure + 0.0008 * n[6],
            "TT-301": t_reg - 0.3 + 0.05 * n[1],
            "TT-102": t_reg,
            "AT-401": 20.0 + 0.5 * n[11] if flowing else 0.0,
            "LT-401": s.odorant_level,
            "RUN-ACTIVE": 1.0,
            "PLC-HEARTBEAT": float(s.heartbeat),
            "XV-201A": float(not s.slam_shut_a_tripped),
            "XV-201B": float(not s.slam_shut_b_tripped),
            "XS-201A": float(s.slam_shut_a_tripped),
            "XS-201B": float(s.slam_shut_b_tripped),
            "UPS-BATT": 0.0,
            "MAINS-OK": 1.0,
            "FIRE-ALARM": 0.0,
            "INTRUSION": 0.0,
            "XV-001": float(s.esd_inlet_open),
            "XV-002": float(s.esd_outlet_open),
            "FT-301": q / cf * (1 + 0.002 * n[10]) if flowing else 0.0,
            "FT-301S": q * (1 + 0.002 * n[10]) if flowing else 0.0,
            "FQ-301S": s.totaliser_std,
            "FQ-301": s.totaliser_work,
            "CF-301": cf,
            "GT-01": gas[0],
            "GT-02": gas[1],
            "GT-03": gas[2],
            "GT-04": gas[3],
        }
        if self.faults.chattering:
            phase = int((s.t - self.scenario_start) // 30) % 2
            self.values[self.faults.chattering] = 0.386 if phase == 0 else 0.374
        for tag in self.faults.broken_instruments:
            self.values[tag] = -0.05  # a dead 4–20 mA loop reads below zero (≈ 3.2 mA)
