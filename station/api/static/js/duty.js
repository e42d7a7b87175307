// The duties: the duty log (read, write, search), the handover of the shift (draft, sign,
// accept, refuse), the inspection rounds (made for a 1024×768 tablet in the hand), hazards.
import { api, can, user } from "./api.js";
import { t, lang } from "./i18n.js";
import { esc, timeOf } from "./format.js";
import { formatValue } from "./values.js";

const TABS = ["log", "handover", "rounds", "hazards", "fire", "maintenance", "incidents"];

export async function dutyView(main, tab) {
  tab = TABS.includes(tab) ? tab : "log";
  main.innerHTML = `<nav class="sub">${TABS.map((k) =>
    `<a href="#duty/${k}" class="${k === tab ? "on" : ""}" data-i18n="${k}">${t(k)}</a>`).join("")}</nav><div id="duty-body"></div>`;
  const body = main.querySelector("#duty-body");
  await { log: logTab, handover: handoverTab, rounds: roundsTab, hazards: hazardsTab,
    fire: fireTab, maintenance: maintenanceTab, incidents: incidentsTab }[tab](body);
  return null;
}

function failure(el, e) { el.textContent = e.status === 403 ? `${t("need_role")}: ${e.message}` : e.message; }

const WRITTEN = ["operation", "dispatch", "equipment", "safety", "note"];
const CATEGORIES = [...WRITTEN, "correction", "alarm", "system", "handover"];
const PAGE = 100;

/** "2026-12-04 10:00" as typed, to the API's station-time form (it reads naive times in the
 * station's zone), or null when empty; anything else is refused by the API with a reason. */
function stationInput(text) {
  const v = (text || "").trim();
  return v ? v.replace(" ", "T") : null;
}

async function logTab(body) {
  body.innerHTML = `<div class="panel">${can("operator") ? `<form id="log-write" class="filters">
      <select name="category">${WRITTEN.map((c) => `<option value="${c}">${t(`cat_${c}`)}</option>`).join("")}</select>
      <input name="text" required maxlength="4000" size="60"><button class="primary" data-i18n="write">${t("write")}</button>
      <span class="error" id="log-error"></span></form>` : ""}
    <form id="log-search" class="filters">
      <select name="category"><option value="">${t("all")}</option>${CATEGORIES.map((c) => `<option value="${c}">${t(`cat_${c}`)}</option>`).join("")}</select>
      <label>${t("from")} <input name="start" size="16" placeholder="${t("time_hint")}"></label>
      <label>${t("to")} <input name="end" size="16" placeholder="${t("time_hint")}"></label>
      <input name="text" size="24"><button data-i18n="search">${t("search")}</button>
      <span class="error" id="log-filter-error"></span></form>
    <table><thead><tr><th>${t("time")}</th><th>${t("category")}</th><th>${t("username")}</th><th>${t("text")}</th></tr></thead>
    <tbody id="log-rows"></tbody></table>
    <p class="empty" id="log-empty" hidden>${t("no_entries")}</p>
    <button id="log-older" hidden>${t("older")}</button></div>`;
  const rowsEl = body.querySelector("#log-rows"), older = body.querySelector("#log-older");
  let query = "", shown = 0;
  const row = (e) => `<tr data-id="${e.id}"><td>${timeOf(e.event_time, true)}</td><td>${esc(t(`cat_${e.category}`))}</td>` +
    `<td>${esc(e.author)}</td><td>${esc(e.text)}</td></tr>`;
  // newest first; "older" fetches the next page back (the view after a write starts again
  // from the newest, so the write is the first row)
  const load = async (more = false) => {
    if (!more) shown = 0;
    const rows = await api(`/api/duty/log?order=newest&limit=${PAGE}&offset=${shown}${query}`);
    if (!more) rowsEl.innerHTML = "";
    rowsEl.insertAdjacentHTML("beforeend", rows.map(row).join(""));
    shown += rows.length;
    older.hidden = rows.length < PAGE;
    body.querySelector("#log-empty").hidden = shown > 0;
  };
  body.querySelector("#log-search").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const form = new FormData(ev.target), q = new URLSearchParams();
    for (const k of ["category", "text"]) if (form.get(k)) q.set(k, form.get(k));
    for (const k of ["start", "end"]) { const v = stationInput(form.get(k)); if (v) q.set(k, v); }
    query = q.toString() ? `&${q}` : "";
    const err = body.querySelector("#log-filter-error");
    err.textContent = "";
    try { await load(); } catch (e) { failure(err, e); }
  });
  older.addEventListener("click", () => load(true));
  body.querySelector("#log-write")?.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const form = new FormData(ev.target);
    try {
      await api("/api/duty/log", { body: { category: form.get("category"), text: form.get("text") } });
      // the filters are cleared so that the entry just written is the first row shown
      ev.target.reset(); body.querySelector("#log-search").reset(); query = ""; await load();
    } catch (e) { failure(body.querySelector("#log-error"), e); }
  });
  await load();
}

async function handoverTab(body) {
  const now = await api("/api/duty/now");
  // the handover waiting: the previous shift's until accepted, else the one under way
  const shift = now.previous_handover !== "accepted" && now.previous_handover !== "none" ? now.previous_shift || now.shift : now.shift;
  const [h, tags] = await Promise.all([api(`/api/duty/handovers/${shift}`), api("/api/tags")]);
  const unit = Object.fromEntries(tags.map((x) => [x.id, x.unit]));
  const notes = ["operating_mode", "problems", "instructions"];
  const d = h.draft || {};
  body.innerHTML = `<div class="panel" data-handover="${esc(h.shift)}"><h2>${t("handover")} · ${esc(h.shift)} · <span id="ho-state">${t(`ho_${h.state}`)}</span></h2>
    <p>${esc(h.outgoing.join(", "))} → ${esc(h.incoming.join(", "))}</p>
    <div class="grid2"><div><table>${(d.readings || []).concat(d.totals || []).map((r) =>
      `<tr><td>${esc(r.tag)}</td><td class="num">${formatValue(r.value, unit[r.tag])} ${esc(unit[r.tag] || "")}</td>
       <td>${r.ts_ms ? timeOf(new Date(r.ts_ms).toISOString()) : ""}</td></tr>`).join("")}</table></div>
    <div><p>${t("alarms")}: ${(d.alarms?.raised || []).length} · ${t("unacknowledged")}: ${(d.alarms?.unacknowledged || []).length}</p>
      <p>${t("hazards")}: ${(d.hazards || []).map((x) => esc(x.text)).join("; ") || t("none")}</p>
      <p>${t("rounds")}: ${t("done")} ${(d.rounds?.done || []).length} · ${t("missed")} ${(d.rounds?.missed || []).length}</p>
      <ol>${h.steps.map((s) => `<li>${timeOf(s.ts, true)} ${t(`ho_${s.step}`)} · ${esc(s.user)}${s.reason ? ` · ${esc(s.reason)}` : ""}</li>`).join("")}</ol></div></div>
    ${can("operator") ? `<form id="ho-sign">${notes.map((k) => `<label data-i18n="${k}">${t(k)}</label><textarea name="${k}" rows="2" maxlength="4000"></textarea>`).join("")}
      <div class="actions"><button class="primary" value="sign" data-i18n="sign">${t("sign")}</button>
      <button value="accept" data-i18n="accept">${t("accept")}</button>
      <input name="reason" placeholder="${t("reason")}" maxlength="4000" size="30">
      <button value="refuse" data-i18n="refuse">${t("refuse")}</button></div><p class="error" id="ho-error"></p></form>` : ""}</div>`;
  body.querySelector("#ho-sign")?.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const form = new FormData(ev.target), what = ev.submitter.value;
    const url = `/api/duty/handovers/${h.shift}/${what}`;
    try {
      if (what === "sign") {
        const picked = Object.fromEntries(notes.map((k) => [k, form.get(k)]).filter(([, v]) => v));
        await api(url, { body: { notes: picked } });
      } else if (what === "refuse") {
        await api(url, { body: { reason: form.get("reason") } });
      } else {
        await api(url, { method: "POST" });
      }
      await handoverTab(body);
    } catch (e) { failure(body.querySelector("#ho-error"), e); }
  });
}

async function roundsTab(body) {
  body.classList.add("tablet");
  const rounds = await api("/api/duty/rounds");
  body.innerHTML = rounds.map((r) => `<div class="panel" data-round="${r.id ?? ""}">
      <h2>${esc(r.name)} · ${timeOf(r.due)} · <span class="state">${t(r.state)}</span></h2>
      ${r.id && can("operator") && !r.started_by && ["due", "overdue"].includes(r.state) ? `<button class="primary" data-start="${r.id}" data-i18n="start">${t("start")}</button>` : ""}
      ${r.state === "in_progress" || (r.started_by && !r.done_by) ? `<table>${r.items.map((item) => {
        const done = r.results.find((x) => x.item === item.id);
        return `<tr data-item="${esc(item.id)}"><td>${esc(item.name)}</td><td>${done ? (done.ok ? "✓" : "✗") + (done.reading !== null ? ` ${done.reading}` : "") + (done.flagged ? " ⚠" : "")
          : `${item.tag ? `<input type="number" step="any" name="reading" size="7" placeholder="${t("reading")}">` : ""}
             <input name="note" size="16" placeholder="${t("note")}">
             <button data-ok="1">OK</button><button data-ok="0">✗</button>`}</td></tr>`;
      }).join("")}</table><button class="primary" data-complete="${r.id}" data-i18n="complete">${t("complete")}</button>` : ""}
      <p class="error"></p></div>`).join("") || `<p class="muted">${t("none")}</p>`;
  body.onclick = async (ev) => {
    const b = ev.target.closest("button");
    if (!b) return;
    const panel = b.closest("[data-round]"), id = panel.dataset.round;
    try {
      if (b.dataset.start) await api(`/api/duty/rounds/${id}/start`, { method: "POST" });
      if (b.dataset.complete) await api(`/api/duty/rounds/${id}/complete`, { method: "POST" });
      if (b.dataset.ok !== undefined) {
        const row = b.closest("tr"), reading = row.querySelector("[name=reading]")?.value;
        await api(`/api/duty/rounds/${id}/items`, { body: {
          item: row.dataset.item, ok: b.dataset.ok === "1", reading: reading ? Number(reading) : null,
          note: row.querySelector("[name=note]").value || null } });
      }
      await roundsTab(body);
    } catch (e) { failure(panel.querySelector(".error"), e); }
  };
}

async function hazardsTab(body) {
  const rows = await api("/api/duty/hazards?limit=200");
  body.innerHTML = `<div class="panel"><table><thead><tr><th>#</th><th>${t("time")}</th><th>${t("text")}</th><th>${t("severity")}</th>
    <th>${t("deadline")}</th><th>${t("state")}</th></tr></thead><tbody>${rows.map((h) =>
    `<tr class="${h.overdue && !h.closed ? "unacked p2" : ""}"><td>${h.id}</td><td>${timeOf(h.opened, true)}</td><td>${esc(h.text)}</td>
     <td>${esc(h.severity)}</td><td>${timeOf(h.deadline, true)}</td><td>${h.closed ? `${esc(h.closed_by)}: ${esc(h.action)}` : t("open")}</td></tr>`).join("")}
    </tbody></table></div>`;
}

async function fireTab(body) {
  const rows = await api("/api/duty/fire");
  body.innerHTML = `<div class="panel"><table><thead><tr><th>${t("item")}</th><th>${t("kind")}</th><th>${t("location")}</th>
    <th>${t("expiry")}</th><th>${t("flags")}</th><th>${t("last_check")}</th><th></th></tr></thead><tbody>${rows.map((e) =>
    `<tr data-equipment="${esc(e.id)}" class="${e.flags.length ? "unacked p3" : ""}"><td>${esc(e.id)}</td><td>${esc(e.type || e.kind)}</td>
     <td>${esc(e.location)}</td><td>${esc(e.expiry || "—")}</td><td>${e.flags.map((f) => t(f)).join(", ")}</td>
     <td>${e.last_check ? `${timeOf(e.last_check, true)} ${esc(e.last_checked_by)}` : "—"}</td>
     <td>${can("operator") ? `<input name="pressure" type="number" step="0.01" size="5" placeholder="MPa">
       <button data-ok="1">OK</button><button data-ok="0">✗</button>` : ""}</td></tr>`).join("")}</tbody></table>
    <p class="error"></p></div>`;
  body.onclick = async (ev) => {
    const b = ev.target.closest("button[data-ok]");
    if (!b) return;
    const row = b.closest("tr"), pressure = row.querySelector("[name=pressure]").value;
    try {
      await api(`/api/duty/fire/${row.dataset.equipment}/checks`, { body: {
        ok: b.dataset.ok === "1", pressure_mpa: pressure ? Number(pressure) : null } });
      await fireTab(body);
    } catch (e) { failure(body.querySelector(".error"), e); }
  };
}

async function maintenanceTab(body) {
  const [plans, hints] = await Promise.all([api("/api/duty/maintenance"), api("/api/duty/maintenance/suggestions")]);
  body.innerHTML = `<div class="panel"><table><thead><tr><th>${t("item")}</th><th>${t("name")}</th><th>${t("last_done")}</th>
    <th>${t("next_due")}</th><th></th></tr></thead><tbody>${plans.map((p) =>
    `<tr data-plan="${esc(p.id)}" class="${p.overdue ? "unacked p3" : ""}"><td>${esc(p.equipment)}</td><td>${esc(p.name)}</td>
     <td>${esc(p.last_done || "—")}</td><td>${esc(p.next_due)}${p.overdue ? ` · ${t("overdue")}` : ""}</td>
     <td>${can("operator") ? `<input name="text" size="24" placeholder="${t("note")}"><button data-done="1">${t("done")}</button>` : ""}</td></tr>`).join("")}
    </tbody></table><h2>${t("suggestions")}</h2><table>${hints.map((h) =>
    `<tr><td>${esc(h.name)}</td><td>${esc(h.tag)}</td><td class="num">${h.value_now === null ? "—" : h.value_now.toFixed(1)} → ${h.limit}</td>
     <td>${h.projected ? timeOf(h.projected, true) : "—"}</td></tr>`).join("")}</table><p class="error"></p></div>`;
  body.onclick = async (ev) => {
    const b = ev.target.closest("button[data-done]");
    if (!b) return;
    const row = b.closest("tr");
    try {
      await api(`/api/duty/maintenance/${row.dataset.plan}/done`, { body: { text: row.querySelector("[name=text]").value || "done" } });
      await maintenanceTab(body);
    } catch (e) { failure(body.querySelector(".error"), e); }
  };
}

async function incidentsTab(body) {
  const rows = await api("/api/duty/incidents");
  body.innerHTML = `<div class="panel">${can("operator") ? `<form id="incident" class="filters">
      <input name="what" required maxlength="4000" size="40" placeholder="${t("what")}">
      <input name="actions" required maxlength="4000" size="40" placeholder="${t("actions")}">
      <label><input type="checkbox" name="notify" value="fire"> 119</label>
      <label><input type="checkbox" name="notify" value="police"> 110</label>
      <label><input type="checkbox" name="notify" value="ambulance"> 120</label>
      <button class="primary">${t("report_incident")}</button></form>` : ""}
    <table><tbody>${rows.map((i) => `<tr data-incident="${i.id}" class="${i.closed ? "" : "unacked p1"}"><td>#${i.id}</td>
      <td>${timeOf(i.happened || i.opened, true)}</td><td>${esc(i.what)}</td><td>${esc(i.actions)}</td>
      <td>${esc(i.notified.join(", "))}</td><td>${i.closed ? `${esc(i.closed_by)}: ${esc(i.summary)}`
        : can("station_master") ? `<input name="summary" size="20" placeholder="${t("summary")}"><button data-close="1">${t("close")}</button>` : t("open")}</td></tr>`).join("")}
    </tbody></table><p class="error"></p></div>`;
  body.querySelector("#incident")?.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const form = new FormData(ev.target);
    try {
      await api("/api/duty/incidents", { body: { what: form.get("what"), actions: form.get("actions"), notify: form.getAll("notify") } });
      await incidentsTab(body);
    } catch (e) { failure(body.querySelector(".error"), e); }
  });
  body.onclick = async (ev) => {
    const b = ev.target.closest("button[data-close]");
    if (!b) return;
    const row = b.closest("tr");
    try {
      await api(`/api/duty/incidents/${row.dataset.incident}/close`, { body: { summary: row.querySelector("[name=summary]").value } });
      await incidentsTab(body);
    } catch (e) { failure(body.querySelector(".error"), e); }
  };
}
