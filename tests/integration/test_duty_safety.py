"""Fire equipment, maintenance and emergencies over real HTTP on a stepped clock: an
extinguisher expiring next week is flagged, a check under the gauge's zone fails, the filter
ΔP suggestion projects the date the simulator's own fouling reaches the change limit, and an
incident notifies a real webhook receiver and keeps its timeline until the station master
closes it."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from simulators.process import FILTER_FOULING_KPA_PER_DAY
from simulators.scenarios import FILTER_CLOGGING_KPA_PER_DAY
from station.api import create_app
from station.config.duty import (
    DutyConfig,
    FireEquipmentConfig,
    MaintenancePlanConfig,
    TrendWatchConfig,
)
from station.users import Role
from tests.harness.config import example_station, free_port
from tests.harness.http import login, serve, webhook_receiver
from tests.harness.station import START, Station

pytestmark = pytest.mark.integration
SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = datetime.fromtimestamp(START, SHANGHAI).date()  # 2025-11-25
LIMIT = 60.0  # kPa: change the filter
DAYS = 4


async def test_fire_maintenance_and_an_incident(tmp_path: Path) -> None:
    received, hook_port, hook_server, hook_task = await webhook_receiver()
    cfg = example_station()
    duty = DutyConfig(
        fire_equipment=[
            FireEquipmentConfig(
                id="EXT-01",
                kind="extinguisher",
                type="ABC 8 kg",
                location="metering room",
                expiry=TODAY + timedelta(days=6),
            ),
            FireEquipmentConfig(
                id="EXT-02",
                kind="extinguisher",
                type="ABC 8 kg",
                location="regulator skid",
                expiry=date(2027, 6, 30),
                min_pressure_mpa=1.2,
            ),
        ],
        maintenance=[
            MaintenancePlanConfig(
                id="FILTER-A",
                equipment="filter A",
                name_zh="更换滤芯",
                name_en="Filter element change",
                every_days=180,
            ),
        ],
        trends=[
            TrendWatchConfig(
                id="FILTER-A-DP",
                tag="PDT-101",
                limit=LIMIT,
                direction="rising",
                name_zh="A路过滤器差压",
                name_en="Filter A ΔP",
                days=DAYS,
            ),
        ],
    )
    cfg = cfg.model_copy(
        update={
            "duty": duty,
            "devices": [d.model_copy(update={"poll_interval_s": 60.0}) for d in cfg.devices],
            "alarms": cfg.alarms.model_copy(
                update={"webhook_url": f"http://127.0.0.1:{hook_port}/hook"}
            ),
        }
    )
    station = Station(cfg, tmp_path, core_thread=True)
    rt = station.rt
    for name, role in (("op", Role.operator), ("master", Role.station_master)):
        rt.users.add(name, f"{name}-pass-1", role, None, rt.now_ms())
    await station.start()
    port = free_port()
    server, task = await serve(create_app(rt), port)
    http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30)

    async def auth(user: str) -> dict[str, str]:
        return await login(http, user)

    try:
        op = await auth("op")
        fire = {f["id"]: f for f in (await http.get("/api/duty/fire")).json()}
        assert fire["EXT-01"]["flags"] == ["expiring", "check_due"]
        assert fire["EXT-01"]["days_to_expiry"] == 6
        assert fire["EXT-02"]["flags"] == ["check_due"]  # never checked
        url = "/api/duty/fire/EXT-02/checks"
        low = (await http.post(url, json={"ok": True, "pressure_mpa": 1.0}, headers=op)).json()
        assert low["flags"] == ["failed_check"] and low["last_checked_by"] == "op"
        good = (await http.post(url, json={"ok": True, "pressure_mpa": 1.4}, headers=op)).json()
        assert good["flags"] == [] and good["next_check"] == str(TODAY + timedelta(days=30))
        r = await http.post("/api/duty/fire/EXT-99/checks", json={"ok": True}, headers=op)
        assert r.status_code == 404
        plans = (await http.get("/api/duty/maintenance")).json()
        assert [(p["id"], p["next_due"], p["overdue"]) for p in plans] == [
            ("FILTER-A", str(TODAY), False)
        ]  # never done: due today

        # dirty gas for four days: filter A's ΔP rises by its fouling and the clogging
        station.sim.set_scenario("filter-clogging")
        await station.run(DAYS * 86_400)
        # the history file holds the four days (the writer lags a stepped clock on a loaded
        # machine: 94 of 95 hours once, under stress-ng)
        rt.history.wait_idle()
        dirt = station.sim.model.state.filter_dirt_a
        rate = FILTER_FOULING_KPA_PER_DAY + FILTER_CLOGGING_KPA_PER_DAY
        # the ΔP the transmitter shows is the fouling plus the flow's 5 kPa·(q/4000)²: its
        # mean over the window is the fitted line's offset from the fouling
        now = rt.now_ms()
        flows = rt.history_store.query(["FT-301S"], now - DAYS * 86_400_000, now, 3600)
        q2 = [5.0 * (p.value / 4000) ** 2 for p in flows["FT-301S"] if p.value is not None]
        offset = sum(q2) / len(q2)
        truth_ms = now + (LIMIT - dirt - offset) / rate * 86_400_000
        (s,) = (await http.get("/api/duty/maintenance/suggestions")).json()
        assert s["slope_per_day"] == pytest.approx(rate, rel=0.1)
        projected = datetime.fromisoformat(s["projected"]).timestamp() * 1000
        assert abs(projected - truth_ms) < 12 * 3_600_000, (s, truth_ms)
        assert s["samples"] >= DAYS * 24 - 1

        # an incident: one action records it, notifies, and opens its timeline
        op = await auth("op")
        body = {"what": "gas smell at the fence, east side", "actions": "area cordoned",
                "notify": ["fire"]}  # fmt: skip
        r = await http.post("/api/duty/incidents", json=body, headers=op)
        assert r.status_code == 200, r.text
        incident = r.json()
        assert incident["notified"] == ["station_master", "fire 119"]
        for _ in range(250):  # sent in the background
            if received:
                break
            await asyncio.sleep(0.02)
        (sent,) = [m for m in received if m.get("notification") == "incident"]
        assert sent["incident"] == incident["id"] and "fire 119" in sent["notified"]
        assert sent["what"] == body["what"] and sent["station"] == "demo-gate"
        r = await http.post("/api/duty/incidents", json={**body, "notify": ["army"]}, headers=op)
        assert r.status_code == 400 and "army" in r.text
        close = f"/api/duty/incidents/{incident['id']}/close"
        r = await http.post(close, json={"summary": "x"}, headers=op)
        assert r.status_code == 403
        master = await auth("master")
        r = await http.post(close, json={"summary": "a loose fitting, tightened"}, headers=master)
        assert r.status_code == 200, r.text
        closed = r.json()
        assert closed["closed_by"] == "master"
        assert [e["author"] for e in closed["timeline"]] == ["op", "master"]
        r = await http.post(close, json={"summary": "again"}, headers=master)
        assert r.status_code == 409
    finally:
        await http.aclose()
        server.should_exit = True
        hook_server.should_exit = True
        await task
        await hook_task
        await station.stop()
