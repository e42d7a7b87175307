// How one value is shown: digits by unit, quality visibly (stale italic, bad struck through,
// with the reason), and the alarm state of its tag.
import { t } from "./i18n.js";
import { state } from "./stream.js";

const PLACES = { MPa: 3, kPa: 1, "°C": 1, "Nm³/h": 0, "m³/h": 0, "Nm³": 0, "m³": 0, "%LEL": 1, "%": 1, "mg/m³": 1 };
const ACTIVE = new Set(["unacknowledged", "acknowledged", "rtn_unacknowledged", "latched"]);

export function formatValue(v, unit) {
  if (v === null || v === undefined) return "—";
  if (typeof v === "boolean") return t(v ? "on" : "off");
  const places = PLACES[unit] ?? (Math.abs(v) >= 100 ? 0 : 2);
  return v.toLocaleString("en-US", { minimumFractionDigits: places, maximumFractionDigits: places });
}

export function qualityOf(tag) {
  const v = state.values[tag];
  if (!v) return { cls: "stale", words: t("never") };
  if (v.quality === "good" && !v.reason) return { cls: "good", words: "" };
  const cls = v.reason === "stale" ? "stale" : v.quality;
  return { cls, words: t(v.reason || v.quality) };
}

// the most urgent standing alarm on a tag (priority 1 first), or null
export function alarmOf(tag) {
  let best = null;
  for (const a of state.alarms) {
    if (a.tag === tag && ACTIVE.has(a.state) && (!best || a.priority < best.priority)) best = a;
  }
  return best;
}

export function valueText(tag, unit) {
  const v = state.values[tag];
  return formatValue(v ? v.value : null, unit);
}
