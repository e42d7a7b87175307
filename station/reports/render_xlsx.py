"""Reports as XLSX (openpyxl): one sheet per meter run, the numbers unrounded in the cells (to
the 16 significant digits openpyxl writes) and rounded only by the cells' number format, so a
spreadsheet sums what the report sums."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Font

from station.reports.render_html import WORDS

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


FORMATS = {
    "daily": [None, VOLUME, VOLUME, VOLUME, PRESSURE, ONE, SHARE, "0"],
    "monthly": [None, VOLUME, VOLUME, None, "0", "0", "0"],
}


def render_report_xlsx(
    kind: str,
    reports: list[dict[str, Any]],
    station_name: str,
    timezone: str,
    lang: str,
    digest: str,
    version: int,
) -> bytes:
    t = WORDS[lang]
    tz = ZoneInfo(timezone)
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    bold = Font(bold=True)

    def local(ms: int) -> str:
        return datetime.fromtimestamp(ms / 1000, tz=UTC).astimezone(tz).strftime("%Y-%m-%d %H:%M")

    for r in reports:
        sheet = book.create_sheet(str(r["run"])[:31])
        title = t["title"] if kind == "daily" else t["m_title"]
        period = r["gas_day"] if kind == "daily" else r["month"]
        sheet.append([title])
        sheet["A1"].font = Font(bold=True, size=14)
        sheet.append([t["station"], station_name, t["run"], r["run"]])
        sheet.append([t["gas_day"] if kind == "daily" else t["month"], period,
                      local(r["start_ms"]), local(r["end_ms"])])  # fmt: skip
        sheet.append([])
        head, rows = (_daily_table if kind == "daily" else _monthly_table)(t, r)
        sheet.append(head)
        for cell in sheet[sheet.max_row]:
            cell.font = bold
        for row in rows:
            sheet.append(row)
            for cell, fmt in zip(sheet[sheet.max_row], FORMATS[kind], strict=True):
                if fmt is not None:
                    cell.number_format = fmt
        sheet.append([t["total"], r["standard_volume"], r["working_volume"]])
        for cell in sheet[sheet.max_row][:3]:
            cell.font = bold
            cell.number_format = VOLUME
        sheet.column_dimensions["A"].width = 14
        for col in "BCDEFGH":
            sheet.column_dimensions[col].width = 16
    meta = book.create_sheet("meta")
    meta.append([t["hash"], digest])
    meta.append([t["version"], version])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
