"""OPC UA interoperability with node-opcua, an implementation that is not ours (npm)."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from drivers.opcua.client import OpcUaPoller
from drivers.opcua.settings import OpcUaNode, OpcUaSettings
from drivers.reading import PointStatus
from simulators.opcua_server import unit_id
from simulators.station_sim import StationSimulator
from station.clock import ManualClock
from station.config.loader import load_config
from tests.harness.config import EXAMPLE, free_port

pytestmark = pytest.mark.integration
PEER = Path(__file__).parents[1] / "interop" / "node_opcua"
NODE = shutil.which("node")


def require_peer() -> str:
    assert NODE, "node is needed for the node-opcua peer"
    assert (PEER / "node_modules" / "node-opcua-server").is_dir(), (
        "run scripts/bootstrap.sh: it installs the node-opcua peer with npm ci"
    )
    return NODE


async def test_node_opcua_client_browses_and_reads_the_simulator() -> None:
    node = require_peer()
    cfg = load_config(EXAMPLE.parent / "station-mixed.yaml")
    cfg = cfg.model_copy(update={"devices": [cfg.devices[0]]})
    clock = ManualClock(t=1_764_036_000.0)
    sim = StationSimulator(cfg, clock, ports={"PLC-1": free_port()})
    await sim.start()
    try:
        proc = await asyncio.create_subprocess_exec(
            node,
            str(PEER / "browse.js"),
            sim.opcua_endpoints()["PLC-1"],
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
        assert proc.returncode == 0, err.decode()[-2000:]
        # node-opcua logs to stdout too; the answer is the JSON line
        got = json.loads(
            next(ln for ln in reversed(out.decode().splitlines()) if ln.startswith("{"))
        )
    finally:
        await sim.stop()
    assert got["folders"] == [
        "Inlet",
        "Filters",
        "RegulatorRunA",
        "RegulatorRunB",
        "Outlet",
        "Metering",
        "Odoriser",
        "Safety",
        "System",
    ]
    assert "PT-301" in got["outletTags"]
    assert got["status"] == "Good"
    assert got["value"] == pytest.approx(float(sim.model.values["PT-301"]), rel=1e-12)
    assert got["euRange"] == {"low": 0, "high": 1}
    assert got["unit"] == "MPa" and got["unitId"] == unit_id("MPA")


@pytest.fixture
async def node_opcua_server() -> AsyncIterator[str]:
    node = require_peer()
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        node,
        str(PEER / "server.js"),
        str(port),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert proc.stdout is not None
    try:
        async with asyncio.timeout(60):
            while True:
                line = (await proc.stdout.readline()).decode()
                assert line, "node-opcua server exited before it was ready"
                if line.startswith("ready "):
                    break
        yield f"opc.tcp://127.0.0.1:{port}/peer"
    finally:
        proc.terminate()
        await proc.wait()


@pytest.mark.parametrize("mode", ["subscription", "polling"])
async def test_driver_reads_a_node_opcua_server(node_opcua_server: str, mode: str) -> None:
    settings = OpcUaSettings(
        endpoint=node_opcua_server,
        nodes=(
            OpcUaNode("ns=1;s=PeerInletPressure", 0.1),
            OpcUaNode("ns=1;s=PeerEsdOpen"),
            OpcUaNode("ns=1;s=PeerBroken"),
            OpcUaNode("ns=1;s=NoSuchNode"),
        ),
        mode=mode,  # type: ignore[arg-type]
        publishing_interval_s=0.2,
        sampling_interval_s=0.2,
    )
    poller = OpcUaPoller(settings)
    expected = [PointStatus.OK, PointStatus.OK, PointStatus.SOURCE_BAD, PointStatus.UNKNOWN_POINT]
    try:
        for _ in range(300):
            result = await poller.read()
            if result.status.tolist() == expected:
                break
            await asyncio.sleep(0.05)
        assert result.status.tolist() == expected, (result.status.tolist(), poller.last_error)
        assert 3.09 <= result.values[0] <= 3.31 and result.values[1] == 1.0
    finally:
        await poller.close()
