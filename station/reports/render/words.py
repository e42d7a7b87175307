"""The reports' fixed words in Chinese and English, and times shown in the station's zone:
one catalogue every format (HTML, PDF, XLSX, charts) reads."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

WORDS = {
    "zh": {
        "title": "门站生产日报", "station": "场站", "run": "计量路", "gas_day": "燃气日",
        "hours": "小时", "hour": "时段", "std_volume": "标况气量", "work_volume": "工况气量",
        "integrated": "流量积分", "pressure": "加权平均压力", "temperature": "加权平均温度",
        "coverage": "数据完整率", "gap": "缺数", "total": "合计", "peak": "高峰小时",
        "p_max": "最高出站压力", "p_min": "最低出站压力", "interruption": "停气时长",
        "gaps": "缺数时长", "resets": "表头复位次数", "mtd": "月累计", "ytd": "年累计",
        "compiled": "编制", "reviewed": "审核", "hash": "内容校验", "version": "版本",
        "preview": "预览：本期尚未结束，数据不完整；不存档，不可审核签发",
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
        "taken_over_h": "接班", "handed_over_h": "交班", "step": "步骤", "user": "人员",
        "reason": "原因", "drafted": "起草", "signed": "交班签字", "accepted": "接班签字",
        "refused": "拒绝接班", "none": "无", "log": "值班记录", "category": "类别",
        "text": "内容", "no_log": "本班无值班记录", "written": "记录于",
        "log_alarm_entries": "另有报警自动记录 {n} 条，见报警表",
        "operating_mode": "运行方式", "equipment": "设备状况", "dispatch_contacts": "调度联系",
        "housekeeping": "卫生", "problems": "存在问题", "instructions": "交办事项",
        "signed_off": "签发", "not_yet": "未签",
        "sf_weekly": "门站安全周报", "sf_monthly": "门站安全月报", "period": "报告期",
        "hazards": "隐患", "found": "新发现", "fixed": "已整改", "open": "未整改",
        "overdue": "逾期", "severity": "等级", "owner": "责任人", "deadline": "整改期限",
        "opened": "发现", "closed": "整改完成", "action_taken": "整改措施",
        "leaks": "泄漏及可燃气体探测器事件", "overpressure": "超压事件", "none_found": "无",
        "fire": "消防器材检查", "equipment_id": "器材", "kind": "类别", "location": "位置",
        "expiry": "有效期", "checks": "检查次数", "failed": "不合格", "flags": "提示",
        "extinguishers": "灭火器数量", "fire_checks": "本期检查",
        "expired": "已过期", "expiring": "即将到期", "check_overdue": "检查逾期",
        "check_due": "检查将到期", "failed_check": "检查不合格", "ok": "合格",
        "rounds": "巡检", "scheduled": "应检", "done": "已检", "late": "超时",
        "approved": "已审核", "missed": "漏检", "unrecorded": "未记录（系统停运）",
        "incidents": "突发事件", "what": "经过", "notified": "已通知", "summary": "总结",
        "open_now": "处理中",
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
        "preview": "PREVIEW: the period has not ended and its data are incomplete; not archived, "
        "cannot be reviewed or signed",
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
        "taken_over_h": "Taken over", "handed_over_h": "Handed over", "step": "Step",
        "user": "By", "reason": "Reason", "drafted": "drafted", "signed": "signed (outgoing)",
        "accepted": "accepted (incoming)", "refused": "refused", "none": "none",
        "log": "Duty log", "category": "Category", "text": "Entry",
        "no_log": "No duty-log entry in this shift", "written": "written",
        "log_alarm_entries": "{n} automatic alarm entries besides: see the alarm table",
        "operating_mode": "Operating mode", "equipment": "Equipment",
        "dispatch_contacts": "Dispatch contacts", "housekeeping": "Housekeeping",
        "problems": "Problems", "instructions": "Instructions", "signed_off": "Signed off by",
        "not_yet": "not yet",
        "sf_weekly": "Gate station weekly safety report",
        "sf_monthly": "Gate station monthly safety report", "period": "Period",
        "hazards": "Hazards", "found": "Found", "fixed": "Fixed", "open": "Open",
        "overdue": "Overdue", "severity": "Severity", "owner": "Owner", "deadline": "Deadline",
        "opened": "Found", "closed": "Fixed", "action_taken": "What was done",
        "leaks": "Leak and gas-detector events", "overpressure": "Over-pressure events",
        "none_found": "none", "fire": "Fire-safety equipment", "equipment_id": "Equipment",
        "kind": "Kind", "location": "Location", "expiry": "Expiry", "checks": "Checks",
        "failed": "Failed", "flags": "Flags", "extinguishers": "Extinguishers",
        "fire_checks": "Checks in the period", "expired": "expired", "expiring": "expiring",
        "check_overdue": "check overdue", "check_due": "check due",
        "failed_check": "failed check", "ok": "OK", "rounds": "Inspection rounds",
        "scheduled": "Scheduled", "done": "Done", "late": "Late", "approved": "Approved",
        "missed": "Missed", "unrecorded": "Not recorded (service down)",
        "incidents": "Incidents", "what": "What happened", "notified": "Notified",
        "summary": "Summary", "open_now": "open",
    },
}  # fmt: skip


def local_time(timezone: str, fmt: str = "%m-%d %H:%M") -> Callable[[int], str]:
    """UTC milliseconds shown in the station's time."""
    tz = ZoneInfo(timezone)

    def local(ms: int) -> str:
        return datetime.fromtimestamp(ms / 1000, tz=UTC).astimezone(tz).strftime(fmt)

    return local
