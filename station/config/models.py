"""Pydantic models of the station config (the edge where YAML becomes typed objects)."""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from drivers.modbus.codec import DataType, Order
from drivers.modbus.planner import Table
from station.config.alarms import AlarmConfig
from station.config.duty import DutyConfig
from station.config.hmi import HmiConfig
from station.config.reports import ReportsConfig

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


class Counter(Strict):
    """A totaliser: history keeps each reading and the quantity delivered per interval,
    counted across the register's rollover and across a reset of the meter."""

    rollover: float | None = Field(default=None, gt=0)
    """The register's modulus in raw counts, where the reading wraps to 0 (4294967296 for a
    uint32); None for a float totaliser that only goes up or is reset."""
    max_rate: float | None = Field(default=None, gt=0)
    """The most the meter can pass, in the tag's units per hour (set it above the meter's
    Qmax): an increment no such flow explains since the previous reading (a register that
    jumps forward, a meter exchanged with a reading of its own) counts nothing and is flagged
    as a reset, never as delivered gas. None: no bound."""


class TagBase(Strict):
    id: TagId
    name: Text
    unit: str = ""
    range: tuple[float, float] | None = None
    """Instrument span in engineering units; values well outside it are a bad signal."""
    counter: Counter | None = None

    @field_validator("range")
    @classmethod
    def _ordered(cls, v: tuple[float, float] | None) -> tuple[float, float] | None:
        if v is not None and not v[0] < v[1]:
            raise ValueError("range must be [low, high] with low < high")
        return v


class ModbusTag(TagBase):
    table: Table
    address: int = Field(ge=0, le=65535)
    type: DataType
    scale: float = 1.0
    offset: float = 0.0
    byte_order: Order | None = None
    """This value's byte order; default the device's (flow computers mix orders in one map)."""
    word_order: Order | None = None
    bit: int | None = Field(default=None, ge=0, le=15)
    """A flag in a status word: bit N (0 = least significant) of a holding or input register,
    read as a bool in the same request as its neighbours."""

    @model_validator(mode="after")
    def _bit_of_a_register(self) -> ModbusTag:
        if self.counter is not None and self.type is DataType.BOOL:
            raise ValueError("a counter counts: give it a numeric type, not bool")
        if self.bit is not None:
            if self.table.is_bits:
                raise ValueError(f"bit applies to registers, not to {self.table.value} points")
            if self.type is not DataType.BOOL:
                raise ValueError("a bit of a register is a bool: set type: bool")
        return self

    @property
    def is_discrete(self) -> bool:
        return self.type is DataType.BOOL

    @property
    def width(self) -> int:
        """Registers (or bits) the value occupies: one for a coil, an input or a flag."""
        return 1 if self.table.is_bits or self.bit is not None else self.type.width

    @property
    def address_text(self) -> str:
        bit = f".{self.bit}" if self.bit is not None else ""
        return f"{self.table.value} {self.address}{bit}"


class Deadband(Strict):
    """OPC UA data-change filter: report only changes larger than this."""

    type: Literal["absolute", "percent"]
    value: float = Field(ge=0)


class OpcUaTag(TagBase):
    node_id: str = Field(min_length=3, description="e.g. ns=2;s=PT-301 or ns=2;i=1001")
    discrete: bool = False
    sampling_interval_s: float | None = Field(default=None, ge=0)
    """Default: the device's sampling interval."""
    queue_size: int = Field(default=1, ge=1, le=1000)
    deadband: Deadband | None = None

    @property
    def is_discrete(self) -> bool:
        return self.discrete

    @property
    def address_text(self) -> str:
        return self.node_id


TagConfig = ModbusTag | OpcUaTag


class DeviceBase(Strict):
    id: TagId
    name: Text | None = None
    poll_interval_s: float = Field(default=1.0, gt=0, le=3600)
    timeout_s: float = Field(default=1.0, gt=0, le=60)
    backoff_max_s: float = Field(default=10.0, gt=0)
    max_clock_offset_s: float = Field(default=10.0, gt=0)
    """Devices that stamp their values (OPC UA): beyond this offset from the service's clock
    the device is flagged (CLOCK alarm) and its values are stamped on arrival instead."""


class ModbusDeviceBase(DeviceBase):
    device_id: int = Field(default=1, ge=0, le=255)
    retries: int = Field(default=0, ge=0, le=5)
    byte_order: Order = Order.BIG
    word_order: Order = Order.BIG
    max_gap: int = Field(default=10, ge=0, le=124)
    max_registers: int = Field(default=125, ge=1, le=125)
    reprobe_s: float = Field(default=600, gt=0)
    """After the device refused a merged read (exception 02) and it was split, how often the
    merged read is tried again (the device's map may have been fixed)."""
    tags: list[ModbusTag] = Field(min_length=1)


class ModbusOverTcp(ModbusDeviceBase):
    host: str
    port: int = Field(default=502, ge=1, le=65535)

    @property
    def endpoint_text(self) -> str:
        return f"{self.host}:{self.port}"


class ModbusTcpDevice(ModbusOverTcp):
    protocol: Literal["modbus_tcp"]


class ModbusRtuOverTcpDevice(ModbusOverTcp):
    """RTU frames (with CRC) through a serial-to-Ethernet gateway."""

    protocol: Literal["modbus_rtu_over_tcp"]


class ModbusRtuDevice(ModbusDeviceBase):
    """A device on an RS-485 line; devices naming the same serial port share the bus."""

    protocol: Literal["modbus_rtu"]
    serial_port: str
    baudrate: int = Field(default=19200, ge=300, le=921600)
    parity: Literal["N", "E", "O"] = "E"
    stopbits: Literal[1, 2] = 1
    bytesize: Literal[7, 8] = 8
    inter_frame_delay_s: float | None = Field(default=None, ge=0, le=1)
    """Quiet time between frames on the bus; default 3.5 characters (at least 1.75 ms)."""

    @property
    def endpoint_text(self) -> str:
        return f"{self.serial_port}@{self.baudrate}"

    @property
    def frame_gap_s(self) -> float:
        if self.inter_frame_delay_s is not None:
            return self.inter_frame_delay_s
        char_bits = 1 + self.bytesize + (0 if self.parity == "N" else 1) + self.stopbits
        return max(3.5 * char_bits / self.baudrate, 0.00175)


class OpcUaSecurity(Strict):
    policy: Literal["None", "Basic256Sha256"] = "None"
    mode: Literal["None", "Sign", "SignAndEncrypt"] = "None"
    certificate: str | None = None
    """Client certificate (DER or PEM); relative paths are from the config file."""
    private_key: str | None = None
    trust_store: str | None = None
    """Folder of trusted server certificates; the server's must be among them."""

    @model_validator(mode="after")
    def _consistent(self) -> OpcUaSecurity:
        if (self.policy == "None") != (self.mode == "None"):
            raise ValueError("policy and mode are both None or both set")
        if self.policy != "None" and not (self.certificate and self.private_key):
            raise ValueError("a secure policy needs certificate and private_key")
        return self


class OpcUaDevice(DeviceBase):
    protocol: Literal["opcua"]
    endpoint: str = Field(pattern=r"^opc\.tcp://")
    security: OpcUaSecurity = OpcUaSecurity()
    username: str | None = None
    password: str | None = None
    mode: Literal["subscription", "polling"] = "subscription"
    """Subscriptions (data change) by default; polling for servers that cannot."""
    publishing_interval_s: float = Field(default=1.0, gt=0)
    sampling_interval_s: float = Field(default=1.0, ge=0)
    max_nodes_per_read: int | None = Field(default=None, ge=1)
    """Default: what the server reports (OperationLimits), else 1000."""
    node_retry_s: float = Field(default=10.0, gt=0)
    """How often nodes the server rejected (a wrong node id) are tried again."""
    tags: list[OpcUaTag] = Field(min_length=1)

    @property
    def endpoint_text(self) -> str:
        return self.endpoint


DeviceConfig = Annotated[
    ModbusTcpDevice | ModbusRtuOverTcpDevice | ModbusRtuDevice | OpcUaDevice,
    Field(discriminator="protocol"),
]
ModbusDevice = ModbusTcpDevice | ModbusRtuOverTcpDevice | ModbusRtuDevice
PROTOCOLS = ("modbus_tcp", "modbus_rtu_over_tcp", "modbus_rtu", "opcua")


class InfluxConfig(Strict):
    """Forward every sample to InfluxDB 2.x/3.x/Cloud or any server with the v2 write API."""

    url: str = Field(pattern=r"^https?://")
    bucket: str
    token: str = ""
    org: str = ""
    batch_size: int = Field(default=5000, ge=1, le=100_000)
    flush_interval_s: float = Field(default=1.0, gt=0)
    spool_max_mb: float = Field(default=1024, gt=0)
    """Disk kept for samples while the server is away; the oldest go first when it is full."""
    spool_alarm_fraction: float = Field(default=0.8, gt=0, lt=1)
    replay_max_points_per_s: float = Field(default=50_000, gt=0)
    down_alarm_after_s: float = Field(default=60, ge=0)
    """HISTORIAN.INFLUX-DOWN after failed writes for this long, counted from the outage's
    start even across a restart of the service."""


class HistoryConfig(Strict):
    raw_retention_days: float = Field(default=30, gt=0)
    rollup_1m_retention_days: float = Field(default=400, gt=0)
    rollup_1h_retention_days: float | None = Field(default=None, gt=0)
    """None keeps hourly rollups for good (a year of 100 tags is under 1 M rows)."""
    rollup_flush_s: float = Field(default=10, gt=0)
    max_backlog_rows: int = Field(default=5_000_000, ge=1000)
    """Rows acquisition may hand the history writer ahead of the file (about 20 bytes each in
    memory); past it new batches are refused, counted and alarmed instead of memory growing."""
    disk_warn_free_mb: float = Field(default=500, ge=0)
    """HISTORIAN.DISK while the data folder's disk has less free space than this."""
    behind_alarm_s: float = Field(default=30, gt=0)
    """HISTORIAN.BEHIND while a handed-over batch has waited longer than this (wall seconds)."""
    influx: InfluxConfig | None = None


class ApiConfig(Strict):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    open_read: bool = True
    """Reading live data and history without login, as on the station LAN. False: every read
    (the stream and /metrics included) needs a login, or the scrape token."""
    scrape_token: str | None = Field(default=None, min_length=16)
    """A bearer token that may read (not act): for Prometheus and Grafana when open_read is
    false."""
    trusted_proxies: list[str] = []
    """Addresses of reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed;
    from anyone else the headers are ignored (the audited address is the peer's)."""

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses(cls, v: list[str]) -> list[str]:
        for item in v:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or network") from None
        return v


class AuditConfig(Strict):
    key_file: str | None = None
    """The audit chain's key (made on first start, mode 0600). Default: audit.key in the data
    folder; keep it where whoever can write the records file cannot (another owner, another
    disk) for the chain to prove anything against them."""
    anchor_every_s: float = Field(default=300, ge=10, le=86400)
    """How often the chain's head is written into the history file and the log."""


class StationConfig(Strict):
    station: StationInfo
    devices: list[DeviceConfig] = Field(min_length=1)
    history: HistoryConfig = HistoryConfig()
    api: ApiConfig = ApiConfig()
    alarms: AlarmConfig = AlarmConfig()
    audit: AuditConfig = AuditConfig()
    reports: ReportsConfig = ReportsConfig()
    duty: DutyConfig = DutyConfig()
    hmi: HmiConfig = HmiConfig()

    def all_tags(self) -> list[tuple[DeviceConfig, TagConfig]]:
        out: list[tuple[DeviceConfig, TagConfig]] = []
        for d in self.devices:
            out.extend((d, t) for t in d.tags)
        return out
