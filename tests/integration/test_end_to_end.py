"""The product as a user runs it: `station demo`, and `station simulate` + `station run`."""

from __future__ import annotations

import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.harness.config import config_with_free_ports, free_port
from tests.harness.processes import live, operator, spawn, stop, wait_until

pytestmark = pytest.mark.integration


def test_demo_live_values_history_and_a_silent_plc(demo: str) -> None:
    values = wait_until(lambda: (v := live(demo)) and len(v) == 32 and v, 10, "all tags live")
    assert all(v["quality"] == "good" for v in values.values()), values
    ranges = {
        "PT-101": (2.5, 4.0),
        "PT-301": (0.33, 0.37),
        "TT-301": (5, 20),
        "TT-102": (5, 40),
        "FT-301S": (900, 4800),
        "PDT-101": (0, 20),
        "GT-01": (0, 2),
        "AT-401": (15, 30),
        "CF-301": (4.2, 4.9),
    }
    for tag, (lo, hi) in ranges.items():
        assert lo <= values[tag]["value"] <= hi, (tag, values[tag]["value"])
    assert values["XV-001"]["value"] is True and values["XS-201A"]["value"] is False
    assert values["FQ-301S"]["value"] > 12_000_000

    now = datetime.now(UTC)
    params: dict[str, Any] = {
        "tags": "PT-301,FT-301S",
        "start": (now - timedelta(hours=1)).isoformat(),
        "end": (now + timedelta(hours=1)).isoformat(),
    }
    raw = wait_until(
        lambda: (
            (r := httpx.get(f"{demo}/api/history", params=params).json())
            and all(len(s["points"]) >= 5 for s in r["series"])
            and r
        ),
        10,
        "history rows",
    )
    assert all(p["quality"] == "good" for s in raw["series"] for p in s["points"])
    # Rollups are flushed every 10 s of station time (1 s of wall time at ×10).
    minute = wait_until(
        lambda: (
            (
                r := httpx.get(
                    f"{demo}/api/history", params={**params, "step": 60, "agg": "max"}
                ).json()
            )
            and r["series"][0]["points"]
            and r
        ),
        5,
        "minute rollup",
    )
    assert 0.33 < minute["series"][0]["points"][-1]["value"] < 0.37

    r = httpx.put(f"{demo}/api/simulator/scenario", json={"name": "plc-silent"})
    assert r.status_code == 401  # tripping the demo station needs a login
    op = operator(demo)
    r = httpx.put(f"{demo}/api/simulator/scenario", json={"name": "plc-silent"}, headers=op)
    assert r.status_code == 200 and r.json()["scenario"] == "plc-silent"
    bad = wait_until(
        lambda: (v := live(demo))["PT-301"]["quality"] == "bad" and v, 5, "PLC tags bad"
    )
    assert bad["PT-301"]["reason"] == "comm_loss" and bad["FT-301S"]["quality"] == "good"
    health = httpx.get(f"{demo}/healthz").json()
    assert health["status"] == "degraded"
    httpx.put(f"{demo}/api/simulator/scenario", json={"name": "normal"}, headers=op)
    wait_until(lambda: live(demo)["PT-301"]["quality"] == "good", 8, "PLC tags good again")


def test_api_rejects_bad_requests_with_reasons(demo: str) -> None:
    now = datetime.now(UTC)
    ok = {
        "tags": "PT-301",
        "start": (now - timedelta(minutes=5)).isoformat(),
        "end": now.isoformat(),
    }
    r = httpx.get(f"{demo}/api/history", params={**ok, "tags": "PT-999"})
    assert r.status_code == 404 and "PT-999" in r.json()["detail"]
    r = httpx.get(f"{demo}/api/history", params={**ok, "end": ok["start"], "start": ok["end"]})
    assert r.status_code == 400 and "after start" in r.json()["detail"]
    r = httpx.get(f"{demo}/api/history", params={**ok, "step": 0})
    assert r.status_code == 422
    r = httpx.get(f"{demo}/api/history", params={**ok, "agg": "median"})
    assert r.status_code == 422
    r = httpx.get(f"{demo}/api/history", params={**ok, "start": "yesterday"})
    assert r.status_code == 422
    r = httpx.get(f"{demo}/api/history", params={**ok, "start": "2000-01-01T00:00:00Z"})
    assert r.status_code == 400 and "step" in r.json()["detail"]
    r = httpx.put(f"{demo}/api/simulator/scenario", json={"name": "meteor"}, headers=operator(demo))
    assert r.status_code == 400 and "known:" in r.json()["detail"]
    assert httpx.get(f"{demo}/api/live", params={"tags": "NOPE"}).status_code == 404
    # naive times are station time (UTC+8 here)
    local = (now + timedelta(hours=8)).replace(tzinfo=None)
    r = httpx.get(
        f"{demo}/api/history",
        params={
            **ok,
            "start": (local - timedelta(minutes=5)).isoformat(),
            "end": local.isoformat(),
        },
    )
    assert r.status_code == 200 and abs(datetime.fromisoformat(r.json()["end"]) - now) < timedelta(
        seconds=1
    )
    spec = httpx.get(f"{demo}/openapi.json").json()
    assert {"/healthz", "/api/tags", "/api/live", "/api/history"} <= set(spec["paths"])
    assert httpx.get(f"{demo}/docs").status_code == 200
    page = httpx.get(f"{demo}/")
    assert page.status_code == 200 and "/static/js/app.js" in page.text
    assert "/api/stream" in httpx.get(f"{demo}/static/js/stream.js").text  # the push channel
    tags = httpx.get(f"{demo}/api/tags").json()
    fc = next(t for t in tags if t["id"] == "FT-301S")
    assert (
        fc["unit"] == "Nm³/h"
        and fc["name"]["zh"] == "标况流量"
        and fc["source"]["device"] == "FC-301"
    )


def test_killed_simulator_process_and_restart(tmp_path: Path) -> None:
    """A real PLC process dies (SIGKILL) and comes back; the service recovers by itself."""
    cfg, _ = config_with_free_ports(
        tmp_path, **{"poll_interval_s: 1.0": "poll_interval_s: 0.5\n    backoff_max_s: 1"}
    )
    http = free_port()
    sim = spawn("simulate", "--config", str(cfg))
    svc = spawn(
        "run", "--config", str(cfg), "--data-dir", str(tmp_path / "data"), "--port", str(http)
    )
    base = f"http://127.0.0.1:{http}"
    try:
        wait_until(
            lambda: all(v["quality"] == "good" for v in live(base).values()) and live(base),
            30,
            "all good",
        )
        stop(sim, signal.SIGKILL)
        killed = time.monotonic()
        wait_until(lambda: all(v["quality"] == "bad" for v in live(base).values()), 5, "all bad")
        assert time.monotonic() - killed < 0.5 + 1.0 + 0.6
        assert {v["reason"] for v in live(base).values()} == {"comm_loss"}
        sim = spawn("simulate", "--config", str(cfg))
        wait_until(
            lambda: all(v["quality"] == "good" for v in live(base).values()), 10, "recovered"
        )
        health = wait_until(
            lambda: (h := httpx.get(f"{base}/healthz").json())["status"] == "ok" and h,
            5,
            "healthy again",
        )
        assert all(d["failed_polls"] > 0 for d in health["devices"])
    finally:
        stop(sim)
        out = stop(svc)
        assert "Traceback" not in out, out


def test_mixed_station_three_protocols_one_api(tmp_path: Path) -> None:
    """OPC UA PLC, RTU flow computer on a (virtual) RS-485 line, RTU-over-TCP remote I/O."""
    from tests.harness.serial_pair import serial_pair

    opc, rio, http = free_port(), free_port(), free_port()
    text = (Path(__file__).parents[2] / "config" / "station-mixed.yaml").read_text(encoding="utf-8")
    with serial_pair(tmp_path) as (sim_end, svc_end):
        text = (
            text.replace("opc.tcp://127.0.0.1:4840/", f"opc.tcp://127.0.0.1:{opc}/")
            .replace("port: 5022", f"port: {rio}")
            .replace("serial_port: /dev/ttyUSB0", f"serial_port: {svc_end}")
            .replace("parity: E", "parity: N")
        )  # a pty refuses parity
        cfg = tmp_path / "mixed.yaml"
        cfg.write_text(text, encoding="utf-8")
        sim = spawn("simulate", "--config", str(cfg), "--serial", f"FC-301={sim_end}")
        svc = spawn(
            "run", "--config", str(cfg), "--data-dir", str(tmp_path / "data"), "--port", str(http)
        )
        base = f"http://127.0.0.1:{http}"
        try:
            values = wait_until(
                lambda: (
                    (v := live(base))
                    and len(v) == 32
                    and all(x["quality"] == "good" for x in v.values())
                    and v
                ),
                30,
                "all 32 good",
            )
            assert 0.33 < values["PT-301"]["value"] < 0.37
            assert 900 < values["FT-301S"]["value"] < 4800
            assert 0 <= values["GT-01"]["value"] < 2
            sources = {t["id"]: t["source"] for t in httpx.get(f"{base}/api/tags").json()}
            assert sources["PT-301"]["protocol"] == "opcua"
            assert sources["PT-301"]["address"] == "ns=2;s=PT-301"
            assert sources["FT-301S"]["protocol"] == "modbus_rtu"
            assert sources["FT-301S"]["endpoint"] == f"{svc_end}@19200"
            assert sources["GT-01"]["protocol"] == "modbus_rtu_over_tcp"
        finally:
            stop(sim)
            out = stop(svc)
            assert "Traceback" not in out, out
