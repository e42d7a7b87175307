"""Review, signature and correction of reports: who may, in which order, and the audit of it.

generated → reviewed (shift leader or station master) → signed (station master). Only the
latest version of a period moves on. A signed version never changes (the archive refuses it);
a correction is a new version naming the one it replaces and why, and needs the review and
signature again. Signing records the audit chain's head in the report, so each vouches for the
other. Every step, and every refusal, is in the audit trail.
"""

from __future__ import annotations

from collections.abc import Callable

from station.actor_audit import ActorAudit
from station.audit import AuditTrail
from station.refusals import RefusalLog
from station.reports.archive import ReportArchive, StoredReport
from station.users import Role, User


class ReportSignoff:
    def __init__(
        self,
        archive: ReportArchive,
        audit: AuditTrail,
        refusals: RefusalLog,
        now_ms: Callable[[], int],
    ) -> None:
        self.archive = archive
        self.audit = audit
        self.refusals = refusals
        self.now_ms = now_ms
        self.log = ActorAudit(audit, refusals, now_ms)

    def _latest(
        self, user: User, action: str, kind: str, period: str, version: int, address: str | None
    ) -> StoredReport:
        obj = f"{kind}/{period}/v{version}"
        versions = self.archive.versions(kind, period)
        if not any(v.version == version for v in versions):
            raise self.log.refuse(user, action, obj, address, "unknown", f"no report {obj}")
        if versions[-1].version != version:
            why = f"version {version} is replaced by version {versions[-1].version}"
            raise self.log.refuse(user, action, obj, address, "conflict", why)
        return versions[-1]

    def review(
        self, user: User, kind: str, period: str, version: int, address: str | None
    ) -> StoredReport:
        action, obj = "report.review", f"{kind}/{period}/v{version}"
        report = self._latest(user, action, kind, period, version, address)
        if user.role < Role.shift_leader:
            raise self.log.refuse(
                user, action, obj, address, "forbidden", "reports are reviewed by a shift leader"
            )
        if report.status != "generated":
            why = f"{obj} is {report.status}, not waiting for review"
            raise self.log.refuse(user, action, obj, address, "conflict", why)
        self.archive.review(kind, period, version, user.username, self.now_ms())
        self.log.ok(user, action, obj, address, new={"hash": report.hash})
        return self.archive.versions(kind, period)[-1]

    def sign(
        self, user: User, kind: str, period: str, version: int, address: str | None
    ) -> StoredReport:
        action, obj = "report.sign", f"{kind}/{period}/v{version}"
        report = self._latest(user, action, kind, period, version, address)
        if user.role < Role.station_master:
            raise self.log.refuse(
                user, action, obj, address, "forbidden", "reports are signed by the station master"
            )
        if report.status != "reviewed":
            why = f"{obj} is {report.status}: it is reviewed before it is signed"
            raise self.log.refuse(user, action, obj, address, "conflict", why)
        seq, head = self.audit.head()
        anchor = f"{seq}:{head}"
        self.archive.sign(kind, period, version, user.username, self.now_ms(), anchor)
        self.log.ok(user, action, obj, address, new={"hash": report.hash, "audit_anchor": anchor})
        return self.archive.versions(kind, period)[-1]

    def correct(
        self,
        user: User,
        kind: str,
        period: str,
        reason: str,
        regenerate: Callable[[], tuple[str, str]],
        address: str | None,
    ) -> StoredReport:
        """A new version from the data as it is now; `regenerate` gives (content, hash)."""
        action = "report.correct"
        versions = self.archive.versions(kind, period)
        obj = f"{kind}/{period}"
        if not versions:
            raise self.log.refuse(user, action, obj, address, "unknown", f"no report {obj}")
        last = versions[-1]
        if last.status != "signed":
            why = f"{obj} v{last.version} is not signed: it is regenerated, not corrected"
            raise self.log.refuse(user, action, obj, address, "conflict", why)
        content, digest = regenerate()
        if digest == last.hash:
            why = f"the data of {obj} has not changed since version {last.version} was signed"
            raise self.log.refuse(user, action, obj, address, "conflict", why)
        why = f"correction of version {last.version}: {reason}"
        new = self.archive.keep(kind, period, content, digest, self.now_ms(), why)
        self.log.ok(
            user,
            action,
            f"{obj}/v{new.version}",
            address,
            reason=reason,
            old={"version": last.version, "hash": last.hash},
            new={"version": new.version, "hash": new.hash},
        )
        return new
