"""The history's own conditions, watched every second: the file lagging acquisition, a write
failing, the disk filling, and (with InfluxDB) the link down or the spool filling. Each is an
internal alarm, set through the callable the watch is given (history knows no alarm engine)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from station.config.models import HistoryConfig
from station.history.influx import InfluxForwarder
from station.history.writer import HistoryWriter
from station.jobs import Job

SetAlarm = Callable[[str, bool, int, str], None]


class HistoryWatch:
    def __init__(
        self,
        *,
        writer: HistoryWriter,
        config: HistoryConfig,
        data_dir: Path,
        influx: InfluxForwarder | None,
        other_error: Callable[[], str | None],
        set_alarm: SetAlarm,
    ) -> None:
        """`other_error`: the last error of another writer of the records (the journal)."""
        self.writer = writer
        self.config = config
        self.data_dir = data_dir
        self.influx = influx
        self.other_error = other_error
        self.set_alarm = set_alarm

    def behind(self, now_ms: int) -> tuple[bool, str]:
        """The file lags acquisition past its bound, or refused rows that recently."""
        h, cfg = self.writer, self.config
        lag = h.backlog.lag_s
        last_shed = h.stats.last_shed_ms
        shed = last_shed is not None and now_ms - last_shed < cfg.behind_alarm_s * 1000
        text = f"{lag:.0f} s, {h.backlog.rows} rows waiting, {h.stats.shed_rows} rows refused"
        return lag > cfg.behind_alarm_s or shed, text

    def free_disk_mb(self) -> float:
        try:
            return shutil.disk_usage(self.data_dir).free / 1e6
        except OSError:
            return 0.0

    def watch_file(self, now_ms: int) -> None:
        behind, text = self.behind(now_ms)
        self.set_alarm("HISTORIAN.BEHIND", behind, now_ms, text)
        error = self.writer.stats.last_error or self.other_error()
        self.set_alarm("HISTORIAN.WRITE", error is not None, now_ms, error or "")
        free_mb = self.free_disk_mb()
        self.set_alarm(
            "HISTORIAN.DISK",
            free_mb < self.config.disk_warn_free_mb,
            now_ms,
            f"{free_mb:.1f} MB free in {self.data_dir}",
        )

    def watch_spool(self, now_ms: int) -> None:
        """Alarm while InfluxDB is unreachable, and before the spool fills."""
        influx, cfg = self.influx, self.config.influx
        assert influx is not None and cfg is not None
        spool = influx.spool
        filling = spool.size_bytes >= cfg.spool_alarm_fraction * spool.max_bytes
        self.set_alarm(
            "HISTORIAN.SPOOL-FILLING", filling, now_ms, f"{spool.size_bytes / 1e6:.0f} MB"
        )
        # the delay runs from the outage's start as the forwarder recorded it, so an outage
        # that spans a restart of the service is alarmed all the same
        since = influx.down_since_s
        down = since is not None and now_ms / 1000 - since >= cfg.down_alarm_after_s
        self.set_alarm("HISTORIAN.INFLUX-DOWN", down, now_ms, influx.stats.last_error or "")

    def jobs(self) -> list[Job]:
        jobs = [Job(name="history.watch", every_s=1, run=self.watch_file)]
        if self.influx is not None:
            jobs.append(Job(name="history.spool", every_s=1, run=self.watch_spool))
        return jobs
