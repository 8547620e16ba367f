"""Schemaless values' schema types (`ConnectSchema.schemaType`) and schemas (`Values.inferSchema`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pyconnect_flow.data import (
    INT32_SCHEMA,
    INT64_SCHEMA,
    STRING_SCHEMA,
    SchemaBuilder,
    Struct,
    Type,
    infer_schema,
    schema_type,
)


def test_schema_type_of_python_values() -> None:
    struct = Struct(SchemaBuilder.struct().field("a", INT32_SCHEMA).build())
    values = [True, 1, 1.5, "a", b"x", bytearray(b"x"), memoryview(b"x"), [1], (1,), {"a": 1}, struct]
    assert [schema_type(v) for v in values] == [
        Type.BOOLEAN, Type.INT64, Type.FLOAT64, Type.STRING, Type.BYTES, Type.BYTES, Type.BYTES,
        Type.ARRAY, Type.ARRAY, Type.MAP, Type.STRUCT]
    assert schema_type(Decimal(1)) is None and schema_type(dt.date(2020, 1, 1)) is None and schema_type(None) is None


def test_infer_schema_of_python_values() -> None:
    assert infer_schema(1) is INT32_SCHEMA and infer_schema(1 << 31) is INT64_SCHEMA
    assert infer_schema("a") is STRING_SCHEMA and infer_schema([1]) is None
