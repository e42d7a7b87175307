"""The station config: the example validates, and every error names file, line and field."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from station.config.loader import ConfigError, default_config_path, load_config, parse_config
from station.config.models import StationConfig
from tests.harness.config import example_station

ROOT = Path(__file__).parents[2]

GOOD = """\
station:
  id: s1
  name: {zh: 站, en: Station}
devices:
  - id: PLC-1
    protocol: modbus_tcp
    host: 127.0.0.1
    tags:
      - id: PT-1
        name: {zh: 压力, en: Pressure}
        table: holding
        address: 0
        type: float32
"""


def issues_of(text: str) -> list[tuple[int, str, str]]:
    with pytest.raises(ConfigError) as info:
        parse_config(text, "site.yaml")
    assert all(i.file == "site.yaml" for i in info.value.issues)
    return [(i.line, i.field, i.message) for i in info.value.issues]


def test_example_config_is_valid_and_matches_domain_tags() -> None:
    cfg = example_station()
    ids = {t.id for _, t in cfg.all_tags()}
    for tag in (
        "PT-101",
        "TT-101",
        "PDT-101",
        "PDT-102",
        "TT-102",
        "PT-201A",
        "PT-201B",
        "PT-301",
        "TT-301",
        "FT-301",
        "FT-301S",
        "FQ-301S",
        "FQ-301",
        "GT-01",
        "GT-04",
        "XV-201A",
        "XV-201B",
        "XV-001",
        "XV-002",
    ):
        assert tag in ids
    assert cfg.station.timezone == "Asia/Shanghai"


def test_minimal_config_parses_with_defaults() -> None:
    cfg = parse_config(GOOD)
    from station.config.models import ModbusTcpDevice

    assert isinstance(cfg.devices[0], ModbusTcpDevice)
    assert cfg.devices[0].port == 502 and cfg.devices[0].poll_interval_s == 1.0


def test_wrong_type_names_line_and_field() -> None:
    bad = GOOD.replace("type: float32", "type: float33")
    [(line, field, msg)] = issues_of(bad)
    assert line == 13 and field == "devices[0].tags[0].type" and "float32" in msg


def test_missing_field_points_at_its_parent() -> None:
    bad = GOOD.replace("    host: 127.0.0.1\n", "")
    [(line, field, msg)] = issues_of(bad)
    assert (line, field) == (5, "devices[0].host") and "required" in msg.lower()


def test_typo_in_key_is_rejected_not_ignored() -> None:
    bad = GOOD.replace("    host: 127.0.0.1\n", "    host: 127.0.0.1\n    pol_interval_s: 5\n")
    [(line, field, msg)] = issues_of(bad)
    assert (line, field) == (8, "devices[0].pol_interval_s") and "not permitted" in msg


def test_all_errors_reported_at_once() -> None:
    bad = (
        GOOD.replace("address: 0", "address: -4")
        .replace("port: 502", "")
        .replace("host: 127.0.0.1", "host: 127.0.0.1\n    port: 99999")
    )
    fields = {f for _, f, _ in issues_of(bad)}
    assert fields == {"devices[0].tags[0].address", "devices[0].port"}


def test_overlapping_registers_and_duplicate_ids() -> None:
    dup = (
        GOOD
        + """\
      - id: PT-1
        name: {zh: 压力2, en: Pressure 2}
        table: holding
        address: 1
        type: float32
"""
    )
    got = issues_of(dup)
    assert (
        14,
        "devices[0].tags[1].id",
        "duplicate tag id 'PT-1' (first at devices[0].tags[0])",
    ) in got
    assert any(line == 17 and "address 1 already used by PT-1" in msg for line, _, msg in got)


@pytest.mark.parametrize(
    ("broken", "line"),
    [
        ("  name: {zh: 站\n", 3),  # unclosed brace: PyYAML notices on the next line
        ("  name: [站\n", 3),  # unclosed bracket
        ('  name: "站\n', 3),  # unclosed quote
        ("  name 站\n", 3),  # key without its colon
        ("   name: x\n", 3),  # indented too far
    ],
)
def test_yaml_syntax_error_names_the_line_of_the_mistake(broken: str, line: int) -> None:
    text = GOOD.replace("  name: {zh: 站, en: Station}\n", broken)
    [(got, field, msg)] = issues_of(text)
    assert (got, field) == (line, "") and msg.startswith("YAML syntax:"), msg


def tag_lines(*tags: str) -> str:
    return GOOD + "".join(f"      - {t}\n" for t in tags)


def test_bits_of_a_status_word_share_it_but_not_a_bit() -> None:
    ok = tag_lines(
        "{id: S0, name: {zh: a, en: a}, table: holding, address: 10, type: bool, bit: 0}",
        "{id: S1, name: {zh: b, en: b}, table: holding, address: 10, type: bool, bit: 1}",
    )
    parse_config(ok)
    got = issues_of(
        tag_lines(
            "{id: S0, name: {zh: a, en: a}, table: holding, address: 10, type: bool, bit: 0}",
            "{id: S1, name: {zh: b, en: b}, table: holding, address: 10, type: bool, bit: 0}",
            "{id: W, name: {zh: c, en: c}, table: holding, address: 9, type: uint32}",
        )
    )
    assert (15, "devices[0].tags[2].bit", "holding address 10 bit 0 already used by S0") in got
    assert (16, "devices[0].tags[3].address", "holding address 10 already used by S0") in got


def test_bit_needs_a_register_and_type_bool() -> None:
    got = issues_of(
        tag_lines(
            "{id: C, name: {zh: a, en: a}, table: coil, address: 3, type: bool, bit: 2}",
            "{id: U, name: {zh: b, en: b}, table: input, address: 3, type: uint16, bit: 2}",
            "{id: B, name: {zh: c, en: c}, table: input, address: 4, type: bool, bit: 16}",
        )
    )
    assert [(line, field) for line, field, _ in got] == [
        (14, "devices[0].tags[1]"),
        (15, "devices[0].tags[2]"),
        (16, "devices[0].tags[3].bit"),
    ]
    assert "registers, not to coil" in got[0][2] and "type: bool" in got[1][2]


def test_overlap_is_caught_whatever_the_orders() -> None:
    got = issues_of(
        tag_lines(
            "{id: A, name: {zh: a, en: a}, table: holding, address: 1, type: float32,"
            " word_order: little}",
            "{id: B, name: {zh: b, en: b}, table: holding, address: 3, type: float64,"
            " byte_order: little, word_order: big}",
            "{id: C, name: {zh: c, en: c}, table: holding, address: 6, type: int16}",
        )
    )
    assert [(line, msg) for line, _, msg in got] == [
        (14, "holding address 1 already used by PT-1"),
        (16, "holding address 6 already used by B"),
    ]


def test_unknown_time_zone() -> None:
    bad = GOOD.replace(
        "  name: {zh: 站, en: Station}", "  name: {zh: 站, en: Station}\n  timezone: Mars/Olympus"
    )
    [(line, field, msg)] = issues_of(bad)
    assert (line, field) == (4, "station.timezone") and "Mars/Olympus" in msg


def test_check_config_cli_exit_codes(tmp_path: Path) -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "station.cli", "check-config", str(default_config_path())],
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0 and "32 tags" in ok.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("type: float32", "type: float33"))
    res = subprocess.run(
        [sys.executable, "-m", "station.cli", "check-config", str(bad)],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 1
    assert f"{bad}:13: devices[0].tags[0].type:" in res.stderr


def test_a_binary_file_is_not_a_traceback(tmp_path: Path) -> None:
    binary = tmp_path / "station.yaml"
    binary.write_bytes(b"station:\n  id: s1\n\x89PNG\r\n\x1a\n\x00\xff\xfe")
    with pytest.raises(ConfigError) as info:
        load_config(binary)
    [issue] = info.value.issues
    assert (issue.file, issue.line) == (str(binary), 3)
    assert issue.message.startswith("not a UTF-8 text file")
    res = subprocess.run(
        [sys.executable, "-m", "station.cli", "check-config", str(binary)],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert f"{binary}:3: (top): not a UTF-8 text file" in res.stderr


def test_generated_files_are_current() -> None:
    """docs/register-map.md and the JSON Schema are generated: regenerate on config change."""
    from station.config.register_map import register_map_markdown

    cfg = example_station()
    assert (ROOT / "docs" / "register-map.md").read_text() == register_map_markdown(cfg)
    schema = json.loads((ROOT / "config" / "station.schema.json").read_text())
    assert schema == StationConfig.model_json_schema()


@pytest.mark.parametrize("command", ["demo", "simulate", "run", "check-config", "opcua-cert"])
def test_every_cli_command_has_help(command: str) -> None:
    res = subprocess.run(
        [sys.executable, "-m", "station.cli", command, "--help"], capture_output=True, text=True
    )
    assert res.returncode == 0 and "usage: station" in res.stdout, res.stderr


def test_alarm_rules_must_name_existing_tags_and_alarms() -> None:
    text = default_config_path().read_text(encoding="utf-8")
    bad = text.replace("    - tag: PT-101\n", "    - tag: PT-1O1\n").replace(
        "suppressed_by: [XS-201A.TRIP]", "suppressed_by: [XS-201A.TRIPP]"
    )
    with pytest.raises(ConfigError) as info:
        parse_config(bad, "station.yaml")
    issue = info.value.issues[0]
    line = text.splitlines().index("    - tag: PT-101") + 1
    assert (issue.line, issue.field) == (line, "alarms.limits[1].tag")
    assert "PT-1O1" in issue.message
    only_alarm = text.replace("suppressed_by: [XS-201A.TRIP]", "suppressed_by: [XS-201A.TRIPP]")
    with pytest.raises(ConfigError, match=r"XS-201A\.TRIPP"):
        parse_config(only_alarm, "station.yaml")


def test_user_commands_take_data_dir_where_the_readme_puts_it(tmp_path: Path) -> None:
    data = tmp_path / "site-data"
    add = subprocess.run(
        [
            sys.executable, "-m", "station.cli", "user", "add", "wang",
            "--role", "operator", "--password-stdin", "--data-dir", str(data),
        ],
        input="s3cret-pass\n", capture_output=True, text=True,
    )  # fmt: skip
    assert add.returncode == 0, add.stderr
    listed = subprocess.run(
        [sys.executable, "-m", "station.cli", "user", "--data-dir", str(data), "list"],
        capture_output=True,
        text=True,
    )
    assert "wang" in listed.stdout and "operator" in listed.stdout
    assert (data / "records.sqlite3").exists()
    disable = subprocess.run(
        [sys.executable, "-m", "station.cli", "user", "disable", "wang", "--data-dir", str(data)],
        capture_output=True,
        text=True,
    )
    assert disable.returncode == 0 and "disabled" in disable.stdout
    listed = subprocess.run(
        [sys.executable, "-m", "station.cli", "user", "--data-dir", str(data), "list"],
        capture_output=True,
        text=True,
    )
    assert "disabled" in listed.stdout
    # both changes are in the audit trail, keyed with the data folder's key
    verify = subprocess.run(
        [sys.executable, "-m", "station.cli", "audit-verify", "--data-dir", str(data)],
        capture_output=True,
        text=True,
    )
    assert verify.returncode == 0 and "2 entries" in verify.stdout and "intact" in verify.stdout
    assert (data / "audit.key").stat().st_mode & 0o777 == 0o600


def test_a_meter_run_names_existing_tags_and_counts_with_counters() -> None:
    text = default_config_path().read_text(encoding="utf-8")
    unknown = text.replace("standard_volume: FQ-301S", "standard_volume: FQ-3O1S")
    with pytest.raises(ConfigError) as info:
        parse_config(unknown, "station.yaml")
    issue = info.value.issues[0]
    assert issue.field == "reports.meter_runs[0].standard_volume" and "FQ-3O1S" in issue.message
    assert issue.line == text.splitlines().index("  meter_runs:") + 2
    not_a_counter = text.replace("standard_volume: FQ-301S", "standard_volume: FT-301S")
    with pytest.raises(ConfigError, match="FT-301S is not a counter"):
        parse_config(not_a_counter, "station.yaml")
    bad_shift = text.replace('start: "20:00"', 'start: "25:00"')
    with pytest.raises(ConfigError, match="not a time of day"):
        parse_config(bad_shift, "station.yaml")
