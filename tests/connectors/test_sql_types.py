"""Connect schemas → SQL types, row plans per pk.mode, schemaless inference (no database needed)."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from pyconnect_flow.connectors.sql.rows import PlanError, Settings, build_plan
from pyconnect_flow.connectors.sql.tables import table_id
from pyconnect_flow.connectors.sql.types import UnsupportedSchema, binder, connect_schema, infer_value_schema, sql_type
from pyconnect_flow.data import (
    INT32_SCHEMA,
    INT64_SCHEMA,
    OPTIONAL_STRING_SCHEMA,
    STRING_SCHEMA,
    SchemaBuilder,
    Struct,
    Type,
    logical,
)
from pyconnect_flow.data.exceptions import DataException
from pyconnect_flow.record import Record

UTC = dt.timezone.utc


def compiled(schema, dialect=None) -> str:  # noqa: ANN001
    dialect = dialect or postgresql.dialect()
    return sql_type(schema, dialect.name, "c").compile(dialect=dialect)


@pytest.mark.parametrize(("schema", "pg", "lite"), [
    (SchemaBuilder.int8().build(), "SMALLINT", "SMALLINT"),
    (SchemaBuilder.int16().build(), "SMALLINT", "SMALLINT"),
    (INT32_SCHEMA, "INTEGER", "INTEGER"),
    (INT64_SCHEMA, "BIGINT", "BIGINT"),
    (SchemaBuilder.float32().build(), "REAL", "REAL"),
    (SchemaBuilder.float64().build(), "DOUBLE PRECISION", "DOUBLE"),
    (SchemaBuilder.bool().build(), "BOOLEAN", "BOOLEAN"),
    (STRING_SCHEMA, "TEXT", "TEXT"),
    (SchemaBuilder.bytes().build(), "BYTEA", "BLOB"),
    (logical.decimal_schema(2), "NUMERIC", "NUMERIC"),
    (logical.DATE_SCHEMA, "DATE", "DATE"),
    (logical.TIME_SCHEMA, "TIME WITHOUT TIME ZONE", "TIME"),
    (logical.TIMESTAMP_SCHEMA, "TIMESTAMP WITHOUT TIME ZONE", "DATETIME"),
])
def test_connect_types_map_as_confluents_postgres_dialect(schema, pg: str, lite: str) -> None:  # noqa: ANN001
    assert compiled(schema) == pg
    assert compiled(schema, sqlite.dialect()) == lite


def test_arrays_of_primitives_only_on_postgres_and_maps_structs_never() -> None:
    assert compiled(SchemaBuilder.array(INT32_SCHEMA).build()) == "INTEGER[]"
    with pytest.raises(UnsupportedSchema, match="doesn't have a mapping"):
        sql_type(SchemaBuilder.array(INT32_SCHEMA).build(), "sqlite", "c")
    with pytest.raises(UnsupportedSchema, match="Flatten"):
        sql_type(SchemaBuilder.map(STRING_SCHEMA, STRING_SCHEMA).build(), "postgresql", "c")


def test_timestamps_are_bound_as_wall_clock_time_in_db_timezone() -> None:
    from zoneinfo import ZoneInfo

    bind = binder(logical.TIMESTAMP_SCHEMA, ZoneInfo("America/New_York"))
    assert bind is not None
    assert bind(dt.datetime(2024, 1, 1, 12, tzinfo=UTC)) == dt.datetime(2024, 1, 1, 7)
    assert binder(INT64_SCHEMA, UTC) is None


def test_source_columns_become_connect_schemas() -> None:
    assert connect_schema(sa.Integer(), False).type is Type.INT32
    assert connect_schema(sa.BigInteger(), True).optional
    assert connect_schema(sa.Numeric(10, 2), True).name == logical.DECIMAL_NAME
    assert connect_schema(sa.DateTime(), False).name == logical.TIMESTAMP_NAME
    assert connect_schema(postgresql.DOUBLE_PRECISION(), False).type is Type.FLOAT64
    assert connect_schema(sa.REAL(), False).type is Type.FLOAT32
    assert connect_schema(postgresql.UUID(), False).type is Type.STRING


def settings(mode: str, *fields: str, whitelist: tuple[str, ...] = ()) -> Settings:
    return Settings(mode, tuple(fields), frozenset(whitelist), True, UTC)


KEY = SchemaBuilder.struct().field("k1", INT32_SCHEMA).field("k2", STRING_SCHEMA).build()
VALUE = (SchemaBuilder.struct().field("a", INT32_SCHEMA).field("b", OPTIONAL_STRING_SCHEMA)
         .field("k1", INT32_SCHEMA).field("c", SchemaBuilder.string().optional().default_value("dflt").build())
         .build())
RECORD = Record("t", Struct(KEY, {"k1": 1, "k2": "x"}), Struct(VALUE, {"a": 5, "b": None, "k1": 9, "c": None}),
                2, 40, KEY, VALUE)


def test_plans_per_pk_mode_key_columns_first_and_whitelist() -> None:
    plan = build_plan(settings("none"), KEY, VALUE)
    assert (plan.names, plan.key_count, plan.row(RECORD)) == (("a", "b", "k1", "c"), 0, (5, None, 9, "dflt"))
    plan = build_plan(settings("kafka"), KEY, VALUE)
    assert plan.key_names == ("__connect_topic", "__connect_partition", "__connect_offset")
    assert plan.row(RECORD)[:3] == ("t", 2, 40)
    plan = build_plan(settings("record_key"), KEY, VALUE)
    assert plan.names == ("k1", "k2", "a", "b", "c") and plan.row(RECORD) == (1, "x", 5, None, "dflt")
    plan = build_plan(settings("record_key", "k2", whitelist=("b",)), KEY, VALUE)
    assert plan.names == ("k2", "b") and plan.key(RECORD) == ("x",)
    plan = build_plan(settings("record_value", "a"), KEY, VALUE)
    assert plan.names == ("a", "b", "k1", "c") and plan.key_count == 1


def test_plan_errors_match_confluents_messages() -> None:
    with pytest.raises(PlanError, match="Need exactly one PK column"):
        build_plan(settings("record_key"), INT64_SCHEMA, VALUE)
    assert build_plan(settings("record_key", "id"), INT64_SCHEMA, VALUE).names[0] == "id"
    with pytest.raises(PlanError, match="does not contain field: nope"):
        build_plan(settings("record_value", "nope"), None, VALUE)
    with pytest.raises(PlanError, match="needs records with a key"):
        build_plan(settings("record_key"), None, VALUE)


def test_schemaless_objects_get_optional_inferred_fields() -> None:
    schema = infer_value_schema({"i": 1, "f": 1.5, "s": "x", "b": True, "d": decimal.Decimal("1.25"), "n": None}, "t")
    assert [(f.name, f.schema.type, f.schema.optional) for f in schema.fields] == [
        ("i", Type.INT64, True), ("f", Type.FLOAT64, True), ("s", Type.STRING, True), ("b", Type.BOOLEAN, True),
        ("d", Type.BYTES, True)]
    with pytest.raises(DataException, match="JSON objects"):
        infer_value_schema([1, 2], "t")
    with pytest.raises(DataException, match="Flatten"):
        infer_value_schema({"x": {"y": 1}}, "t")


def test_table_names_from_format_schema_prefix_and_length_limit() -> None:
    assert table_id("${topic}", "orders", 63).name == "orders"
    tid = table_id("sales.${topic}_v1", "orders", 63)
    assert (tid.schema, tid.name) == ("sales", "orders_v1")
    assert len(table_id("${topic}", "x" * 100, 63).name) == 63
    assert table_id("${topic}", "Orders", 63, lowercase=True).name == "orders"
