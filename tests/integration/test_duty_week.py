"""A simulated week of duty on a stepped clock, over real HTTP and real Modbus sockets: two
crews of two operators, a handover drafted at every shift end, a refused handover that keeps
the outgoing crew on duty, an inspection round a shift (one late: its alarm raised and
cleared), a not-OK item that opens a hazard carried in every handover until the station
master closes it, a standing order acknowledged at each handover while in force, the duty log
with its automatic entries, and the refusals of roles in the audit trail."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from station.api import create_app
from station.config.duty import CrewConfig, DutyConfig, RoundConfig, RoundItemConfig
from station.users import Role
from tests.harness.config import example_station, free_port
from tests.harness.http import serve
from tests.harness.station import Station

pytestmark = pytest.mark.integration
SHANGHAI = ZoneInfo("Asia/Shanghai")
FIRST = datetime(2025, 11, 25, 8, 0, tzinfo=SHANGHAI)  # the first shift (day, crew A)
SHIFTS = 14
H = 3600.0
WEEK = "2025-W48"  # gas days Monday 24 Nov to Sunday 30 Nov: the service starts on the 25th
WEEK_START = datetime(2025, 11, 24, 8, 0, tzinfo=SHANGHAI)
WEEK_END = datetime(2025, 12, 1, 8, 0, tzinfo=SHANGHAI)
OVERPRESSURE = {"PT-301.H", "PT-301.HH", "PT-101.H"}
"""The example station's high pressure alarms (the limits on its MPa transmitters)."""


def ms(ts: str) -> int:
    return int(datetime.fromisoformat(ts).timestamp() * 1000)


def in_week(ts: str) -> bool:
    return int(WEEK_START.timestamp() * 1000) <= ms(ts) < int(WEEK_END.timestamp() * 1000)


def shift_id(i: int) -> str:
    return (FIRST + timedelta(hours=12 * i)).strftime("%Y-%m-%dT%H:%M")


def local_ms(i: int, hours: float) -> int:
    return int((FIRST + timedelta(hours=12 * i + hours)).timestamp() * 1000)


class Desk:
    """The station's people at the API."""

    def __init__(self, http: httpx.AsyncClient, tokens: dict[str, dict[str, str]]) -> None:
        self.http = http
        self.tokens = tokens

    async def post(self, who: str, url: str, body: Any = None, status: int = 200) -> Any:
        r = await self.http.post(url, json=body, headers=self.tokens[who])
        assert r.status_code == status, (url, r.status_code, r.text)
        return r.json()

    async def get(self, url: str, **params: Any) -> Any:
        r = await self.http.get(url, params=params)
        assert r.status_code == 200, (url, r.text)
        return r.json()

    async def walk_round(self, who: str, shift: int, flange_ok: bool = True) -> int | None:
        """The shift's round: the gauge read off the transmitter's live value."""
        (slot,) = await self.get("/api/duty/rounds", shift=shift_id(shift))
        await self.post(who, f"/api/duty/rounds/{slot['id']}/start")
        live = await self.get("/api/live", tags="PT-301")
        gauge = round(live["values"][0]["value"], 3)
        pt = await self.post(
            who,
            f"/api/duty/rounds/{slot['id']}/items",
            {"item": "PT", "ok": True, "reading": gauge},
        )
        assert pt["flagged"] is False and pt["hazard"] is None
        flange = await self.post(
            who,
            f"/api/duty/rounds/{slot['id']}/items",
            {"item": "FLANGE", "ok": flange_ok, "note": None if flange_ok else "weep at FV-3"},
        )
        done = await self.post(who, f"/api/duty/rounds/{slot['id']}/complete")
        assert done["state"] == "done" and done["done_by"] == who
        return flange["hazard"]  # type: ignore[no-any-return]

    async def hand_over(self, outgoing: str, incoming: str, shift: int) -> dict[str, Any]:
        url = f"/api/duty/handovers/{shift_id(shift)}"
        notes = {"operating_mode": "run A regulating", "problems": f"shift {shift}: none"}
        await self.post(outgoing, f"{url}/sign", {"notes": notes})
        return await self.post(incoming, f"{url}/accept")  # type: ignore[no-any-return]


async def test_a_week_of_duty(tmp_path: Path) -> None:
    cfg = example_station()
    duty = DutyConfig(
        crews=[
            CrewConfig(name="A", members=["a1", "a2"]),
            CrewConfig(name="B", members=["b1", "b2"]),
        ],
        rotation_start=date(2025, 11, 25),
        fire_equipment=cfg.duty.fire_equipment,
        rounds=[
            RoundConfig(
                id="R", name_zh="站内巡检", name_en="Station round", every_h=12, grace_min=60,
                items=[
                    RoundItemConfig(id="PT", name_zh="出站压力表", name_en="Outlet gauge",
                                    tag="PT-301", tolerance=0.02),
                    RoundItemConfig(id="FLANGE", name_zh="法兰检漏", name_en="Flange leak check"),
                ],
            )
        ],
    )  # fmt: skip
    cfg = cfg.model_copy(
        update={
            "duty": duty,
            "devices": [d.model_copy(update={"poll_interval_s": 60.0}) for d in cfg.devices],
        }
    )
    station = Station(cfg, tmp_path, core_thread=True)
    rt = station.rt
    now = rt.now_ms()
    people = {"a1": Role.operator, "a2": Role.operator, "b1": Role.operator,
              "b2": Role.operator, "leader": Role.shift_leader, "master": Role.station_master,
              "viewer": Role.viewer, "auditor": Role.auditor}  # fmt: skip
    for name, role in people.items():
        rt.users.add(name, f"{name}-pass-1", role, None, now)
    await station.start()
    port = free_port()
    server, task = await serve(create_app(rt), port)
    http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30)
    tokens: dict[str, dict[str, str]] = {}

    async def log_in() -> None:
        """Each shift, everyone logs in again (a session lasts less than a shift)."""
        for name in people:
            body = {"username": name, "password": f"{name}-pass-1"}
            r = await http.post("/api/login", json=body)
            tokens[name] = {"Authorization": f"Bearer {r.json()['token']}"}

    await log_in()
    desk = Desk(http, tokens)

    async def until(ms: int) -> None:
        await station.run(max(0.0, (ms - rt.now_ms()) / 1000))

    try:
        # -- day 1, 10:00: the 08:00 round is overdue since 09:00, before the service
        # started: no alarm (nobody could have done it in the system; a nuisance at start)
        await station.run(120)
        assert station.raised() == []
        now_on = await desk.get("/api/duty/now")
        assert now_on["shift"] == shift_id(0) and now_on["on_duty"][:2] == ["a1", "a2"]
        # roles: a viewer writes nothing, a operator closes no hazard, issues no order
        await desk.post("viewer", "/api/duty/log", {"category": "note", "text": "x"}, 403)
        await desk.post("a1", "/api/duty/orders",
                        {"text": "x", "start": "2025-11-25T12:00", "end": "2025-11-27T12:00"},
                        403)  # fmt: skip
        # the auditor reads the audit trail and writes nothing; a viewer does not read it
        assert (await http.get("/api/audit", headers=tokens["auditor"])).status_code == 200
        assert (await http.get("/api/audit", headers=tokens["viewer"])).status_code == 403
        await desk.post("auditor", "/api/duty/log", {"category": "note", "text": "x"}, 403)
        await desk.post("auditor", "/api/alarms/ack", {"ids": ["ROUND-OVERDUE.R"]}, 403)
        hazard = await desk.walk_round("a1", 0, flange_ok=False)
        assert hazard is not None
        await station.run(60)
        assert station.events("cleared") == []
        # a1 writes the log (the event earlier than the writing) and corrects it
        entry = await desk.post("a1", "/api/duty/log", {
            "event_time": "2025-11-25T09:45", "category": "operation",
            "text": "switched the heater to B", "tag": "TT-102", "value": 45.0})  # fmt: skip
        assert entry["on_duty"][:2] == ["a1", "a2"] and entry["written"] > entry["event_time"]
        fix = await desk.post("a2", "/api/duty/log", {
            "category": "correction", "text": "heater switched to B at 09:40, not 09:45",
            "corrects": entry["id"]})  # fmt: skip
        assert fix["corrects"] == entry["id"]
        await desk.post(
            "a2", "/api/duty/log", {"category": "correction", "text": "x", "corrects": 99999}, 404
        )
        order = await desk.post("leader", "/api/duty/orders", {
            "text": "walk heater B every hour", "start": "2025-11-25T12:00",
            "end": "2025-11-27T12:00"})  # fmt: skip
        # 14:00: a gas leak for five minutes, latched at high-high
        await until(local_ms(0, 6))
        station.sim.set_scenario("gas-leak")
        await station.run(300)
        station.sim.set_scenario("normal")

        drafts: list[dict[str, Any]] = []
        for i in range(SHIFTS):
            crew, nxt = ("a1", "b1") if i % 2 == 0 else ("b1", "a1")
            await log_in()
            if i > 0:  # the round of the shift: done ten minutes in, or late on shift 5
                late = i == 5
                await until(local_ms(i, 1.5 if late else 1 / 6))
                if late:
                    assert rt.alarms.status["ROUND-OVERDUE.R"].active
                await desk.walk_round(crew, i)
            if i == 1:  # the night crew acknowledges and resets the latched leak alarm
                await desk.post(
                    "b1", "/api/alarms/ack", {"ids": ["GT-02.HH"], "comment": "leak fixed"}
                )
                await desk.post("b1", "/api/alarms/GT-02.HH/reset", {"comment": "detector 0"})
            if i == 2:  # fire checks (one gauge under its zone), an over-pressure, an incident
                await desk.post("a1", "/api/duty/fire/EXT-01/checks",
                                {"ok": True, "pressure_mpa": 1.4})  # fmt: skip
                failed = await desk.post("a1", "/api/duty/fire/EXT-02/checks",
                                         {"ok": True, "pressure_mpa": 1.0})  # fmt: skip
                assert "failed_check" in failed["flags"]
                await until(local_ms(i, 3))
                station.sim.set_scenario("overpressure")
                await station.run(240)
                station.sim.set_scenario("normal")
                incident = await desk.post("a1", "/api/duty/incidents", {
                    "what": "slam-shut A tripped on over-pressure",
                    "actions": "run B on line, regulator A isolated",
                    "notify": ["fire"]})  # fmt: skip
            if i == 8:
                await desk.post("master", f"/api/duty/incidents/{incident['id']}/close",
                                {"summary": "pilot of regulator A replaced"})  # fmt: skip
            if i == 6:  # the station master closes the hazard
                await desk.post("a1", f"/api/duty/hazards/{hazard}/close", {"action": "x"}, 403)
                closed = await desk.post("master", f"/api/duty/hazards/{hazard}/close",
                                         {"action": "flange FV-3 re-torqued"})  # fmt: skip
                assert closed["closed_by"] == "master"
            await until(local_ms(i, 12) + 120_000)  # the shift ends: its handover is drafted
            await log_in()
            handover = await desk.get(f"/api/duty/handovers/{shift_id(i)}")
            assert [s["step"] for s in handover["steps"]] == ["drafted"]
            drafts.append(handover["draft"])
            if i == 3:  # the day crew refuses the night's handover: the night stays on
                url = f"/api/duty/handovers/{shift_id(i)}"
                await desk.post("b1", f"{url}/sign", {"notes": {"problems": "none"}})
                refused = await desk.post(
                    "a1", f"{url}/refuse", {"reason": "the duty log of the night is incomplete"}
                )
                assert refused["state"] == "refused"
                on = await desk.get("/api/duty/now")
                assert set(on["on_duty"]) == {"a1", "a2", "b1", "b2"}
                assert on["previous_handover"] == "refused"
                await desk.post("b1", f"{url}/sign", {"notes": {"problems": "log completed"}})
                accepted = await desk.post("a1", f"{url}/accept")
                assert [s["step"] for s in accepted["steps"]] == [
                    "drafted",
                    "signed",
                    "refused",
                    "signed",
                    "accepted",
                ]
                assert (await desk.get("/api/duty/now"))["on_duty"] == ["a1", "a2"]
            else:
                # the incoming cannot accept before the outgoing signs; a stranger cannot sign
                await desk.post(nxt, f"/api/duty/handovers/{shift_id(i)}/accept", None, 409)
                await desk.post("leader", f"/api/duty/handovers/{shift_id(i)}/sign", {}, 409)
                done = await desk.hand_over(crew, nxt, i)
                assert done["state"] == "accepted"

        # -- what the drafts held --------------------------------------------------------
        for i, d in enumerate(drafts):
            assert d["shift"] == shift_id(i)
            assert local_ms(i, 12) <= d["at_ms"] <= local_ms(i, 12) + 60_000
            assert d["outgoing"] == (["a1", "a2"] if i % 2 == 0 else ["b1", "b2"])
            # the totaliser as history holds it at the handover instant
            read = next(t for t in d["totals"] if t["tag"] == "FQ-301S")
            total = read["value"]
            assert d["at_ms"] - 60_000 <= read["ts_ms"] <= d["at_ms"]  # the last poll
            raw = rt.history_store.query(["FQ-301S"], read["ts_ms"], read["ts_ms"] + 1)
            assert [p.value for p in raw["FQ-301S"]] == [total]
            if i > 0:
                before = next(t for t in drafts[i - 1]["totals"] if t["tag"] == "FQ-301S")
                (run,) = d["delivered"]
                assert run["standard_volume"] == pytest.approx(total - before["value"], rel=0.01)
            # the hazard in every handover until it was closed (in shift 6)
            assert [h["id"] for h in d["hazards"]] == ([hazard] if i < 6 else [])
            # the round: done in every shift; late in shift 5, done all the same
            assert [r["state"] for r in d["rounds"]["done"]] == ["done"]
            assert d["rounds"]["missed"] == []
            assert [o["id"] for o in d["orders"]] == ([order["id"]] if 0 <= i <= 3 else [])
        first = drafts[0]
        assert {a["id"] for a in first["alarms"]["raised"]} >= {"GT-02.H", "GT-02.HH"}
        assert "GT-02.HH" in {a["id"] for a in first["alarms"]["unacknowledged"]}
        assert "GT-02.HH" not in {a["id"] for a in drafts[1]["alarms"]["unacknowledged"]}
        assert drafts[1]["carried"] == {"problems": "shift 0: none"}
        assert [e["text"] for e in first["log"] if e["author"] == "a1"] == [
            "switched the heater to B"
        ]
        # the late round (overdue while the service ran) raised its alarm and cleared it
        assert station.events("raised").count("ROUND-OVERDUE.R") == 1
        assert station.events("cleared").count("ROUND-OVERDUE.R") == 1
        # the standing order: acknowledged at each handover into a shift it was in force
        (kept,) = await desk.get("/api/duty/orders")
        assert sorted(kept["acknowledged"]) == [shift_id(i) for i in (1, 2, 3, 4)]
        await station.run(60)  # the automatic entries are written at the next tick
        # the log: found by text, with the automatic entries of alarms and handovers
        heater = await desk.get("/api/duty/log", text="HEATER")
        assert [e["id"] for e in heater] == [entry["id"], fix["id"]]
        auto = await desk.get("/api/duty/log", author="system", limit=1000)
        texts = [e["text"] for e in auto]
        assert any(t.startswith("GT-02.HH raised") for t in texts)
        assert any("GT-02.HH acknowledged (b1)" in t for t in texts)
        assert sum("refused by a1" in t for t in texts) == 1
        assert sum("drafted" in t for t in texts) == SHIFTS
        page = await desk.get("/api/duty/log", limit=2, offset=1)
        assert len(page) == 2
        # every refusal of a role is in the audit trail
        denied = [e for e in rt.audit.entries(100_000) if e.result.startswith("denied")]
        assert {e.action for e in denied} >= {"duty.log", "duty.order", "duty.hazard.close"}
        ok = {e.action for e in rt.audit.entries(100_000) if e.result == "ok"}
        assert {"duty.handover.sign", "duty.handover.accept", "duty.handover.refuse",
                "duty.round.complete", "duty.hazard.close", "duty.log"} <= ok  # fmt: skip
        assert {e.action for e in denied if e.user == "auditor"} == {"duty.log", "alarm.ack"}

        # -- the reports of the week -----------------------------------------------------
        archive, deadline = rt.report_archive, time.monotonic() + 300
        while not (archive.versions("safety-weekly", WEEK)
                   and archive.versions("safety-monthly", "2025-11")
                   and archive.versions("shift", shift_id(SHIFTS - 2))):  # fmt: skip
            assert time.monotonic() < deadline, [r.period for r in archive.listing()]
            await station.run(60)
            await rt.reporting_done()
            await asyncio.sleep(0.01)
        await _check_shift_reports(desk, entry["id"], fix["id"])
        await _check_safety_reports(desk, rt, hazard, incident["id"])
    finally:
        await http.aclose()
        server.should_exit = True
        await task
        await station.stop()


async def _check_shift_reports(desk: Desk, entry: int, fix: int) -> None:
    """The refused handover in the report of the shift that handed over and of the next."""

    async def report(i: int) -> dict[str, Any]:
        body = await desk.get(f"/api/reports/shift/{shift_id(i)}")
        (r,) = body["content"]
        return r  # type: ignore[no-any-return]

    first, third, fourth = await report(0), await report(3), await report(4)
    assert first["crew"] == ["a1", "a2"] and third["crew"] == ["b1", "b2"]
    assert first["taken_over"]["state"] == "none"  # the service started in shift 0
    assert [e["id"] for e in first["log"] if e["author"] != "system"] == [entry, fix]
    assert first["log_alarm_entries"] >= 2  # GT-02.H and .HH raised, left to the alarm table
    for handover in (third["handed_over"], fourth["taken_over"]):
        assert handover["shift"] == shift_id(3)
        assert [s["step"] for s in handover["steps"]] == [
            "drafted", "signed", "refused", "signed", "accepted"]  # fmt: skip
        assert handover["refusals"] == 1 and handover["accepted_by"] == "a1"
        (refusal,) = [s for s in handover["steps"] if s["step"] == "refused"]
        assert refusal["reason"] == "the duty log of the night is incomplete"
        assert refusal["user"] == "a1"
    assert fourth["handed_over"]["signed_by"] == "a1"
    page = await desk.http.get(f"/api/reports/shift/{shift_id(4)}/html", params={"lang": "en"})
    assert "the duty log of the night is incomplete" in page.text and "refused" in page.text


async def _check_safety_reports(desk: Desk, rt: Any, hazard: int, incident: int) -> None:
    """Every count of the safety reports against the records, read over the API."""
    for stored in rt.report_archive.listing():  # the typed content over HTTP loses nothing
        url = f"/api/reports/{stored.kind}/{stored.period}"
        got = await desk.get(url, version=stored.version)
        assert got["content"] == json.loads(stored.content), (stored.kind, stored.period)
    week = (await desk.get(f"/api/reports/safety-weekly/{WEEK}"))["content"][0]
    month = (await desk.get("/api/reports/safety-monthly/2025-11"))["content"][0]
    hazards = await desk.get("/api/duty/hazards", limit=1000)
    assert [h["id"] for h in hazards] == [hazard]
    journal = await desk.get("/api/alarms/history", limit=100_000)
    leaks = [e for e in journal if e["event"] == "raised" and (e["tag"] or "").startswith("GT-")]
    high = [e for e in journal if e["event"] == "raised" and e["alarm"] in OVERPRESSURE]
    raised = [e for e in journal if e["event"] in ("raised", "reannunciated")]
    checks = [c for eq in ("EXT-01", "EXT-02", "EXT-03", "EXT-04", "HYD-01", "FIRE-PANEL")
              for c in await desk.get(f"/api/duty/fire/{eq}/checks")]  # fmt: skip
    (closed,) = await desk.get("/api/duty/incidents")
    assert closed["id"] == incident and closed["closed_by"] == "master"
    # the rounds of the week's fourteen shifts as the duty API lists them
    states: list[tuple[int | None, str]] = []
    for i in range(-2, 12):
        states += [(r["id"], r["state"]) for r in await desk.get("/api/duty/rounds",
                                                                 shift=shift_id(i))]  # fmt: skip
    # the Monday before the service started: listed, never made into records by the look
    assert states[:2] == [(None, "missed"), (None, "missed")]
    assert rt.duty.records.rounds(0, local_ms(0, 0)) == []

    for r, days in ((week, 7), (month, 30)):
        assert (
            (r["hazards_found"], r["hazards_fixed"], r["hazards_open"])
            == (
                sum(in_week(h["opened"]) for h in hazards),
                sum(bool(h["closed"]) and in_week(h["closed"]) for h in hazards),
                sum(not h["closed"] for h in hazards),
            )
            == (1, 1, 0)
        )
        assert [h["id"] for h in r["hazards"]] == [hazard] and r["hazards_overdue"] == 0
        assert [(e["alarm"], e["ts_ms"]) for e in r["leak_events"]] == [
            (e["alarm"], ms(e["ts"])) for e in leaks]  # fmt: skip
        assert len(leaks) >= 2 and {e["alarm"] for e in leaks} >= {"GT-02.H", "GT-02.HH"}
        assert [(e["alarm"], e["ts_ms"]) for e in r["overpressure_events"]] == [
            (e["alarm"], ms(e["ts"])) for e in high]  # fmt: skip
        assert {e["alarm"] for e in high} >= {"PT-301.H", "PT-301.HH"}
        assert (
            [(c["equipment"], c["ok"]) for c in r["fire_checks"]]
            == [(c["equipment"], c["ok"]) for c in checks]
            == [("EXT-01", True), ("EXT-02", False)]
        )
        assert r["fire_checks_failed"] == 1 and r["extinguishers"] == 4
        ext2 = next(e for e in r["fire_equipment"] if e["equipment"] == "EXT-02")
        assert "failed_check" in ext2["flags"]
        assert [(i["id"], i["closed_by"]) for i in r["incidents"]] == [(incident, "master")]
        assert r["alarms"]["raised"] == len(raised)
        (tally,) = r["rounds"]
        assert tally["scheduled"] == 2 * days
        done = sum(s in ("done", "approved") for _, s in states)
        assert (r["rounds_done"], tally["late"]) == (done, 2) == (12, 2)  # shifts 0 and 5
        assert r["rounds_missed"] == sum(i is not None and s == "missed" for i, s in states) == 0
        assert r["rounds_unrecorded"] == 2 * days - 12
    # reviewed and signed like the production reports; the signature is on the page
    leader = {"version": 1}
    await desk.post("leader", f"/api/reports/safety-weekly/{WEEK}/review", leader)
    await desk.post("a1", f"/api/reports/safety-weekly/{WEEK}/sign", leader, 403)
    signed = await desk.post("master", f"/api/reports/safety-weekly/{WEEK}/sign", leader)
    assert signed["status"] == "signed" and signed["signed_by"] == "master"
    page = await desk.http.get(f"/api/reports/safety-weekly/{WEEK}/html", params={"lang": "en"})
    assert "weekly safety report" in page.text and "master" in page.text
    book = await desk.http.get(f"/api/reports/safety-weekly/{WEEK}/xlsx")
    assert book.status_code == 200 and book.content[:2] == b"PK"
    pdf = await desk.http.get(f"/api/reports/safety-weekly/{WEEK}/pdf")
    assert pdf.status_code == 200 and pdf.content[:5] == b"%PDF-"
