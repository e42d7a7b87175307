// Level 2: every tag of an area (from the station config's `hmi.areas`) with its limits and
// alarm state; a row opens the tag's faceplate.
import { api } from "./api.js";
import { t, lang } from "./i18n.js";
import { state } from "./stream.js";
import { esc, timeOf } from "./format.js";
import { alarmOf, formatValue, qualityOf } from "./values.js";
import { openFaceplate } from "./faceplate.js";

let cache = null;

export async function areasView(main, which) {
  if (!cache) {
    const [hmi, tags, rules] = await Promise.all([api("/api/hmi"), api("/api/tags"), api("/api/alarms/rules")]);
    cache = { hmi, tags: Object.fromEntries(tags.map((x) => [x.id, x])), rules };
  }
  const areas = cache.hmi.areas;
  const area = areas.find((a) => a.id === which) || areas[0];
  main.innerHTML = `<nav class="sub">${areas.map((a) =>
      `<a href="#areas/${esc(a.id)}" class="${a === area ? "on" : ""}">${esc(a.name[lang])}</a>`).join("")}</nav>
    <div class="panel"><table id="area-table"><thead><tr><th>${t("tag")}</th><th>${t("name")}</th>
    <th class="num">${t("value")}</th><th>${t("unit")}</th><th>${t("quality")}</th><th>${t("limits")}</th>
    <th>${t("alarm")}</th><th>${t("time")}</th></tr></thead><tbody></tbody></table></div>`;
  const limits = (tag) => cache.rules.filter((r) => r.tag === tag && r.kind === "limit" && r.limit !== null)
    .map((r) => `${r.id.split(".").pop()} ${r.limit}`).join(" · ");
  const body = main.querySelector("tbody");
  const tags = area ? area.tags : [];
  body.innerHTML = tags.map((tag) => {
    const info = cache.tags[tag] || { name: { zh: tag, en: tag }, unit: "" };
    return `<tr data-tag="${esc(tag)}"><td>${esc(tag)}</td><td>${esc(info.name[lang])}</td>
      <td class="num"><span class="val"></span></td><td>${esc(info.unit)}</td><td class="q"></td>
      <td>${esc(limits(tag))}</td><td class="a"></td><td class="t"></td></tr>`;
  }).join("");
  // drawn once; a live update rewrites the cells in place (500 rows: a few ms, not a re-parse)
  const rows = [...body.querySelectorAll("tr")].map((tr, i) => ({
    tag: tags[i], unit: (cache.tags[tags[i]] || { unit: "" }).unit,
    val: tr.querySelector(".val"), q: tr.querySelector(".q"), a: tr.querySelector(".a"), t: tr.querySelector(".t"),
    shown: null,
  }));
  const draw = () => {
    for (const row of rows) {
      const v = state.values[row.tag], q = qualityOf(row.tag), a = alarmOf(row.tag);
      const key = `${v ? v.value : ""}|${q.cls}|${a ? a.id + a.state : ""}|${v ? v.ts : ""}`;
      if (key === row.shown) continue;
      row.shown = key;
      row.val.textContent = formatValue(v ? v.value : null, row.unit);
      row.val.className = `val ${q.cls}${a ? ` alarm-p${a.priority}` : ""}`;
      row.q.textContent = q.words || t("good");
      row.a.innerHTML = a ? `<span class="prio p${a.priority}">P${a.priority}</span>${esc(a.id)} · ${t(a.state)}` : "";
      row.t.textContent = v ? timeOf(v.ts) : "";
    }
  };
  body.addEventListener("click", (ev) => {
    const tag = ev.target.closest("tr[data-tag]")?.dataset.tag;
    if (tag) openFaceplate(tag);
  });
  draw();
  return { live: draw, alarms: draw };
}
