"""A stored report as it is to be rendered: its content and everything a format needs beside it
(station name, time zone, language, hash, version), so every renderer, the CLI, the API and the
render worker pass one value."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from station.config.models import StationConfig
from station.reports.archive import StoredReport

FORMATS = ("html", "xlsx", "pdf")


@dataclass(frozen=True)
class ReportDocument:
    kind: str
    period: str
    reports: list[dict[str, Any]]
    """The data model as stored (one per meter run; one for a shift)."""
    station_id: str
    station_name: str
    timezone: str
    lang: str
    digest: str
    version: int
    status: str = "generated"
    reviewed_by: str | None = None
    reviewed_ms: int | None = None
    signed_by: str | None = None
    signed_ms: int | None = None
    """Who reviewed and signed the version (the renderings fill the signature lines in)."""
    preview: bool = False
    """A period that has not ended: its data so far, never archived, never signed; every
    rendering says so on its face."""

    @classmethod
    def of(cls, stored: StoredReport, config: StationConfig, lang: str | None) -> ReportDocument:
        return cls._for(
            config,
            lang,
            stored.kind,
            stored.period,
            stored.content,
            stored.hash,
            version=stored.version,
            status=stored.status,
            reviewed_by=stored.reviewed_by,
            reviewed_ms=stored.reviewed_ms,
            signed_by=stored.signed_by,
            signed_ms=stored.signed_ms,
        )

    @classmethod
    def preview_of(
        cls,
        kind: str,
        period: str,
        content: str,
        digest: str,
        config: StationConfig,
        lang: str | None,
    ) -> ReportDocument:
        """The data so far of a period that has not ended (version 0: there is none yet)."""
        return cls._for(
            config, lang, kind, period, content, digest, version=0, status="preview", preview=True
        )

    @classmethod
    def _for(
        cls,
        config: StationConfig,
        lang: str | None,
        kind: str,
        period: str,
        content: str,
        digest: str,
        **state: Any,
    ) -> ReportDocument:
        """Content as the station renders it, in the language asked for (else the station's)."""
        language = lang or config.station.language.value
        return cls(
            kind=kind,
            period=period,
            reports=json.loads(content),
            station_id=config.station.id,
            station_name=config.station.name.pick(language),
            timezone=config.station.timezone,
            lang=language,
            digest=digest,
            **state,
        )

    @property
    def title_period(self) -> str:
        r = self.reports[0] if self.reports else {}
        return str(
            r.get("gas_day") or r.get("month") or r.get("shift") or r.get("label") or self.period
        )

    def file_name(self, fmt: str) -> str:
        if self.preview:
            name = archive_name(self.station_id, self.kind, self.period, 0, self.lang, fmt)
            return name.replace("-v0-", "-preview-")
        return archive_name(self.station_id, self.kind, self.period, self.version, self.lang, fmt)


def archive_name(station: str, kind: str, period: str, version: int, lang: str, fmt: str) -> str:
    """Station, kind, period, version and language: unique in the archive folder."""
    return f"{station}-{kind}-{period.replace(':', '')}-v{version}-{lang}.{fmt}"
