"""Request planning and the split of refused reads, from golden cases:
tests/golden/{planner,split}/<case>/{case,expected}.yaml."""

from pathlib import Path

import pytest
import yaml

from drivers.modbus.planner import PointAddress, ReadRequest, Table, plan_reads, split_read

GOLDEN = Path(__file__).parents[2] / "golden" / "planner"
CASES = sorted(p for p in GOLDEN.iterdir() if p.is_dir())
SPLITS = sorted(p for p in (GOLDEN.parent / "split").iterdir() if p.is_dir())


def as_dicts(reads: list[ReadRequest] | tuple[ReadRequest, ...]) -> list[dict[str, object]]:
    return [
        {"table": r.table.value, "start": r.start, "count": r.count, "points": list(r.points)}
        for r in reads
    ]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden(case: Path) -> None:
    spec = yaml.safe_load((case / "case.yaml").read_text())
    expected = yaml.safe_load((case / "expected.yaml").read_text())["requests"]
    points = [PointAddress(Table(p["table"]), p["address"], p["width"]) for p in spec["points"]]
    got = plan_reads(points, max_registers=spec["max_registers"], max_gap=spec["max_gap"])
    assert as_dicts(got) == expected


@pytest.mark.parametrize("case", SPLITS, ids=[c.name for c in SPLITS])
def test_golden_split(case: Path) -> None:
    """The merged read of all the case's points is refused: how it is cut."""
    spec = yaml.safe_load((case / "case.yaml").read_text())
    expected = yaml.safe_load((case / "expected.yaml").read_text())["requests"]
    points = [PointAddress(Table(p["table"]), p["address"], p["width"]) for p in spec["points"]]
    (merged,) = plan_reads(points, max_gap=124)
    assert as_dicts(split_read(merged, points)) == expected


def test_cutting_again_ends_at_single_values() -> None:
    points = [PointAddress(Table.HOLDING, a, 2) for a in range(0, 40, 2)]
    pending = list(plan_reads(points))
    leaves = []
    while pending:
        r = pending.pop()
        parts = split_read(r, points)
        pending.extend(parts)
        if not parts:
            leaves.append(r)
    assert sorted(i for r in leaves for i in r.points) == list(range(20))
    assert all(len(r.points) == 1 and r.count == 2 for r in leaves)


def test_every_point_planned_once_and_inside_its_read() -> None:
    import random

    rng = random.Random(7)
    points = [
        PointAddress(rng.choice(list(Table)), rng.randrange(0, 3000), rng.choice([1, 2, 4]))
        for _ in range(400)
    ]
    points = [p if not p.table.is_bits else PointAddress(p.table, p.address, 1) for p in points]
    reads = plan_reads(points, max_registers=125, max_gap=5)
    seen = sorted(i for r in reads for i in r.points)
    assert seen == list(range(len(points)))
    for r in reads:
        assert r.count <= r.table.max_count
        for i in r.points:
            p = points[i]
            assert (
                p.table is r.table
                and r.start <= p.address
                and p.address + p.width <= r.start + r.count
            )


def test_rejects_negative_address() -> None:
    with pytest.raises(ValueError, match="invalid address"):
        plan_reads([PointAddress(Table.HOLDING, -1, 2)])
