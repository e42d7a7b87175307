"""The OPC UA driver against the simulator's asyncua server over real sockets."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import numpy as np
import pytest

from drivers.opcua.client import OpcUaPoller
from drivers.opcua.security import make_client_certificate
from drivers.reading import PointStatus, ReadResult
from simulators.opcua_server import VariableInfo
from simulators.station_sim import StationSimulator
from station.acquisition import DeviceAcquisition
from station.clock import Clock, ManualClock, ScaledClock
from station.config.loader import load_config
from station.config.models import Deadband, OpcUaDevice, StationConfig
from station.device_drivers import opcua_settings
from station.samples import Quality
from tests.harness.config import EXAMPLE, free_port
from tests.harness.netproxy import TcpProxy

pytestmark = pytest.mark.integration
MIXED = EXAMPLE.parent / "station-mixed.yaml"


def plc_only(**updates: object) -> StationConfig:
    cfg = load_config(MIXED)
    plc = cfg.devices[0]
    assert isinstance(plc, OpcUaDevice)
    device = OpcUaDevice.model_validate({**plc.model_dump(), **updates})  # validates nested dicts
    return cfg.model_copy(update={"devices": [device]})


async def start_sim(cfg: StationConfig, clock: Clock, **kw: object) -> StationSimulator:
    sim = StationSimulator(cfg, clock, ports={"PLC-1": free_port()}, **kw)  # type: ignore[arg-type]
    await sim.start()
    return sim


def poller_for(cfg: StationConfig, sim: StationSimulator, url: str | None = None) -> OpcUaPoller:
    device = cfg.devices[0]
    assert isinstance(device, OpcUaDevice)
    return OpcUaPoller(opcua_settings(device, url or sim.opcua_endpoints()["PLC-1"]))


async def read_until(
    poller: OpcUaPoller, pred: Callable[[ReadResult], bool], timeout: float = 10
) -> ReadResult:
    deadline = time.monotonic() + timeout
    last = await poller.read()
    while time.monotonic() < deadline:
        if pred(last):
            return last
        await asyncio.sleep(0.05)
        last = await poller.read()
    raise AssertionError(f"not within {timeout} s: {last.status.tolist()} {poller.last_error}")


def all_ok(r: ReadResult) -> bool:
    return bool((r.status == PointStatus.OK).all())


def all_lost(r: ReadResult) -> bool:
    return bool((r.status == PointStatus.NO_RESPONSE).all())


@pytest.mark.parametrize("mode", ["subscription", "polling"])
async def test_values_equal_the_model(mode: str) -> None:
    cfg = plc_only(mode=mode, max_nodes_per_read=4)  # polling: 22 nodes in reads of 4
    clock = ManualClock(t=1_764_036_000.0)
    sim = await start_sim(cfg, clock)
    clock.advance(30)
    poller = poller_for(cfg, sim)
    try:
        result = await read_until(poller, all_ok)
        await asyncio.sleep(0.3)  # the first publish after the clock moved
        result = await read_until(poller, all_ok)
        device = cfg.devices[0]
        for tag, value in zip(device.tags, result.values.tolist(), strict=True):
            assert value == pytest.approx(float(sim.model.values[tag.id]), rel=1e-12), tag.id
    finally:
        await poller.close()
        await sim.stop()


async def test_broken_instrument_is_bad_sensor_not_the_whole_device() -> None:
    cfg = plc_only(publishing_interval_s=0.1, sampling_interval_s=0.1)
    sim = await start_sim(cfg, ScaledClock(speed=10))
    poller = poller_for(cfg, sim)
    device = cfg.devices[0]
    pt301 = [t.id for t in device.tags].index("PT-301")
    try:
        await read_until(poller, all_ok)
        sim.set_scenario("instrument-fault")  # PT-301 fails 5 s (0.5 s of wall time) in
        bad = await read_until(poller, lambda r: r.status[pt301] == PointStatus.SOURCE_BAD)
        others = np.delete(bad.status, pt301)
        assert (others == PointStatus.OK).all()
        batch = DeviceAcquisition(device, poller, ManualClock(), lambda b: None).judge(0, bad)
        assert Quality(int(batch.quality[pt301])).reason == "sensor_fault"
    finally:
        await poller.close()
        await sim.stop()


async def test_server_restart_gets_a_new_subscription() -> None:
    """A restarted server has forgotten the subscription: the driver must build a new one."""
    cfg = plc_only(publishing_interval_s=0.1, sampling_interval_s=0.1, timeout_s=1.0)
    sim = await start_sim(cfg, ScaledClock(speed=5))
    poller = poller_for(cfg, sim)
    try:
        await read_until(poller, all_ok)
        await sim.opcua[0].stop()
        await read_until(poller, all_lost, timeout=5)
        await sim.opcua[0].start()
        before = poller.notifications
        await read_until(poller, all_ok, timeout=15)
        await asyncio.sleep(1.0)
        assert poller.sessions == 2
        assert poller.notifications > before + 10, "values must keep arriving after the restart"
    finally:
        await poller.close()
        await sim.stop()


async def test_network_drop_and_return() -> None:
    cfg = plc_only(publishing_interval_s=0.1, sampling_interval_s=0.1, timeout_s=1.0)
    sim = await start_sim(cfg, ScaledClock(speed=5))
    proxy = TcpProxy("127.0.0.1", sim.opcua[0].port)
    await proxy.start()
    poller = poller_for(cfg, sim, f"opc.tcp://127.0.0.1:{proxy.port}/gate-station/")
    try:
        await read_until(poller, all_ok)
        await proxy.cut()
        cut = time.monotonic()
        await read_until(poller, all_lost, timeout=5)
        assert time.monotonic() - cut < 3.0
        await asyncio.sleep(1.0)  # reconnect attempts fail while the cable is out
        assert all_lost(await poller.read())
        await proxy.restore()
        await read_until(poller, all_ok, timeout=15)
    finally:
        await poller.close()
        await proxy.cut()
        await sim.stop()


async def test_read_failure_in_polling_mode_is_comm_loss_and_recovers() -> None:
    """Polling mode: a Read that fails mid-session (the cable out) ends the session."""
    cfg = plc_only(mode="polling", timeout_s=1.0)
    sim = await start_sim(cfg, ScaledClock(speed=5))
    proxy = TcpProxy("127.0.0.1", sim.opcua[0].port)
    await proxy.start()
    poller = poller_for(cfg, sim, f"opc.tcp://127.0.0.1:{proxy.port}/gate-station/")
    try:
        good = await read_until(poller, all_ok)
        assert good.changes is None and good.reached  # polled values stand at poll time
        await proxy.cut()
        lost = await read_until(poller, all_lost, timeout=10)
        assert not lost.reached and poller.last_error
        assert poller.sessions == 1
        await proxy.restore()
        await read_until(poller, all_ok, timeout=15)
        assert poller.sessions == 2
    finally:
        await poller.close()
        await proxy.cut()
        await sim.stop()


async def test_wrong_node_id_is_config_error_and_recovers_when_the_node_appears() -> None:
    cfg = load_config(MIXED)
    plc = cfg.devices[0]
    assert isinstance(plc, OpcUaDevice)
    extra = plc.tags[0].model_copy(update={"id": "PT-999", "node_id": "ns=2;s=PT-999"})
    cfg = cfg.model_copy(
        update={
            "devices": [
                plc.model_copy(
                    update={
                        "tags": [*plc.tags, extra],
                        "node_retry_s": 0.5,
                        "publishing_interval_s": 0.1,
                        "sampling_interval_s": 0.1,
                    }
                )
            ]
        }
    )
    sim = await start_sim(cfg, ScaledClock(speed=5))
    # The simulator serves what the config names; take the node away to make the id wrong.
    await sim.opcua[0].stop()
    sim.opcua[0].variables = [v for v in sim.opcua[0].variables if v.tag != "PT-999"]
    await sim.opcua[0].start()
    poller = poller_for(cfg, sim)
    try:
        r = await read_until(
            poller,
            lambda r: (
                (r.status[:-1] == PointStatus.OK).all()
                and r.status[-1] == PointStatus.UNKNOWN_POINT
            ),
        )
        batch = DeviceAcquisition(cfg.devices[0], poller, ManualClock(), lambda b: None).judge(0, r)
        assert Quality(int(batch.quality[-1])).reason == "config_error"
        await sim.opcua[0].add_variable(
            VariableInfo("PT-999", "spare", "备用", "MPa", (0, 1), False)
        )
        await read_until(poller, all_ok, timeout=5)
    finally:
        await poller.close()
        await sim.stop()


async def test_deadband_filters_small_changes() -> None:
    cfg = load_config(MIXED)
    plc = cfg.devices[0]
    assert isinstance(plc, OpcUaDevice)
    tags = [
        t.model_copy(update={"deadband": Deadband(type="absolute", value=1000.0)})
        if t.id == "PT-101"
        else t
        for t in plc.tags
    ]
    cfg = cfg.model_copy(
        update={
            "devices": [
                plc.model_copy(
                    update={"tags": tags, "publishing_interval_s": 0.1, "sampling_interval_s": 0.1}
                )
            ]
        }
    )
    sim = await start_sim(cfg, ScaledClock(speed=10))
    poller = poller_for(cfg, sim)
    ids = [t.id for t in tags]
    try:
        await read_until(poller, all_ok)
        await asyncio.sleep(2.0)  # 20 simulated seconds: PT-101 changes every second
        counts = poller.item_notifications
        assert counts[ids.index("PT-101")] == 1, "a 1000 MPa deadband passes only the first value"
        assert counts[ids.index("PT-301")] >= 10
    finally:
        await poller.close()
        await sim.stop()


@pytest.fixture
async def secure_sim(tmp_path: Path) -> AsyncIterator[tuple[StationSimulator, Path, Path, Path]]:
    cfg = plc_only()
    sim = await start_sim(
        cfg,
        ScaledClock(speed=5),
        pki_dir=tmp_path / "server-pki",
        opcua_users={"operator": "s3cret"},
        opcua_secure_only=True,
    )
    cert, key = await make_client_certificate(tmp_path / "client")
    trust = tmp_path / "trusted"
    trust.mkdir()
    assert sim.opcua[0].certificate is not None
    shutil.copy(sim.opcua[0].certificate, trust / "plc.der")
    yield sim, cert, key, trust
    await sim.stop()


def secure_cfg(
    cert: Path,
    key: Path,
    trust: Path,
    mode: str = "SignAndEncrypt",
    user: str = "operator",
    password: str = "s3cret",
) -> StationConfig:
    return plc_only(
        security={
            "policy": "Basic256Sha256",
            "mode": mode,
            "certificate": str(cert),
            "private_key": str(key),
            "trust_store": str(trust),
        },
        username=user,
        password=password,
        publishing_interval_s=0.2,
        sampling_interval_s=0.2,
    )


@pytest.mark.parametrize("mode", ["Sign", "SignAndEncrypt"])
async def test_secure_session_with_trusted_server_and_login(
    secure_sim: tuple[StationSimulator, Path, Path, Path], mode: str
) -> None:
    sim, cert, key, trust = secure_sim
    cfg = secure_cfg(cert, key, trust, mode)
    poller = poller_for(cfg, sim)
    try:
        await read_until(poller, all_ok, timeout=15)
    finally:
        await poller.close()


async def test_untrusted_server_certificate_is_refused(
    secure_sim: tuple[StationSimulator, Path, Path, Path], tmp_path: Path
) -> None:
    sim, cert, key, _ = secure_sim
    empty = tmp_path / "empty-trust"
    empty.mkdir()
    poller = poller_for(secure_cfg(cert, key, empty), sim)
    try:
        await asyncio.sleep(0)
        await poller.read()
        await asyncio.sleep(3)
        assert all_lost(await poller.read())
        assert poller.last_error is not None and "not in the trust store" in poller.last_error
        assert poller.sessions == 0
    finally:
        await poller.close()


async def test_wrong_password_and_unsecured_client_are_refused(
    secure_sim: tuple[StationSimulator, Path, Path, Path],
) -> None:
    sim, cert, key, trust = secure_sim
    for cfg, reason in (
        (secure_cfg(cert, key, trust, password="guess"), "BadUserAccessDenied"),
        (plc_only(), ""),
    ):
        poller = poller_for(cfg, sim)
        try:
            first = await poller.read()
            assert (first.status == PointStatus.INITIAL).all() and not first.reached
            await asyncio.sleep(3)
            assert all_lost(await poller.read()) and poller.sessions == 0, poller.last_error
            assert poller.last_error and reason in poller.last_error, poller.last_error
        finally:
            await poller.close()


async def test_start_up_is_initial_not_comm_loss(tmp_path: Path) -> None:
    """The first polls come before the session is up: uncertain/initial, and no COMM alarm."""
    from station.clock import WallClock
    from station.runtime import StationRuntime

    cfg = plc_only(poll_interval_s=0.1)
    clock = WallClock()
    sim = await start_sim(cfg, clock)
    rt = StationRuntime(cfg, clock, tmp_path, endpoints=sim.opcua_endpoints())
    seen: list[set[int]] = []
    rt.bus.subscribe("test", lambda b: seen.append(set(b.quality.tolist())) if len(b) else None)
    await rt.start()
    try:
        deadline = time.monotonic() + 15
        tags = len(cfg.devices[0].tags)
        while {v.quality for v in rt.live.snapshot(clock.now_s())} != {Quality.GOOD} or len(
            rt.live.snapshot(clock.now_s())
        ) != tags:
            assert time.monotonic() < deadline, seen[-1:]
            await asyncio.sleep(0.02)
        assert seen[0] == {Quality.UNCERTAIN_INITIAL}
        assert not any(Quality.BAD_COMM_LOSS in q for q in seen)
        await asyncio.sleep(0.3)
        assert [e.alarm for e in rt.journal.events(event="raised")] == []
        assert rt.devices[0].stats.failed_polls == 0
    finally:
        await rt.stop()
        await sim.stop()
