"""A device that is not ours: a register layout the simulator serves and the driver reads."""

from __future__ import annotations

from collections.abc import Callable

FOREIGN = """\
station: {id: s, name: {zh: 站, en: S}}
devices:
  - id: FC-X
    protocol: modbus_tcp
    host: 127.0.0.1
    port: 502
    byte_order: big
    word_order: big
    timeout_s: 0.5
    tags:
      - {id: ABCD, name: {zh: a, en: a}, table: holding, address: 0, type: float32}
      - {id: CDAB, name: {zh: b, en: b}, table: holding, address: 2, type: float32,
         word_order: little}
      - {id: BADC, name: {zh: c, en: c}, table: holding, address: 4, type: float32,
         byte_order: little}
      - {id: TOTAL, name: {zh: d, en: d}, table: holding, address: 6, type: uint32,
         word_order: little, counter: {rollover: 4294967296}}
      - {id: MEAS-OK, name: {zh: e, en: e}, table: holding, address: 8, type: bool, bit: 0}
      - {id: LOW-BATT, name: {zh: f, en: f}, table: holding, address: 8, type: bool, bit: 1}
      - {id: WARN, name: {zh: g, en: g}, table: holding, address: 8, type: bool, bit: 15}
      - {id: DCBA64, name: {zh: h, en: h}, table: holding, address: 9, type: float64,
         byte_order: little, word_order: little}
      - {id: AFTER-HOLE, name: {zh: i, en: i}, table: holding, address: 20, type: float32}
"""


VALUES = {
    "ABCD": 123.456,
    "CDAB": -0.0625,
    "BADC": 3.5e6,
    "TOTAL": 4_294_967_290.0,
    "MEAS-OK": 1.0,
    "LOW-BATT": 0.0,
    "WARN": 1.0,
    "DCBA64": 987654.321,
    "AFTER-HOLE": 42.25,
}


def constant(value: float) -> Callable[[], float]:
    """A signal that stands at one value."""
    return lambda: value


def constant_signals() -> dict[str, Callable[[], float]]:
    """The simulator's signals for the foreign device: every register at its VALUES entry."""
    return {tag: constant(v) for tag, v in VALUES.items()}
