"""Index mappings from Connect schemas, as Confluent's Mapping.buildMapping."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest

from pyconnect_flow.connectors.elasticsearch.mapping import build_mapping, is_empty_mapping
from pyconnect_flow.data import logical
from pyconnect_flow.data.exceptions import DataException
from pyconnect_flow.data.schema import (
    BOOLEAN_SCHEMA,
    BYTES_SCHEMA,
    FLOAT32_SCHEMA,
    FLOAT64_SCHEMA,
    INT8_SCHEMA,
    INT16_SCHEMA,
    INT32_SCHEMA,
    INT64_SCHEMA,
    STRING_SCHEMA,
    SchemaBuilder,
)

TEXT = {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}}


@pytest.mark.parametrize(("schema", "expected"), [
    (BOOLEAN_SCHEMA, {"type": "boolean"}), (INT8_SCHEMA, {"type": "byte"}), (INT16_SCHEMA, {"type": "short"}),
    (INT32_SCHEMA, {"type": "integer"}), (INT64_SCHEMA, {"type": "long"}), (FLOAT32_SCHEMA, {"type": "float"}),
    (FLOAT64_SCHEMA, {"type": "double"}), (STRING_SCHEMA, TEXT), (BYTES_SCHEMA, {"type": "binary"}),
    (logical.decimal_schema(2), {"type": "double"}), (logical.DATE_SCHEMA, {"type": "date"}),
    (logical.TIME_SCHEMA, {"type": "date"}), (logical.TIMESTAMP_SCHEMA, {"type": "date"}),
    (SchemaBuilder.array(INT16_SCHEMA).build(), {"type": "short"}),
    (SchemaBuilder.map(STRING_SCHEMA, INT64_SCHEMA).build(),
     {"properties": {"key": TEXT, "value": {"type": "long"}}}),
])
def test_every_type(schema: object, expected: dict[str, object]) -> None:
    assert build_mapping(schema) == expected  # type: ignore[arg-type]


def test_struct_nesting_and_defaults_as_null_value() -> None:
    inner = SchemaBuilder.struct().field("n", SchemaBuilder.int32().default_value(5).build()).build()
    schema = (SchemaBuilder.struct()
              .field("inner", inner)
              .field("flag", SchemaBuilder.bool().default_value(True).build())
              .field("ratio", SchemaBuilder.float64().default_value(0.5).build())
              .field("name", SchemaBuilder.string().default_value("x").build())
              .field("raw", SchemaBuilder.bytes().default_value(b"x").build())
              .field("price", logical.decimal_builder(1).default_value(decimal.Decimal("2.5")).build())
              .field("day", logical.date_builder().default_value(dt.date(1970, 1, 2)).build())
              .field("ts", logical.timestamp_builder().default_value(
                  dt.datetime(1970, 1, 1, 0, 0, 1, tzinfo=dt.timezone.utc)).build())
              .build())
    assert build_mapping(schema) == {"properties": {
        "inner": {"properties": {"n": {"type": "integer", "null_value": 5}}},
        "flag": {"type": "boolean", "null_value": True},
        "ratio": {"type": "double", "null_value": 0.5},
        "name": TEXT,
        "raw": {"type": "binary"},
        "price": {"type": "double", "null_value": 2.5},
        "day": {"type": "date", "null_value": 86_400_000},
        "ts": {"type": "date", "null_value": 1000},
    }}


def test_no_schema_no_mapping() -> None:
    with pytest.raises(DataException, match="Cannot infer mapping without schema."):
        build_mapping(None)


def test_empty_mapping_answers() -> None:
    assert is_empty_mapping({"idx": {"mappings": {}}}, "idx")
    assert not is_empty_mapping({"idx": {"mappings": {"properties": {"a": {"type": "long"}}}}}, "idx")
    assert not is_empty_mapping({"real-index": {"mappings": {"dynamic": "strict"}}}, "alias")
