"""Charts where a person would rather look than read: hourly supply bars with the flow-weighted
pressure (daily), daily supply against the plan (monthly), pressure and flow at the hour marks
(shift). Drawn by matplotlib to SVG from the stored content, so a chart shows exactly the
numbers of its table; embedded in the HTML as data URIs, which browsers and WeasyPrint both
show. Hours with missing data are drawn hatched, never as if complete."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display, no browser

from matplotlib import pyplot as plt
from matplotlib.figure import Figure

from station.reports.document import ReportDocument

FONTS = ["DejaVu Sans", "Noto Sans CJK JP"]
"""Latin from DejaVu, Chinese from Noto CJK (registered under its first face's name, JP)."""
BAR, LINE, PLAN = "#7f8c99", "#1f4e79", "#b05a00"


def _style() -> Any:
    """Fonts and size for every chart, and the same SVG ids for the same numbers."""
    return plt.rc_context({"font.family": FONTS, "font.size": 8, "svg.hashsalt": "report"})


PRINT_DPI = 200
"""Charts for print are images at this resolution: WeasyPrint draws an SVG chart's text, which
matplotlib writes as glyph outlines, path by path (1.2 s for a ten-run month), and a picture
in a fraction of that; at 200 dpi a printed line is as sharp as the paper needs."""


def _data_uri(fig: Figure, image: str) -> str:
    out = io.BytesIO()
    if image == "png":
        fig.savefig(out, format="png", dpi=PRINT_DPI, bbox_inches="tight", metadata={})
        mime = "image/png"
    else:
        fig.savefig(out, format="svg", bbox_inches="tight", metadata={"Date": None})
        mime = "image/svg+xml"
    plt.close(fig)
    return f"data:{mime};base64," + base64.b64encode(out.getvalue()).decode()


def _figure(title: str) -> tuple[Figure, Any]:
    """A chart's figure; called inside `_style()`, which every text drawn needs."""
    fig, ax = plt.subplots(figsize=(7.2, 2.4), dpi=100)
    ax.set_title(title, fontsize=9, loc="left")
    ax.spines[["top"]].set_visible(False)
    return fig, ax


def _ticks(ax: Any, labels: Sequence[str], every: int) -> None:
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels([label if i % every == 0 else "" for i, label in enumerate(labels)])


def daily_chart(r: dict[str, Any], t: dict[str, str], image: str = "svg") -> str:
    rows = r["rows"]
    with _style():
        fig, ax = _figure(f"{t['chart_hourly']} · {r['run']}")
        x = range(len(rows))
        complete = [row["coverage"] >= 1.0 for row in rows]
        ax.bar(
            x,
            [row["standard_volume"] for row in rows],
            color=[BAR if ok else "white" for ok in complete],
            edgecolor=BAR,
            hatch=[None if ok else "///" for ok in complete],
        )
        ax.set_ylabel("Nm³")
        _ticks(ax, [row["label"][:5] for row in rows], 2)
        p = ax.twinx()
        p.plot(x, [row["pressure_mean"] for row in rows], color=LINE, marker=".", lw=1.2)
        p.set_ylabel("MPa", color=LINE)
        return _data_uri(fig, image)


def monthly_chart(r: dict[str, Any], t: dict[str, str], image: str = "svg") -> str:
    rows = r["rows"]
    with _style():
        fig, ax = _figure(f"{t['chart_daily']} · {r['run']}")
        x = range(len(rows))
        gaps = [row["gap_minutes"] > 0 for row in rows]
        ax.bar(
            x,
            [row["standard_volume"] or 0.0 for row in rows],  # a day without data: no bar
            color=["white" if g else BAR for g in gaps],
            edgecolor=BAR,
            hatch=["///" if g else None for g in gaps],
        )
        if r.get("plan") and rows:
            ax.axhline(r["plan"] / len(rows), color=PLAN, lw=1, ls="--", label=t["plan"])
            ax.legend(loc="upper right", frameon=False)
        ax.set_ylabel("Nm³")
        _ticks(ax, [row["gas_day"][-2:] for row in rows], 2)
        return _data_uri(fig, image)


def shift_chart(r: dict[str, Any], t: dict[str, str], local: Any, image: str = "svg") -> str | None:
    pressures = [x for x in r["readings"] if x["unit"] == "MPa"]
    flows = [x for x in r["readings"] if x["unit"] == "Nm³/h"]
    if not pressures and not flows:
        return None
    with _style():
        fig, ax = _figure(t["chart_shift"])
        x = range(len(r["marks"]))
        for reading in pressures:
            ax.plot(x, reading["values"], marker=".", lw=1.2, label=reading["tag"])
        ax.set_ylabel("MPa")
        _ticks(ax, [local(m)[-5:] for m in r["marks"]], 1)
        if flows:
            q = ax.twinx()
            for reading in flows:
                q.plot(x, reading["values"], color=PLAN, lw=1, ls="--", label=reading["tag"])
            q.set_ylabel("Nm³/h", color=PLAN)
            q.legend(loc="upper right", frameon=False)
        if pressures:
            ax.legend(loc="upper left", frameon=False)
        return _data_uri(fig, image)


def charts_for(doc: ReportDocument, t: dict[str, str], image: str = "svg") -> list[list[str]]:
    """Per report of the document, its charts (data URIs): SVG on screen, PNG for print."""
    from station.reports.render.words import local_time

    local = local_time(doc.timezone)
    out: list[list[str]] = []
    for r in doc.reports:
        if doc.kind == "daily":
            out.append([daily_chart(r, t, image)])
        elif doc.kind == "monthly":
            out.append([monthly_chart(r, t, image)])
        elif doc.kind != "shift":
            out.append([])  # a safety report: its counts are read, not looked at
        else:
            chart = shift_chart(r, t, local, image)
            out.append([chart] if chart else [])
    return out
