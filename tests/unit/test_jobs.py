"""Named jobs: each runs when due, in order; a failing one is logged once per streak with its
name, counted and alarmed, and the others go on; its CPU time is in /metrics."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest
from prometheus_client import generate_latest

from station.clock import ManualClock
from station.core_door import WrongThread
from station.jobs import Job, JobRunner
from station.metrics import registry_for
from station.runtime import StationRuntime
from tests.harness.config import example_station

T0 = 1_764_036_000_000


@pytest.mark.expect_log("job b.flaky failed")
def test_jobs_run_when_due_in_order_and_a_failure_is_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ran: list[str] = []
    failing = [True]

    def flaky(now: int) -> None:
        ran.append("flaky")
        if failing[0]:
            raise OSError("disk gone")

    said: list[list[str]] = []
    runner = JobRunner(
        ManualClock(),
        [
            Job(name="a.first", every_s=1, run=lambda now: ran.append("first")),
            Job(name="b.flaky", every_s=1, run=flaky),
            Job(name="c.slow", every_s=10, run=lambda now: ran.append("slow")),
        ],
        on_failing=lambda now, names: said.append(names),
    )
    with caplog.at_level(logging.INFO, logger="station.jobs"):
        for s in range(3):
            runner.run_due(T0 + s * 1000)
        failing[0] = False
        runner.run_due(T0 + 3000)
    assert ran == ["first", "flaky", "slow", "first", "flaky", "first", "flaky", "first", "flaky"]
    assert runner.runs == {"a.first": 4, "b.flaky": 4, "c.slow": 1}
    assert runner.failures == {"a.first": 0, "b.flaky": 3, "c.slow": 0}
    assert said == [["b.flaky"], ["b.flaky"], ["b.flaky"], []]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "b.flaky" in errors[0].getMessage()  # once a streak
    assert any("b.flaky runs again" in r.getMessage() for r in caplog.records)
    assert set(runner.cpu_s) == {"a.first", "b.flaky", "c.slow"}


def test_job_names_are_unique() -> None:
    job = Job(name="x.y", every_s=1, run=lambda now: None)
    with pytest.raises(ValueError, match="repeat"):
        JobRunner(ManualClock(), [job, job])


@pytest.mark.expect_log("job test.broken failed")
async def test_a_failing_job_of_the_station_is_alarmed_and_in_the_metrics(tmp_path: Path) -> None:
    cfg = example_station()
    rt = StationRuntime(cfg, ManualClock(t=T0 / 1000), tmp_path)
    try:

        def broken(now: int) -> None:
            raise RuntimeError("no")

        rt.jobs.jobs.append(Job(name="test.broken", every_s=1, run=broken))
        rt.jobs.cpu_s["test.broken"] = 0.0
        rt.jobs.runs["test.broken"] = 0
        rt.jobs.failures["test.broken"] = 0
        rt.jobs._due_ms["test.broken"] = 0
        rt.jobs.run_due(T0)
        status = rt.alarms.status["SERVICE.JOBS"]
        assert status.active and status.cause == "test.broken"
        text = generate_latest(registry_for(rt)).decode()
        assert 'gate_station_job_failures_total{job="test.broken"} 1.0' in text
        assert 'gate_station_job_runs_total{job="alarms.tick"} 1.0' in text
        assert 'gate_station_job_cpu_seconds_total{job="duty.tick"}' in text
    finally:
        await rt.reporting_done()  # the report look the jobs started
        rt.records.close()


def test_the_core_objects_refuse_another_thread(tmp_path: Path) -> None:
    cfg = example_station()
    rt = StationRuntime(cfg, ManualClock(t=T0 / 1000), tmp_path)
    try:
        core = threading.Thread(target=lambda: None, name="station-core")
        rt.alarms.bind_owner(core)  # as the door does when the core starts on its thread
        rt.duty.bind_owner(core)
        with pytest.raises(WrongThread, match="station-core"):
            rt.alarms.tick(T0)
        with pytest.raises(WrongThread, match="DutyDesk"):
            rt.duty.note(T0, "from the wrong thread")
        rt.alarms.bind_owner(threading.current_thread())
        rt.alarms.tick(T0)  # its owner may
    finally:
        rt.records.close()
