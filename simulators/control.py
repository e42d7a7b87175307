"""HTTP control of a running simulator: read and switch the scenario."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from simulators.scenarios import SCENARIOS
from simulators.station_sim import StationSimulator


class ScenarioIn(BaseModel):
    name: str = Field(max_length=64)


class SimulatorOut(BaseModel):
    scenario: str
    scenarios: dict[str, str]
    model_time_s: float
    endpoints: dict[str, str]
    """Per Modbus TCP device: host:port."""


def simulator_state(sim: StationSimulator) -> SimulatorOut:
    return SimulatorOut(
        scenario=sim.scenario,
        scenarios={n: s.description for n, s in SCENARIOS.items()},
        model_time_s=sim.model.state.t,
        endpoints={d: f"{host}:{port}" for d, (host, port) in sim.endpoints().items()},
    )


def control_router(sim: StationSimulator) -> APIRouter:
    """For `station simulate --control-port`, which listens on loopback unless told otherwise:
    no login (the simulator has no users). The demo's service guards its own (routes_demo)."""
    router = APIRouter(prefix="/api/simulator", tags=["simulator"])

    def state() -> SimulatorOut:
        return simulator_state(sim)

    @router.get("", response_model=SimulatorOut)
    def get_simulator() -> SimulatorOut:
        return state()

    @router.put(
        "/scenario", response_model=SimulatorOut, responses={400: {"description": "unknown"}}
    )
    def put_scenario(body: ScenarioIn) -> SimulatorOut:
        try:
            sim.set_scenario(body.name)
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from None
        return state()

    return router
