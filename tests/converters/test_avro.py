"""AvroConverter: round trips for every Connect type, Confluent's wire format, and byte compatibility
with confluent-kafka's own AvroSerializer/AvroDeserializer through the embedded registry."""

from __future__ import annotations

import datetime as dt
import decimal
import json
from collections.abc import Iterator
from typing import Any

import pytest

from pyconnect_flow.config.definition import ConfigException
from pyconnect_flow.converters.avro import AvroConverter
from pyconnect_flow.converters.avro_data import AvroData, avro_schema_json
from pyconnect_flow.converters.registry import check_converter, converter_class
from pyconnect_flow.data.exceptions import DataException
from pyconnect_flow.data.logical import (
    DATE_SCHEMA,
    OPTIONAL_TIMESTAMP_SCHEMA,
    TIME_SCHEMA,
    TIMESTAMP_SCHEMA,
    decimal_schema,
)
from pyconnect_flow.data.schema import (
    BOOLEAN_SCHEMA,
    BYTES_SCHEMA,
    FLOAT32_SCHEMA,
    FLOAT64_SCHEMA,
    INT8_SCHEMA,
    INT16_SCHEMA,
    INT32_SCHEMA,
    INT64_SCHEMA,
    OPTIONAL_INT32_SCHEMA,
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


def converter(registry: RegistryServer, is_key: bool = False, **config: Any) -> AvroConverter:
    c = AvroConverter()
    c.configure({"schema.registry.url": registry.url, **config}, is_key)
    return c


ADDRESS = SchemaBuilder.struct().name("com.example.Address").field("city", STRING_SCHEMA).build()
EVERYTHING = (
    SchemaBuilder.struct().name("com.example.Everything").version(3).doc("all the types")
    .field("i8", INT8_SCHEMA).field("i16", INT16_SCHEMA).field("i32", INT32_SCHEMA).field("i64", INT64_SCHEMA)
    .field("f32", FLOAT32_SCHEMA).field("f64", FLOAT64_SCHEMA).field("b", BOOLEAN_SCHEMA)
    .field("s", STRING_SCHEMA).field("bytes", BYTES_SCHEMA)
    .field("opt", OPTIONAL_STRING_SCHEMA)
    .field("with_default", SchemaBuilder.int32().optional().default_value(7).build())
    .field("dec", decimal_schema(2)).field("date", DATE_SCHEMA).field("time", TIME_SCHEMA)
    .field("ts", TIMESTAMP_SCHEMA).field("maybe_ts", OPTIONAL_TIMESTAMP_SCHEMA)
    .field("list", SchemaBuilder.array(INT32_SCHEMA).build())
    .field("smap", SchemaBuilder.map(STRING_SCHEMA, INT64_SCHEMA).build())
    .field("imap", SchemaBuilder.map(INT32_SCHEMA, STRING_SCHEMA).build())
    .field("address", ADDRESS)
    .field("maybe_address", SchemaBuilder.struct().field("zip", OPTIONAL_INT32_SCHEMA).optional().build())
    .build()
)


def everything() -> Struct:
    return (Struct(EVERYTHING).put("i8", -8).put("i16", 300).put("i32", 1 << 30).put("i64", -(1 << 60))
            .put("f32", 1.5).put("f64", 2.25).put("b", True).put("s", "sé😀").put("bytes", b"\x00\xff")
            .put("opt", None).put("with_default", 9).put("dec", decimal.Decimal("-12.34"))
            .put("date", dt.date(2024, 2, 29)).put("time", dt.time(23, 59, 59, 999000))
            .put("ts", dt.datetime(1969, 12, 31, 23, 59, 59, 1000, tzinfo=dt.timezone.utc))
            .put("maybe_ts", None).put("list", [1, 2, 3]).put("smap", {"a": 1}).put("imap", {1: "x", -2: "y"})
            .put("address", Struct(ADDRESS).put("city", "Lyon"))
            .put("maybe_address", Struct(EVERYTHING.field("maybe_address").schema).put("zip", 69000)))  # type: ignore[union-attr]


PRIMITIVES: list[tuple[Schema, Any]] = [
    (INT8_SCHEMA, -128), (INT16_SCHEMA, 32767), (INT32_SCHEMA, -1), (INT64_SCHEMA, 1 << 62), (FLOAT32_SCHEMA, 0.5),
    (FLOAT64_SCHEMA, -1e300), (BOOLEAN_SCHEMA, False), (STRING_SCHEMA, ""), (BYTES_SCHEMA, b"abc"),
    (decimal_schema(5), decimal.Decimal("1.00000")), (DATE_SCHEMA, dt.date(1, 1, 1)),
    (TIMESTAMP_SCHEMA, dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)), (OPTIONAL_STRING_SCHEMA, "x"),
]


def test_the_class_is_found_by_confluents_name() -> None:
    assert converter_class("io.confluent.connect.avro.AvroConverter") is AvroConverter
    assert converter_class("AvroConverter") is AvroConverter


def test_a_struct_of_every_type_round_trips_with_the_registry_version(registry: RegistryServer) -> None:
    c = converter(registry)
    data = c.from_connect("everything", EVERYTHING, everything())
    assert data is not None and data[0] == 0
    schema_id = int.from_bytes(data[1:5], "big")
    schema, value = c.to_connect("everything", data)
    assert value == everything()
    assert schema == EVERYTHING  # connect.version (3) wins over the registry's version 1
    # what was registered is the schema text AvroData gives, under TopicNameStrategy's subject
    latest = c.client.latest("everything-value")
    assert latest.schema_id == schema_id and latest.version == 1
    assert latest.schema == avro_schema_json(AvroData().from_connect_schema(EVERYTHING))


@pytest.mark.parametrize(("schema", "value"), PRIMITIVES, ids=[repr(s) for s, _ in PRIMITIVES])
def test_primitives_and_logical_types_round_trip(registry: RegistryServer, schema: Schema, value: Any) -> None:
    c = converter(registry)
    topic = "prim-" + schema.type.value + (schema.name or "").rsplit(".", 1)[-1] + ("-opt" if schema.optional else "")
    data = c.from_connect(topic, schema, value)
    read_schema, read_value = c.to_connect(topic, data)
    assert read_value == value
    # a top-level schema without connect.version takes the registry's version, as Java's converter does,
    # except an optional one: AvroData returns the union's branch before it applies the version
    assert read_schema is not None and read_schema.type is schema.type
    assert read_schema.version == (None if schema.optional else 1)


def test_null_is_a_null_record_and_batches_match_single_calls(registry: RegistryServer) -> None:
    c = converter(registry)
    assert c.from_connect("t", OPTIONAL_STRING_SCHEMA, None) is None
    assert c.from_connect("t", None, None) is None
    assert c.to_connect("t", None) == (None, None)
    values = ["a", None, "b"]
    batch = c.from_connect_values("batch", OPTIONAL_STRING_SCHEMA, values)
    assert batch == [c.from_connect("batch", OPTIONAL_STRING_SCHEMA, v) for v in values]
    assert [v for _, v in c.to_connect_batch("batch", batch)] == values


def test_batches_read_as_one_stream_give_what_single_reads_give(registry: RegistryServer) -> None:
    c = converter(registry)
    structs = c.from_connect_values("runs", EVERYTHING, [everything(), everything()])
    strings = c.from_connect_values("runs-strings", STRING_SCHEMA, ["x", "y"])  # another subject, another id
    mixed = [structs[0], None, strings[0], strings[1], structs[1]]
    assert c.to_connect_batch("runs", mixed) == [c.to_connect("runs", d) for d in mixed]
    # a payload with bytes past its value reads as the single read does (they are ignored), record by record
    padded = [strings[0], (strings[1] or b"") + b"\x00\x00"]
    assert c.to_connect_batch("runs", padded) == [c.to_connect("runs", d) for d in padded]
    with pytest.raises(DataException, match="Unknown magic byte"):
        c.to_connect_batch("runs", [strings[0], b"\x01bad"])


def test_the_wire_format_is_magic_byte_schema_id_and_avro_binary(registry: RegistryServer) -> None:
    c = converter(registry)
    data = c.from_connect("wire", INT64_SCHEMA, 1)
    assert data is not None
    schema_id = int.from_bytes(data[1:5], "big")
    assert data == b"\x00" + schema_id.to_bytes(4, "big") + b"\x02"  # zig-zag varint of 1
    assert c.client.schema_by_id(schema_id) == '"long"'


def test_identical_schemas_share_an_id_across_subjects(registry: RegistryServer) -> None:
    c = converter(registry)
    a = c.from_connect("share-a", ADDRESS, Struct(ADDRESS).put("city", "x"))
    b = c.from_connect("share-b", ADDRESS, Struct(ADDRESS).put("city", "x"))
    assert a == b


def test_bad_bytes_are_data_errors(registry: RegistryServer) -> None:
    c = converter(registry)
    with pytest.raises(DataException, match="Unknown magic byte!"):
        c.to_connect("t", b'{"json": true}')
    with pytest.raises(DataException, match="schema for id 99999"):
        c.to_connect("t", b"\x00\x00\x01\x86\x9f\x02")
    good = c.from_connect("trunc", INT64_SCHEMA, 1 << 40)
    assert good is not None
    with pytest.raises(DataException, match="trunc"):
        c.to_connect("trunc", good[:-2])
    with pytest.raises(DataException, match="non-optional"):
        c.from_connect("t", SchemaBuilder.struct().field("x", INT32_SCHEMA).build(),
                       Struct.unchecked(SchemaBuilder.struct().field("x", INT32_SCHEMA).build(), {}))


def test_auto_register_off_needs_the_schema_registered(registry: RegistryServer) -> None:
    c = converter(registry, **{"auto.register.schemas": "false"})
    schema = SchemaBuilder.struct().name("com.example.NotThere").field("x", INT32_SCHEMA).build()
    with pytest.raises(DataException, match="not found"):
        c.from_connect("noauto", schema, Struct(schema).put("x", 1))
    converter(registry).from_connect("noauto", schema, Struct(schema).put("x", 1))
    assert c.from_connect("noauto", schema, Struct(schema).put("x", 1)) is not None


def test_subject_name_strategies(registry: RegistryServer) -> None:
    schema = SchemaBuilder.struct().name("com.example.Named").field("x", INT32_SCHEMA).build()
    value = Struct(schema).put("x", 1)
    short = "io.confluent.kafka.serializers.subject."
    converter(registry, **{"value.subject.name.strategy": short + "RecordNameStrategy"}).from_connect(
        "strat", schema, value)
    converter(registry, True, **{"key.subject.name.strategy": "TopicRecordNameStrategy"}).from_connect(
        "strat", schema, value)
    converter(registry, True).from_connect("strat", schema, value)
    subjects = converter(registry).client._request("GET", "/subjects")
    assert {"com.example.Named", "strat-com.example.Named", "strat-key"} <= set(subjects)
    with pytest.raises(DataException, match="record"):
        converter(registry, **{"value.subject.name.strategy": "RecordNameStrategy"}).from_connect(
            "strat", STRING_SCHEMA, "x")


def test_use_latest_version_writes_with_the_latest_schema(registry: RegistryServer) -> None:
    old = SchemaBuilder.struct().name("com.example.Evolving").field("x", INT32_SCHEMA).build()
    new = (SchemaBuilder.struct().name("com.example.Evolving").field("x", INT32_SCHEMA)
           .field("y", SchemaBuilder.string().optional().default_value("d").build()).build())
    writer = converter(registry)
    writer.from_connect("latest", old, Struct(old).put("x", 1))
    writer.from_connect("latest", new, Struct(new).put("x", 2).put("y", "z"))
    latest_writer = converter(registry, **{"use.latest.version": "true", "auto.register.schemas": "false"})
    data = latest_writer.from_connect("latest", old, Struct(old).put("x", 3))
    schema, value = converter(registry).to_connect("latest", data)
    assert schema is not None and [f.name for f in schema.fields or ()] == ["x", "y"]
    assert value.get("x") == 3 and value.get("y") == "d"


def test_config_is_checked_before_data_moves() -> None:
    issues = check_converter("io.confluent.connect.avro.AvroConverter",
                             {"auto.register.schemas": "maybe", "value.subject.name.strategy": "Nope"},
                             "value.converter.")
    keys = {i.key for i in issues}
    assert keys == {"value.converter.schema.registry.url", "value.converter.auto.register.schemas",
                    "value.converter.value.subject.name.strategy"}
    with pytest.raises(ConfigException, match="basic.auth.user.info"):
        AvroConverter().configure({"schema.registry.url": "http://x", "basic.auth.credentials.source": "USER_INFO"},
                                  False)


def test_the_basic_auth_secret_never_appears_in_errors() -> None:
    c = AvroConverter()
    c.configure({"schema.registry.url": "http://127.0.0.1:9", "basic.auth.credentials.source": "USER_INFO",
                 "basic.auth.user.info": "user:s3cr3t"}, False)
    c.client.retries = 0
    with pytest.raises(Exception) as failure:
        c.from_connect("t", STRING_SCHEMA, "x")
    assert "s3cr3t" not in str(failure.value) and "s3cr3t" not in repr(failure.value)
    assert isinstance(failure.value, RetriableError)  # an outage is retried, never a bad record


# ----------------------------------------------------------------------------- confluent-kafka's serde

confluent_avro = pytest.importorskip("confluent_kafka.schema_registry.avro")


def _confluent(registry: RegistryServer) -> Any:
    from confluent_kafka.schema_registry import SchemaRegistryClient

    return SchemaRegistryClient({"url": registry.url})


def test_confluents_deserializer_reads_our_bytes(registry: RegistryServer) -> None:
    from confluent_kafka.serialization import MessageField, SerializationContext

    data = converter(registry).from_connect("x-ours", EVERYTHING, everything())
    deserializer = confluent_avro.AvroDeserializer(_confluent(registry))
    value = deserializer(data, SerializationContext("x-ours", MessageField.VALUE))
    assert value["i8"] == -8 and value["s"] == "sé😀" and value["bytes"] == b"\x00\xff"
    assert value["dec"] == decimal.Decimal("-12.34")
    assert value["date"] == dt.date(2024, 2, 29)
    assert value["ts"] == dt.datetime(1969, 12, 31, 23, 59, 59, 1000, tzinfo=dt.timezone.utc)
    assert value["imap"] == [{"key": 1, "value": "x"}, {"key": -2, "value": "y"}]
    assert value["address"] == {"city": "Lyon"} and value["maybe_address"] == {"zip": 69000}


def test_we_read_confluents_serializer_bytes(registry: RegistryServer) -> None:
    from confluent_kafka.serialization import MessageField, SerializationContext

    avro_schema = {"type": "record", "name": "Payment", "namespace": "com.example", "doc": "a payment",
                   "fields": [{"name": "id", "type": "string"},
                              {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal",
                                                          "precision": 10, "scale": 2}},
                              {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
                              {"name": "note", "type": ["null", "string"], "default": None},
                              {"name": "tags", "type": {"type": "map", "values": "int"}},
                              {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["A", "B"]}},
                              {"name": "retries", "type": "int", "default": 3}]}
    serializer = confluent_avro.AvroSerializer(_confluent(registry), json.dumps(avro_schema))
    at = dt.datetime(2025, 5, 6, 7, 8, 9, 123000, tzinfo=dt.timezone.utc)
    record = {"id": "p1", "amount": decimal.Decimal("12.50"), "at": at, "note": None, "tags": {"a": 1},
              "kind": "B", "retries": 4}
    data = serializer(record, SerializationContext("x-theirs", MessageField.VALUE))
    schema, value = converter(registry).to_connect("x-theirs", data)
    assert schema is not None and schema.name == "com.example.Payment" and schema.version == 1
    assert schema.parameters == {"io.confluent.connect.avro.record.doc": "a payment"}
    assert value.get("id") == "p1" and value.get("amount") == decimal.Decimal("12.50")
    assert value.get("at") == at and value.get("note") is None and value.get("tags") == {"a": 1}
    assert value.get("kind") == "B" and value.get("retries") == 4
    kind = schema.field("kind").schema  # type: ignore[union-attr]
    assert kind.parameters == {"io.confluent.connect.avro.Enum": "com.example.Kind",
                               "io.confluent.connect.avro.Enum.A": "A", "io.confluent.connect.avro.Enum.B": "B"}
    retries = schema.field("retries").schema  # type: ignore[union-attr]
    assert retries.default == 3 and retries.parameters == {"io.confluent.connect.avro.field.default": "true"}
    amount = schema.field("amount").schema  # type: ignore[union-attr]
    assert amount.parameters == {"scale": "2", "connect.decimal.precision": "10"}
    # and our bytes for the same Connect value are Confluent's bytes, byte for byte
    again = AvroConverter()
    again.configure({"schema.registry.url": registry.url, "enhanced.avro.schema.support": "true"}, False)
    assert again.from_connect("x-theirs-again", schema, value)[5:] == data[5:]  # type: ignore[index]
