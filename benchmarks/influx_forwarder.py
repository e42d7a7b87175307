"""InfluxDB forwarder benchmark against a real server (VictoriaMetrics, its v2 write endpoint).

1. throughput: points/s through the forwarder (line protocol, spool on disk, gzip, HTTP) with
   the replay limit lifted, next to the peer: influxdb-client writing prebuilt line protocol
   straight to the same server (no spool), in the same run.
2. outage: a station of N tags at 1 s keeps acquiring through a 10-minute outage (simulated
   time: its 10 minutes of samples are fed at once); then the server comes back while
   acquisition goes on at N points/s; time until the backlog is gone, at the default replay
   limit (50,000 points/s).

Usage: python benchmarks/influx_forwarder.py [--tags 2000]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from influxdb_client.client.influxdb_client import InfluxDBClient  # noqa: E402
from influxdb_client.client.write_api import SYNCHRONOUS  # noqa: E402

from station.history.influx import InfluxForwarder, line_protocol  # noqa: E402
from station.history.spool import Spool  # noqa: E402
from station.loopback import free_port  # noqa: E402
from station.samples import SampleBatch  # noqa: E402

T0 = 1_764_036_000_000


class VM:
    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.argv = [
            shutil.which("victoria-metrics") or "victoria-metrics",
            f"-storageDataPath={folder}",
            f"-httpListenAddr=127.0.0.1:{self.port}",
        ]
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            self.argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        for _ in range(300):
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise SystemExit("victoria-metrics did not start")

    def stop(self) -> None:
        if self.proc:
            self.proc.terminate()
            self.proc.wait(15)


def batches(n_tags: int, count: int, start: int = 0) -> list[SampleBatch]:
    tags = tuple(f"T-{i:05d}" for i in range(n_tags))
    q = np.zeros(n_tags, dtype=np.uint8)
    return [
        SampleBatch(
            "BENCH", T0 + (start + k) * 1000, tags, np.random.default_rng(k).random(n_tags), q
        )
        for k in range(count)
    ]


def wait_drained(fwd: InfluxForwarder, timeout: float = 600) -> float:
    t0 = time.perf_counter()
    while fwd.spool.size_bytes > 0 or fwd._buffer:
        if time.perf_counter() - t0 > timeout:
            raise SystemExit(f"not drained: {fwd.stats}")
        time.sleep(0.02)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tags", type=int, default=2000)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-influx-"))
    vm = VM(tmp / "vm")
    vm.start()
    try:
        # peer: influxdb-client, prebuilt line protocol, straight to the server
        feed = batches(500, 400)  # 200,000 points
        lines = [ln for b in feed for ln in line_protocol(b, "bench", {})]
        client = InfluxDBClient(url=vm.url, token="", org="", enable_gzip=True)
        write = client.write_api(write_options=SYNCHRONOUS)
        t0 = time.perf_counter()
        for i in range(0, len(lines), 5000):
            write.write(bucket="b", org="", record=lines[i : i + 5000], write_precision="ms")  # type: ignore[arg-type]
        peer = len(lines) / (time.perf_counter() - t0)
        client.close()  # type: ignore[no-untyped-call]
        # ours: accept → line protocol → spool on disk → gzip POST, replay limit lifted
        fwd = InfluxForwarder(
            vm.url,
            "b",
            "",
            "",
            Spool(tmp / "spool1", 1 << 30),
            "bench",
            {},
            batch_size=5000,
            flush_interval_s=0.02,
            replay_max_points_per_s=1e9,
        )
        fwd.start()
        feed = batches(500, 400, start=1000)
        t0 = time.perf_counter()
        for b in feed:
            fwd.accept(b)
        accept_s = time.perf_counter() - t0
        wait_drained(fwd)
        ours = 200_000 / (time.perf_counter() - t0)
        fwd.stop()
        print("throughput into VictoriaMetrics 1.79 (/api/v2/write, gzip), 200,000 points:")
        print(f"  peer: influxdb-client, prebuilt line protocol, no spool: {peer:>9,.0f} points/s")
        print(
            f"  ours: samples → line protocol → disk spool → gzip POST:  {ours:>9,.0f} points/s "
            f"(acquisition side: {200_000 / accept_s:,.0f} points/s to hand over)"
        )

        # outage: 10 minutes of a station of N tags at 1 s spooled, then drained while
        # acquisition continues at N points/s
        n = args.tags
        fwd = InfluxForwarder(
            f"http://127.0.0.1:{free_port()}",
            "b",
            "",
            "",  # nobody there
            Spool(tmp / "spool2", 1 << 32),
            "bench",
            {},
            batch_size=5000,
            flush_interval_s=0.2,
        )
        fwd.start()
        backlog = batches(n, 600, start=10_000)
        for b in backlog:
            fwd.accept(b)
        time.sleep(1.5)
        fwd.stop()
        spooled = fwd.spool.size_bytes
        fwd = InfluxForwarder(
            vm.url,
            "b",
            "",
            "",
            Spool(tmp / "spool2", 1 << 32),
            "bench",
            {},
            batch_size=5000,
            flush_interval_s=0.2,
        )
        stop = threading.Event()
        live = batches(n, 1, start=20_000)[0]

        def acquire() -> None:
            k = 0
            while not stop.is_set():
                fwd.accept(
                    SampleBatch(
                        live.device, live.ts_ms + k * 1000, live.tags, live.values, live.quality
                    )
                )
                k += 1
                stop.wait(1.0)

        t0 = time.perf_counter()
        fwd.start()
        acq = threading.Thread(target=acquire)
        acq.start()
        drain = wait_drained(fwd)
        stop.set()
        acq.join()
        fwd.stop()
        points = n * 600
        print(
            f"outage: 10 min of {n:,} tags at 1 s = {points:,} points ({spooled / 1e6:.0f} MB "
            f"spooled) drained in {drain:.1f} s at the default 50,000 points/s replay limit, "
            f"while acquisition went on at {n:,} points/s"
        )
    finally:
        vm.stop()


if __name__ == "__main__":
    main()
