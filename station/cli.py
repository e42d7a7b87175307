"""The `station` command: demo, simulate, run, check-config, register-map, schema."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import faulthandler
import json
import logging
import signal
import sys
from pathlib import Path
from typing import Literal

from station.clock import Clock, ScaledClock, WallClock
from station.config.loader import ConfigError, default_config_path, load_config
from station.config.models import StationConfig
from station.loopback import free_port


def _clock(speed: float) -> Clock:
    return WallClock() if speed == 1 else ScaledClock(speed=speed)


def _load(path: str | None) -> StationConfig:
    try:
        return load_config(path or default_config_path())
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(2) from None


async def _serve(app: object, host: str, port: int, trusted_proxies: list[str]) -> None:
    """Serve until SIGTERM or SIGINT, then return, so the caller's shutdown runs in full."""
    from station.api.server import StationServer

    await StationServer(app, host, port, trusted_proxies).serve()


async def _demo(args: argparse.Namespace) -> None:
    from simulators.station_sim import StationSimulator
    from station.api import create_app
    from station.api.routes_demo import demo_router
    from station.core_thread import CoreThread
    from station.runtime import StationRuntime

    cfg = _load(args.config)
    clock = _clock(args.speed)
    ports = {d.id: free_port() for d in cfg.devices}
    sim = StationSimulator(cfg, clock, seed=args.seed, ports=ports)
    sim.set_scenario(args.scenario)
    runtime = StationRuntime(cfg, clock, args.data_dir, endpoints=sim.endpoints())
    accounts = _demo_accounts(runtime)
    app = create_app(runtime, extra_routers=[demo_router(sim)])
    # the simulated devices share the core's loop, as the service's peers; the HTTP server
    # has the main loop to itself
    core = CoreThread(runtime)
    await core.start(sim.start)
    print(
        f"Gate station demo ({cfg.station.name.en}), scenario {args.scenario}, "
        f"speed ×{args.speed:g}, data in {Path(args.data_dir).resolve()}"
    )
    print(
        f"  open http://{args.host}:{args.port}/   API docs http://{args.host}:{args.port}/docs",
        flush=True,
    )
    if accounts:
        print("  demo accounts (user / password): " + ", ".join(accounts), flush=True)
    try:
        await _serve(app, args.host, args.port, cfg.api.trusted_proxies)
    finally:
        await core.stop(sim.stop)


def _demo_accounts(runtime: object) -> list[str]:
    """The demo's data folder gets one user per role on first start, so alarms can be
    acknowledged, shelved and taken out of service without setting anything up. Never in
    `station run`."""
    from station.runtime import StationRuntime
    from station.users import Role

    assert isinstance(runtime, StationRuntime)
    if runtime.users.list():
        return []
    now = runtime.now_ms()
    made = []
    for name, role in (
        ("operator", Role.operator),
        ("leader", Role.shift_leader),
        ("master", Role.station_master),
        ("auditor", Role.auditor),
        ("viewer", Role.viewer),
    ):
        password = f"{name}-demo"
        runtime.users.add(name, password, role, None, now)
        runtime.audit.append(now, "demo", "user.add", "ok", obj=name, new={"role": role.name})
        made.append(f"{name} / {password} ({role.name})")
    return made


async def _simulate(args: argparse.Namespace) -> None:
    from fastapi import FastAPI

    from simulators.control import control_router
    from simulators.station_sim import StationSimulator

    cfg = _load(args.config)
    users = dict(u.split(":", 1) for u in args.opcua_user) if args.opcua_user else None
    sim = StationSimulator(
        cfg,
        _clock(args.speed),
        seed=args.seed,
        host=args.host,
        serial_ports=_pairs(args.serial, "--serial"),
        pki_dir=Path(args.pki_dir) if args.pki_dir else None,
        opcua_users=users,
        opcua_secure_only=args.opcua_secure_only,
        strict_map=args.strict_map,
    )
    sim.set_scenario(args.scenario)
    await sim.start()
    for s in sim.servers:
        for d in s.devices:
            print(f"  {d.device.id}: {d.device.protocol} {s.where}", flush=True)
    for dev, url in sim.opcua_endpoints().items():
        print(f"  {dev}: opcua {url}", flush=True)
    try:
        if args.control_port:
            app = FastAPI(title="Gate station simulator")
            app.include_router(control_router(sim))
            where = f"{args.control_host}:{args.control_port}"
            print(f"  control http://{where}/api/simulator", flush=True)
            await _serve(app, args.control_host, args.control_port, [])
        else:
            await asyncio.Event().wait()
    finally:
        await sim.stop()


async def _run(args: argparse.Namespace) -> None:
    from station.api import create_app
    from station.core_thread import CoreThread
    from station.runtime import StationRuntime

    cfg = _load(args.config)
    runtime = StationRuntime(cfg, WallClock(), args.data_dir)
    app = create_app(runtime)
    core = None if args.core_on_api_loop else CoreThread(runtime)
    if core is None:
        await runtime.start()
    else:
        await core.start()
    host = args.host or cfg.api.host
    port = args.port if args.port is not None else cfg.api.port
    print(f"Gate station {cfg.station.id}: http://{host}:{port}/", flush=True)
    try:
        await _serve(app, host, port, cfg.api.trusted_proxies)
    finally:
        await (runtime.stop() if core is None else core.stop())


def _pairs(items: list[str] | None, option: str) -> dict[str, str]:
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise SystemExit(f"{option} takes DEVICE=VALUE, not {item!r}")
        out[key] = value
    return out


def _opcua_cert(args: argparse.Namespace) -> int:
    from drivers.opcua.security import make_client_certificate

    cert, key = asyncio.run(make_client_certificate(Path(args.dir)))
    print(
        f"certificate {cert}\nprivate key {key}\n"
        "Copy the certificate into the PLC's trusted folder; point the device's "
        "security.certificate and security.private_key at these files."
    )
    return 0


def _user(args: argparse.Namespace) -> int:
    import getpass
    import time

    from station.audit import AuditTrail
    from station.records import RecordsStore
    from station.users import Role, UserError, UserStore

    store = RecordsStore(Path(args.data_dir) / "records.sqlite3")
    users, audit = UserStore(store), AuditTrail(store, _audit_key(args))
    now = int(time.time() * 1000)
    try:
        if args.user_command == "add":
            password = (
                sys.stdin.readline().rstrip("\n")
                if args.password_stdin
                else getpass.getpass(f"password for {args.name}: ")
            )
            users.add(args.name, password, Role[args.role], args.display_name, now)
            audit.append(now, "cli", "user.add", "ok", obj=args.name, new={"role": args.role})
            print(f"user {args.name} ({args.role}) added")
        elif args.user_command == "disable":
            users.set_active(args.name, False)
            audit.append(now, "cli", "user.disable", "ok", obj=args.name)
            print(f"user {args.name} disabled")
        else:
            for user, active in users.list():
                print(
                    f"{user.username:20} {user.role.name:15} {'active' if active else 'disabled'}"
                )
    except UserError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


def _export(args: argparse.Namespace) -> int:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from station.history import Aggregate, HistoryStore
    from station.history.export import export

    path = Path(args.data_dir) / "history.sqlite3"
    if not path.exists():
        print(f"no history at {path}", file=sys.stderr)
        return 1
    zone = ZoneInfo(args.timezone)

    def ms(text: str) -> int:
        dt = datetime.fromisoformat(text)
        return int((dt if dt.tzinfo else dt.replace(tzinfo=zone)).timestamp() * 1000)

    fmt: Literal["csv", "parquet"] = args.format or (
        "parquet" if args.out.endswith(".parquet") else "csv"
    )
    tags = [t for t in args.tags.split(",") if t] if args.tags else None
    n = export(
        HistoryStore(path),
        Path(args.out),
        fmt,
        tags,
        ms(args.start),
        ms(args.end),
        args.step,
        Aggregate(args.agg),
    )
    print(f"{n} rows written to {args.out}")
    return 0


def _audit_key(args: argparse.Namespace) -> Path:
    return Path(args.audit_key) if args.audit_key else Path(args.data_dir) / "audit.key"


def _audit_verify(args: argparse.Namespace) -> int:
    """Exit 0 intact, 1 tampered (and how), 2 the key is missing."""
    from station.audit import AuditAnchor, AuditKey, AuditTrail
    from station.history.store import HistoryStore
    from station.records import RecordsStore

    data = Path(args.data_dir)
    key = AuditKey.load(_audit_key(args))
    if key is None:
        print(f"no audit key at {_audit_key(args)} (give --audit-key)", file=sys.stderr)
        return 2
    history = Path(args.anchors) if args.anchors else data / "history.sqlite3"
    anchors = (
        [AuditAnchor(*a) for a in HistoryStore(history).audit_anchors()] if history.exists() else []
    )
    v = AuditTrail(RecordsStore(data / "records.sqlite3")).verify(key, anchors)
    print(f"audit trail: {v.entries} entries, checked against {len(anchors)} anchors")
    if v.intact:
        print("intact")
        return 0
    print(f"TAMPERED ({', '.join(sorted(v.findings))}):")
    for problem in v.problems:
        print(f"  {problem}")
    return 1


def _progress_bar(done: int, total: int) -> None:
    """On stderr, so the report's output stays clean: a bar that redraws on a terminal, one
    line per step elsewhere (a log keeps every step)."""
    width = 30
    filled = width * done // max(total, 1)
    bar = f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} gas days"
    if sys.stderr.isatty():
        print("\r" + bar, end="\n" if done == total else "", file=sys.stderr, flush=True)
    else:
        print(bar, file=sys.stderr, flush=True)


def _report(args: argparse.Namespace) -> int:
    """A report for any period, from a data folder, with the service running or not."""
    import time

    from station.alarms.journal import AlarmJournal
    from station.calendar import PERIODS, StationCalendar
    from station.history.store import HistoryStore
    from station.records import RecordsStore
    from station.reports.archive import ReportArchive
    from station.reports.document import ReportDocument
    from station.reports.production import ProductionReports
    from station.reports.render import render

    cfg = _load(args.config)
    if not cfg.reports.meter_runs:
        print("the config has no reports.meter_runs", file=sys.stderr)
        return 2
    try:
        StationCalendar(cfg.station.timezone, cfg.reports).period(args.kind, args.date)
    except ValueError:
        what, shape = PERIODS[args.kind]
        print(f"--date takes {what} {shape} in 1970–2199, not {args.date!r}", file=sys.stderr)
        return 2
    data = Path(args.data_dir)
    if not (data / "history.sqlite3").exists():
        print(f"no history in {data}", file=sys.stderr)
        return 2
    records = RecordsStore(data / "records.sqlite3")
    production = ProductionReports(
        cfg, HistoryStore(data / "history.sqlite3"), AlarmJournal(records), ReportArchive(records)
    )
    now_ms = int(time.time() * 1000)
    period = StationCalendar(cfg.station.timezone, cfg.reports).period(args.kind, args.date)
    if period.end_ms > now_ms:
        # not ended: the data so far, marked so; never archived (nor then signed)
        content, digest = production.content(args.kind, args.date, _progress_bar)
        doc = ReportDocument.preview_of(args.kind, args.date, content, digest, cfg, args.lang)
    else:
        stored = production.generate(args.kind, args.date, now_ms, _progress_bar)
        doc = ReportDocument.of(stored, cfg, args.lang)
    if args.format == "json":
        body = {
            "version": doc.version,
            "preview": doc.preview,
            "hash": doc.digest,
            "reports": doc.reports,
        }
        data_out = json.dumps(body, ensure_ascii=False, indent=1).encode()
    else:
        data_out = render(doc, args.format)
    out = (
        Path(args.out)
        if args.out
        else data / "reports" / cfg.station.id / doc.file_name(args.format)
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data_out)
    if args.kind.startswith("safety-"):
        (r,) = doc.reports
        what = f"{r['hazards_found']} hazards found, {r['hazards_open']} open"
    else:
        volumes = [r["standard_volume"] for r in doc.reports if "standard_volume" in r] or [
            v["standard_volume"] for r in doc.reports for v in r.get("runs", [])
        ]
        what = f"{sum(volumes):,.1f} Nm³"
    made = (
        "preview: the period has not ended, not archived"
        if doc.preview
        else f"version {doc.version}"
    )
    print(f"{args.kind} report {args.date} ({made}): {what} → {out}")
    return 0


def _repair(args: argparse.Namespace) -> int:
    from station.datafiles import DATA_FILES, repair

    for name in DATA_FILES:
        result = repair(Path(args.data_dir) / name)
        if result is None:
            print(f"{name}: ok")
            continue
        lost = f"; unreadable: {', '.join(result.tables_lost)}" if result.tables_lost else ""
        print(
            f"{name}: damaged, kept as {result.kept_as.name}; "
            f"{result.rows_saved} rows copied into a fresh {name}{lost}"
        )
    return 0


def _check_config(args: argparse.Namespace) -> int:
    try:
        cfg = load_config(args.file)
    except ConfigError as exc:
        for issue in exc.issues:
            print(issue, file=sys.stderr)
        print(f"{len(exc.issues)} error(s)", file=sys.stderr)
        return 1
    print(f"{args.file}: ok ({len(cfg.devices)} devices, {len(cfg.all_tags())} tags)")
    return 0


def _register_map(args: argparse.Namespace) -> int:
    from station.config.register_map import register_map_markdown

    print(register_map_markdown(_load(args.config)), end="")
    return 0


def _api_reference(args: argparse.Namespace) -> int:
    from station.api.reference import api_reference

    print(api_reference(_load(args.config)), end="")
    return 0


def _schema(_: argparse.Namespace) -> int:
    print(json.dumps(StationConfig.model_json_schema(), indent=2, ensure_ascii=False))
    return 0


def build_parser() -> argparse.ArgumentParser:
    from simulators.scenarios import SCENARIOS

    p = argparse.ArgumentParser(prog="station", description=__doc__)
    p.add_argument("-v", "--verbose", action="store_true")
    sub = p.add_subparsers(dest="command", required=True)

    def sim_options(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--scenario", default="normal", choices=sorted(SCENARIOS))
        sp.add_argument(
            "--speed",
            type=float,
            default=1.0,
            help="simulated seconds per wall second (1440: a day a minute)",
        )
        sp.add_argument("--seed", type=int, default=1)
        sp.add_argument("--config", help="station config (default: the example station)")

    demo = sub.add_parser("demo", help="simulator and service together on the embedded store")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--data-dir", default="data")
    sim_options(demo)

    simulate = sub.add_parser("simulate", help="the simulated station alone")
    simulate.add_argument("--host", default="127.0.0.1")
    simulate.add_argument(
        "--control-port", type=int, default=0, help="serve scenario control over HTTP on this port"
    )
    simulate.add_argument(
        "--control-host",
        default="127.0.0.1",
        help="address of the control port (no login there: keep it on loopback)",
    )
    simulate.add_argument(
        "--serial",
        action="append",
        metavar="DEVICE=PATH",
        help="serve an RTU device at this end of its serial line",
    )
    simulate.add_argument("--pki-dir", help="OPC UA server certificate folder (enables security)")
    simulate.add_argument(
        "--opcua-user",
        action="append",
        metavar="NAME:PASSWORD",
        help="require OPC UA username login",
    )
    simulate.add_argument(
        "--opcua-secure-only", action="store_true", help="offer no unsecured OPC UA endpoint"
    )
    simulate.add_argument(
        "--strict-map",
        action="store_true",
        help="Modbus devices refuse reads over unmapped registers (exception 02)",
    )
    sim_options(simulate)

    run = sub.add_parser("run", help="the service for a real station")
    run.add_argument("--config", required=True)
    run.add_argument("--data-dir", default="data")
    run.add_argument("--host")
    run.add_argument("--port", type=int)
    run.add_argument(
        "--core-on-api-loop",
        action="store_true",
        help="for comparison only (benchmarks/api_load.py): acquisition on the HTTP loop",
    )

    check = sub.add_parser("check-config", help="validate a station config")
    check.add_argument("file")
    ref = sub.add_parser(
        "api-reference", help="print the HTTP API reference (docs/api.md) as Markdown"
    )
    ref.add_argument("config", nargs="?", help="station config (default: the example station)")
    rmap = sub.add_parser("register-map", help="print the Modbus register map as Markdown")
    rmap.add_argument("--config")
    sub.add_parser("schema", help="print the JSON Schema of the station config")
    user = sub.add_parser("user", help="manage users (add, list, disable)")
    user.add_argument("--data-dir", default="data")
    user.add_argument(
        "--audit-key", help="the audit chain's key file (default: DATA_DIR/audit.key)"
    )
    usub = user.add_subparsers(dest="user_command", required=True)

    def user_command(name: str) -> argparse.ArgumentParser:
        """`--data-dir` is taken after the sub-command too (`station user add NAME
        --role R --data-dir D`, as the README writes it)."""
        sp = usub.add_parser(name)
        sp.add_argument("--data-dir", default=argparse.SUPPRESS)
        sp.add_argument("--audit-key", default=argparse.SUPPRESS)
        return sp

    add = user_command("add")
    add.add_argument("name")
    add.add_argument(
        "--role",
        required=True,
        choices=["viewer", "auditor", "operator", "shift_leader", "station_master", "admin"],
    )
    add.add_argument("--display-name")
    add.add_argument("--password-stdin", action="store_true")
    user_command("list")
    dis = user_command("disable")
    dis.add_argument("name")
    exp = sub.add_parser("export", help="export history to CSV or Parquet")
    exp.add_argument("--data-dir", default="data")
    exp.add_argument("--start", required=True, help="ISO 8601; no offset: --timezone")
    exp.add_argument("--end", required=True)
    exp.add_argument("--tags", help="comma-separated (default: all)")
    exp.add_argument("--step", type=int, help="seconds per aggregate (default: raw samples)")
    exp.add_argument(
        "--agg",
        default="mean",
        choices=["mean", "min", "max", "last", "count", "delta", "resets"],
        help="delta / resets: counters' delivered quantity and resets per step",
    )
    exp.add_argument("--format", choices=["csv", "parquet"], help="default: from --out")
    exp.add_argument("--timezone", default="Asia/Shanghai")
    exp.add_argument("--out", required=True)
    report = sub.add_parser("report", help="make a production report from a data folder")
    report.add_argument(
        "kind", choices=["shift", "daily", "monthly", "safety-weekly", "safety-monthly"]
    )
    report.add_argument(
        "--date",
        required=True,
        help="a shift's local start YYYY-MM-DDTHH:MM, a gas day YYYY-MM-DD or a gas month YYYY-MM",
    )
    report.add_argument("--config", help="station config (default: the example station)")
    report.add_argument("--data-dir", default="data")
    report.add_argument("--format", choices=["html", "pdf", "xlsx", "json"], default="html")
    report.add_argument("--lang", choices=["zh", "en"], help="default: the station's language")
    report.add_argument("--out", help="file to write (default: DATA_DIR/reports/…)")
    rep = sub.add_parser(
        "repair",
        help="move damaged data files aside (kept) and copy what is readable into fresh ones",
    )
    rep.add_argument("--data-dir", default="data")
    verify = sub.add_parser(
        "audit-verify",
        help="check the audit trail: keyed chain, and its head against the anchors kept outside",
    )
    verify.add_argument("--data-dir", default="data")
    verify.add_argument("--audit-key", help="the chain's key file (default: DATA_DIR/audit.key)")
    verify.add_argument(
        "--anchors", help="history file holding the anchors (default: DATA_DIR/history.sqlite3)"
    )
    cert = sub.add_parser("opcua-cert", help="make an OPC UA client certificate and key")
    cert.add_argument("dir")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # `kill -USR1 <pid>` prints every thread's stack to stderr: what a hung service is doing
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # The drivers report link trouble themselves (in /healthz and as warnings); the
    # libraries' own tracebacks for an expected disconnect would only bury that.
    for library in ("pymodbus", "asyncua"):
        logging.getLogger(library).setLevel(logging.INFO if args.verbose else logging.CRITICAL)
    sync = {
        "check-config": _check_config,
        "register-map": _register_map,
        "schema": _schema,
        "api-reference": _api_reference,
        "opcua-cert": _opcua_cert,
        "user": _user,
        "audit-verify": _audit_verify,
        "report": _report,
        "export": _export,
        "repair": _repair,
    }
    if args.command in sync:
        return sync[args.command](args)
    if args.command in ("demo", "run"):
        from station.datafiles import DamagedFile, check_data_dir

        try:
            check_data_dir(Path(args.data_dir))
        except DamagedFile as exc:
            print(exc, file=sys.stderr)
            return 3
    runner = {"demo": _demo, "simulate": _simulate, "run": _run}[args.command]
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(runner(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
