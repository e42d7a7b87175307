"""Station, tags, live values and health."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import HTTPException, Query
from fastapi.responses import Response
from pydantic import BaseModel

from station.acquisition import DeviceAcquisition
from station.alarms.evaluate import CAUSES
from station.api.access import guarded_router
from station.api.deps import Config, Live, Station, Tags
from station.api.schemas.live import (
    DeviceHealth,
    HealthOut,
    HistoryHealth,
    LiveResponse,
    ReportsHealth,
    StationOut,
    TagOut,
    TagSource,
)
from station.api.timefmt import from_ms
from station.clock import utc_datetime
from station.config.hmi import HmiArea
from station.config.models import ModbusTag, Text
from station.reports.jobs import NEVER

router = guarded_router()


class HmiOut(BaseModel):
    schematic: dict[str, str]
    """A place of the overview drawing → its tag."""
    safety: list[str]
    trends: list[str]
    areas: list[HmiArea]
    supply_cutoff: float | None
    """Standard flow under which supply counts as stopped (the supply rule's cutoff)."""


MAX_TAGS_PER_QUERY = 200
"""A trend or a report page shows a few dozen; a repeated tag counts once."""


def split_tags(known: Mapping[str, object], tags: list[str] | None) -> list[str] | None:
    """Tags given repeated or comma-separated; unknown ones are a 404 that names them."""
    if not tags:
        return None
    names = list(dict.fromkeys(t.strip() for item in tags for t in item.split(",") if t.strip()))
    if len(names) > MAX_TAGS_PER_QUERY:
        raise HTTPException(400, f"at most {MAX_TAGS_PER_QUERY} tags per request")
    unknown = [t for t in names if t not in known]
    if unknown:
        raise HTTPException(404, f"unknown tag(s): {', '.join(unknown)}")
    return names


def device_health(d: DeviceAcquisition) -> DeviceHealth:
    s = d.stats
    return DeviceHealth(
        id=d.device.id,
        state=s.state,
        delivering=s.delivering,
        connected=s.connected,
        polls=s.polls,
        polls_reached=s.polls_reached,
        failed_polls=s.failed_polls,
        incomplete_polls=s.incomplete_polls,
        bad_tags={d.tags[i]: int(n) for i, n in enumerate(s.tag_bad_polls.tolist()) if n},
        tag_errors={d.tags[i]: text for i, text in s.tag_errors.items()},
        overruns=s.overruns,
        overrunning=s.overrun_alarm,  # as the device watch judged it (the core's state)
        poll_interval_s=d.device.poll_interval_s,
        poll_rate_hz=s.poll_rate_hz,
        start_late_max_ms=round(max(s.start_late_s, default=0.0) * 1000, 1),
        last_poll_s=s.last_poll_s,
        clock_offset_s=s.clock_offset_s,
        clock_suspect=s.clock_suspect,
        last_good=from_ms(s.last_good_ms) if s.last_good_ms else None,
        last_error=s.last_error,
    )


@router.get("/healthz", response_model=HealthOut, tags=["health"])
def healthz(rt: Station) -> HealthOut:
    devices = [device_health(d) for d in rt.devices]
    history = HistoryHealth(
        samples_in=rt.bus.values_published,
        rows_written=rt.history.stats.rows_written,
        pending_batches=rt.history.pending,
        pending_rows=rt.history.backlog.rows,
        lag_s=rt.history.backlog.lag_s,
        shed_rows=rt.history.stats.shed_rows,
        failed_rows=rt.history.stats.failed_rows,
        behind=rt.history_watch.behind(rt.now_ms())[0],
        last_error=rt.history.stats.last_error,
    )
    ok = all(d.delivering for d in devices) and history.last_error is None and not history.behind
    reports = None
    if rt.reports is not None and rt.report_jobs is not None:
        jobs, due = rt.report_jobs, rt.reports_due_ms
        last = jobs.last_made
        reports = ReportsHealth(
            scheduler="apscheduler" if rt.report_scheduler is not None else "station clock",
            fired=jobs.fired_count,
            made=jobs.made_count,
            last_made=f"{last.kind} {last.period}" if last is not None else None,
            next_due=from_ms(due) if due < NEVER else None,
        )
    return HealthOut(
        reports=reports,
        status="ok" if ok else "degraded",
        now=utc_datetime(rt.clock),
        devices=devices,
        history=history,
        stage_cpu_s=rt.stage_cpu_s(),
    )


@router.get("/api/station", response_model=StationOut, tags=["station"])
def station_info(rt: Station) -> StationOut:
    s = rt.config.station
    return StationOut(
        id=s.id,
        name=s.name,
        timezone=s.timezone,
        language=s.language.value,
        now=utc_datetime(rt.clock),
        first_out_causes={k: Text(zh=zh, en=en) for k, (zh, en) in CAUSES.items()},
    )


@router.get("/api/tags", response_model=list[TagOut], tags=["tags"])
def list_tags(config: Config) -> list[TagOut]:
    return [
        TagOut(
            id=t.id,
            name=t.name,
            unit=t.unit,
            device=d.id,
            discrete=t.is_discrete,
            range=t.range,
            source=TagSource(
                protocol=d.protocol,
                device=d.id,
                endpoint=d.endpoint_text,
                address=t.address_text,
                type=t.type.value if isinstance(t, ModbusTag) else None,
            ),
        )
        for d, t in config.all_tags()
    ]


@router.get(
    "/api/live",
    response_model=LiveResponse,
    tags=["live"],
    responses={200: {"model": LiveResponse}, 404: {"description": "unknown tag"}},
)
async def live(
    source: Live,
    known: Tags,
    tags: Annotated[
        list[str] | None, Query(description="tag ids, repeated or comma-separated")
    ] = None,
) -> Response:
    """Every value as of the last poll (`now` is when it was taken), or the `tags` asked for.

    Async: it only picks up the bytes the core made, so it never needs the thread pool."""
    current = source.current
    wanted = split_tags(known, tags)
    body = current.body if wanted is None else current.only(wanted)
    return Response(body, media_type="application/json")


@router.get("/api/hmi", response_model=HmiOut)
def hmi(cfg: Config) -> HmiOut:
    """What the operator's page shows where (the station config's `hmi`)."""
    supply = cfg.alarms.supply
    return HmiOut(
        schematic={str(place): tag for place, tag in cfg.hmi.schematic.items()},
        safety=cfg.hmi.safety,
        trends=cfg.hmi.trends,
        areas=cfg.hmi.areas,
        supply_cutoff=supply.cutoff if supply else None,
    )
