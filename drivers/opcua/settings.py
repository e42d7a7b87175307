"""Settings of one OPC UA device, as the driver takes them (built from the config)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True, slots=True)
class OpcUaNode:
    node_id: str
    sampling_interval_s: float | None = None
    queue_size: int = 1
    deadband: tuple[Literal["absolute", "percent"], float] | None = None


@dataclass(frozen=True, slots=True)
class OpcUaSecuritySettings:
    policy: Literal["None", "Basic256Sha256"] = "None"
    mode: Literal["None", "Sign", "SignAndEncrypt"] = "None"
    certificate: str | None = None
    private_key: str | None = None
    trust_store: str | None = None


@dataclass(frozen=True, slots=True)
class OpcUaSettings:
    endpoint: str
    nodes: tuple[OpcUaNode, ...]
    mode: Literal["subscription", "polling"] = "subscription"
    publishing_interval_s: float = 1.0
    sampling_interval_s: float = 1.0
    timeout_s: float = 4.0
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 10.0
    node_retry_s: float = 10.0
    max_nodes_per_read: int | None = None
    username: str | None = None
    password: str | None = None
    security: OpcUaSecuritySettings = field(default_factory=OpcUaSecuritySettings)
