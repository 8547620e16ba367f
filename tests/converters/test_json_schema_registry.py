"""JsonSchemaConverter: JsonSchemaData's mapping (vectors from Confluent's JsonSchemaDataTest), the wire
format, errors, and byte compatibility with confluent-kafka's JSONSerializer/JSONDeserializer through the
embedded registry (schemaType JSON)."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from pyconnect_flow.config.definition import ConfigException
from pyconnect_flow.converters.json_schema_data import JSON_TYPE_ENUM, JSON_TYPE_ONE_OF, JsonSchemaData
from pyconnect_flow.converters.json_schema_registry import JsonSchemaConverter
from pyconnect_flow.converters.registry import check_converter, converter_class
from pyconnect_flow.data.exceptions import DataException
from pyconnect_flow.data.logical import DATE_SCHEMA, TIME_SCHEMA, TIMESTAMP_SCHEMA, decimal_schema
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
    Schema,
    SchemaBuilder,
)
from pyconnect_flow.data.struct import Struct
from pyconnect_flow.errors import RetriableError
from pyconnect_flow.registry import RegistryServer


@pytest.fixture(scope="module")
def registry() -> Iterator[RegistryServer]:
    with RegistryServer() as server:  # in memory: no Kafka needed for the converter's own tests
        yield server


def converter(registry: RegistryServer, is_key: bool = False, **config: Any) -> JsonSchemaConverter:
    c = JsonSchemaConverter()
    c.configure({"schema.registry.url": registry.url, **config}, is_key)
    return c


SUB = SchemaBuilder.struct().name("com.example.Sub").field("x", STRING_SCHEMA).optional().build()
EVERYTHING = (
    SchemaBuilder.struct().name("com.example.Everything").version(3).doc("all the types")
    .field("i8", INT8_SCHEMA).field("i16", INT16_SCHEMA).field("i32", INT32_SCHEMA).field("i64", INT64_SCHEMA)
    .field("f32", FLOAT32_SCHEMA).field("f64", FLOAT64_SCHEMA).field("b", BOOLEAN_SCHEMA)
    .field("s", STRING_SCHEMA).field("bytes", BYTES_SCHEMA).field("opt", OPTIONAL_STRING_SCHEMA)
    .field("with_default", SchemaBuilder.int32().optional().default_value(7).build())
    .field("dec", decimal_schema(2)).field("date", DATE_SCHEMA).field("time", TIME_SCHEMA)
    .field("ts", TIMESTAMP_SCHEMA)
    .field("list", SchemaBuilder.array(INT32_SCHEMA).build())
    .field("smap", SchemaBuilder.map(STRING_SCHEMA, INT64_SCHEMA).build())
    .field("imap", SchemaBuilder.map(INT32_SCHEMA, STRING_SCHEMA).build())
    .field("sub", SUB).build()
)


def everything() -> Struct:
    return Struct(EVERYTHING, {
        "i8": -8, "i16": 300, "i32": -70000, "i64": 1 << 40, "f32": 1.5, "f64": 0.1, "b": True, "s": "sé😀",
        "bytes": b"\x00\xff", "opt": None, "with_default": 5, "dec": decimal.Decimal("-12.34"),
        "date": dt.date(2024, 2, 29), "time": dt.time(1, 2, 3, 4000),
        "ts": dt.datetime(1969, 12, 31, 23, 59, 59, 1000, tzinfo=dt.timezone.utc),
        "list": [1, 2, 3], "smap": {"a": 1}, "imap": {1: "x", -2: "y"}, "sub": Struct(SUB, {"x": "in"})})


def test_the_class_is_found_by_confluents_name() -> None:
    assert converter_class("io.confluent.connect.json.JsonSchemaConverter") is JsonSchemaConverter
    assert converter_class("JsonSchemaConverter") is JsonSchemaConverter


def test_a_struct_of_every_type_round_trips(registry: RegistryServer) -> None:
    c = converter(registry)
    data = c.from_connect("everything", EVERYTHING, everything())
    schema, value = c.to_connect("everything", data)
    assert schema == EVERYTHING  # connect.version (3) wins over the registry's version
    assert value == everything()


def test_the_wire_format_and_json_payload(registry: RegistryServer) -> None:
    c = converter(registry)
    data = c.from_connect("wire", EVERYTHING, everything())
    assert data is not None and data[0] == 0
    schema_id = int.from_bytes(data[1:5], "big")
    payload = json.loads(data[5:])
    assert payload["bytes"] == "AP8=" and payload["dec"] == "+y4="  # base64: bytes, Decimal's unscaled bytes
    assert payload["date"] == 19782 and payload["time"] == 3723004 and payload["ts"] == -999
    assert payload["imap"] == [{"key": 1, "value": "x"}, {"key": -2, "value": "y"}]
    assert payload["opt"] is None and payload["sub"] == {"x": "in"}
    with urllib.request.urlopen(f"{registry.url}/schemas/ids/{schema_id}") as answer:
        body = json.loads(answer.read())
    assert body["schemaType"] == "JSON"
    document = json.loads(body["schema"])
    assert document["title"] == "com.example.Everything" and document["description"] == "all the types"
    assert document["connect.version"] == 3
    props = document["properties"]
    assert props["i8"] == {"type": "integer", "connect.index": 0, "connect.type": "int8"}
    assert props["f32"] == {"type": "number", "connect.index": 4, "connect.type": "float32"}
    assert props["opt"] == {"oneOf": [{"type": "null"}, {"type": "string"}], "connect.index": 9}
    assert props["bytes"] == {"type": "string", "connect.index": 8, "connect.type": "bytes"}
    assert props["smap"]["connect.type"] == "map" and props["smap"]["type"] == "object"
    assert props["imap"]["items"]["properties"]["key"] == {"type": "integer", "connect.index": 0,
                                                           "connect.type": "int32"}
    assert props["sub"]["oneOf"][0] == {"type": "null"} and props["sub"]["connect.index"] == 18


# ------------------------------------------------------------------ vectors from Confluent's JsonSchemaDataTest

@pytest.mark.parametrize(("document", "node", "schema", "value"), [
    ({"type": "integer", "connect.type": "int8"}, 12, INT8_SCHEMA, 12),
    ({"type": "integer", "connect.type": "int16"}, 12, INT16_SCHEMA, 12),
    ({"type": "integer", "connect.type": "int32"}, 12, INT32_SCHEMA, 12),
    ({"type": "integer", "connect.type": "int64"}, 12, INT64_SCHEMA, 12),
    ({"type": "number", "connect.type": "float64"}, 12.2, FLOAT64_SCHEMA, 12.2),
    ({"type": "string", "connect.type": "bytes"}, "Zm9v", BYTES_SCHEMA, b"foo"),
    ({"type": "string"}, "string", STRING_SCHEMA, "string"),
    ({"type": "integer"}, 12, INT64_SCHEMA, 12),
    ({"type": "number"}, 12.5, FLOAT64_SCHEMA, 12.5),
    ({"const": "one"}, "one",
     SchemaBuilder.string().parameter(JSON_TYPE_ENUM, "").parameter(JSON_TYPE_ENUM + ".one", "one").build(), "one"),
    ({"enum": ["one", "two", None]}, "two",
     SchemaBuilder.string().parameter(JSON_TYPE_ENUM, "").parameter(JSON_TYPE_ENUM + ".one", "one")
     .parameter(JSON_TYPE_ENUM + ".two", "two").parameter(JSON_TYPE_ENUM + ".<NULL>", "<NULL>").build(), "two"),
])
def test_json_schema_to_connect_vectors(document: Any, node: Any, schema: Schema, value: Any) -> None:
    data = JsonSchemaData()
    got = data.to_connect_schema(document)
    assert got == schema
    assert data.value_decoder(got)(node) == value


def test_a_oneof_is_a_union_struct_as_confluent_reads_it() -> None:
    document = {"oneOf": [{"type": "integer", "connect.type": "int32", "connect.index": 0},
                          {"type": "string", "connect.index": 1}]}
    expected = (SchemaBuilder.struct().name(JSON_TYPE_ONE_OF).field(JSON_TYPE_ONE_OF + ".field.0", INT32_SCHEMA)
                .field(JSON_TYPE_ONE_OF + ".field.1", STRING_SCHEMA).build())
    data = JsonSchemaData()
    schema = data.to_connect_schema(document)
    assert schema.name == JSON_TYPE_ONE_OF
    assert [f.name for f in schema.fields or ()] == [f.name for f in expected.fields or ()]
    assert data.value_decoder(schema)(12).get(JSON_TYPE_ONE_OF + ".field.0") == 12
    assert data.value_decoder(schema)("x").get(JSON_TYPE_ONE_OF + ".field.1") == "x"
    assert data.value_encoder(schema)(data.value_decoder(schema)("x")) == "x"
    # written back, the union is the same oneOf (each member with its connect.index)
    assert data.from_connect_schema(schema)["oneOf"][1] == {"type": "string", "connect.index": 1}


def test_optional_is_oneof_with_null_and_reads_back_optional() -> None:
    data = JsonSchemaData()
    schema = SchemaBuilder.struct().field("a", OPTIONAL_STRING_SCHEMA).build()
    document = data.from_connect_schema(schema)
    assert document == {"type": "object", "properties": {
        "a": {"oneOf": [{"type": "null"}, {"type": "string"}], "connect.index": 0}}}
    assert data.to_connect_schema(document) == schema
    assert data.to_connect_schema({"type": ["string", "null"]}) == OPTIONAL_STRING_SCHEMA


def test_local_refs_are_resolved() -> None:
    document = {"type": "object", "properties": {"home": {"$ref": "#/definitions/Address"}},
                "definitions": {"Address": {"type": "object", "title": "Address",
                                            "properties": {"city": {"type": "string"}}}}}
    schema = JsonSchemaData().to_connect_schema(document)
    home = schema.field("home")
    assert home is not None and home.schema.name == "Address"
    with pytest.raises(DataException, match="not supported"):
        JsonSchemaData().to_connect_schema({"$ref": "http://elsewhere/schema.json"})


def test_nulls_and_batches(registry: RegistryServer) -> None:
    c = converter(registry)
    assert c.from_connect("n", EVERYTHING, None) is None
    assert c.to_connect("n", None) == (None, None)
    values = [everything(), None, everything()]
    batch = c.from_connect_values("n", EVERYTHING, values)
    assert batch == [c.from_connect("n", EVERYTHING, v) for v in values]
    assert c.to_connect_batch("n", batch) == [c.to_connect("n", d) for d in batch]


def test_bad_bytes_are_data_errors(registry: RegistryServer) -> None:
    c = converter(registry)
    with pytest.raises(DataException, match="topic t: Unknown magic byte!"):
        c.to_connect("t", b'{"json": true}')
    with pytest.raises(DataException, match="schema for id 99999"):
        c.to_connect("t", b"\x00\x00\x01\x86\x9f{}")
    good = c.from_connect("trunc", INT64_SCHEMA, 1 << 40)
    assert good is not None
    with pytest.raises(DataException, match="trunc"):
        c.to_connect("trunc", good[:-2] + b"x")
    with pytest.raises(DataException, match="Invalid type for INT32"):
        c.from_connect("t", INT32_SCHEMA, "not a number")


def test_json_fail_invalid_schema_validates_payloads(registry: RegistryServer) -> None:
    theirs = SchemaRegistryClient({"url": registry.url})
    schema_id = theirs.register_schema("strict-value", _schema_obj('{"type":"object","properties":'
                                                                    '{"n":{"type":"integer"}},"required":["n"]}'))
    bad = b"\x00" + schema_id.to_bytes(4, "big") + b'{"m": 1}'
    assert converter(registry).to_connect("strict", bad)[1].get("n") is None  # Confluent's default: no check
    with pytest.raises(DataException, match="'n' is a required property"):
        converter(registry, **{"json.fail.invalid.schema": "true"}).to_connect("strict", bad)


def _schema_obj(text: str) -> Any:
    from confluent_kafka.schema_registry import Schema as RegistrySchema

    return RegistrySchema(text, "JSON")


def test_the_registry_refuses_an_incompatible_json_schema(registry: RegistryServer) -> None:
    first = SchemaBuilder.struct().name("Evolving").field("a", INT32_SCHEMA).build()
    second = SchemaBuilder.struct().name("Evolving").field("a", INT32_SCHEMA).field("b", OPTIONAL_STRING_SCHEMA).build()
    # Confluent's strict JSON Schema rules: a property added to an open content model (the default,
    # object.additional.properties=true) may clash with what old writers put there, so it is refused
    opened = converter(registry)
    opened.from_connect("evolve-open", first, Struct(first, {"a": 1}))
    with pytest.raises(DataException, match="OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"):
        opened.from_connect("evolve-open", second, Struct(second, {"a": 1}))
    # to a closed one (additionalProperties: false) it is compatible
    c = converter(registry, **{"object.additional.properties": "false"})
    c.from_connect("evolve", first, Struct(first, {"a": 1}))
    c.from_connect("evolve", second, Struct(second, {"a": 1}))
    with pytest.raises(DataException, match="incompatible"):
        c.from_connect("evolve", INT32_SCHEMA, 1)  # object → integer: refused with 409


def test_auto_register_off_and_subject_strategies(registry: RegistryServer) -> None:
    schema = SchemaBuilder.struct().name("com.example.NotThere").field("x", INT32_SCHEMA).build()
    with pytest.raises(DataException, match="not found"):
        converter(registry, **{"auto.register.schemas": "false"}).from_connect("noauto", schema,
                                                                             Struct(schema, {"x": 1}))
    c = converter(registry, **{"value.subject.name.strategy": "RecordNameStrategy"})
    c.from_connect("by-record", schema, Struct(schema, {"x": 1}))
    with urllib.request.urlopen(f"{registry.url}/subjects") as answer:
        assert "com.example.NotThere" in json.loads(answer.read())
    with pytest.raises(DataException, match="record"):
        c.from_connect("by-record", INT32_SCHEMA, 1)


def test_config_errors_and_outages() -> None:
    issues = check_converter("JsonSchemaConverter", {"decimal.format": "HEX"}, "value.converter.")
    assert {i.key for i in issues} == {"value.converter.schema.registry.url", "value.converter.decimal.format"}
    with pytest.raises(ConfigException, match="basic.auth.user.info"):
        JsonSchemaConverter().configure({"schema.registry.url": "http://x",
                                         "basic.auth.credentials.source": "USER_INFO"}, False)
    c = JsonSchemaConverter()
    c.configure({"schema.registry.url": "http://127.0.0.1:9", "basic.auth.credentials.source": "USER_INFO",
                 "basic.auth.user.info": "user:s3cr3t"}, False)
    c.client.retries = 0
    with pytest.raises(RetriableError) as failure:  # an outage is retried, never a bad record
        c.from_connect("t", STRING_SCHEMA, "x")
    assert "s3cr3t" not in str(failure.value)
    with pytest.raises(RetriableError):
        c.to_connect("t", b"\x00\x00\x00\x00\x07{}")


# ----------------------------------------------------------------------------- confluent-kafka's serde


def test_confluents_deserializer_reads_our_bytes(registry: RegistryServer) -> None:
    data = converter(registry).from_connect("x-ours", EVERYTHING, everything())
    deserializer = JSONDeserializer(None, schema_registry_client=SchemaRegistryClient({"url": registry.url}))
    value = deserializer(data, SerializationContext("x-ours", MessageField.VALUE))  # validates against our schema
    assert value == {
        "i8": -8, "i16": 300, "i32": -70000, "i64": 1 << 40, "f32": 1.5, "f64": 0.1, "b": True, "s": "sé😀",
        "bytes": "AP8=", "opt": None, "with_default": 5, "dec": "+y4=", "date": 19782, "time": 3723004, "ts": -999,
        "list": [1, 2, 3], "smap": {"a": 1}, "imap": [{"key": 1, "value": "x"}, {"key": -2, "value": "y"}],
        "sub": {"x": "in"}}


def test_we_read_confluents_serializer_bytes(registry: RegistryServer) -> None:
    schema_str = json.dumps({
        "$schema": "http://json-schema.org/draft-07/schema#", "title": "Payment", "type": "object",
        "properties": {"id": {"type": "string"}, "amount": {"type": "number"}, "count": {"type": "integer"},
                       "paid": {"type": "boolean"}, "note": {"type": ["string", "null"]},
                       "tags": {"type": "array", "items": {"type": "string"}},
                       "meta": {"type": "object", "properties": {"by": {"type": "string"}}}},
        "required": ["id", "amount"]})
    serializer = JSONSerializer(schema_str, SchemaRegistryClient({"url": registry.url}))
    record = {"id": "p1", "amount": 12.5, "count": 3, "paid": False, "note": None, "tags": ["a", "b"],
              "meta": {"by": "me"}}
    data = serializer(record, SerializationContext("x-theirs", MessageField.VALUE))
    schema, value = converter(registry, **{"use.optional.for.nonrequired": "true"}).to_connect("x-theirs", data)
    assert schema is not None and schema.name == "Payment" and schema.version == 1
    types = {f.name: (f.schema.type.name, f.schema.optional) for f in schema.fields or ()}
    assert types == {"id": ("STRING", False), "amount": ("FLOAT64", False), "count": ("INT64", True),
                     "paid": ("BOOLEAN", True), "note": ("STRING", True), "tags": ("ARRAY", True),
                     "meta": ("STRUCT", True)}
    assert value.get("id") == "p1" and value.get("amount") == 12.5 and value.get("count") == 3
    assert value.get("paid") is False and value.get("note") is None and value.get("tags") == ["a", "b"]
    assert value.get("meta").get("by") == "me"
    # and what we write back for it, Confluent's deserializer reads as the record it started from
    again = converter(registry).from_connect("x-theirs-again", schema, value)
    deserializer = JSONDeserializer(None, schema_registry_client=SchemaRegistryClient({"url": registry.url}))
    assert deserializer(again, SerializationContext("x-theirs-again", MessageField.VALUE)) == record
