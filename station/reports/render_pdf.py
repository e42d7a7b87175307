"""Reports as PDF: the HTML rendering printed by WeasyPrint, with the Noto CJK fonts embedded.

Printing takes a second of CPU and the interpreter lock for all of it, so the service runs it in
a worker process (`pdf_in_worker`), never on a thread beside acquisition."""

from __future__ import annotations

import asyncio
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from station.reports.render_html import render_report_html


def render_report_pdf(
    kind: str,
    reports: list[dict[str, Any]],
    station_name: str,
    timezone: str,
    lang: str,
    digest: str,
    version: int,
) -> bytes:
    from weasyprint import HTML  # imported where it runs: the worker process

    page = render_report_html(kind, reports, station_name, timezone, lang, digest, version)
    pdf: bytes = HTML(string=page).write_pdf()
    return pdf


class PdfWorker:
    """One process that prints PDFs, started on first use."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None

    async def render(self, *args: Any) -> bytes:
        if self._pool is None:
            # spawned, not forked: the service has threads (a fork could copy a held lock)
            self._pool = ProcessPoolExecutor(
                max_workers=1, mp_context=multiprocessing.get_context("spawn")
            )
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, render_report_pdf, *args)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
