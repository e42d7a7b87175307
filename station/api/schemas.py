"""API response models (the edge where internal dataclasses become JSON)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from station.config.models import Text


class StationOut(BaseModel):
    id: str
    name: Text
    timezone: str
    language: str
    now: datetime


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
    connected: bool
    polls: int
    failed_polls: int
    overruns: int
    last_poll_s: float
    last_good: datetime | None
    last_error: str | None


class HistoryHealth(BaseModel):
    samples_in: int
    """Values published by acquisition since start."""
    rows_written: int
    pending_batches: int
    last_error: str | None


class HealthOut(BaseModel):
    status: str
    """ok when every device answers and history writes; degraded otherwise."""
    now: datetime
    devices: list[DeviceHealth]
    history: HistoryHealth
