"""`station demo` only: the simulated station's scenario, switched by a logged-in operator and
audited like any action (anyone on the LAN could otherwise trip the demo station)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request

from simulators.control import ScenarioIn, SimulatorOut, simulator_state
from simulators.station_sim import StationSimulator
from station.api.access import RoleRequired, client_address, guarded_router, runtime_of
from station.users import Role, User


def demo_router(sim: StationSimulator) -> APIRouter:
    router = guarded_router(prefix="/api/simulator", tags=["simulator"])

    @router.get("", response_model=SimulatorOut)
    async def get_simulator(request: Request) -> SimulatorOut:
        return await runtime_of(request).call(simulator_state, sim)

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
        request: Request,
        body: ScenarioIn,
        user: Annotated[User, Depends(RoleRequired(Role.operator, "demo.scenario"))],
    ) -> SimulatorOut:
        rt = runtime_of(request)
        old = sim.scenario
        try:
            await rt.call(sim.set_scenario, body.name)
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from None
        rt.audit.append(
            rt.now_ms(),
            user.username,
            "demo.scenario",
            "ok",
            role=user.role.name,
            address=client_address(request),
            old=old,
            new=body.name,
        )
        return await rt.call(simulator_state, sim)

    return router
