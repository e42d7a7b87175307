"""Reports as XLSX (openpyxl): one sheet per meter run, the numbers unrounded in the cells (to
the 16 significant digits openpyxl writes) and rounded only by the cells' number format, so a
spreadsheet sums what the report sums."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from station.reports.document import ReportDocument
from station.reports.render.words import WORDS, local_time

VOLUME = "#,##0.0"
PRESSURE = "0.000"
ONE = "0.0"
SHARE = "0.0%"


def _daily_table(t: dict[str, str], r: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    head = [
        t["hour"],
        f"{t['std_volume']} (Nm³)",
        f"{t['work_volume']} (m³)",
        f"{t['integrated']} (Nm³)",
        f"{t['pressure']} (MPa)",
        f"{t['temperature']} (°C)",
        t["coverage"],
        f"{t['gap']} (min)",
    ]
    rows = [
        [
            row["label"],
            row["standard_volume"],
            row["working_volume"],
            row["integrated_volume"],
            row["pressure_mean"],
            row["temperature_mean"],
            row["coverage"],
            row["gap_minutes"],
        ]
        for row in r["rows"]
    ]
    return head, rows


def _monthly_table(t: dict[str, str], r: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    head = [
        t["day"],
        f"{t['std_volume']} (Nm³)",
        f"{t['work_volume']} (m³)",
        t["peak"],
        f"{t['interruption']} (min)",
        f"{t['gap']} (min)",
        t["mismatch_hours"],
    ]
    rows = [
        [
            row["gas_day"],
            row["standard_volume"],
            row["working_volume"],
            row["peak_hour"],
            row["interruption_minutes"],
            row["gap_minutes"],
            row["mismatch_hours"],
        ]
        for row in r["rows"]
    ]
    return head, rows


def _shift_table(
    t: dict[str, str], r: dict[str, Any], local: Any
) -> tuple[list[str], list[list[Any]]]:
    head = [t["tag"], *(local(m)[-5:] for m in r["marks"])]
    rows = [
        [f"{x['tag']} ({x['unit']})" if x["unit"] else x["tag"], *x["values"]]
        for x in r["readings"]
    ]
    return head, rows


FORMATS = {
    "daily": [None, VOLUME, VOLUME, VOLUME, PRESSURE, ONE, SHARE, "0"],
    "monthly": [None, VOLUME, VOLUME, None, "0", "0", "0"],
}


def _table(book: Workbook, name: str, title: str, head: list[str], rows: list[list[Any]]) -> None:
    """A sheet of one table: a title, a bold heading row and the rows."""
    sheet = book.create_sheet(name[:31])
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=12)
    sheet.append(head)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    for i in range(len(head)):
        sheet.column_dimensions[chr(ord("A") + i)].width = 18 if i else 14


def _safety_sheets(book: Workbook, t: dict[str, str], r: dict[str, Any], local: Any) -> None:
    summary = [
        [t["hazards"], t["found"], r["hazards_found"]],
        [t["hazards"], t["fixed"], r["hazards_fixed"]],
        [t["hazards"], t["open"], r["hazards_open"]],
        [t["hazards"], t["overdue"], r["hazards_overdue"]],
        [t["rounds"], t["done"], r["rounds_done"]],
        [t["rounds"], t["missed"], r["rounds_missed"]],
        [t["rounds"], t["unrecorded"], r["rounds_unrecorded"]],
        [t["fire"], t["extinguishers"], r["extinguishers"]],
        [t["fire"], t["fire_checks"], len(r["fire_checks"])],
        [t["fire"], t["failed"], r["fire_checks_failed"]],
        [t["leaks"], "", len(r["leak_events"])],
        [t["overpressure"], "", len(r["overpressure_events"])],
        [t["incidents"], "", len(r["incidents"])],
        [t["incidents"], t["open_now"], r["incidents_open"]],
        [t["alarms"], t["raised"], r["alarms"]["raised"]],
        [t["alarms"], t["floods"], r["alarms"]["floods"]],
    ]
    title = f"{t['sf_' + r['kind']]} · {r['label']}"
    period = f"{local(r['start_ms'])} – {local(r['end_ms'])}"
    _table(book, "summary", title, [t["period"], period, ""], summary)
    _table(
        book, "hazards", t["hazards"],
        ["#", t["opened"], t["text"], t["severity"], t["owner"], t["deadline"], t["closed"],
         t["action_taken"]],
        [[h["id"], local(h["opened_ms"]), h["text"], h["severity"], h["owner"],
          local(h["deadline_ms"]), local(h["closed_ms"]) if h["closed_ms"] else "",
          h["action"] or ""] for h in r["hazards"]],
    )  # fmt: skip
    events = [
        [what, local(a["ts_ms"]), a["alarm"], a["priority"], a["value"], a["acked_by"] or ""]
        for what, key in ((t["leaks"], "leak_events"), (t["overpressure"], "overpressure_events"))
        for a in r[key]
    ]
    _table(book, "events", t["leaks"],
           ["", t["time"], t["alarm"], "P", t["value"], t["acked_by"]], events)  # fmt: skip
    _table(
        book, "fire", t["fire"],
        [t["equipment_id"], t["kind"], t["location"], t["expiry"], t["checks"], t["failed"],
         t["flags"]],
        [[e["equipment"], e["type"] or e["kind"], e["location"], e["expiry"] or "", e["checks"],
          e["failed"], ", ".join(t[f] for f in e["flags"])] for e in r["fire_equipment"]],
    )  # fmt: skip
    _table(
        book, "rounds", t["rounds"],
        [t["rounds"], t["scheduled"], t["done"], t["late"], t["approved"], t["missed"],
         t["unrecorded"]],
        [[x["round"], x["scheduled"], x["done"], x["late"], x["approved"], x["missed"],
          x["unrecorded"]] for x in r["rounds"]],
    )  # fmt: skip
    _table(
        book, "incidents", t["incidents"],
        ["#", t["time"], t["what"], t["notified"], t["closed"], t["summary"]],
        [[i["id"], local(i["happened_ms"] or i["opened_ms"]), i["what"], ", ".join(i["notified"]),
          local(i["closed_ms"]) if i["closed_ms"] else "", i["summary"] or ""]
         for i in r["incidents"]],
    )  # fmt: skip


def _duty_rows(t: dict[str, str], r: dict[str, Any], local: Any) -> list[list[Any]]:
    """The shift's handovers and duty log, below its readings."""
    rows: list[list[Any]] = [[]]
    for heading, h in ((t["taken_over_h"], r.get("taken_over")),
                       (t["handed_over_h"], r.get("handed_over"))):  # fmt: skip
        state = h["state"] if h else "none"
        rows.append([heading, h["shift"] if h else "", t.get(state, state)])
        for step in h["steps"] if h else []:
            rows.append(["", local(step["ts_ms"]), t[step["step"]], step["user"],
                         step["reason"] or ""])  # fmt: skip
    rows.append([])
    rows.append([t["log"], t["time"], t["category"], t["user"], t["text"]])
    for e in r.get("log", []):
        rows.append(["", local(e["event_ms"]), e["category"], e["author"], e["text"]])
    if r.get("log_alarm_entries"):
        rows.append(["", t["log_alarm_entries"].format(n=r["log_alarm_entries"])])
    return rows


def render_report_xlsx(doc: ReportDocument) -> bytes:
    kind, station_name, digest, version = doc.kind, doc.station_name, doc.digest, doc.version
    t = WORDS[doc.lang]
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    bold = Font(bold=True)

    local = local_time(doc.timezone, "%Y-%m-%d %H:%M")
    for r in doc.reports if kind.startswith("safety-") else []:
        _safety_sheets(book, t, r, local)
    for r in doc.reports if not kind.startswith("safety-") else []:
        if kind == "shift":
            name, title, period = "shift", t["s_title"], r["shift"]
            head, rows = _shift_table(t, r, local)
            formats: list[str | None] = [None] * len(head)
        else:
            name, title = str(r["run"]), t["title" if kind == "daily" else "m_title"]
            period = r["gas_day"] if kind == "daily" else r["month"]
            table = _daily_table if kind == "daily" else _monthly_table
            head, rows = table(t, r)
            formats = FORMATS[kind]
        sheet = book.create_sheet(name[:31])
        sheet.append([title])
        sheet["A1"].font = Font(bold=True, size=14)
        sheet.append(
            [t["station"], station_name, t["run"] if kind != "shift" else "", r.get("run")]
        )
        sheet.append([period, local(r["start_ms"]), local(r["end_ms"])])
        sheet.append([])
        sheet.append(head)
        for cell in sheet[sheet.max_row]:
            cell.font = bold
        for row in rows:
            sheet.append(row)
            # the sheet's rows are as wide as its widest (the heading lines): format this one
            for cell, fmt in zip(sheet[sheet.max_row][: len(row)], formats, strict=True):
                if fmt is not None:
                    cell.number_format = fmt
        totals = (
            [[f"{t['delivered']} · {v['run']}", v["standard_volume"], v["working_volume"]]
             for v in r["runs"]]
            if kind == "shift"
            else [[t["total"], r["standard_volume"], r["working_volume"]]]
        )  # fmt: skip
        for total in totals:
            sheet.append(total)
            for cell in sheet[sheet.max_row][:3]:
                cell.font = bold
                cell.number_format = VOLUME
        for duty_row in _duty_rows(t, r, local) if kind == "shift" else []:
            sheet.append(duty_row)
        sheet.column_dimensions["A"].width = 18
        for col in "BCDEFGHIJKLMN":
            sheet.column_dimensions[col].width = 14
    meta = book.create_sheet("meta")
    if doc.preview:
        meta.append([t["preview"]])
        for sheet in book.worksheets[:-1]:
            sheet.insert_rows(1)
            sheet["A1"] = t["preview"]
            sheet["A1"].font = Font(bold=True, color="BB0000")
    meta.append([t["hash"], digest])
    meta.append([t["version"], version])
    meta.append([t["reviewed"], doc.reviewed_by or ""])
    meta.append([t["signed_off"], doc.signed_by or ""])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
