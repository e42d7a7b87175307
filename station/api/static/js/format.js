// What every view shares to write the page: escaping (the one way text from the server gets
// into HTML), an `html` template that escapes each value it is given, an error shown as text,
// and times in the station's zone and the page's language.
import { locale } from "./i18n.js";

export function esc(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

// html`<b>${name}</b>`: every value escaped, unless it is a fragment made by html`` itself
const SAFE = Symbol("safe");
export function html(strings, ...values) {
  const out = strings.reduce((acc, s, i) => {
    if (i === 0) return s;
    const v = values[i - 1];
    const piece = Array.isArray(v) ? v.map((x) => (x && x[SAFE] ? x.text : esc(x))).join("")
      : v && v[SAFE] ? v.text : esc(v);
    return acc + piece + s;
  }, "");
  return { [SAFE]: true, text: out, toString() { return out; } };
}

export function showError(el, message) {
  const p = document.createElement("p");
  p.className = "error";
  p.textContent = message;
  el.replaceChildren(p);
}

export function timeOf(iso, withDate = false) {
  if (!iso) return "";
  return new Date(iso).toLocaleString(locale(), {
    timeZone: window.station.timezone, hour12: false, hour: "2-digit", minute: "2-digit", second: "2-digit",
    ...(withDate ? { month: "2-digit", day: "2-digit" } : {}),
  });
}
