"""HTTP load against acquisition: does any request rate delay a poll?

Three processes on loopback: the simulated example station (`station simulate`), the service
(`station run`) and a real load generator (`hey`, Debian's package). For each layout of the
service (the core on its own thread, as shipped; the core on the API's loop, as before, with
`--core-on-api-loop`) it measures:

1. /api/live at a fixed rate (default 1,200 requests/s from 40 clients): achieved rate, p50,
   p99, errors;
2. /api/live from 200 clients as fast as they go (the issue's case);
3. /api/live at the fixed rate while four 400-day KPI requests and four 200-tag, 7-day
   history requests run over and over;
and, for each run, the polls the devices missed (slots skipped, polls failed), read from the
service's /healthz before and after.

Usage: python benchmarks/api_load.py [--seconds 10] [--rate 1200] [--clients 40]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.processes import cpu_seconds  # noqa: E402
from station.loopback import free_port  # noqa: E402

EXAMPLE = ROOT / "config" / "station.yaml"


def config_with_free_ports(path: Path) -> Path:
    text = EXAMPLE.read_text(encoding="utf-8")
    for old in re.findall(r"\n    port: (\d+)\n", text):
        text = text.replace(f"\n    port: {old}\n", f"\n    port: {free_port()}\n", 1)
    path.write_text(text, encoding="utf-8")
    return path


def station(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "station.cli", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def missed(health: dict[str, Any]) -> dict[str, int]:
    """Per device: poll slots skipped plus polls that failed to reach the device."""
    return {d["id"]: d["overruns"] + d["failed_polls"] for d in health["devices"]}


def hey(url: str, seconds: float, clients: int, rate: float | None) -> dict[str, float]:
    cmd = ["hey", "-z", f"{seconds}s", "-c", str(clients), "-t", "10"]
    if rate is not None:
        cmd += ["-q", f"{rate / clients:.2f}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    pct = {int(p): float(s) * 1000 for p, s in re.findall(r"(\d+)%+ in ([\d.]+) secs", out)}
    codes = {int(c): int(n) for c, n in re.findall(r"\[(\d+)\]\s+(\d+) responses", out)}
    errors = sum(n for c, n in codes.items() if c != 200)
    errors += sum(int(n) for n in re.findall(r"\[(\d+)\]\s+Get", out))
    return {
        "rate": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50": pct.get(50, float("nan")),
        "p99": pct.get(99, float("nan")),
        "ok": codes.get(200, 0),
        "errors": errors,
    }


def worst_cases(base: str, stop: threading.Event, done: list[int]) -> None:
    """The issue's heavy requests, four of each kind at once, again and again."""
    now = datetime.now(UTC)
    kpi = {"start": (now - timedelta(days=399)).isoformat(), "end": now.isoformat()}
    tags = ",".join(httpx.get(f"{base}/api/tags", timeout=10).json()[i]["id"] for i in range(32))
    hist = {"tags": tags, "start": (now - timedelta(days=7)).isoformat(), "end": now.isoformat()}

    def loop(path: str, params: dict[str, str]) -> None:
        with httpx.Client(base_url=base, timeout=120) as http:
            while not stop.is_set():
                http.get(path, params=params)
                done[0] += 1

    threads = [
        threading.Thread(target=loop, args=(p, q), daemon=True)
        for p, q in [("/api/alarms/kpi", kpi)] * 4 + [("/api/history", hist)] * 4
    ]
    for t in threads:
        t.start()
    stop.wait()
    for t in threads:
        t.join(120)


def layout(name: str, extra: list[str], args: argparse.Namespace, tmp: Path) -> None:
    cfg = config_with_free_ports(tmp / f"{name}.yaml")
    sim = station("simulate", "--config", str(cfg))
    port = free_port()
    svc = station(
        "run", "--config", str(cfg), "--data-dir", str(tmp / name), "--port", str(port), *extra
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).json()["status"] == "ok":
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "service not healthy"
            time.sleep(0.2)
        time.sleep(3)
        runs: list[tuple[str, float | None, int, bool]] = [
            (
                f"/api/live at {args.rate:.0f}/s, {args.clients} clients",
                args.rate,
                args.clients,
                False,
            ),
            ("/api/live, 200 clients flat out", None, 200, False),
            (
                f"/api/live at {args.rate:.0f}/s + KPI and history worst cases",
                args.rate,
                args.clients,
                True,
            ),
        ]
        for title, rate, clients, heavy in runs:
            before = missed(httpx.get(f"{base}/healthz", timeout=30).json())
            cpu0 = cpu_seconds(svc.pid)
            stop, done = threading.Event(), [0]
            side = threading.Thread(target=worst_cases, args=(base, stop, done)) if heavy else None
            if side:
                side.start()
            r = hey(f"{base}/api/live", args.seconds, clients, rate)
            stop.set()
            if side:
                side.join()
            cpu = cpu_seconds(svc.pid) - cpu0
            after = missed(httpx.get(f"{base}/healthz", timeout=60).json())
            lost = sum(after[d] - before[d] for d in after)
            extra_text = f", {done[0]} heavy requests done" if heavy else ""
            print(
                f"  {title}: {r['rate']:,.0f} req/s, p50 {r['p50']:.1f} ms, p99 {r['p99']:.1f} ms, "
                f"{r['errors']:.0f} errors; service CPU {cpu / args.seconds:.2f} cores; "
                f"missed polls {lost}{extra_text}",
                flush=True,
            )
    finally:
        for p in (svc, sim):
            p.terminate()
            p.wait(20)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--rate", type=float, default=1200)
    ap.add_argument("--clients", type=int, default=40)
    ap.add_argument("--only", choices=["thread", "shared"], help="one layout only")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-api-"))
    layouts = [("thread", []), ("shared", ["--core-on-api-loop"])]
    for name, extra in layouts:
        if args.only and args.only != name:
            continue
        what = (
            "core on its own thread (shipped)"
            if name == "thread"
            else "core on the API's loop (before)"
        )
        print(f"{what}:", flush=True)
        layout(name, extra, args, tmp)


if __name__ == "__main__":
    main()
