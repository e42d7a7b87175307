"""Named fault scenarios: what breaks, and when, after the scenario starts."""

from __future__ import annotations

from dataclasses import dataclass, field

FILTER_CLOGGING_KPA_PER_DAY = 6.0


@dataclass
class Faults:
    """What is wrong in the station right now; the process model obeys it each step."""

    regulator_a_failed_open: bool = False
    trip_slam_shut_a: bool = False
    upstream_loss: bool = False
    close_esd_outlet: bool = False
    downstream_closed: bool = False
    """A valve in the city network shuts: consumption stops, the regulator locks up."""
    downstream_rupture: bool = False
    """A main bursts downstream: it draws more than the regulators can pass."""
    regulator_set_drop: float = 0.0
    """MPa the active regulator's pilot has drifted below its set point (failing closed)."""
    hand_valve_closed: bool = False
    """An isolation valve in the metering run, with no position switch, is shut."""
    extra_demand: float = 0.0
    """Nm³/h drawn on top of the city's usual demand."""
    filter_clogging: float = 0.0
    """kPa a day filter A's ΔP rises by on top of its slow fouling (dirty gas)."""
    gas_leak_detector: str | None = None
    silent_devices: set[str] = field(default_factory=set)
    unreachable_devices: set[str] = field(default_factory=set)
    """Behind a gateway that lost them: the gateway answers exception 0B for them."""
    broken_instruments: set[str] = field(default_factory=set)
    chattering: str | None = None


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str

    def faults(self, elapsed_s: float) -> Faults:
        f = Faults()
        if self.name == "supply-interruption" and elapsed_s >= 5:
            f.trip_slam_shut_a = True
        elif self.name == "overpressure" and elapsed_s >= 5:
            f.regulator_a_failed_open = True
        elif self.name == "plc-silent":
            f.silent_devices = {"PLC-1"}
        elif self.name == "gateway-lost":
            f.unreachable_devices = {"FC-301"}
        elif self.name == "upstream-loss" and elapsed_s >= 5:
            f.upstream_loss = True
        elif self.name == "esd-closed" and elapsed_s >= 5:
            f.close_esd_outlet = True
        elif self.name == "downstream-closed" and elapsed_s >= 5:
            f.downstream_closed = True
        elif self.name == "downstream-rupture" and elapsed_s >= 5:
            f.downstream_rupture = True
        elif self.name == "regulator-failing-closed" and elapsed_s >= 5:
            f.regulator_set_drop = min(0.3, 0.01 * (elapsed_s - 5) / 60)
        elif self.name == "hand-valve-closed" and elapsed_s >= 5:
            f.hand_valve_closed = True
        elif self.name == "large-consumer" and elapsed_s >= 5:
            f.extra_demand = 2500.0
        elif self.name == "filter-clogging":
            f.filter_clogging = FILTER_CLOGGING_KPA_PER_DAY
        elif self.name == "gas-leak" and elapsed_s >= 5:
            f.gas_leak_detector = "GT-02"
        elif self.name == "instrument-fault" and elapsed_s >= 5:
            f.broken_instruments = {"PT-301"}
        elif self.name == "chattering-transmitter":
            f.chattering = "PT-301"
        return f


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("normal", "normal operation; latched trips are reset"),
        Scenario("supply-interruption", "slam-shut A trips 5 s in; outlet flow falls to zero"),
        Scenario(
            "overpressure",
            "regulator A fails open 5 s in; outlet pressure climbs until slam-shut A trips",
        ),
        Scenario("plc-silent", "the station PLC stops answering (connections stay open)"),
        Scenario(
            "gateway-lost",
            "the flow computer's gateway loses it: exception 0B (target failed to respond)",
        ),
        Scenario("upstream-loss", "pipeline pressure collapses 5 s in; supply stops"),
        Scenario("esd-closed", "the outlet emergency shut-off XV-002 closes 5 s in"),
        Scenario(
            "downstream-closed",
            "a valve in the city network closes 5 s in: flow stops, the regulator locks up",
        ),
        Scenario(
            "downstream-rupture",
            "a city main bursts 5 s in: flow surges to the regulators' capacity, outlet "
            "pressure collapses",
        ),
        Scenario(
            "regulator-failing-closed",
            "regulator A's pilot drifts closed from 5 s in: outlet pressure sinks 0.01 MPa/min",
        ),
        Scenario(
            "hand-valve-closed",
            "a hand valve in the metering run (no position switch) is shut 5 s in: no flow "
            "with every monitored valve open",
        ),
        Scenario(
            "large-consumer",
            "an industrial customer starts drawing 2,500 Nm³/h more 5 s in (demand far off the "
            "same hour last week)",
        ),
        Scenario(
            "filter-clogging",
            f"dirty gas: filter A's ΔP rises {FILTER_CLOGGING_KPA_PER_DAY:g} kPa a day more "
            "than its slow fouling",
        ),
        Scenario("gas-leak", "gas detector GT-02 rises to 30 %LEL, then past 50 %LEL"),
        Scenario(
            "instrument-fault",
            "outlet pressure transmitter PT-301 fails 5 s in: its loop drops below 3.6 mA "
            "(Modbus reads under range; OPC UA reports BadSensorFailure)",
        ),
        Scenario(
            "chattering-transmitter",
            "PT-301 hunts around its high limit: 0.386 and 0.374 MPa, 30 s each",
        ),
    )
}


def scenario(name: str) -> Scenario:
    try:
        return SCENARIOS[name]
    except KeyError:
        raise ValueError(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}") from None
