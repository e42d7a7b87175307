"""/metrics checked by promtool and scraped by a real Prometheus."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.harness.servers import need, prometheus

pytestmark = pytest.mark.integration


def test_metrics_pass_promtool(demo: str) -> None:
    text = httpx.get(f"{demo}/metrics").text
    for name in (
        "gate_station_polls_total",
        "gate_station_poll_duration_seconds_sum",
        "gate_station_samples_published_total",
        "gate_station_alarms_active",
        'gate_station_tag_value{device="PLC-1",tag="PT-301",unit="MPa"}',
    ):
        assert name in text, name
    res = subprocess.run(
        [need("promtool", "prometheus"), "check", "metrics"],
        input=text,
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0 and res.stdout.strip() == "", res.stdout + res.stderr


def test_real_prometheus_scrapes_the_service(demo: str, tmp_path: Path) -> None:
    server = prometheus(tmp_path / "prom", demo.removeprefix("http://"), interval_s=1).start()
    try:
        deadline = time.monotonic() + 30
        result: list[dict[str, object]] = []
        while time.monotonic() < deadline and not result:
            r = httpx.get(
                f"{server.base}/api/v1/query",
                params={"query": 'gate_station_tag_value{tag="PT-301"}'},
            ).json()
            result = r["data"]["result"]
            time.sleep(0.5)
        assert result, "Prometheus has no sample of PT-301"
        assert 0.33 < float(result[0]["value"][1]) < 0.37  # type: ignore[index]
        targets = httpx.get(f"{server.base}/api/v1/targets").json()["data"]["activeTargets"]
        assert targets[0]["health"] == "up"
        rate = httpx.get(
            f"{server.base}/api/v1/query", params={"query": "sum(gate_station_polls_total)"}
        ).json()
        assert float(rate["data"]["result"][0]["value"][1]) > 0
    finally:
        server.stop()
