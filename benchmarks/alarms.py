"""Alarm benchmark.

1. evaluations: the example station's 72 alarm points fed synthetic polls as fast as they go.
2. latency: simulator, service (`station run`) and this client as three processes; a discrete
   tag flips in the simulator at free-running random times (gaps drawn uniformly from 1.3 to
   2.7 s, so each flip falls at a random phase of the service's poll grid); time from the flip
   to the alarm event on the SSE push channel, as a distribution, with the 100 ms poll period
   for reference. Both processes draw the same flip times from a shared seed and start time.
3. flood: 1,000 distinct alarms raised within one minute into a running service; every one
   must reach the journal and the push channel, and /api/alarms must stay responsive. The
   batches are handed to the loop that owns the engine, as acquisition does in production.

Usage: python benchmarks/alarms.py [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.processes import start_service, start_simulator  # noqa: E402
from station.alarms.engine import AlarmEngine  # noqa: E402
from station.alarms.journal import AlarmJournal  # noqa: E402
from station.alarms.points import build_points  # noqa: E402
from station.config.loader import default_config_path, load_config  # noqa: E402
from station.loopback import free_port  # noqa: E402
from station.records import RecordsStore  # noqa: E402
from station.samples import SampleBatch  # noqa: E402

MARK = "BENCH-FLIP"


def flip_times(epoch: float, seed: int, until: float) -> list[float]:
    """When the benchmark's signal flips: from `epoch`, random gaps of 1.3–2.7 s."""
    rng = np.random.default_rng(seed)
    out, t = [], epoch
    while t < until:
        t += float(rng.uniform(1.3, 2.7))
        out.append(t)
    return out


def signal_at(flips: list[float], now: float) -> float:
    """0 before the first flip, then 1, 0, 1 … at each."""
    return float(int(np.searchsorted(flips, now, side="right")) % 2)


def evaluations(seconds: float) -> tuple[float, float]:
    cfg = load_config(default_config_path())
    engine = AlarmEngine(
        build_points(cfg, cfg.alarms), AlarmJournal(RecordsStore(Path(tempfile.mkdtemp()) / "r.db"))
    )
    batches = []
    rng = np.random.default_rng(1)
    for d in cfg.devices:
        tags = tuple(t.id for t in d.tags)
        base = np.array(
            [
                0.35
                if "PT-3" in t
                else 1.0
                if t.startswith("X") or t == "MAINS-OK"
                else 3.2
                if t == "PT-101"
                else 20.0
                if t == "AT-401"
                else 0.5
                for t in tags
            ]
        )
        batches.append((d.id, tags, base))
    n, ts = 0, 1_764_036_000_000
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        ts += 1000
        for dev, tags, base in batches:
            values = base * (1 + 0.001 * rng.standard_normal(len(base)))
            engine.accept(SampleBatch(dev, ts, tags, values, np.zeros(len(tags), dtype=np.uint8)))
            n += 1
    wall = time.perf_counter() - t0
    return engine.evaluations / wall, n / wall


def latency_config(path: Path) -> Path:
    cfg = yaml.safe_load(default_config_path().read_text(encoding="utf-8"))
    for d in cfg["devices"]:
        d["port"] = free_port()
        d["poll_interval_s"] = 0.1
    cfg["devices"][0]["tags"].append(
        {
            "id": MARK,
            "name": {"zh": "翻转", "en": "Flip"},
            "table": "discrete_input",
            "address": 8,
            "type": "bool",
        }
    )
    cfg["alarms"]["discretes"].append(
        {"id": "BENCH.FLIP", "tag": MARK, "alarm_when": True, "priority": 2}
    )
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return path


async def serve_simulator(config: str, epoch: float, seed: int) -> None:
    from simulators.station_sim import StationSimulator
    from station.clock import WallClock

    flips = flip_times(epoch, seed, epoch + 3600)
    sim = StationSimulator(
        load_config(config), WallClock(), signals={MARK: lambda: signal_at(flips, time.time())}
    )
    await sim.start()
    print("ready", flush=True)
    await asyncio.Event().wait()


def latency(seconds: float, seed: int) -> list[float]:
    tmp = Path(tempfile.mkdtemp(prefix="bench-alarm-"))
    cfg = latency_config(tmp / "station.yaml")
    epoch = time.time() + 5 + float(np.random.default_rng(seed).uniform(0, 1))
    flips = flip_times(epoch, seed, epoch + 3600)
    sim = start_simulator(__file__, cfg, ["--epoch", repr(epoch), "--seed", str(seed)])
    http = free_port()
    svc = start_service(cfg, tmp / "data", http)
    lat: list[float] = []
    try:
        base = f"http://127.0.0.1:{http}"
        for _ in range(100):
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        end = time.time() + seconds
        with httpx.stream("GET", f"{base}/api/alarms/stream", timeout=None) as r:
            for line in r.iter_lines():
                if time.time() > end:
                    break
                if not line.startswith("data: {"):
                    continue
                msg = json.loads(line[6:])
                now = time.time()
                if msg["id"] == "BENCH.FLIP" and msg["event"] in ("raised", "cleared"):
                    k = int(np.searchsorted(flips, now, side="right")) - 1
                    if k >= 0:
                        lat.append((now - flips[k]) * 1000)
    finally:
        svc.terminate()
        sim.terminate()
        svc.wait(10)
        sim.wait(10)
    return lat


def flood() -> dict[str, float]:
    """1,000 alarms in 60 s of station time into a running API server."""
    import uvicorn

    from station.api import create_app
    from station.clock import ManualClock
    from station.config.alarms import AlarmConfig, DiscreteRule
    from station.config.models import StationConfig
    from station.runtime import StationRuntime

    n = 1000
    tags = [
        {
            "id": f"D-{i:04d}",
            "name": {"zh": f"点{i}", "en": f"Point {i}"},
            "table": "discrete_input",
            "address": i,
            "type": "bool",
        }
        for i in range(n)
    ]
    cfg = StationConfig.model_validate(
        {
            "station": {"id": "flood", "name": {"zh": "泛滥", "en": "Flood"}},
            "devices": [
                {"id": "F", "protocol": "modbus_tcp", "host": "127.0.0.1", "port": 1, "tags": tags}
            ],
        }
    )
    cfg = cfg.model_copy(
        update={
            "alarms": AlarmConfig(
                discretes=[
                    DiscreteRule(id=f"D-{i:04d}.ON", tag=f"D-{i:04d}", priority=3) for i in range(n)
                ]
            )
        }
    )
    clock = ManualClock(t=1_764_036_000.0)
    rt = StationRuntime(cfg, clock, tempfile.mkdtemp(prefix="bench-flood-"))
    # the engine's owner: a loop of its own, as CoreThread gives it in the service (the
    # device here is a stand-in, so its polling is not started)
    core = asyncio.new_event_loop()
    threading.Thread(target=core.run_forever, daemon=True).start()

    async def own() -> None:
        rt.door.open()

    asyncio.run_coroutine_threadsafe(own(), core).result()
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(rt), host="127.0.0.1", port=port, log_level="error")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    received: list[str] = []
    api_ms: list[float] = []

    def feed() -> None:
        ids = tuple(str(t["id"]) for t in tags)
        on = np.zeros(n)
        for k in range(n):  # one more alarm every 60 ms of station time
            on[k] = 1
            ts = int(clock.now_s() * 1000) + k * 60
            batch = SampleBatch("F", ts, ids, on.copy(), np.zeros(n, dtype=np.uint8))
            core.call_soon_threadsafe(rt.bus.publish, batch)
            time.sleep(0.001)

    def listen() -> None:
        with httpx.stream("GET", f"http://127.0.0.1:{port}/api/alarms/stream", timeout=None) as r:
            for line in r.iter_lines():
                if line.startswith("data: {") and '"event": "raised"' in line:
                    received.append(line)
                    if len(received) >= n:
                        return

    thread.start()
    while not server.started:
        time.sleep(0.01)
    rt.history.start()
    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    time.sleep(0.3)
    feeder = threading.Thread(target=feed)
    t0 = time.perf_counter()
    feeder.start()
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
        while feeder.is_alive():
            s = time.perf_counter()
            assert client.get("/api/alarms").status_code == 200
            api_ms.append((time.perf_counter() - s) * 1000)
            time.sleep(0.05)
    feed_s = time.perf_counter() - t0
    listener.join(timeout=30)
    journalled = len(rt.journal.events(event="raised", limit=100_000))
    core.call_soon_threadsafe(core.stop)
    server.should_exit = True
    thread.join(10)
    rt.history.stop()
    return {
        "raised": journalled,
        "pushed": len(received),
        "feed_s": feed_s,
        "api_p50": statistics.median(api_ms),
        "api_max": max(api_ms),
        "api_calls": len(api_ms),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--serve-simulator", help=argparse.SUPPRESS)
    ap.add_argument("--epoch", type=float, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve_simulator:
        asyncio.run(serve_simulator(args.serve_simulator, args.epoch, args.seed))
        return
    evals, polls = evaluations(5)
    print(
        f"evaluations: {evals:,.0f} alarm evaluations/s ({polls:,.0f} device polls/s "
        f"through 72 alarm points, one core)"
    )
    lat = np.array(latency(args.seconds, args.seed))
    if len(lat):
        q = np.percentile(lat, [0, 10, 50, 90, 95, 99, 100])
        print(
            f"latency value flip in simulator → alarm on SSE ({len(lat)} flips at random phase, "
            f"poll 100 ms): min {q[0]:.0f}, p10 {q[1]:.0f}, p50 {q[2]:.0f}, p90 {q[3]:.0f}, "
            f"p95 {q[4]:.0f}, p99 {q[5]:.0f}, max {q[6]:.0f} ms"
        )
        counts, edges = np.histogram(lat, bins=np.arange(0, max(q[6], 200) + 25, 25))
        print("  ms      flips")
        for n, lo in zip(counts, edges[:-1], strict=True):
            print(f"  {lo:4.0f}–{lo + 25:<4.0f} {n:4d} {'#' * int(n)}")
    f = flood()
    print(
        f"flood: 1,000 alarms fed in {f['feed_s']:.1f} s wall (60 s station time): "
        f"{f['raised']:.0f} journalled, {f['pushed']:.0f} pushed; /api/alarms during it: "
        f"p50 {f['api_p50']:.0f} ms, max {f['api_max']:.0f} ms over {f['api_calls']:.0f} calls"
    )


if __name__ == "__main__":
    main()
