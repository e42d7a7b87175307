"""Report benchmark: daily and monthly production reports for 50 tags (10 meter runs × 5 tags)
over 30 days of history, written with the store's own writer.

For each report: the time and peak Python memory of the data model (read from the 1-minute
rollups, hourly records, totals), then each format rendered in a fresh process as the service's
render worker does (time after imports, and the process's peak RSS). Targets on this 2-core
machine: monthly ≤ 1 s for the data model, ≤ 5 s with PDF, memory ≤ 300 MB.

The reports read only the 1-minute rollups (43,200 rows a tag a month), so their cost does not
depend on the raw sample interval; `--step 1` writes 1-second raw data (130 M rows, minutes to
write), the default `--step 10` a tenth of it with the same rollups.

Usage: python benchmarks/reports.py [--days 30] [--step 10] [--runs 10]
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from station.alarms.journal import AlarmJournal  # noqa: E402
from station.config.loader import load_config  # noqa: E402
from station.config.models import StationConfig  # noqa: E402
from station.history import HistoryStore, HistoryWriter  # noqa: E402
from station.records import RecordsStore  # noqa: E402
from station.reports.archive import ReportArchive, StoredReport  # noqa: E402
from station.reports.document import ReportDocument  # noqa: E402
from station.reports.production import ProductionReports  # noqa: E402
from station.reports.render import render  # noqa: E402
from station.runtime import counter_specs  # noqa: E402
from station.samples import SampleBatch  # noqa: E402

START_S = 1_761_955_200  # 2025-11-01 08:00 Asia/Shanghai: the gas month of November
FIELDS = ("FQ", "FQW", "FT", "PT", "TT")


def bench_config(path: Path, runs: int) -> Path:
    tags = []
    for r in range(runs):
        for k, f in enumerate(FIELDS):
            tag: dict[str, Any] = {
                "id": f"{f}-{r}",
                "name": {"zh": f"{f}{r}", "en": f"{f} {r}"},
                "unit": {"FQ": "Nm³", "FQW": "m³", "FT": "Nm³/h", "PT": "MPa", "TT": "°C"}[f],
                "table": "holding",
                "address": 8 * (r * len(FIELDS) + k),
                "type": "float64",
            }
            if f.startswith("FQ"):
                tag["counter"] = {}
            tags.append(tag)
    cfg = {
        "station": {"id": "bench", "name": {"zh": "基准站", "en": "Bench"}},
        "devices": [
            {"id": "FC", "protocol": "modbus_tcp", "host": "127.0.0.1", "port": 1,
             "device_id": 1, "tags": tags}
        ],
        "reports": {
            "meter_runs": [
                {"id": f"RUN-{r}", "standard_volume": f"FQ-{r}", "working_volume": f"FQW-{r}",
                 "standard_flow": f"FT-{r}", "pressure": f"PT-{r}", "temperature": f"TT-{r}",
                 "cutoff": 50}
                for r in range(runs)
            ]
        },
    }  # fmt: skip
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return path


def fill_history(cfg: StationConfig, data: Path, days: int, step_s: int) -> tuple[int, float]:
    """Writes `days` of samples every `step_s` seconds through the history writer."""
    store = HistoryStore(data / "history.sqlite3")
    writer = HistoryWriter(store, cfg.history, counter_specs(cfg))
    writer.start()
    tags = tuple(t.id for _, t in cfg.all_tags())
    runs = len(cfg.reports.meter_runs)
    totals = np.full(runs, 1_000_000.0)
    quality = np.zeros(len(tags), dtype=np.uint8)
    rows, began = 0, time.perf_counter()
    for i in range(days * 86_400 // step_s):
        t = START_S + i * step_s
        day = (t % 86_400) / 86_400
        flow = 2000 + 800 * math.sin(2 * math.pi * day) + 50 * np.arange(runs)
        totals += flow * step_s / 3600
        values = np.empty(len(tags))
        values[0::5], values[1::5], values[2::5] = totals, totals / 4.5, flow
        values[3::5], values[4::5] = 0.35 + 0.002 * math.sin(t / 600), 10.0
        writer.accept(SampleBatch("FC", t * 1000, tags, values, quality))
        rows += len(tags)
        if i % 20_000 == 0:
            writer.wait_idle(600)  # keep within the writer's backlog bound
    writer.stop()
    return rows, time.perf_counter() - began


def measured(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """Time of a run as it is, then the peak Python memory of a second run under tracemalloc
    (which slows Python several times over: never timed)."""
    began = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - began
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return out, seconds, peak


def render_in_fresh_process(doc: ReportDocument, fmt: str) -> tuple[float, float, int]:
    """(seconds after imports, peak RSS MB, bytes): as the service's render worker does."""
    import weasyprint  # noqa: F401

    import station.reports.render.charts
    import station.reports.render.pdf  # noqa: F401

    began = time.perf_counter()
    body = render(doc, fmt)
    seconds = time.perf_counter() - began
    return seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, len(body)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--step", type=int, default=10, help="raw sample interval, s")
    ap.add_argument("--runs", type=int, default=10, help="meter runs (5 tags each)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-reports-"))
    cfg = load_config(bench_config(tmp / "bench.yaml", args.runs))
    rows, seconds = fill_history(cfg, tmp, args.days, args.step)
    print(
        f"history: {args.runs * 5} tags × {args.days} days every {args.step} s = {rows:,} rows "
        f"written by the history writer in {seconds:.0f} s ({rows / seconds:,.0f} rows/s)"
    )
    records = RecordsStore(tmp / "records.sqlite3")
    archive = ReportArchive(records)
    production = ProductionReports(
        cfg, HistoryStore(tmp / "history.sqlite3"), AlarmJournal(records), archive
    )
    cases: dict[str, tuple[str, Callable[[], list[Any]]]] = {
        "daily": ("2025-11-15", lambda: production.daily(date(2025, 11, 15))),
        "monthly": ("2025-11", lambda: production.monthly(2025, 11)),
    }
    ctx = multiprocessing.get_context("spawn")
    for kind, (period, build) in cases.items():
        # first from the minutes (nothing kept yet), then from the kept hourly records
        cold = time.perf_counter()
        build()
        cold_s = time.perf_counter() - cold
        reports, model_s, model_mb = measured(build)
        print(f"{kind:<8} data model from the minutes, keeping every hour: {cold_s:6.2f} s")
        total = sum(r.standard_volume for r in reports)
        print(
            f"{kind:<8} data model from the kept hours ({len(reports)} runs): {model_s:6.2f} s, "
            f"peak Python memory "
            f"{model_mb:6.1f} MB, {total:,.0f} Nm³"
        )
        stored: StoredReport = production.generate(kind, period, int(time.time() * 1000))
        doc = ReportDocument.of(stored, cfg, "zh")
        for fmt in ("html", "xlsx", "pdf"):
            with ctx.Pool(1) as pool:
                fmt_s, rss, size = pool.apply(render_in_fresh_process, (doc, fmt))
            print(
                f"{kind:<8} {fmt:<4} {fmt_s:6.2f} s rendering (+ {model_s:.2f} s model = "
                f"{fmt_s + model_s:.2f} s), worker peak RSS {rss:6.0f} MB, {size / 1e3:,.0f} kB"
            )
    print("targets: monthly model ≤ 1 s, monthly with PDF ≤ 5 s, memory ≤ 300 MB")


if __name__ == "__main__":
    main()
