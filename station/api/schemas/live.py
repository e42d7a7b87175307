"""The live values, tags, history and health as the API answers them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from station.config.models import Text


class StationOut(BaseModel):
    id: str
    name: Text
    timezone: str
    language: str
    now: datetime
    first_out_causes: dict[str, Text]
    """What a supply interruption's first-out cause key (an alarm's `cause`) means, in words."""


class TagSource(BaseModel):
    protocol: str
    """modbus_tcp, modbus_rtu, modbus_rtu_over_tcp or opcua"""
    device: str
    endpoint: str
    """host:port, serial port@baud, or the OPC UA endpoint URL"""
    address: str
    """Modbus table and address (e.g. "holding 12"), or the OPC UA node id"""
    type: str | None


class TagOut(BaseModel):
    id: str
    name: Text
    unit: str
    device: str
    discrete: bool
    range: tuple[float, float] | None
    source: TagSource


class LiveOut(BaseModel):
    tag: str
    device: str
    value: float | bool | None
    quality: str
    """good, uncertain or bad"""
    reason: str | None
    """Why not good: comm_loss, out_of_range, invalid, device_error, stale."""
    ts: datetime
    age_s: float


class LiveResponse(BaseModel):
    now: datetime
    values: list[LiveOut]


class PointOut(BaseModel):
    ts: datetime
    value: float | None
    quality: str | None = None


class SeriesOut(BaseModel):
    tag: str
    unit: str
    points: list[PointOut]


class HistoryResponse(BaseModel):
    start: datetime
    end: datetime
    step_s: int | None
    aggregate: str | None
    series: list[SeriesOut]


class DeviceHealth(BaseModel):
    id: str
    state: str
    """initial (not yet tried), up (answering) or down."""
    delivering: bool
    """The last poll reached the device and read at least one good value."""
    connected: bool
    polls: int
    polls_reached: int
    """Polls the device answered (an exception answer counts)."""
    failed_polls: int
    """Polls that did not reach the device (no link, timeout, gateway exception)."""
    incomplete_polls: int
    """Answered polls with at least one value not good."""
    bad_tags: dict[str, int]
    """Per tag, polls in which it was not good (tags never bad are left out)."""
    tag_errors: dict[str, str]
    """Why a tag was bad on the last poll, where the device said (exception and registers)."""
    overruns: int
    overrunning: bool
    """A poll slot was skipped within the last ten intervals."""
    poll_interval_s: float
    poll_rate_hz: float | None
    """Polls per second achieved over the last 20 polls."""
    start_late_max_ms: float
    """The latest start of a poll after its slot, over the last 100 polls."""
    last_poll_s: float
    clock_offset_s: float | None
    """Devices that stamp their values: how far their clock is ahead of the service's."""
    clock_suspect: bool
    """Off by more than the device's bound: its values are stamped on arrival."""
    last_good: datetime | None
    last_error: str | None


class HistoryHealth(BaseModel):
    samples_in: int
    """Values published by acquisition since start."""
    rows_written: int
    pending_batches: int
    """Batches handed over and not yet in the file (being written included)."""
    pending_rows: int
    lag_s: float
    """How long the oldest batch not yet in the file has waited (wall seconds)."""
    shed_rows: int
    """Rows refused at the backlog bound: lost to history, and alarmed."""
    failed_rows: int
    behind: bool
    last_error: str | None


class ReportsHealth(BaseModel):
    scheduler: Literal["apscheduler", "station clock"]
    """Who fires the report triggers: apscheduler on the wall clock, else the station's clock."""
    fired: int
    """Report triggers fired since start: apscheduler's firings, or (on the station clock)
    each time periods fell due and reports were made."""
    made: int
    """Reports made since start, every kind."""
    last_made: str | None
    """The last report made: kind and period."""
    next_due: datetime | None
    """When the service next looks for due reports (None: at apscheduler's next firing)."""


class HealthOut(BaseModel):
    status: str
    """ok when every device delivers and history writes; degraded otherwise."""
    now: datetime
    devices: list[DeviceHealth]
    history: HistoryHealth
    stage_cpu_s: dict[str, float]
    """CPU seconds per stage since start: each fan-out consumer inline on the poll loop
    (live, history hand-over, alarms, influx) and the history writer thread."""
    reports: ReportsHealth | None = None
    """None without meter runs (no reports to make)."""
