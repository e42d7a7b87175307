// The operator's page: header (station, station time, who is on duty, login, language,
// sound), the alarm banner on every screen, and the views by the address's hash.
import { api, can, logIn, logOut, markExpired, onExpired, onSession, user } from "./api.js";
import { lang, relabel, setLang, t, locale } from "./i18n.js";
import { connect, on, state } from "./stream.js";
import { alarmView, renderBanner, setUpSound, acknowledge } from "./alarms.js";
import { html, showError, timeOf } from "./format.js";
import { overviewView } from "./overview.js";
import { areasView } from "./areas.js";
import { trendsView } from "./trends.js";
import { dutyView } from "./duty.js";
import { reportsView } from "./reports.js";

const VIEWS = { overview: overviewView, areas: areasView, alarms: alarmView, trends: trendsView, duty: dutyView, reports: reportsView };
let refresh = null;
// what the view shown redraws on each kind of push: { live, alarms } (either may be absent)

function who() {
  const el = document.getElementById("who");
  el.innerHTML = user.username && user.expired
    ? html`${user.username} · <span class="expired" data-i18n="session_expired">${t("session_expired")}</span> <button id="login" class="primary" data-i18n="login">${t("login")}</button>`
    : user.username
    ? html`${user.username} · <span data-i18n="${user.role}">${t(user.role)}</span> <span id="session-note" class="warn"></span> <button id="logout" data-i18n="logout">${t("logout")}</button>`
    : html`<span data-i18n="not_logged_in">${t("not_logged_in")}</span> <button id="login" data-i18n="login">${t("login")}</button>`;
  document.body.dataset.role = user.role || "anonymous";
}

function loginDialog() {
  const d = document.getElementById("dialog");
  d.innerHTML = `<form method="dialog"><h3 data-i18n="login">${t("login")}</h3>
    <label data-i18n="username">${t("username")}</label><input name="username" autocomplete="username" required>
    <label data-i18n="password">${t("password")}</label><input name="password" type="password" autocomplete="current-password" required>
    <p class="error" id="login-error"></p>
    <div class="actions"><button value="cancel" formnovalidate data-i18n="cancel">${t("cancel")}</button>
    <button class="primary" value="ok" data-i18n="login">${t("login")}</button></div></form>`;
  d.querySelector("form").addEventListener("submit", async (ev) => {
    if (ev.submitter?.value === "cancel") return;
    ev.preventDefault();
    const form = new FormData(ev.target);
    try { await logIn(form.get("username"), form.get("password")); d.close(); } catch (e) {
      d.querySelector("#login-error").textContent = e.message;
    }
  });
  d.showModal();
}

// One view drawn at a time: a view that awaits the server (the overview's trends) must not
// finish after the one asked for next and take over the pushes with its detached elements
// (a login, a hash change and the language switch each ask for a view).
let showing = Promise.resolve();
function show() {
  showing = showing.then(draw, draw);
  return showing;
}

async function draw() {
  const [name, arg] = (location.hash.slice(1) || "overview").split("/");
  const view = VIEWS[name] ? name : "overview";
  document.querySelectorAll("nav#views a").forEach((a) => a.classList.toggle("on", a.dataset.view === view));
  const main = document.querySelector("main");
  refresh = null;  // pushes while the view is drawn wait for it: it catches up below
  main.replaceChildren();
  main.dataset.view = view;
  try { refresh = await VIEWS[view](main, arg); } catch (e) { showError(main, e.message); refresh = null; }
  refresh?.alarms?.();
  refresh?.live?.();
}

async function onDuty() {
  try {
    const now = await api("/api/duty/now");
    document.getElementById("on-duty").textContent = `${t("on_duty")}: ${now.on_duty.join(", ") || "—"}`;
  } catch (_) { /* shown at the next try */ }
}

function clock() {
  const now = state.now ? new Date(state.now) : new Date();
  document.getElementById("clock").textContent = now.toLocaleString(locale(), { timeZone: window.station.timezone, hour12: false });
  sessionNote(now);
}

// a warning in the header in the session's last 15 minutes of station time, then the expiry
function sessionNote(now) {
  if (!user.token || user.expired || !user.expires || !state.now) return;
  const left = Date.parse(user.expires) - now.getTime();
  if (left <= 0) { markExpired(); return; }
  const note = document.getElementById("session-note");
  if (note) note.textContent = left < 15 * 60e3 ? `${t("session_ends")} ${timeOf(user.expires)}` : "";
}

async function start() {
  window.station = await api("/api/station");
  if (!localStorage.getItem("lang")) setLang(window.station.language);
  document.getElementById("station-name").textContent = window.station.name[lang];
  relabel();
  who();
  document.addEventListener("click", (ev) => {
    if (ev.target.id === "login") loginDialog();
    if (ev.target.id === "logout") logOut();
    const li = ev.target.closest("#banner-list li[data-alarm]");
    if (li && can("operator")) acknowledge([li.dataset.alarm]);
  });
  document.getElementById("lang").addEventListener("click", () => {
    setLang(lang === "zh" ? "en" : "zh");
    document.getElementById("station-name").textContent = window.station.name[lang];
    who(); renderBanner(); show(); onDuty();
  });
  onSession(() => { who(); show(); });
  onExpired(who);
  window.addEventListener("hashchange", show);
  setUpSound();
  on("live", () => refresh?.live?.());
  on("alarms", () => refresh?.alarms?.());
  connect();
  setInterval(clock, 1000);
  setInterval(onDuty, 60e3);
  onDuty();
  await show();
  document.body.dataset.ready = "1";
}

start();
