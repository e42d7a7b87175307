"""Reports as XLSX (openpyxl): one sheet per meter run, the numbers unrounded in the cells (to
the 16 significant digits openpyxl writes) and rounded only by the cells' number format, so a
spreadsheet sums what the report sums."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from station.reports.document import ReportDocument
from station.reports.render_html import WORDS, local_time

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


def render_report_xlsx(doc: ReportDocument) -> bytes:
    kind, station_name, digest, version = doc.kind, doc.station_name, doc.digest, doc.version
    t = WORDS[doc.lang]
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    bold = Font(bold=True)

    local = local_time(doc.timezone, "%Y-%m-%d %H:%M")
    for r in doc.reports:
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
        sheet.column_dimensions["A"].width = 18
        for col in "BCDEFGHIJKLMN":
            sheet.column_dimensions[col].width = 14
    meta = book.create_sheet("meta")
    meta.append([t["hash"], digest])
    meta.append([t["version"], version])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
