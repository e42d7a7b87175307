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
        fails = CounterMetricFamily(
            f"{P}_poll_failures", "Polls that did not read every value.", labels=labels
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
        up = GaugeMetricFamily(
            f"{P}_device_up", "1 when the device's last poll read everything.", labels=labels
        )
        for d in rt.devices:
            s, dev = d.stats, [d.device.id]
            polls.add_metric(dev, s.polls)
            fails.add_metric(dev, s.failed_polls)
            over.add_metric(dev, s.overruns)
            duration.add_metric(dev, count_value=s.polls, sum_value=s.poll_seconds_total)
            last.add_metric(dev, s.last_poll_s)
            up.add_metric(dev, 1.0 if s.polls and s.last_error is None else 0.0)
        yield from (polls, fails, over, duration, last, up)

        yield CounterMetricFamily(
            f"{P}_samples_published",
            "Tag values out of acquisition.",
            value=rt.bus.values_published,
        )
        yield CounterMetricFamily(
            f"{P}_history_rows_written",
            "Rows written to the embedded history.",
            value=rt.history.stats.rows_written,
        )
        yield GaugeMetricFamily(
            f"{P}_history_queue_batches",
            "Batches waiting for the history writer.",
            value=rt.history.pending,
        )
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
