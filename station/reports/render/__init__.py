"""Rendering of a report document: HTML (Jinja2), PDF (WeasyPrint over the HTML), XLSX
(openpyxl) and the charts (matplotlib). The document is plain data (station.reports.document);
nothing here is imported back by it."""

from __future__ import annotations

from station.reports.document import FORMATS, ReportDocument


def render(doc: ReportDocument, fmt: str) -> bytes:
    """The document in one format (imports each renderer where it runs: PDF and the charts
    pull in WeasyPrint and matplotlib, which a worker process loads once)."""
    if fmt == "html":
        from station.reports.render.html import render_report_html

        return render_report_html(doc).encode()
    if fmt == "xlsx":
        from station.reports.render.xlsx import render_report_xlsx

        return render_report_xlsx(doc)
    if fmt == "pdf":
        from station.reports.render.pdf import render_report_pdf

        return render_report_pdf(doc)
    raise ValueError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")
