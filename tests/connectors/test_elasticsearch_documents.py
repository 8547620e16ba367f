"""Records → bulk actions: index names, ids, versions and the JSON bodies Confluent's DataConverter writes."""

from __future__ import annotations

import datetime as dt
import decimal

import orjson
import pytest

from pyconnect_flow.connectors.elasticsearch.config import EsSinkSettings
from pyconnect_flow.connectors.elasticsearch.documents import (
    DocumentBuilder,
    compile_document_encoder,
    document_id,
    encode_schemaless_body,
    index_name,
)
from pyconnect_flow.converters.json_codec import dumps
from pyconnect_flow.data import logical
from pyconnect_flow.data.exceptions import ConnectException, DataException
from pyconnect_flow.data.schema import (
    BOOLEAN_SCHEMA,
    BYTES_SCHEMA,
    FLOAT32_SCHEMA,
    FLOAT64_SCHEMA,
    INT8_SCHEMA,
    INT16_SCHEMA,
    INT32_SCHEMA,
    INT64_SCHEMA,
    OPTIONAL_STRING_SCHEMA,
    STRING_SCHEMA,
    SchemaBuilder,
)
from pyconnect_flow.data.struct import Struct
from pyconnect_flow.record import Record

URLS = ("http://localhost:9200",)


def lines(data: bytes) -> list[object]:
    return [orjson.loads(line) for line in data.splitlines()]


@pytest.mark.parametrize(("topic", "index"), [
    ("Orders", "orders"), ("-logs", "logs"), ("__x", "_x"), (".", "dot"), ("..", "dotdot"),
    ("a" * 300, "a" * 255), ("Ünïcode", "ünïcode"),
])
def test_index_name(topic: str, index: str) -> None:
    assert index_name(topic) == index


@pytest.mark.parametrize(("key", "schema", "expected"), [
    ("abc", STRING_SCHEMA, "abc"), (7, INT8_SCHEMA, "7"), (-300, INT16_SCHEMA, "-300"), (12, INT32_SCHEMA, "12"),
    (2**40, INT64_SCHEMA, str(2**40)), ("schemaless", None, "schemaless"), (42, None, "42"),
])
def test_document_ids_from_keys(key: object, schema: object, expected: str) -> None:
    assert document_id(Record("t", key, {}, 0, 1, schema)) == expected


@pytest.mark.parametrize(("key", "schema", "message"), [
    (None, None, "can not be null"), ("", STRING_SCHEMA, "can not be empty"),
    (True, BOOLEAN_SCHEMA, "BOOLEAN is not supported"), (1.5, None, "FLOAT64 is not supported"),
    (b"x", BYTES_SCHEMA, "BYTES is not supported"), ({"a": 1}, None, "MAP is not supported"),
])
def test_keys_that_cannot_be_ids(key: object, schema: object, message: str) -> None:
    with pytest.raises(DataException, match=message):
        document_id(Record("t", key, {}, 0, 1, schema))


ADDRESS = SchemaBuilder.struct().name("Address").field("city", STRING_SCHEMA).optional().build()
EVERYTHING = (SchemaBuilder.struct().name("Everything")
              .field("i8", INT8_SCHEMA).field("i16", INT16_SCHEMA).field("i32", INT32_SCHEMA)
              .field("i64", INT64_SCHEMA).field("f32", FLOAT32_SCHEMA).field("f64", FLOAT64_SCHEMA)
              .field("flag", BOOLEAN_SCHEMA).field("text", STRING_SCHEMA).field("raw", BYTES_SCHEMA)
              .field("price", logical.decimal_schema(2))
              .field("day", logical.DATE_SCHEMA).field("at", logical.TIME_SCHEMA).field("ts", logical.TIMESTAMP_SCHEMA)
              .field("list", SchemaBuilder.array(INT32_SCHEMA).build())
              .field("smap", SchemaBuilder.map(STRING_SCHEMA, INT32_SCHEMA).build())
              .field("imap", SchemaBuilder.map(INT32_SCHEMA, STRING_SCHEMA).build())
              .field("address", ADDRESS)
              .field("note", OPTIONAL_STRING_SCHEMA)
              .field("level", SchemaBuilder.int32().optional().default_value(3).build())
              .build())


def everything() -> Struct:
    return (Struct(EVERYTHING).put("i8", 1).put("i16", 2).put("i32", 3).put("i64", 2**40).put("f32", 1.5)
            .put("f64", 1e20).put("flag", True).put("text", "hé").put("raw", b"\x00\x01")
            .put("price", decimal.Decimal("12.34"))
            .put("day", dt.date(1970, 1, 11)).put("at", dt.time(0, 0, 1)).put(
                "ts", dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc))
            .put("list", [1, 2]).put("smap", {"a": 1}).put("imap", {5: "five"})
            .put("address", Struct(ADDRESS).put("city", "Oslo")))


def test_every_type_with_schema_as_confluent_writes_it() -> None:
    doc = orjson.loads(dumps(compile_document_encoder(EVERYTHING, True)(everything())))
    assert doc == {
        "i8": 1, "i16": 2, "i32": 3, "i64": 2**40, "f32": 1.5, "f64": 1e20, "flag": True, "text": "hé",
        "raw": "AAE=", "price": 12.34, "day": 10, "at": 1000, "ts": 1704067200000, "list": [1, 2],
        "smap": {"a": 1}, "imap": [{"key": 5, "value": "five"}], "address": {"city": "Oslo"},
        "note": None, "level": 3,
    }


def test_maps_as_entries_without_compact_map_entries() -> None:
    doc = orjson.loads(dumps(compile_document_encoder(EVERYTHING, False)(everything())))
    assert doc["smap"] == [{"key": "a", "value": 1}]
    assert doc["imap"] == [{"key": 5, "value": "five"}]


def test_decimal_defaults_and_required_nulls() -> None:
    schema = logical.decimal_builder(1).optional().default_value(decimal.Decimal("2.5")).build()
    assert orjson.loads(dumps(compile_document_encoder(schema, True)(None))) == 2.5
    with pytest.raises(DataException, match="required"):
        compile_document_encoder(logical.decimal_schema(1), True)(None)


def test_schemaless_bodies() -> None:
    assert orjson.loads(encode_schemaless_body({"a": [1, 2.5, None, "x"], "b": {"c": True}})) == {
        "a": [1, 2.5, None, "x"], "b": {"c": True}}
    assert orjson.loads(encode_schemaless_body({"raw": b"\x00\x01"})) == {"raw": "AAE="}
    assert orjson.loads(encode_schemaless_body({"m": {1: "one"}})) == {"m": [[1, "one"]]}
    with pytest.raises(DataException):
        encode_schemaless_body({"when": dt.datetime(2024, 1, 1)})


def builder(**settings: object) -> DocumentBuilder:
    return DocumentBuilder(EsSinkSettings(urls=URLS, **settings))  # type: ignore[arg-type]


def test_insert_with_key_carries_the_offset_as_external_version() -> None:
    item = builder().build(Record("Orders", "k1", {"a": 1}, 3, 42, STRING_SCHEMA))
    assert item is not None and item.external and item.op == "index" and item.doc_id == "k1"
    assert lines(item.data) == [{"index": {"_index": "orders", "_id": "k1", "version": 42,
                                           "version_type": "external"}}, {"a": 1}]


def test_key_ignored_ids_have_no_version() -> None:
    item = builder(key_ignore=True).build(Record("Orders", None, {"a": 1}, 3, 42))
    assert item is not None and not item.external
    assert lines(item.data)[0] == {"index": {"_index": "orders", "_id": "Orders+3+42"}}


def test_autogenerated_ids() -> None:
    item = builder(autogenerated_ids=True).build(Record("t", "k", {"a": 1}, 0, 1))
    assert item is not None and lines(item.data)[0] == {"index": {"_index": "t"}}


def test_upsert_sends_doc_and_upsert_with_retry_on_conflict() -> None:
    item = builder(upsert=True, max_in_flight=3).build(Record("t", "k", {"a": 1}, 0, 9))
    assert item is not None and item.op == "update" and not item.external
    assert lines(item.data) == [{"update": {"_index": "t", "_id": "k", "retry_on_conflict": 3}},
                                {"doc": {"a": 1}, "upsert": {"a": 1}}]


def test_tombstones() -> None:
    tombstone = Record("t", "k", None, 0, 5)
    with pytest.raises(DataException, match="behavior.on.null.values"):
        builder().build(tombstone)
    assert builder(behavior_on_null_values="ignore").build(tombstone) is None
    assert builder(behavior_on_null_values="delete").build(Record("t", None, None, 0, 5)) is None
    item = builder(behavior_on_null_values="delete").build(tombstone)
    assert item is not None and item.op == "delete"
    assert lines(item.data) == [{"delete": {"_index": "t", "_id": "k", "version": 5, "version_type": "external"}}]


def test_external_version_header() -> None:
    b = builder(external_version_header="v")
    item = b.build(Record("t", "k", {"a": 1}, 0, 5, headers=(("v", b"7"), ("v", b"1234"))))
    assert item is not None and lines(item.data)[0]["index"]["version"] == 1234  # type: ignore[index]
    with pytest.raises(ConnectException, match="Error converting external version header 'v'") as info:
        b.build(Record("t", "k", {"a": 1}, 0, 5, headers=(("v", b"secret-value"),)))
    assert "secret-value" not in str(info.value)


def test_schema_ignored_writes_what_json_converter_writes() -> None:
    schema = SchemaBuilder.struct().field("price", logical.decimal_schema(2)).build()
    value = Struct(schema).put("price", decimal.Decimal("1.00"))
    item = builder(schema_ignore=True).build(Record("t", "k", value, 0, 1, STRING_SCHEMA, schema))
    assert item is not None and lines(item.data)[1] == {"price": "ZA=="}  # unscaled 100, base64


def test_external_resource_mapping_names_the_index() -> None:
    b = builder(resource_map={"orders": "Orders-Alias"})
    item = b.build(Record("orders", "k", {"a": 1}, 0, 1))
    assert item is not None and lines(item.data)[0]["index"]["_index"] == "Orders-Alias"  # type: ignore[index]
    with pytest.raises(ConnectException, match="not mapped"):
        b.build(Record("other", "k", {"a": 1}, 0, 1))
