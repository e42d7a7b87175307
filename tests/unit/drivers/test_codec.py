"""Decoding of every data type, byte order and word order against registers built by `struct`."""

import struct

import numpy as np
import pytest

from drivers.modbus.codec import DataType, Order, decode, encode

FORMATS = {
    DataType.INT16: ">h",
    DataType.UINT16: ">H",
    DataType.INT32: ">i",
    DataType.UINT32: ">I",
    DataType.FLOAT32: ">f",
    DataType.FLOAT64: ">d",
}
SAMPLES: dict[DataType, list[float]] = {
    DataType.INT16: [-32768, -1, 0, 1234, 32767],
    DataType.UINT16: [0, 1, 40000, 65535],
    DataType.INT32: [-2147483648, -70000, 0, 123456789, 2147483647],
    DataType.UINT32: [0, 70000, 4294967295, 2712345],
    DataType.FLOAT32: [0.0, -1.5, 0.35, 3.25, 12345.678],
    DataType.FLOAT64: [0.0, -2.5, 12345678.901234, 1e-9],
}


def registers_by_struct(fmt: str, value: float, byte_order: Order, word_order: Order) -> list[int]:
    """Independent reference: pack big-endian, split into words, then reorder as a device would."""
    raw = struct.pack(fmt, value)
    words = [raw[i : i + 2] for i in range(0, len(raw), 2)]
    if word_order is Order.LITTLE:
        words.reverse()
    if byte_order is Order.LITTLE:
        words = [w[::-1] for w in words]
    return [int.from_bytes(w, "big") for w in words]


@pytest.mark.parametrize("dtype", list(FORMATS))
@pytest.mark.parametrize("byte_order", list(Order))
@pytest.mark.parametrize("word_order", list(Order))
def test_decode_matches_struct(dtype: DataType, byte_order: Order, word_order: Order) -> None:
    values = SAMPLES[dtype]
    regs: list[int] = [0xDEAD]  # a register before the first value: offsets are honoured
    offsets = []
    for v in values:
        offsets.append(len(regs))
        regs += registers_by_struct(FORMATS[dtype], v, byte_order, word_order)
    got = decode(np.array(regs, dtype=np.uint16), np.array(offsets), dtype, byte_order, word_order)
    expected = [struct.unpack(FORMATS[dtype], struct.pack(FORMATS[dtype], v))[0] for v in values]
    assert got.tolist() == pytest.approx(expected, rel=0, abs=0)


def test_known_flow_computer_float_low_word_first() -> None:
    # 0.35 as float32 is 0x3EB33333; a CDAB flow computer sends 0x3333 then 0x3EB3.
    got = decode(
        np.array([0x3333, 0x3EB3], dtype=np.uint16),
        np.array([0]),
        DataType.FLOAT32,
        word_order=Order.LITTLE,
    )
    assert got[0] == pytest.approx(0.35, abs=1e-7)
    # Read with the wrong word order it is a very different number: word order matters.
    wrong = decode(np.array([0x3333, 0x3EB3], dtype=np.uint16), np.array([0]), DataType.FLOAT32)
    assert abs(wrong[0] - 0.35) > 0.3  # 0x33333EB3 is about 4e-8


def test_word_order_applies_per_value_not_per_block() -> None:
    # Two consecutive CDAB floats: reversing the whole list would swap the values too.
    regs = registers_by_struct(">f", 1.0, Order.BIG, Order.LITTLE) + registers_by_struct(
        ">f", 2.0, Order.BIG, Order.LITTLE
    )
    got = decode(
        np.array(regs, dtype=np.uint16), np.array([0, 2]), DataType.FLOAT32, word_order=Order.LITTLE
    )
    assert got.tolist() == [1.0, 2.0]


def test_bool_register_is_nonzero() -> None:
    got = decode(np.array([0, 1, 0x8000], dtype=np.uint16), np.array([0, 1, 2]), DataType.BOOL)
    assert got.tolist() == [0.0, 1.0, 1.0]


@pytest.mark.parametrize("dtype", list(FORMATS))
@pytest.mark.parametrize("word_order", list(Order))
def test_encode_is_inverse_of_decode(dtype: DataType, word_order: Order) -> None:
    values = np.array(SAMPLES[dtype], dtype=np.float64)
    regs = encode(values, dtype, Order.BIG, word_order)
    assert regs.shape == (len(values), dtype.width)
    offsets = np.arange(len(values)) * dtype.width
    back = decode(regs.reshape(-1), offsets, dtype, Order.BIG, word_order)
    if dtype is DataType.FLOAT32:
        assert back.tolist() == pytest.approx(values.tolist(), rel=1e-6)
    else:
        assert back.tolist() == values.tolist()


def test_encode_clips_integers_like_a_transmitter() -> None:
    regs = encode(np.array([-5.0, 70000.0, 12.6]), DataType.UINT16)
    assert regs.reshape(-1).tolist() == [0, 65535, 13]
