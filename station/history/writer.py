"""Background writer: takes batches without blocking acquisition, writes them in transactions."""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import repeat

import numpy as np
import numpy.typing as npt

from station.config.models import HistoryConfig
from station.history.counters import CounterSpec, CounterTracker
from station.history.rollup import RollupAccumulator
from station.history.store import ROLLUPS, HistoryStore
from station.samples import Quality, SampleBatch

log = logging.getLogger(__name__)
DAY_MS = 86_400_000
RETRY_S = 1.0
"""Pause before a failed transaction is tried again (a full disk, a locked or damaged file)."""
_LAYOUT_CACHE = 1024


@dataclass
class WriterStats:
    rows_written: int = 0
    batches_written: int = 0
    transactions: int = 0
    rollups_rebuilt_from_ms: int | None = None
    """Set when the last start found rollups a kill had left unflushed, and rebuilt them."""
    cpu_s: float = 0.0
    """CPU seconds the writer thread spent writing."""
    counter_resets: int = 0
    counter_rollovers: int = 0
    shed_rows: int = 0
    """Rows refused because the backlog was at its bound (acquisition outran the file)."""
    last_shed_ms: int | None = None
    failed_rows: int = 0
    """Rows whose transaction failed (the file full or broken); they are written again."""
    restarts: int = 0
    last_error: str | None = None


@dataclass
class Backlog:
    """What acquisition has handed over and the file does not hold yet, batches being written
    included."""

    rows: int = 0
    accepted_at: deque[float] = field(default_factory=deque)
    """Monotonic time each waiting batch was handed over, oldest first (written in order)."""

    @property
    def batches(self) -> int:
        return len(self.accepted_at)

    @property
    def lag_s(self) -> float:
        """How long the oldest waiting batch has waited (wall seconds: a stalled writer shows
        the same whatever the station clock's speed)."""
        return time.monotonic() - self.accepted_at[0] if self.accepted_at else 0.0


class HistoryWriter:
    def __init__(
        self,
        store: HistoryStore,
        config: HistoryConfig,
        counters: Mapping[str, CounterSpec | float | None] | None = None,
        commit_interval_s: float = 0.5,
    ) -> None:
        """`counters`: totaliser tags, each with its spec (or just where it wraps, in
        engineering units; None: never)."""
        self.store = store
        self.config = config
        self.counters = dict(counters or {})
        self.commit_interval_s = commit_interval_s
        self._tracker = CounterTracker()
        self._queue: queue.SimpleQueue[SampleBatch | None] = queue.SimpleQueue()
        self._rollups = {name: RollupAccumulator(ms) for name, ms in ROLLUPS.items()}
        self._ids: dict[tuple[str, ...], npt.NDArray[np.intp]] = {}
        self._thread: threading.Thread | None = None
        self._last_flush_ms: int | None = None
        self.flushed_until_ms: int | None = None
        """Sample time up to which the rollups in the file hold what was handed over (the
        reports wait for it to pass the end of their period)."""
        self._last_purge_ms: int | None = None
        self.stats = WriterStats()
        self._idle = threading.Event()
        self.backlog = Backlog()
        self._rebuild_from: int | None = None
        self._backlog_lock = threading.Lock()
        self.max_backlog_rows = config.max_backlog_rows

    @property
    def pending(self) -> int:
        """Batches not yet in the file (queued or being written)."""
        return self.backlog.batches

    def accept(self, batch: SampleBatch) -> None:
        """Never blocks: past the bound, the batch is refused and counted, never silently."""
        n = len(batch)
        with self._backlog_lock:
            b = self.backlog
            if b.rows + n > self.max_backlog_rows and b.rows > 0:
                self.stats.shed_rows += n
                self.stats.last_shed_ms = batch.ts_ms
                return
            b.rows += n
            b.accepted_at.append(time.monotonic())
        self._idle.clear()
        self._queue.put(batch)

    def _done(self, batches: list[SampleBatch]) -> None:
        with self._backlog_lock:
            b = self.backlog
            b.rows -= sum(len(x) for x in batches)
            for _ in batches:
                b.accepted_at.popleft()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="history-writer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=30)
            self._thread = None

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Until every accepted batch is written (tests and benchmarks)."""
        return self._idle.wait(timeout)

    def _run(self) -> None:
        """Supervised: whatever fails is logged once, alarmed (stats.last_error) and the work
        goes on; batches whose transaction failed are kept and written again, in order."""
        retry: list[SampleBatch] = []
        stopping = False
        while True:
            conn: sqlite3.Connection | None = None
            try:
                conn = self.store.connect()
                self._recover(conn)
                while not (stopping and not retry):
                    batches, stopping = self._gather(retry, stopping)
                    if not batches and not stopping:
                        self._idle.set()
                        continue
                    started = time.thread_time()
                    ok = self._write(conn, batches, final=stopping)
                    self.stats.cpu_s += time.thread_time() - started
                    if ok:
                        self._done(batches)
                        retry = []
                    else:
                        retry = batches
                        if stopping:  # cannot wait for space at a stop: say what is lost
                            log.error("history: %d rows not written at stop", self.backlog.rows)
                            return
                        time.sleep(RETRY_S)
                    if self._queue.empty() and not retry:
                        self._idle.set()
                return
            except Exception as exc:  # a bug or a file gone: never a dead writer
                self.stats.restarts += 1
                if self.stats.last_error is None:
                    log.exception("history writer failed; restarting it")
                self.stats.last_error = f"{type(exc).__name__}: {exc}"
                time.sleep(RETRY_S)
            finally:
                if conn is not None:
                    conn.close()
                self._idle.set()

    def _gather(self, retry: list[SampleBatch], stopping: bool) -> tuple[list[SampleBatch], bool]:
        """The batches of the next transaction: those to retry first, then what the queue
        brings within the commit interval (a transaction rewrites every B-tree page its rows
        touch, one per tag, so ten polls in one cost little more than one)."""
        batches = list(retry)
        if stopping:
            return batches, True
        if not batches:
            try:
                first = self._queue.get(timeout=0.5)
            except queue.Empty:
                return [], False
            if first is None:
                return [], True
            batches.append(first)
        gather_until = time.monotonic() + self.commit_interval_s
        while len(batches) < 500:
            try:
                item = self._queue.get(timeout=max(0.0, gather_until - time.monotonic()))
            except queue.Empty:
                break
            if item is None:
                return batches, True
            batches.append(item)
        return batches, False

    def _reset_in_memory(self, oldest_ms: int) -> None:
        """A failed transaction left the in-memory rollups and counter readings ahead of the
        file: forget them, and rebuild the rollups from the raw rows once writes succeed."""
        self._rollups = {name: RollupAccumulator(ms) for name, ms in ROLLUPS.items()}
        self._tracker = CounterTracker()
        self._ids.clear()
        self._rebuild_from = (
            oldest_ms if self._rebuild_from is None else min(self._rebuild_from, oldest_ms)
        )

    def _rebuild(self, conn: sqlite3.Connection, since: int) -> None:
        known = dict(conn.execute("SELECT name, id FROM tags").fetchall())
        counters = {known[n]: r for n, r in self.counters.items() if n in known}
        self.store.rebuild_rollups(conn, since, counters)
        self.store.clear_unflushed(conn)

    def _recover(self, conn: sqlite3.Connection) -> None:
        """After a stop that flushed no rollups (a kill), rebuild them from the raw rows."""
        since = self.store.unflushed_since(conn)
        if since is None:
            return
        with conn:
            self._rebuild(conn, since)
        self.stats.rollups_rebuilt_from_ms = since
        log.info("history: rollups rebuilt from raw rows since %d ms (unclean stop)", since)

    def _write(self, conn: sqlite3.Connection, batches: list[SampleBatch], final: bool) -> bool:
        """One transaction; True when it committed."""
        oldest = min(b.ts_ms for b in batches) if batches else None
        try:
            with conn:
                newest = self._write_batches(conn, batches)
                flushed = final
                if self._rebuild_from is not None:
                    # after a failure: the raw rows (these included) are the truth
                    since = min(self._rebuild_from, self.store.unflushed_since(conn) or 2**62)
                    self._rebuild(conn, since)
                    self._rollups = {n: RollupAccumulator(ms) for n, ms in ROLLUPS.items()}
                    flushed = True
                elif newest is not None:
                    flushed = self._maintain(conn, newest, final)
                elif final:
                    self._flush_rollups(conn)
                if flushed:
                    self.store.clear_unflushed(conn)
                elif oldest is not None:
                    self.store.mark_unflushed(conn, oldest)
            # counted once committed, never before: a reader of the file (a report, a
            # handover) that waits for `flushed_until_ms` finds those rollups there
            if flushed and newest is not None:
                self.flushed_until_ms = newest
            if self.stats.last_error is not None:
                log.info("history writes succeed again")
            self.stats.last_error = None
            self.stats.transactions += 1
            self.stats.batches_written += len(batches)
            self.stats.rows_written += sum(len(b) for b in batches)
        except sqlite3.Error as exc:
            # The file is full or broken: keep the batches, say so, keep acquisition running.
            self.stats.failed_rows += sum(len(b) for b in batches)
            if self.stats.last_error is None:  # once per outage, the alarm tells the rest
                log.error("history write failed: %s", exc)
            self.stats.last_error = str(exc)
            if oldest is not None:
                self._reset_in_memory(oldest)
            return False
        self._rebuild_from = None
        return True

    def _write_batches(self, conn: sqlite3.Connection, batches: list[SampleBatch]) -> int | None:
        newest: int | None = None
        for b in batches:
            ids = self._ids.get(b.tags)
            if ids is None:
                if len(self._ids) >= _LAYOUT_CACHE:  # exception reporting varies subsets
                    self._ids.clear()
                ids = self._ids[b.tags] = self._resolve(conn, b.tags)
            self.store.insert_raw(
                conn,
                list(zip(ids.tolist(), repeat(b.ts_ms), b.values.tolist(), b.quality.tolist())),
            )
            good = b.quality == Quality.GOOD
            counting = good & self._tracker.counters_among(ids)
            inc = self._tracker.update(ids[counting], b.values[counting], b.ts_ms)
            self.stats.counter_resets += int(inc.resets.sum())
            self.stats.counter_rollovers += int(inc.rollovers.sum())
            for acc in self._rollups.values():
                acc.add(ids[good], b.ts_ms, b.values[good])
                acc.add_increments(inc.tag_ids, b.ts_ms, inc.deltas, inc.resets)
            newest = b.ts_ms if newest is None else max(newest, b.ts_ms)
        return newest

    def _resolve(self, conn: sqlite3.Connection, tags: tuple[str, ...]) -> npt.NDArray[np.intp]:
        """Tag ids of a batch layout; counters among them start from their last stored reading."""
        ids = self.store.tag_ids(conn, tags)
        for name, tag_id in zip(tags, ids, strict=True):
            if (
                name in self.counters
                and not self._tracker.counters_among(np.array([tag_id], dtype=np.intp)).any()
            ):
                reading = self.store.last_good_reading(conn, tag_id)
                self._tracker.register(tag_id, self.counters[name], *reading)
        return np.array(ids, dtype=np.intp)

    def _maintain(self, conn: sqlite3.Connection, newest_ms: int, final: bool) -> bool:
        """Rollup flushes and retention, timed by sample time so they follow the station clock.
        True when the rollups were flushed (they then hold every raw row written)."""
        flush_ms = int(self.config.rollup_flush_s * 1000)
        flushed = False
        first = self._last_flush_ms is None
        if first or final or newest_ms - (self._last_flush_ms or 0) >= flush_ms:
            self._flush_rollups(conn)
            self._last_flush_ms = newest_ms
            flushed = True
        if self._last_purge_ms is None or newest_ms - self._last_purge_ms >= 3_600_000:
            self._last_purge_ms = newest_ms
            self.store.purge(
                conn, "samples", newest_ms - int(self.config.raw_retention_days * DAY_MS)
            )
            self.store.purge(
                conn, "rollup_1m", newest_ms - int(self.config.rollup_1m_retention_days * DAY_MS)
            )
            if self.config.rollup_1h_retention_days is not None:
                self.store.purge(
                    conn,
                    "rollup_1h",
                    newest_ms - int(self.config.rollup_1h_retention_days * DAY_MS),
                )
        return flushed

    def _flush_rollups(self, conn: sqlite3.Connection) -> None:
        for name, acc in self._rollups.items():
            self.store.merge_rollup(conn, name, acc.drain())
