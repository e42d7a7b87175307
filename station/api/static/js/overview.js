// Level 1: the station at a glance. A schematic of the flow path (inlet → filters → heater →
// regulator runs A/B with their slam-shuts → metering → odoriser → outlet), each value with its
// unit, quality and alarm state; valves and slam-shuts; the active run; supply flowing or not;
// mini-trends of the key values against their alarm limits. Tags come from the station
// config's `hmi.schematic`, so the drawing fits any station of this layout.
import { api } from "./api.js";
import { t } from "./i18n.js";
import { state, on } from "./stream.js";
import { drawTrend, seriesOf } from "./trend.js";
import { alarmOf, formatValue, qualityOf } from "./values.js";
import { openFaceplate } from "./faceplate.js";

const NS = "http://www.w3.org/2000/svg";
let bound = null;      // schematic key → tag
let meta = {};         // tag → {unit, name}
let limits = {};       // tag → [{value, level}]
let history = {};      // tag → points for the mini-trends
let drawn = null;
let lastMini = 0;

function node(name, attrs, parent, text) {
  const n = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
  if (text !== undefined) n.textContent = text;
  parent.appendChild(n);
  return n;
}

function valueAt(svg, key, x, y, label) {
  const tag = bound[key];
  if (!tag) return;
  node("text", { x, y, class: "label", ...(label ? { "data-i18n": label } : {}) }, svg, label ? t(label) : meta[tag]?.name || tag);
  node("rect", { x: x - 14, y: y + 6, width: 10, height: 16, "data-alarm-for": tag, fill: "none" }, svg);
  node("text", { x, y: y + 20, class: "val", "data-tag": tag, "data-unit": meta[tag]?.unit || "" }, svg, "—");
}

function valve(svg, key, x, y, kind) {
  const tag = bound[key];
  const g = node("g", { "data-valve": tag || "", "data-kind": kind, transform: `translate(${x},${y})` }, svg);
  node("path", { d: "M-12,-9 L12,9 L12,-9 L-12,9 Z", class: "valve" }, g);
  return g;
}

function box(svg, x, y, w, h, label, extra = {}) {
  node("rect", { x, y, width: w, height: h, class: "box", ...extra }, svg);
  node("text", { x: x + 2, y: y - 8, "data-i18n": label, class: "area" }, svg, t(label));
}

function build(container) {
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", "0 0 1400 500");
  svg.setAttribute("class", "schematic");
  const Y = 215;
  // the flow path
  node("path", { d: `M20,${Y} H590 M590,${Y} V140 H930 V${Y} M590,${Y} V290 H930 V${Y} M930,${Y} H1380`, class: "pipe", id: "main-pipe" }, svg);
  box(svg, 40, 120, 160, 150, "inlet");
  valueAt(svg, "inlet_pressure", 55, 150);
  valueAt(svg, "inlet_temperature", 55, 200);
  valve(svg, "inlet_esd", 225, Y, "esd");
  box(svg, 260, 120, 150, 150, "filters");
  valueAt(svg, "filter_dp_a", 275, 150);
  valueAt(svg, "filter_dp_b", 275, 200);
  box(svg, 440, 150, 120, 110, "heater");
  valueAt(svg, "heater_temperature", 455, 180);
  node("text", { x: 600, y: 100, "data-i18n": "regulation" }, svg, t("regulation"));
  for (const [run, y, n] of [["a", 140, 1], ["b", 290, 2]]) {
    node("rect", { x: 640, y: y - 32, width: 250, height: 64, class: "box", "data-run": n }, svg);
    node("text", { x: 650, y: y + 5, "data-i18n": `run_${run}` }, svg, t(`run_${run}`));
    valve(svg, `slam_${run}_open`, 720, y, "slam");
    node("circle", { cx: 790, cy: y, r: 14, class: "valve" }, svg);
    valueAt(svg, `run_${run}_pressure`, 815, y - 16);
  }
  box(svg, 950, 110, 180, 210, "metering");
  valueAt(svg, "flow_standard", 965, 140);
  valueAt(svg, "flow_working", 965, 190);
  valueAt(svg, "total_standard", 965, 240);
  valueAt(svg, "after_regulator_temperature", 965, 290 - 0);
  box(svg, 1150, 40, 130, 120, "odoriser");
  node("path", { d: `M1215,160 V${Y}`, class: "pipe" }, svg);
  valueAt(svg, "odorant_dose", 1162, 70);
  valueAt(svg, "odorant_level", 1162, 118);
  box(svg, 1230, 250, 150, 120, "outlet");
  valueAt(svg, "outlet_pressure", 1245, 280);
  valueAt(svg, "outlet_temperature", 1245, 328);
  valve(svg, "outlet_esd", 1300, Y, "esd");
  node("text", { x: 30, y: 60, id: "supply-state", class: "val" }, svg, "");
  node("text", { x: 30, y: 84, id: "active-run", class: "label" }, svg, "");
  // safety systems
  node("rect", { x: 20, y: 400, width: 1360, height: 86, class: "box" }, svg);
  node("text", { x: 30, y: 420, "data-i18n": "safety" }, svg, t("safety"));
  (bound.safety || []).forEach((tag, i) => {
    const x = 40 + i * 150;
    node("text", { x, y: 442, class: "label" }, svg, meta[tag]?.name || tag);
    node("rect", { x: x - 14, y: 448, width: 10, height: 16, "data-alarm-for": tag, fill: "none" }, svg);
    node("text", { x, y: 462, class: "val", "data-tag": tag, "data-unit": meta[tag]?.unit || "" }, svg, "—");
  });
  svg.addEventListener("click", (ev) => {
    const tag = ev.target.closest("[data-tag]")?.dataset.tag;
    if (tag) openFaceplate(tag);
  });
  container.appendChild(svg);
  return svg;
}

function update(svg) {
  svg.querySelectorAll("text.val[data-tag]").forEach((el) => {
    const tag = el.dataset.tag, q = qualityOf(tag), v = state.values[tag];
    el.textContent = `${formatValue(v ? v.value : null, el.dataset.unit)} ${el.dataset.unit}${q.words ? ` (${q.words})` : ""}`;
    el.setAttribute("class", `val ${q.cls}`);
  });
  svg.querySelectorAll("rect[data-alarm-for]").forEach((el) => {
    const a = alarmOf(el.dataset.alarmFor);
    el.setAttribute("class", a ? `alarm-p${a.priority}` : "");
    el.setAttribute("fill", a ? "" : "none");
  });
  const bool = (key) => { const v = state.values[bound[key]]; return v && v.quality !== "bad" ? v.value : null; };
  svg.querySelectorAll("g[data-valve]").forEach((g) => {
    const tag = g.dataset.valve;
    const v = state.values[tag];
    const open = v && v.quality !== "bad" ? v.value : null;
    const tripKey = { [bound.slam_a_open]: "slam_a_tripped", [bound.slam_b_open]: "slam_b_tripped" }[tag];
    const tripped = tripKey ? bool(tripKey) : false;
    g.querySelector("path").setAttribute("class", `valve${open === false ? " closed" : ""}${tripped ? " tripped" : ""}`);
    g.querySelector("path").setAttribute("data-state", tripped ? "tripped" : open === null ? "unknown" : open ? "open" : "closed");
  });
  const run = state.values[bound.active_run];
  svg.querySelectorAll("rect[data-run]").forEach((r) =>
    r.setAttribute("class", `box${run && Number(r.dataset.run) === run.value ? " active" : ""}`));
  svg.querySelector("#active-run").textContent = run ? `${t("active_run")}: ${t(run.value === 2 ? "run_b" : "run_a")}` : "";
  const flow = state.values[bound.flow_standard];
  const flowing = flow && flow.quality === "good" && flow.value > (bound.cutoff || 0);
  // one truth with the banner: interrupted while the supply alarm's condition stands; flow
  // under the cut-off before its delay is over is only "not flowing"
  const interrupted = state.alarms.some((a) => a.kind === "supply" && a.active);
  const supply = svg.querySelector("#supply-state");
  const word = interrupted ? "interrupted" : flow ? (flowing ? "flowing" : "not_flowing") : null;
  supply.textContent = `${t("supply")}: ${word ? t(word) : "—"}`;
  supply.setAttribute("class", `val${interrupted ? " alarm-p1" : flow && !flowing ? " alarm-p2" : ""}`);
  supply.dataset.state = word || "unknown";
  svg.querySelector("#main-pipe").setAttribute("class", `pipe${flowing ? " flowing" : ""}`);
}

function drawMini(panel) {
  panel.querySelectorAll("svg[data-trend]").forEach((svg) => {
    const tag = svg.dataset.trend, end = Date.now(), start = end - 2 * 3600e3;
    drawTrend(svg, [{ tag, points: history[tag] || [] }], {
      start, end, width: 420, height: 130, limits: limits[tag] || [], timezone: window.station.timezone, empty: t("no_data"),
    });
  });
}

export async function overviewView(main) {
  main.innerHTML = `<div id="schematic"></div><div class="panel"><h2 data-i18n="trend_2h">${t("trend_2h")}</h2><div class="trends" id="minis"></div></div>`;
  if (!bound) {
    const [hmi, tags, rules] = await Promise.all([api("/api/hmi"), api("/api/tags"), api("/api/alarms/rules")]);
    bound = { ...hmi.schematic, safety: hmi.safety, cutoff: hmi.supply_cutoff };
    bound.trends = hmi.trends;
    for (const tag of tags) meta[tag.id] = { unit: tag.unit, name: tag.name[document.documentElement.lang === "en" ? "en" : "zh"], names: tag.name };
    for (const r of rules) {
      if (r.kind !== "limit" || r.limit === null) continue;
      (limits[r.tag] ||= []).push({ value: r.limit, level: r.id.split(".").pop().toLowerCase() });
    }
  }
  for (const tag of Object.keys(meta)) meta[tag].name = meta[tag].names[document.documentElement.lang === "en" ? "en" : "zh"];
  drawn = build(main.querySelector("#schematic"));
  const minis = main.querySelector("#minis");
  minis.innerHTML = bound.trends.map((tag) =>
    `<div><div class="label">${meta[tag]?.name || tag} (${meta[tag]?.unit || ""})</div><svg data-trend="${tag}"></svg></div>`).join("");
  update(drawn);
  const end = Date.now();
  const body = await api(`/api/history?tags=${bound.trends.join(",")}&start=${new Date(end - 2 * 3600e3).toISOString()}&end=${new Date(end).toISOString()}&step=60&agg=mean`);
  for (const s of seriesOf(body)) history[s.tag] = s.points;
  drawMini(minis);
  const redraw = () => { if (drawn?.isConnected) update(drawn); };
  return { live: redraw, alarms: redraw };
}

// live values extend the mini-trends (one point a minute is enough for two hours)
on("live", (values) => {
  for (const v of values) {
    if (!history[v.tag] || v.quality !== "good" || typeof v.value !== "number") continue;
    const points = history[v.tag], ms = Date.parse(v.ts);
    if (!points.length || ms - points[points.length - 1][0] >= 60e3) points.push([ms, v.value]);
    while (points.length && points[0][0] < ms - 2 * 3600e3) points.shift();
  }
  const minis = document.getElementById("minis");
  if (minis && Date.now() - lastMini > 10e3) { lastMini = Date.now(); drawMini(minis); }
});
