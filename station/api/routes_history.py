"""History queries over the embedded store."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Annotated

from fastapi import HTTPException, Query
from fastapi.responses import Response

from station.api.access import guarded_router
from station.api.deps import Heavy, History, Tags, Zone
from station.api.routes_live import split_tags
from station.api.schemas.live import HistoryResponse, PointOut, SeriesOut
from station.api.timefmt import from_ms, to_ms
from station.history import Aggregate
from station.history.store import COUNTER_AGGREGATES
from station.samples import Level, Quality

router = guarded_router()
MAX_POINTS = 100_000
"""Points per response, all tags together (a day of one tag at 1 s is 86,400)."""
MAX_RAW_SPAN_MS = 7 * 86_400_000


@router.get(
    "/api/history",
    response_model=HistoryResponse,
    tags=["history"],
    responses={
        400: {"description": "bad range, step or aggregate"},
        503: {"description": "the history file is damaged or unreadable"},
        404: {"description": "unknown tag"},
    },
)
async def history(
    store: History,
    known: Tags,
    zone: Zone,
    heavy: Heavy,
    tags: Annotated[list[str], Query(description="tag ids, repeated or comma-separated")],
    start: Annotated[datetime, Query(description="ISO 8601; without offset: station time")],
    end: Annotated[datetime, Query(description="ISO 8601; without offset: station time")],
    step: Annotated[
        int | None, Query(ge=1, le=366 * 86400, description="bucket seconds; none = raw")
    ] = None,
    agg: Annotated[Aggregate, Query(description="aggregate per bucket")] = Aggregate.MEAN,
) -> Response:
    names = split_tags(known, tags)
    if names is None:
        raise HTTPException(400, "tags: at least one tag id is required")
    start_ms, end_ms = to_ms(start, zone), to_ms(end, zone)
    if end_ms <= start_ms:
        raise HTTPException(400, "end must be after start")
    if step is None and end_ms - start_ms > MAX_RAW_SPAN_MS:
        raise HTTPException(400, "raw history is limited to 7 days per request: give a step")
    if agg in COUNTER_AGGREGATES:
        if step is None or step % 60:
            raise HTTPException(400, f"agg={agg.value} needs a step of whole minutes")
        if any(known[n][1].counter is None for n in names):
            raise HTTPException(400, f"agg={agg.value} applies to counter tags only")
    if step is not None and len(names) * ((end_ms - start_ms) // (step * 1000)) > MAX_POINTS:
        raise HTTPException(
            400,
            f"{len(names)} tags × {(end_ms - start_ms) // (step * 1000)} buckets is more than "
            f"{MAX_POINTS} points per request: use a larger step, a shorter range or fewer tags",
        )

    def answer() -> Response:
        """Read, shape and serialise the answer on a worker thread: 100,000 points are not
        built on the loop that serves everything else."""
        data = store.query(names, start_ms, end_ms, step, agg, MAX_POINTS)
        if sum(len(points) for points in data.values()) > MAX_POINTS:
            raise HTTPException(
                400,
                f"more than {MAX_POINTS} raw points per request: give a step, a shorter range "
                "or fewer tags",
            )
        series = []
        for tag in names:
            points = [
                PointOut(
                    ts=from_ms(p.ts_ms),
                    value=p.value,
                    quality=None
                    if p.quality is None
                    else Level(Quality(p.quality).level).name.lower(),
                )
                for p in data[tag]
            ]
            series.append(SeriesOut(tag=tag, unit=known[tag][1].unit, points=points))
        out = HistoryResponse(
            start=from_ms(start_ms),
            end=from_ms(end_ms),
            step_s=step,
            aggregate=agg.value if step else None,
            series=series,
        )
        return Response(out.model_dump_json().encode(), media_type="application/json")

    try:
        return await heavy.run(answer)
    except sqlite3.DatabaseError as exc:  # a damaged file: say so, and the alarm stands
        raise HTTPException(503, f"history file unreadable: {exc}") from None
