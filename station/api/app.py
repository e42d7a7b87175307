"""The FastAPI application factory: no globals, everything from the runtime it is given."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from station.api import guards, routes_alarms, routes_history, routes_live
from station.metrics import registry_for
from station.runtime import StationRuntime

STATIC = Path(__file__).parent / "static"


def create_app(runtime: StationRuntime, extra_routers: list[APIRouter] | None = None) -> FastAPI:
    app = FastAPI(
        title=f"Gate station {runtime.config.station.id}",
        description="City-gate station monitoring: live values, history, alarms.",
        version="0.1.0",
    )
    app.state.runtime = runtime
    guards.install(app)
    app.include_router(routes_live.router)
    app.include_router(routes_history.router)
    app.include_router(routes_alarms.router)
    for router in extra_routers or []:
        app.include_router(router)

    registry = registry_for(runtime)

    @app.get("/metrics", include_in_schema=True, tags=["health"], response_class=PlainTextResponse)
    def metrics() -> PlainTextResponse:
        """Prometheus text exposition."""
        return PlainTextResponse(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")

    return app
