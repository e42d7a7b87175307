"""Load a YAML station config and report every error with file, line and field."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from station.config.models import PROTOCOLS, ModbusTag, OpcUaDevice, StationConfig

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class ConfigIssue:
    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field or '(top)'}: {self.message}"


class ConfigError(Exception):
    def __init__(self, issues: list[ConfigIssue]) -> None:
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


class _Positions:
    """Lines of every mapping key and sequence item, by path."""

    def __init__(self) -> None:
        self.lines: dict[Loc, int] = {}
        self._ctor = yaml.constructor.SafeConstructor()

    def build(self, node: yaml.Node, path: Loc) -> Any:
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self._ctor.construct_object(key_node, deep=True)
                self.lines[(*path, key)] = key_node.start_mark.line + 1
                out[key] = self.build(value_node, (*path, key))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        return self._ctor.construct_object(node, deep=True)

    def line_of(self, loc: Loc) -> int:
        for n in range(len(loc), -1, -1):
            if loc[:n] in self.lines:
                return self.lines[loc[:n]]
        return 1


def _without_union_tags(loc: Loc) -> Loc:
    """pydantic puts the protocol in the path (devices.0.opcua.tags...); the YAML has none."""
    if len(loc) > 2 and loc[0] == "devices" and loc[2] in PROTOCOLS:
        return (*loc[:2], *loc[3:])
    return loc


def _dotted(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _semantic_issues(cfg: StationConfig) -> Iterator[tuple[Loc, str]]:
    """Cross-field rules a single field validator cannot see."""
    devices: dict[str, int] = {}
    tags: dict[str, Loc] = {}
    for di, dev in enumerate(cfg.devices):
        if dev.id in devices:
            yield ("devices", di, "id"), f"duplicate device id {dev.id!r}"
        devices[dev.id] = di
        used: dict[tuple[str, int], str] = {}
        bits: dict[tuple[str, int, int], str] = {}
        bit_words: dict[tuple[str, int], str] = {}
        for ti, tag in enumerate(dev.tags):
            loc: Loc = ("devices", di, "tags", ti)
            if tag.id in tags:
                yield (
                    (*loc, "id"),
                    f"duplicate tag id {tag.id!r} (first at {_dotted(tags[tag.id])})",
                )
            tags.setdefault(tag.id, loc)
            if not isinstance(tag, ModbusTag):
                continue
            width = tag.width
            if tag.table.is_bits and tag.type.value != "bool":
                yield (*loc, "type"), f"{tag.table.value} points are bool, not {tag.type.value}"
            if tag.address + width > 65536:
                yield (*loc, "address"), "value runs past register 65535"
            if tag.bit is not None:
                # bits of one status word share its register; each bit belongs to one tag
                key = (tag.table.value, tag.address, tag.bit)
                other = bits.get(key) or used.get(key[:2])
                if other is not None:
                    yield (
                        (*loc, "bit"),
                        f"{tag.table.value} address {tag.address} bit {tag.bit} "
                        f"already used by {other}",
                    )
                bits[key] = tag.id
                bit_words.setdefault(key[:2], tag.id)
                continue
            for a in range(tag.address, tag.address + width):
                other = used.get((tag.table.value, a)) or bit_words.get((tag.table.value, a))
                if other is not None:
                    yield (
                        (*loc, "address"),
                        (f"{tag.table.value} address {a} already used by {other}"),
                    )
                    break
                used[(tag.table.value, a)] = tag.id


def _alarm_issues(cfg: StationConfig) -> Iterator[tuple[Loc, str]]:
    """Alarm rules must name tags (and alarms) that exist."""
    from station.alarms.points import build_points

    tags = {t.id for _, t in cfg.all_tags()}
    a = cfg.alarms
    groups: list[tuple[str, list[Any], tuple[str, ...]]] = [
        ("limits", list(a.limits), ("tag",)),
        ("rates", list(a.rates), ("tag",)),
        ("discretes", list(a.discretes), ("tag",)),
        ("deviations", list(a.deviations), ("tag", "reference")),
    ]
    found = False
    for group, rules, fields in groups:
        for i, rule in enumerate(rules):
            for f in fields:
                if getattr(rule, f) not in tags:
                    found = True
                    yield ("alarms", group, i, f), f"unknown tag {getattr(rule, f)!r}"
    if a.supply is not None:
        s = a.supply
        named = {
            "flow_tag": s.flow_tag,
            "outlet_pressure_tag": s.outlet_pressure_tag,
            "inlet_pressure_tag": s.inlet_pressure_tag,
            "active_run_tag": s.active_run_tag,
        }
        for f, tag in named.items():
            if tag is not None and tag not in tags:
                found = True
                yield ("alarms", "supply", f), f"unknown tag {tag!r}"
        for i, tag in enumerate(s.esd_valves):
            if tag not in tags:
                found = True
                yield ("alarms", "supply", "esd_valves", i), f"unknown tag {tag!r}"
        for run, tag in s.run_valves.items():
            if tag not in tags:
                found = True
                yield ("alarms", "supply", "run_valves", run), f"unknown tag {tag!r}"
    if not found:
        try:
            build_points(cfg, a)
        except ValueError as exc:
            yield ("alarms",), str(exc)


def _report_issues(cfg: StationConfig) -> Iterator[tuple[Loc, str]]:
    """Meter runs must name tags that exist; their totalisers must be counters."""
    tags = {t.id: t for _, t in cfg.all_tags()}
    for i, run in enumerate(cfg.reports.meter_runs):
        for f in ("standard_volume", "working_volume", "standard_flow", "pressure", "temperature"):
            tag = getattr(run, f)
            if tag is None:
                continue
            if tag not in tags:
                yield ("reports", "meter_runs", i, f), f"unknown tag {tag!r}"
            elif f.endswith("_volume") and tags[tag].counter is None:
                yield (
                    ("reports", "meter_runs", i, f),
                    f"{tag} is not a counter (give it `counter: {{}}` to read it as a totaliser)",
                )
    for group in ("shift_readings", "gas_detectors"):
        for i, tag in enumerate(getattr(cfg.reports, group)):
            if tag not in tags:
                yield ("reports", group, i), f"unknown tag {tag!r}"


def _duty_issues(cfg: StationConfig) -> Iterator[tuple[Loc, str]]:
    """A round item compared with a transmitter names one that exists."""
    tags = {t.id for _, t in cfg.all_tags()}
    for r, round_cfg in enumerate(cfg.duty.rounds):
        for i, item in enumerate(round_cfg.items):
            if item.tag is not None and item.tag not in tags:
                yield ("duty", "rounds", r, "items", i, "tag"), f"unknown tag {item.tag!r}"
    for i, trend in enumerate(cfg.duty.trends):
        if trend.tag not in tags:
            yield ("duty", "trends", i, "tag"), f"unknown tag {trend.tag!r}"


def _hmi_issues(cfg: StationConfig) -> Iterator[tuple[Loc, str]]:
    """Every tag the operator's page is to show exists."""
    tags = {t.id for _, t in cfg.all_tags()}
    hmi = cfg.hmi
    for place, tag in hmi.schematic.items():
        if tag not in tags:
            yield ("hmi", "schematic", place), f"unknown tag {tag!r}"
    for key in ("safety", "trends"):
        for i, tag in enumerate(getattr(hmi, key)):
            if tag not in tags:
                yield ("hmi", key, i), f"unknown tag {tag!r}"
    for a, area in enumerate(hmi.areas):
        for i, tag in enumerate(area.tags):
            if tag not in tags:
                yield ("hmi", "areas", a, "tags", i), f"unknown tag {tag!r}"


def _syntax_issue(file: str, exc: yaml.MarkedYAMLError) -> ConfigIssue:
    """Name the line of the mistake. PyYAML notices an unclosed bracket or quote, or a key
    without its colon, only where the next token stands (the line after); its context mark
    is where that construct began, which is the line to fix."""
    context = exc.context or ""
    started_there = context.startswith(("while scanning a", "while parsing a flow"))
    mark = exc.context_mark if started_there and exc.context_mark else exc.problem_mark
    line = mark.line + 1 if mark else 1
    what = f"{exc.problem} ({context})" if started_there else exc.problem
    return ConfigIssue(file, line, "", f"YAML syntax: {what}")


def parse_config(text: str, file: str = "<string>") -> StationConfig:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        raise ConfigError([_syntax_issue(file, exc)]) from None
    if node is None:
        raise ConfigError([ConfigIssue(file, 1, "", "config is empty")])
    pos = _Positions()
    data = pos.build(node, ())
    try:
        cfg = StationConfig.model_validate(data)
    except ValidationError as exc:
        issues = []
        for e in exc.errors():
            loc = _without_union_tags(tuple(e["loc"]))
            issues.append(ConfigIssue(file, pos.line_of(loc), _dotted(loc), e["msg"]))
        raise ConfigError(issues) from None
    semantic = [
        ConfigIssue(file, pos.line_of(loc), _dotted(loc), msg)
        for loc, msg in (
            *_semantic_issues(cfg),
            *_alarm_issues(cfg),
            *_report_issues(cfg),
            *_duty_issues(cfg),
            *_hmi_issues(cfg),
        )
    ]
    if semantic:
        raise ConfigError(semantic)
    return cfg


def _resolve_paths(cfg: StationConfig, base: Path) -> StationConfig:
    """Certificate paths in a config are relative to the config file."""
    devices = []
    for d in cfg.devices:
        if isinstance(d, OpcUaDevice):
            sec = d.security
            fixed = {
                k: str((base / v).resolve())
                for k in ("certificate", "private_key", "trust_store")
                if (v := getattr(sec, k)) is not None
            }
            d = d.model_copy(update={"security": sec.model_copy(update=fixed)})
        devices.append(d)
    return cfg.model_copy(update={"devices": devices})


def load_config(path: str | Path) -> StationConfig:
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise ConfigError([ConfigIssue(str(p), 0, "", f"cannot read: {exc.strerror}")]) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        issue = ConfigIssue(str(p), line, "", f"not a UTF-8 text file (byte {exc.start})")
        raise ConfigError([issue]) from None
    return _resolve_paths(parse_config(text, str(p)), p.parent)


def default_config_path() -> Path:
    """The example station that matches the simulator."""
    return Path(__file__).resolve().parents[2] / "config" / "station.yaml"
