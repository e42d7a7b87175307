// A tag's faceplate: value, quality with its reason, limits, its alarm points and their
// state, the last 24 hours, and its recent journal.
import { api } from "./api.js";
import { t, lang } from "./i18n.js";
import { state } from "./stream.js";
import { drawTrend, seriesOf } from "./trend.js";
import { esc, timeOf } from "./format.js";
import { formatValue, qualityOf } from "./values.js";

export async function openFaceplate(tag) {
  const d = document.getElementById("dialog");
  const [tags, rules] = await Promise.all([api("/api/tags"), api("/api/alarms/rules")]);
  const info = tags.find((x) => x.id === tag);
  const v = state.values[tag], q = qualityOf(tag);
  const points = rules.filter((r) => r.tag === tag);
  const alarms = state.alarms.filter((a) => a.tag === tag);
  d.innerHTML = `<form method="dialog" class="faceplate" data-faceplate="${esc(tag)}">
    <h3><span data-i18n="faceplate">${t("faceplate")}</span>: ${esc(tag)} · ${esc(info.name[lang])}</h3>
    <table>
      <tr><th>${t("value")}</th><td class="val ${q.cls}">${formatValue(v ? v.value : null, info.unit)} ${esc(info.unit)}</td></tr>
      <tr><th>${t("quality")}</th><td>${t(v ? v.quality : "never")}${v && v.reason ? ` · ${t(v.reason)}` : ""}${v ? ` · ${timeOf(v.ts, true)}` : ""}</td></tr>
      <tr><th>${t("limits")}</th><td>${points.filter((p) => p.limit !== null).map((p) => `${esc(p.id.split(".").pop())} ${p.limit}`).join(" · ") || "—"}</td></tr>
      <tr><th>${t("alarm_points")}</th><td>${points.map((p) => {
        const a = alarms.find((x) => x.id === p.id);
        return `${esc(p.id)} P${p.priority}: ${t(a ? a.state : "normal")}`;
      }).join("<br>") || "—"}</td></tr>
    </table>
    <h4>${t("last_24h")}</h4><svg id="fp-trend"></svg>
    <h4>${t("journal")}</h4><table id="fp-journal"><tbody></tbody></table>
    <div class="actions"><button value="close">${t("close")}</button></div></form>`;
  d.showModal();
  const end = Date.now(), start = end - 86400e3;
  const [history, journal] = await Promise.all([
    api(`/api/history?tags=${encodeURIComponent(tag)}&start=${new Date(start).toISOString()}&end=${new Date(end).toISOString()}&step=300&agg=mean`),
    api(`/api/alarms/history?tag=${encodeURIComponent(tag)}&limit=1000`),
  ]);
  drawTrend(d.querySelector("#fp-trend"), seriesOf(history), {
    start, end, width: 640, height: 170, timezone: window.station.timezone, empty: t("no_data"),
    limits: points.filter((p) => p.kind === "limit" && p.limit !== null)
      .map((p) => ({ value: p.limit, level: p.id.split(".").pop().toLowerCase() })),
  });
  d.querySelector("#fp-journal tbody").innerHTML = journal.slice(-10).reverse().map((e) =>
    `<tr><td>${timeOf(e.ts, true)}</td><td>${esc(e.alarm)}</td><td>${esc(e.event)}</td><td>${esc(e.user || "")}</td><td>${esc(e.comment || "")}</td></tr>`).join("")
    || `<tr><td class="muted">—</td></tr>`;
}
