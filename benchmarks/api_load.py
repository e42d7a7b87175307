"""HTTP load against acquisition: does any request rate delay a poll?

Three processes on loopback: the simulated example station (`station simulate`), the service
(`station run`) and a real load generator (`hey`, Debian's package). For each layout of the
service (the core on its own thread, as shipped; the core on the API's loop, as before, with
`--core-on-api-loop`) it measures:

1. /api/live at a fixed rate (default 1,200 requests/s from 40 clients): achieved rate, p50,
   p99, errors;
2. /api/live from 200 clients as fast as they go (the issue's case);
3. /api/live at the fixed rate while the security review's heavy requests (KPIs from year 1
   to 9999, history of one tag repeated 4,000 times; four of each) run over and over;
4. the same with the heaviest requests still allowed (four 400-day KPI requests and four
   7-day raw history requests of all 32 tags; `--heavy kpi|history|both`);
and, for each run, the polls the devices missed (slots skipped, polls failed) and the latest
start of a poll after its slot, read from the service's /healthz, and the CPU of the service,
of hey and of this script's heavy clients (everything shares the machine's two cores).

Usage: python benchmarks/api_load.py [--seconds 10] [--rate 1200] [--clients 40]
       [--only thread|shared] [--heavy kpi|history|both]
"""

from __future__ import annotations

import argparse
import re
import resource
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

from benchmarks.processes import cpu_seconds, wait_healthy  # noqa: E402
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


def late_ms(health: dict[str, Any]) -> float:
    """The latest start of a poll after its slot (last 100 polls of each device)."""
    return float(max(d["start_late_max_ms"] for d in health["devices"]))


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


def heavy_requests(base: str, kinds: str) -> list[tuple[str, dict[str, str]]]:
    """`issue`: the requests the security review found (KPI from year 1 to 9999, history of
    one tag repeated thousands of times), four of each; `kpi` / `history`: the heaviest
    requests still allowed (400 days of KPIs; a week of raw history of all 32 tags)."""
    now = datetime.now(UTC)
    if kinds == "issue":
        kpi = {"start": "0001-01-01T00:00:00+08:00", "end": "9999-12-31T00:00:00-08:00"}
        week = {"start": (now - timedelta(days=7)).isoformat(), "end": now.isoformat()}
        return [("/api/alarms/kpi", kpi)] * 4 + [
            ("/api/history", {**week, "tags": ",".join(["PT-301"] * 4000)})
        ] * 4
    tags = ",".join(t["id"] for t in httpx.get(f"{base}/api/tags", timeout=10).json())
    kpi = {"start": (now - timedelta(days=399)).isoformat(), "end": now.isoformat()}
    hist = {"tags": tags, "start": (now - timedelta(days=7)).isoformat(), "end": now.isoformat()}
    return [("/api/alarms/kpi", kpi)] * 4 * (kinds in ("kpi", "both")) + [
        ("/api/history", hist)
    ] * 4 * (kinds in ("history", "both"))


def worst_cases(base: str, stop: threading.Event, done: list[int], kinds: str) -> None:
    """Each heavy request in its own client, again and again until `stop`."""

    def loop(path: str, params: dict[str, str]) -> None:
        with httpx.Client(base_url=base, timeout=120) as http:
            while not stop.is_set():
                http.get(path, params=params)
                done[0] += 1

    threads = [
        threading.Thread(target=loop, args=(p, q), daemon=True)
        for p, q in heavy_requests(base, kinds)
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
        wait_healthy(base)
        time.sleep(3)
        fixed = f"/api/live at {args.rate:.0f}/s"
        runs: list[tuple[str, float | None, int, str]] = [
            (f"{fixed}, {args.clients} clients", args.rate, args.clients, ""),
            ("/api/live, 200 clients flat out", None, 200, ""),
            (f"{fixed} + the review's KPI and history requests", args.rate, args.clients, "issue"),
            (f"{fixed} + heaviest allowed ({args.heavy})", args.rate, args.clients, args.heavy),
        ]
        for title, rate, clients, heavy in runs:
            before = missed(httpx.get(f"{base}/healthz", timeout=30).json())
            cpu0 = cpu_seconds(svc.pid)
            own = resource.getrusage(resource.RUSAGE_SELF)
            own0 = own.ru_utime + own.ru_stime
            kids = resource.getrusage(resource.RUSAGE_CHILDREN)
            kids0 = kids.ru_utime + kids.ru_stime
            stop, done = threading.Event(), [0]
            side = (
                threading.Thread(target=worst_cases, args=(base, stop, done, heavy))
                if heavy
                else None
            )
            if side:
                side.start()
            r = hey(f"{base}/api/live", args.seconds, clients, rate)
            stop.set()
            if side:
                side.join()
            cpu = cpu_seconds(svc.pid) - cpu0
            health = httpx.get(f"{base}/healthz", timeout=60).json()
            after = missed(health)
            lost = sum(after[d] - before[d] for d in after)
            used = resource.getrusage(resource.RUSAGE_SELF)
            load_cpu = used.ru_utime + used.ru_stime - own0
            kids = resource.getrusage(resource.RUSAGE_CHILDREN)
            hey_cpu = kids.ru_utime + kids.ru_stime - kids0
            extra_text = f", {done[0]} heavy requests done" if heavy else ""
            print(
                f"  {title}: {r['rate']:,.0f} req/s, p50 {r['p50']:.1f} ms, p99 {r['p99']:.1f} ms, "
                f"{r['errors']:.0f} errors; CPU: service {cpu / args.seconds:.2f}, hey "
                f"{hey_cpu / args.seconds:.2f}, heavy clients {load_cpu / args.seconds:.2f} cores; "
                f"missed polls {lost}, latest poll start {late_ms(health):.1f} ms{extra_text}",
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
    ap.add_argument("--heavy", choices=["kpi", "history", "both"], default="both")
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
