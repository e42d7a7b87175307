"""The operator page's benchmark, in Debian's Chromium driven by Playwright, against the real
service and simulator on loopback:

1. time to first meaningful render: from navigation to the first live value drawn on the
   overview (the example station), and to every value of a 500-tag area table;
2. the browser's main-thread CPU while the page receives live updates for 500 tags changing
   every second (Chromium's own task time, from the DevTools Performance domain);
3. the service's CPU with 20 pages open on the push channel, against the peer: the page this
   one replaced, which fetched `/api/live` and `/api/alarms` every second (20 such pollers).

Usage: python benchmarks/page.py [--tags 500] [--seconds 30] [--pages 20]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.acquisition import bench_config  # noqa: E402
from benchmarks.processes import (  # noqa: E402
    cpu_seconds,
    start_service,
    start_simulator,
    wait_healthy,
)
from station.loopback import free_port  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


def first_render(browser: Any, url: str, selector: str, runs: int = 5) -> list[float]:
    """ms from navigation start until `selector` (a JS predicate) holds, in new pages."""
    out = []
    for _ in range(runs):
        page = browser.new_page(viewport={"width": 1920, "height": 1080})
        page.goto(url, wait_until="commit")
        page.wait_for_function(selector, timeout=30_000, polling="raf")
        out.append(page.evaluate("performance.now()"))
        page.close()
    return out


def task_seconds(cdp: Any) -> float:
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return float(metrics["TaskDuration"])


def pollers(base: str, n: int, stop: threading.Event) -> list[int]:
    """The replaced page's load: every second, the whole of /api/live and /api/alarms."""
    fetched = [0]

    def one() -> None:
        with httpx.Client(base_url=base, timeout=5) as client:
            while not stop.is_set():
                t = time.monotonic()
                client.get("/api/live")
                client.get("/api/alarms")
                fetched[0] += 1
                stop.wait(max(0.0, 1.0 - (time.monotonic() - t)))

    threads = [threading.Thread(target=one, daemon=True) for _ in range(n)]
    for th in threads:
        th.start()
    return fetched


def main() -> None:
    from playwright.sync_api import sync_playwright

    ap = argparse.ArgumentParser()
    ap.add_argument("--tags", type=int, default=500)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--pages", type=int, default=20)
    ap.add_argument("--serve-simulator", help=argparse.SUPPRESS)
    ap.add_argument("--scan", type=float, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve_simulator:
        import asyncio

        from benchmarks.acquisition import serve_simulator

        asyncio.run(serve_simulator(args.serve_simulator, args.scan))
        return

    tmp = Path(tempfile.mkdtemp(prefix="bench-page-"))
    cfg_path = bench_config(tmp / "bench.yaml", 1, args.tags, 1.0)
    cfg = yaml.safe_load(cfg_path.read_text(encoding="utf-8"))
    tags = [t["id"] for t in cfg["devices"][0]["tags"]][: args.tags]
    cfg["hmi"] = {"areas": [{"id": "all", "name": {"zh": "全部", "en": "All"}, "tags": tags}]}
    cfg_path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    sim = start_simulator(__file__, cfg_path, ["--scan", "1.0"])
    port = free_port()
    svc = start_service(cfg_path, tmp / "data", port)
    base = f"http://127.0.0.1:{port}"
    demo_port = free_port()
    demo = subprocess.Popen(
        [sys.executable, "-m", "station.cli", "demo", "--port", str(demo_port),
         "--data-dir", str(tmp / "demo")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    demo_base = f"http://127.0.0.1:{demo_port}"
    try:
        wait_healthy(base)
        wait_healthy(demo_base)
        time.sleep(3)
        print(f"setup: {args.tags} float32 tags changing every second, polled every second; "
              f"Chromium {CHROMIUM}, 2 cores, loopback")  # fmt: skip
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            overview = first_render(
                browser, f"{demo_base}/",
                "document.querySelector(\"svg.schematic text.val[data-tag='PT-301']\")"
                "?.textContent.includes('MPa')",
            )  # fmt: skip
            print(f"first render, overview (example station): median "
                  f"{statistics.median(overview):.0f} ms, max {max(overview):.0f} ms")  # fmt: skip
            table = first_render(
                browser,
                f"{base}/#areas/all",
                f"document.querySelectorAll('#area-table span.val.good').length >= {args.tags}",
            )
            print(f"first render, {args.tags}-tag area table: median "
                  f"{statistics.median(table):.0f} ms, max {max(table):.0f} ms")  # fmt: skip

            # 2. the browser's CPU while 500 values change every second
            for view in ("areas/all", "overview"):
                page = browser.new_page(viewport={"width": 1920, "height": 1080})
                page.goto(f"{base}/#{view}")
                page.wait_for_selector("body[data-ready]")
                page.wait_for_timeout(3000)
                cdp = page.context.new_cdp_session(page)
                cdp.send("Performance.enable")
                t0, c0 = time.perf_counter(), task_seconds(cdp)
                page.wait_for_timeout(args.seconds * 1000)
                t1, c1 = time.perf_counter(), task_seconds(cdp)
                print(f"browser main thread, #{view} with {args.tags} tags at 1 Hz: "
                      f"{(c1 - c0) / (t1 - t0) * 100:.1f} % of one core")  # fmt: skip
                page.close()

            # 3. the service with N pages open, against N pollers of the replaced page
            idle0, it0 = cpu_seconds(svc.pid), time.perf_counter()
            time.sleep(args.seconds)
            idle = (cpu_seconds(svc.pid) - idle0) / (time.perf_counter() - it0)
            pages = []
            for _ in range(args.pages):
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                page.goto(f"{base}/#alarms")
                pages.append(page)
            for page in pages:
                page.wait_for_selector("body[data-ready]")
            time.sleep(3)
            s0, st0 = cpu_seconds(svc.pid), time.perf_counter()
            time.sleep(args.seconds)
            ours = (cpu_seconds(svc.pid) - s0) / (time.perf_counter() - st0)
            for page in pages:
                page.close()
            browser.close()
        stop = threading.Event()
        fetched = pollers(base, args.pages, stop)
        time.sleep(3)
        p0, pt0, f0 = cpu_seconds(svc.pid), time.perf_counter(), fetched[0]
        time.sleep(args.seconds)
        wall = time.perf_counter() - pt0
        peer = (cpu_seconds(svc.pid) - p0) / wall
        rate = (fetched[0] - f0) / wall
        stop.set()
        print(f"service, no page open:            {idle * 100:5.1f} % of one core")
        print(
            f"service, {args.pages} pages on the push channel: {ours * 100:5.1f} % "
            f"(+{(ours - idle) * 100:.1f} %)"
        )
        print(
            f"peer: {args.pages} pollers of the replaced page (/api/live + /api/alarms, "
            f"{rate:.1f} rounds/s): {peer * 100:5.1f} % (+{(peer - idle) * 100:.1f} %)"
        )
    finally:
        for proc in (svc, demo, sim):
            proc.terminate()
        for proc in (svc, demo, sim):
            proc.wait(timeout=20)


if __name__ == "__main__":
    main()
