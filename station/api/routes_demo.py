"""`station demo` only: the simulated station's scenario, switched by a logged-in operator and
audited like any action (anyone on the LAN could otherwise trip the demo station)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException

from simulators.control import ScenarioIn, SimulatorOut, simulator_state
from simulators.station_sim import StationSimulator
from station.api.access import guarded_router
from station.api.deps import Actor, Door, acting
from station.users import Role


def demo_router(sim: StationSimulator) -> APIRouter:
    router = guarded_router(prefix="/api/simulator", tags=["simulator"])

    @router.get("", response_model=SimulatorOut)
    async def get_simulator(door: Door) -> SimulatorOut:
        return await door.call(simulator_state, sim)

    @router.put(
        "/scenario",
        response_model=SimulatorOut,
        responses={
            400: {"description": "unknown scenario"},
            401: {"description": "not logged in"},
            403: {"description": "role too low"},
        },
    )
    async def put_scenario(
        door: Door,
        body: ScenarioIn,
        actor: Annotated[Actor, acting(Role.operator, "demo.scenario")],
    ) -> SimulatorOut:
        old = sim.scenario
        try:
            await door.call(sim.set_scenario, body.name)
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from None
        actor.ok(None, old=old, new=body.name)
        return await door.call(simulator_state, sim)

    return router
