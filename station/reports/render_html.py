"""Reports as HTML (Jinja2), in Chinese or English; values rounded for display only.

Renders the stored content (the data model as JSON), so a signed version is shown as signed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape

from station.reports.document import ReportDocument

TEMPLATES = Path(__file__).parent / "templates"
WORDS = {
    "zh": {
        "title": "门站生产日报", "station": "场站", "run": "计量路", "gas_day": "燃气日",
        "hours": "小时", "hour": "时段", "std_volume": "标况气量", "work_volume": "工况气量",
        "integrated": "流量积分", "pressure": "加权平均压力", "temperature": "加权平均温度",
        "coverage": "数据完整率", "gap": "缺数", "total": "合计", "peak": "高峰小时",
        "p_max": "最高出站压力", "p_min": "最低出站压力", "interruption": "停气时长",
        "gaps": "缺数时长", "resets": "表头复位次数", "mtd": "月累计", "ytd": "年累计",
        "compiled": "编制", "reviewed": "审核", "hash": "内容校验", "version": "版本",
        "m_title": "门站生产月报", "month": "燃气月", "day": "燃气日", "plan": "计划",
        "plan_share": "完成率", "previous": "上月", "mom": "环比", "mismatch_hours": "偏差小时",
        "days_with_gaps": "缺数天数", "alarms": "报警绩效", "raised": "报警数",
        "per_10_min": "每10分钟报警数", "max_10": "10分钟最多", "floods": "报警泛滥次数",
        "chattering": "振荡报警", "standing": "常驻报警",
        "s_title": "门站班报", "staff": "值班人员", "tag": "测点", "delivered": "本班供气量",
        "max_lel": "可燃气体最高浓度", "time": "时间", "alarm": "报警", "value": "数值",
        "acked_by": "确认人", "comment": "处理情况", "no_alarms": "本班无报警",
        "operations": "运行操作及指令", "handed_over": "交班人", "taken_over": "接班人",
        "chart_hourly": "逐时供气量（柱，数据不全者斜线）与加权平均压力（线）",
        "chart_daily": "逐日供气量（柱，缺数者斜线）与日计划",
        "chart_shift": "整点压力与标况流量",
    },
    "en": {
        "title": "Gate station daily production report", "station": "Station", "run": "Meter run",
        "gas_day": "Gas day", "hours": "hours", "hour": "Hour", "std_volume": "Standard volume",
        "work_volume": "Working volume", "integrated": "Integrated flow",
        "pressure": "Flow-weighted pressure", "temperature": "Flow-weighted temperature",
        "coverage": "Data coverage", "gap": "Gap", "total": "Total", "peak": "Peak hour",
        "p_max": "Highest outlet pressure", "p_min": "Lowest outlet pressure",
        "interruption": "Supply interruption", "gaps": "Data gaps", "resets": "Meter resets",
        "mtd": "Month to date", "ytd": "Year to date", "compiled": "Compiled by",
        "reviewed": "Reviewed by", "hash": "Content hash", "version": "version",
        "m_title": "Gate station monthly production report", "month": "Gas month",
        "day": "Gas day", "plan": "Plan", "plan_share": "Of plan", "previous": "Previous month",
        "mom": "Month on month", "mismatch_hours": "Mismatch hours",
        "days_with_gaps": "Days with gaps", "alarms": "Alarm performance", "raised": "Alarms",
        "per_10_min": "Alarms per 10 min", "max_10": "Most in 10 min", "floods": "Floods",
        "chattering": "Chattering", "standing": "Standing",
        "s_title": "Gate station shift report", "staff": "On duty", "tag": "Tag",
        "delivered": "Gas delivered in the shift", "max_lel": "Highest gas reading",
        "time": "Time", "alarm": "Alarm", "value": "Value", "acked_by": "Acknowledged by",
        "comment": "Action", "no_alarms": "No alarm in this shift",
        "operations": "Operations and instructions", "handed_over": "Handed over by",
        "taken_over": "Taken over by",
        "chart_hourly": "Hourly supply (bars; hatched where data is incomplete) and "
        "flow-weighted pressure (line)",
        "chart_daily": "Daily supply (bars; hatched with data gaps) and the daily plan",
        "chart_shift": "Pressures and standard flow at the hour marks",
    },
}  # fmt: skip


def local_time(timezone: str, fmt: str = "%m-%d %H:%M") -> Callable[[int], str]:
    """UTC milliseconds shown in the station's time."""
    tz = ZoneInfo(timezone)

    def local(ms: int) -> str:
        return datetime.fromtimestamp(ms / 1000, tz=UTC).astimezone(tz).strftime(fmt)

    return local


def render_report_html(doc: ReportDocument, for_print: bool = False) -> str:
    from station.reports.charts import charts_for  # matplotlib: loaded where reports render

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))

    def num(value: float | None, places: int) -> str:
        return "—" if value is None else f"{value:,.{places}f}"

    t = WORDS[doc.lang]
    return env.get_template(f"{doc.kind}.html").render(
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
    )
