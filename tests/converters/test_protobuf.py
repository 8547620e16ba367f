"""ProtobufConverter: ProtobufData's mapping at Confluent's defaults, the wire format with message indexes,
errors, and byte compatibility with confluent-kafka's ProtobufSerializer/ProtobufDeserializer through the
embedded registry (schemaType PROTOBUF)."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, timestamp_pb2

from pyconnect_flow.converters.protobuf import ProtobufConverter, decode_message_indexes, encode_message_indexes
from pyconnect_flow.converters.protobuf_data import (
    PROTOBUF_TYPE_ENUM,
    PROTOBUF_TYPE_TAG,
    from_connect_schema,
    map_entry_name,
)
from pyconnect_flow.converters.registry import converter_class
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

F = descriptor_pb2.FieldDescriptorProto


@pytest.fixture(scope="module")
def registry() -> Iterator[RegistryServer]:
    with RegistryServer() as server:
        yield server


def converter(registry: RegistryServer, **config: Any) -> ProtobufConverter:
    c = ProtobufConverter()
    c.configure({"schema.registry.url": registry.url, **config}, False)
    return c


SUB = SchemaBuilder.struct().name("com.example.Sub").field("x", STRING_SCHEMA).optional().build()
EVERYTHING = (
    SchemaBuilder.struct().name("com.example.Everything")
    .field("i8", INT8_SCHEMA).field("i16", INT16_SCHEMA).field("i32", INT32_SCHEMA).field("i64", INT64_SCHEMA)
    .field("f32", FLOAT32_SCHEMA).field("f64", FLOAT64_SCHEMA).field("b", BOOLEAN_SCHEMA)
    .field("s", STRING_SCHEMA).field("bytes", BYTES_SCHEMA).field("opt", OPTIONAL_STRING_SCHEMA)
    .field("dec", decimal_schema(2)).field("date", DATE_SCHEMA).field("time", TIME_SCHEMA)
    .field("ts", TIMESTAMP_SCHEMA)
    .field("list", SchemaBuilder.array(INT32_SCHEMA).build())
    .field("smap", SchemaBuilder.map(STRING_SCHEMA, INT64_SCHEMA).build())
    .field("imap", SchemaBuilder.map(INT32_SCHEMA, STRING_SCHEMA).build())
    .field("sub", SUB).field("subs", SchemaBuilder.array(SUB).build()).build()
)


def everything() -> Struct:
    return Struct(EVERYTHING, {
        "i8": -8, "i16": 300, "i32": -70000, "i64": 1 << 40, "f32": 1.5, "f64": 0.1, "b": True, "s": "sé😀",
        "bytes": b"\x00\xff", "opt": None, "dec": decimal.Decimal("-12.34"), "date": dt.date(2024, 2, 29),
        "time": dt.time(1, 2, 3, 4000), "ts": dt.datetime(1969, 12, 31, 23, 59, 59, 1000, tzinfo=dt.timezone.utc),
        "list": [1, 2, 3], "smap": {"a": 1}, "imap": {1: "x", -2: "y"}, "sub": Struct(SUB, {"x": "in"}),
        "subs": [Struct(SUB, {"x": "a"}), Struct(SUB, {"x": "b"})]})


def test_the_class_is_found_by_confluents_name() -> None:
    assert converter_class("io.confluent.connect.protobuf.ProtobufConverter") is ProtobufConverter
    assert converter_class("ProtobufConverter") is ProtobufConverter


@pytest.mark.parametrize(("indexes", "encoded"), [
    ([0], b"\x00"), ([1], b"\x02\x02"), ([0, 0], b"\x04\x00\x00"), ([2, 1], b"\x04\x04\x02"), ([64], b"\x02\x80\x01"),
])
def test_message_indexes(indexes: list[int], encoded: bytes) -> None:
    assert encode_message_indexes(indexes) == encoded
    assert decode_message_indexes(b"xx" + encoded + b"rest", 2) == (indexes, 2 + len(encoded))


def test_the_proto_file_is_confluents() -> None:
    file, full_name = from_connect_schema(EVERYTHING)
    assert (full_name, file.package, file.syntax) == ("com.example.Everything", "com.example", "proto3")
    assert list(file.dependency) == ["confluent/meta.proto", "confluent/type/decimal.proto",
                                     "google/type/date.proto", "google/type/timeofday.proto",
                                     "google/protobuf/timestamp.proto"]
    message = file.message_type[0]
    fields = {f.name: f for f in message.field}
    assert [f.number for f in message.field] == list(range(1, 20))
    assert fields["i8"].type == F.TYPE_INT32 and fields["i64"].type == F.TYPE_INT64
    assert fields["f32"].type == F.TYPE_FLOAT and fields["bytes"].type == F.TYPE_BYTES
    assert fields["dec"].type_name == ".confluent.type.Decimal" and fields["ts"].type_name == ".google.protobuf.Timestamp"
    assert fields["list"].label == F.LABEL_REPEATED and fields["smap"].label == F.LABEL_REPEATED
    assert fields["smap"].type_name == "ConnectDefault1Entry" and fields["imap"].type_name == "ConnectDefault2Entry"
    assert fields["sub"].type_name == "Sub"
    assert [m.name for m in message.nested_type] == ["ConnectDefault1Entry", "ConnectDefault2Entry", "Sub"]
    from confluent_kafka.schema_registry.confluent import meta_pb2

    extension = meta_pb2.field_meta
    assert dict(fields["i8"].options.Extensions[extension].params) == {"connect.type": "int8"}
    assert dict(fields["dec"].options.Extensions[extension].params) == {"scale": "2"}
    assert map_entry_name("my_map") == "MyMapEntry" and map_entry_name("Counts") == "CountsEntry"
    unnamed, name = from_connect_schema(SchemaBuilder.struct().field("a", INT32_SCHEMA).build())
    assert name == "ConnectDefault1" and not unnamed.package


def test_a_round_trip_gives_what_confluents_converter_reads(registry: RegistryServer) -> None:
    c = converter(registry)
    data = c.from_connect("everything", EVERYTHING, everything())
    assert data is not None and data[0] == 0 and data[5:6] == b"\x00"  # magic, id, message indexes [0]
    schema, value = c.to_connect("everything", data)
    assert schema is not None and schema.name == "Everything" and schema.version == 1
    assert all(f.schema.optional for f in schema.fields or ())  # every Protobuf field reads back optional
    tags = [(f.schema.parameters or {}).get(PROTOBUF_TYPE_TAG) for f in schema.fields or ()]
    assert tags == [str(i) for i in range(1, 20)]
    kinds = {f.name: f.schema.type.name for f in schema.fields or ()}
    assert kinds["i8"] == "INT8" and kinds["i16"] == "INT16" and kinds["smap"] == "MAP" and kinds["sub"] == "STRUCT"
    dec = schema.field("dec")
    assert dec is not None and (dec.schema.parameters or {}).get("scale") == "2"
    expected = everything()
    for name in expected.schema._by_name:
        want = expected.get(name)
        got = value.get(name)
        if isinstance(want, Struct):
            assert got.get("x") == want.get("x")
        elif name == "subs":
            assert [s.get("x") for s in got] == ["a", "b"]
        elif name == "opt":
            assert got == ""  # proto3: an unset string reads as ""
        else:
            assert got == want, name


@pytest.mark.parametrize(("schema", "value", "wrapper"), [
    (STRING_SCHEMA, "héllo", "StringValue"), (INT32_SCHEMA, -5, "Int32Value"), (INT64_SCHEMA, 1 << 40, "Int64Value"),
    (FLOAT64_SCHEMA, 0.25, "DoubleValue"), (BOOLEAN_SCHEMA, True, "BoolValue"), (BYTES_SCHEMA, b"\x00", "BytesValue"),
])
def test_primitives_are_google_protobuf_wrappers(registry: RegistryServer, schema: Schema, value: Any,
                                                 wrapper: str) -> None:
    from google.protobuf import wrappers_pb2

    c = converter(registry)
    data = c.from_connect("wrapped-" + wrapper, schema, value)
    assert data is not None
    index = [m.name for m in wrappers_pb2.DESCRIPTOR.message_types_by_name.values()].index(wrapper)
    indexes, start = decode_message_indexes(data, 5)
    assert indexes == [index]
    got_schema, got = c.to_connect("wrapped-" + wrapper, data)
    assert got_schema is not None and got_schema.type is schema.type and got == value
    # the payload is the wrapper message itself (confluent-kafka's ProtobufDeserializer cannot take a schema
    # that is wrappers.proto, which Java's converter registers too: it renames the file and clashes)
    assert getattr(wrappers_pb2, wrapper).FromString(data[start:]).value == value


def test_nulls_and_batches(registry: RegistryServer) -> None:
    c = converter(registry)
    assert c.from_connect("n", EVERYTHING, None) is None
    assert c.to_connect("n", None) == (None, None)
    batch = c.from_connect_values("n", EVERYTHING, [everything(), None])
    assert batch == [c.from_connect("n", EVERYTHING, everything()), None]


def test_bad_bytes_and_outages(registry: RegistryServer) -> None:
    c = converter(registry)
    with pytest.raises(DataException, match="topic t to Protobuf: Unknown magic byte!"):
        c.to_connect("t", b'{"json": true}')
    with pytest.raises(DataException, match="schema for id 99999"):
        c.to_connect("t", b"\x00\x00\x01\x86\x9f\x00\x08\x01")
    good = c.from_connect("trunc", EVERYTHING, everything())
    assert good is not None
    with pytest.raises(DataException, match="trunc"):
        c.to_connect("trunc", good[:-3])
    with pytest.raises(DataException, match="structs"):
        c.from_connect("t", SchemaBuilder.array(INT32_SCHEMA).build(), [1])
    down = ProtobufConverter()
    down.configure({"schema.registry.url": "http://127.0.0.1:9"}, False)
    down.client.retries = 0
    with pytest.raises(RetriableError):  # an outage is retried, never a bad record
        down.from_connect("t", EVERYTHING, everything())


def test_the_registry_keeps_the_schema_type(registry: RegistryServer) -> None:
    data = converter(registry).from_connect("typed", EVERYTHING, everything())
    assert data is not None
    with urllib.request.urlopen(f"{registry.url}/schemas/ids/{int.from_bytes(data[1:5], 'big')}") as answer:
        body = json.loads(answer.read())
    assert body["schemaType"] == "PROTOBUF"
    file = descriptor_pb2.FileDescriptorProto.FromString(base64.b64decode(body["schema"]))
    assert file.message_type[0].name == "Everything"


# ----------------------------------------------------------------------------- confluent-kafka's serde


def _order_classes() -> tuple[Any, Any]:
    """`test.orders.Order` (with a nested Line, a proto map and an enum) as a generated class would be."""
    file = descriptor_pb2.FileDescriptorProto(name="orders.proto", package="test.orders", syntax="proto3",
                                              dependency=["google/protobuf/timestamp.proto"])
    order = file.message_type.add(name="Order")
    line = order.nested_type.add(name="Line")
    line.field.add(name="sku", number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    line.field.add(name="qty", number=2, type=F.TYPE_INT32, label=F.LABEL_OPTIONAL)
    entry = order.nested_type.add(name="CountsEntry")
    entry.options.map_entry = True
    entry.field.add(name="key", number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    entry.field.add(name="value", number=2, type=F.TYPE_INT32, label=F.LABEL_OPTIONAL)
    kind = order.enum_type.add(name="Kind")
    kind.value.add(name="A", number=0)
    kind.value.add(name="B", number=1)
    for name, number, kind_, type_name, label in [
        ("id", 1, F.TYPE_INT64, "", F.LABEL_OPTIONAL), ("name", 2, F.TYPE_STRING, "", F.LABEL_OPTIONAL),
        ("tags", 3, F.TYPE_STRING, "", F.LABEL_REPEATED),
        ("at", 4, F.TYPE_MESSAGE, ".google.protobuf.Timestamp", F.LABEL_OPTIONAL),
        ("line", 5, F.TYPE_MESSAGE, ".test.orders.Order.Line", F.LABEL_OPTIONAL),
        ("counts", 6, F.TYPE_MESSAGE, ".test.orders.Order.CountsEntry", F.LABEL_REPEATED),
        ("kind", 7, F.TYPE_ENUM, ".test.orders.Order.Kind", F.LABEL_OPTIONAL),
        ("price", 8, F.TYPE_DOUBLE, "", F.LABEL_OPTIONAL), ("paid", 9, F.TYPE_BOOL, "", F.LABEL_OPTIONAL),
        ("blob", 10, F.TYPE_BYTES, "", F.LABEL_OPTIONAL),
    ]:
        field = order.field.add(name=name, number=number, type=kind_, label=label)
        if type_name:
            field.type_name = type_name
    pool = descriptor_pool.DescriptorPool()
    pool.AddSerializedFile(timestamp_pb2.DESCRIPTOR.serialized_pb)
    pool.Add(file)
    order_type = pool.FindMessageTypeByName("test.orders.Order")
    return message_factory.GetMessageClass(order_type), message_factory.GetMessageClass(order_type.nested_types[0])


AT = dt.datetime(2025, 5, 6, 7, 8, 9, 123000, tzinfo=dt.timezone.utc)


def _order(order_class: Any) -> Any:
    order = order_class(id=7, name="first", tags=["a", "b"], kind=1, price=9.5, paid=True, blob=b"\x01")
    order.at.FromDatetime(AT.replace(tzinfo=None))
    order.line.sku, order.line.qty = "sku-1", 3
    order.counts["x"] = 2
    return order


def test_we_read_confluents_serializer_bytes(registry: RegistryServer) -> None:
    order_class, line_class = _order_classes()
    client = SchemaRegistryClient({"url": registry.url})
    serializer = ProtobufSerializer(order_class, client, {"use.deprecated.format": False})
    data = serializer(_order(order_class), SerializationContext("p-theirs", MessageField.VALUE))
    schema, value = converter(registry).to_connect("p-theirs", data)
    assert schema is not None and schema.name == "Order" and schema.version == 1
    assert value.get("id") == 7 and value.get("name") == "first" and value.get("tags") == ["a", "b"]
    assert value.get("at") == AT and value.get("line").get("sku") == "sku-1" and value.get("line").get("qty") == 3
    assert value.get("counts") == {"x": 2} and value.get("kind") == "B" and value.get("price") == 9.5
    assert value.get("paid") is True and value.get("blob") == b"\x01"
    kind = schema.field("kind")
    assert kind is not None and kind.schema.parameters == {
        PROTOBUF_TYPE_ENUM: "Kind", PROTOBUF_TYPE_ENUM + ".A": "0", PROTOBUF_TYPE_ENUM + ".B": "1",
        PROTOBUF_TYPE_TAG: "7"}
    # a nested message type travels with its message indexes ([0, 0]: Order.Line)
    line_data = ProtobufSerializer(line_class, client, {"use.deprecated.format": False})(
        line_class(sku="s", qty=1), SerializationContext("p-line", MessageField.VALUE))
    assert line_data[5:8] == b"\x04\x00\x00"
    line_schema, line = converter(registry).to_connect("p-line", line_data)
    assert line_schema is not None and line_schema.name == "Line" and line.get("sku") == "s"


def test_confluents_deserializer_reads_our_bytes(registry: RegistryServer) -> None:
    order_class, _ = _order_classes()
    kind = (SchemaBuilder.string().name("Kind").parameter(PROTOBUF_TYPE_ENUM, "Kind")
            .parameter(PROTOBUF_TYPE_ENUM + ".A", "0").parameter(PROTOBUF_TYPE_ENUM + ".B", "1").build())
    line = SchemaBuilder.struct().name("Line").field("sku", STRING_SCHEMA).field("qty", INT32_SCHEMA).build()
    schema: Schema = (
        SchemaBuilder.struct().name("test.orders.Order").field("id", INT64_SCHEMA).field("name", STRING_SCHEMA)
        .field("tags", SchemaBuilder.array(STRING_SCHEMA).build()).field("at", TIMESTAMP_SCHEMA)
        .field("line", line).field("counts", SchemaBuilder.map(STRING_SCHEMA, INT32_SCHEMA).build())
        .field("kind", kind).field("price", FLOAT64_SCHEMA).field("paid", BOOLEAN_SCHEMA)
        .field("blob", BYTES_SCHEMA).build())
    value = Struct(schema, {"id": 7, "name": "first", "tags": ["a", "b"], "at": AT,
                            "line": Struct(line, {"sku": "sku-1", "qty": 3}), "counts": {"x": 2}, "kind": "B",
                            "price": 9.5, "paid": True, "blob": b"\x01"})
    data = converter(registry).from_connect("p-ours", schema, value)
    deserializer = ProtobufDeserializer(order_class, {"use.deprecated.format": False},
                                        SchemaRegistryClient({"url": registry.url}))
    assert deserializer(data, SerializationContext("p-ours", MessageField.VALUE)) == _order(order_class)
