// Every word the page shows, in Chinese and English. Elements carry data-i18n="key" and are
// relabelled on a switch; views render through t() and are drawn again.
const WORDS = {
  zh: {
    overview: "总貌", areas: "工艺分区", alarms: "报警", trends: "趋势", duty: "值班", reports: "报表",
    login: "登录", logout: "退出", username: "用户名", password: "密码", cancel: "取消", ok: "确定",
    viewer: "浏览", auditor: "审计", operator: "操作员", shift_leader: "班长", station_master: "站长", admin: "管理员",
    not_logged_in: "未登录", sound_on: "声音开", sound_off: "已静音", sound_blocked: "点击启用报警声音",
    link_lost: "与服务器的连接中断：数值已冻结，正在重连…", no_alarms: "无未确认报警",
    acknowledge: "确认", shelve: "搁置", comment: "处理说明", reason: "原因", duration: "时长（分钟）",
    ack_title: "确认报警", shelve_title: "搁置报警", time: "时间", alarm: "报警", state: "状态",
    priority: "优先级", text: "内容", value: "数值", unit: "单位", quality: "质量", tag: "位号",
    name: "名称", limits: "限值", filter: "筛选", all: "全部", cause: "首出原因", acked_by: "确认人",
    unacknowledged: "未确认", acknowledged: "已确认", rtn_unacknowledged: "已恢复未确认", latched: "锁存",
    shelved: "已搁置", suppressed: "已抑制", out_of_service: "停用", normal: "正常",
    good: "正常", uncertain: "可疑", bad: "坏值", stale: "数据过时", comm_loss: "通讯中断",
    out_of_range: "超量程", invalid: "无效", device_error: "设备错误", never: "未读到",
    on: "是", off: "否", open: "开", closed: "关", tripped: "跳闸",
    inlet: "进站", filters: "过滤器", heater: "加热", regulation: "调压", run_a: "A路", run_b: "B路",
    metering: "计量", odoriser: "加臭", outlet: "出站", safety: "安全系统",
    slam_shut: "切断阀", esd: "紧急切断阀", active_run: "工作路", supply: "供气", flowing: "供气中",
    not_flowing: "未供气", interrupted: "停气", total: "累计", trend_2h: "近2小时", trend_24h: "近24小时",
    faceplate: "测点详情", journal: "近期报警记录", alarm_points: "报警点", close: "关闭",
    need_role: "需要更高权限", last_24h: "近24小时趋势", reason_label: "原因",
    from: "从", to: "到", show: "显示", live: "实时", export: "导出CSV", tags: "测点",
    no_data: "无数据", on_duty: "当班", station_time: "站场时间",
    log: "值班记录", handover: "交接班", rounds: "巡检", hazards: "隐患", category: "类别",
    write: "记录", search: "查询", sign: "签字", accept: "接班", refuse: "拒绝接班",
    kind: "类型", period: "时段", version: "版本", status: "状态", download: "下载", review: "审核",
    generated: "已生成", reviewed: "已审核", signed: "已签发", start: "开始", complete: "完成",
    item: "项目", reading: "读数", note: "备注", done: "已完成", due: "待检", scheduled: "计划",
    overdue: "超时", in_progress: "进行中", approved: "已审核", missed: "漏检", notes: "交班说明",
    problems: "存在问题", instructions: "交办事项", operating_mode: "运行方式", drafted: "已起草",
    refused: "已拒绝", accepted: "已接班", none: "无", severity: "等级", deadline: "期限",
    fire: "消防器材", maintenance: "设备维护", incidents: "突发事件", location: "位置", expiry: "有效期",
    flags: "提示", last_check: "上次检查", expired: "已过期", expiring: "即将到期", check_overdue: "检查逾期",
    check_due: "检查将到期", failed_check: "检查不合格", last_done: "上次完成", next_due: "下次到期",
    suggestions: "数据预测", what: "事件经过", actions: "已采取措施", report_incident: "上报突发事件",
    summary: "总结", ho_none: "未起草", ho_drafted: "已起草", ho_signed: "交班已签字",
    ho_refused: "拒绝接班", ho_accepted: "已接班",
    cat_operation: "运行操作", cat_dispatch: "调度指令", cat_equipment: "设备", cat_safety: "安全",
    cat_note: "记事", cat_correction: "更正", cat_alarm: "报警", cat_system: "系统", cat_handover: "交接班",
    session_expired: "会话已过期，请重新登录", session_ends: "会话到期于",
    older: "更早的记录", no_entries: "暂无记录", time_hint: "年-月-日 时:分",
  },
  en: {
    overview: "Overview", areas: "Areas", alarms: "Alarms", trends: "Trends", duty: "Duty", reports: "Reports",
    login: "Log in", logout: "Log out", username: "User name", password: "Password", cancel: "Cancel", ok: "OK",
    viewer: "viewer", auditor: "auditor", operator: "operator", shift_leader: "shift leader",
    station_master: "station master", admin: "admin", not_logged_in: "not logged in",
    sound_on: "Sound on", sound_off: "Muted", sound_blocked: "Click to enable alarm sound",
    link_lost: "Connection to the server lost: values are frozen, reconnecting…",
    no_alarms: "No unacknowledged alarm", acknowledge: "Acknowledge", shelve: "Shelve",
    comment: "Comment", reason: "Reason", duration: "Duration (minutes)", ack_title: "Acknowledge alarm",
    shelve_title: "Shelve alarm", time: "Time", alarm: "Alarm", state: "State", priority: "Priority",
    text: "Text", value: "Value", unit: "Unit", quality: "Quality", tag: "Tag", name: "Name",
    limits: "Limits", filter: "Filter", all: "All", cause: "First-out cause", acked_by: "Acknowledged by",
    unacknowledged: "unacknowledged", acknowledged: "acknowledged", rtn_unacknowledged: "returned, unacknowledged",
    latched: "latched", shelved: "shelved", suppressed: "suppressed", out_of_service: "out of service",
    normal: "normal", good: "good", uncertain: "uncertain", bad: "bad", stale: "stale",
    comm_loss: "comm loss", out_of_range: "out of range", invalid: "invalid", device_error: "device error",
    never: "never read", on: "yes", off: "no", open: "open", closed: "closed", tripped: "tripped",
    inlet: "Inlet", filters: "Filters", heater: "Heater", regulation: "Regulation", run_a: "Run A",
    run_b: "Run B", metering: "Metering", odoriser: "Odoriser", outlet: "Outlet", safety: "Safety systems",
    slam_shut: "Slam-shut", esd: "ESD valve", active_run: "Active run", supply: "Supply",
    flowing: "flowing", not_flowing: "not flowing", interrupted: "interrupted", total: "Total", trend_2h: "last 2 h",
    trend_24h: "last 24 h", faceplate: "Tag detail", journal: "Recent alarm journal",
    alarm_points: "Alarm points", close: "Close", need_role: "Needs a higher role",
    last_24h: "Last 24 h", reason_label: "Reason", from: "From", to: "To", show: "Show", live: "Live",
    export: "Export CSV", tags: "Tags", no_data: "no data", on_duty: "On duty", station_time: "Station time",
    log: "Duty log", handover: "Handover", rounds: "Rounds", hazards: "Hazards", category: "Category",
    write: "Write", search: "Search", sign: "Sign", accept: "Accept", refuse: "Refuse",
    kind: "Kind", period: "Period", version: "Version", status: "Status", download: "Download",
    review: "Review", generated: "generated", reviewed: "reviewed", signed: "signed", start: "Start",
    complete: "Complete", item: "Item", reading: "Reading", note: "Note", done: "done", due: "due",
    scheduled: "scheduled", overdue: "overdue", in_progress: "in progress", approved: "approved",
    missed: "missed", notes: "Handover notes", problems: "Problems", instructions: "Instructions",
    operating_mode: "Operating mode", drafted: "drafted", refused: "refused", accepted: "accepted",
    none: "none", severity: "Severity", deadline: "Deadline",
    fire: "Fire equipment", maintenance: "Maintenance", incidents: "Incidents", location: "Location",
    expiry: "Expiry", flags: "Flags", last_check: "Last check", expired: "expired", expiring: "expiring",
    check_overdue: "check overdue", check_due: "check due", failed_check: "failed check",
    last_done: "Last done", next_due: "Next due", suggestions: "Projected from data",
    what: "What happened", actions: "Actions taken", report_incident: "Report an incident",
    summary: "Summary", ho_none: "not drafted", ho_drafted: "drafted",
    ho_signed: "signed by the outgoing", ho_refused: "refused", ho_accepted: "accepted",
    cat_operation: "Operation", cat_dispatch: "Dispatch", cat_equipment: "Equipment", cat_safety: "Safety",
    cat_note: "Note", cat_correction: "Correction", cat_alarm: "Alarm", cat_system: "System", cat_handover: "Handover",
    session_expired: "Session expired: please log in again", session_ends: "Session ends at",
    older: "Older entries", no_entries: "No entries", time_hint: "YYYY-MM-DD HH:MM",
  },
};

export let lang = localStorage.getItem("lang") || document.documentElement.dataset.lang || "zh";

export function t(key) {
  const word = WORDS[lang][key];
  return word === undefined ? key : word;
}

export function words(l) {
  return WORDS[l];
}

export function relabel(root = document) {
  root.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
}

export function setLang(next) {
  lang = next;
  localStorage.setItem("lang", next);
  relabel();
}

export function locale() {
  return lang === "zh" ? "zh-CN" : "en-GB";
}
