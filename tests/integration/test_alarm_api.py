"""The alarm API as an operator, a shift leader and a station master use it, over real HTTP."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from station.api import create_app
from station.users import Role
from tests.harness.config import example_station, free_port
from tests.harness.http import login, serve, webhook_receiver
from tests.harness.station import Station

pytestmark = pytest.mark.integration


class Api:
    def __init__(self, station: Station, base: str) -> None:
        self.station = station
        self.http = httpx.AsyncClient(base_url=base, timeout=10)

    async def login(self, user: str) -> dict[str, str]:
        return await login(self.http, user)


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    received, hook_port, hook_server, hook_task = await webhook_receiver()
    cfg = example_station()
    cfg = cfg.model_copy(
        update={
            "alarms": cfg.alarms.model_copy(
                update={
                    "webhook_url": f"http://127.0.0.1:{hook_port}/hook",
                    "escalate_after_s": 120,
                }
            )
        }
    )
    station = Station(cfg, tmp_path, core_thread=True)
    now = station.rt.now_ms()
    for name, role in (
        ("op", Role.operator),
        ("leader", Role.shift_leader),
        ("master", Role.station_master),
        ("viewer", Role.viewer),
    ):
        station.rt.users.add(name, f"{name}-pass-1", role, None, now)
    await station.start()
    await station.run(10)
    port = free_port()
    server, task = await serve(create_app(station.rt), port)
    a = Api(station, f"http://127.0.0.1:{port}")
    a.received = received  # type: ignore[attr-defined]
    yield a
    await a.http.aclose()
    server.should_exit = True
    hook_server.should_exit = True
    await task
    await hook_task
    await station.stop()


async def test_ack_needs_a_user_and_the_right_role(api: Api) -> None:
    api.station.sim.set_scenario("gas-leak")
    await api.station.run(120)
    alarms = (await api.http.get("/api/alarms")).json()
    assert [a["id"] for a in alarms] == ["GT-02.HH", "GT-02.H"]  # priority 1 first
    assert alarms[0]["state"] == "unacknowledged" and "50" in alarms[0]["text"]
    r = await api.http.post("/api/alarms/ack", json={"ids": ["GT-02.H"]})
    assert r.status_code == 401
    r = await api.http.post(
        "/api/alarms/ack", json={"ids": ["GT-02.H"]}, headers=await api.login("viewer")
    )
    assert r.status_code == 403 and "operator" in r.json()["detail"]
    op = await api.login("op")
    r = await api.http.post(
        "/api/alarms/ack",
        json={"ids": ["GT-02.H", "GT-02.HH", "NOPE"], "comment": "evacuating, calling 119"},
        headers=op,
    )
    assert r.status_code == 200
    assert r.json() == {"done": ["GT-02.H", "GT-02.HH"], "refused": {"NOPE": "unknown alarm"}}
    assert (
        await api.http.post("/api/alarms/ack", json={"ids": ["GT-02.H"]}, headers=op)
    ).status_code == 409
    history = (await api.http.get("/api/alarms/history", params={"event": "acknowledged"})).json()
    assert {h["alarm"] for h in history} == {"GT-02.H", "GT-02.HH"}
    assert all(h["user"] == "op" and h["comment"] == "evacuating, calling 119" for h in history)
    master = await api.login("master")
    audit = (await api.http.get("/api/audit", headers=master)).json()
    results = [(e["user"], e["action"], e["result"]) for e in audit]
    assert ("anonymous", "alarm.ack", "denied: not logged in") in results
    assert ("viewer", "alarm.ack", "denied: needs operator") in results
    assert ("op", "alarm.ack", "ok") in results
    assert (await api.http.get("/api/audit/verify")).status_code == 401
    verify = (await api.http.get("/api/audit/verify", headers=master)).json()
    assert verify["intact"] and verify["findings"] == []
    assert verify["entries"] == len(audit) + 1  # the refused anonymous verify


async def test_acknowledge_works_after_the_session_timed_out(api: Api) -> None:
    op = await api.login("op")
    api.station.sim.set_scenario("gas-leak")
    await api.station.run(60)
    api.station.clock.advance(9 * 3600)  # past the 8 h session
    await api.station.run(1)
    shelve = await api.http.post(
        "/api/alarms/GT-02.H/shelve",
        headers=op,
        json={"reason": "detector test", "duration_s": 600},
    )
    assert shelve.status_code == 401  # other writes need a fresh login
    ack = await api.http.post("/api/alarms/ack", json={"ids": ["GT-02.H"]}, headers=op)
    assert ack.status_code == 200, ack.text  # acknowledging never does
    assert ack.json() == {"done": ["GT-02.H"], "refused": {}}
    states = {a["id"]: a for a in (await api.http.get("/api/alarms")).json()}
    assert states["GT-02.H"]["state"] == "acknowledged" and states["GT-02.H"]["acked_by"] == "op"
    acked = api.station.rt.journal.events(alarm="GT-02.H", event="acknowledged")
    assert [e.user for e in acked] == ["op"]
    entry = [e for e in api.station.rt.audit.entries(1000) if e.action == "alarm.ack"][-1]
    assert (entry.user, entry.role, entry.result) == ("op", "operator", "ok")


async def test_shelve_limits_by_role_and_reason(api: Api) -> None:
    api.station.sim.set_scenario("gas-leak")
    await api.station.run(120)
    op, leader = await api.login("op"), await api.login("leader")
    r = await api.http.post("/api/alarms/GT-02.H/shelve", headers=op, json={"duration_s": 60})
    assert r.status_code == 422  # a reason is mandatory
    r = await api.http.post(
        "/api/alarms/GT-02.H/shelve",
        headers=op,
        json={"reason": "calibration", "duration_s": 9 * 3600},
    )
    assert r.status_code == 403 and "at most 28800" in r.json()["detail"]
    r = await api.http.post(
        "/api/alarms/GT-02.HH/shelve", headers=op, json={"reason": "calibration", "duration_s": 600}
    )
    assert r.status_code == 403 and "shift leader" in r.json()["detail"]
    r = await api.http.post(
        "/api/alarms/GT-02.HH/shelve",
        headers=leader,
        json={"reason": "calibration", "duration_s": 600},
    )
    assert r.status_code == 200
    r = await api.http.post(
        "/api/alarms/GT-02.H/shelve", headers=op, json={"reason": "calibration", "duration_s": 60}
    )
    assert r.status_code == 200
    states = {a["id"]: a["state"] for a in (await api.http.get("/api/alarms")).json()}
    assert states == {"GT-02.H": "shelved", "GT-02.HH": "shelved"}
    await api.station.run(61)  # the operator's one-minute shelve runs out: re-annunciated
    states = {a["id"]: a["state"] for a in (await api.http.get("/api/alarms")).json()}
    assert states == {"GT-02.H": "unacknowledged", "GT-02.HH": "shelved"}


async def test_out_of_service_and_rule_change_need_the_station_master(api: Api) -> None:
    op, master = await api.login("op"), await api.login("master")
    body = {"enabled": True, "reason": "fence sensor replaced"}
    assert (
        await api.http.post("/api/alarms/INTRUSION.ALARM/out-of-service", json=body, headers=op)
    ).status_code == 403
    r = await api.http.post("/api/alarms/INTRUSION.ALARM/out-of-service", json=body, headers=master)
    assert r.status_code == 200
    change = {"changes": {"limit": 0.39}, "reason": "network pressure raised by dispatch"}
    assert (
        await api.http.put("/api/alarms/rules/PT-301.H", json=change, headers=op)
    ).status_code == 403
    r = await api.http.put(
        "/api/alarms/rules/PT-301.H",
        json={"changes": {"colour": 1}, "reason": "x y z"},
        headers=master,
    )
    assert r.status_code == 409 and "changeable" in r.json()["detail"]
    r = await api.http.put("/api/alarms/rules/PT-301.H", json=change, headers=master)
    assert r.status_code == 200
    rules = {x["id"]: x for x in (await api.http.get("/api/alarms/rules")).json()}
    assert rules["PT-301.H"]["limit"] == 0.39
    audit = (await api.http.get("/api/audit", headers=master)).json()
    moc = [e for e in audit if e["action"] == "alarm.rule_change" and e["result"] == "ok"]
    assert json.loads(moc[0]["old"]) == {"limit": 0.38} and json.loads(moc[0]["new"]) == {
        "limit": 0.39
    }
    assert moc[0]["reason"] == "network pressure raised by dispatch"


async def test_push_notification_and_escalation(api: Api) -> None:
    lines: list[str] = []

    async def read(stream: httpx.Response) -> None:
        async for line in stream.aiter_lines():
            lines.append(line)

    async with api.http.stream("GET", "/api/alarms/stream") as stream:
        reader = asyncio.create_task(read(stream))
        api.station.sim.set_scenario("gas-leak")

        def raised() -> list[str]:
            msgs = [json.loads(x[6:]) for x in lines if x.startswith("data: {")]
            return [m["id"] for m in msgs if m["event"] == "raised"]

        async with asyncio.timeout(20):
            while len(raised()) < 2:
                await api.station.run(5)
                await asyncio.sleep(0.02)
        reader.cancel()
        assert lines[0] == "event: snapshot"
        assert raised() == ["GT-02.H", "GT-02.HH"]
    await api.station.run(130)  # unacknowledged past 120 s: escalated to the station master
    await asyncio.sleep(0.3)
    got = api.received  # type: ignore[attr-defined]
    kinds = [(m["id"], m["notification"]) for m in got]
    assert ("GT-02.H", "alarm") in kinds and ("GT-02.HH", "alarm") in kinds
    assert ("GT-02.HH", "escalation") in kinds
    esc = next(m for m in got if m["notification"] == "escalation")
    assert esc["to_role"] == "station_master" and esc["station"] == "demo-gate"
    assert "escalated" in [
        e["event"]
        for e in (await api.http.get("/api/alarms/history", params={"alarm": esc["id"]})).json()
    ]


async def test_kpi_endpoint(api: Api) -> None:
    api.station.sim.set_scenario("gas-leak")
    await api.station.run(200)
    r = await api.http.get(
        "/api/alarms/kpi", params={"start": "2025-11-25T00:00:00Z", "end": "2025-11-26T00:00:00Z"}
    )
    k = r.json()
    assert k["raised"] == 2 and k["by_priority"] == {"1": 1, "2": 1}
    assert {t["alarm"] for t in k["top10"]} == {"GT-02.H", "GT-02.HH"}
    bad = await api.http.get(
        "/api/alarms/kpi", params={"start": "2030-01-01T00:00:00Z", "end": "2020-01-01T00:00:00Z"}
    )
    assert bad.status_code == 400


async def test_a_one_shot_shelve_ends_at_the_roles_cap_and_blanks_are_no_reason(
    api: Api,
) -> None:
    api.station.sim.set_scenario("gas-leak")
    await api.station.run(120)
    op = await api.login("op")
    r = await api.http.post(
        "/api/alarms/GT-02.H/shelve", headers=op, json={"reason": "      ", "duration_s": 60}
    )
    assert r.status_code == 422 and "blanks" in r.text
    r = await api.http.post(
        "/api/alarms/GT-02.H/shelve", headers=op, json={"reason": "sensor being cleaned"}
    )  # no duration: one-shot
    assert r.status_code == 200
    shelved = {a["id"]: a for a in (await api.http.get("/api/alarms")).json()}["GT-02.H"]
    assert shelved["state"] == "shelved" and shelved["shelved_until"] is not None
    cap = api.station.rt.config.alarms.shelve_max_s["operator"]
    api.station.step_s = 60.0  # eight hours in minute steps (a poll each)
    await api.station.run(cap - 120)  # the leak stands: still shelved before the cap
    states = {a["id"]: a["state"] for a in (await api.http.get("/api/alarms")).json()}
    assert states["GT-02.H"] == "shelved"
    await api.station.run(240)  # past the operator's cap: back, re-annunciated
    states = {a["id"]: a["state"] for a in (await api.http.get("/api/alarms")).json()}
    assert states["GT-02.H"] == "unacknowledged"


async def test_a_validation_error_never_echoes_what_was_sent_and_bodies_are_capped(
    api: Api,
) -> None:
    secret = "correct horse battery staple " * 3000  # ~90 kB, a password nobody should see
    r = await api.http.post("/api/login", json={"password": secret})  # no username
    assert r.status_code == 422
    assert "correct horse" not in r.text and len(r.content) < 1000
    assert r.json()["detail"][0]["loc"] == ["body", "username"]
    huge = "x" * (2 << 20)
    r = await api.http.post("/api/login", json={"username": "op", "password": huge})
    assert r.status_code == 413 and "over 1048576 bytes" in r.json()["detail"]

    async def streamed() -> AsyncIterator[bytes]:  # no Content-Length: counted as it comes
        yield b'{"username": "op", "password": "'
        for _ in range(40):
            yield b"y" * 65536
        yield b'"}'

    r = await api.http.post(
        "/api/login", content=streamed(), headers={"content-type": "application/json"}
    )
    assert r.status_code == 413


async def test_inputs_at_the_edges_are_4xx_with_a_reason_never_500(api: Api) -> None:
    master = await api.login("master")
    for start, end in (
        ("0001-01-01T00:00:00+14:00", "0001-01-02T00:00:00+14:00"),
        ("9999-12-30T00:00:00-14:00", "9999-12-31T00:00:00-14:00"),
        ("0001-01-01T00:00:00", "9999-12-31T00:00:00"),
    ):
        for path in ("/api/history", "/api/alarms/kpi"):
            r = await api.http.get(path, params={"tags": "PT-301", "start": start, "end": end})
            assert r.status_code == 400, (path, start, r.text)
            assert "outside" in r.json()["detail"], r.text
    r = await api.http.get(
        "/api/alarms/kpi", params={"start": "2020-01-01T00:00:00", "end": "2025-01-01T00:00:00"}
    )
    assert r.status_code == 400 and "at most 400 days" in r.json()["detail"]
    r = await api.http.get("/api/audit", params={"since_seq": 2**64}, headers=master)
    assert r.status_code == 422
    span = {"start": "2025-11-25T09:00:00", "end": "2025-11-25T11:00:00"}
    r = await api.http.get("/api/history", params={"tags": ",".join(["PT-301"] * 1000), **span})
    assert r.status_code == 200 and len(r.json()["series"]) == 1  # a repeated tag counts once
    many = ",".join(f"T{i}" for i in range(201))
    r = await api.http.get("/api/history", params={"tags": many, **span})
    assert r.status_code == 400 and "at most 200 tags" in r.json()["detail"]


async def test_a_wrong_password_is_401_and_audited(api: Api) -> None:
    r = await api.http.post("/api/login", json={"username": "op", "password": "not-the-one"})
    assert r.status_code == 401 and r.json()["detail"] == "wrong user name or password"
    r = await api.http.post("/api/login", json={"username": "nobody", "password": "whatever1"})
    assert r.status_code == 401  # the same answer whether or not the user exists
    denied = [
        (e.user, e.address)
        for e in api.station.rt.audit.entries(1000)
        if e.action == "login" and e.result == "denied: wrong user name or password"
    ]
    assert denied == [("op", "127.0.0.1"), ("nobody", "127.0.0.1")]


async def test_a_disabled_user_cannot_log_in_and_loses_a_live_session(api: Api) -> None:
    api.station.sim.set_scenario("gas-leak")
    await api.station.run(60)
    op = await api.login("op")
    body = {"reason": "detector being cleaned", "duration_s": 60}
    assert (
        await api.http.post("/api/alarms/GT-02.H/shelve", json=body, headers=op)
    ).status_code == 200
    api.station.rt.users.set_active("op", False)
    r = await api.http.post("/api/alarms/GT-02.H/unshelve", headers=op)
    assert r.status_code == 401  # the session dies with the account
    r = await api.http.post("/api/alarms/ack", json={"ids": ["GT-02.H"]}, headers=op)
    assert r.status_code == 401  # even where an expired session would do
    r = await api.http.post("/api/login", json={"username": "op", "password": "op-pass-1"})
    assert r.status_code == 401


async def test_unshelve_and_reset(api: Api) -> None:
    api.station.sim.set_scenario("gas-leak")
    await api.station.run(120)
    op = await api.login("op")

    async def state(alarm: str) -> str:
        rows = (await api.http.get("/api/alarms", params={"include_normal": True})).json()
        return str({a["id"]: a["state"] for a in rows}[alarm])

    body = {"reason": "detector being cleaned", "duration_s": 600}
    assert (
        await api.http.post("/api/alarms/GT-02.H/shelve", json=body, headers=op)
    ).status_code == 200
    assert await state("GT-02.H") == "shelved"
    r = await api.http.post("/api/alarms/GT-02.H/unshelve", headers=op)
    assert r.status_code == 200 and r.json() == {"done": ["GT-02.H"], "refused": {}}
    assert await state("GT-02.H") == "unacknowledged"
    assert (await api.http.post("/api/alarms/GT-02.H/unshelve", headers=op)).status_code == 409
    # the latched HH: reset only once it has cleared and been acknowledged
    r = await api.http.post("/api/alarms/GT-02.HH/reset", json={"comment": "x"}, headers=op)
    assert r.status_code == 409 and "not latched" in r.json()["detail"]  # still active
    api.station.sim.set_scenario("normal")
    await api.station.run(120)
    ack = await api.http.post("/api/alarms/ack", json={"ids": ["GT-02.HH"]}, headers=op)
    assert ack.status_code == 200, (ack.text, await state("GT-02.HH"))
    assert await state("GT-02.HH") == "latched"
    r = await api.http.post(
        "/api/alarms/GT-02.HH/reset", json={"comment": "leak found and fixed"}, headers=op
    )
    assert r.status_code == 200
    assert await state("GT-02.HH") == "normal"
    assert (await api.http.post("/api/alarms/NOPE/reset", json={}, headers=op)).status_code == 404
    done = [
        (e.user, e.action, e.object, e.reason)
        for e in api.station.rt.audit.entries(1000)
        if e.result == "ok" and e.action in ("alarm.unshelve", "alarm.reset")
    ]
    assert done == [
        ("op", "alarm.unshelve", "GT-02.H", None),
        ("op", "alarm.reset", "GT-02.HH", "leak found and fixed"),
    ]
