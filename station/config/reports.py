"""Report settings as the station config writes them: the calendar and the meter runs."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class ShiftConfig(Strict):
    name_zh: str
    name_en: str
    start: str
    """Local time the shift begins, HH:MM; a shift ends where the next one begins."""

    @field_validator("start")
    @classmethod
    def _clock(cls, v: str) -> str:
        if not _CLOCK.match(v):
            raise ValueError(f"{v!r} is not a time of day HH:MM")
        return v

    @property
    def minute_of_day(self) -> int:
        h, m = self.start.split(":")
        return int(h) * 60 + int(m)


class MeterRunConfig(Strict):
    """One metering run and the tags its quantity records are made of."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,39}$")
    standard_volume: str
    """Counter tag of the standard-volume totaliser (Nm³)."""
    working_volume: str | None = None
    """Counter tag of the working-volume totaliser (m³), if the meter has one."""
    standard_flow: str
    """Standard flow (Nm³/h): flow time, and the volume integrated as a cross-check."""
    pressure: str
    temperature: str
    cutoff: float = Field(default=0.0, ge=0)
    """Flow (Nm³/h) under which the run counts as not flowing."""
    weekly_deviation: float | None = Field(default=None, gt=0, le=10)
    """Alarm when an hour's standard flow is more than this share off the same hour last
    week (0.4: ±40 %); none when not given."""
    weekly_priority: int = Field(default=4, ge=1, le=4)


class ReportsConfig(Strict):
    contract_hour: int = Field(default=8, ge=0, le=23)
    """The gas day begins at this local hour (08:00: a day is 08:00 to 08:00 the next day)."""
    shifts: list[ShiftConfig] = Field(
        default_factory=lambda: [
            ShiftConfig(name_zh="白班", name_en="Day shift", start="08:00"),
            ShiftConfig(name_zh="夜班", name_en="Night shift", start="20:00"),
        ],
        min_length=1,
        max_length=6,
    )
    meter_runs: list[MeterRunConfig] = []
    shift_readings: list[str] = []
    """Tags the shift report reads at every hour mark (inlet and outlet P/T, flows, totals,
    filter ΔP, odorant, heater temperature, active run …)."""
    gas_detectors: list[str] = []
    """Combustible-gas detectors (%LEL): the shift report gives their highest reading."""
    generate_after_s: float = Field(default=600, ge=0, le=86400)
    """A period's report is made this long after it ends, so late data (a replay, a restart)
    is in it."""
    archive_formats: list[Literal["pdf", "xlsx", "html"]] = ["pdf", "xlsx"]
    """Each report made on schedule is also written in these formats, in the station's
    language, to DATA_DIR/reports/STATION/ (named by station, kind, period, version)."""
    volume_mismatch: float = Field(default=0.005, gt=0, le=1)
    """Counter volume and integrated flow may differ by this share before a report flags it."""

    @model_validator(mode="after")
    def _shifts_in_order(self) -> ReportsConfig:
        starts = [s.minute_of_day for s in self.shifts]
        if len(set(starts)) != len(starts):
            raise ValueError("two shifts start at the same time")
        return self
