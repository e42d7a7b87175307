"""The operator page's push channel: one server-sent-event stream with the live values and
the alarms, so a page never re-downloads everything every second.

First a full snapshot of both; then, at most twice a second, the values whose value or quality
changed since the last one sent (a value polled again unchanged costs nothing: staleness is the
server's to judge, and comes as a quality change), and the standing alarms whenever one of
them changed (coalesced: a flood sends a list four times a second, not one message per event).
A `beat` every second carries the station time, so a page tells a quiet station from a dead
link."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import Request
from fastapi.responses import StreamingResponse

from station.api.access import guarded_router
from station.api.deps import Alarms
from station.api.live_snapshot import LiveSnapshot, Snapshot
from station.api.routes_alarms import alarm_out

router = guarded_router(tags=["live"])
LIVE_EVERY_S = 0.5
ALARMS_EVERY_S = 0.25
BEAT_EVERY_S = 1.0


_keys: list[tuple[Snapshot, dict[str, str]]] = []
"""The keys of the latest snapshot: made once, whatever the number of pages open."""


def change_keys(snapshot: Snapshot) -> dict[str, str]:
    """Each value's JSON without its time and age: what a page needs to be told again."""
    if _keys and _keys[0][0] is snapshot:
        return _keys[0][1]
    keys = {tag: text[: text.find(',"ts":')] for tag, text in snapshot.by_tag.items()}
    _keys[:] = [(snapshot, keys)]
    return keys


def changed(snapshot: Snapshot, sent: dict[str, str]) -> list[str]:
    """The value objects whose key differs from the one last sent (updates `sent`)."""
    out = []
    for tag, key in change_keys(snapshot).items():
        if sent.get(tag) != key:
            sent[tag] = key
            out.append(snapshot.by_tag[tag])
    return out


def _event(name: str, data: str) -> str:
    return f"event: {name}\ndata: {data}\n\n"


@router.get("/api/stream")
async def stream(request: Request, alarms: Alarms) -> StreamingResponse:
    """Server-sent events `live` (`{now, values}`: the values that changed), `alarms` (the
    standing alarms, as `/api/alarms`) and `beat` (`{now}`)."""
    source: LiveSnapshot = request.app.state.live_snapshot
    api_loop = asyncio.get_running_loop()
    alarm_moved = asyncio.Event()

    def listener(_message: dict[str, Any]) -> None:
        """On the core's loop: only says that something moved; the list is read after."""
        with contextlib.suppress(RuntimeError):  # the API's loop has closed
            api_loop.call_soon_threadsafe(alarm_moved.set)

    def alarms_json(rows: list[dict[str, Any]]) -> str:
        return json.dumps([alarm_out(r).model_dump(mode="json") for r in rows], ensure_ascii=False)

    async def events() -> AsyncIterator[str]:
        rows = await alarms.subscribe(listener)
        try:
            yield _event("alarms", alarms_json(rows))
            snapshot = source.current
            sent: dict[str, str] = {}
            values = changed(snapshot, sent)
            yield _event("live", f'{{"now":{snapshot.now},"values":[{",".join(values)}]}}')
            loop = asyncio.get_running_loop()
            last_live = last_beat = loop.time()
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(alarm_moved.wait(), timeout=LIVE_EVERY_S)
                if alarm_moved.is_set():
                    await asyncio.sleep(ALARMS_EVERY_S)  # gather what comes with it
                    alarm_moved.clear()
                    yield _event("alarms", alarms_json(await alarms.current()))
                now = loop.time()
                if now - last_live >= LIVE_EVERY_S and source.current is not snapshot:
                    snapshot, last_live = source.current, now
                    values = changed(snapshot, sent)
                    if values:
                        last_beat = now
                        body = f'{{"now":{snapshot.now},"values":[{",".join(values)}]}}'
                        yield _event("live", body)
                if now - last_beat >= BEAT_EVERY_S:
                    last_beat = now
                    yield _event("beat", f'{{"now":{source.current.now}}}')
        finally:
            alarms.unsubscribe(listener)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
