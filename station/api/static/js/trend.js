// Trends drawn as SVG by this page's own code: lines per tag, the alarm limits dashed, time
// on the x axis in the station's zone. Zoom by dragging a range, pan with the arrows.
import { locale } from "./i18n.js";

const NS = "http://www.w3.org/2000/svg";
const COLOURS = ["#1f4e79", "#7a3e00", "#2e6b30", "#6a2c70", "#3d4248", "#8a6d00"];

function el(name, attrs, parent) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}

function niceRange(lo, hi) {
  if (!(hi > lo)) { const pad = Math.abs(lo) * 0.05 || 1; return [lo - pad, hi + pad]; }
  const pad = (hi - lo) * 0.08;
  return [lo - pad, hi + pad];
}

// series: [{tag, unit, points: [[ms, value|null], ...]}]; limits: [{value, level}] (one axis)
export function drawTrend(svg, series, opts) {
  const w = opts.width || 600, h = opts.height || 180;
  const m = { l: 52, r: 10, t: 8, b: 22 };
  svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
  svg.setAttribute("class", "trend");
  svg.replaceChildren();
  const start = opts.start, end = opts.end;
  const values = series.flatMap((s) => s.points.map((p) => p[1]).filter((v) => v !== null));
  (opts.limits || []).forEach((l) => values.push(l.value));
  if (!values.length) {
    el("text", { x: w / 2, y: h / 2, "text-anchor": "middle", class: "label" }, svg).textContent = opts.empty || "—";
    return;
  }
  const [lo, hi] = niceRange(Math.min(...values), Math.max(...values));
  const x = (ms) => m.l + ((ms - start) / (end - start)) * (w - m.l - m.r);
  const y = (v) => h - m.b - ((v - lo) / (hi - lo)) * (h - m.t - m.b);
  el("rect", { x: m.l, y: m.t, width: w - m.l - m.r, height: h - m.t - m.b, fill: "#f4f5f6", stroke: "#b9bdc2" }, svg);
  for (let i = 0; i <= 4; i++) {
    const v = lo + ((hi - lo) * i) / 4;
    el("text", { x: m.l - 4, y: y(v) + 4, "text-anchor": "end", class: "label" }, svg).textContent =
      Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(Math.abs(v) >= 10 ? 1 : 3);
  }
  const fmt = new Intl.DateTimeFormat(locale(), { timeZone: opts.timezone, hour: "2-digit", minute: "2-digit",
    ...(end - start > 2 * 86400e3 ? { month: "2-digit", day: "2-digit" } : {}) });
  for (let i = 0; i <= 4; i++) {
    const ms = start + ((end - start) * i) / 4;
    const anchor = i === 0 ? "start" : i === 4 ? "end" : "middle";
    el("text", { x: x(ms), y: h - 6, "text-anchor": anchor, class: "label" }, svg).textContent = fmt.format(new Date(ms));
  }
  for (const l of opts.limits || []) {
    el("line", { x1: m.l, x2: w - m.r, y1: y(l.value), y2: y(l.value), class: `limit ${l.level}` }, svg);
  }
  series.forEach((s, i) => {
    let d = "", pen = false;
    for (const [ms, v] of s.points) {
      if (v === null || ms < start || ms > end) { pen = false; continue; }  // a gap stays a gap
      d += `${pen ? "L" : "M"}${x(ms).toFixed(1)},${y(v).toFixed(1)}`;
      pen = true;
    }
    el("path", { d, class: "spark", stroke: COLOURS[i % COLOURS.length], "data-tag": s.tag }, svg);
  });
}

// history API → series points
export function seriesOf(body) {
  return body.series.map((s) => ({
    tag: s.tag, unit: s.unit, points: s.points.map((p) => [Date.parse(p.ts), p.value]),
  }));
}
