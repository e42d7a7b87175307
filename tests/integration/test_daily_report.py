"""The daily production report makes itself: at the end of the gas day (plus the delay for late
data), from the hourly records, against the simulator's truth; and when the service was down
over the due time, the missed report appears after the restart, exactly once."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from station.reports.archive import ReportArchive
from station.runtime import StationRuntime
from tests.harness.config import example_station
from tests.harness.reports import until_made
from tests.harness.station import START, Station

pytestmark = pytest.mark.integration
HOUR = 3600


async def test_a_daily_report_missed_while_down_is_made_once_after_restart(
    tmp_path: Path,
) -> None:
    cfg = example_station()
    station = Station(cfg, tmp_path)
    station.step_s = 60.0  # a poll a minute: a day in seconds of wall time
    sim = station.sim
    await station.start()  # 2025-11-25 10:00 Shanghai, in the gas day of the 25th
    try:
        start_truth = sim.delivered()[0]
        await station.run(21.5 * HOUR)  # to 07:30 on the 26th
        before_stop = sim.delivered()[0]
        archive = ReportArchive(station.rt.records)
        assert archive.listing("daily") == []  # the day has not ended
        await station.rt.stop()  # the service is down over 08:00 (when the day's report is due)
        station.clock.advance(2 * HOUR)
        station.rt = StationRuntime(cfg, station.clock, tmp_path, endpoints=sim.endpoints())
        await station.rt.start()
        await station.run(15 * 60)  # past 08:00 + the 10-minute delay for late data
        # the writer thread gathers half a second of wall time, which a stepped clock outruns:
        # the report waits until the history file holds the whole day
        station.rt.history.wait_idle()
        archive = ReportArchive(station.rt.records)
        await until_made(station, archive)
        await station.run(30 * 60)  # more ticks: nothing is made twice
        await station.rt.reporting_done()  # the archive files (a stop leaves the rest)
        reports = archive.listing("daily")
        shifts = archive.listing("shift")
        cursor = archive.cursor("daily")
    finally:
        await station.stop()

    assert [(r.kind, r.period, r.version) for r in reports] == [("daily", "2025-11-25", 1)]
    (day,) = json.loads(reports[0].content)
    assert day["gas_day"] == "2025-11-25" and day["hours"] == 24 and len(day["rows"]) == 24
    # the service read from 10:00 to 07:30: the hours before 10:00 and after 07:30 are gaps
    assert day["gap_minutes"] == 2 * 60 + 29  # the 07:30 minute itself was read
    truth = before_stop - start_truth
    assert abs(day["standard_volume"] - truth) <= 0.001 * truth, (day["standard_volume"], truth)
    assert day["peak_hour"] is not None and day["interruption_minutes"] == 0
    assert day["pressure_min"]["value"] <= day["pressure_max"]["value"]
    assert day["month_to_date"] == day["standard_volume"] == day["year_to_date"]
    assert cursor == int((START + 22 * HOUR) * 1000)  # 08:00 on the 26th

    # the day shift (made at 20:10) and the night shift (missed while down, made after)
    assert [(s.period, s.version) for s in shifts] == [
        ("2025-11-25T08:00", 1),
        ("2025-11-25T20:00", 1),
    ]
    (day_shift,) = json.loads(shifts[0].content)
    assert day_shift["name_en"] == "Day shift" and len(day_shift["marks"]) == 13
    outlet = next(r for r in day_shift["readings"] if r["tag"] == "PT-301")
    assert outlet["unit"] == "MPa" and outlet["values"][:3] == [None, None, None]  # from 10:00
    assert all(0.3 < v < 0.4 for v in outlet["values"][3:])
    (run,) = day_shift["runs"]
    in_shift = sum(r["standard_volume"] for r in day["rows"][:12])  # 08:00–20:00
    assert run["standard_volume"] == pytest.approx(in_shift, rel=1e-12)
    assert day_shift["max_lel_tag"] in ("GT-01", "GT-02", "GT-03", "GT-04")
    assert day_shift["alarms"] == [] or all(a["alarm"] for a in day_shift["alarms"])

    # made again on demand, by the command, from the data folder with the service stopped:
    # the same data gives the same content, so the same version
    made = subprocess.run(
        [sys.executable, "-m", "station.cli", "report", "daily", "--date", "2025-11-25",
         "--data-dir", str(tmp_path), "--format", "json", "--out", str(tmp_path / "d.json")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    again = json.loads((tmp_path / "d.json").read_text())
    assert again["version"] == 1 and again["hash"] == reports[0].hash
    assert again["reports"][0]["standard_volume"] == day["standard_volume"]
    page = subprocess.run(
        [sys.executable, "-m", "station.cli", "report", "daily", "--date", "2025-11-25",
         "--data-dir", str(tmp_path), "--lang", "zh"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert page.returncode == 0, page.stderr
    folder = tmp_path / "reports" / "demo-gate"
    html = (folder / "demo-gate-daily-2025-11-25-v1-zh.html").read_text()
    assert "门站生产日报" in html and f"{day['standard_volume']:,.1f}" in html
    assert html.count('<tr><td class="l">') >= 24 + 8 and reports[0].hash in html
    # the hourly supply chart: one bar per hour, hatched where the hour lacks data (10 h of
    # the day's 24 were partly or wholly unread: 08, 09 and 07 h), drawn from the table's numbers
    (chart,) = re.findall(r'<img class="chart" src="data:image/svg\+xml;base64,([^"]+)"', html)
    svg = base64.b64decode(chart).decode()
    assert svg.count('id="patch_') >= 24 and svg.count("url(#h") >= 3

    # made on schedule, each report was also filed in the archive folder as PDF and XLSX,
    # named by station, kind, period and version, in the station's language
    assert sorted(p.name for p in folder.glob("*-v1-zh.*") if "html" not in p.name) == [
        "demo-gate-daily-2025-11-25-v1-zh.pdf",
        "demo-gate-daily-2025-11-25-v1-zh.xlsx",
        "demo-gate-shift-2025-11-25T0800-v1-zh.pdf",
        "demo-gate-shift-2025-11-25T0800-v1-zh.xlsx",
        "demo-gate-shift-2025-11-25T2000-v1-zh.pdf",
        "demo-gate-shift-2025-11-25T2000-v1-zh.xlsx",
    ]
    filed = openpyxl.load_workbook(folder / "demo-gate-daily-2025-11-25-v1-zh.xlsx")["meta"]
    assert filed["B1"].value == reports[0].hash

    # the workbook holds the data model's numbers unrounded; only the cells' format rounds
    book_file = tmp_path / "d.xlsx"
    xlsx = subprocess.run(
        [sys.executable, "-m", "station.cli", "report", "daily", "--date", "2025-11-25",
         "--data-dir", str(tmp_path), "--format", "xlsx", "--lang", "en", "--out", str(book_file)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert xlsx.returncode == 0, xlsx.stderr
    sheet = openpyxl.load_workbook(book_file)["RUN-1"]
    table = [row for row in sheet.iter_rows(min_row=6, values_only=True)]
    hours = table[:24]
    assert [h[0] for h in hours] == [r["label"] for r in day["rows"]]
    # (openpyxl writes a float with 16 significant digits: equal to 1e-15)
    same = pytest.approx([r["standard_volume"] for r in day["rows"]], rel=1e-15)
    assert [h[1] for h in hours] == same
    assert [h[4] for h in hours] == [
        None if r["pressure_mean"] is None else pytest.approx(r["pressure_mean"], rel=1e-15)
        for r in day["rows"]
    ]
    assert table[24][0] == "Total" and table[24][1] == pytest.approx(day["standard_volume"], 1e-15)
    assert sheet.cell(row=7, column=2).number_format == "#,##0.0"
    meta = openpyxl.load_workbook(book_file)["meta"]
    assert meta["B1"].value == reports[0].hash and meta["B2"].value == 1

    # printed: the PDF's text (pdftotext) has the Chinese title and the day's total
    pdf_file = tmp_path / "d.pdf"
    printed = subprocess.run(
        [sys.executable, "-m", "station.cli", "report", "daily", "--date", "2025-11-25",
         "--data-dir", str(tmp_path), "--format", "pdf", "--lang", "zh", "--out", str(pdf_file)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert printed.returncode == 0, printed.stderr
    assert pdf_file.read_bytes()[:5] == b"%PDF-"
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf_file), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "门站生产日报" in text and f"{day['standard_volume']:,.1f}" in text
    fonts = subprocess.run(["pdffonts", str(pdf_file)], capture_output=True, text=True).stdout
    # the Chinese font is embedded (subset), not left to the reader's machine
    assert "WenQuanYi-Micro-Hei" in fonts and " yes yes yes " in fonts
