"""The reports' rules, once, for every way in (API, page, CLI): which periods exist, which
version is meant, the month's plan, the kept hourly records, making a report on demand and
filing it, review, signature and correction (`signoff` holds those rules and their audit).
Refusals are raised: `Unknown` (no such report or run), `ValueError` (a request that makes no
sense, answered 400). Nothing here knows HTTP."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from station.calendar import Period, StationCalendar
from station.config.models import StationConfig
from station.core_door import CoreDoor
from station.refusals import Unknown
from station.reports.archive import ReportArchive, StoredReport
from station.reports.document import ReportDocument
from station.reports.filing import ReportFiling
from station.reports.hourly_ledger import KeptRecord
from station.reports.production import ProductionReports
from station.reports.report_worker import ReportWorker
from station.reports.signoff import ReportSignoff
from station.users import User

NO_RUNS = "the station config has no reports.meter_runs"


@dataclass(frozen=True, kw_only=True)
class HourRecords:
    hour: Period
    versions: list[KeptRecord]
    """Every kept version of the hour, oldest first."""


class ReportService:
    def __init__(
        self,
        *,
        config: StationConfig,
        archive: ReportArchive,
        production: ProductionReports | None,
        signoff: ReportSignoff,
        worker: ReportWorker,
        filing: ReportFiling,
        door: CoreDoor,
        now_ms: Callable[[], int],
    ) -> None:
        self.config = config
        self.archive = archive
        self.production = production
        self.signoff = signoff
        self.worker = worker
        self.filing = filing
        self.door = door
        self.now_ms = now_ms
        self.calendar = StationCalendar(config.station.timezone, config.reports)

    # -- reading -------------------------------------------------------------------------
    def period(self, kind: str, text: str) -> Period:
        """The period a report names; ValueError saying what is wrong with the name."""
        return self.calendar.period(kind, text)

    def find(self, kind: str, period: str, version: int | None) -> StoredReport:
        """The version asked for, or the latest."""
        versions = self.archive.versions(kind, period)
        found = [v for v in versions if version is None or v.version == version]
        if not found:
            which = f" v{version}" if version else ""
            raise Unknown(f"no {kind} report for {period}{which}")
        return found[-1]

    def listing(self, kind: str | None) -> list[StoredReport]:
        return self.archive.listing(kind)

    async def rendered(
        self, kind: str, period: str, version: int | None, lang: str | None, fmt: str
    ) -> tuple[ReportDocument, bytes]:
        """A stored version in a format, in the language asked for (else the station's),
        rendered in the worker process: charts and printing never hold up a poll."""
        doc = ReportDocument.of(self.find(kind, period, version), self.config, lang)
        return doc, await self.worker.render(doc, fmt)

    # -- plans and hourly records --------------------------------------------------------
    def runs(self) -> list[str]:
        return [r.id for r in self.config.reports.meter_runs]

    def plans(self, month: str) -> dict[str, float | None]:
        return {r: self.archive.plan(month, r) for r in self.runs()}

    def set_plan(self, month: str, run: str, standard_volume: float, user: str) -> float | None:
        """The month's planned supply of a meter run; the plan it replaces."""
        self.period("monthly", month)
        if run not in self.runs():
            raise ValueError(f"unknown meter run {run!r}")
        return self.archive.set_plan(month, run, standard_volume, user, self.now_ms())

    def hourly(self, run: str, gas_day: str) -> list[HourRecords]:
        """The kept hourly quantity records of a run over a gas day, every version of each
        hour (a new one when late data changed it)."""
        if self.production is None or run not in self.runs():
            raise Unknown(f"no meter run {run!r}")
        ledger = self.production.ledger
        day = self.period("daily", gas_day)
        return [
            HourRecords(hour=h, versions=ledger.versions(run, h.start_ms))
            for h in self.calendar.hours(day)
        ]

    # -- making, filing, signing ---------------------------------------------------------
    def can_generate(self, kind: str, period: str) -> ProductionReports:
        production = self.production
        if production is None:
            raise ValueError(NO_RUNS)
        if self.period(kind, period).end_ms > self.now_ms():
            raise ValueError(f"the {kind} period {period} has not ended")
        return production

    def generate(self, kind: str, period: str) -> StoredReport:
        """Makes the period's report from the data as it is now: the same version when nothing
        changed, else a new one. Heavy: run it on a worker, then `file`."""
        return self.can_generate(kind, period).generate(kind, period, self.now_ms())

    async def file(self, made: list[StoredReport]) -> None:
        """Into the archive folder, in the background on the core's loop."""
        await self.door.call(self.filing.file_later, made)

    def review(
        self, user: User, kind: str, period: str, version: int, address: str | None
    ) -> StoredReport:
        return self.signoff.review(user, kind, period, version, address)

    def sign(
        self, user: User, kind: str, period: str, version: int, address: str | None
    ) -> StoredReport:
        return self.signoff.sign(user, kind, period, version, address)

    def correct(
        self, user: User, kind: str, period: str, reason: str, address: str | None
    ) -> StoredReport:
        """A signed report made again from the data as it is now, as a new version that names
        the one it replaces and why. Heavy: run it on a worker."""
        production = self.production
        if production is None:
            raise Unknown(NO_RUNS)
        self.period(kind, period)
        return self.signoff.correct(
            user, kind, period, reason, lambda: production.content(kind, period), address
        )
