"""The FastAPI application factory: no globals, everything from the runtime it is given."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from station import __version__
from station.api import (
    access,
    guards,
    routes_alarms,
    routes_audit,
    routes_auth,
    routes_duty,
    routes_history,
    routes_live,
    routes_reports,
    routes_safety,
    routes_stream,
)
from station.api.bounded import BoundedWork
from station.api.live_snapshot import LiveSnapshot
from station.metrics import registry_for
from station.runtime import StationRuntime

STATIC = Path(__file__).parent / "static"
FONTS = Path(__file__).parent / "assets" / "node_modules" / "@fontsource" / "noto-sans-sc"
"""Noto Sans SC as web fonts, from npm (`npm ci --prefix station/api/assets`): the station
LAN is closed, and a workstation without Chinese fonts still shows the page right."""


def create_app(runtime: StationRuntime, extra_routers: list[APIRouter] | None = None) -> FastAPI:
    """`extra_routers` follow the same access rules: each route guarded, role-bound or
    marked public, or the app refuses to start."""
    app = FastAPI(
        title=f"Gate station {runtime.config.station.id}",
        description="City-gate station monitoring: live values, history, alarms, reports.",
        version=__version__,
    )
    app.state.runtime = runtime
    # Argon2id takes 64 MiB a hash: two at a time keeps a burst of logins flat in memory
    app.state.hashing = BoundedWork(2, 32, "too many logins at once")
    # a year of KPIs or a week of raw history: one at a time, so reads of live values and
    # alarms keep the interpreter
    app.state.heavy = BoundedWork(1, 64, "too many history and KPI queries at once")
    snapshot = LiveSnapshot(
        runtime.live, {t for t, (_, tag) in runtime.tags.items() if tag.is_discrete}, runtime.clock
    )
    app.state.live_snapshot = snapshot
    guards.install(app)
    registry = registry_for(runtime)
    pages = APIRouter(include_in_schema=False)
    metrics_router = access.guarded_router(tags=["health"])

    @metrics_router.get("/metrics", response_class=PlainTextResponse)
    def metrics(request: Request) -> PlainTextResponse:
        """Prometheus text exposition (with `api.open_read: false`, send the scrape token)."""
        return PlainTextResponse(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    @pages.get("/")
    @access.public
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")

    routers = [
        routes_auth.router,
        routes_live.router,
        routes_history.router,
        routes_alarms.router,
        routes_audit.router,
        routes_reports.router,
        routes_duty.router,
        routes_safety.router,
        routes_stream.router,
        metrics_router,
        pages,
        *(extra_routers or []),
    ]
    app.state.access_rules = access.check_routes(app, routers)
    for router in routers:
        app.include_router(router, responses=guards.EVERY_ROUTE)
    # the page's own code and styles, and the fonts: no data, open like the login page
    if FONTS.is_dir():
        app.mount("/static/fonts", StaticFiles(directory=FONTS), name="fonts")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    # after the live cache, on the core's loop: the API then only reads finished bytes
    runtime.bus.subscribe("live-snapshot", snapshot.accept)
    return app
