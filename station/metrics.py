"""Prometheus metrics, read from the running station at scrape time (nothing on the hot path).

Names follow the conventions: base units, `_total` for counters, `_seconds` for durations.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    Metric,
    SummaryMetricFamily,
)
from prometheus_client.registry import Collector, CollectorRegistry

from station.runtime import StationRuntime
from station.samples import Level

P = "gate_station"


class StationCollector(Collector):
    def __init__(self, runtime: StationRuntime) -> None:
        self.rt = runtime

    def collect(self) -> Iterator[Metric]:
        rt = self.rt
        labels = ["device"]
        polls = CounterMetricFamily(f"{P}_polls", "Polls of a device.", labels=labels)
        reached = CounterMetricFamily(
            f"{P}_polls_reached", "Polls the device answered (exceptions included).", labels=labels
        )
        fails = CounterMetricFamily(
            f"{P}_poll_failures",
            "Polls that did not reach the device (no link, timeout, gateway exception).",
            labels=labels,
        )
        incomplete = CounterMetricFamily(
            f"{P}_polls_incomplete",
            "Answered polls with at least one value not good.",
            labels=labels,
        )
        tag_bad = CounterMetricFamily(
            f"{P}_tag_bad_polls", "Polls in which a tag was not good.", labels=["device", "tag"]
        )
        over = CounterMetricFamily(
            f"{P}_poll_overruns", "Poll slots skipped because a poll ran late.", labels=labels
        )
        duration = SummaryMetricFamily(
            f"{P}_poll_duration_seconds", "Wall time of polls.", labels=labels
        )
        last = GaugeMetricFamily(
            f"{P}_poll_last_duration_seconds", "Duration of the last poll.", labels=labels
        )
        rate = GaugeMetricFamily(
            f"{P}_poll_rate_hertz", "Polls per second achieved (last 20 polls).", labels=labels
        )
        up = GaugeMetricFamily(
            f"{P}_device_up",
            "1 when the device's last poll reached it and read at least one good value.",
            labels=labels,
        )
        offset = GaugeMetricFamily(
            f"{P}_device_clock_offset_seconds",
            "How far a device's clock is ahead of the service's (devices that stamp values).",
            labels=labels,
        )
        for d in rt.devices:
            s, dev = d.stats, [d.device.id]
            polls.add_metric(dev, s.polls)
            if s.clock_offset_s is not None:
                offset.add_metric(dev, s.clock_offset_s)
            reached.add_metric(dev, s.polls_reached)
            fails.add_metric(dev, s.failed_polls)
            incomplete.add_metric(dev, s.incomplete_polls)
            for i, n in enumerate(s.tag_bad_polls.tolist()):
                tag_bad.add_metric([d.device.id, d.tags[i]], n)
            over.add_metric(dev, s.overruns)
            duration.add_metric(dev, count_value=s.polls, sum_value=s.poll_seconds_total)
            last.add_metric(dev, s.last_poll_s)
            rate.add_metric(dev, s.poll_rate_hz or 0.0)
            up.add_metric(dev, 1.0 if s.delivering else 0.0)
        yield from (polls, reached, fails, incomplete, tag_bad, over, duration, last, rate, up)
        yield offset
        stage = CounterMetricFamily(
            f"{P}_stage_cpu_seconds",
            "CPU time per stage: fan-out consumers on the poll loop, history writer thread.",
            labels=["stage"],
        )
        for name, seconds in rt.stage_cpu_s().items():
            stage.add_metric([name], seconds)
        yield stage
        job_cpu = CounterMetricFamily(
            f"{P}_job_cpu_seconds",
            "CPU time of each periodic job on the core's loop (its own thread's time).",
            labels=["job"],
        )
        job_runs = CounterMetricFamily(f"{P}_job_runs", "Runs of each job.", labels=["job"])
        job_fail = CounterMetricFamily(
            f"{P}_job_failures", "Runs of each job that raised.", labels=["job"]
        )
        for name, seconds in rt.jobs.cpu_s.items():
            job_cpu.add_metric([name], seconds)
            job_runs.add_metric([name], rt.jobs.runs[name])
            job_fail.add_metric([name], rt.jobs.failures[name])
        yield from (job_cpu, job_runs, job_fail)

        h = rt.history
        C, G = CounterMetricFamily, GaugeMetricFamily
        single: list[tuple[type[CounterMetricFamily | GaugeMetricFamily], str, str, float]] = [
            (C, "samples_published", "Tag values out of acquisition.", rt.bus.values_published),
            (C, "history_rows_written", "Rows written to the embedded history.",
             h.stats.rows_written),
            (G, "history_queue_batches",
             "Batches handed to the history writer and not yet in the file.", h.pending),
            (G, "history_queue_rows",
             "Rows handed to the history writer and not yet in the file.", h.backlog.rows),
            (G, "history_lag_seconds",
             "How long the oldest batch not yet in the history file has waited.",
             h.backlog.lag_s),
            (C, "history_shed_rows",
             "Rows refused at the backlog bound (lost to the embedded history).",
             h.stats.shed_rows),
            (C, "history_failed_rows", "Rows whose write to the history file failed.",
             h.stats.failed_rows),
        ]  # fmt: skip
        for family, name, text, amount in single:
            yield family(f"{P}_{name}", text, value=amount)
        forwarder = getattr(rt, "influx", None)
        if forwarder is not None:
            st = forwarder.stats
            yield CounterMetricFamily(
                f"{P}_influx_points_written",
                "Points accepted by InfluxDB.",
                value=st.points_written,
            )
            yield CounterMetricFamily(
                f"{P}_influx_write_failures", "Failed InfluxDB writes.", value=st.write_failures
            )
            yield GaugeMetricFamily(
                f"{P}_influx_spool_bytes",
                "Points spooled on disk, in bytes.",
                value=forwarder.spool.size_bytes,
            )
            yield GaugeMetricFamily(
                f"{P}_influx_spool_capacity_bytes",
                "Spool size limit.",
                value=forwarder.spool.max_bytes,
            )

        active = GaugeMetricFamily(
            f"{P}_alarms_active", "Standing alarms (not normal) by priority.", labels=["priority"]
        )
        unacked = GaugeMetricFamily(
            f"{P}_alarms_unacknowledged", "Unacknowledged alarms by priority.", labels=["priority"]
        )
        standing: Counter[int] = Counter()
        open_: Counter[int] = Counter()
        for a in rt.alarms.current():
            standing[a["priority"]] += 1
            if not a["acked"]:
                open_[a["priority"]] += 1
        for p in (1, 2, 3, 4):
            active.add_metric([str(p)], standing[p])
            unacked.add_metric([str(p)], open_[p])
        yield active
        yield unacked
        yield CounterMetricFamily(
            f"{P}_alarm_events", "Alarm life-cycle events.", value=rt.alarms.events
        )

        value = GaugeMetricFamily(
            f"{P}_tag_value",
            "Latest value of a tag, in its unit.",
            labels=["tag", "device", "unit"],
        )
        quality = GaugeMetricFamily(
            f"{P}_tag_quality",
            "Quality of a tag: 0 good, 1 uncertain, 2 bad.",
            labels=["tag", "device"],
        )
        now = rt.clock.now_s()
        for v in rt.live.snapshot(now):
            unit = rt.tags[v.tag][1].unit
            if v.value is not None and not math.isnan(v.value):
                value.add_metric([v.tag, v.device, unit], v.value)
            quality.add_metric([v.tag, v.device], float(Level(v.quality.level)))
        yield value
        yield quality


def registry_for(runtime: StationRuntime) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StationCollector(runtime))
    return registry
