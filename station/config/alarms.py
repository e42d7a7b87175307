"""Alarm rules as the station config writes them (validated at the edge, like all config)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

AlarmId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,79}$")]
Priority = Annotated[int, Field(ge=1, le=4)]
"""1 emergency/critical, 2 high, 3 medium, 4 low."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Message(Strict):
    zh: str
    en: str


class Level(Strict):
    limit: float
    priority: Priority
    latch: bool = False
    """Stays latched after return to normal until acknowledged and reset (e.g. 50 %LEL)."""


class Timing(Strict):
    deadband: float = Field(default=0.0, ge=0)
    """Hysteresis in engineering units: a high alarm clears below limit − deadband."""
    on_delay_s: float = Field(default=0.0, ge=0)
    off_delay_s: float = Field(default=0.0, ge=0)
    suppressed_by: list[AlarmId] = []
    """Suppressed by design while any of these alarms stands (first-out)."""


class LimitRule(Timing):
    tag: str
    hh: Level | None = None
    h: Level | None = None
    l: Level | None = None  # noqa: E741 - the ISA name of the level
    ll: Level | None = None
    suppress_high: bool = False
    """Apply `suppressed_by` to H/HH too (normally only L/LL are consequential)."""

    @model_validator(mode="after")
    def _ordered(self) -> LimitRule:
        lows = [x.limit for x in (self.ll, self.l) if x is not None]
        highs = [x.limit for x in (self.h, self.hh) if x is not None]
        seq = lows + highs
        if not any((self.hh, self.h, self.l, self.ll)):
            raise ValueError("a limit rule needs at least one of hh, h, l, ll")
        if seq != sorted(seq) or len(set(seq)) != len(seq):
            raise ValueError("limits must rise: ll < l < h < hh")
        return self


class RateRule(Timing):
    id: AlarmId
    tag: str
    falling_faster_than: float | None = Field(default=None, gt=0)
    rising_faster_than: float | None = Field(default=None, gt=0)
    """Engineering units per minute."""
    window_s: float = Field(default=60.0, gt=0)
    priority: Priority
    message: Message | None = None

    @model_validator(mode="after")
    def _direction(self) -> RateRule:
        if (self.falling_faster_than is None) == (self.rising_faster_than is None):
            raise ValueError("give exactly one of falling_faster_than, rising_faster_than")
        return self


class DiscreteRule(Timing):
    id: AlarmId
    tag: str
    alarm_when: bool = True
    priority: Priority
    latch: bool = False
    message: Message | None = None


class DeviationRule(Timing):
    id: AlarmId
    tag: str
    reference: str
    max_difference: float = Field(gt=0)
    priority: Priority
    message: Message | None = None


class SupplyRule(Strict):
    """严禁停气: supply interruption, with the likely cause named from the pattern."""

    id: AlarmId = "SUPPLY-INTERRUPTION"
    priority: Priority = 1
    flow_tag: str
    cutoff: float = Field(gt=0)
    """Meter cut-off in the flow tag's unit; below it there is no delivery."""
    low_flow_s: float = Field(default=120.0, ge=0)
    esd_valves: list[str] = []
    """Open when true; any closed means no supply."""
    run_valves: dict[int, str] = {}
    """Slam-shut 'open' tag per regulator run, keyed by the active-run number."""
    active_run_tag: str | None = None
    outlet_pressure_tag: str
    outlet_ll: float
    outlet_deadband: float = Field(default=0.02, ge=0)
    """Once under LL and falling, the interruption stands until the outlet is back above
    LL + this (MPa)."""
    inlet_pressure_tag: str | None = None
    outlet_hh: float | None = None
    """Seen before the slam-shut closed, it names a regulator that failed open."""


class AlarmConfig(Strict):
    limits: list[LimitRule] = []
    rates: list[RateRule] = []
    discretes: list[DiscreteRule] = []
    deviations: list[DeviationRule] = []
    supply: SupplyRule | None = None
    comm_loss_priority: Priority = 2
    bad_signal_priority: Priority = 3
    shelve_max_s: dict[Literal["operator", "shift_leader", "station_master", "admin"], float] = {
        "operator": 8 * 3600,
        "shift_leader": 24 * 3600,
        "station_master": 7 * 24 * 3600,
        "admin": 7 * 24 * 3600,
    }
    """Longest shelve each role may set (operator: to the end of a shift)."""
    notify_priorities: list[Priority] = [1, 2]
    webhook_url: str | None = None
    escalate_after_s: float = Field(default=300.0, gt=0)
    """Unacknowledged priority 1–2 alarms go to the station master after this."""
