"""Named fault scenarios: what breaks, and when, after the scenario starts."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Faults:
    """What is wrong in the station right now; the process model obeys it each step."""

    regulator_a_failed_open: bool = False
    trip_slam_shut_a: bool = False
    upstream_loss: bool = False
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
