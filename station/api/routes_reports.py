"""Production and safety reports over HTTP: list, read (JSON or HTML), generate, review, sign,
correct. The rules are in `station.reports.service` (review and signature in
`station.reports.signoff`); generation runs on a worker thread (bounded with the other heavy
queries), rendering in the worker process, never on a loop."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import HTTPException, Path, Query
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from station.api.access import guarded_router
from station.api.deps import Actor, Heavy, Reports, acting
from station.api.schemas.reports import (
    CONTENT_OF,
    CorrectionIn,
    HourlyOut,
    HourOut,
    HourVersionOut,
    PlanIn,
    PlanOut,
    ReportContentOut,
    ReportOut,
    VersionIn,
)
from station.api.timefmt import from_ms
from station.calendar import Period
from station.refusals import Unknown
from station.reports.archive import StoredReport
from station.reports.document import ReportDocument
from station.reports.service import ReportService
from station.users import Role

router = guarded_router(tags=["reports"])
Kind = Literal["shift", "daily", "monthly", "safety-weekly", "safety-monthly"]
PeriodText = Annotated[
    str,
    Path(
        pattern=r"^\d{4}-(\d{2}(-\d{2}(T\d{2}:\d{2})?)?|W\d{2})$",
        description="the shift's local start (YYYY-MM-DDTHH:MM), the gas day (YYYY-MM-DD), "
        "the gas month (YYYY-MM) or the gas week (YYYY-Www, safety-weekly)",
    ),
]
MonthText = Annotated[str, Path(pattern=r"^\d{4}-\d{2}$", description="the gas month")]
DayText = Annotated[str, Path(pattern=r"^\d{4}-\d{2}-\d{2}$", description="the gas day")]
Version = Annotated[int | None, Query(ge=1, le=1_000_000)]
ACTION: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such report or version"},
    409: {"description": "not possible in the report's state"},
    401: {"description": "not logged in"},
    403: {"description": "role too low"},
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _out(r: StoredReport) -> ReportOut:
    return ReportOut(
        kind=r.kind,
        period=r.period,
        version=r.version,
        status=r.status,
        hash=r.hash,
        generated=from_ms(r.generated_ms).isoformat(),
        replaces=r.replaces,
        reason=r.reason,
        reviewed_by=r.reviewed_by,
        signed_by=r.signed_by,
        signed=from_ms(r.signed_ms).isoformat() if r.signed_ms else None,
        audit_anchor=r.audit_anchor,
    )


def _period(reports: ReportService, kind: str, text: str) -> Period:
    """The period a report names, or 400 saying what is wrong with the name."""
    try:
        return reports.period(kind, text)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None


def _find(reports: ReportService, kind: str, period: str, version: int | None) -> StoredReport:
    try:
        return reports.find(kind, period, version)
    except Unknown as exc:
        raise HTTPException(404, exc.why) from None


async def _rendered(
    reports: ReportService, kind: str, period: str, version: int | None, lang: str | None, fmt: str
) -> tuple[ReportDocument, bytes]:
    try:
        return await reports.rendered(kind, period, version, lang, fmt)
    except Unknown as exc:
        raise HTTPException(404, exc.why) from None


def _download(doc: ReportDocument, body: bytes, fmt: str, media_type: str) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{doc.file_name(fmt)}"'},
    )


@router.get("/api/reports/plans/{month}", response_model=PlanOut)
def read_plan(reports: Reports, month: MonthText) -> PlanOut:
    return PlanOut(month=month, plans=reports.plans(month))


@router.put(
    "/api/reports/plans/{month}",
    response_model=PlanOut,
    responses={**ACTION, 400: {"description": "unknown meter run or month"}},
)
def enter_plan(
    reports: Reports,
    month: MonthText,
    body: PlanIn,
    actor: Annotated[Actor, acting(Role.station_master, "report.plan")],
) -> PlanOut:
    """The month's planned supply per meter run: the monthly report sets actual against it."""
    try:
        old = reports.set_plan(month, body.run, body.standard_volume, actor.name)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    actor.ok(f"{month}/{body.run}", old=old, new=body.standard_volume)
    return read_plan(reports, month)


@router.get(
    "/api/reports/hourly/{run}/{day}",
    response_model=HourlyOut,
    responses={404: {"description": "no such meter run"}},
)
def hourly_records(
    reports: Reports, run: Annotated[str, Path(max_length=40)], day: DayText
) -> HourlyOut:
    """The kept hourly quantity records of a run over a gas day, every version of each hour
    (a new one when late data changed it), unrounded."""
    try:
        hours = reports.hourly(run, day)
    except Unknown as exc:
        raise HTTPException(404, exc.why) from None
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    out = []
    for h in hours:
        versions = [
            HourVersionOut(
                version=k.version,
                computed=from_ms(k.computed_ms),
                changed=k.changed,
                standard_volume=float(rec["standard_volume"]),
                working_volume=rec["working_volume"],
                integrated_volume=float(rec["integrated_volume"]),
                coverage=float(rec["coverage"]),
                meter_resets=int(rec["meter_resets"]),
                hash=k.hash,
            )
            for k in h.versions
            for rec in [k.record]
        ]
        out.append(HourOut(start=from_ms(h.hour.start_ms), label=h.hour.label, versions=versions))
    return HourlyOut(run=run, gas_day=day, hours=out)


@router.get("/api/reports", response_model=list[ReportOut])
def list_reports(reports: Reports, kind: Kind | None = None) -> list[ReportOut]:
    return [_out(r) for r in reports.listing(kind)]


@router.get(
    "/api/reports/{kind}/{period}",
    response_model=ReportContentOut,
    responses={404: {"description": "no such report"}},
)
def read_report(
    reports: Reports, kind: Kind, period: PeriodText, version: Version = None
) -> ReportContentOut:
    r = _find(reports, kind, period, version)
    content = CONTENT_OF[kind].validate_python(json.loads(r.content))
    return ReportContentOut(**_out(r).model_dump(), content=content)


@router.get(
    "/api/reports/{kind}/{period}/html",
    response_class=HTMLResponse,
    responses={404: {"description": "no such report"}},
)
async def report_html(
    reports: Reports,
    kind: Kind,
    period: PeriodText,
    version: Version = None,
    lang: Literal["zh", "en"] | None = None,
) -> HTMLResponse:
    page = (await _rendered(reports, kind, period, version, lang, "html"))[1]
    return HTMLResponse(page)


@router.get(
    "/api/reports/{kind}/{period}/xlsx",
    response_class=Response,
    responses={
        200: {"content": {XLSX: {}}, "description": "the report as a workbook"},
        404: {"description": "no such report"},
    },
)
async def report_xlsx(
    reports: Reports,
    kind: Kind,
    period: PeriodText,
    version: Version = None,
    lang: Literal["zh", "en"] | None = None,
) -> Response:
    doc, book = await _rendered(reports, kind, period, version, lang, "xlsx")
    return _download(doc, book, "xlsx", XLSX)


@router.get(
    "/api/reports/{kind}/{period}/pdf",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}, "description": "the report, printed"},
        404: {"description": "no such report"},
    },
)
async def report_pdf(
    reports: Reports,
    kind: Kind,
    period: PeriodText,
    version: Version = None,
    lang: Literal["zh", "en"] | None = None,
) -> Response:
    doc, pdf = await _rendered(reports, kind, period, version, lang, "pdf")
    return _download(doc, pdf, "pdf", "application/pdf")


@router.post(
    "/api/reports/{kind}/{period}/generate",
    response_model=ReportOut,
    responses={**ACTION, 400: {"description": "no meter runs configured, or a period to come"}},
)
async def generate(
    reports: Reports,
    heavy: Heavy,
    kind: Kind,
    period: PeriodText,
    actor: Annotated[Actor, acting(Role.shift_leader, "report.generate")],
) -> ReportOut:
    """Makes the period's report from the data as it is now: the same version when nothing
    changed, else a new one."""
    try:
        reports.can_generate(kind, period)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    stored = await heavy.run(reports.generate, kind, period)
    await reports.file([stored])
    actor.ok(f"{kind}/{period}/v{stored.version}", new={"hash": stored.hash})
    return _out(stored)


@router.post("/api/reports/{kind}/{period}/review", response_model=ReportOut, responses=ACTION)
def review(
    reports: Reports,
    kind: Kind,
    period: PeriodText,
    body: VersionIn,
    actor: Annotated[Actor, acting(Role.shift_leader, "report.review")],
) -> ReportOut:
    return _out(reports.review(actor.user, kind, period, body.version, actor.address))


@router.post("/api/reports/{kind}/{period}/sign", response_model=ReportOut, responses=ACTION)
def sign(
    reports: Reports,
    kind: Kind,
    period: PeriodText,
    body: VersionIn,
    actor: Annotated[Actor, acting(Role.station_master, "report.sign")],
) -> ReportOut:
    return _out(reports.sign(actor.user, kind, period, body.version, actor.address))


@router.post("/api/reports/{kind}/{period}/correct", response_model=ReportOut, responses=ACTION)
async def correct(
    reports: Reports,
    kind: Kind,
    period: PeriodText,
    body: CorrectionIn,
    actor: Annotated[Actor, acting(Role.station_master, "report.correct")],
) -> ReportOut:
    """A signed report made again from the data as it is now, as a new version that names
    the one it replaces and why."""
    if reports.production is None:
        raise HTTPException(404, "the station config has no reports.meter_runs")
    _period(reports, kind, period)
    stored = await run_in_threadpool(
        reports.correct, actor.user, kind, period, body.reason, actor.address
    )
    return _out(stored)
