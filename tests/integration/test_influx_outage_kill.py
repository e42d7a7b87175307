"""InfluxDB down, and the service killed (SIGKILL) during the outage: what acquisition had
published is on disk within a second, the outage alarm picks up where it was after the restart,
and once the server is back every spooled point arrives exactly once."""

from __future__ import annotations

import signal
import sqlite3
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from tests.harness.config import config_with_free_ports, free_port
from tests.harness.processes import spawn, stop, wait_until
from tests.harness.servers import victoria_metrics

pytestmark = pytest.mark.integration
DOWN_AFTER_S = 8


def raw_stamps(data: Path, tag: str) -> list[int]:
    with sqlite3.connect(data / "history.sqlite3") as conn:
        return [
            ts
            for (ts,) in conn.execute(
                "SELECT ts FROM samples JOIN tags ON tags.id = tag WHERE name = ? ORDER BY ts",
                (tag,),
            )
        ]


def spooled_stamps(spool: Path, tag: str) -> Counter[int]:
    out: Counter[int] = Counter()
    for seg in sorted(spool.glob("*.lp")):
        for line in seg.read_text().splitlines():
            if f",tag={tag}," in line or f",tag={tag} " in line:
                out[int(line.rsplit(" ", 1)[1])] += 1
    return out


def exported_counts(base: str, tag: str) -> Counter[int]:
    """Every stored sample of the tag's value, counted per timestamp (a duplicate shows)."""
    import json

    httpx.get(f"{base}/internal/force_flush", timeout=10)
    r = httpx.get(
        f"{base}/api/v1/export",
        params={"match[]": f'{{__name__="gate_station_value",tag="{tag}"}}'},
        timeout=30,
    )
    out: Counter[int] = Counter()
    for line in r.text.splitlines():
        out.update(json.loads(line)["timestamps"])
    return out


def influx_down(base: str) -> bool:
    alarms = httpx.get(f"{base}/api/alarms", timeout=5).json()
    return any(a["id"] == "HISTORIAN.INFLUX-DOWN" and a["active"] for a in alarms)


def test_kill_during_an_outage_then_the_server_returns(tmp_path: Path) -> None:
    vm_port = free_port()
    cfg, _ = config_with_free_ports(
        tmp_path,
        **{
            "poll_interval_s: 1.0": "poll_interval_s: 0.2",
            "history:\n": (
                f"history:\n  influx: {{url: 'http://127.0.0.1:{vm_port}', bucket: station,"
                f" down_alarm_after_s: {DOWN_AFTER_S}}}\n"
            ),
        },
    )
    data, http = tmp_path / "data", free_port()
    base = f"http://127.0.0.1:{http}"
    run = ("run", "--config", str(cfg), "--data-dir", str(data), "--port", str(http))
    sim = spawn("simulate", "--config", str(cfg))
    svc = spawn(*run)
    vm = victoria_metrics(tmp_path / "vm", port=vm_port)
    try:
        wait_until(lambda: influx_down(base), DOWN_AFTER_S + 15, "outage alarm")
        time.sleep(2)
        stop(svc, signal.SIGKILL)
        raw = raw_stamps(data, "PT-301")
        spooled = spooled_stamps(data / "influx-spool", "PT-301")
        newest = max(raw)
        missing = [t for t in raw if t not in spooled and t <= newest - 1000]
        assert not missing, f"{len(missing)} published samples older than 1 s not on disk"
        assert all(n == 1 for n in spooled.values())

        restarted = time.monotonic()
        svc = spawn(*run)
        wait_until(lambda: influx_down(base), DOWN_AFTER_S, "outage alarm after restart")
        # the outage began before the restart: no new 8 s delay
        assert time.monotonic() - restarted < DOWN_AFTER_S - 2

        vm.start()
        returned = time.monotonic()
        wait_until(lambda: not influx_down(base), 30, "outage alarm cleared")
        assert time.monotonic() - returned < 15  # replay starts within seconds
        wait_until(lambda: exported_counts(vm.base, "PT-301").keys() >= set(spooled), 30, "drained")
        out = stop(svc, signal.SIGTERM)
        assert svc.returncode == 0 and "Traceback" not in out, out
        final_raw = raw_stamps(data, "PT-301")
        after_kill = {t for t in final_raw if t > newest}
        # the last points, sent at the stop, become searchable in the server shortly after
        in_server = wait_until(
            lambda: (got := exported_counts(vm.base, "PT-301")).keys() >= after_kill and got,
            10,
            "every point since the restart in the server",
        )
        assert max(in_server.values()) == 1, "a point was sent twice"
        lost_at_kill = set(final_raw) - set(in_server)
        assert all(newest - 1000 < t <= newest for t in lost_at_kill), sorted(lost_at_kill)[:5]
        assert set(in_server) <= set(final_raw) | set(spooled)  # nothing invented
    finally:
        stop(sim)
        stop(svc)
        vm.stop()
