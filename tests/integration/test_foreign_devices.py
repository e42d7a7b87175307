"""Devices that are not the example station's: a flow computer that mixes byte and word orders
in one map, packs flags into a status word, rolls its uint32 totaliser over, refuses reads
across holes in its map (exception 02), or sits behind a gateway that lost it (exception 0B).

The expected registers are encoded here with `struct`, independently of the project's codec,
so a word-order mistake mirrored in both the simulator and the driver cannot pass.
"""

from __future__ import annotations

import itertools
import struct
from collections.abc import AsyncIterator

import numpy as np
import pytest
from pymodbus.client import AsyncModbusTcpClient
from pymodbus.constants import ExcCodes

from drivers.reading import PointStatus
from simulators.station_sim import StationSimulator
from station.clock import ManualClock
from station.config.loader import parse_config
from station.config.models import ModbusTcpDevice, StationConfig
from station.device_drivers import single_modbus_poller
from station.loopback import free_port
from tests.harness.foreign import FOREIGN, VALUES, constant, constant_signals

pytestmark = pytest.mark.integration


def _words(raw: bytes) -> list[int]:
    return list(struct.unpack(f">{len(raw) // 2}H", raw))


def expected_registers() -> dict[int, int]:
    """The map as the flow computer's manual would print it, from struct alone."""
    f32 = _words(struct.pack(">f", VALUES["ABCD"]))
    cdab = _words(struct.pack(">f", VALUES["CDAB"]))[::-1]
    badc = [w.to_bytes(2, "big")[::-1] for w in _words(struct.pack(">f", VALUES["BADC"]))]
    total = _words(struct.pack(">I", int(VALUES["TOTAL"])))[::-1]
    status = 0b1000_0000_0000_0001  # bit 0 and bit 15 set
    dcba = _words(struct.pack("<d", VALUES["DCBA64"]))
    after = _words(struct.pack(">f", VALUES["AFTER-HOLE"]))
    regs = [*f32, *cdab, *(int.from_bytes(b, "big") for b in badc), *total, status, *dcba]
    out = dict(enumerate(regs))
    out.update({20: after[0], 21: after[1]})
    return out


@pytest.fixture
def foreign_config() -> StationConfig:
    return parse_config(FOREIGN)


@pytest.fixture
async def foreign(foreign_config: StationConfig) -> AsyncIterator[StationSimulator]:
    clock = ManualClock(t=1_764_036_000.0)
    signals = constant_signals()
    sim = StationSimulator(foreign_config, clock, ports={"FC-X": free_port()}, signals=signals)
    await sim.start()
    clock.advance(1)
    yield sim
    await sim.stop()


def device(sim: StationSimulator) -> ModbusTcpDevice:
    dev = sim.config.devices[0]
    assert isinstance(dev, ModbusTcpDevice)
    return dev


async def test_simulator_registers_match_an_independent_encoding(
    foreign: StationSimulator,
) -> None:
    host, port = foreign.endpoints()["FC-X"]
    client = AsyncModbusTcpClient(host, port=port)
    await client.connect()
    try:
        low = await client.read_holding_registers(0, count=13, device_id=1)
        high = await client.read_holding_registers(20, count=2, device_id=1)
    finally:
        client.close()
    got = dict(enumerate(low.registers)) | {20: high.registers[0], 21: high.registers[1]}
    assert got == expected_registers()


async def test_mixed_orders_and_bits_decode_in_one_device(foreign: StationSimulator) -> None:
    poller = single_modbus_poller(device(foreign), foreign.endpoints()["FC-X"])
    try:
        result = await poller.read()
    finally:
        await poller.close()
    assert result.all_ok
    got = dict(zip([t.id for t in device(foreign).tags], result.values.tolist(), strict=True))
    assert got["ABCD"] == pytest.approx(VALUES["ABCD"], rel=1e-7)
    assert got["CDAB"] == VALUES["CDAB"]
    assert got["BADC"] == VALUES["BADC"]
    assert got["TOTAL"] == VALUES["TOTAL"]
    assert (got["MEAS-OK"], got["LOW-BATT"], got["WARN"]) == (1.0, 0.0, 1.0)
    assert got["DCBA64"] == VALUES["DCBA64"]
    assert got["AFTER-HOLE"] == VALUES["AFTER-HOLE"]
    # one device, one connection, one read: the bits share their word with the neighbours,
    # and the default max_gap merges across the hole at 13–19
    assert [(r.start, r.count) for r in poller.requests] == [(0, 22)]


async def test_a_read_across_a_hole_is_split_and_kept_split(foreign: StationSimulator) -> None:
    foreign.behaviour("FC-X").strict_map = True
    sim_dev = foreign.servers[0].devices[0]
    poller = single_modbus_poller(device(foreign), foreign.endpoints()["FC-X"])
    try:
        first = await poller.read()
        assert first.all_ok, first.errors
        assert poller.last_error is None
        split = [(r.start, r.count) for r in poller.requests]
        assert split == [(0, 13), (20, 2)], split  # cut at the hole, nowhere else
        # the split is remembered: the next poll makes exactly those reads, no refusals
        before = sim_dev.requests
        assert (await poller.read()).all_ok
        assert sim_dev.requests - before == len(split)
    finally:
        await poller.close()


async def test_a_register_the_device_lacks_goes_bad_alone_and_a_fixed_device_is_reprobed(
    foreign: StationSimulator,
) -> None:
    cfg = device(foreign)
    # a tag at an address the device does not have: the image maps only what the
    # simulator's config lists, so the driver's config has one register more
    ghost = cfg.tags[0].model_copy(update={"id": "GHOST", "address": 16})
    driver_cfg = cfg.model_copy(update={"tags": [*cfg.tags, ghost], "reprobe_s": 0.01})
    foreign.behaviour("FC-X").strict_map = True
    poller = single_modbus_poller(driver_cfg, foreign.endpoints()["FC-X"])
    try:
        result = await poller.read()
        ids = [t.id for t in driver_cfg.tags]
        bad = [ids[i] for i in np.flatnonzero(result.status != PointStatus.OK)]
        assert bad == ["GHOST"]
        assert result.status[ids.index("GHOST")] == PointStatus.UNKNOWN_POINT
        assert result.reached
        text = result.errors[ids.index("GHOST")]
        assert "exception 02" in text and "holding 16–17" in text
        assert poller.last_error == text
        assert len(poller.requests) > 1
        # the device is fixed (it now answers reads over unmapped registers): re-probed
        foreign.behaviour("FC-X").strict_map = False
        import asyncio

        await asyncio.sleep(0.02)
        again = await poller.read()
        assert again.all_ok
        assert [(r.start, r.count) for r in poller.requests] == [(0, 22)]
    finally:
        await poller.close()


async def test_gateway_exception_is_communication_loss(foreign: StationSimulator) -> None:
    foreign.behaviour("FC-X").gateway_unreachable = True
    poller = single_modbus_poller(device(foreign), foreign.endpoints()["FC-X"])
    try:
        result = await poller.read()
        assert (result.status == PointStatus.NO_RESPONSE).all()
        assert not result.reached
        assert poller.last_error is not None and "exception 0B" in poller.last_error
        foreign.behaviour("FC-X").gateway_unreachable = False
        assert (await poller.read()).all_ok
    finally:
        await poller.close()


async def test_device_exception_is_device_error(foreign: StationSimulator) -> None:
    foreign.behaviour("FC-X").exception = ExcCodes.DEVICE_FAILURE
    poller = single_modbus_poller(device(foreign), foreign.endpoints()["FC-X"])
    try:
        result = await poller.read()
        assert (result.status == PointStatus.EXCEPTION).all()
        assert result.reached
        assert poller.last_error is not None and "exception 04" in poller.last_error
    finally:
        await poller.close()


async def test_exception_answer_and_nan_values_become_their_qualities(
    foreign_config: StationConfig,
) -> None:
    """Through acquisition: an exception answer is device_error, NaN and ±inf are invalid."""
    from station.acquisition import DeviceAcquisition
    from station.samples import Quality, SampleBatch

    clock = ManualClock(t=1_764_036_000.0)
    odd = {**VALUES, "ABCD": float("nan"), "CDAB": float("inf"), "DCBA64": float("-inf")}
    signals = {tag: constant(v) for tag, v in odd.items()}
    sim = StationSimulator(foreign_config, clock, ports={"FC-X": free_port()}, signals=signals)
    await sim.start()
    clock.advance(1)
    out: list[SampleBatch] = []
    acq = DeviceAcquisition(
        device(sim), single_modbus_poller(device(sim), sim.endpoints()["FC-X"]), clock, out.append
    )
    try:
        batch = await acq.poll_once()
        q = dict(zip(batch.tags, (Quality(x) for x in batch.quality.tolist()), strict=True))
        assert q["ABCD"] is q["CDAB"] is q["DCBA64"] is Quality.BAD_INVALID
        assert q["BADC"] is Quality.GOOD
        sim.behaviour("FC-X").exception = ExcCodes.DEVICE_FAILURE
        batch = await acq.poll_once()
        assert set(batch.quality.tolist()) == {Quality.BAD_DEVICE_ERROR}
        assert acq.stats.polls_reached == 2 and acq.stats.failed_polls == 0
    finally:
        await acq.close()
        await sim.stop()


async def test_reconnect_backoff_doubles_to_its_cap() -> None:
    """Counted in connect attempts on a clock the test moves, not in elapsed wall time."""
    from drivers.modbus.bus import ModbusBus, TcpLink

    now = [0.0]
    bus = ModbusBus(
        TcpLink("127.0.0.1", free_port()),
        timeout_s=0.5,
        backoff_initial_s=0.5,
        backoff_max_s=4.0,
        monotonic=lambda: now[0],
    )
    attempts: list[float] = []
    while now[0] < 20:
        before = bus.connect_attempts
        async with bus.session() as client:
            assert client is None  # nobody listens
        if bus.connect_attempts > before:
            attempts.append(now[0])
        now[0] = round(now[0] + 0.25, 2)
    gaps = [round(b - a, 2) for a, b in itertools.pairwise(attempts)]
    assert gaps[:6] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0], gaps
    assert set(gaps[3:]) == {4.0}
    await bus.close()
