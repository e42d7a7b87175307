"""Samples forwarded to an InfluxDB-compatible server, and read back from it."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import numpy as np

from station.config.loader import default_config_path, load_config
from station.history.influx import InfluxForwarder
from station.history.spool import Spool
from station.samples import SampleBatch

T0 = 1_764_036_000_000
CFG = load_config(default_config_path())
UNITS = {t.id: t.unit for _, t in CFG.all_tags()}
PLC = CFG.devices[0]
TAGS = tuple(t.id for t in PLC.tags)


def batch(i: int) -> SampleBatch:
    values = np.arange(len(TAGS), dtype=np.float64) + i / 1000
    quality = np.zeros(len(TAGS), dtype=np.uint8)
    if i % 50 == 7:
        quality[:] = 2  # a comm-loss poll: quality travels with the values
    return SampleBatch("PLC-1", T0 + i * 1000, TAGS, values, quality)


def forwarder(base: str, spool_dir: Path) -> InfluxForwarder:
    fwd = InfluxForwarder(
        base,
        "station",
        "",
        "",
        Spool(spool_dir, 50 << 20),
        "demo-gate",
        UNITS,
        batch_size=2000,
        flush_interval_s=0.05,
        timeout_s=2,
    )
    fwd.start()
    return fwd


def drained(fwd: InfluxForwarder, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if fwd.spool.size_bytes == 0 and not fwd._buffer:
            return
        time.sleep(0.05)
    raise AssertionError(f"spool not drained: {fwd.spool.size_bytes} bytes, {fwd.stats}")


def exported(base: str) -> dict[tuple[str, str], dict[int, float]]:
    httpx.get(f"{base}/internal/force_flush", timeout=10)
    match = '{__name__=~"gate_station_.*",device="PLC-1"}'
    r = httpx.get(f"{base}/api/v1/export", params={"match[]": match}, timeout=30)
    out: dict[tuple[str, str], dict[int, float]] = {}
    for line in r.text.splitlines():
        s = json.loads(line)
        key = (s["metric"]["__name__"], s["metric"]["tag"])
        assert s["metric"]["station"] == "demo-gate" and s["metric"]["device"] == "PLC-1"
        series = out.setdefault(key, {})
        for ts, value in zip(s["timestamps"], s["values"], strict=True):
            assert ts not in series, f"{key} sent twice at {ts}"  # a duplicate would hide here
            series[ts] = value
    return out
