"""The Modbus driver and acquisition against the simulator over real sockets."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest

from drivers.modbus.client import ModbusPoller
from drivers.reading import PointStatus
from simulators.station_sim import StationSimulator
from station.acquisition import DeviceAcquisition
from station.clock import WallClock
from station.config.models import DeviceConfig, ModbusTag, OpcUaDevice, StationConfig
from station.device_drivers import single_modbus_poller
from station.samples import Quality, SampleBatch
from tests.harness.config import start_simulator

pytestmark = pytest.mark.integration


def modbus_poller(
    device: DeviceConfig, address: tuple[str, int] | str | None = None
) -> ModbusPoller:
    assert not isinstance(device, OpcUaDevice)
    return single_modbus_poller(device, address)


async def test_every_tag_decodes_to_the_model_value(frozen_simulator: StationSimulator) -> None:
    sim = frozen_simulator
    for device in sim.config.devices:
        poller = modbus_poller(device, sim.endpoints()[device.id])
        result = await poller.read()
        await poller.close()
        assert (result.status == PointStatus.OK).all(), device.id
        for tag, value in zip(device.tags, result.values.tolist(), strict=True):
            model = float(sim.model.values[tag.id])
            assert isinstance(tag, ModbusTag)
            if tag.type.value == "float32":
                assert value == pytest.approx(model, rel=1e-6), tag.id
            elif tag.type.value in ("int16", "uint16", "uint32", "int32"):
                assert value == pytest.approx(round(model / tag.scale) * tag.scale, abs=1e-9), (
                    tag.id
                )
            else:
                assert value == model, tag.id
    plc = modbus_poller(sim.config.devices[0])
    assert [(r.table.value, r.start, r.count) for r in plc.requests] == [
        ("coil", 0, 2),
        ("discrete_input", 0, 8),
        ("holding", 0, 23),
    ]


def fast(
    cfg: StationConfig, device_id: str, poll: float = 0.2, timeout: float = 0.3
) -> StationConfig:
    devices = [
        d.model_copy(update={"poll_interval_s": poll, "timeout_s": timeout, "backoff_max_s": 0.5})
        if d.id == device_id
        else d
        for d in cfg.devices
    ]
    return cfg.model_copy(update={"devices": devices})


async def wait_for(batches: list[SampleBatch], pred: object, timeout: float) -> SampleBatch:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if batches and pred(batches[-1]):  # type: ignore[operator]
            return batches[-1]
        await asyncio.sleep(0.01)
    raise AssertionError(
        f"condition not met in {timeout} s; last: {batches[-1] if batches else None}"
    )


async def run_device(
    cfg: StationConfig, sim: StationSimulator, device_id: str
) -> tuple[DeviceAcquisition, list[SampleBatch], asyncio.Task[None]]:
    device = next(d for d in cfg.devices if d.id == device_id)
    out: list[SampleBatch] = []
    acq = DeviceAcquisition(
        device, modbus_poller(device, sim.endpoints()[device_id]), WallClock(), out.append
    )
    return acq, out, asyncio.create_task(acq.run())


async def test_killed_plc_turns_bad_within_a_poll_and_recovers(
    example_config: StationConfig,
) -> None:
    cfg = fast(example_config, "PLC-1")
    sim = await start_simulator(cfg, WallClock())
    acq, out, task = await run_device(cfg, sim, "PLC-1")
    try:
        await wait_for(out, lambda b: (b.quality == Quality.GOOD).all(), 3)
        plc = sim.servers[0]
        killed = time.monotonic()
        await plc.stop()
        bad = await wait_for(out, lambda b: (b.quality == Quality.BAD_COMM_LOSS).all(), 3)
        detected = time.monotonic() - killed
        # one poll period plus the timeout, with slack a loaded 2-core machine holds
        assert detected <= 0.2 + 0.3 * 1.5 + 1.0, f"comm loss seen after {detected:.3f} s"
        assert not np.isnan(bad.values).any()  # last good values kept beside the bad quality
        await asyncio.sleep(1.0)  # stays bad while the PLC is away, retrying with backoff
        assert (out[-1].quality == Quality.BAD_COMM_LOSS).all()
        await plc.start()
        await wait_for(out, lambda b: (b.quality == Quality.GOOD).all(), 3)
        assert acq.stats.failed_polls >= 2
    finally:
        task.cancel()
        await acq.close()
        await sim.stop()


async def test_silent_plc_times_out_and_others_keep_their_pace(
    example_config: StationConfig,
) -> None:
    cfg = fast(fast(example_config, "PLC-1"), "FC-301")
    sim = await start_simulator(cfg, WallClock())
    plc, plc_out, plc_task = await run_device(cfg, sim, "PLC-1")
    fc, fc_out, fc_task = await run_device(cfg, sim, "FC-301")
    try:
        await wait_for(plc_out, lambda b: (b.quality == Quality.GOOD).all(), 3)
        sim.set_scenario("plc-silent")
        silenced = time.monotonic()
        fc_before = len(fc_out)
        await wait_for(plc_out, lambda b: (b.quality == Quality.BAD_COMM_LOSS).all(), 3)
        detected = time.monotonic() - silenced
        # The read in flight times out: one poll period plus the timeout (pymodbus' own).
        assert detected <= 0.2 + 0.3 * 1.5 + 1.0, f"silence seen after {detected:.3f} s"
        await asyncio.sleep(1.0)
        fc_polls = len(fc_out) - fc_before
        assert fc_polls >= int((time.monotonic() - silenced) / 0.2) - 2, "flow computer slowed down"
        assert all((b.quality == Quality.GOOD).all() for b in fc_out[fc_before:])
        sim.set_scenario("normal")
        await wait_for(plc_out, lambda b: (b.quality == Quality.GOOD).all(), 3)
    finally:
        for t in (plc_task, fc_task):
            t.cancel()
        await plc.close()
        await fc.close()
        await sim.stop()


async def test_nobody_listening_is_comm_loss_at_once(example_config: StationConfig) -> None:
    from tests.harness.config import free_port

    device = example_config.devices[2]
    poller = modbus_poller(device, ("127.0.0.1", free_port()))
    started = time.monotonic()
    result = await poller.read()
    assert (result.status == PointStatus.NO_RESPONSE).all()
    assert time.monotonic() - started < 0.5 and poller.last_error
    # Within the backoff the driver does not even try: no connect storm against a dead PLC.
    again = time.monotonic()
    await poller.read()
    assert time.monotonic() - again < 0.05


async def test_a_retry_rides_over_one_lost_answer(frozen_simulator: StationSimulator) -> None:
    """A PLC that misses one answer: with a retry on a fresh connection the poll succeeds."""
    sim = frozen_simulator
    device = sim.config.devices[0].model_copy(update={"timeout_s": 0.3})

    async def one_lost_answer(retries: int) -> bool:
        poller = modbus_poller(
            device.model_copy(update={"retries": retries}), sim.endpoints()["PLC-1"]
        )
        assert (await poller.read()).all_ok
        plc = sim.servers[0].devices[0]
        lost = plc.lost_requests
        sim.set_scenario("plc-silent")

        async def answer_again_once_one_is_lost() -> None:
            while plc.lost_requests == lost:  # no race with the clock: wait for the loss
                await asyncio.sleep(0.005)
            sim.set_scenario("normal")

        back = asyncio.create_task(answer_again_once_one_is_lost())
        ok = (await poller.read()).all_ok
        await back
        await poller.close()
        await asyncio.sleep(0.2)
        return ok

    assert await one_lost_answer(retries=1)
    assert not await one_lost_answer(retries=0)  # without a retry this poll is lost


async def test_a_refusing_device_is_logged_once_down_and_once_up(
    example_config: StationConfig, caplog: pytest.LogCaptureFixture
) -> None:
    """Thirty seconds of connection refused used to leave no line; a retry each poll must
    not leave one line per retry either: one line down (with the reason), one line up."""
    import logging

    from tests.harness.config import free_port

    cfg = fast(example_config, "RIO-1", poll=0.05, timeout=0.2)
    device = next(d for d in cfg.devices if d.id == "RIO-1")
    port = free_port()
    clock = WallClock()
    acq = DeviceAcquisition(
        device, modbus_poller(device, ("127.0.0.1", port)), clock, lambda b: None
    )
    caplog.set_level(logging.DEBUG, logger="station")
    caplog.set_level(logging.DEBUG, logger="drivers")
    for _ in range(20):
        await acq.poll_once()
        await asyncio.sleep(0.05)
    ours = ("station", "drivers")  # pymodbus keeps its own (deduplicated) warnings
    lines = [r for r in caplog.records if r.levelno >= logging.INFO and r.name.startswith(ours)]
    assert [r.getMessage().split(":")[0] for r in lines] == ["RIO-1 down"], lines
    assert f"connect to tcp://127.0.0.1:{port} failed" in lines[0].getMessage()
    sim = StationSimulator(cfg, clock, ports={"RIO-1": port})
    await sim.start()
    try:
        deadline = time.monotonic() + 5
        while acq.stats.state != "up":
            assert time.monotonic() < deadline
            await acq.poll_once()
            await asyncio.sleep(0.05)
        got = [
            (r.levelno, r.getMessage().split(" after ")[0])
            for r in caplog.records
            if r.levelno >= logging.INFO and r.name.startswith(ours)
        ]
        # a warning as the loss is: seen without -v, with how long it lasted
        assert got[1:] == [(logging.WARNING, "RIO-1 up again")], got
    finally:
        await acq.close()
        await sim.stop()
