"""Export a range of the embedded history to CSV or Parquet (a user moving to a bigger store
keeps their history). Streams in chunks: a month of raw samples never sits in memory at once."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from station.history.store import Aggregate, HistoryStore
from station.samples import Quality

COLUMNS = ("time_utc", "tag", "value", "quality")


def rows(
    store: HistoryStore,
    tags: list[str] | None,
    start_ms: int,
    end_ms: int,
    step_s: int | None,
    agg: Aggregate,
    chunk_ms: int = 86_400_000,
) -> Iterator[tuple[datetime, str, float | None, str | None]]:
    names = tags or sorted(store.known_tags())
    t = start_ms
    while t < end_ms:
        upper = min(end_ms, t + chunk_ms)
        for tag, points in store.query(names, t, upper, step_s, agg, limit=10_000_000).items():
            for p in points:
                q = None if p.quality is None else Quality(p.quality).name.lower()
                yield datetime.fromtimestamp(p.ts_ms / 1000, tz=UTC), tag, p.value, q
        t = upper


def export(
    store: HistoryStore,
    out: Path,
    fmt: Literal["csv", "parquet"],
    tags: list[str] | None,
    start_ms: int,
    end_ms: int,
    step_s: int | None = None,
    agg: Aggregate = Aggregate.MEAN,
) -> int:
    count = 0
    if fmt == "csv":
        with out.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(COLUMNS)
            for ts, tag, value, q in rows(store, tags, start_ms, end_ms, step_s, agg):
                w.writerow((ts.isoformat(), tag, "" if value is None else repr(value), q or ""))
                count += 1
        return count
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema(
        [
            ("time_utc", pa.timestamp("ms", tz="UTC")),
            ("tag", pa.string()),
            ("value", pa.float64()),
            ("quality", pa.string()),
        ]
    )
    with pq.ParquetWriter(out, schema, compression="zstd") as writer:
        buf: list[tuple[datetime, str, float | None, str | None]] = []
        for row in rows(store, tags, start_ms, end_ms, step_s, agg):
            buf.append(row)
            if len(buf) >= 200_000:
                writer.write_table(
                    pa.Table.from_pylist([dict(zip(COLUMNS, r, strict=True)) for r in buf], schema)
                )
                count += len(buf)
                buf = []
        if buf:
            writer.write_table(
                pa.Table.from_pylist([dict(zip(COLUMNS, r, strict=True)) for r in buf], schema)
            )
            count += len(buf)
    return count
