"""Security and limits over real HTTP: reads behind a login, throttled guessing, bounded
hashing, capped and rate-limited refusals, forwarding headers only from configured proxies, the
demo's scenario switch, and every route's access rule from the app's own route table."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import APIRouter

from station.api import create_app
from station.api.routes_demo import demo_router
from station.api.server import StationServer
from station.users import Role
from tests.harness.config import example_station, free_port
from tests.harness.http import login
from tests.harness.station import Station

pytestmark = pytest.mark.integration
SCRAPE = "scrape-token-0123456789abcdef"
PROXY = "127.0.0.1"


class Site:
    def __init__(self, station: Station, base: str) -> None:
        self.station = station
        self.rt = station.rt
        self.http = httpx.AsyncClient(base_url=base, timeout=30)

    async def login(self, user: str, address: str = "10.0.0.5") -> dict[str, str]:
        return await login(self.http, user, headers={"X-Forwarded-For": address})

    def audit(self, action: str | None = None) -> list[Any]:
        return [e for e in self.rt.audit.entries(100_000) if action in (None, e.action)]


async def start_server(
    app: Any, trusted: list[str]
) -> tuple[StationServer, asyncio.Task[None], int]:
    port = free_port()
    server = StationServer(app, "127.0.0.1", port, trusted)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    return server, task, port


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    """The example station with `open_read: false` and a scrape token, behind a proxy at
    127.0.0.1 (so a test names the client's address in X-Forwarded-For)."""
    cfg = example_station()
    cfg = cfg.model_copy(
        update={
            "api": cfg.api.model_copy(
                update={"open_read": False, "scrape_token": SCRAPE, "trusted_proxies": [PROXY]}
            )
        }
    )
    station = Station(cfg, tmp_path, core_thread=True)
    now = station.rt.now_ms()
    for name, role in (("op", Role.operator), ("master", Role.station_master)):
        station.rt.users.add(name, f"{name}-pass-1", role, None, now)
    await station.start()
    await station.run(5)
    app = create_app(station.rt, extra_routers=[demo_router(station.sim)])
    server, task, port = await start_server(app, [PROXY])
    s = Site(station, f"http://127.0.0.1:{port}")
    yield s
    await s.http.aclose()
    server.should_exit = True
    await task
    await station.stop()


async def test_reads_need_a_login_or_the_scrape_token_when_open_read_is_off(site: Site) -> None:
    reads = ["/api/live", "/api/tags", "/api/alarms", "/healthz", "/metrics", "/api/station"]
    for path in reads:
        r = await site.http.get(path)
        assert r.status_code == 401, path
        assert r.headers["www-authenticate"] == "Bearer"
    async with site.http.stream("GET", "/api/alarms/stream") as stream:
        assert stream.status_code == 401
    wrong = {"Authorization": "Bearer scrape-token-0123456789abcdeX"}
    assert (await site.http.get("/metrics", headers=wrong)).status_code == 401
    scrape = {"Authorization": f"Bearer {SCRAPE}"}
    r = await site.http.get("/metrics", headers=scrape)
    assert r.status_code == 200 and "gate_station_polls_total" in r.text
    # the scrape token reads; it does not act
    r = await site.http.post("/api/alarms/ack", json={"ids": ["GT-02.H"]}, headers=scrape)
    assert r.status_code == 401
    op = await site.login("op")
    for path in reads:
        assert (await site.http.get(path, headers=op)).status_code == 200, path
    assert (await site.http.get("/")).status_code == 200  # the page itself is public
    refused = [e for e in site.audit() if e.result == "denied: not logged in"]
    assert {e.action for e in refused} >= {"read /api/live", "read /metrics", "alarm.ack"}


async def test_openapi_declares_the_bearer_scheme_on_every_guarded_route(site: Site) -> None:
    spec = (await site.http.get("/openapi.json")).json()
    assert spec["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": spec["components"]["securitySchemes"]["bearer"]["description"],
    }
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if path == "/api/login":
                assert "security" not in op
            else:
                assert op.get("security") == [{"bearer": []}], (method, path)


async def test_password_guessing_is_throttled_and_the_real_user_still_logs_in(site: Site) -> None:
    await site.login("op", "10.0.0.5")  # the operator's console, known from before
    attacker = {"X-Forwarded-For": "10.0.0.66"}
    statuses = []
    for i in range(30):
        r = await site.http.post(
            "/api/login", json={"username": "op", "password": f"guess-{i}"}, headers=attacker
        )
        statuses.append(r.status_code)
        if r.status_code == 429:
            assert int(r.headers["retry-after"]) >= 1 and "try again in" in r.json()["detail"]
    assert statuses[:5] == [401] * 5  # five free mistakes, then the lock
    assert statuses[5:] == [429] * 25  # answered at once, without hashing a password
    # a second stranger guessing the same account: the account's share runs out at ten
    second = {"X-Forwarded-For": "10.0.0.67"}
    for i in range(6):
        r = await site.http.post(
            "/api/login", json={"username": "op", "password": f"again-{i}"}, headers=second
        )
        assert r.status_code == (401 if i < 5 else 429), i
    # the real user at the console is not locked out by the attackers
    await site.login("op", "10.0.0.5")
    # a third stranger is slowed at once
    r = await site.http.post(
        "/api/login",
        json={"username": "op", "password": "x"},
        headers={"X-Forwarded-For": "10.0.0.77"},
    )
    assert r.status_code == 429
    logins = site.audit("login")
    assert sum(e.result == "denied: wrong user name or password" for e in logins) == 10
    throttled = [e for e in logins if "too many failed logins" in e.result]
    assert len(throttled) == 27
    assert {e.address for e in throttled} == {"10.0.0.66", "10.0.0.67", "10.0.0.77"}
    assert all(e.user == "op" for e in throttled)


async def test_a_burst_of_logins_hashes_two_at_a_time(site: Site) -> None:
    peak_running = 0
    running = 0
    lock = threading.Lock()
    authenticate = site.rt.users.authenticate

    def counted(username: str, password: str) -> Any:
        nonlocal running, peak_running
        with lock:
            running += 1
            peak_running = max(peak_running, running)
        try:
            return authenticate(username, password)
        finally:
            with lock:
                running -= 1

    site.rt.users.authenticate = counted  # type: ignore[method-assign]

    async def one(i: int) -> int:
        r = await site.http.post(
            "/api/login",
            json={"username": "op", "password": f"wrong-{i}"},
            headers={"X-Forwarded-For": f"10.1.0.{i}"},
        )
        return r.status_code

    codes = await asyncio.gather(*(one(i) for i in range(40)))
    assert peak_running == 2  # Argon2's 64 MiB twice, not forty times
    assert set(codes) <= {401, 503} and codes.count(401) >= 34  # 2 hashing + 32 waiting


async def test_refusals_are_capped_and_rate_limited_per_address(site: Site) -> None:
    long_id = "X" * 5000
    r = await site.http.post(
        f"/api/alarms/{long_id}/shelve",
        json={"reason": "just looking"},
        headers={"X-Forwarded-For": "10.9.9.9"},
    )
    assert r.status_code == 401
    entry = site.audit("alarm.shelve")[-1]
    assert entry.object is not None and len(entry.object) < 1100
    assert entry.object.endswith("[cut: 5000 characters]")
    before = len(site.audit())
    for _ in range(100):
        r = await site.http.post(
            "/api/alarms/ack",
            json={"ids": ["GT-02.H"]},
            headers={"X-Forwarded-For": "10.6.6.6"},
        )
        assert r.status_code == 401
    assert len(site.audit()) - before == 30  # one address's share of a minute
    await site.station.run(61)
    held = site.audit("audit.refusals_held")
    assert len(held) == 1 and held[0].address == "10.6.6.6"
    assert json.loads(held[0].new or "{}")["held"] == 70


async def test_forwarded_for_is_believed_only_from_a_configured_proxy(
    site: Site, tmp_path: Path
) -> None:
    # through the configured proxy (127.0.0.1): the named client is recorded
    await site.login("op", "10.0.0.42")
    assert site.audit("login")[-1].address == "10.0.0.42"
    # the same app behind a server that trusts no proxy: the header is ignored
    app = create_app(site.rt)
    server, task, port = await start_server(app, [])
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            r = await http.post(
                "/api/login",
                json={"username": "op", "password": "op-pass-1"},
                headers={"X-Forwarded-For": "10.0.0.99"},
            )
            assert r.status_code == 200
    finally:
        server.should_exit = True
        await task
    assert site.audit("login")[-1].address == "127.0.0.1"


async def test_the_demo_scenario_switch_needs_a_login_and_is_audited(site: Site) -> None:
    r = await site.http.put("/api/simulator/scenario", json={"name": "gas-leak"})
    assert r.status_code == 401 and site.station.sim.scenario == "normal"
    op = await site.login("op")
    r = await site.http.put("/api/simulator/scenario", json={"name": "gas-leak"}, headers=op)
    assert r.status_code == 200 and r.json()["scenario"] == "gas-leak"
    assert site.station.sim.scenario == "gas-leak"
    switched = site.audit("demo.scenario")
    assert [(e.user, e.result, e.old, e.new) for e in switched] == [
        ("anonymous", "denied: not logged in", None, None),
        ("op", "ok", "normal", "gas-leak"),
    ]
    r = await site.http.put("/api/simulator/scenario", json={"name": "nope"}, headers=op)
    assert r.status_code == 400


EXPECTED_RULES = {
    ("POST", "/api/login"): "public",
    ("GET", "/"): "public",
    ("POST", "/api/logout"): "viewer",
    ("POST", "/api/alarms/ack"): "operator",
    ("POST", "/api/alarms/{alarm}/shelve"): "operator",
    ("POST", "/api/alarms/{alarm}/unshelve"): "operator",
    ("POST", "/api/alarms/{alarm}/reset"): "operator",
    ("POST", "/api/alarms/{alarm}/out-of-service"): "station_master",
    ("PUT", "/api/alarms/rules/{alarm}"): "station_master",
    ("GET", "/api/audit"): "station_master+auditor",
    ("GET", "/api/audit/verify"): "station_master+auditor",
    ("PUT", "/api/simulator/scenario"): "operator",
    ("POST", "/api/reports/{kind}/{period}/generate"): "shift_leader",
    ("POST", "/api/reports/{kind}/{period}/review"): "shift_leader",
    ("POST", "/api/reports/{kind}/{period}/sign"): "station_master",
    ("POST", "/api/reports/{kind}/{period}/correct"): "station_master",
    ("PUT", "/api/reports/plans/{month}"): "station_master",
    ("PUT", "/api/duty/roster/{shift}"): "shift_leader",
    ("POST", "/api/duty/log"): "operator",
    ("POST", "/api/duty/orders"): "shift_leader",
    ("POST", "/api/duty/handovers/{shift}/sign"): "operator",
    ("POST", "/api/duty/handovers/{shift}/accept"): "operator",
    ("POST", "/api/duty/handovers/{shift}/refuse"): "operator",
    ("POST", "/api/duty/rounds/{record}/start"): "operator",
    ("POST", "/api/duty/rounds/{record}/items"): "operator",
    ("POST", "/api/duty/rounds/{record}/complete"): "operator",
    ("POST", "/api/duty/rounds/{record}/approve"): "shift_leader",
    ("POST", "/api/duty/hazards"): "operator",
    ("POST", "/api/duty/hazards/{hazard}/close"): "station_master",
    ("POST", "/api/duty/fire/{equipment}/checks"): "operator",
    ("POST", "/api/duty/maintenance/{plan}/done"): "operator",
    ("POST", "/api/duty/incidents"): "operator",
    ("POST", "/api/duty/incidents/{incident}/close"): "station_master",
}


async def test_every_route_has_its_rule_and_an_unguarded_one_refuses_to_start(
    site: Site,
) -> None:
    app = create_app(site.rt, extra_routers=[demo_router(site.station.sim)])
    rules: dict[tuple[str, str], str] = app.state.access_rules
    writes = {k: v for k, v in rules.items() if k[0] not in ("GET", "HEAD")}
    assert all(v not in ("read", "") for v in writes.values())
    assert {k: v for k, v in rules.items() if v != "read"} == EXPECTED_RULES
    reads = sorted(k for k, v in rules.items() if v == "read")
    assert ("GET", "/api/live") in reads and ("GET", "/metrics") in reads
    # a write route added without a rule: the app does not start
    loose = APIRouter()

    @loose.post("/api/unguarded")
    def write_log() -> None:
        return None

    with pytest.raises(RuntimeError, match="POST /api/unguarded"):
        create_app(site.rt, extra_routers=[loose])
    # nor a read route outside a guarded router
    loose_read = APIRouter()

    @loose_read.get("/api/unguarded")
    def read_log() -> None:
        return None

    with pytest.raises(RuntimeError, match="GET /api/unguarded"):
        create_app(site.rt, extra_routers=[loose_read])


async def test_one_request_cannot_ask_for_unbounded_points(site: Site) -> None:
    op = await site.login("op")
    week = {"start": "2025-11-18T10:00:00+08:00", "end": "2025-11-25T10:00:00+08:00"}
    tags = [t["id"] for t in (await site.http.get("/api/tags", headers=op)).json()]
    r = await site.http.get(
        "/api/history", params={**week, "tags": ",".join(tags), "step": 60}, headers=op
    )
    assert r.status_code == 400 and "32 tags × 10080 buckets" in r.json()["detail"]
    r = await site.http.get(
        "/api/history",
        params={**week, "tags": ",".join(["PT-301"] * 4_000), "step": 3600},
        headers=op,
    )
    assert r.status_code == 200 and [s["tag"] for s in r.json()["series"]] == ["PT-301"]
    r = await site.http.get(
        "/api/alarms/kpi",
        params={"start": "0001-01-01T00:00:00", "end": "9999-12-31T00:00:00"},
        headers=op,
    )
    assert r.status_code == 400
