"""Production and safety reports over HTTP: list, read (JSON or HTML), generate, review, sign,
correct.

The rules of review and signature are in station.reports.signoff; generation runs on a worker
thread (bounded with the other heavy queries), never on a loop."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from fastapi import Depends, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from station.api.access import RoleRequired, client_address, guarded_router, runtime_of
from station.api.bounded import BoundedWork
from station.api.schemas.common import Reason
from station.api.timefmt import from_ms
from station.calendar import Period, StationCalendar
from station.reports.archive import StoredReport
from station.reports.document import ReportDocument
from station.runtime import StationRuntime
from station.users import Role, User

router = guarded_router(tags=["reports"])
T = TypeVar("T")
Kind = Literal["shift", "daily", "monthly", "safety-weekly", "safety-monthly"]
PeriodText = Annotated[
    str,
    Path(
        pattern=r"^\d{4}-(\d{2}(-\d{2}(T\d{2}:\d{2})?)?|W\d{2})$",
        description="the shift's local start (YYYY-MM-DDTHH:MM), the gas day (YYYY-MM-DD), "
        "the gas month (YYYY-MM) or the gas week (YYYY-Www, safety-weekly)",
    ),
]
ACTION: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such report or version"},
    409: {"description": "not possible in the report's state"},
    401: {"description": "not logged in"},
    403: {"description": "role too low"},
}


class ReportOut(BaseModel):
    kind: str
    period: str
    version: int
    status: str
    """generated, reviewed or signed"""
    hash: str
    """SHA-256 of the content: the same data gives the same hash."""
    generated: str
    replaces: int | None
    reason: str | None
    reviewed_by: str | None
    signed_by: str | None
    signed: str | None
    audit_anchor: str | None


class ReportContentOut(ReportOut):
    content: list[dict[str, Any]]
    """The data model, one per meter run, unrounded."""


class VersionIn(BaseModel):
    version: int = Field(ge=1, le=1_000_000)


class CorrectionIn(BaseModel):
    reason: Reason


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


def _period(rt: StationRuntime, kind: str, text: str) -> Period:
    """The period a report names, or 400 saying what is wrong with the name."""
    try:
        return StationCalendar(rt.config.station.timezone, rt.config.reports).period(kind, text)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None


async def _rendered(
    request: Request, kind: str, period: str, version: int | None, lang: str | None, fmt: str
) -> tuple[ReportDocument, bytes]:
    """A stored version in a format, in the language asked for (else the station's), rendered
    in the worker process: charts and printing never hold up a poll."""
    rt = runtime_of(request)
    doc = ReportDocument.of(_find(rt, kind, period, version), rt.config, lang)
    return doc, await rt.report_worker.render(doc, fmt)


def _download(doc: ReportDocument, body: bytes, fmt: str, media_type: str) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{doc.file_name(fmt)}"'},
    )


def _find(rt: StationRuntime, kind: str, period: str, version: int | None) -> StoredReport:
    versions = rt.report_archive.versions(kind, period)
    found = [v for v in versions if version is None or v.version == version]
    if not found:
        which = f" v{version}" if version else ""
        raise HTTPException(404, f"no {kind} report for {period}{which}")
    return found[-1]


class PlanIn(BaseModel):
    run: str = Field(min_length=1, max_length=40)
    standard_volume: float = Field(ge=0, le=1e12)
    """Nm³ planned for the gas month."""


class PlanOut(BaseModel):
    month: str
    plans: dict[str, float | None]


MonthText = Annotated[str, Path(pattern=r"^\d{4}-\d{2}$", description="the gas month")]


@router.get("/api/reports/plans/{month}", response_model=PlanOut)
def read_plan(request: Request, month: MonthText) -> PlanOut:
    rt = runtime_of(request)
    runs = [r.id for r in rt.config.reports.meter_runs]
    return PlanOut(month=month, plans={r: rt.report_archive.plan(month, r) for r in runs})


@router.put(
    "/api/reports/plans/{month}",
    response_model=PlanOut,
    responses={**ACTION, 400: {"description": "unknown meter run or month"}},
)
def enter_plan(
    request: Request,
    month: MonthText,
    body: PlanIn,
    user: Annotated[User, Depends(RoleRequired(Role.station_master, "report.plan"))],
) -> PlanOut:
    """The month's planned supply per meter run: the monthly report sets actual against it."""
    rt = runtime_of(request)
    _period(rt, "monthly", month)
    if body.run not in {r.id for r in rt.config.reports.meter_runs}:
        raise HTTPException(400, f"unknown meter run {body.run!r}")
    old = rt.report_archive.set_plan(
        month, body.run, body.standard_volume, user.username, rt.now_ms()
    )
    rt.audit.append(
        rt.now_ms(),
        user.username,
        "report.plan",
        "ok",
        role=user.role.name,
        address=client_address(request),
        obj=f"{month}/{body.run}",
        old=old,
        new=body.standard_volume,
    )
    return read_plan(request, month)


class HourVersionOut(BaseModel):
    version: int
    computed: datetime
    changed: str | None
    """What differs from the version before (late data), None for the first."""
    standard_volume: float
    working_volume: float | None
    integrated_volume: float
    coverage: float
    meter_resets: int
    hash: str


class HourOut(BaseModel):
    start: datetime
    label: str
    versions: list[HourVersionOut]


class HourlyOut(BaseModel):
    run: str
    gas_day: str
    hours: list[HourOut]


DayText = Annotated[str, Path(pattern=r"^\d{4}-\d{2}-\d{2}$", description="the gas day")]


@router.get(
    "/api/reports/hourly/{run}/{day}",
    response_model=HourlyOut,
    responses={404: {"description": "no such meter run"}},
)
def hourly_records(
    request: Request, run: Annotated[str, Path(max_length=40)], day: DayText
) -> HourlyOut:
    """The kept hourly quantity records of a run over a gas day, every version of each hour
    (a new one when late data changed it), unrounded."""
    rt = runtime_of(request)
    if rt.reports is None or run not in {r.id for r in rt.config.reports.meter_runs}:
        raise HTTPException(404, f"no meter run {run!r}")
    ledger = rt.reports.ledger
    period = _period(rt, "daily", day)
    hours = StationCalendar(rt.config.station.timezone, rt.config.reports).hours(period)
    out = []
    for hour in hours:
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
            for k in ledger.versions(run, hour.start_ms)
            for rec in [k.record]
        ]
        out.append(HourOut(start=from_ms(hour.start_ms), label=hour.label, versions=versions))
    return HourlyOut(run=run, gas_day=day, hours=out)


@router.get("/api/reports", response_model=list[ReportOut])
def list_reports(request: Request, kind: Kind | None = None) -> list[ReportOut]:
    return [_out(r) for r in runtime_of(request).report_archive.listing(kind)]


@router.get(
    "/api/reports/{kind}/{period}",
    response_model=ReportContentOut,
    responses={404: {"description": "no such report"}},
)
def read_report(
    request: Request,
    kind: Kind,
    period: PeriodText,
    version: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
) -> ReportContentOut:
    r = _find(runtime_of(request), kind, period, version)
    return ReportContentOut(**_out(r).model_dump(), content=json.loads(r.content))


@router.get(
    "/api/reports/{kind}/{period}/html",
    response_class=HTMLResponse,
    responses={404: {"description": "no such report"}},
)
async def report_html(
    request: Request,
    kind: Kind,
    period: PeriodText,
    version: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
    lang: Literal["zh", "en"] | None = None,
) -> HTMLResponse:
    page = (await _rendered(request, kind, period, version, lang, "html"))[1]
    return HTMLResponse(page)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get(
    "/api/reports/{kind}/{period}/xlsx",
    response_class=Response,
    responses={
        200: {"content": {XLSX: {}}, "description": "the report as a workbook"},
        404: {"description": "no such report"},
    },
)
async def report_xlsx(
    request: Request,
    kind: Kind,
    period: PeriodText,
    version: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
    lang: Literal["zh", "en"] | None = None,
) -> Response:
    doc, book = await _rendered(request, kind, period, version, lang, "xlsx")
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
    request: Request,
    kind: Kind,
    period: PeriodText,
    version: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
    lang: Literal["zh", "en"] | None = None,
) -> Response:
    doc, pdf = await _rendered(request, kind, period, version, lang, "pdf")
    return _download(doc, pdf, "pdf", "application/pdf")


@router.post(
    "/api/reports/{kind}/{period}/generate",
    response_model=ReportOut,
    responses={**ACTION, 400: {"description": "no meter runs configured, or a period to come"}},
)
async def generate(
    request: Request,
    kind: Kind,
    period: PeriodText,
    user: Annotated[User, Depends(RoleRequired(Role.shift_leader, "report.generate"))],
) -> ReportOut:
    """Makes the period's report from the data as it is now: the same version when nothing
    changed, else a new one."""
    rt = runtime_of(request)
    production = rt.reports
    if production is None:
        raise HTTPException(400, "the station config has no reports.meter_runs")
    if _period(rt, kind, period).end_ms > rt.now_ms():
        raise HTTPException(400, f"the {kind} period {period} has not ended")
    heavy: BoundedWork = request.app.state.heavy
    stored = await heavy.run(production.generate, kind, period, rt.now_ms())
    await rt.call(rt.filing.file_later, [stored])
    rt.audit.append(
        rt.now_ms(),
        user.username,
        "report.generate",
        "ok",
        role=user.role.name,
        address=client_address(request),
        obj=f"{kind}/{period}/v{stored.version}",
        new={"hash": stored.hash},
    )
    return _out(stored)


@router.post("/api/reports/{kind}/{period}/review", response_model=ReportOut, responses=ACTION)
def review(
    request: Request,
    kind: Kind,
    period: PeriodText,
    body: VersionIn,
    user: Annotated[User, Depends(RoleRequired(Role.shift_leader, "report.review"))],
) -> ReportOut:
    rt = runtime_of(request)
    address = client_address(request)
    return _out(rt.report_signoff.review(user, kind, period, body.version, address))


@router.post("/api/reports/{kind}/{period}/sign", response_model=ReportOut, responses=ACTION)
def sign(
    request: Request,
    kind: Kind,
    period: PeriodText,
    body: VersionIn,
    user: Annotated[User, Depends(RoleRequired(Role.station_master, "report.sign"))],
) -> ReportOut:
    rt = runtime_of(request)
    address = client_address(request)
    return _out(rt.report_signoff.sign(user, kind, period, body.version, address))


@router.post("/api/reports/{kind}/{period}/correct", response_model=ReportOut, responses=ACTION)
async def correct(
    request: Request,
    kind: Kind,
    period: PeriodText,
    body: CorrectionIn,
    user: Annotated[User, Depends(RoleRequired(Role.station_master, "report.correct"))],
) -> ReportOut:
    """A signed report made again from the data as it is now, as a new version that names
    the one it replaces and why."""
    rt = runtime_of(request)
    production = rt.reports
    if production is None:
        raise HTTPException(404, "the station config has no reports.meter_runs")
    _period(rt, kind, period)
    address = client_address(request)
    stored = await run_in_threadpool(
        rt.report_signoff.correct,
        user,
        kind,
        period,
        body.reason,
        lambda: production.content(kind, period),
        address,
    )
    return _out(stored)
