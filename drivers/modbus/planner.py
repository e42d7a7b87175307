"""Request planning: points to as few reads as the protocol allows. Pure functions."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Table(StrEnum):
    COIL = "coil"
    DISCRETE_INPUT = "discrete_input"
    HOLDING = "holding"
    INPUT = "input"

    @property
    def is_bits(self) -> bool:
        return self in (Table.COIL, Table.DISCRETE_INPUT)

    @property
    def max_count(self) -> int:
        """Protocol limit of one read (function codes 1/2: 2000 bits, 3/4: 125 registers)."""
        return 2000 if self.is_bits else 125


@dataclass(frozen=True, slots=True)
class PointAddress:
    table: Table
    address: int
    width: int = 1


@dataclass(frozen=True, slots=True)
class ReadRequest:
    table: Table
    start: int
    count: int
    points: tuple[int, ...]
    """Indices into the planned point list that this read serves."""


def plan_reads(
    points: list[PointAddress],
    max_registers: int = 125,
    max_gap: int = 10,
    max_bits: int = 2000,
) -> list[ReadRequest]:
    """Merge points into reads.

    Neighbours are merged while the gap between them is at most `max_gap` units (some
    devices reject reads that span undefined addresses: set 0 for them) and the read stays
    within the protocol limit.
    """
    by_table: dict[Table, list[int]] = {}
    for i, p in enumerate(points):
        if p.address < 0 or p.width < 1:
            raise ValueError(f"point {i}: invalid address {p.address} / width {p.width}")
        by_table.setdefault(p.table, []).append(i)

    requests: list[ReadRequest] = []
    for table in Table:
        idx = sorted(by_table.get(table, []), key=lambda i: points[i].address)
        limit = (
            min(max_bits, table.max_count) if table.is_bits else min(max_registers, table.max_count)
        )
        start = end = -1
        members: list[int] = []
        for i in idx:
            p = points[i]
            p_end = p.address + p.width
            if p.width > limit:
                raise ValueError(f"point {i}: width {p.width} exceeds one read of {limit}")
            if members and p.address - end <= max_gap and max(end, p_end) - start <= limit:
                end = max(end, p_end)
                members.append(i)
                continue
            if members:
                requests.append(ReadRequest(table, start, end - start, tuple(members)))
            start, end, members = p.address, p_end, [i]
        if members:
            requests.append(ReadRequest(table, start, end - start, tuple(members)))
    return requests


def split_read(request: ReadRequest, points: list[PointAddress]) -> tuple[ReadRequest, ...]:
    """Cut in two a read the device refused (exception 02/03: it spans a hole in the map).

    The cut goes into the widest gap between the read's points, where a hole most likely is;
    a read with no gap is halved. Each part covers only its own points, so cutting again
    ends at reads of one value: those the device still refuses are the values it really does
    not have. One value (or the bits of one status word) cannot be cut: the answer is ().
    """
    members = sorted(request.points, key=lambda i: (points[i].address, i))
    cuts: list[tuple[int, int, int]] = []  # (gap, -distance from the middle, position)
    end = -1
    for k, i in enumerate(members):
        p = points[i]
        if k and p.address != points[members[k - 1]].address:
            cuts.append((max(p.address - end, 0), -abs(2 * k - len(members)), k))
        end = max(end, p.address + p.width)
    if not cuts:
        return ()
    k = max(cuts)[2]
    return tuple(_covering(request.table, part, points) for part in (members[:k], members[k:]))


def _covering(table: Table, members: list[int], points: list[PointAddress]) -> ReadRequest:
    start = min(points[i].address for i in members)
    end = max(points[i].address + points[i].width for i in members)
    return ReadRequest(table, start, end - start, tuple(members))
