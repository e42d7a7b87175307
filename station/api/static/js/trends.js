// Trends of any tags over any range, from history (the service answers long ranges from its
// rollups): zoom by dragging across the chart, pan, live mode, limits drawn, CSV export of
// exactly what is shown.
import { api } from "./api.js";
import { t, lang, locale } from "./i18n.js";
import { drawTrend, seriesOf } from "./trend.js";
import { esc } from "./format.js";

const RANGES = [["1h", 3600e3], ["8h", 8 * 3600e3], ["24h", 86400e3], ["7d", 7 * 86400e3], ["30d", 30 * 86400e3]];
const view = { tags: null, span: 8 * 3600e3, end: null, live: true, series: [] };

export async function trendsView(main) {
  const [tags, hmi, rules] = await Promise.all([api("/api/tags"), api("/api/hmi"), api("/api/alarms/rules")]);
  const numeric = tags.filter((x) => x.unit);
  view.tags ||= hmi.trends.slice(0, 2);
  main.innerHTML = `<div class="panel"><div class="filters">
      ${RANGES.map(([k, ms]) => `<button data-span="${ms}" class="${view.span === ms ? "primary" : ""}">${k}</button>`).join("")}
      <button data-pan="-1">◀</button><button data-pan="1">▶</button>
      <label><span data-i18n="from">${t("from")}</span> <input type="datetime-local" id="tr-from"></label>
      <label><span data-i18n="to">${t("to")}</span> <input type="datetime-local" id="tr-to"></label>
      <button id="tr-show" data-i18n="show">${t("show")}</button>
      <label><input type="checkbox" id="tr-live" ${view.live ? "checked" : ""}> <span data-i18n="live">${t("live")}</span></label>
      <button id="tr-export" data-i18n="export">${t("export")}</button>
    </div><svg id="tr-chart"></svg><p class="muted" id="tr-range"></p>
    <details open><summary data-i18n="tags">${t("tags")}</summary><div class="filters">${numeric.map((x) =>
      `<label><input type="checkbox" value="${esc(x.id)}" ${view.tags.includes(x.id) ? "checked" : ""}> ${esc(x.id)} ${esc(x.name[lang])}</label>`).join("")}</div></details></div>`;
  const chart = main.querySelector("#tr-chart");
  const limitsOf = (tag) => rules.filter((r) => r.tag === tag && r.kind === "limit" && r.limit !== null)
    .map((r) => ({ value: r.limit, level: r.id.split(".").pop().toLowerCase() }));
  async function load() {
    const end = view.live || view.end === null ? Date.now() : view.end;
    const start = end - view.span;
    if (!view.tags.length) { chart.replaceChildren(); return; }
    const step = Math.max(1, Math.round(view.span / 1000 / 600));
    const body = await api(`/api/history?tags=${view.tags.map(encodeURIComponent).join(",")}&start=${new Date(start).toISOString()}&end=${new Date(end).toISOString()}&step=${step}&agg=mean`);
    view.series = seriesOf(body);
    view.shown = [start, end];
    drawTrend(chart, view.series, { start, end, width: 1200, height: 360, timezone: window.station.timezone,
      limits: view.tags.length === 1 ? limitsOf(view.tags[0]) : [], empty: t("no_data") });
    const local = (ms) => new Date(ms).toLocaleString(locale(), { timeZone: window.station.timezone, hour12: false });
    main.querySelector("#tr-range").textContent = `${local(start)} – ${local(end)} · ${step} s`;
  }
  main.addEventListener("click", (ev) => {
    const b = ev.target.closest("button");
    if (!b) return;
    if (b.dataset.span) { view.span = Number(b.dataset.span); view.end = null; view.live = true; trendsView(main); }
    if (b.dataset.pan) {
      view.live = false;
      view.end = (view.end ?? Date.now()) + Number(b.dataset.pan) * view.span / 2;
      main.querySelector("#tr-live").checked = false;
      load();
    }
    if (b.id === "tr-export") exportCsv();
    if (b.id === "tr-show") {
      const from = stationTime(main.querySelector("#tr-from").value), to = stationTime(main.querySelector("#tr-to").value);
      if (from !== null && to !== null && to > from) {
        view.live = false; view.end = to; view.span = to - from;
        main.querySelector("#tr-live").checked = false;
        load();
      }
    }
  });
  main.querySelector("#tr-live").addEventListener("change", (ev) => { view.live = ev.target.checked; view.end = null; load(); });
  main.querySelectorAll("details input").forEach((box) => box.addEventListener("change", () => {
    view.tags = [...main.querySelectorAll("details input:checked")].map((i) => i.value).slice(0, 6);
    load();
  }));
  // zoom: drag across the chart
  let from = null;
  const at = (ev) => {
    const r = chart.getBoundingClientRect();
    const frac = Math.min(1, Math.max(0, ((ev.clientX - r.left) / r.width * 1200 - 52) / (1200 - 62)));
    return view.shown[0] + frac * (view.shown[1] - view.shown[0]);
  };
  chart.addEventListener("pointerdown", (ev) => { from = at(ev); });
  chart.addEventListener("pointerup", (ev) => {
    if (from === null) return;
    const to = at(ev);
    if (Math.abs(to - from) > 60e3) {
      view.live = false; view.end = Math.max(from, to); view.span = Math.abs(to - from);
      main.querySelector("#tr-live").checked = false;
      load();
    }
    from = null;
  });
  await load();
  let last = Date.now();
  return { live: () => { if (view.live && Date.now() - last > 5000) { last = Date.now(); load(); } } };
}

// a datetime-local value read as the station's wall time (the page may be elsewhere)
function stationTime(text) {
  if (!text) return null;
  const guess = Date.parse(`${text}:00Z`);
  const shown = new Date(guess).toLocaleString("sv-SE", { timeZone: window.station.timezone }).replace(" ", "T");
  return guess - (Date.parse(`${shown}Z`) - guess);
}

function exportCsv() {
  const times = [...new Set(view.series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
  const rows = [["time_utc", ...view.series.map((s) => `${s.tag} (${s.unit})`)].join(",")];
  const maps = view.series.map((s) => new Map(s.points));
  for (const ms of times) rows.push([new Date(ms).toISOString(), ...maps.map((m) => m.get(ms) ?? "")].join(","));
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([rows.join("\n") + "\n"], { type: "text/csv" }));
  a.download = `trend-${view.series.map((s) => s.tag).join("_")}.csv`;
  a.click();
}
