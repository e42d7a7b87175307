"""The alarm engine on synthetic samples, with time in the samples (no sleeping)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from station.alarms.engine import AlarmEngine
from station.alarms.journal import AlarmJournal, JournalEvent
from station.alarms.kpi import alarm_kpi
from station.alarms.lifecycle import NotAllowed
from station.alarms.points import build_points
from station.audit import AuditTrail
from station.config.models import DeviceConfig
from station.records import RecordsStore
from station.samples import Quality, SampleBatch
from tests.harness.config import example_station

CFG = example_station()
PLC = CFG.devices[0]
FC = CFG.devices[1]
T0 = 1_764_036_000_000

NORMAL_PLC = {
    "PT-101": 3.2,
    "TT-101": 9.0,
    "PDT-101": 8.0,
    "PDT-102": 0.2,
    "PT-201A": 0.352,
    "PT-201B": 0.35,
    "PT-301": 0.35,
    "TT-301": 11.5,
    "AT-401": 20.0,
    "LT-401": 76.0,
    "RUN-ACTIVE": 1,
    "PLC-HEARTBEAT": 1,
    "XV-201A": 1,
    "XV-201B": 1,
    "XS-201A": 0,
    "XS-201B": 0,
    "UPS-BATT": 0,
    "MAINS-OK": 1,
    "FIRE-ALARM": 0,
    "INTRUSION": 0,
    "XV-001": 1,
    "XV-002": 1,
}
NORMAL_FC = {"FT-301": 600.0, "FT-301S": 2800.0, "FQ-301S": 1.2e7, "FQ-301": 2.7e6, "CF-301": 4.6}


def engine(tmp_path: Path) -> AlarmEngine:
    return AlarmEngine(build_points(CFG, CFG.alarms), AlarmJournal(RecordsStore(tmp_path / "r.db")))


def poll(
    device: DeviceConfig, normal: dict[str, float], ts: int, quality: int, values: dict[str, float]
) -> SampleBatch:
    """One poll of a device: normal values, some overridden (PT_301=… names PT-301)."""
    v = {**normal, **{k.replace("_", "-"): x for k, x in values.items()}}
    tags = tuple(t.id for t in device.tags)
    return SampleBatch(
        device.id,
        ts,
        tags,
        np.array([float(v[t]) for t in tags]),
        np.full(len(tags), quality, dtype=np.uint8),
    )


def plc(ts: int, quality: int = 0, **values: float) -> SampleBatch:
    return poll(PLC, NORMAL_PLC, ts, quality, values)


def fc(ts: int, quality: int = 0, **values: float) -> SampleBatch:
    return poll(FC, NORMAL_FC, ts, quality, values)


def feed(e: AlarmEngine, seconds: range, **plc_values: float) -> None:
    for s in seconds:
        e.accept(plc(T0 + s * 1000, 0, **{k.replace("_", "-"): v for k, v in plc_values.items()}))
        e.accept(fc(T0 + s * 1000))


def states(e: AlarmEngine, prefix: str = "") -> dict[str, str]:
    return {r["id"]: r["state"] for r in e.current() if r["id"].startswith(prefix)}


def test_normal_values_raise_nothing(tmp_path: Path) -> None:
    e = engine(tmp_path)
    feed(e, range(0, 600))
    assert states(e) == {}


def test_on_delay_deadband_and_rtn(tmp_path: Path) -> None:
    e = engine(tmp_path)
    feed(e, range(0, 10), PT_301=0.385)  # above H (0.38) for 10 s: under the 15 s on-delay
    feed(e, range(10, 20), PT_301=0.35)
    assert states(e, "PT-301.H") == {}
    feed(e, range(20, 40), PT_301=0.385)
    assert states(e, "PT-301.H") == {"PT-301.H": "unacknowledged"}
    feed(e, range(40, 80), PT_301=0.365)  # under the limit but within the 0.02 deadband
    assert states(e, "PT-301.H") == {"PT-301.H": "unacknowledged"}
    feed(e, range(80, 100), PT_301=0.35)  # below 0.36 for the 15 s off-delay
    assert states(e, "PT-301.H") == {"PT-301.H": "rtn_unacknowledged"}
    e.ack("PT-301.H", "op", "seen", T0 + 100_000)
    assert states(e, "PT-301.H") == {}
    events = [(x.alarm, x.event) for x in e.journal.events(alarm="PT-301.H")]
    assert events == [("PT-301.H", "raised"), ("PT-301.H", "cleared"), ("PT-301.H", "acknowledged")]


def test_bad_or_lost_data_never_raises_process_alarms(tmp_path: Path) -> None:
    e = engine(tmp_path)
    feed(e, range(0, 5))
    for s in range(5, 200):  # the PLC is lost: its last values would read as zero flow etc.
        e.accept(plc(T0 + s * 1000, Quality.BAD_COMM_LOSS, PT_301=0.0))
        e.accept(fc(T0 + s * 1000, Quality.BAD_COMM_LOSS, FT_301S=0.0))
    assert states(e) == {"COMM.PLC-1": "unacknowledged", "COMM.FC-301": "unacknowledged"}


def test_out_of_range_signal_is_an_instrument_alarm_not_low_pressure(tmp_path: Path) -> None:
    e = engine(tmp_path)
    for s in range(0, 60):
        b = plc(T0 + s * 1000, PT_301=-0.05)
        b.quality[[t.id for t in PLC.tags].index("PT-301")] = Quality.BAD_OUT_OF_RANGE
        e.accept(b)
        e.accept(fc(T0 + s * 1000))
    assert states(e) == {"BAD.PT-301": "unacknowledged"}
    assert "out_of_range" in e.status["BAD.PT-301"].text_en


def test_slam_shut_first_out_suppresses_consequences_and_latches(tmp_path: Path) -> None:
    e = engine(tmp_path)
    feed(e, range(0, 5))
    for s in range(5, 400):
        p = max(0.05, 0.35 - 0.0015 * (s - 5))
        e.accept(plc(T0 + s * 1000, XS_201A=1, XV_201A=0, PT_301=p, PT_201A=p))
        e.accept(fc(T0 + s * 1000, FT_301S=0.0))
    st = states(e)
    assert st["XS-201A.TRIP"] == "unacknowledged"
    assert st["SUPPLY-INTERRUPTION"] == "unacknowledged"
    assert e.status["SUPPLY-INTERRUPTION"].cause == "slam_shut"
    for consequence in ("PT-301.L", "PT-301.LL", "PT-301.FALLING"):
        assert st[consequence] == "suppressed", consequence
    annunciated = [x.alarm for x in e.journal.events(event="raised")]
    assert annunciated[:2] == ["XS-201A.TRIP", "SUPPLY-INTERRUPTION"]
    assert "PT-301.LL" not in annunciated
    # the trip is latched: after the valve is reset it needs ack and reset
    feed(e, range(400, 420))
    assert states(e)["XS-201A.TRIP"] == "latched"
    with pytest.raises(NotAllowed, match="acknowledged before reset"):
        e.reset("XS-201A.TRIP", "op", None, T0 + 420_000)
    e.ack("XS-201A.TRIP", "op", None, T0 + 420_000)
    e.reset("XS-201A.TRIP", "op", "valve reset on site", T0 + 421_000)
    assert "XS-201A.TRIP" not in states(e)


def test_shelve_hides_and_reannunciates_when_it_expires(tmp_path: Path) -> None:
    e = engine(tmp_path)
    feed(e, range(0, 30), UPS_BATT=1)
    e.shelve("UPS-BATT.ON", "op", "UPS maintenance", T0 + 90_000, T0 + 30_000)
    assert states(e)["UPS-BATT.ON"] == "shelved"
    feed(e, range(30, 60), UPS_BATT=1)
    e.tick(T0 + 89_000)
    assert states(e)["UPS-BATT.ON"] == "shelved"
    e.tick(T0 + 90_000)
    assert (
        states(e)["UPS-BATT.ON"] == "unacknowledged"
    )  # still on battery: back in front of the operator
    assert [x.event for x in e.journal.events(alarm="UPS-BATT.ON")][-2:] == [
        "unshelved",
        "reannunciated",
    ]


def test_one_shot_shelve_ends_when_the_alarm_clears(tmp_path: Path) -> None:
    e = engine(tmp_path)
    feed(e, range(0, 30), UPS_BATT=1)
    e.shelve("UPS-BATT.ON", "op", "known", None, T0 + 30_000)
    feed(e, range(30, 40))
    assert not e.status["UPS-BATT.ON"].shelved
    feed(e, range(40, 60), UPS_BATT=1)
    assert states(e)["UPS-BATT.ON"] == "unacknowledged"


def test_out_of_service_and_return(tmp_path: Path) -> None:
    e = engine(tmp_path)
    e.out_of_service("INTRUSION.ALARM", True, "master", "fence repair", T0)
    feed(e, range(0, 10), INTRUSION=1)
    assert states(e) == {"INTRUSION.ALARM": "out_of_service"}
    e.out_of_service("INTRUSION.ALARM", False, "master", "repaired", T0 + 10_000)
    assert states(e) == {"INTRUSION.ALARM": "unacknowledged"}


def test_states_and_rule_changes_survive_a_restart(tmp_path: Path) -> None:
    e = engine(tmp_path)
    feed(e, range(0, 30), UPS_BATT=1)
    e.shelve("FIRE.ALARM", "leader", "detector test", T0 + 3_600_000, T0 + 30_000)
    old, new = e.change_rule(
        "PT-301.H", {"limit": 0.39, "on_delay_s": 5}, "master", "new set point", T0
    )
    assert old == {"limit": 0.38, "on_delay_s": 15.0} and new == {"limit": 0.39, "on_delay_s": 5.0}
    again = engine(tmp_path)
    assert states(again) == {"UPS-BATT.ON": "unacknowledged", "FIRE.ALARM": "shelved"}
    assert again.points["PT-301.H"].limit == 0.39
    feed(again, range(30, 50), PT_301=0.385)  # would have alarmed at 0.38
    assert "PT-301.H" not in states(again)
    with pytest.raises(NotAllowed):
        again.change_rule("PT-301.H", {"message": 1}, "master", "x", T0)


def test_gas_detector_high_high_latches(tmp_path: Path) -> None:
    e = engine(tmp_path)
    for s, v in enumerate([1, 10, 25, 25, 25, 55, 55, 55, 1, 1, 1, 1, 1]):
        e.accept(fc(T0 + s * 1000))
        b = SampleBatch(
            "RIO-1",
            T0 + s * 1000,
            ("GT-01", "GT-02", "GT-03", "GT-04", "TT-102"),
            np.array([0.5, float(v), 0.5, 0.5, 12.0]),
            np.zeros(5, dtype=np.uint8),
        )
        e.accept(b)
    st = states(e)
    assert st["GT-02.HH"] == "latched" and st["GT-02.H"] == "rtn_unacknowledged"


def test_audit_chain_detects_tampering(tmp_path: Path) -> None:
    store = RecordsStore(tmp_path / "r.db")
    audit = AuditTrail(store)
    for i in range(5):
        audit.append(T0 + i, "op", "alarm.ack", "ok", obj=f"A{i}")
    v = audit.verify()
    assert (v.intact, v.entries, v.detail) == (True, 5, "intact")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"), store.tx() as conn:
        conn.execute("UPDATE audit SET user='mallory' WHERE seq=2")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"), store.tx() as conn:
        conn.execute("DELETE FROM audit WHERE seq=2")
    raw = sqlite3.connect(tmp_path / "r.db")  # someone bypasses the triggers
    raw.execute("DROP TRIGGER audit_no_update")
    raw.execute("UPDATE audit SET user='mallory' WHERE seq=3")
    raw.commit()
    v = audit.verify()
    assert not v.intact and v.findings == {"edited"} and "entry 3" in v.detail


def test_kpi_floods_chattering_and_top10(tmp_path: Path) -> None:
    e = engine(tmp_path)
    for k in range(12):  # 12 different alarms in 2 minutes: a flood
        e.accept(plc(T0 + k * 10_000, **{"FIRE-ALARM": 1 if k % 2 == 0 else 0}))
    journal = e.journal.events()
    flood_events = [x for x in journal if x.event == "raised"]
    assert len(flood_events) == 6
    kpi = alarm_kpi(journal, T0, T0 + 3_600_000, {}, T0)
    assert kpi.raised == 6 and kpi.chattering == ["FIRE.ALARM"]
    assert kpi.top10 == [("FIRE.ALARM", 6)]
    assert kpi.by_priority == {1: 6} and kpi.max_in_10_min == 6 and kpi.floods == []
    many = [
        JournalEvent(
            i,
            T0 + i * 1000,
            f"A{i}",
            "raised",
            "unacknowledged",
            3,
            None,
            None,
            None,
            None,
            None,
            None,
        )
        for i in range(15)
    ]
    k2 = alarm_kpi(many, T0, T0 + 3_600_000, {"OLD": T0 - 90_000_000}, T0)
    assert len(k2.floods) == 1 and k2.floods[0].alarms == 15 and k2.standing == ["OLD"]


@pytest.mark.parametrize(
    ("alarm", "changes", "reason"),
    [
        ("PT-301.H", {"priority": 0}, "priority is 1"),
        ("PT-301.H", {"priority": 5e16}, "priority is 1"),
        ("PT-301.H", {"priority": True}, "priority is 1"),
        ("PT-301.H", {"limit": float("nan")}, "finite"),
        ("PT-301.H", {"limit": float("inf")}, "finite"),
        ("PT-301.H", {"limit": "0.4"}, "a number"),
        ("PT-301.H", {"limit": 0.5}, "LL < L < H < HH"),  # above its HH
        ("PT-301.L", {"limit": 0.1}, "LL < L < H < HH"),  # below its LL
        ("PT-301.H", {"on_delay_s": -1}, "between 0 and"),
        ("PT-301.H", {"off_delay_s": 6e66}, "between 0 and"),
        ("PT-301.H", {"deadband": -0.01}, "between 0 and"),
        ("PT-301.H", {}, "no change"),
    ],
)
def test_management_of_change_refuses_nonsense(
    tmp_path: Path, alarm: str, changes: dict[str, object], reason: str
) -> None:
    e = engine(tmp_path)
    before = e.points[alarm]
    with pytest.raises(NotAllowed, match=reason):
        e.change_rule(alarm, changes, "master", "x", T0)
    assert e.points[alarm] == before
    assert engine(tmp_path).points[alarm] == before  # nothing stored either


@pytest.mark.expect_log("stored rule change of PT-301.HH ignored")
def test_a_nonsense_change_stored_by_an_older_version_is_ignored_at_start(
    tmp_path: Path,
) -> None:
    e = engine(tmp_path)
    e.journal.save_rule_change("PT-301.HH", {"priority": 0}, T0, "master", "old version")
    again = engine(tmp_path)
    assert again.points["PT-301.HH"].priority == e.points["PT-301.HH"].priority == 1
