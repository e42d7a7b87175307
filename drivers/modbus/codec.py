"""Register codec: one decoder per width, a whole block of values at once.

Every multi-register value is decoded on its own (word order applies within a value,
never to the whole register list), which is the mistake DOMAIN.md warns about.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
import numpy.typing as npt

U16Array = npt.NDArray[np.uint16]
IntArray = npt.NDArray[np.intp]
FloatArray = npt.NDArray[np.float64]


class DataType(StrEnum):
    BOOL = "bool"
    INT16 = "int16"
    UINT16 = "uint16"
    INT32 = "int32"
    UINT32 = "uint32"
    FLOAT32 = "float32"
    FLOAT64 = "float64"

    @property
    def width(self) -> int:
        """Registers one value occupies (a bool in a register table takes one)."""
        return _WIDTH[self]


class Order(StrEnum):
    BIG = "big"
    LITTLE = "little"


_WIDTH = {
    DataType.BOOL: 1,
    DataType.INT16: 1,
    DataType.UINT16: 1,
    DataType.INT32: 2,
    DataType.UINT32: 2,
    DataType.FLOAT32: 2,
    DataType.FLOAT64: 4,
}
# Big-endian numpy dtype of the value once its words stand most significant first.
_BE_DTYPE = {
    DataType.BOOL: ">u2",
    DataType.INT16: ">i2",
    DataType.UINT16: ">u2",
    DataType.INT32: ">i4",
    DataType.UINT32: ">u4",
    DataType.FLOAT32: ">f4",
    DataType.FLOAT64: ">f8",
}


def decode(
    registers: U16Array,
    offsets: IntArray,
    dtype: DataType,
    byte_order: Order = Order.BIG,
    word_order: Order = Order.BIG,
) -> FloatArray:
    """Decode the values starting at `offsets` in `registers` to float64."""
    width = dtype.width
    regs = registers.astype(np.uint16, copy=False)
    if byte_order is Order.LITTLE:
        regs = regs.byteswap()
    words = regs[offsets[:, None] + np.arange(width)]
    if word_order is Order.LITTLE:
        words = words[:, ::-1]
    raw = np.ascontiguousarray(words).astype(">u2").tobytes()
    values: FloatArray = np.frombuffer(raw, dtype=_BE_DTYPE[dtype]).astype(np.float64)
    if dtype is DataType.BOOL:
        values = (values != 0).astype(np.float64)
    return values


def encode(
    values: FloatArray,
    dtype: DataType,
    byte_order: Order = Order.BIG,
    word_order: Order = Order.BIG,
) -> U16Array:
    """Inverse of `decode`: raw values to an (n, width) array of registers.

    Integer types are rounded and clipped to their range, as a transmitter would.
    """
    be = np.dtype(_BE_DTYPE[dtype])
    vals = np.asarray(values, dtype=np.float64)
    if dtype is DataType.BOOL:
        vals = (vals != 0).astype(np.float64)
    if be.kind in "iu":
        info = np.iinfo(be)
        vals = np.clip(np.rint(np.nan_to_num(vals)), info.min, info.max)
    raw = vals.astype(be).tobytes()
    words = np.frombuffer(raw, dtype=">u2").reshape(-1, dtype.width)
    if word_order is Order.LITTLE:
        words = words[:, ::-1]
    regs = words.astype(np.uint16)
    if byte_order is Order.LITTLE:
        regs = regs.byteswap()
    return regs
