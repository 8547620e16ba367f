"""header_value_to_bytes: what SimpleHeaderConverter writes for a header value."""

from __future__ import annotations

import decimal

from pyconnect_flow.converters import header_value_to_bytes
from pyconnect_flow.data import FLOAT32_SCHEMA


def test_bytes_and_strings() -> None:
    assert header_value_to_bytes(None) is None
    assert header_value_to_bytes(b"\x00raw") == b"\x00raw"
    assert header_value_to_bytes(bytearray(b"ab")) == b"ab"
    assert header_value_to_bytes("héllo") == "héllo".encode()
    assert header_value_to_bytes("") == b""


def test_scalars_as_kafka_values_text() -> None:
    assert header_value_to_bytes(True) == b"true"
    assert header_value_to_bytes(False) == b"false"
    assert header_value_to_bytes(42) == b"42"
    assert header_value_to_bytes(-7) == b"-7"
    assert header_value_to_bytes(1.0) == b"1.0"
    assert header_value_to_bytes(1e10) == b"1.0E10"
    assert header_value_to_bytes(12.34, FLOAT32_SCHEMA) == b"12.34"
    assert header_value_to_bytes(decimal.Decimal("1.50")) == b"1.50"
