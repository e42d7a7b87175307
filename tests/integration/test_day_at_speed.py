"""A whole station day at ×1440 on a loaded machine: the day's metered volume is the
totalisers' advance, and a poll that comes late or early is never a meter reset.

At ×1440 a second of the wall is 24 station minutes: the simulated devices refresh their
registers every few station minutes while the service polls them as fast as they answer, so
each change of a totaliser holds minutes of gas found seconds after the previous poll. A CPU
burner beside the test makes the polls irregular, as on a busy 2-core station PC.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from simulators.station_sim import StationSimulator
from station.clock import ScaledClock
from station.core_thread import CoreThread
from station.runtime import StationRuntime
from tests.harness.config import example_station, free_port, without_rounds
from tests.harness.waits import within

pytestmark = pytest.mark.integration
DAY_S = 86_400
COUNTERS = ("FQ-301S", "FQ-301")


def advance_and_increments(history: Path, tag: str) -> tuple[float, float, int, int]:
    """(raw advance last − first good reading, the rollups' increments, resets, readings)."""
    with sqlite3.connect(history) as conn:
        (tag_id,) = conn.execute("SELECT id FROM tags WHERE name = ?", (tag,)).fetchone()
        first, last, n = conn.execute(
            "SELECT (SELECT value FROM samples WHERE tag = ?1 AND quality = 0 ORDER BY ts"
            " LIMIT 1), (SELECT value FROM samples WHERE tag = ?1 AND quality = 0 ORDER BY ts"
            " DESC LIMIT 1), (SELECT count(*) FROM samples WHERE tag = ?1 AND quality = 0)",
            (tag_id,),
        ).fetchone()
        delta, resets = conn.execute(
            "SELECT sum(delta), sum(resets) FROM rollup_1m WHERE tag = ?", (tag_id,)
        ).fetchone()
    return float(last) - float(first), float(delta), int(resets), int(n)


@pytest.mark.timeout(240)
async def test_a_day_at_x1440_under_load_meters_the_totalisers_advance(tmp_path: Path) -> None:
    cfg = without_rounds(example_station())
    clock = ScaledClock(speed=1440)
    sim = StationSimulator(cfg, clock, ports={d.id: free_port() for d in cfg.devices})
    rt = StationRuntime(cfg, clock, tmp_path, endpoints=sim.endpoints())
    core = CoreThread(rt)
    burner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        await core.start(sim.start)
        started = clock.now_s()
        while clock.now_s() - started < DAY_S:
            time.sleep(0.5)  # the test's loop has nothing to do: the core thread polls
        await within(60, "station stop", core.stop(sim.stop), core.loop)
    finally:
        burner.kill()
        burner.wait()
    assert rt.history.stats.counter_rollovers == 0
    for tag in COUNTERS:
        advance, metered, resets, readings = advance_and_increments(
            tmp_path / "history.sqlite3", tag
        )
        assert readings > 1000, (tag, readings)
        assert advance > 0, tag
        assert resets == 0, (tag, resets, advance, metered)
        assert metered == pytest.approx(advance, rel=0.001), (tag, metered, advance)
    assert rt.history.stats.counter_resets == 0
