"""The simulator answers a Modbus client that is not this project's: libmodbus' mbpoll."""

from __future__ import annotations

import asyncio
import re
import shutil

import pytest

from simulators.station_sim import StationSimulator

pytestmark = pytest.mark.integration
MBPOLL = shutil.which("mbpoll")


async def run_mbpoll(port: int, *args: str, write: tuple[str, ...] = ()) -> tuple[int, str]:
    """mbpoll against the simulator once: (exit code, everything it printed)."""
    assert MBPOLL, "mbpoll is installed by scripts/bootstrap.sh (Debian package mbpoll)"
    proc = await asyncio.create_subprocess_exec(
        MBPOLL,
        "-m",
        "tcp",
        "-p",
        str(port),
        "-0",
        "-1",
        "-o",
        "2",
        *args,
        "127.0.0.1",
        *write,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    return proc.returncode or 0, out.decode()


async def mbpoll(
    port: int, unit: int, table: str, ref: int, count: int, *flags: str
) -> list[float]:
    rc, out = await run_mbpoll(
        port, "-a", str(unit), "-r", str(ref), "-c", str(count), "-t", table, *flags
    )
    assert rc == 0, out
    return [float(v) for v in re.findall(r"^\[\d+\]:\s+(\S+)$", out, re.M)]


async def test_plc_floats_big_endian_words(frozen_simulator: StationSimulator) -> None:
    sim = frozen_simulator
    port = sim.endpoints()["PLC-1"][1]
    # mbpoll counts one value per two registers: PT-101 at 0 ... PT-301 at 12.
    got = await mbpoll(port, 1, "4:float", 0, 8, "-B")
    names = ["PT-101", "TT-101", "PDT-101", "PDT-102", "PT-201A", "PT-201B", "PT-301", "TT-301"]
    assert got == pytest.approx([sim.model.values[n] for n in names], rel=1e-5)
    assert 0.33 < got[6] < 0.37


async def test_flow_computer_floats_low_word_first(frozen_simulator: StationSimulator) -> None:
    sim = frozen_simulator
    port = sim.endpoints()["FC-301"][1]
    got = await mbpoll(port, 1, "3:float", 0, 2)  # mbpoll's default is low word first
    assert got == pytest.approx([sim.model.values["FT-301"], sim.model.values["FT-301S"]], rel=1e-5)
    swapped = await mbpoll(port, 1, "3:float", 0, 2, "-B")
    assert swapped != pytest.approx(got, rel=1e-3)


async def test_remote_io_scaled_int16(frozen_simulator: StationSimulator) -> None:
    sim = frozen_simulator
    got = await mbpoll(sim.endpoints()["RIO-1"][1], 3, "3", 0, 5)
    expected = [round(sim.model.values[g] * 100) for g in ("GT-01", "GT-02", "GT-03", "GT-04")]
    assert got[:4] == expected
    assert got[4] == round(sim.model.values["TT-102"] * 10)


async def test_valve_states_in_discrete_inputs_and_coils(
    frozen_simulator: StationSimulator,
) -> None:
    port = frozen_simulator.endpoints()["PLC-1"][1]
    inputs = await mbpoll(port, 1, "1", 0, 8)
    # slam-shuts A/B open, not tripped; UPS not on battery; mains OK; no fire; no intrusion
    assert inputs == [1, 1, 0, 0, 0, 1, 0, 0]
    assert await mbpoll(port, 1, "0", 0, 2) == [1, 1]  # both ESD valves open


async def test_read_past_the_map_is_an_exception_not_garbage(
    frozen_simulator: StationSimulator,
) -> None:
    port = frozen_simulator.endpoints()["PLC-1"][1]
    rc, out = await run_mbpoll(port, "-a", "1", "-r", "500", "-c", "2", "-t", "4")
    assert rc != 0 or "Illegal data address" in out


async def test_writes_are_refused(frozen_simulator: StationSimulator) -> None:
    port = frozen_simulator.endpoints()["PLC-1"][1]
    _, out = await run_mbpoll(port, "-a", "1", "-r", "0", "-t", "0", write=("0",))  # coil 0 := 0
    assert "Illegal function" in out
    assert await mbpoll(port, 1, "0", 0, 1) == [1]  # the ESD valve did not move
