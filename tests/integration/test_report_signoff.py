"""A daily report from generation to signature over real HTTP: review by a shift leader, signature
by the station master with the audit anchor, a signed version that refuses every change, and a
correction that becomes version 2 and names the one it replaces."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import httpx
import pytest

from station.api import create_app
from station.reports.production import ProductionReports
from station.users import Role
from tests.harness.config import example_station, free_port
from tests.harness.http import login, serve
from tests.harness.reports import until_made
from tests.harness.station import Station

pytestmark = pytest.mark.integration
DAY = "2025-11-25"


async def test_review_sign_and_correct_a_daily_report(tmp_path: Path) -> None:
    cfg = example_station()
    station = Station(cfg, tmp_path, core_thread=True)
    station.step_s = 60.0
    rt = station.rt
    now = rt.now_ms()
    for name, role in (
        ("op", Role.operator),
        ("leader", Role.shift_leader),
        ("master", Role.station_master),
    ):
        rt.users.add(name, f"{name}-pass-1", role, None, now)
    await station.start()
    await station.run(22.5 * 3600)  # past the end of the gas day and the delay
    rt.history.wait_idle()  # the history file holds the whole day (the writer lags a stepped clock)
    await until_made(station, rt.report_archive)
    assert {r.period for r in rt.report_archive.listing("shift")} == {
        "2025-11-25T08:00",
        "2025-11-25T20:00",
    }
    port = free_port()
    server, task = await serve(create_app(rt), port)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            op, leader, master = [await login(http, u) for u in ("op", "leader", "master")]
            listing = (await http.get("/api/reports", params={"kind": "daily"})).json()
            assert [(r["kind"], r["period"], r["version"], r["status"]) for r in listing] == [
                ("daily", DAY, 1, "generated")
            ]
            # health counts what the station clock fired and made (it said 0 for ever)
            health = (await http.get("/healthz")).json()["reports"]
            made = sum(len(rt.report_archive.listing(k)) for k in ("shift", "daily"))
            assert health["scheduler"] == "station clock"
            assert health["made"] == made == 3 and health["fired"] >= 1
            assert health["last_made"] is not None
            # the gas month holding the station's day has not ended: refused for the archive
            # (and so for review and signing), with the reason
            early = await http.post("/api/reports/monthly/2025-11/generate", headers=leader)
            assert early.status_code == 400
            assert early.json()["detail"] == "the monthly period 2025-11 has not ended"
            assert rt.report_archive.listing("monthly") == []
            for step in ("review", "sign"):
                unsignable = await http.post(
                    f"/api/reports/monthly/2025-11/{step}", json={"version": 1}, headers=master
                )
                assert unsignable.status_code == 404, unsignable.text
            # the day's hourly records as kept: 24 hours, each computed once (from 10:00, when
            # the service started, with data), its figures those of the report's rows
            hourly = (await http.get(f"/api/reports/hourly/RUN-1/{DAY}")).json()
            (day,) = json.loads(rt.report_archive.listing("daily")[0].content)
            assert [h["label"] for h in hourly["hours"]] == [r["label"] for r in day["rows"]]
            assert all([v["version"] for v in h["versions"]] == [1] for h in hourly["hours"])
            assert [h["versions"][0]["standard_volume"] for h in hourly["hours"]] == [
                r["standard_volume"] for r in day["rows"]
            ]
            r = await http.get(f"/api/reports/hourly/RUN-9/{DAY}")
            assert r.status_code == 404 and "RUN-9" in r.json()["detail"]
            url = f"/api/reports/daily/{DAY}"
            v1 = {"version": 1}
            r = await http.post(f"{url}/sign", json=v1, headers=master)
            assert r.status_code == 409 and "reviewed before" in r.json()["detail"]
            r = await http.post(f"{url}/review", json=v1, headers=op)
            assert r.status_code == 403
            r = await http.post(f"{url}/review", json=v1, headers=leader)
            assert r.status_code == 200 and r.json()["status"] == "reviewed"
            r = await http.post(f"{url}/sign", json=v1, headers=leader)
            assert r.status_code == 403
            r = await http.post(f"{url}/sign", json=v1, headers=master)
            signed = r.json()
            assert r.status_code == 200 and signed["status"] == "signed"
            assert signed["signed_by"] == "master" and signed["audit_anchor"]
            seq, head = signed["audit_anchor"].split(":")
            entry = rt.audit.entries(1, int(seq) - 1)[0]
            assert entry.hash == head  # the anchor is the trail's head when it was signed
            night = "/api/reports/shift/2025-11-25T20:00"
            shift = await http.get(f"{night}/html", params={"lang": "zh"})
            assert shift.status_code == 200 and "门站班报" in shift.text and "夜班" in shift.text
            printed = await http.get(f"{night}/pdf", params={"lang": "en"})
            assert printed.status_code == 200 and printed.content[:5] == b"%PDF-"
            book = await http.get(f"{night}/xlsx")
            assert book.status_code == 200 and book.content[:2] == b"PK"  # a zip: the workbook
            wrong = await http.post("/api/reports/shift/2025-11-25T21:00/generate", headers=leader)
            assert wrong.status_code == 400 and "no shift starts" in wrong.json()["detail"]
            page = (await http.get(f"{url}/html", params={"lang": "en"})).text
            assert "daily production report" in page and signed["hash"] in page

            # signed: the archive refuses any change, even straight at the file
            with (
                sqlite3.connect(tmp_path / "records.sqlite3") as raw,
                pytest.raises(sqlite3.DatabaseError, match="signed report does not change"),
            ):
                raw.execute("UPDATE reports SET content='[]' WHERE period=?", (DAY,))
            # generating again with the same data keeps version 1
            r = await http.post(f"{url}/generate", headers=leader)
            assert r.status_code == 200 and r.json()["version"] == 1
            # a correction with unchanged data is refused
            fix = {"reason": "meter factor corrected by the calibration lab"}
            r = await http.post(f"{url}/correct", json=fix, headers=master)
            assert r.status_code == 409 and "not changed" in r.json()["detail"]
            # a constant changes (the flagging bound): the correction becomes version 2
            stricter = cfg.model_copy(
                update={"reports": cfg.reports.model_copy(update={"volume_mismatch": 1e-9})}
            )
            rt.reports = rt.report_service.production = ProductionReports(
                stricter, rt.history_store, rt.journal, rt.report_archive, rt.now_ms
            )
            r = await http.post(f"{url}/correct", json=fix, headers=master)
            v2 = r.json()
            assert r.status_code == 200 and v2["version"] == 2 and v2["replaces"] == 1
            assert v2["status"] == "generated" and "correction of version 1" in v2["reason"]
            assert v2["hash"] != signed["hash"]
            r = await http.post(f"{url}/review", json=v1, headers=leader)
            assert r.status_code == 409 and "replaced by version 2" in r.json()["detail"]
            old = (await http.get(url, params={"version": 1})).json()
            assert old["status"] == "signed" and old["hash"] == signed["hash"]

            # the month's plan, entered by the station master
            plan = {"run": "RUN-1", "standard_volume": 1_800_000}
            r = await http.put("/api/reports/plans/2025-12", json=plan, headers=leader)
            assert r.status_code == 403
            r = await http.put("/api/reports/plans/2025-12", json=plan, headers=master)
            assert r.status_code == 200 and r.json()["plans"] == {"RUN-1": 1_800_000}
            r = await http.put(
                "/api/reports/plans/2025-12", json={**plan, "run": "RUN-9"}, headers=master
            )
            assert r.status_code == 400 and "RUN-9" in r.json()["detail"]
            got = (await http.get("/api/reports/plans/2025-12")).json()
            assert got == {"month": "2025-12", "plans": {"RUN-1": 1_800_000}}
        steps = [
            (e.user, e.action, e.result)
            for e in rt.audit.entries(10_000)
            if e.action.startswith("report.")
        ]
        assert ("leader", "report.review", "ok") in steps
        assert ("master", "report.sign", "ok") in steps
        assert ("master", "report.correct", "ok") in steps
        assert ("master", "report.plan", "ok") in steps
        assert ("op", "report.review", "denied: needs shift_leader") in steps
        assert any(
            u == "master" and a == "report.sign" and r.startswith("denied") for u, a, r in steps
        )
    finally:
        server.should_exit = True
        await task
        await station.stop()
