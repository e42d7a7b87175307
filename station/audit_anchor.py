"""The audit chain's head written outside the records file (into the history file and the log)
every so often, and the refusals' rate-limited summaries flushed: the audit domain's jobs."""

from __future__ import annotations

import logging
from collections.abc import Callable

from station.audit import AuditTrail
from station.jobs import Job
from station.refusals import RefusalLog

log = logging.getLogger(__name__)


class AuditAnchor:
    def __init__(self, *, audit: AuditTrail, write: Callable[[int, int, str], None]) -> None:
        """`write(ts_ms, seq, digest)`: where the anchor is kept (the history file)."""
        self.audit = audit
        self.write = write

    def anchor(self, now_ms: int) -> None:
        """A truncated or rewritten trail no longer matches what was seen here."""
        seq, digest = self.audit.head()
        try:
            self.write(now_ms, seq, digest)
        except Exception as exc:
            log.warning("audit anchor not written to the history file: %s", exc)
        log.info("audit anchor: %d entries, head %s", seq, digest)


def audit_jobs(*, anchor: AuditAnchor, refusals: RefusalLog, every_s: float) -> list[Job]:
    return [
        Job(name="audit.refusals", every_s=1, run=refusals.flush),
        Job(name="audit.anchor", every_s=every_s, run=anchor.anchor),
    ]
