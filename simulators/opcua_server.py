"""Serve the process model over OPC UA (asyncua): a folder per area, engineering units and
EURange on every analog, status codes that turn bad when a scenario breaks an instrument,
security None and Basic256Sha256 (Sign, SignAndEncrypt), optional username login."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asyncua import Node, Server, ua
from asyncua.crypto.cert_gen import setup_self_signed_certificate
from asyncua.crypto.permission_rules import User, UserRole
from cryptography.x509.oid import ExtendedKeyUsageOID

log = logging.getLogger(__name__)

NAMESPACE = "urn:gate-station:simulator"
APPLICATION_URI = "urn:gate-station:simulator:server"
AREAS: dict[str, tuple[str, ...]] = {
    "Inlet": ("PT-101", "TT-101", "XV-001"),
    "Filters": ("PDT-101", "PDT-102"),
    "RegulatorRunA": ("PT-201A", "XV-201A", "XS-201A"),
    "RegulatorRunB": ("PT-201B", "XV-201B", "XS-201B"),
    "Outlet": ("PT-301", "TT-301", "TT-102", "XV-002"),
    "Metering": ("FT-301", "FT-301S", "FQ-301S", "FQ-301", "CF-301"),
    "Odoriser": ("AT-401", "LT-401"),
    "Safety": (
        "GT-01",
        "GT-02",
        "GT-03",
        "GT-04",
        "UPS-BATT",
        "MAINS-OK",
        "FIRE-ALARM",
        "INTRUSION",
    ),
    "System": ("RUN-ACTIVE", "PLC-HEARTBEAT"),
}
# UNECE Recommendation 20 common codes, as OPC UA EUInformation wants them.
UNECE = {
    "MPa": "MPA",
    "kPa": "KPA",
    "°C": "CEL",
    "m³/h": "MQH",
    "Nm³/h": "MQH",
    "m³": "MTQ",
    "Nm³": "MTQ",
    "%": "P1",
    "mg/m³": "GP",
}


def unit_id(code: str) -> int:
    value = 0
    for ch in code:
        value = (value << 8) | ord(ch)
    return value


@dataclass(frozen=True)
class VariableInfo:
    tag: str
    name_en: str
    name_zh: str
    unit: str
    range: tuple[float, float] | None
    discrete: bool


class SimpleUsers:
    """Username/password login for the simulator (plain dict; it is a test peer)."""

    def __init__(self, users: dict[str, str]) -> None:
        self.users = users

    def get_user(
        self,
        iserver: object,
        username: str | None = None,
        password: str | None = None,
        certificate: object = None,
    ) -> User | None:
        if username is not None and self.users.get(username) == password:
            return User(role=UserRole.User, name=username)
        return None


class OpcUaStationServer:
    def __init__(
        self,
        variables: list[VariableInfo],
        values: Callable[[], dict[str, float]],
        broken: Callable[[], set[str]],
        host: str,
        port: int,
        pki_dir: Path | None = None,
        users: dict[str, str] | None = None,
        secure_only: bool = False,
        clock_offset_s: float = 0.0,
    ) -> None:
        self.variables = variables
        self.clock_offset_s = clock_offset_s
        """A PLC whose clock is wrong: its source timestamps are off by this much."""
        self._values = values
        self._broken = broken
        self.host, self.port = host, port
        self.pki_dir = pki_dir
        self.users = users
        self.secure_only = secure_only
        self.server: Server | None = None
        self.nodes: dict[str, Node] = {}
        self.idx = 2
        self.certificate: Path | None = None

    @property
    def endpoint(self) -> str:
        return f"opc.tcp://{self.host}:{self.port}/gate-station/"

    async def start(self) -> None:
        server = Server(user_manager=SimpleUsers(self.users) if self.users else None)
        await server.init()
        server.set_endpoint(self.endpoint)
        server.set_server_name("Gate station simulator")
        await server.set_application_uri(APPLICATION_URI)
        policies = [
            ua.SecurityPolicyType.Basic256Sha256_Sign,
            ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt,
        ]
        if not self.secure_only:
            policies.insert(0, ua.SecurityPolicyType.NoSecurity)
        if self.pki_dir is not None:
            self.pki_dir.mkdir(parents=True, exist_ok=True)
            key, cert = self.pki_dir / "server-key.pem", self.pki_dir / "server-cert.der"
            await setup_self_signed_certificate(
                key,
                cert,
                APPLICATION_URI,
                socket.gethostname(),
                [ExtendedKeyUsageOID.SERVER_AUTH],
                {"commonName": "gate-station simulator"},
            )
            await server.load_certificate(str(cert))
            await server.load_private_key(str(key))
            self.certificate = cert
        else:
            policies = [ua.SecurityPolicyType.NoSecurity]
        server.set_security_policy(policies)
        if self.users:
            server.set_identity_tokens([ua.UserNameIdentityToken])
        self.idx = await server.register_namespace(NAMESPACE)
        await self._build_address_space(server)
        await server.start()
        self.server = server
        await self.publish()
        log.info("OPC UA simulator on %s", self.endpoint)

    async def _build_address_space(self, server: Server) -> None:
        objects = server.get_objects_node()
        station = await objects.add_folder(
            ua.NodeId("GateStation", self.idx), f"{self.idx}:GateStation"
        )
        by_tag = {v.tag: v for v in self.variables}
        placed: set[str] = set()
        for area, tags in AREAS.items():
            folder = await station.add_folder(ua.NodeId(area, self.idx), f"{self.idx}:{area}")
            for tag in tags:
                if tag in by_tag:
                    await self._add_variable(folder, by_tag[tag])
                    placed.add(tag)
        rest = [v for v in self.variables if v.tag not in placed]
        if rest:
            folder = await station.add_folder(ua.NodeId("Other", self.idx), f"{self.idx}:Other")
            for v in rest:
                await self._add_variable(folder, v)

    async def _add_variable(self, folder: Node, v: VariableInfo) -> None:
        nodeid = ua.NodeId(v.tag, self.idx)
        if v.discrete:
            node = await folder.add_variable(
                nodeid, f"{self.idx}:{v.tag}", False, ua.VariantType.Boolean
            )
        else:
            node = await folder.add_variable(
                nodeid, f"{self.idx}:{v.tag}", 0.0, ua.VariantType.Double
            )
            if v.range is not None:
                await node.add_property(
                    ua.NodeId(f"{v.tag}.EURange", self.idx),
                    ua.QualifiedName("EURange", 0),  # the standard property names live in ns 0
                    ua.Range(Low=v.range[0], High=v.range[1]),
                )
            if v.unit:
                eu = ua.EUInformation(
                    NamespaceUri="http://www.opcfoundation.org/UA/units/un/cefact",
                    UnitId=unit_id(UNECE.get(v.unit, "")) if v.unit in UNECE else -1,
                    DisplayName=ua.LocalizedText(v.unit),
                    Description=ua.LocalizedText(v.unit),
                )
                await node.add_property(
                    ua.NodeId(f"{v.tag}.EngineeringUnits", self.idx),
                    ua.QualifiedName("EngineeringUnits", 0),
                    eu,
                )
        await node.write_attribute(
            ua.AttributeIds.Description,
            ua.DataValue(ua.Variant(ua.LocalizedText(f"{v.name_en} / {v.name_zh}"))),
        )
        await node.write_attribute(
            ua.AttributeIds.DisplayName,
            ua.DataValue(ua.Variant(ua.LocalizedText(f"{v.tag} {v.name_en}"))),
        )
        self.nodes[v.tag] = node

    async def add_variable(self, v: VariableInfo) -> None:
        """A node that appears while running (a PLC program download adds a tag)."""
        assert self.server is not None
        folder = self.server.get_node(ua.NodeId("GateStation", self.idx))
        await self._add_variable(folder, v)
        self.variables.append(v)

    async def publish(self, ts: float | None = None) -> None:
        """Write the model's current values (called on every model step)."""
        if self.server is None:
            return
        values = self._values()
        broken = self._broken()
        stamp = datetime.fromtimestamp(ts, tz=UTC) if ts is not None else datetime.now(UTC)
        stamp += timedelta(seconds=self.clock_offset_s)
        for v in self.variables:
            node = self.nodes[v.tag]
            raw = values.get(v.tag, 0.0)
            variant = (
                ua.Variant(bool(raw), ua.VariantType.Boolean)
                if v.discrete
                else ua.Variant(float(raw), ua.VariantType.Double)
            )
            status = ua.StatusCode(
                ua.StatusCodes.BadSensorFailure if v.tag in broken else ua.StatusCodes.Good
            )
            await self.server.write_attribute_value(
                node.nodeid,
                ua.DataValue(
                    variant, StatusCode=status, SourceTimestamp=stamp, ServerTimestamp=stamp
                ),
            )

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.stop()
            self.server = None
            self.nodes = {}
