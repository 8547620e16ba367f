"""ByteArrayConverter: raw bytes through, Kafka's errors for anything else."""

from __future__ import annotations

import pytest

from pyconnect_flow.converters import ByteArrayConverter
from pyconnect_flow.data import BYTES_SCHEMA, OPTIONAL_BYTES_SCHEMA, STRING_SCHEMA, DataException, SchemaBuilder


def test_bytes_pass_through() -> None:
    c = ByteArrayConverter()
    c.configure({}, False)
    assert c.from_connect("t", BYTES_SCHEMA, b"\x00\x01") == b"\x00\x01"
    assert c.from_connect("t", None, b"abc") == b"abc"
    assert c.from_connect("t", None, bytearray(b"ab")) == b"ab"
    assert c.from_connect("t", OPTIONAL_BYTES_SCHEMA, memoryview(b"xy")) == b"xy"
    assert c.to_connect("t", b"\x00\x01") == (OPTIONAL_BYTES_SCHEMA, b"\x00\x01")


def test_nulls() -> None:
    c = ByteArrayConverter()
    assert c.from_connect("t", None, None) is None
    assert c.from_connect("t", BYTES_SCHEMA, None) is None
    assert c.to_connect("t", None) == (OPTIONAL_BYTES_SCHEMA, None)


def test_rejects_other_schemas_and_values() -> None:
    c = ByteArrayConverter()
    with pytest.raises(DataException, match="^Invalid schema type for ByteArrayConverter: STRING$"):
        c.from_connect("t", STRING_SCHEMA, "x")
    with pytest.raises(DataException, match="^Invalid schema type for ByteArrayConverter: STRUCT$"):
        c.from_connect("t", SchemaBuilder.struct().build(), None)
    with pytest.raises(DataException, match="^ByteArrayConverter is not compatible with objects of type class str$"):
        c.from_connect("t", None, "x")


def test_batches() -> None:
    c = ByteArrayConverter()
    items = [(None, b"a"), (BYTES_SCHEMA, None), (None, bytearray(b"b"))]
    assert c.from_connect_batch("t", items) == [b"a", None, b"b"]
    assert c.to_connect_batch("t", [b"a", None]) == [(OPTIONAL_BYTES_SCHEMA, b"a"), (OPTIONAL_BYTES_SCHEMA, None)]
    with pytest.raises(DataException):
        c.from_connect_batch("t", [(None, b"a"), (None, 1)])


def test_config_only_converter_type() -> None:
    assert ByteArrayConverter.CONFIG.names() == ["converter.type"]
