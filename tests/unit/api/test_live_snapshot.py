"""The hand-written `/api/live` JSON against the schema it stands for, value for value."""

from __future__ import annotations

import json

import numpy as np

from station.api.live_snapshot import LiveSnapshot
from station.api.schemas.live import LiveOut, LiveResponse
from station.api.timefmt import from_ms
from station.clock import ManualClock, utc_datetime
from station.live_cache import LiveCache
from station.samples import Level, Quality, SampleBatch

NOW_MS = 1_790_000_000_123
LAYOUTS = {
    "plc": ("PT-101", "XV-101", "FQ-301", "TT-101", "PT-301"),
    "fc": ("FT-301", "FQ-301S"),
    "never": ("AT-901",),
}
DISCRETE = {"XV-101"}


def _pydantic(live: LiveCache, clock: ManualClock) -> LiveResponse:
    """The response as the models would have made it."""
    out = []
    for v in live.snapshot(clock.now_s()):
        value: float | bool | None = v.value
        if v.tag in DISCRETE and v.value is not None:
            value = bool(v.value)
        out.append(
            LiveOut(
                tag=v.tag,
                device=v.device,
                value=value,
                quality=Level(v.quality.level).name.lower(),
                reason=v.quality.reason,
                ts=from_ms(v.ts_ms),
                age_s=round(v.age_s, 3),
            )
        )
    wire = LiveResponse(now=utc_datetime(clock), values=out).model_dump_json()
    return LiveResponse.model_validate_json(wire)  # as a client reads it: inf sent as null


def _station() -> tuple[LiveCache, ManualClock]:
    clock = ManualClock(NOW_MS / 1000)
    live = LiveCache({"plc": 5.0, "fc": 5.0, "never": 5.0}, dict(LAYOUTS))
    good = np.zeros(5, dtype=np.uint8)
    live.accept(
        SampleBatch(
            "plc",
            NOW_MS - 1000,
            LAYOUTS["plc"],
            np.array([4.0123456789, 1.0, 1e17, float("nan"), float("inf")]),
            good,
        )
    )
    # a subset later, one bad: three different poll times in one device
    live.accept(
        SampleBatch(
            "plc",
            NOW_MS - 200,
            ("PT-101", "XV-101"),
            np.array([-1.5e-7, 0.0]),
            np.array([Quality.BAD_OUT_OF_RANGE, Quality.GOOD], dtype=np.uint8),
        )
    )
    live.accept(
        SampleBatch("fc", NOW_MS - 9000, LAYOUTS["fc"], np.array([1234.5, 2.0**53]), good[:2])
    )
    return live, clock


def test_every_value_equals_the_models() -> None:
    live, clock = _station()
    snapshot = LiveSnapshot(live, DISCRETE, clock)
    expected = _pydantic(live, clock)
    got = LiveResponse.model_validate_json(snapshot.current.body)
    assert got == expected
    assert json.loads(snapshot.current.body) == json.loads(expected.model_dump_json())
    tags = [v.tag for v in got.values]
    assert tags == ["PT-101", "XV-101", "FQ-301", "TT-101", "PT-301", "FT-301", "FQ-301S"]
    by = {v.tag: v for v in got.values}
    assert by["FT-301"].reason == "stale"  # fc silent 9 s, stale after 5 s
    assert by["PT-101"].quality == "bad" and by["PT-101"].value == -1.5e-7
    assert by["XV-101"].value is False
    assert by["TT-101"].value is None and by["PT-301"].value is None  # NaN, inf


def test_tags_asked_for_and_a_rebuild() -> None:
    live, clock = _station()
    snapshot = LiveSnapshot(live, DISCRETE, clock)
    some = LiveResponse.model_validate_json(snapshot.current.only(["FQ-301S", "nope", "PT-101"]))
    assert [v.tag for v in some.values] == ["FQ-301S", "PT-101"]
    assert some.now == utc_datetime(clock)
    clock.advance(2.5)
    snapshot.refresh()
    again = LiveResponse.model_validate_json(snapshot.current.body)
    assert again == _pydantic(live, clock)
    assert {v.tag: v.age_s for v in again.values}["FQ-301S"] == 11.5
