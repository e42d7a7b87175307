"""Grafana dashboards: well-formed, and every panel's query answered with data by a real server
(no Grafana server can be installed here; InfluxDB 1.x and Prometheus answer the queries)."""

from __future__ import annotations

import json
import re
import signal
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from station.history.influx import line_protocol
from tests.harness.config import config_with_free_ports, example_station, free_port
from tests.harness.processes import spawn, stop, wait_until
from tests.harness.servers import influxdb, prometheus, victoria_metrics
from tests.harness.station import Station

pytestmark = pytest.mark.integration
ROOT = Path(__file__).parents[2]
BOARDS = {p.name: json.loads(p.read_text()) for p in (ROOT / "dashboards").glob("*.json")}


def targets(board: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(p["title"], t) for p in board["panels"] for t in p["targets"]]


def test_dashboard_json_is_consistent() -> None:
    sys.path.insert(0, str(ROOT / "dashboards"))
    import generate  # type: ignore[import-not-found]  # dashboards/ is no package

    for name, build in generate.DASHBOARDS.items():
        assert BOARDS[name] == json.loads(json.dumps(build())), f"regenerate {name}"
    provisioned = yaml.safe_load(
        (ROOT / "dashboards/provisioning/datasources/gate-station.yaml").read_text()
    )
    uids = {d["uid"]: d["type"] for d in provisioned["datasources"]}
    assert len({b["uid"] for b in BOARDS.values()}) == len(BOARDS)
    for board in BOARDS.values():
        ids = [p["id"] for p in board["panels"]]
        assert len(ids) == len(set(ids)), board["uid"]
        assert board["schemaVersion"] >= 38  # Grafana 10+
        for p in board["panels"]:
            assert p["targets"], f"{p['title']} has no query"
            assert uids[p["datasource"]["uid"]] == p["datasource"]["type"]
            for t in p["targets"]:
                assert t.get("query") or t.get("expr"), p["title"]
                assert len({t["refId"] for t in p["targets"]}) == len(p["targets"])


def expand_influxql(query: str, start_ms: int, end_ms: int, interval: str) -> str:
    return query.replace("$timeFilter", f"time >= {start_ms}ms AND time <= {end_ms}ms").replace(
        "$__interval", interval
    )


async def test_every_influxql_panel_returns_data(tmp_path: Path) -> None:
    server = influxdb(tmp_path / "influx").start()
    try:
        httpx.post(
            f"{server.base}/query", params={"q": "CREATE DATABASE station"}
        ).raise_for_status()
        cfg = example_station()
        cfg = cfg.model_copy(
            update={
                "devices": [d.model_copy(update={"poll_interval_s": 60.0}) for d in cfg.devices]
            }
        )
        units = {t.id: t.unit for _, t in cfg.all_tags()}
        station = Station(cfg, tmp_path / "data")
        lines: list[str] = []
        station.rt.bus.subscribe(
            "test", lambda b: lines.extend(line_protocol(b, "demo-gate", units))
        )
        await station.start()
        start_ms = station.rt.now_ms()
        try:
            station.sim.set_scenario("gas-leak")  # something for the detector panel to show
            await station.run(2 * 86_400 + 3600)  # two simulated days and a bit
        finally:
            await station.stop()
        end_ms = station.rt.now_ms()
        for i in range(0, len(lines), 20_000):
            r = httpx.post(
                f"{server.base}/write",
                params={"db": "station", "precision": "ms"},
                content="\n".join(lines[i : i + 20_000]),
                timeout=60,
            )
            assert r.status_code == 204, r.text
        board = BOARDS["station-overview.json"]
        checked = 0
        for title, target in targets(board):
            q = expand_influxql(target["query"], start_ms, end_ms, "10m")
            assert "$" not in q.replace("$tag_", ""), q
            r = httpx.get(f"{server.base}/query", params={"db": "station", "q": q, "epoch": "ms"})
            result = r.json()["results"][0]
            assert "error" not in result, (title, result)
            series = result.get("series", [])
            values = [v for s in series for row in s["values"] for v in row[1:] if v is not None]
            assert values, f"{title}: no data for {q}"
            checked += 1
        assert checked == len(targets(board))
    finally:
        server.stop()


def test_every_promql_panel_returns_data(tmp_path: Path) -> None:
    vm = victoria_metrics(tmp_path / "vm").start()
    cfg, _ = config_with_free_ports(tmp_path, **{"poll_interval_s: 1.0": "poll_interval_s: 0.2"})
    text = cfg.read_text(encoding="utf-8").replace(
        "history:\n", f"history:\n  influx: {{url: '{vm.base}', bucket: station}}\n", 1
    )
    cfg.write_text(text, encoding="utf-8")
    http = free_port()
    sim = spawn("simulate", "--config", str(cfg))
    svc = spawn(
        "run", "--config", str(cfg), "--data-dir", str(tmp_path / "data"), "--port", str(http)
    )
    prom = None
    try:
        base = f"http://127.0.0.1:{http}"
        wait_until(lambda: httpx.get(f"{base}/healthz").json()["status"] == "ok", 30, "healthy")
        prom = prometheus(tmp_path / "prom", f"127.0.0.1:{http}", interval_s=1).start()
        time.sleep(12)
        end = time.time()
        for title, target in targets(BOARDS["service-health.json"]):
            r = httpx.get(
                f"{prom.base}/api/v1/query_range",
                params={"query": target["expr"], "start": end - 60, "end": end, "step": 1},
            ).json()
            assert r["status"] == "success", (title, r)
            values = [float(v) for s in r["data"]["result"] for _, v in s["values"]]
            assert values and not all(v != v for v in values), (
                f"{title}: no data for {target['expr']}"
            )
    finally:
        if prom is not None:
            prom.stop()
        stop(sim)
        stop(svc, signal.SIGINT)
        vm.stop()


def test_influxql_uses_only_the_documented_schema() -> None:
    fields = set()
    for _, t in targets(BOARDS["station-overview.json"]):
        fields |= set(re.findall(r'\("(\w+)"\)', t["query"]))
        assert 'FROM "gate_station"' in t["query"]
    assert fields <= {"value", "quality"}
