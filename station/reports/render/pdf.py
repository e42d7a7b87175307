"""Reports as PDF: the HTML rendering printed by WeasyPrint, with the Noto CJK fonts embedded."""

from __future__ import annotations

from station.reports.document import ReportDocument
from station.reports.render.html import render_report_html


def render_report_pdf(doc: ReportDocument) -> bytes:
    from weasyprint import HTML  # imported where it runs: the worker process

    pdf: bytes = HTML(string=render_report_html(doc, for_print=True)).write_pdf()
    return pdf
