// The reports: every version with its state; open (in the page's language), download PDF or
// XLSX, review (shift leader) and sign (station master).
import { api, can } from "./api.js";
import { t, lang } from "./i18n.js";
import { esc, timeOf } from "./format.js";

export async function reportsView(main) {
  const rows = await api("/api/reports");
  const latest = new Map();
  for (const r of rows) latest.set(`${r.kind}/${r.period}`, r);
  const list = [...latest.values()].sort((a, b) => b.generated.localeCompare(a.generated)).slice(0, 200);
  main.innerHTML = `<div class="panel"><table id="report-table"><thead><tr><th>${t("kind")}</th><th>${t("period")}</th>
    <th>${t("version")}</th><th>${t("status")}</th><th></th></tr></thead><tbody>${list.map((r) => {
      const base = `/api/reports/${r.kind}/${encodeURIComponent(r.period)}`;
      return `<tr data-report="${esc(r.kind)}/${esc(r.period)}"><td>${esc(r.kind)}</td><td>${esc(r.period)}</td><td>v${r.version}</td>
        <td>${t(r.status)}${r.signed_by ? ` · ${esc(r.signed_by)}` : ""}</td>
        <td><a href="${base}/html?lang=${lang}&version=${r.version}" target="_blank">HTML</a> ·
            <a href="${base}/pdf?lang=${lang}&version=${r.version}" download>PDF</a> ·
            <a href="${base}/xlsx?lang=${lang}&version=${r.version}" download>XLSX</a>
            ${r.status === "generated" && can("shift_leader") ? `<button data-act="review" data-v="${r.version}">${t("review")}</button>` : ""}
            ${r.status === "reviewed" && can("station_master") ? `<button data-act="sign" data-v="${r.version}">${t("sign")}</button>` : ""}
        </td></tr>`;
    }).join("")}</tbody></table><p class="error" id="report-error"></p></div>`;
  main.querySelector("tbody").addEventListener("click", async (ev) => {
    const b = ev.target.closest("button");
    if (!b) return;
    const [kind, period] = b.closest("tr").dataset.report.split(/\/(.*)/);
    try {
      await api(`/api/reports/${kind}/${encodeURIComponent(period)}/${b.dataset.act}`, { body: { version: Number(b.dataset.v) } });
      await reportsView(main);
    } catch (e) { main.querySelector("#report-error").textContent = e.message; }
  });
  return null;
}
