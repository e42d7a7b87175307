// The service's API with the session's token; who is logged in and what the role allows.
import { t } from "./i18n.js";

const ROLES = ["viewer", "auditor", "operator", "shift_leader", "station_master", "admin"];
// one object the modules share, filled in place on login and emptied on logout
export const user = JSON.parse(sessionStorage.getItem("session") || "null") || {};
const listeners = [];

export function onSession(fn) { listeners.push(fn); }

function setSession(value) {
  Object.keys(user).forEach((k) => delete user[k]);
  Object.assign(user, value || {});
  sessionStorage.setItem("session", JSON.stringify(user));
  listeners.forEach((fn) => fn());
}

const expiry = [];
/** Told when the session runs out (the header redraws; the view stays as it is, so that the
 * refusal it shows stays in sight). */
export function onExpired(fn) { expiry.push(fn); }

export function markExpired() {
  if (user.expired) return;
  user.expired = true;
  sessionStorage.setItem("session", JSON.stringify(user));
  expiry.forEach((fn) => fn());
}

export function can(role) {
  return !!user.role && ROLES.indexOf(user.role) >= ROLES.indexOf(role);
}

export class ApiError extends Error {
  constructor(status, detail) { super(detail); this.status = status; }
}

export async function api(path, options = {}) {
  const headers = { Accept: "application/json" };
  if (user.token) headers.Authorization = `Bearer ${user.token}`;
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch(path, {
    method: options.method || (options.body !== undefined ? "POST" : "GET"),
    headers,
    body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
  });
  if (r.status === 401 && user.token && path !== "/api/login") {
    // the session ran out: said so in the page's language, and the header offers a login
    // (the token is kept: an acknowledgement is never refused for an expired session)
    markExpired();
    throw new ApiError(401, t("session_expired"));
  }
  if (!r.ok) {
    let detail = r.statusText;
    try {
      const body = await r.json();
      detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
    } catch (_) { /* not JSON */ }
    throw new ApiError(r.status, detail);
  }
  if (r.status === 204) return null;
  const type = r.headers.get("content-type") || "";
  return type.includes("json") ? r.json() : r.text();
}

export async function logIn(username, password) {
  const body = await api("/api/login", { body: { username, password } });
  setSession({ token: body.token, username: body.username, role: body.role, expires: body.expires });
}

export async function logOut() {
  try { await api("/api/logout", { method: "POST" }); } catch (_) { /* expired: gone anyway */ }
  setSession(null);
}
