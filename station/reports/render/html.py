"""Reports as HTML (Jinja2), in Chinese or English; values rounded for display only.

Renders the stored content (the data model as JSON), so a signed version is shown as signed."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from station.reports.document import ReportDocument
from station.reports.render.words import WORDS, local_time

TEMPLATES = Path(__file__).parent.parent / "templates"


def render_report_html(doc: ReportDocument, for_print: bool = False) -> str:
    from station.reports.render.charts import charts_for  # matplotlib: loaded where reports render

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))

    def num(value: float | None, places: int) -> str:
        return "—" if value is None else f"{value:,.{places}f}"

    t = WORDS[doc.lang]
    template = "safety.html" if doc.kind.startswith("safety-") else f"{doc.kind}.html"
    return env.get_template(template).render(
        reports=doc.reports,
        charts=charts_for(doc, t, "png" if for_print else "svg"),
        station=doc.station_name,
        day=doc.title_period,
        lang=doc.lang,
        t=t,
        local=local_time(doc.timezone),
        num=num,
        digest=doc.digest,
        version=doc.version,
        doc=doc,
    )
