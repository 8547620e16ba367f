"""Format encoders without a server: the flat-struct JSON fast path writes exactly what JsonConverter writes."""

from __future__ import annotations

import random

from pyconnect_flow.connectors.s3.formats import encode_flat, flat_plan
from pyconnect_flow.connectors.s3.parquet_format import arrow_schema
from pyconnect_flow.converters.json import JsonConverter
from pyconnect_flow.data.logical import TIMESTAMP_SCHEMA, decimal_schema
from pyconnect_flow.data.schema import (
    BOOLEAN_SCHEMA,
    FLOAT64_SCHEMA,
    INT32_SCHEMA,
    INT64_SCHEMA,
    OPTIONAL_FLOAT64_SCHEMA,
    OPTIONAL_STRING_SCHEMA,
    STRING_SCHEMA,
    SchemaBuilder,
)
from pyconnect_flow.data.struct import Struct
from pyconnect_flow.record import Record

FLAT = (SchemaBuilder.struct().field("id", INT64_SCHEMA).field("n", INT32_SCHEMA).field("ok", BOOLEAN_SCHEMA)
        .field("name", STRING_SCHEMA).field("note", OPTIONAL_STRING_SCHEMA).field("x", FLOAT64_SCHEMA)
        .field("y", OPTIONAL_FLOAT64_SCHEMA).build())


def converter() -> JsonConverter:
    c = JsonConverter()
    c.configure({"schemas.enable": "false"}, is_key=False)
    return c


def records(values: list[dict]) -> list[Record]:
    return [Record("t", None, Struct.unchecked(FLAT, {f.name: v.get(f.name) for f in FLAT.fields or ()}), 0, i,
                   None, FLAT) for i, v in enumerate(values)]


def test_fast_path_bytes_equal_json_converter_bytes() -> None:
    rnd = random.Random(7)
    texts = ["plain", "ünïcödé ✓", "quote\" back\\slash /", "ctrl\x01\x1f\n\t", "", "emoji 🎉", "astral \U0001D11E"]
    values = [{"id": rnd.randint(-2**63, 2**63 - 1), "n": rnd.randint(-2**31, 2**31 - 1), "ok": rnd.random() < .5,
               "name": rnd.choice(texts), "note": rnd.choice([None, *texts]),
               "x": rnd.choice([0.0, -0.0, 0.001, 123.456, -9999999.5, rnd.uniform(-1e6, 1e6)]),
               "y": rnd.choice([None, 1.5, 0.25])} for _ in range(500)]
    recs = records(values)
    plan = flat_plan(FLAT)
    assert plan is not None
    fast = encode_flat(recs, FLAT, plan)
    expected = converter().from_connect_batch("t", [(r.value_schema, r.value) for r in recs])
    assert fast == b"\n".join(expected) + b"\n"
    assert b"\\u001F" in fast  # control characters escaped as Jackson does
    assert b"\\uD834\\uDD1E" in fast  # and characters outside the BMP as surrogate pairs


def test_values_outside_the_fast_path_fall_back() -> None:
    plan = flat_plan(FLAT)
    assert plan is not None
    base = {"id": 1, "n": 2, "ok": True, "name": "a", "note": None, "x": 1.0, "y": None}
    for change in ({"x": 1e7}, {"x": 1e-4}, {"x": float("nan")}, {"x": 3}, {"name": None}, {"name": "\ud800"}):
        assert encode_flat(records([base, {**base, **change}]), FLAT, plan) is None
    nested = SchemaBuilder.struct().field("ts", TIMESTAMP_SCHEMA).field("d", decimal_schema(2)).build()
    assert flat_plan(nested) is None and flat_plan(None) is None and flat_plan(STRING_SCHEMA) is None


def test_parquet_schema_from_connect_schema() -> None:
    import pyarrow as pa

    schema = (SchemaBuilder.struct().field("id", INT64_SCHEMA).field("ts", TIMESTAMP_SCHEMA)
              .field("d", decimal_schema(2)).field("tags", SchemaBuilder.array(STRING_SCHEMA).optional().build())
              .field("m", SchemaBuilder.map(STRING_SCHEMA, INT32_SCHEMA).build()).build())
    arrow = arrow_schema(schema)
    assert arrow.field("id").type == pa.int64() and not arrow.field("id").nullable
    assert arrow.field("ts").type == pa.timestamp("ms", tz="UTC")
    assert arrow.field("d").type == pa.decimal128(38, 2)
    assert arrow.field("tags").nullable and pa.types.is_list(arrow.field("tags").type)
    assert pa.types.is_map(arrow.field("m").type)
