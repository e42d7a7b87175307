"""Pydantic models of the station config (the edge where YAML becomes typed objects)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from drivers.modbus.codec import DataType, Order
from drivers.modbus.planner import Table

TagId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Strict):
    """Operator-facing text in both languages; the station config picks which is shown."""

    zh: str
    en: str

    def pick(self, language: str) -> str:
        return self.zh if language == "zh" else self.en


class Language(StrEnum):
    ZH = "zh"
    EN = "en"


class StationInfo(Strict):
    id: TagId
    name: Text
    timezone: str = "Asia/Shanghai"
    language: Language = Language.ZH

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {v!r}") from exc
        return v


class TagConfig(Strict):
    id: TagId
    name: Text
    unit: str = ""
    table: Table
    address: int = Field(ge=0, le=65535)
    type: DataType
    scale: float = 1.0
    offset: float = 0.0
    range: tuple[float, float] | None = None
    """Instrument span in engineering units; values well outside it are a bad signal."""

    @field_validator("range")
    @classmethod
    def _ordered(cls, v: tuple[float, float] | None) -> tuple[float, float] | None:
        if v is not None and not v[0] < v[1]:
            raise ValueError("range must be [low, high] with low < high")
        return v

    @property
    def is_discrete(self) -> bool:
        return self.type is DataType.BOOL


class DeviceConfig(Strict):
    id: TagId
    name: Text | None = None
    protocol: Literal["modbus_tcp"]
    host: str
    port: int = Field(default=502, ge=1, le=65535)
    device_id: int = Field(default=1, ge=0, le=255)
    poll_interval_s: float = Field(default=1.0, gt=0, le=3600)
    timeout_s: float = Field(default=1.0, gt=0, le=60)
    retries: int = Field(default=0, ge=0, le=5)
    byte_order: Order = Order.BIG
    word_order: Order = Order.BIG
    max_gap: int = Field(default=10, ge=0, le=124)
    max_registers: int = Field(default=125, ge=1, le=125)
    backoff_max_s: float = Field(default=10.0, gt=0)
    tags: list[TagConfig] = Field(min_length=1)


class HistoryConfig(Strict):
    raw_retention_days: float = Field(default=30, gt=0)
    rollup_1m_retention_days: float = Field(default=400, gt=0)
    rollup_flush_s: float = Field(default=10, gt=0)


class ApiConfig(Strict):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    open_read: bool = True
    """Reading live data and history without login, as on the station LAN."""


class StationConfig(Strict):
    station: StationInfo
    devices: list[DeviceConfig] = Field(min_length=1)
    history: HistoryConfig = HistoryConfig()
    api: ApiConfig = ApiConfig()

    def all_tags(self) -> list[tuple[DeviceConfig, TagConfig]]:
        return [(d, t) for d in self.devices for t in d.tags]
