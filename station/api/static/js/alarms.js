// The alarm banner on every screen and the alarm list: newest unacknowledged first by
// priority, flashing and audible for priorities 1–2 (muted per browser, and the page says so),
// acknowledge with a comment, shelve with a reason and a duration; the first-out cause shown.
import { api, can } from "./api.js";
import { t, lang } from "./i18n.js";
import { esc, timeOf } from "./format.js";
import { state, on } from "./stream.js";

const ACTIVE = new Set(["unacknowledged", "acknowledged", "rtn_unacknowledged", "latched"]);
let audio = null;
let muted = localStorage.getItem("muted") === "1";

function text(a) { return lang === "zh" ? a.text_zh : a.text_en; }

// a first-out cause key in the page's language, as the service words it
function causeWords(key) {
  const words = window.station?.first_out_causes?.[key];
  return words ? words[lang] : key;
}

// unacknowledged first, then by priority, newest first
export function ordered(alarms) {
  return alarms.filter((a) => ACTIVE.has(a.state)).sort((a, b) =>
    (a.acked - b.acked) || (a.priority - b.priority) || String(b.raised).localeCompare(String(a.raised)));
}

function loud(alarms) {
  return alarms.some((a) => !a.acked && a.priority <= 2 && ACTIVE.has(a.state));
}

function beep() {
  if (muted || !audio) return;
  const osc = audio.createOscillator(), gain = audio.createGain();
  osc.frequency.value = 880; gain.gain.value = 0.15;
  osc.connect(gain).connect(audio.destination);
  osc.start(); osc.stop(audio.currentTime + 0.35);
}

function soundButton() {
  const b = document.getElementById("sound");
  const blocked = !audio || audio.state !== "running";
  b.textContent = muted ? t("sound_off") : blocked ? t("sound_blocked") : t("sound_on");
  b.classList.toggle("primary", !muted && blocked && loud(state.alarms));
}

export function setUpSound() {
  const b = document.getElementById("sound");
  const wake = () => {
    if (!audio) audio = new AudioContext();
    if (audio.state !== "running") audio.resume();
    setTimeout(soundButton, 100);
  };
  document.addEventListener("pointerdown", wake, { once: true });
  b.addEventListener("click", () => {
    if (!audio || audio.state !== "running") { wake(); return; }
    muted = !muted;
    localStorage.setItem("muted", muted ? "1" : "0");
    soundButton();
  });
  setInterval(() => { if (loud(state.alarms)) beep(); soundButton(); }, 2000);
  soundButton();
}

export function renderBanner() {
  const all = ordered(state.alarms);
  const counts = [1, 2, 3, 4].map((p) => all.filter((a) => a.priority === p && !a.acked).length);
  const unacked = all.filter((a) => !a.acked);
  document.getElementById("banner-counts").innerHTML = counts.map((n, i) =>
    `<span class="count p${i + 1}${n ? " n" : ""}" title="P${i + 1}">${n}</span>`).join("");
  document.getElementById("banner-list").innerHTML = unacked.length
    ? unacked.slice(0, 3).map((a) => {
      // returned to normal and not yet acknowledged: drawn apart (ISA-18.2's RTN), saying so
      const rtn = !a.active;
      return `<li class="unacked p${a.priority}${rtn ? " rtn" : ""}${a.kind === "supply" && a.cause && !rtn ? " first-out" : ""}" data-alarm="${esc(a.id)}" data-state="${esc(a.state)}">
        <span class="prio p${a.priority}">P${a.priority}</span>${timeOf(a.raised)} · ${esc(a.id)} · ${esc(text(a))}
        ${a.kind === "supply" && a.cause ? ` · <b>${t("cause")}: ${esc(causeWords(a.cause))}</b>` : ""}
        ${rtn ? ` · <span class="rtn-word">${t("rtn_unacknowledged")}</span>` : ""}</li>`;
    }).join("")
    : `<li class="calm">${t("no_alarms")}</li>`;
  soundButton();
}

function dialog(title, fields, submit) {
  const d = document.getElementById("dialog");
  d.innerHTML = `<form method="dialog"><h3>${esc(title)}</h3>${fields}
    <p class="error" id="dialog-error"></p>
    <div class="actions"><button value="cancel" formnovalidate>${t("cancel")}</button>
    <button class="primary" value="ok" id="dialog-ok">${t("ok")}</button></div></form>`;
  const form = d.querySelector("form");
  form.addEventListener("submit", async (ev) => {
    if (ev.submitter && ev.submitter.value === "cancel") return;
    ev.preventDefault();
    try { await submit(new FormData(form)); d.close(); } catch (e) {
      d.querySelector("#dialog-error").textContent = e.message;
    }
  });
  d.showModal();
}

export function acknowledge(ids) {
  dialog(`${t("ack_title")}: ${ids.join(", ")}`,
    `<label>${t("comment")}</label><input name="comment" maxlength="500" autofocus>`,
    (form) => api("/api/alarms/ack", { body: { ids, comment: form.get("comment") || null } }));
}

export function shelve(id) {
  dialog(`${t("shelve_title")}: ${id}`,
    `<label>${t("reason")}</label><input name="reason" required minlength="1" maxlength="500" autofocus>
     <label>${t("duration")}</label><input name="minutes" type="number" min="1" max="1440" value="60" required>`,
    (form) => api(`/api/alarms/${encodeURIComponent(id)}/shelve`, {
      body: { reason: form.get("reason"), duration_s: Number(form.get("minutes")) * 60 } }));
}

export function alarmView(main) {
  main.innerHTML = `<div class="panel"><div class="filters">
      <label>${t("priority")} <select id="f-prio"><option value="">${t("all")}</option>
        <option>1</option><option>2</option><option>3</option><option>4</option></select></label>
      <label>${t("filter")} <input id="f-text" size="24"></label>
      <label><input type="checkbox" id="f-all"> ${t("shelved")} / ${t("suppressed")} / ${t("out_of_service")}</label>
    </div><table id="alarm-table"><thead><tr><th>${t("priority")}</th><th>${t("time")}</th><th>${t("alarm")}</th>
      <th>${t("text")}</th><th>${t("state")}</th><th>${t("acked_by")}</th><th></th></tr></thead><tbody></tbody></table></div>`;
  const body = main.querySelector("tbody");
  const draw = () => {
    const prio = main.querySelector("#f-prio").value, needle = main.querySelector("#f-text").value.toLowerCase();
    const every = main.querySelector("#f-all").checked;
    const rows = (every ? [...ordered(state.alarms), ...state.alarms.filter((a) => !ACTIVE.has(a.state))] : ordered(state.alarms))
      .filter((a) => !prio || a.priority === Number(prio))
      .filter((a) => !needle || `${a.id} ${text(a)}`.toLowerCase().includes(needle));
    const act = can("operator");
    body.innerHTML = rows.map((a) => `<tr class="${a.acked ? "" : "unacked"} p${a.priority}${a.kind === "supply" && a.cause ? " first-out" : ""}" data-alarm="${esc(a.id)}">
      <td><span class="prio p${a.priority}">P${a.priority}</span></td><td>${timeOf(a.raised, true)}</td><td>${esc(a.id)}</td>
      <td>${esc(text(a))}${a.kind === "supply" && a.cause ? ` · <b>${t("cause")}: ${esc(causeWords(a.cause))}</b>` : ""}</td><td>${t(a.state)}</td>
      <td>${esc(a.acked_by || "")}</td>
      <td>${act && !a.acked ? `<button data-ack="${esc(a.id)}">${t("acknowledge")}</button>` : ""}
          ${act && ACTIVE.has(a.state) ? `<button data-shelve="${esc(a.id)}">${t("shelve")}</button>` : ""}</td></tr>`).join("")
      || `<tr><td colspan="7" class="muted">${t("no_alarms")}</td></tr>`;
  };
  main.querySelectorAll("select, input").forEach((i) => i.addEventListener("input", draw));
  body.addEventListener("click", (ev) => {
    const b = ev.target.closest("button");
    if (b?.dataset.ack) acknowledge([b.dataset.ack]);
    if (b?.dataset.shelve) shelve(b.dataset.shelve);
  });
  draw();
  return { alarms: draw };  // live values do not change this list: its buttons stay put
}

on("alarms", renderBanner);
