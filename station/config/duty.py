"""Duty settings as the station config writes them: the crews' rotation and the rounds."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


EquipmentKind = Literal["extinguisher", "hydrant", "fire_panel", "other"]


class FireEquipmentConfig(Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,39}$")
    kind: EquipmentKind
    type: str = ""
    """e.g. dry powder ABC 8 kg, CO₂ 5 kg"""
    location: str
    expiry: date | None = None
    """The date the extinguisher must be refilled or replaced by."""
    check_every_days: int = Field(default=30, ge=1, le=366)
    min_pressure_mpa: float | None = Field(default=None, gt=0)
    """A stored-pressure extinguisher under this (the gauge's green zone) fails its check."""


class MaintenancePlanConfig(Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,39}$")
    equipment: str
    """filters, regulator run A, slam-shut B, relief valves, odoriser, gas detectors, UPS …"""
    name_zh: str
    name_en: str
    every_days: int = Field(ge=1, le=3660)


class TrendWatchConfig(Strict):
    """A value drifting towards a limit that calls for work (change the filter, refill)."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,39}$")
    tag: str
    limit: float
    direction: Literal["rising", "falling"]
    name_zh: str
    name_en: str
    days: int = Field(default=14, ge=1, le=365)
    """How much history the trend is fitted to."""


class CrewConfig(Strict):
    name: str = Field(min_length=1, max_length=40)
    members: list[str] = Field(min_length=1, max_length=8)
    """User names; the first is the crew's operator of record."""


class RoundItemConfig(Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,39}$")
    name_zh: str
    name_en: str
    tag: str | None = None
    """A transmitter the item's reading is compared with (a local gauge against it)."""
    tolerance: float | None = Field(default=None, gt=0)
    """Reading and live value further apart than this (in the tag's unit) are flagged."""


class RoundConfig(Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,39}$")
    name_zh: str
    name_en: str
    every_h: float = Field(default=2.0, gt=0, le=24)
    """A round falls due this often, counted from the start of each shift."""
    grace_min: float = Field(default=30, ge=0, le=720)
    """Due becomes overdue (a low-priority alarm) this long after it fell due; missed when
    the next one falls due undone."""
    items: list[RoundItemConfig] = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def _unique_items(self) -> RoundConfig:
        ids = [i.id for i in self.items]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"round {self.id}: item ids repeat: {', '.join(dupes)}")
        return self


class DutyConfig(Strict):
    crews: list[CrewConfig] = []
    """A repeating pattern: crew i works the shifts numbered i, i + n, i + 2n, … counted from
    the first shift of `rotation_start` (n crews). The roster entered by a shift leader
    overrides it shift by shift."""
    rotation_start: date | None = None
    rounds: list[RoundConfig] = []
    round_priority: int = Field(default=4, ge=1, le=4)
    fire_equipment: list[FireEquipmentConfig] = []
    """The register of extinguishers, hydrants and the fire panel."""
    warn_days: int = Field(default=14, ge=1, le=90)
    """An expiry, a check or a maintenance falling due within this many days is flagged."""
    maintenance: list[MaintenancePlanConfig] = []
    trends: list[TrendWatchConfig] = []
    """Values drifting towards a limit that calls for work: a projected date is suggested."""
    emergency_contacts: dict[str, str] = {"police": "110", "fire": "119", "ambulance": "120"}
    """Named in an incident's notification (the webhook sends it to the dispatch system)."""

    @model_validator(mode="after")
    def _rotation(self) -> DutyConfig:
        if self.crews and self.rotation_start is None:
            raise ValueError("duty.crews needs duty.rotation_start (the first crew's first day)")
        for what, ids in (
            ("round", [r.id for r in self.rounds]),
            ("fire equipment", [e.id for e in self.fire_equipment]),
            ("maintenance plan", [m.id for m in self.maintenance]),
            ("trend", [t.id for t in self.trends]),
        ):
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            if dupes:
                raise ValueError(f"{what} ids repeat: {', '.join(dupes)}")
        return self
