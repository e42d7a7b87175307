"""Generate the Grafana dashboards (JSON) from one description, so every panel follows the same
line-protocol schema (README "InfluxDB schema"). Run: python dashboards/generate.py"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
INFLUX = {"type": "influxdb", "uid": "gate-station-influxdb"}
PROM = {"type": "prometheus", "uid": "gate-station-prometheus"}


def influx_tags(*tags: str, agg: str = "mean", interval: str = "$__interval") -> str:
    where = " OR ".join(f"\"tag\" = '{t}'" for t in tags)
    return (
        f'SELECT {agg}("value") FROM "gate_station" WHERE ({where}) AND $timeFilter '
        f'GROUP BY time({interval}), "tag" fill(null)'
    )


def panel(
    pid: int,
    title: str,
    targets: list[dict[str, Any]],
    unit: str,
    x: int,
    y: int,
    w: int = 12,
    h: int = 8,
    kind: str = "timeseries",
    ds: dict[str, str] = INFLUX,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "id": pid,
        "type": kind,
        "title": title,
        "datasource": ds,
        "gridPos": {"x": x, "y": y, "w": w, "h": h},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {"legend": {"displayMode": "list", "placement": "bottom", "showLegend": True}},
        "targets": [
            {**t, "refId": chr(ord("A") + i), "datasource": ds} for i, t in enumerate(targets)
        ],
        **(extra or {}),
    }


def iq(query: str, alias: str = "$tag_tag") -> dict[str, Any]:
    return {"query": query, "rawQuery": True, "resultFormat": "time_series", "alias": alias}


def prom(expr: str, legend: str) -> dict[str, Any]:
    return {"expr": expr, "legendFormat": legend, "range": True}


def dashboard(
    uid: str, title: str, panels: list[dict[str, Any]], tags: list[str]
) -> dict[str, Any]:
    return {
        "uid": uid,
        "title": title,
        "tags": tags,
        "timezone": "browser",
        "schemaVersion": 39,
        "version": 1,
        "editable": True,
        "refresh": "10s",
        "time": {"from": "now-6h", "to": "now"},
        "panels": panels,
        "templating": {"list": []},
        "annotations": {"list": []},
    }


def overview() -> dict[str, Any]:
    p = []
    p.append(
        panel(
            1,
            "Inlet and regulator pressure / 进站与调压压力",
            [iq(influx_tags("PT-101", "PT-201A", "PT-201B"))],
            "pressuremPa",
            0,
            0,
        )
    )
    p.append(
        panel(2, "Outlet pressure / 出站压力", [iq(influx_tags("PT-301"))], "pressuremPa", 12, 0)
    )
    p.append(
        panel(
            3,
            "Temperatures / 温度",
            [iq(influx_tags("TT-101", "TT-102", "TT-301"))],
            "celsius",
            0,
            8,
        )
    )
    p.append(
        panel(
            4,
            "Standard and working flow / 标况与工况流量",
            [iq(influx_tags("FT-301S", "FT-301"))],
            "short",
            12,
            8,
        )
    )
    p.append(
        panel(
            5,
            "Gas delivered per hour / 每小时供气量 (Nm³)",
            [
                iq(
                    'SELECT non_negative_difference(last("value")) FROM "gate_station" WHERE '
                    "\"tag\" = 'FQ-301S' AND $timeFilter GROUP BY time(1h) fill(none)",
                    "Nm³/h",
                )
            ],
            "short",
            0,
            16,
            kind="barchart",
        )
    )
    p.append(
        panel(
            6,
            "Gas delivered per day / 每日供气量 (Nm³)",
            [
                iq(
                    'SELECT non_negative_difference(last("value")) FROM "gate_station" WHERE '
                    "\"tag\" = 'FQ-301S' AND $timeFilter GROUP BY time(1d, -8h) fill(none)",
                    "Nm³/d",
                )
            ],
            "short",
            12,
            16,
            kind="barchart",
        )
    )
    p.append(
        panel(
            7,
            "Filter differential pressure / 过滤器差压",
            [iq(influx_tags("PDT-101", "PDT-102"))],
            "pressurekpa",
            0,
            24,
        )
    )
    p.append(panel(8, "Odorant / 加臭", [iq(influx_tags("AT-401", "LT-401"))], "short", 12, 24))
    p.append(
        panel(
            9,
            "Gas detectors / 可燃气体探测器 (%LEL)",
            [iq(influx_tags("GT-01", "GT-02", "GT-03", "GT-04", agg="max"))],
            "percent",
            0,
            32,
        )
    )
    p.append(
        panel(
            10,
            "Valves (1 open) / 阀门状态",
            [
                iq(
                    influx_tags(
                        "XV-001", "XV-002", "XV-201A", "XV-201B", "XS-201A", "XS-201B", agg="last"
                    )
                )
            ],
            "short",
            12,
            32,
            kind="state-timeline",
        )
    )
    p.append(
        panel(
            11,
            "Data quality by device (0 good, 2 bad) / 数据质量",
            [
                iq(
                    'SELECT max("quality") FROM "gate_station" WHERE $timeFilter '
                    'GROUP BY time($__interval), "device" fill(null)',
                    "$tag_device",
                )
            ],
            "short",
            0,
            40,
            w=24,
        )
    )
    return dashboard(
        "gate-station-overview", "Gate station overview / 门站总览", p, ["gate-station", "process"]
    )


def service() -> dict[str, Any]:
    p = [
        panel(
            1,
            "Poll duration by device (s)",
            [
                prom(
                    "rate(gate_station_poll_duration_seconds_sum[1m]) / "
                    "rate(gate_station_poll_duration_seconds_count[1m])",
                    "{{device}}",
                )
            ],
            "s",
            0,
            0,
            ds=PROM,
        ),
        panel(
            2,
            "Poll failures by device (per s)",
            [
                prom("rate(gate_station_poll_failures_total[1m])", "{{device}}"),
                prom("1 - gate_station_device_up", "{{device}} down"),
            ],
            "short",
            12,
            0,
            ds=PROM,
        ),
        panel(
            3,
            "Samples in and written (per s)",
            [
                prom("rate(gate_station_samples_published_total[1m])", "published"),
                prom("rate(gate_station_history_rows_written_total[1m])", "written (embedded)"),
                prom("rate(gate_station_influx_points_written_total[1m])", "written (InfluxDB)"),
            ],
            "short",
            0,
            8,
            ds=PROM,
        ),
        panel(
            4,
            "InfluxDB spool (bytes)",
            [
                prom("gate_station_influx_spool_bytes", "spooled"),
                prom("gate_station_influx_spool_capacity_bytes", "capacity"),
            ],
            "bytes",
            12,
            8,
            ds=PROM,
        ),
        panel(
            5,
            "Active alarms by priority",
            [
                prom("gate_station_alarms_active", "priority {{priority}}"),
                prom("gate_station_alarms_unacknowledged", "unacknowledged P{{priority}}"),
            ],
            "short",
            0,
            16,
            ds=PROM,
        ),
        panel(
            6,
            "History queue (batches)",
            [prom("gate_station_history_queue_batches", "waiting")],
            "short",
            12,
            16,
            ds=PROM,
        ),
    ]
    return dashboard(
        "gate-station-service",
        "Gate station service health / 服务健康",
        p,
        ["gate-station", "service"],
    )


DASHBOARDS = {"station-overview.json": overview, "service-health.json": service}


def main() -> None:
    for name, build in DASHBOARDS.items():
        (HERE / name).write_text(
            json.dumps(build(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )


if __name__ == "__main__":
    main()
