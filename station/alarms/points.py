"""Alarm points: each rule expanded into the alarms an operator sees (PT-301.HH, COMM.PLC-1…)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from station.config.alarms import AlarmConfig, Message
from station.config.models import OpcUaDevice, StationConfig

Kind = Literal["limit", "rate", "discrete", "deviation", "supply", "comm", "bad_signal", "internal"]

_LEVEL_TEXT = {
    "hh": ("高高报警", "high-high"),
    "h": ("高报警", "high"),
    "l": ("低报警", "low"),
    "ll": ("低低报警", "low-low"),
}


@dataclass(frozen=True)
class AlarmPoint:
    id: str
    kind: Kind
    priority: int
    message: Message
    """Templates: {value}, {limit}, {unit}, {cause} are filled in when raised."""
    tag: str | None = None
    device: str | None = None
    inputs: tuple[str, ...] = ()
    limit: float | None = None
    direction: Literal["high", "low"] | None = None
    deadband: float = 0.0
    on_delay_s: float = 0.0
    off_delay_s: float = 0.0
    latch: bool = False
    suppressed_by: tuple[str, ...] = ()
    rule: str = ""
    """The config rule this point comes from (management of change edits rules)."""
    params: dict[str, float | str | bool] = field(default_factory=dict)

    def with_changes(self, **changes: object) -> AlarmPoint:
        return replace(self, **changes)  # type: ignore[arg-type]


def build_points(station: StationConfig, cfg: AlarmConfig) -> list[AlarmPoint]:
    tags = {t.id: (d, t) for d, t in station.all_tags()}
    points: list[AlarmPoint] = []

    def name(tag: str) -> tuple[str, str, str]:
        d_t = tags.get(tag)
        if d_t is None:
            raise ValueError(f"alarm rule names unknown tag {tag!r}")
        t = d_t[1]
        return t.name.zh, t.name.en, t.unit

    for rule in cfg.limits:
        zh, en, unit = name(rule.tag)
        for key in ("hh", "h", "l", "ll"):
            level = getattr(rule, key)
            if level is None:
                continue
            high = key in ("hh", "h")
            lz, le = _LEVEL_TEXT[key]
            points.append(
                AlarmPoint(
                    id=f"{rule.tag}.{key.upper()}",
                    kind="limit",
                    tag=rule.tag,
                    inputs=(rule.tag,),
                    priority=level.priority,
                    limit=level.limit,
                    direction="high" if high else "low",
                    deadband=rule.deadband,
                    on_delay_s=rule.on_delay_s,
                    off_delay_s=rule.off_delay_s,
                    latch=level.latch,
                    rule=f"limit:{rule.tag}",
                    suppressed_by=tuple(rule.suppressed_by)
                    if (not high or rule.suppress_high)
                    else (),
                    message=Message(
                        zh=f"{zh}{lz} {{value}} {unit}（限值 {{limit}}）",
                        en=f"{en} {le} {{value}} {unit} (limit {{limit}})",
                    ),
                )
            )
    for rr in cfg.rates:
        zh, en, unit = name(rr.tag)
        falling = rr.falling_faster_than is not None
        rate = rr.falling_faster_than if falling else rr.rising_faster_than
        points.append(
            AlarmPoint(
                id=rr.id,
                kind="rate",
                tag=rr.tag,
                inputs=(rr.tag,),
                priority=rr.priority,
                limit=rate,
                direction="low" if falling else "high",
                deadband=rr.deadband,
                on_delay_s=rr.on_delay_s,
                off_delay_s=rr.off_delay_s,
                rule=f"rate:{rr.id}",
                suppressed_by=tuple(rr.suppressed_by),
                params={"window_s": rr.window_s},
                message=rr.message
                or Message(
                    zh=f"{zh}{'下降' if falling else '上升'}过快 {{value}} {unit}/min",
                    en=f"{en} {'falling' if falling else 'rising'} fast {{value}} {unit}/min",
                ),
            )
        )
    for dr in cfg.discretes:
        zh, en, _ = name(dr.tag)
        points.append(
            AlarmPoint(
                id=dr.id,
                kind="discrete",
                tag=dr.tag,
                inputs=(dr.tag,),
                priority=dr.priority,
                latch=dr.latch,
                on_delay_s=dr.on_delay_s,
                off_delay_s=dr.off_delay_s,
                suppressed_by=tuple(dr.suppressed_by),
                rule=f"discrete:{dr.id}",
                params={"alarm_when": dr.alarm_when},
                message=dr.message
                or Message(
                    zh=f"{zh}：{'是' if dr.alarm_when else '否'}",
                    en=f"{en}: {'yes' if dr.alarm_when else 'no'}",
                ),
            )
        )
    for dv in cfg.deviations:
        zh, en, unit = name(dv.tag)
        rzh, ren, _ = name(dv.reference)
        points.append(
            AlarmPoint(
                id=dv.id,
                kind="deviation",
                tag=dv.tag,
                inputs=(dv.tag, dv.reference),
                priority=dv.priority,
                limit=dv.max_difference,
                deadband=dv.deadband,
                on_delay_s=dv.on_delay_s,
                off_delay_s=dv.off_delay_s,
                rule=f"deviation:{dv.id}",
                suppressed_by=tuple(dv.suppressed_by),
                params={"reference": dv.reference},
                message=dv.message
                or Message(
                    zh=f"{zh}与{rzh}偏差 {{value}} {unit}（限值 {{limit}}）",
                    en=f"{en} deviates from {ren} by {{value}} {unit} (limit {{limit}})",
                ),
            )
        )
    if cfg.supply is not None:
        s = cfg.supply
        inputs = [s.flow_tag, s.outlet_pressure_tag, *s.esd_valves]
        inputs += [
            *s.run_valves.values(),
            *(t for t in (s.active_run_tag, s.inlet_pressure_tag) if t),
        ]
        for t in inputs:
            name(t)
        points.append(
            AlarmPoint(
                id=s.id,
                kind="supply",
                inputs=tuple(inputs),
                priority=s.priority,
                latch=False,
                rule="supply",
                message=Message(zh="停气：{cause}", en="Supply interruption: {cause}"),
                params={
                    "cutoff": s.cutoff,
                    "low_flow_s": s.low_flow_s,
                    "outlet_ll": s.outlet_ll,
                    "outlet_deadband": s.outlet_deadband,
                    "outlet_hh": s.outlet_hh if s.outlet_hh is not None else float("inf"),
                    "esd_count": len(s.esd_valves),
                    "active_run_tag": s.active_run_tag or "",
                    "inlet_tag": s.inlet_pressure_tag or "",
                    **{f"run:{k}": v for k, v in s.run_valves.items()},
                },
            )
        )
    for d in station.devices:
        zh, en = (d.name.zh, d.name.en) if d.name else (d.id, d.id)
        points.append(
            AlarmPoint(
                id=f"COMM.{d.id}",
                kind="comm",
                device=d.id,
                inputs=tuple(t.id for t in d.tags),
                priority=cfg.comm_loss_priority,
                rule="comm",
                message=Message(zh=f"{zh}通讯中断", en=f"{en} communication lost"),
            )
        )
        # conditions of the link itself, set by the runtime from the device's health
        internal = [
            (
                "OVERRUN",
                4,
                f"{zh}轮询超时跳周期（{{cause}}）",
                f"{en} polls overrun their interval ({{cause}})",
            ),
        ]
        if isinstance(d, OpcUaDevice):
            internal.append(
                (
                    "CLOCK",
                    3,
                    f"{zh}时钟偏差（{{cause}}），按接收时间记录",
                    f"{en} clock is off ({{cause}}); values stamped on arrival",
                )
            )
        points.extend(
            AlarmPoint(
                id=f"{prefix}.{d.id}",
                kind="internal",
                device=d.id,
                priority=priority,
                rule="internal",
                message=Message(zh=text_zh, en=text_en),
            )
            for prefix, priority, text_zh, text_en in internal
        )
    for d, tag in station.all_tags():
        points.append(
            AlarmPoint(
                id=f"BAD.{tag.id}",
                kind="bad_signal",
                tag=tag.id,
                device=d.id,
                inputs=(tag.id,),
                priority=cfg.bad_signal_priority,
                rule="bad_signal",
                on_delay_s=0.0,
                message=Message(
                    zh=f"{tag.name.zh}仪表故障（{{cause}}）",
                    en=f"{tag.name.en} instrument fault ({{cause}})",
                ),
            )
        )
    # the service's own conditions, set by the runtime (the delays are the runtime's too)
    historian = [
        ("BEHIND", 2, "历史库写入落后于采集（{cause}）", "History lags acquisition ({cause})"),
        ("DISK", 2, "数据盘空间不足（{cause}）", "Data disk filling up ({cause})"),
        ("WRITE", 2, "历史库写入失败（{cause}）", "History file cannot be written ({cause})"),
    ]
    if station.history.influx is not None:
        historian += [
            (
                "INFLUX-DOWN",
                3,
                "InfluxDB 写入失败，数据暂存本地：{cause}",
                "InfluxDB unreachable, samples spooled: {cause}",
            ),
            (
                "SPOOL-FILLING",
                2,
                "历史数据暂存空间将满（{cause}）",
                "Historian spool filling up ({cause})",
            ),
        ]
    # a periodic job of the service failing (its names in the cause), set by the job runner
    points.append(
        AlarmPoint(
            id="SERVICE.JOBS",
            kind="internal",
            priority=3,
            rule="internal",
            message=Message(zh="后台任务失败（{cause}）", en="Service jobs failing ({cause})"),
        )
    )
    points.extend(
        AlarmPoint(
            id=f"HISTORIAN.{name}",
            kind="internal",
            priority=priority,
            rule="internal",
            message=Message(zh=zh, en=en),
        )
        for name, priority, zh, en in historian
    )
    # an hour against the same hour last week, judged by the runtime from the hourly records
    for run in station.reports.meter_runs:
        if run.weekly_deviation is None or run.standard_flow not in tags:
            continue
        points.append(
            AlarmPoint(
                id=f"FLOW-WEEK.{run.id}",
                kind="internal",
                tag=run.standard_flow,
                priority=run.weekly_priority,
                rule="internal",
                message=Message(
                    zh=f"{run.id}标况流量偏离上周同时段（{{cause}}）",
                    en=f"{run.id} standard flow off the same hour last week ({{cause}})",
                ),
            )
        )
    # an inspection round overdue, judged by the duty desk
    for round_cfg in station.duty.rounds:
        points.append(
            AlarmPoint(
                id=f"ROUND-OVERDUE.{round_cfg.id}",
                kind="internal",
                priority=station.duty.round_priority,
                rule="internal",
                message=Message(
                    zh=f"{round_cfg.name_zh}超时未完成（{{cause}}起）",
                    en=f"{round_cfg.name_en} overdue (due {{cause}})",
                ),
            )
        )
    ids = [p.id for p in points]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise ValueError(f"duplicate alarm ids: {', '.join(sorted(dupes))}")
    known = set(ids)
    for p in points:
        missing = [s for s in p.suppressed_by if s not in known]
        if missing:
            raise ValueError(f"{p.id}: suppressed_by names unknown alarms {missing}")
    return points
