"""End-to-end acquisition benchmark: simulator → Modbus → service → history and /api/live.

Runs three real processes on loopback: the simulator (`station simulate`-like, with a
timestamp planted in one float64 tag), the service (`station run`), and this script,
which measures from outside:

1. peer: a plain pymodbus client loop with numpy decoding against the same simulator,
   the ceiling one connection reaches with no service around it;
2. throughput: tag values per second published and written to history, with the
   service's CPU time and memory;
3. latency: from the moment the simulator's scan writes a new value to the moment
   /api/live shows it, against the target of poll period + 20 ms;
4. where the CPU goes: each stage's share (acquisition and the HTTP side on the poll loop,
   the fan-out consumers inline — live cache, alarms, hand-over to history — and the
   history writer thread), from the service's own per-stage thread CPU counters.

By default every value changes at every simulator scan (every poll period), as on a
device whose inputs are noisy: a value that changes once a second would flatter the
writer and the alarms. `--values slow` keeps the model's once-a-second change, the case
earlier figures were taken with.

Usage: python benchmarks/acquisition.py [--devices 4] [--tags 2000] [--poll 0.1]
       [--seconds 20] [--values every-scan|slow]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.processes import (  # noqa: E402
    cpu_seconds,
    rss_mib,
    start_service,
    start_simulator,
    wait_healthy,
)
from drivers.modbus.codec import DataType, Order, decode  # noqa: E402
from station.config.loader import load_config  # noqa: E402
from station.config.models import ModbusTcpDevice  # noqa: E402
from station.loopback import free_port  # noqa: E402

MARK = "BENCH-MARK"
PASSWORD = "bench-reports-2026"


def bench_config(path: Path, devices: int, tags: int, poll: float) -> Path:
    devs = []
    for d in range(devices):
        points = [
            {
                "id": f"B{d}-{i:05d}",
                "name": {"zh": f"测点{i}", "en": f"Point {i}"},
                "unit": "",
                "table": "holding",
                "address": 2 * i,
                "type": "float32",
            }
            for i in range(tags)
        ]
        if d == 0:
            points.append(
                {
                    "id": MARK,
                    "name": {"zh": "时间标记", "en": "Time marker"},
                    "table": "input",
                    "address": 0,
                    "type": "float64",
                }
            )
        devs.append(
            {
                "id": f"BENCH-{d}",
                "protocol": "modbus_tcp",
                "host": "127.0.0.1",
                "port": free_port(),
                "device_id": 1,
                "poll_interval_s": poll,
                "timeout_s": 1.0,
                "tags": points,
            }
        )
    points0: list[dict[str, object]] = devs[0]["tags"]  # type: ignore[assignment]
    points0[0]["counter"] = {}  # a totaliser, for the report case
    cfg = {
        "station": {"id": "bench", "name": {"zh": "基准", "en": "Bench"}},
        "devices": devs,
        "history": {"raw_retention_days": 1},
        # one meter run over the first tags of the first device: the monthly report case
        "reports": {
            "meter_runs": [
                {"id": "RUN-1", "standard_volume": "B0-00000", "standard_flow": "B0-00001",
                 "pressure": "B0-00002", "temperature": "B0-00003"}
            ],
            "archive_formats": [],
        },
    }  # fmt: skip
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return path


async def serve_simulator(config: str, every_scan: float | None) -> None:
    """Simulator process: every scan plants the wall time of the update in BENCH-MARK.

    With `every_scan` (seconds), every register is rewritten with new values that often,
    vectorised so the simulator keeps up whatever the tag count.
    """
    from simulators.station_sim import StationSimulator
    from station.clock import WallClock

    sim = StationSimulator(load_config(config), WallClock(), signals={MARK: time.time})
    await sim.start()
    print("ready", flush=True)
    if every_scan is None:
        await asyncio.Event().wait()
        return
    rng = np.random.default_rng(1)
    devices = [d for server in sim.servers for d in server.devices]
    marks = [[i for i, t in enumerate(d.image.tag_ids) if t == MARK] for d in devices]
    while True:
        for d, mark in zip(devices, marks, strict=True):
            values = 50.0 + rng.normal(0.0, 5.0, len(d.image.tag_ids))
            values[mark] = time.time()
            d.image.refresh(values)
        await asyncio.sleep(every_scan)


async def peer_pymodbus_loop(
    host: str, port: int, seconds: float, registers: int
) -> tuple[float, float]:
    """Plain pymodbus: 125-register reads back to back, each block decoded with numpy."""
    from pymodbus.client import AsyncModbusTcpClient

    client = AsyncModbusTcpClient(host, port=port)
    await client.connect()
    offsets = np.arange(0, 124, 2)
    values = 0
    c0, t0 = time.process_time(), time.perf_counter()
    address = 0
    while time.perf_counter() - t0 < seconds:
        rr = await client.read_holding_registers(address, count=124, device_id=1)
        decode(
            np.asarray(rr.registers, dtype=np.uint16),
            offsets,
            DataType.FLOAT32,
            Order.BIG,
            Order.BIG,
        )
        values += len(offsets)
        address = (address + 124) % max(124, registers - 124)  # stay inside the map
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    client.close()
    return values / wall, values / cpu


def report_while_polling(base: str, seconds: float) -> None:
    """The monthly report made and printed as PDF (and HTML, XLSX) over and over while the
    polls go on: the poll overruns and the latest poll start, before and during."""
    with httpx.Client(base_url=base, timeout=120) as client:
        token = client.post("/api/login", json={"username": "bench", "password": PASSWORD}).json()[
            "token"
        ]
        auth = {"Authorization": f"Bearer {token}"}
        today = datetime.now(UTC)
        month = (
            f"{today.year - (today.month == 1)}-{12 if today.month == 1 else today.month - 1:02d}"
        )
        url = f"/api/reports/monthly/{month}"
        h0 = health(base)
        began = time.perf_counter()
        r = client.post(f"{url}/generate", headers=auth)
        assert r.status_code == 200, r.text
        generated = time.perf_counter() - began
        printed: list[float] = []
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            for fmt in ("pdf", "html", "xlsx"):
                t0 = time.perf_counter()
                r = client.get(f"{url}/{fmt}", headers=auth)
                assert r.status_code == 200, r.text
                if fmt == "pdf":
                    printed.append(time.perf_counter() - t0)
        h1 = health(base)
    overruns = sum(d["overruns"] for d in h1["devices"]) - sum(d["overruns"] for d in h0["devices"])
    late = max(d["start_late_max_ms"] for d in h1["devices"])
    print(
        f"monthly report {month} while polling: made in {generated:.2f} s, printed as PDF "
        f"{len(printed)} times (median {statistics.median(printed):.2f} s, in the render "
        f"worker) with HTML and XLSX between; poll overruns meanwhile {overruns} (target 0), "
        f"latest poll start {late:.1f} ms"
    )


def health(base: str) -> dict:  # type: ignore[type-arg]
    return httpx.get(f"{base}/healthz", timeout=10).json()  # type: ignore[no-any-return]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--devices", type=int, default=4)
    ap.add_argument("--tags", type=int, default=2000, help="float32 tags per device")
    ap.add_argument("--poll", type=float, default=0.1, help="poll period, s")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--values", choices=("every-scan", "slow"), default="every-scan")
    ap.add_argument("--serve-simulator", help=argparse.SUPPRESS)
    ap.add_argument("--scan", type=float, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve_simulator:
        asyncio.run(serve_simulator(args.serve_simulator, args.scan))
        return

    tmp = Path(tempfile.mkdtemp(prefix="bench-"))
    cfg_path = bench_config(tmp / "bench.yaml", args.devices, args.tags, args.poll)
    cfg = load_config(cfg_path)
    scan = ["--scan", str(args.poll)] if args.values == "every-scan" else []
    sim = start_simulator(__file__, cfg_path, scan)
    dev0 = cfg.devices[0]
    assert isinstance(dev0, ModbusTcpDevice)
    print(
        f"setup: {args.devices} devices × {args.tags} float32 tags, poll {args.poll} s "
        f"→ offered {args.devices * args.tags / args.poll:,.0f} values/s, values changing "
        f"{'at every scan' if args.values == 'every-scan' else 'once a second'}; "
        f"{os.cpu_count()} cores, loopback"
    )

    peer_rate, peer_per_cpu = asyncio.run(
        peer_pymodbus_loop("127.0.0.1", dev0.port, 5.0, 2 * args.tags)
    )
    print(
        f"peer   plain pymodbus loop, 1 connection:  {peer_rate:>10,.0f} values/s   "
        f"{peer_per_cpu:>10,.0f} values per CPU-second"
    )

    http = free_port()
    subprocess.run(
        [sys.executable, "-m", "station.cli", "user", "add", "bench", "--role", "station_master",
         "--data-dir", str(tmp / "data"), "--password-stdin"],
        input=PASSWORD, text=True, check=True, capture_output=True,
    )  # fmt: skip
    svc = start_service(cfg_path, tmp / "data", http)
    base = f"http://127.0.0.1:{http}"
    try:
        wait_healthy(base)
        time.sleep(3)  # warm-up
        h0, c0, t0 = health(base), cpu_seconds(svc.pid), time.perf_counter()
        time.sleep(args.seconds)
        h1, c1, t1 = health(base), cpu_seconds(svc.pid), time.perf_counter()
        wall, cpu = t1 - t0, c1 - c0
        published = (h1["history"]["samples_in"] - h0["history"]["samples_in"]) / wall
        written = (h1["history"]["rows_written"] - h0["history"]["rows_written"]) / wall
        overruns = sum(d["overruns"] for d in h1["devices"]) - sum(
            d["overruns"] for d in h0["devices"]
        )
        print(
            f"ours   acquisition → fan-out:              {published:>10,.0f} values/s   "
            f"{published * wall / cpu:>10,.0f} values per CPU-second"
        )
        print(
            f"ours   → embedded history (SQLite):        {written:>10,.0f} rows/s     "
            f"backlog {h1['history']['pending_rows']} rows, lag {h1['history']['lag_s']:.1f} s, "
            f"refused {h1['history']['shed_rows']}"
        )
        print(
            f"service process: {cpu / wall * 100:.0f} % of one core, "
            f"RSS {rss_mib(svc.pid):.0f} MiB, "
            f"poll overruns {overruns}, failed polls "
            f"{sum(d['failed_polls'] for d in h1['devices'])}"
        )

        stages0, stages1 = h0["stage_cpu_s"], h1["stage_cpu_s"]
        spent = {k: stages1[k] - stages0.get(k, 0.0) for k in stages1}
        inline = sum(v for k, v in spent.items() if k != "history-writer")
        spent = {"acquisition + HTTP (poll loop)": cpu - inline - spent["history-writer"]} | {
            (k if k == "history-writer" else f"fan-out → {k}"): v for k, v in spent.items()
        }
        print("where the service's CPU went (share of one core):")
        for name, seconds in spent.items():
            print(f"  {name:<32} {seconds / wall * 100:5.1f} %")

        latencies: list[float] = []
        last = None
        with httpx.Client(base_url=base, timeout=5) as client:
            end = time.monotonic() + args.seconds
            while time.monotonic() < end:
                v = client.get("/api/live", params={"tags": MARK}).json()["values"][0]["value"]
                seen = time.time()
                if last is not None and v != last:
                    latencies.append((seen - v) * 1000)
                last = v
                time.sleep(0.002)
        lat = sorted(latencies)
        target = args.poll * 1000 + 20
        if lat:
            p95 = lat[int(0.95 * (len(lat) - 1))]
            print(
                f"latency simulator scan → /api/live ({len(lat)} changes): mean "
                f"{statistics.mean(lat):.1f} ms, p50 {statistics.median(lat):.1f} ms, "
                f"p95 {p95:.1f} ms, max {lat[-1]:.1f} ms; target < {target:.0f} ms "
                f"(poll + 20 ms): {'met' if lat[-1] < target else 'NOT met'}"
            )
        report_while_polling(base, args.seconds)
        stored = sum(1 for _ in (tmp / "data").iterdir())
        print(f"history files: {stored}; data dir {tmp}")
    finally:
        svc.terminate()
        sim.terminate()
        svc.wait(10)
        sim.wait(10)


if __name__ == "__main__":
    main()
