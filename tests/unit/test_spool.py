"""The InfluxDB spool on real files: segments, order, a full spool, a broken cursor, a torn tail."""

from pathlib import Path

import pytest

from station.history.spool import Spool


def lines(a: int, b: int) -> list[str]:
    return [f"m,tag=T value={i} {1_000 + i}" for i in range(a, b)]


def drain(spool: Spool, batch: int = 7) -> list[str]:
    out: list[str] = []
    while True:
        got, cursor = spool.read(batch)
        if not got:
            return out
        spool.commit(cursor)
        out.extend(got)


def test_segments_roll_over_and_replay_in_order(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=1 << 20, segment_bytes=200)
    for i in range(0, 60, 6):
        spool.append(lines(i, i + 6))
    assert len(list(tmp_path.glob("*.lp"))) > 3
    again = Spool(tmp_path, max_bytes=1 << 20, segment_bytes=200)  # a restart in between
    assert drain(again) == lines(0, 60)
    assert len(list(tmp_path.glob("*.lp"))) == 1  # consumed segments are gone
    assert again.size_bytes == 0


def test_a_full_spool_drops_its_oldest_segment_and_counts_the_points(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=600, segment_bytes=200)
    for i in range(0, 100, 5):
        spool.append(lines(i, i + 5))
    kept = drain(spool)
    assert spool.dropped_lines == 100 - len(kept) > 0
    assert kept == lines(100 - len(kept), 100)  # the newest survive, in order
    assert spool.dropped_bytes == sum(len(x) + 1 for x in lines(0, 100 - len(kept)))


def test_a_garbage_cursor_replays_from_the_oldest_point(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=1 << 20, segment_bytes=200)
    spool.append(lines(0, 30))
    _, cursor = spool.read(10)
    spool.commit(cursor)
    (tmp_path / "cursor.json").write_bytes(b"\x00\xffnot json")
    again = Spool(tmp_path, max_bytes=1 << 20, segment_bytes=200)
    replay = drain(again)
    assert replay[-20:] == lines(10, 30)  # nothing lost; some may be sent twice
    assert set(replay) <= set(lines(0, 30))


@pytest.mark.parametrize("cut", [1, 17])
def test_a_torn_last_record_is_discarded_not_glued_to_the_next(tmp_path: Path, cut: int) -> None:
    spool = Spool(tmp_path, max_bytes=1 << 20)
    spool.append(lines(0, 3))
    [segment] = tmp_path.glob("*.lp")
    with segment.open("ab") as f:  # a write cut off by a kill or a full disk
        f.write(lines(3, 4)[0].encode()[:cut])
    again = Spool(tmp_path, max_bytes=1 << 20)
    assert again.torn_bytes == cut
    again.append(lines(4, 6))
    assert drain(again) == lines(0, 3) + lines(4, 6)
