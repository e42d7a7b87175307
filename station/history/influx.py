"""Forward samples to InfluxDB (or any server with the v2 write API) through the on-disk spool.

Line protocol, one point per tag value:
    gate_station,station=<id>,device=<dev>,tag=<tag>[,unit=<unit>] value=<f>,quality=<int>i <ms>
`quality` is the code of station.samples.Quality (0 good). A value that has never been good has
no `value` field. Acquisition only appends to a memory buffer; a thread moves it to the spool
and sends from the spool, so the server being down or slow never reaches a poll.
"""

from __future__ import annotations

import json
import logging
import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from influxdb_client.client.influxdb_client import InfluxDBClient
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.domain.write_precision import WritePrecision

from station.history.spool import Spool
from station.samples import SampleBatch

log = logging.getLogger(__name__)
MEASUREMENT = "gate_station"
STOP_DRAIN_S = 3.0
"""At a clean stop, how long the last spooled points may take to reach a server that is up."""
MAX_BUFFER_LINES = 2_000_000
"""Points held in memory while the spool's disk is full (~200 bytes each)."""
MAX_BACKOFF_S = 4.0
"""Longest wait between tries while the server is away: replay starts within seconds of its
return (a write that fails costs little: the samples stay spooled)."""


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=").replace(" ", "\\ ")


def line_protocol(batch: SampleBatch, station: str, units: dict[str, str]) -> list[str]:
    head = f"{MEASUREMENT},station={_escape(station)},device={_escape(batch.device)},tag="
    out = []
    ts = batch.ts_ms
    for tag, value, q in zip(
        batch.tags, batch.values.tolist(), batch.quality.tolist(), strict=True
    ):
        unit = units.get(tag)
        key = head + _escape(tag) + (f",unit={_escape(unit)}" if unit else "")
        fields = f"quality={q}i" if math.isnan(value) else f"value={value!r},quality={q}i"
        out.append(f"{key} {fields} {ts}")
    return out


@dataclass
class ForwarderStats:
    points_written: int = 0
    write_failures: int = 0
    last_error: str | None = None
    last_success_s: float | None = None
    spool_error: str | None = None
    dropped_points: int = 0
    """Points lost because neither the disk nor the memory bound could hold them."""
    restarts: int = 0


class InfluxForwarder:
    def __init__(
        self,
        url: str,
        bucket: str,
        token: str,
        org: str,
        spool: Spool,
        station: str,
        units: dict[str, str],
        batch_size: int = 5000,
        flush_interval_s: float = 1.0,
        replay_max_points_per_s: float = 50_000,
        timeout_s: float = 10.0,
        now_s: Callable[[], float] = time.time,
    ) -> None:
        """`now_s` is the station clock; an outage's start is recorded on it."""
        self.url, self.bucket, self.org = url, bucket, org
        self.spool = spool
        self.station = station
        self.units = units
        self.batch_size = batch_size
        self.flush_interval_s = flush_interval_s
        self.replay_max = replay_max_points_per_s
        self._client = InfluxDBClient(
            url=url, token=token, org=org, enable_gzip=True, timeout=int(timeout_s * 1000)
        )
        self._write = self._client.write_api(write_options=SYNCHRONOUS)
        self._buffer: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.stats = ForwarderStats()
        self._now_s = now_s
        self._down_file = spool.folder / "down-since.json"
        self._down_since = self._load_down_since()

    def accept(self, batch: SampleBatch) -> None:
        lines = line_protocol(batch, self.station, self.units)
        with self._lock:
            self._buffer.extend(lines)

    def _flush_buffer(self) -> None:
        """Memory to disk. If the disk refuses (full), the lines stay in memory, bounded:
        past MAX_BUFFER_LINES the oldest go, counted."""
        with self._lock:
            lines, self._buffer = self._buffer, []
        try:
            self.spool.append(lines)
        except OSError as exc:
            with self._lock:
                self._buffer = lines + self._buffer
                excess = len(self._buffer) - MAX_BUFFER_LINES
                if excess > 0:
                    del self._buffer[:excess]
                    self.stats.dropped_points += excess
            if self.stats.spool_error is None:
                log.error("InfluxDB spool cannot be written (%s): points wait in memory", exc)
            self.stats.spool_error = str(exc)
            return
        if self.stats.spool_error is not None:
            log.info("InfluxDB spool writable again")
        self.stats.spool_error = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="influx-forwarder", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self._flush_buffer()
        if self.stats.last_error is None:
            self._drain_for(STOP_DRAIN_S)  # the server is up: send the last second now
        self._client.close()  # type: ignore[no-untyped-call]
        # whatever is still spooled waits there for the next start

    def _send(self, lines: list[str]) -> None:
        self._write.write(
            bucket=self.bucket,
            org=self.org,
            record=lines,
            write_precision=WritePrecision.MS,  # type: ignore[arg-type]
        )

    def _drain_for(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            lines, cursor = self.spool.read(self.batch_size)
            if not lines:
                return
            try:
                self._send(lines)
            except Exception as exc:
                log.warning("InfluxDB %s at stop: %s; kept in the spool", self.url, exc)
                return
            self.spool.commit(cursor)
            self.stats.points_written += len(lines)

    def _wait_spooling(self, seconds: float) -> None:
        """Wait out a back-off while still moving samples from memory to disk every flush
        interval: a kill during an outage then loses at most that interval."""
        deadline = time.monotonic() + seconds
        while not self._stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self._stop.wait(min(left, self.flush_interval_s))
            self._flush_buffer()

    @property
    def down_since_s(self) -> float | None:
        """When the current outage began (station clock), kept across a restart."""
        return self._down_since

    def _mark_down(self) -> None:
        if self._down_since is None:
            self._down_since = self._now_s()
            tmp = self._down_file.with_suffix(".tmp")
            try:
                tmp.write_text(json.dumps({"since": self._down_since}))
                os.replace(tmp, self._down_file)
            except OSError as exc:  # a full disk: the outage is still known in memory
                log.warning("outage start not saved (%s)", exc)

    def _mark_up(self) -> None:
        if self._down_since is not None:
            self._down_since = None
            self._down_file.unlink(missing_ok=True)

    def _load_down_since(self) -> float | None:
        try:
            return float(json.loads(self._down_file.read_text())["since"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _run(self) -> None:
        """Supervised: an unexpected failure is logged once and the loop goes on; the
        forwarder never dies silently."""
        while not self._stop.is_set():
            try:
                self._forward()
            except Exception as exc:
                self.stats.restarts += 1
                if self.stats.last_error is None:
                    log.exception("InfluxDB forwarder failed; restarting it")
                self.stats.last_error = f"{type(exc).__name__}: {exc}"[:300]
                self._mark_down()
                self._stop.wait(1.0)

    def _forward(self) -> None:
        backoff = 1.0
        while not self._stop.is_set():
            self._flush_buffer()
            lines, cursor = self.spool.read(self.batch_size)
            if not lines:
                self._stop.wait(self.flush_interval_s)
                continue
            started = time.monotonic()
            try:
                self._send(lines)
            except Exception as exc:  # server down, slow, or refusing: keep it all spooled
                self.stats.write_failures += 1
                error = f"{type(exc).__name__}: {exc}"[:300]
                if self.stats.last_error is None:
                    log.warning("InfluxDB %s down: %s", self.url, error)
                self.stats.last_error = error
                self._mark_down()
                self._wait_spooling(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)
                continue
            backoff = 1.0
            self.spool.commit(cursor)
            self.stats.points_written += len(lines)
            if self.stats.last_error is not None:
                log.info("InfluxDB %s up again", self.url)
            self.stats.last_error = None
            self._mark_up()
            self.stats.last_success_s = time.time()
            # bounded replay rate: a backlog drains without flooding the server
            floor = len(lines) / self.replay_max - (time.monotonic() - started)
            if floor > 0:
                self._stop.wait(floor)
