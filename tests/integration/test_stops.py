"""What a stop costs, with the real process and a real signal: SIGTERM and SIGINT run the whole
shutdown (rollups flushed, exit 0); after SIGKILL the next start rebuilds the rollups from the
raw rows. Either way, every tag's raw rows and its rollup counts agree exactly."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.harness.config import config_with_free_ports, free_port
from tests.harness.processes import (
    healthy_for,
    spawn,
    stop,
)

pytestmark = pytest.mark.integration


def counts(data: Path) -> dict[str, tuple[int, int, int, int]]:
    """Per tag: raw rows, good raw rows, and good values counted by each rollup."""
    with sqlite3.connect(data / "history.sqlite3") as conn:
        raw = dict(
            conn.execute(
                "SELECT name, count(*) FROM samples JOIN tags ON tags.id = tag GROUP BY name"
            ).fetchall()
        )
        good = dict(
            conn.execute(
                "SELECT name, count(*) FROM samples JOIN tags ON tags.id = tag "
                "WHERE quality = 0 GROUP BY name"
            ).fetchall()
        )
        minute, hour = (
            dict(
                conn.execute(
                    f"SELECT name, sum(count) FROM {t} JOIN tags ON tags.id = tag GROUP BY name"
                ).fetchall()
            )
            for t in ("rollup_1m", "rollup_1h")
        )
    return {t: (raw[t], good.get(t, 0), minute.get(t, 0), hour.get(t, 0)) for t in raw}


def agree(data: Path) -> dict[str, tuple[int, int, int, int]]:
    got = counts(data)
    assert got, "nothing stored"
    wrong = {t: c for t, c in got.items() if not c[1] == c[2] == c[3]}
    assert not wrong, wrong
    return got


def start_station(
    tmp_path: Path,
) -> tuple[subprocess.Popen[str], subprocess.Popen[str], str, Path]:
    cfg, _ = config_with_free_ports(tmp_path, **{"poll_interval_s: 1.0": "poll_interval_s: 0.2"})
    http = free_port()
    data = tmp_path / "data"
    sim = spawn("simulate", "--config", str(cfg))
    svc = spawn("run", "--config", str(cfg), "--data-dir", str(data), "--port", str(http))
    return sim, svc, f"http://127.0.0.1:{http}", data


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_clean_stop_flushes_everything_and_exits_0(tmp_path: Path, sig: int) -> None:
    sim, svc, base, data = start_station(tmp_path)
    try:
        health = healthy_for(base, 15)  # 3 s of polls, well inside the 10 s rollup flush
        out = stop(svc, sig)
        assert svc.returncode == 0, out
        assert "Traceback" not in out, out
        got = agree(data)
        polls = {d["id"]: d["polls"] for d in health["devices"]}
        assert got["PT-301"][0] >= polls["PLC-1"]  # every poll up to the stop is stored
    finally:
        stop(sim)


def test_after_a_kill_the_rollups_are_rebuilt_from_raw(tmp_path: Path) -> None:
    sim, svc, base, data = start_station(tmp_path)
    try:
        healthy_for(base, 15)
        stop(svc, signal.SIGKILL)
        before = counts(data)
        assert any(c[1] != c[2] for c in before.values())  # the kill left rollups behind raw
        svc = spawn(
            "run",
            "--config",
            str(tmp_path / "station.yaml"),
            "--data-dir",
            str(data),
            "--port",
            base.rsplit(":", 1)[1],
        )
        healthy_for(base, 1)
        out = stop(svc, signal.SIGTERM)
        assert svc.returncode == 0 and "Traceback" not in out, out
        after = agree(data)
        for tag, (raw, *_) in before.items():
            assert after[tag][0] >= raw  # nothing stored before the kill was lost since
    finally:
        stop(sim)
