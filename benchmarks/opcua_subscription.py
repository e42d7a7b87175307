"""OPC UA subscription benchmark: monitored items at a 1 s sampling interval, sustained?

The simulator (asyncua server, its own process) updates N variables every second; this
process runs the project's OPC UA driver (OpcUaPoller, subscription mode) on one session
and measures, per window of the run:
- notifications per second received,
- lag = arrival time − the value's SourceTimestamp (sampling and publishing add up to ~2 s
  by design; what matters is whether it grows),
- CPU of both processes.

Peer figure: FreeOpcUa/opcua-asyncio issue #1516 reports lag building up with 6,000 tags at
1 s on a 4-vCPU machine, 3,000 fine.

Usage: python benchmarks/opcua_subscription.py [--items 1000 3000 6000] [--seconds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.processes import cpu_seconds, start_simulator  # noqa: E402
from drivers.opcua.client import OpcUaPoller  # noqa: E402
from station.config.loader import load_config  # noqa: E402
from station.config.models import OpcUaDevice  # noqa: E402
from station.device_drivers import opcua_settings  # noqa: E402
from station.loopback import free_port  # noqa: E402


def bench_config(path: Path, items: int, port: int) -> Path:
    tags = [
        {
            "id": f"U-{i:05d}",
            "name": {"zh": f"点{i}", "en": f"Item {i}"},
            "node_id": f"ns=2;s=U-{i:05d}",
        }
        for i in range(items)
    ]
    cfg = {
        "station": {"id": "bench", "name": {"zh": "基准", "en": "Bench"}},
        "devices": [
            {
                "id": "PLC-UA",
                "protocol": "opcua",
                "endpoint": f"opc.tcp://127.0.0.1:{port}/gate-station/",
                "publishing_interval_s": 1.0,
                "sampling_interval_s": 1.0,
                "timeout_s": 10.0,
                "tags": tags,
            }
        ],
    }
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return path


async def serve_simulator(config: str) -> None:
    from simulators.station_sim import StationSimulator
    from station.clock import WallClock

    sim = StationSimulator(load_config(config), WallClock())
    await sim.start()
    print("ready", flush=True)
    await asyncio.Event().wait()


async def measure(config: Path, seconds: float, sim_pid: int) -> dict[str, Any]:
    cfg = load_config(config)
    device = cfg.devices[0]
    assert isinstance(device, OpcUaDevice)
    poller = OpcUaPoller(opcua_settings(device))
    lags: list[tuple[float, float]] = []
    original = poller.datachange_notification

    def timed(node: Any, val: Any, data: Any) -> None:
        original(node, val, data)
        ts = data.monitored_item.Value.SourceTimestamp
        if ts is not None:
            now = time.time()
            lags.append((now, now - ts.timestamp()))

    poller.datachange_notification = timed  # type: ignore[method-assign]
    await poller.read()
    t_start = time.time()
    while not poller.connected or poller.notifications < len(device.tags):
        await asyncio.sleep(0.1)
        if time.time() - t_start > 120:
            raise SystemExit("subscription did not come up")
    setup_s = time.time() - t_start
    await asyncio.sleep(2)
    n0, c0, s0, t0 = poller.notifications, time.process_time(), cpu_seconds(sim_pid), time.time()
    await asyncio.sleep(seconds)
    n1, c1, s1, t1 = poller.notifications, time.process_time(), cpu_seconds(sim_pid), time.time()
    await poller.close()
    third = (t1 - t0) / 3
    first = [lag for ts, lag in lags if t0 <= ts < t0 + third]
    last = [lag for ts, lag in lags if t1 - third <= ts < t1]
    return {
        "items": len(device.tags),
        "setup_s": setup_s,
        "rate": (n1 - n0) / (t1 - t0),
        "client_cpu": (c1 - c0) / (t1 - t0),
        "server_cpu": (s1 - s0) / (t1 - t0),
        "lag_first": statistics.median(first) if first else float("nan"),
        "lag_last": statistics.median(last) if last else float("nan"),
        "lag_last_p95": sorted(last)[int(0.95 * (len(last) - 1))] if last else float("nan"),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, nargs="+", default=[1000, 3000, 6000])
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--serve-simulator", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve_simulator:
        asyncio.run(serve_simulator(args.serve_simulator))
        return
    tmp = Path(tempfile.mkdtemp(prefix="bench-ua-"))
    print(f"{os.cpu_count()} cores, loopback; sampling 1 s, publishing 1 s, one session")
    print(
        "items  setup   notif/s  expected  client CPU  server CPU  lag p50 first→last  lag p95 last"
    )
    for items in args.items:
        cfg = bench_config(tmp / f"ua-{items}.yaml", items, free_port())
        sim = start_simulator(__file__, cfg)
        try:
            r = asyncio.run(measure(cfg, args.seconds, sim.pid))
        finally:
            sim.terminate()
            sim.wait(10)
        grows = r["lag_last"] - r["lag_first"]
        print(
            f"{r['items']:>5}  {r['setup_s']:5.1f}s  {r['rate']:8,.0f}  {items:8,}  "
            f"{r['client_cpu'] * 100:8.0f} %  {r['server_cpu'] * 100:8.0f} %  "
            f"{r['lag_first']:6.2f} → {r['lag_last']:5.2f} s ({grows:+.2f})  "
            f"{r['lag_last_p95']:8.2f} s",
            flush=True,
        )


if __name__ == "__main__":
    main()
