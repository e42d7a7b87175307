"""Modbus RTU through a virtual serial line (socat pty pair), and RTU framing over TCP."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from drivers.reading import PointStatus
from simulators.station_sim import StationSimulator, synthetic_value
from station.clock import ManualClock
from station.config.loader import load_config
from station.config.models import ModbusRtuDevice, ModbusRtuOverTcpDevice, StationConfig
from station.device_drivers import DriverFactory
from tests.harness.config import EXAMPLE, free_port
from tests.harness.serial_pair import serial_pair

pytestmark = pytest.mark.integration
MIXED = EXAMPLE.parent / "station-mixed.yaml"


def rtu_station(service_end: str, second_unit: bool = True) -> StationConfig:
    """FC-301 on the line, plus (optionally) a second flow computer at unit 2 on the same line."""
    cfg = load_config(MIXED)
    fc = cfg.devices[1]
    assert isinstance(fc, ModbusRtuDevice)
    # A pty refuses parity (EINVAL from tcsetattr), so the virtual line runs 8N1.
    fc = fc.model_copy(update={"serial_port": service_end, "parity": "N"})
    devices = [fc]
    if second_unit:
        tags = [t.model_copy(update={"id": t.id.replace("301", "302")}) for t in fc.tags]
        devices.append(fc.model_copy(update={"id": "FC-302", "device_id": 2, "tags": tags}))
    return cfg.model_copy(update={"devices": devices})


async def test_rtu_line_two_units_polled_together(tmp_path: Path) -> None:
    with serial_pair(tmp_path) as (sim_end, svc_end):
        cfg = rtu_station(svc_end)
        clock = ManualClock(t=1_764_036_000.0)
        sim = StationSimulator(cfg, clock, serial_ports={"FC-301": sim_end, "FC-302": sim_end})
        await sim.start()
        clock.advance(30)
        factory = DriverFactory()
        fc1, fc2 = (factory.poller(d) for d in cfg.devices)
        try:
            assert len(factory.buses) == 1, "both units share the one line"
            for _ in range(5):  # both pollers at once: the bus lock keeps frames apart
                r1, r2 = await asyncio.gather(fc1.read(), fc2.read())
                assert (r1.status == PointStatus.OK).all(), fc1.last_error
                assert (r2.status == PointStatus.OK).all(), fc2.last_error
            model = sim.model.values
            assert r1.values[1] == pytest.approx(model["FT-301S"], rel=1e-6)
            assert r1.values[2] == pytest.approx(model["FQ-301S"], rel=1e-12)  # float64, CDAB
            assert r1.values[3] == round(model["FQ-301"])  # uint32, low word first
            # unit 2's tags are unknown to the process model: it serves its test waveform
            assert r2.values[0] == pytest.approx(synthetic_value(0, sim.model.state.t), rel=1e-6)
            assert r2.values[1] == pytest.approx(synthetic_value(1, sim.model.state.t), rel=1e-6)
        finally:
            await fc1.close()
            await sim.stop()


async def test_silent_unit_times_out_without_closing_the_line(tmp_path: Path) -> None:
    with serial_pair(tmp_path) as (sim_end, svc_end):
        cfg = rtu_station(svc_end)
        ghost = cfg.devices[1].model_copy(update={"id": "FC-399", "device_id": 9})  # nobody there
        clock = ManualClock(t=1_764_036_000.0)
        sim = StationSimulator(cfg, clock, serial_ports={"FC-301": sim_end, "FC-302": sim_end})
        await sim.start()
        factory = DriverFactory()
        fc1, absent = factory.poller(cfg.devices[0]), factory.poller(ghost)
        try:
            missing = await absent.read()
            assert (missing.status == PointStatus.NO_RESPONSE).all()
            ok = await fc1.read()  # the same line still works for the unit that answers
            assert (ok.status == PointStatus.OK).all() and fc1.connected
        finally:
            await fc1.close()
            await sim.stop()


async def test_rtu_over_tcp_gateway() -> None:
    cfg = load_config(MIXED)
    rio = cfg.devices[2]
    assert isinstance(rio, ModbusRtuOverTcpDevice)
    cfg = cfg.model_copy(update={"devices": [rio]})
    clock = ManualClock(t=1_764_036_000.0)
    port = free_port()
    sim = StationSimulator(cfg, clock, ports={"RIO-1": port})
    await sim.start()
    clock.advance(30)
    await asyncio.sleep(0.1)
    poller = DriverFactory({"RIO-1": ("127.0.0.1", port)}).poller(rio)
    try:
        r = await poller.read()
        assert (r.status == PointStatus.OK).all(), poller.last_error
        assert r.values[1] == pytest.approx(round(sim.model.values["GT-02"] * 100) * 0.01)
        assert r.values[4] == pytest.approx(round(sim.model.values["TT-102"] * 10) * 0.1)
    finally:
        await poller.close()
        await sim.stop()


def test_inter_frame_delay_defaults_to_three_and_a_half_characters() -> None:
    cfg = load_config(MIXED)
    fc = cfg.devices[1]
    assert isinstance(fc, ModbusRtuDevice)
    assert fc.frame_gap_s == pytest.approx(3.5 * 11 / 19200)  # 8E1: 11 bits a character
    fast = fc.model_copy(update={"baudrate": 115200, "parity": "N"})
    assert fast.frame_gap_s == pytest.approx(0.00175)  # the fixed 1.75 ms above 19200 baud
