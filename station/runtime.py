"""The running service: drivers → acquisition → fan-out → live cache and history."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from station.acquisition import DeviceAcquisition
from station.actor_audit import ActorAudit
from station.alarms.actions import AlarmActions
from station.alarms.engine import AlarmEngine
from station.alarms.journal import AlarmJournal
from station.alarms.notify import AlarmNotification, WebhookNotifier
from station.alarms.points import build_points
from station.audit import AuditTrail
from station.clock import Clock, WallClock
from station.config.models import DeviceConfig, ModbusTag, StationConfig, TagConfig
from station.device_drivers import DriverFactory
from station.duty.desk import DutyDesk
from station.duty.safety_store import Incident, SafetyRecords
from station.duty.store import DutyRecords
from station.fanout import SampleBus
from station.history import HistoryStore, HistoryWriter
from station.history.counters import CounterSpec
from station.history.influx import InfluxForwarder
from station.history.spool import Spool
from station.history.store import Aggregate
from station.live_cache import LiveCache
from station.login_throttle import LoginThrottle
from station.records import RecordsStore
from station.refusals import RefusalLog
from station.reports.archive import ReportArchive, StoredReport
from station.reports.calendar import Period, StationCalendar
from station.reports.document import ReportDocument, archive_name
from station.reports.production import ProductionReports
from station.reports.report_worker import ReportWorker
from station.reports.scheduled import ReportScheduler
from station.reports.signoff import ReportSignoff
from station.reports.weekly_flow import hour_ending_by
from station.users import UserStore

log = logging.getLogger(__name__)
NEVER = 2**62
T = TypeVar("T")


def counter_specs(config: StationConfig) -> dict[str, CounterSpec]:
    """Counter tags: where each wraps in engineering units (the register's modulus × scale)
    and the most its meter passes."""
    out: dict[str, CounterSpec] = {}
    for _, tag in config.all_tags():
        if tag.counter is not None:
            scale = tag.scale if isinstance(tag, ModbusTag) else 1.0
            rollover = tag.counter.rollover
            out[tag.id] = CounterSpec(
                None if rollover is None else rollover * abs(scale), tag.counter.max_rate
            )
    return out


class StationRuntime:
    def __init__(
        self,
        config: StationConfig,
        clock: Clock,
        data_dir: str | Path,
        endpoints: Mapping[str, tuple[str, int] | str] | None = None,
    ) -> None:
        """`endpoints` overrides where devices are: (host, port) for TCP, a path for a serial
        line, a URL for OPC UA (the demo's simulator picks free ports)."""
        self.config = config
        self.clock = clock
        self.data_dir = Path(data_dir)
        self.tags: dict[str, tuple[DeviceConfig, TagConfig]] = {
            t.id: (d, t) for d, t in config.all_tags()
        }
        self.bus = SampleBus()
        self.live = LiveCache(
            {d.id: 3 * d.poll_interval_s + d.timeout_s * clock.speed for d in config.devices},
            {d.id: tuple(t.id for t in d.tags) for d in config.devices},
        )
        self.history_store = HistoryStore(self.data_dir / "history.sqlite3")
        self.history = HistoryWriter(self.history_store, config.history, counter_specs(config))
        self.bus.subscribe("live", self.live.accept)
        self.bus.subscribe("history", self.history.accept)
        self.records = RecordsStore(self.data_dir / "records.sqlite3")
        self.audit = AuditTrail(self.records, self.audit_key_file(config, self.data_dir))
        self.refusals = RefusalLog(self.audit)
        self.users = UserStore(self.records)
        self.login_throttle = LoginThrottle()
        self.journal = AlarmJournal(self.records)
        self.alarms = AlarmEngine(
            build_points(config, config.alarms), self.journal, config.station.language.value
        )
        self.alarm_actions = AlarmActions(
            self.alarms, self.audit, self.refusals, config.alarms.shelve_max_s, self.now_ms
        )
        self.bus.subscribe("alarms", self.alarms.accept)
        self.influx: InfluxForwarder | None = None
        influx = config.history.influx
        if influx is not None:
            self.influx = InfluxForwarder(
                influx.url,
                influx.bucket,
                influx.token,
                influx.org,
                Spool(self.data_dir / "influx-spool", int(influx.spool_max_mb * 1e6)),
                config.station.id,
                {t: dt[1].unit for t, dt in self.tags.items()},
                influx.batch_size,
                influx.flush_interval_s,
                influx.replay_max_points_per_s,
                now_s=clock.now_s,
            )
            self.bus.subscribe("influx", self.influx.accept)
        self.notification: AlarmNotification | None = None
        if config.alarms.webhook_url:
            self.notification = AlarmNotification(
                WebhookNotifier(config.alarms.webhook_url),
                config.alarms.notify_priorities,
                config.alarms.escalate_after_s,
                config.station.id,
            )
            self.alarms.listeners.append(self.notification.on_event)
        self.report_archive = ReportArchive(self.records)
        self.report_folder = self.data_dir / "reports" / config.station.id
        self.report_worker = ReportWorker()
        self.report_signoff = ReportSignoff(
            self.report_archive, self.audit, self.refusals, self.now_ms
        )
        self.duty_calendar = StationCalendar(config.station.timezone, config.reports)
        self.duty_audit = ActorAudit(self.audit, self.refusals, self.now_ms)
        counters = [t.id for _, t in config.all_tags() if t.counter is not None]
        self.duty = DutyDesk(
            config.duty,
            self.duty_calendar,
            DutyRecords(self.records),
            self.live,
            self.alarms,
            [t for t in config.reports.shift_readings if t not in counters],
            counters,
        )
        self.alarms.listeners.append(self.duty.on_alarm_event)
        self.safety = SafetyRecords(self.records)
        self._notifying: set[asyncio.Task[None]] = set()
        self._handover_due_ms = 0
        """The end of the shift under way: its handover is drafted then."""
        self._drafting: asyncio.Task[None] | None = None
        self.reports: ProductionReports | None = None
        if config.reports.meter_runs:
            self.reports = ProductionReports(
                config,
                self.history_store,
                self.journal,
                self.report_archive,
                self.now_ms,
                self._report_content,
            )
        self._reporting: asyncio.Task[None] | None = None
        self._filing: asyncio.Task[None] | None = None
        self.report_scheduler: ReportScheduler | None = None
        """apscheduler, on the wall clock only (it cannot follow another clock)."""
        self._reports_due_ms = 0
        """Station time the next report falls due: no look (no thread, no query) before."""
        self._weekly_due_ms = 0
        self._weekly_done_ms = 0
        """End of the last hour judged against the same hour last week."""
        self.drivers = DriverFactory(endpoints, clock)
        self.devices = [
            DeviceAcquisition(d, self.drivers.poller(d), clock, self.bus.publish)
            for d in config.devices
        ]
        self._tasks: list[asyncio.Task[None]] = []
        self.loop: asyncio.AbstractEventLoop | None = None
        """The loop that owns acquisition, the alarm engine and history hand-over."""
        self._anchored_ms = 0

    @staticmethod
    def audit_key_file(config: StationConfig, data_dir: Path) -> Path:
        return Path(config.audit.key_file) if config.audit.key_file else data_dir / "audit.key"

    def now_ms(self) -> int:
        return int(self.clock.now_s() * 1000)

    def _report_content(self, kind: str, period: str) -> tuple[str, str]:
        """A report's content computed in the worker process, from the same files."""
        return self.report_worker.content(
            self.config,
            self.history_store.path,
            self.records.path,
            kind,
            period,
            self.now_ms(),
        )

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Runs `fn` on the loop that owns the station's state and waits for it: how anything
        else (the API's threads and loop) changes or reads alarm state, so that state has one
        owner and no locks."""
        loop = self.loop
        if loop is None or loop is asyncio.get_running_loop():
            return fn(*args)
        done: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            if not done.set_running_or_notify_cancel():
                return
            try:
                done.set_result(fn(*args))
            except BaseException as exc:
                done.set_exception(exc)

        loop.call_soon_threadsafe(run)
        return await asyncio.wrap_future(done)

    def call_soon(self, fn: Callable[..., Any], *args: Any) -> None:
        """Runs `fn` on the owning loop without waiting (where waiting is not possible)."""
        loop = self.loop
        if loop is None or loop.is_closed():
            fn(*args)
            return
        loop.call_soon_threadsafe(fn, *args)

    def anchor_audit(self, now_ms: int) -> None:
        """The audit chain's head into the history file and the log: a truncated or rewritten
        trail no longer matches what was seen here."""
        seq, digest = self.audit.head()
        self._anchored_ms = now_ms
        try:
            self.history_store.add_audit_anchor(now_ms, seq, digest)
        except Exception as exc:
            log.warning("audit anchor not written to the history file: %s", exc)
        log.info("audit anchor: %d entries, head %s", seq, digest)

    async def _alarm_timers(self) -> None:
        """Shelve expiry and escalation need time to pass even when no sample arrives."""
        while True:
            now = self.now_ms()
            self.alarms.tick(now)
            self.journal.catch_up()
            self.refusals.flush(now)
            if now - self._anchored_ms >= self.config.audit.anchor_every_s * 1000:
                self.anchor_audit(now)
            idle = self._reporting is None or self._reporting.done()
            if self.reports is not None and idle and now >= self._reports_due_ms:
                self._reporting = asyncio.create_task(self._reports_due(now), name="reports")
            elif self.reports is not None and idle and now >= self._weekly_due_ms:
                self._reporting = asyncio.create_task(self._weekly_flow_due(now), name="weekly")
            self.duty.tick(now, self.alarms.set_internal)
            if now >= self._handover_due_ms and (self._drafting is None or self._drafting.done()):
                self._drafting = asyncio.create_task(self._shift_ended(now), name="handover")
            self._watch_devices(now)
            self._watch_history(now)
            if self.influx is not None:
                self._watch_spool(now)
            if self.notification is not None:
                self.notification.tick(now, self._escalated)
            await self.clock.sleep(1.0)

    async def _shift_ended(self, now_ms: int) -> None:
        """At each shift's end, the handover drafted with what the service knows at that
        instant (the readings and totalisers then); on the service's first look, nothing
        ended yet."""
        shift = self.duty.shift_at(now_ms)
        first = self._handover_due_ms == 0
        self._handover_due_ms = shift.end_ms
        if first:
            return
        ended = self.duty.previous(shift)
        try:
            draft = await self.handover_draft(ended, wait_s=300)
            self.duty.keep_draft(ended, self.now_ms(), draft)
        except Exception:
            log.exception("the handover draft of %s failed", self.duty.shift_id(ended))

    async def handover_draft(self, shift: Period, wait_s: float = 2.0) -> dict[str, Any]:
        """The handover at the end of `shift` as of now: the gas delivered in it read from
        history on a thread, the rest on the core's loop (live values, alarm states).
        `wait_s`: how long the history writer is waited for to hold the shift (the draft at a
        shift's end waits for it; one asked over the API does not hold its caller)."""
        now = self.now_ms()
        draft = await self.call(self.duty.draft, shift, now, [])  # the instant's values
        until = min(now, shift.end_ms)
        # the minutes up to the handover are in the file (at most the writer's half second
        # away; a stepped clock outruns it by hours)
        deadline = time.monotonic() + wait_s
        while (self.history.flushed_until_ms or 0) < until and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        held = min(until, self.history.flushed_until_ms or 0)
        draft["delivered"] = await asyncio.to_thread(self._delivered, shift.start_ms, held)
        if held < until:  # the writer is stuck (a full disk): said, never passed off as whole
            log.warning("handover of %s: history holds the shift only until %d", shift.label, held)
            for run in draft["delivered"]:
                run["until_ms"] = held
        return draft

    async def notify_incident(self, incident: Incident) -> None:
        """An incident to the station's webhook at once, in the background: a slow receiver
        never holds the operator who reported it (it retries as for alarms)."""
        url = self.config.alarms.webhook_url
        if not url:
            return
        message = {
            "notification": "incident",
            "station": self.config.station.id,
            "incident": incident.id,
            "opened": datetime.fromtimestamp(incident.opened_ms / 1000, UTC).isoformat(),
            "opened_by": incident.opened_by,
            "what": incident.what,
            "actions": incident.actions,
            "notified": incident.notified,
        }
        task = asyncio.create_task(WebhookNotifier(url).send(message), name="incident")
        self._notifying.add(task)
        task.add_done_callback(self._notifying.discard)

    def _delivered(self, start_ms: int, end_ms: int) -> list[dict[str, Any]]:
        """Per meter run, the counter increments of the minutes in [start, end)."""
        out = []
        for run in self.config.reports.meter_runs:
            tag = run.standard_volume
            points = self.history_store.query([tag], start_ms, end_ms, 60, Aggregate.DELTA)[tag]
            volume = sum(p.value for p in points if p.value is not None)
            out.append({"run": run.id, "tag": tag, "standard_volume": volume})
        return out

    def _watch_devices(self, now_ms: int) -> None:
        """A device whose polls take longer than its interval skips slots, or whose clock is
        off: say so."""
        for dev in self.devices:
            s, interval = dev.stats, dev.device.poll_interval_s
            rate = s.poll_rate_hz
            cause = f"{rate:.2f} Hz of {1 / interval:.2f} Hz" if rate else f"{s.overruns} skipped"
            self.alarms.set_internal(
                f"OVERRUN.{dev.device.id}", s.overrunning(now_ms / 1000, interval), now_ms, cause
            )
            if s.clock_offset_s is not None:
                self.alarms.set_internal(
                    f"CLOCK.{dev.device.id}", s.clock_suspect, now_ms, f"{s.clock_offset_s:+.1f} s"
                )

    def history_behind(self, now_ms: int) -> tuple[bool, str]:
        """The file lags acquisition past its bound, or refused rows that recently."""
        h, cfg = self.history, self.config.history
        lag = h.backlog.lag_s
        last_shed = h.stats.last_shed_ms
        shed = last_shed is not None and now_ms - last_shed < cfg.behind_alarm_s * 1000
        text = f"{lag:.0f} s, {h.backlog.rows} rows waiting, {h.stats.shed_rows} rows refused"
        return lag > cfg.behind_alarm_s or shed, text

    def _watch_history(self, now_ms: int) -> None:
        behind, text = self.history_behind(now_ms)
        self.alarms.set_internal("HISTORIAN.BEHIND", behind, now_ms, text)
        error = self.history.stats.last_error or self.journal.last_error
        self.alarms.set_internal("HISTORIAN.WRITE", error is not None, now_ms, error or "")
        free_mb = self.free_disk_mb()
        self.alarms.set_internal(
            "HISTORIAN.DISK",
            free_mb < self.config.history.disk_warn_free_mb,
            now_ms,
            f"{free_mb:.1f} MB free in {self.data_dir}",
        )

    def stage_cpu_s(self) -> dict[str, float]:
        """CPU seconds per stage: each fan-out consumer on the poll loop, the writer thread."""
        return {**self.bus.cpu_s, "history-writer": self.history.stats.cpu_s}

    def free_disk_mb(self) -> float:
        try:
            return shutil.disk_usage(self.data_dir).free / 1e6
        except OSError:
            return 0.0

    def _watch_spool(self, now_ms: int) -> None:
        """Alarm while InfluxDB is unreachable, and before the spool fills."""
        assert self.influx is not None and self.config.history.influx is not None
        spool = self.influx.spool
        filling = (
            spool.size_bytes >= self.config.history.influx.spool_alarm_fraction * spool.max_bytes
        )
        self.alarms.set_internal(
            "HISTORIAN.SPOOL-FILLING", filling, now_ms, f"{spool.size_bytes / 1e6:.0f} MB"
        )
        # the delay runs from the outage's start as the forwarder recorded it, so an outage
        # that spans a restart of the service is alarmed all the same
        since = self.influx.down_since_s
        after = self.config.history.influx.down_alarm_after_s
        down = since is not None and now_ms / 1000 - since >= after
        self.alarms.set_internal(
            "HISTORIAN.INFLUX-DOWN", down, now_ms, self.influx.stats.last_error or ""
        )

    async def _reports_due(self, now_ms: int) -> None:
        """Reports due since their cursor, made on a worker thread (never on this loop)."""
        reports, delay = self.reports, self.config.reports.generate_after_s
        assert reports is not None

        def make() -> tuple[list[StoredReport], int]:
            made = reports.catch_up(now_ms, delay, None, self.history.flushed_until_ms or 0)
            # a period the history file does not hold yet stays due: looked at next second
            return made, reports.next_due_ms(delay)

        try:
            made, due = await asyncio.to_thread(make)
        except Exception:
            log.exception("report generation failed; it is tried again in a minute")
            self._reports_due_ms = now_ms + 60_000
            return
        if self.report_scheduler is not None and due > now_ms:
            due = NEVER  # in production apscheduler's firing says when to look next
        self._reports_due_ms = due
        self.file_later(made)

    def file_later(self, made: list[StoredReport]) -> None:
        """Files reports in the archive folder in the background (on this loop), one batch
        after another, beside the next generation and the weekly check."""
        if made and self.config.reports.archive_formats:
            self._filing = asyncio.create_task(self._file_after(self._filing, made), name="file")

    def unfiled_reports(self) -> list[StoredReport]:
        """The latest version of every report whose archive files are not all there: a stop
        cut its filing short, or the disk was full. Names only, no content read."""
        formats = self.config.reports.archive_formats
        latest = {(s.kind, s.period): s for s in self.report_archive.listing()}
        return [s for s in latest.values() if not self._filed(s, formats)]

    def _filed(self, stored: StoredReport, formats: Sequence[str]) -> bool:
        """A version's files never change (they show its content, hash and version only)."""
        lang, station = self.config.station.language.value, self.config.station.id
        names = (
            archive_name(station, stored.kind, stored.period, stored.version, lang, fmt)
            for fmt in formats
        )
        return all((self.report_folder / name).exists() for name in names)

    async def _file_unfiled(self) -> None:
        missing = await asyncio.to_thread(self.unfiled_reports)
        if missing:
            log.info("%d reports without their archive files: filing them", len(missing))
            await self.file_reports(missing)

    async def _file_after(
        self, before: asyncio.Task[None] | None, made: list[StoredReport]
    ) -> None:
        if before is not None:
            await asyncio.gather(before, return_exceptions=True)
        await self.file_reports(made)

    async def file_reports(self, made: list[StoredReport]) -> None:
        """Each report made, in the archive formats, into the archive folder (rendered by the
        worker process). A file that fails is logged; the report itself is kept already, and
        `station report` or the API renders it again at any time."""
        formats = tuple(self.config.reports.archive_formats)
        for stored in made:
            if self._filed(stored, formats):
                continue
            doc = ReportDocument.of(stored, self.config, None)
            try:
                await self.report_worker.files(doc, formats, self.report_folder)
            except Exception:
                log.exception("report %s %s: archive files not written", stored.kind, stored.period)

    async def _weekly_flow_due(self, now_ms: int) -> None:
        """The last hour the history file holds, against the same hour last week (read on a
        worker thread); then nothing until the next hour has ended."""
        reports = self.reports
        assert reports is not None
        until = datetime.fromtimestamp(min(now_ms, self.history.flushed_until_ms or 0) / 1000, UTC)
        hour = hour_ending_by(reports.calendar.tz, until)
        if hour.end_ms <= self._weekly_done_ms:
            self._weekly_due_ms = now_ms + 1000  # the file does not hold the next hour yet
            return
        self._weekly_due_ms = hour.end_ms + 3_600_000
        try:
            judged = await asyncio.to_thread(reports.weekly_flows, hour)
        except Exception:
            log.exception("weekly flow comparison failed; it is tried again")
            self._weekly_due_ms = now_ms + 60_000
            return
        for run, flow in judged:
            assert run.weekly_deviation is not None
            off = flow.off(run.weekly_deviation, run.cutoff)
            if off is not None:
                self.alarms.set_internal(f"FLOW-WEEK.{run.id}", off, now_ms, flow.describe())
        self._weekly_done_ms = hour.end_ms

    def _escalated(self, alarm: str, now_ms: int) -> None:
        point, status = self.alarms.points[alarm], self.alarms.status[alarm]
        self.journal.record(
            status,
            "escalated",
            point.priority,
            point.tag,
            now_ms,
            comment="unacknowledged: sent to the station master",
        )

    @property
    def reports_due_ms(self) -> int:
        return self._reports_due_ms

    def _report_fired(self, kind: str) -> None:
        """apscheduler's firing at a period's end: look once the delay for late data is over."""
        due = self.now_ms() + int(self.config.reports.generate_after_s * 1000)
        self._reports_due_ms = min(self._reports_due_ms, due)

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        if self.reports is not None and isinstance(self.clock, WallClock):
            self.report_scheduler = ReportScheduler(
                self.reports.calendar, self.loop, self._report_fired
            )
            self.report_scheduler.start()
        self.history.start()
        if self.influx is not None:
            self.influx.start()
        if self.notification is not None:
            self.notification.start()
        self._tasks = [
            asyncio.create_task(dev.run(), name=f"poll-{dev.device.id}") for dev in self.devices
        ]
        self._tasks.append(asyncio.create_task(self._alarm_timers(), name="alarm-timers"))
        if self.config.reports.archive_formats:
            self._filing = asyncio.create_task(self._file_unfiled(), name="file-unfiled")

    async def reporting_done(self) -> None:
        """Waits for the report, filing or weekly-flow work under way (a stepped clock outruns
        it)."""
        for task in (self._reporting, self._filing, self._drafting):
            if task is not None:
                await asyncio.gather(task, return_exceptions=True)

    async def stop(self) -> None:
        if self.report_scheduler is not None:
            self.report_scheduler.stop()
        if self._filing is not None:
            # what is not filed yet is filed at the next start; the file being written is
            # finished (a file in the folder is always whole)
            self._filing.cancel()
        await self.reporting_done()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for dev in self.devices:
            await dev.close()
        if self.notification is not None:
            await self.notification.stop()
        self.refusals.flush(self.now_ms() + 60_000)
        self.anchor_audit(self.now_ms())
        self.report_worker.close()
        self.history.stop()
        if self.influx is not None:
            self.influx.stop()
        self.records.close()
