"""HTTP control of a running simulator: read and switch the scenario."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel

from simulators.scenarios import SCENARIOS
from simulators.station_sim import StationSimulator


class ScenarioIn(BaseModel):
    name: str


class SimulatorOut(BaseModel):
    scenario: str
    scenarios: dict[str, str]
    model_time_s: float
    endpoints: dict[str, tuple[str, int]]


def control_router(sim: StationSimulator) -> APIRouter:
    router = APIRouter(prefix="/api/simulator", tags=["simulator"])

    def state() -> SimulatorOut:
        return SimulatorOut(
            scenario=sim.scenario,
            scenarios={n: s.description for n, s in SCENARIOS.items()},
            model_time_s=sim.model.state.t,
            endpoints=sim.endpoints(),
        )

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
