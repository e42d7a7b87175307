"""The composition root: every service of a station built from its config, with keyword
arguments, in the order they depend on each other. Nothing here runs: `StationRuntime` starts
and stops what is built here, and the API and the CLI reach the services it holds."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from station.acquisition import DeviceAcquisition, device_watch_job
from station.actor_audit import ActorAudit
from station.alarms.actions import AlarmActions
from station.alarms.engine import AlarmEngine
from station.alarms.journal import AlarmJournal
from station.alarms.notify import AlarmNotification, WebhookNotifier
from station.alarms.points import build_points
from station.alarms.scheduled import alarm_jobs
from station.alarms.service import AlarmService
from station.audit import AuditTrail
from station.audit_anchor import AuditAnchor, audit_jobs
from station.calendar import StationCalendar
from station.clock import Clock
from station.config.models import DeviceConfig, ModbusTag, StationConfig, TagConfig
from station.core_door import CoreDoor
from station.device_drivers import DriverFactory
from station.duty.desk import DutyDesk
from station.duty.incident_notice import IncidentNotice
from station.duty.safety_service import SafetyService
from station.duty.safety_store import SafetyRecords
from station.duty.scheduled import HandoverDrafting, duty_jobs
from station.duty.service import DutyService
from station.duty.store import DutyRecords
from station.fanout import SampleBus
from station.history import HistoryStore, HistoryWriter
from station.history.counters import CounterSpec
from station.history.influx import InfluxForwarder
from station.history.spool import Spool
from station.history.watch import HistoryWatch
from station.jobs import Job, JobRunner
from station.live_cache import LiveCache
from station.login_throttle import LoginThrottle
from station.records import RecordsStore
from station.refusals import RefusalLog
from station.reports.archive import ReportArchive
from station.reports.filing import ReportFiling
from station.reports.jobs import ReportJobs
from station.reports.production import ProductionReports
from station.reports.report_worker import ReportWorker
from station.reports.service import ReportService
from station.reports.signoff import ReportSignoff
from station.sessions import Sessions
from station.users import UserStore


def counter_specs(config: StationConfig, speed: float = 1.0) -> dict[str, CounterSpec]:
    """Counter tags: where each wraps in engineering units (the register's modulus × scale),
    the most its meter passes, and how far a reading's stamp can be from the moment the device
    read it: a poll's longest wait for its answer (its timeout, each try), in station time."""
    out: dict[str, CounterSpec] = {}
    for device, tag in config.all_tags():
        if tag.counter is not None:
            scale = tag.scale if isinstance(tag, ModbusTag) else 1.0
            rollover = tag.counter.rollover
            tries = 1 + getattr(device, "retries", 0)
            out[tag.id] = CounterSpec(
                None if rollover is None else rollover * abs(scale),
                tag.counter.max_rate,
                stamp_slack_ms=int(device.timeout_s * tries * speed * 1000),
            )
    return out


def audit_key_file(config: StationConfig, data_dir: Path) -> Path:
    return Path(config.audit.key_file) if config.audit.key_file else data_dir / "audit.key"


class StationParts:
    """The services of one station, wired (see the module's docstring)."""

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
        self.door = CoreDoor()
        self.tags: dict[str, tuple[DeviceConfig, TagConfig]] = {
            t.id: (d, t) for d, t in config.all_tags()
        }
        self._wire_samples(endpoints)
        self._wire_records()
        self._wire_alarms()
        self._wire_history_link()
        self._wire_duty()
        self._wire_reports()
        self.door.own(self.alarms, self.duty)
        self.jobs = JobRunner(clock, self._jobs(), on_failing=self._jobs_failing)

    def now_ms(self) -> int:
        return int(self.clock.now_s() * 1000)

    def _wire_samples(self, endpoints: Mapping[str, tuple[str, int] | str] | None) -> None:
        config, clock = self.config, self.clock
        self.bus = SampleBus()
        self.live = LiveCache(
            stale_after_s={
                d.id: 3 * d.poll_interval_s + d.timeout_s * clock.speed for d in config.devices
            },
            layouts={d.id: tuple(t.id for t in d.tags) for d in config.devices},
        )
        self.history_store = HistoryStore(self.data_dir / "history.sqlite3")
        self.history = HistoryWriter(
            store=self.history_store,
            config=config.history,
            counters=counter_specs(config, clock.speed),
        )
        self.bus.subscribe("live", self.live.accept)
        self.bus.subscribe("history", self.history.accept)
        self.drivers = DriverFactory(overrides=endpoints, clock=clock)
        self.devices = [
            DeviceAcquisition(
                device=d, poller=self.drivers.poller(d), clock=clock, publish=self.bus.publish
            )
            for d in config.devices
        ]

    def _wire_records(self) -> None:
        self.records = RecordsStore(self.data_dir / "records.sqlite3")
        self.audit = AuditTrail(
            store=self.records, key_file=audit_key_file(self.config, self.data_dir)
        )
        self.refusals = RefusalLog(audit=self.audit)
        self.users = UserStore(self.records)
        self.login_throttle = LoginThrottle()
        self.sessions = Sessions(
            users=self.users,
            throttle=self.login_throttle,
            audit=self.audit,
            refusals=self.refusals,
            now_ms=self.now_ms,
        )
        self.anchor = AuditAnchor(audit=self.audit, write=self.history_store.add_audit_anchor)
        self.duty_audit = ActorAudit(audit=self.audit, refusals=self.refusals, now_ms=self.now_ms)

    def _wire_alarms(self) -> None:
        config = self.config
        self.journal = AlarmJournal(self.records)
        self.alarms = AlarmEngine(
            points=build_points(config, config.alarms),
            journal=self.journal,
            language=config.station.language.value,
        )
        self.alarm_actions = AlarmActions(
            engine=self.alarms,
            audit=self.audit,
            refusals=self.refusals,
            shelve_max_s=config.alarms.shelve_max_s,
            now_ms=self.now_ms,
        )
        self.alarm_service = AlarmService(
            actions=self.alarm_actions,
            engine=self.alarms,
            journal=self.journal,
            door=self.door,
            now_ms=self.now_ms,
        )
        self.bus.subscribe("alarms", self.alarms.accept)
        self.notification: AlarmNotification | None = None
        if config.alarms.webhook_url:
            self.notification = AlarmNotification(
                notifier=WebhookNotifier(config.alarms.webhook_url),
                priorities=config.alarms.notify_priorities,
                escalate_after_s=config.alarms.escalate_after_s,
                station=config.station.id,
            )
            self.alarms.listeners.append(self.notification.on_event)

    def _wire_history_link(self) -> None:
        config = self.config
        self.influx: InfluxForwarder | None = None
        influx = config.history.influx
        if influx is not None:
            self.influx = InfluxForwarder(
                url=influx.url,
                bucket=influx.bucket,
                token=influx.token,
                org=influx.org,
                spool=Spool(self.data_dir / "influx-spool", int(influx.spool_max_mb * 1e6)),
                station=config.station.id,
                units={t: dt[1].unit for t, dt in self.tags.items()},
                batch_size=influx.batch_size,
                flush_interval_s=influx.flush_interval_s,
                replay_max_points_per_s=influx.replay_max_points_per_s,
                now_s=self.clock.now_s,
            )
            self.bus.subscribe("influx", self.influx.accept)
        self.history_watch = HistoryWatch(
            writer=self.history,
            config=config.history,
            data_dir=self.data_dir,
            influx=self.influx,
            other_error=lambda: self.journal.last_error,
            set_alarm=self.alarms.set_internal,
        )

    def _wire_duty(self) -> None:
        config = self.config
        self.duty_calendar = StationCalendar(config.station.timezone, config.reports)
        counters = [t.id for _, t in config.all_tags() if t.counter is not None]
        self.duty = DutyDesk(
            config=config.duty,
            calendar=self.duty_calendar,
            records=DutyRecords(self.records),
            live=self.live,
            alarms=self.alarms,
            readings=[t for t in config.reports.shift_readings if t not in counters],
            totals=counters,
        )
        self.alarms.listeners.append(self.duty.on_alarm_event)
        self.safety = SafetyRecords(self.records)
        self.handover = HandoverDrafting(
            desk=self.duty,
            door=self.door,
            history=self.history,
            history_store=self.history_store,
            reports=config.reports,
            now_ms=self.now_ms,
        )
        self.incidents = IncidentNotice(
            webhook_url=config.alarms.webhook_url, station_id=config.station.id
        )
        self.duty_service = DutyService(desk=self.duty, door=self.door, drafting=self.handover)
        self.safety_service = SafetyService(
            config=config.duty,
            records=self.safety,
            desk=self.duty,
            door=self.door,
            history=self.history_store,
            notice=self.incidents,
            now_ms=self.now_ms,
        )

    def _wire_reports(self) -> None:
        config = self.config
        self.report_archive = ReportArchive(self.records)
        self.report_worker = ReportWorker()
        self.report_signoff = ReportSignoff(
            archive=self.report_archive,
            audit=self.audit,
            refusals=self.refusals,
            now_ms=self.now_ms,
        )
        self.filing = ReportFiling(
            config=config,
            archive=self.report_archive,
            worker=self.report_worker,
            folder=self.data_dir / "reports" / config.station.id,
        )
        self.reports: ProductionReports | None = None
        self.report_jobs: ReportJobs | None = None
        if config.reports.meter_runs:
            self.reports = ProductionReports(
                config=config,
                history=self.history_store,
                journal=self.journal,
                archive=self.report_archive,
                now_ms=self.now_ms,
                compute=self._report_content,
            )
            self.report_jobs = ReportJobs(
                reports=self.reports,
                history=self.history,
                filing=self.filing,
                generate_after_s=config.reports.generate_after_s,
                set_alarm=self.alarms.set_internal,
                now_ms=self.now_ms,
            )

        self.report_service = ReportService(
            config=config,
            archive=self.report_archive,
            production=self.reports,
            signoff=self.report_signoff,
            worker=self.report_worker,
            filing=self.filing,
            door=self.door,
            now_ms=self.now_ms,
        )

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

    def _jobs(self) -> list[Job]:
        """Every domain's periodic work, in the order each second runs it."""
        alarms_first, alarms_last = alarm_jobs(
            engine=self.alarms, journal=self.journal, notification=self.notification
        )
        return [
            *alarms_first,
            *audit_jobs(
                anchor=self.anchor,
                refusals=self.refusals,
                every_s=self.config.audit.anchor_every_s,
            ),
            *(self.report_jobs.jobs() if self.report_jobs is not None else []),
            *duty_jobs(desk=self.duty, alarms=self.alarms, drafting=self.handover),
            device_watch_job(self.devices, self.alarms.set_internal),
            *self.history_watch.jobs(),
            *alarms_last,
        ]

    def _jobs_failing(self, now_ms: int, names: list[str]) -> None:
        self.alarms.set_internal("SERVICE.JOBS", bool(names), now_ms, ", ".join(names))
