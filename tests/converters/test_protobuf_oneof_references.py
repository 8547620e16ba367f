"""ProtobufConverter with oneofs and schema references, against our registry keeping schemas on a real Kafka.

Vectors are Confluent's ProtobufDataTest ones: `EnumUnion.proto` (a `oneof some_val {string one_id = 1; int32
other_id = 2; Status some_status = 3;}` and `Status status = 4`), which imports `NestedTestProto.proto` for
its `Status` enum. confluent-kafka's ProtobufSerializer registers the import as its own subject and the schema
with a `references` entry; our converter resolves it, reads Confluent's Connect schema (a
`io.confluent.connect.protobuf.Union.some_val` struct in field `some_val_0`) and writes the message bytes
Confluent's `testFromConnectEnumUnion*` expect.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from confluent_kafka.schema_registry import RegisteredSchema, Schema, SchemaReference, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from pyconnect_flow.converters.protobuf import ProtobufConverter
from pyconnect_flow.converters.protobuf_data import PROTOBUF_TYPE_ENUM, PROTOBUF_TYPE_TAG, from_connect_schema
from pyconnect_flow.data.exceptions import DataException
from pyconnect_flow.data.schema import Schema as ConnectSchema
from pyconnect_flow.data.schema import SchemaBuilder
from pyconnect_flow.data.struct import Struct
from pyconnect_flow.registry import RegistryServer

F = descriptor_pb2.FieldDescriptorProto
PACKAGE = "io.confluent.kafka.serializers.protobuf.test"


@pytest.fixture(scope="module")
def registry(apache_kafka: Any) -> Iterator[RegistryServer]:
    import uuid

    with RegistryServer(apache_kafka.bootstrap_servers, topic=f"_schemas-oneof-{uuid.uuid4().hex[:8]}") as server:
        yield server


def _files() -> tuple[descriptor_pb2.FileDescriptorProto, descriptor_pb2.FileDescriptorProto]:
    """NestedTestProto.proto (only its `Status` enum, all EnumUnion uses) and EnumUnion.proto, as in Confluent's
    protobuf-serializer/src/test/proto."""
    nested = descriptor_pb2.FileDescriptorProto(name="NestedTestProto.proto", package=PACKAGE, syntax="proto3")
    status = nested.enum_type.add(name="Status")
    status.value.add(name="ACTIVE", number=0)
    status.value.add(name="INACTIVE", number=1)
    union = descriptor_pb2.FileDescriptorProto(name="EnumUnion.proto", package=PACKAGE, syntax="proto3",
                                               dependency=["NestedTestProto.proto"])
    message = union.message_type.add(name="EnumUnion")
    message.oneof_decl.add(name="some_val")
    message.field.add(name="one_id", number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL, oneof_index=0)
    message.field.add(name="other_id", number=2, type=F.TYPE_INT32, label=F.LABEL_OPTIONAL, oneof_index=0)
    message.field.add(name="some_status", number=3, type=F.TYPE_ENUM, type_name=f".{PACKAGE}.Status",
                      label=F.LABEL_OPTIONAL, oneof_index=0)
    message.field.add(name="status", number=4, type=F.TYPE_ENUM, type_name=f".{PACKAGE}.Status",
                      label=F.LABEL_OPTIONAL)
    return nested, union


def _enum_union_class() -> Any:
    nested, union = _files()
    pool = descriptor_pool.DescriptorPool()
    pool.Add(nested)
    pool.Add(union)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{PACKAGE}.EnumUnion"))


def _status(tag: int) -> ConnectSchema:
    return (SchemaBuilder.string().name("Status").optional().parameter(PROTOBUF_TYPE_TAG, str(tag))
            .parameter(PROTOBUF_TYPE_ENUM, "Status").parameter(PROTOBUF_TYPE_ENUM + ".ACTIVE", "0")
            .parameter(PROTOBUF_TYPE_ENUM + ".INACTIVE", "1").build())


def enum_union_schema(version: int | None = None) -> ConnectSchema:
    """ProtobufDataTest.getEnumUnionSchemaBuilder()."""
    some_val = (SchemaBuilder.struct().name("io.confluent.connect.protobuf.Union.some_val")
                .field("one_id", SchemaBuilder.string().optional().parameter(PROTOBUF_TYPE_TAG, "1").build())
                .field("other_id", SchemaBuilder.int32().optional().parameter(PROTOBUF_TYPE_TAG, "2").build())
                .field("some_status", _status(3)).optional().build())
    builder = SchemaBuilder.struct().name("EnumUnion").field("some_val_0", some_val).field("status", _status(4))
    if version is not None:
        builder.version(version)
    return builder.build()


def _union(schema: ConnectSchema, **member: Any) -> Struct:
    field = schema.field("some_val_0")
    assert field is not None
    return Struct(schema, {"some_val_0": Struct(field.schema, member), "status": "INACTIVE"})


def _converter(registry: RegistryServer, **config: Any) -> ProtobufConverter:
    c = ProtobufConverter()
    c.configure({"schema.registry.url": registry.url, **config}, False)
    return c


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return json.loads(answer.read())


def test_a_schema_with_a_reference_confluent_registered_reads_as_confluents_connect_data(
        registry: RegistryServer) -> None:
    enum_union = _enum_union_class()
    client = SchemaRegistryClient({"url": registry.url})
    serializer = ProtobufSerializer(enum_union, client, {"use.deprecated.format": False})
    ctx = SerializationContext("enum-union", MessageField.VALUE)
    with_string = serializer(enum_union(one_id="ID", status=1), ctx)
    with_status = serializer(enum_union(some_status=1, status=1), ctx)

    # the import was registered as its own subject, and the schema references it
    assert "NestedTestProto.proto" in client.get_subjects()
    latest = client.get_latest_version("enum-union-value")
    assert [(r.name, r.subject, r.version) for r in latest.schema.references] == [
        ("NestedTestProto.proto", "NestedTestProto.proto", 1)]
    by_id = _get(f"{registry.url}/schemas/ids/{latest.schema_id}")
    assert by_id["references"] == [{"name": "NestedTestProto.proto", "subject": "NestedTestProto.proto",
                                    "version": 1}]
    assert _get(f"{registry.url}/subjects/NestedTestProto.proto/versions/1/referencedby") == [latest.schema_id]

    c = _converter(registry)
    schema, value = c.to_connect("enum-union", with_string)
    assert schema == enum_union_schema(version=1)
    assert value == _union(enum_union_schema(version=1), one_id="ID")
    assert c.to_connect("enum-union", with_status)[1] == _union(enum_union_schema(version=1), some_status="INACTIVE")


@pytest.mark.parametrize("member", [{"one_id": "ID"}, {"some_status": "INACTIVE"}, {"other_id": -5}])
def test_a_oneof_union_struct_writes_confluents_bytes_that_confluents_deserializer_reads(
        registry: RegistryServer, member: dict[str, Any]) -> None:
    enum_union = _enum_union_class()
    expected = enum_union(status=1, **{k: 1 if k == "some_status" else v for k, v in member.items()})
    schema = enum_union_schema()
    data = _converter(registry).from_connect("union-out", schema, _union(schema, **member))
    assert data is not None
    # ProtobufDataTest.testFromConnectEnumUnionWith*: the message bytes are the Java message's
    assert data[6:] == expected.SerializeToString()
    file, _ = from_connect_schema(schema)
    assert [o.name for o in file.message_type[0].oneof_decl] == ["some_val"]
    assert [(f.name, f.number, f.HasField("oneof_index")) for f in file.message_type[0].field] == [
        ("one_id", 1, True), ("other_id", 2, True), ("some_status", 3, True), ("status", 4, False)]
    deserializer = ProtobufDeserializer(enum_union, {"use.deprecated.format": False})
    assert deserializer(data, SerializationContext("union-out", MessageField.VALUE)) == expected
    # and it reads back to the same Connect data
    assert _converter(registry).to_connect("union-out", data)[1] == _union(enum_union_schema(1), **member)


def test_a_union_struct_with_no_member_set_is_refused() -> None:
    schema = enum_union_schema()
    field = schema.field("some_val_0")
    assert field is not None
    with RegistryServer() as registry:
        with pytest.raises(DataException, match="Cannot find non-null field"):
            _converter(registry).from_connect("t", schema, Struct(schema, {"some_val_0": Struct(field.schema, {})}))


def test_use_latest_version_writes_against_a_schema_with_references_confluents_deserializer_reads(
        registry: RegistryServer) -> None:
    enum_union = _enum_union_class()
    client = SchemaRegistryClient({"url": registry.url})
    nested, union = _files()
    # registered by hand as Confluent's tools do: the import first, then the schema referencing it
    client.register_schema("status-file", Schema(base64.b64encode(nested.SerializeToString()).decode(),
                                                 "PROTOBUF"))
    text = base64.b64encode(union.SerializeToString()).decode()
    schema_id = client.register_schema("latest-value", Schema(
        text, "PROTOBUF", [SchemaReference("NestedTestProto.proto", "status-file", 1)]))
    c = _converter(registry, **{"use.latest.version": "true", "auto.register.schemas": "false"})
    schema = enum_union_schema()
    # Connect's EnumUnion is named after the message without its package: named in full it finds it in the file
    named = SchemaBuilder.struct().name(f"{PACKAGE}.EnumUnion")
    for f in schema.fields or ():
        named.field(f.name, f.schema)
    full = named.build()
    data = c.from_connect("latest", full, _union(full, other_id=7))
    assert data is not None and int.from_bytes(data[1:5], "big") == schema_id and data[5:6] == b"\x00"
    deserializer = ProtobufDeserializer(enum_union, {"use.deprecated.format": False})
    assert deserializer(data, SerializationContext("latest", MessageField.VALUE)) == enum_union(other_id=7, status=1)
    schema_read, value = _converter(registry).to_connect("latest", data)
    assert value == _union(enum_union_schema(1), other_id=7)
    with pytest.raises(DataException, match="has no message"):
        c.from_connect("latest", schema, _union(schema, other_id=7))  # no EnumUnion at the file's top


def test_references_are_checked_kept_and_part_of_a_schemas_identity(registry: RegistryServer) -> None:
    client = SchemaRegistryClient({"url": registry.url})
    nested, union = _files()
    text = base64.b64encode(union.SerializeToString()).decode()
    with pytest.raises(SchemaRegistryError) as missing:
        client.register_schema("dangling-value", Schema(text, "PROTOBUF",
                                                        [SchemaReference("NestedTestProto.proto", "nowhere", 1)]))
    assert (missing.value.http_status_code, missing.value.error_code) == (422, 42201)
    client.register_schema("ref-a", Schema(base64.b64encode(nested.SerializeToString()).decode(), "PROTOBUF"))
    client.register_schema("ref-b", Schema(base64.b64encode(nested.SerializeToString()).decode(), "PROTOBUF"))
    first = client.register_schema("refs-value", Schema(text, "PROTOBUF",
                                                        [SchemaReference("NestedTestProto.proto", "ref-a", 1)]))
    other = client.register_schema("refs-value", Schema(text, "PROTOBUF",
                                                        [SchemaReference("NestedTestProto.proto", "ref-b", 1)]))
    assert first != other  # the same text with other references is another schema
    found: RegisteredSchema = client.lookup_schema(
        "refs-value", Schema(text, "PROTOBUF", [SchemaReference("NestedTestProto.proto", "ref-b", 1)]))
    assert (found.schema_id, found.version) == (other, 2)
    with pytest.raises(urllib.error.HTTPError):
        _get(f"{registry.url}/subjects/ref-a/versions/2/referencedby")
    assert _get(f"{registry.url}/subjects/ref-a/versions/1/referencedby") == [first]


def test_references_survive_a_registry_restart(apache_kafka: Any, registry: RegistryServer) -> None:
    client = SchemaRegistryClient({"url": registry.url})
    nested, union = _files()
    client.register_schema("kept-file", Schema(base64.b64encode(nested.SerializeToString()).decode(), "PROTOBUF"))
    schema_id = client.register_schema("kept-value", Schema(
        base64.b64encode(union.SerializeToString()).decode(), "PROTOBUF",
        [SchemaReference("NestedTestProto.proto", "kept-file", 1)]))
    with RegistryServer(apache_kafka.bootstrap_servers, topic=registry.store.topic) as again:
        answer = _get(f"{again.url}/schemas/ids/{schema_id}")
        assert answer["references"] == [{"name": "NestedTestProto.proto", "subject": "kept-file", "version": 1}]
