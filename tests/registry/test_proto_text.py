"""Protobuf schemas registered as `.proto` text, as Java's KafkaProtobufSerializer registers them, in our registry
(on a real Kafka): they are compiled and checked as Confluent's registry checks them (a schema that does not
compile is 42201; compatibility is judged on the compiled descriptors, 409 when incompatible), served
`?format=serialized`, with text references; and ProtobufConverter reads records written with such a schema."""

from __future__ import annotations

import base64
import struct
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from confluent_kafka.schema_registry import Schema, SchemaReference, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from pyconnect_flow.converters.protobuf import ProtobufConverter
from pyconnect_flow.registry import RegistryServer

V1 = 'syntax = "proto3";\npackage shop;\n\nmessage Order {\n  int64 id = 1;\n  string item = 2;\n}\n'
V2_ADDED = V1.replace("  string item = 2;\n", "  string item = 2;\n  double price = 3;\n")
V2_RETYPED = V1.replace("string item = 2", "int32 item = 2")


@pytest.fixture(scope="module")
def server(apache_kafka: Any) -> Iterator[RegistryServer]:
    with RegistryServer(apache_kafka.bootstrap_servers, topic=f"_schemas-proto-{uuid.uuid4().hex[:8]}") as running:
        yield running


@pytest.fixture(scope="module")
def client(server: RegistryServer) -> SchemaRegistryClient:
    return SchemaRegistryClient({"url": server.url})


def _subject() -> str:
    return f"orders-{uuid.uuid4().hex[:8]}-value"


def _serialized(server: RegistryServer, schema_id: int) -> str:
    """GET /schemas/ids/{id}?format=serialized (not through the client, whose cache ignores the format)."""
    response = httpx.get(f"{server.url}/schemas/ids/{schema_id}", params={"format": "serialized"}, timeout=30)
    assert response.status_code == 200, response.text
    return str(response.json()["schema"])


def _file(text: str) -> descriptor_pb2.FileDescriptorProto:
    file = descriptor_pb2.FileDescriptorProto()
    file.ParseFromString(base64.b64decode(text))
    return file


def test_text_schema_is_compiled_and_served_serialized(client: SchemaRegistryClient, server: RegistryServer) -> None:
    subject = _subject()
    schema_id = client.register_schema(subject, Schema(V1, "PROTOBUF"))
    assert client.get_schema(schema_id).schema_str == V1  # kept as registered
    file = _file(_serialized(server, schema_id))
    assert file.package == "shop"
    assert [(f.name, f.number, f.type) for f in file.message_type[0].field] == [
        ("id", 1, descriptor_pb2.FieldDescriptorProto.TYPE_INT64),
        ("item", 2, descriptor_pb2.FieldDescriptorProto.TYPE_STRING)]
    latest = httpx.get(f"{server.url}/subjects/{subject}/versions/latest", params={"format": "serialized"}, timeout=30)
    assert _file(latest.json()["schema"]) == file


def test_text_that_does_not_compile_is_refused_with_protocs_message(client: SchemaRegistryClient) -> None:
    with pytest.raises(SchemaRegistryError) as caught:
        client.register_schema(_subject(), Schema('syntax = "proto3";\nmessage M { int32 id = 1 }\n', "PROTOBUF"))
    assert (caught.value.http_status_code, caught.value.error_code) == (422, 42201)
    assert 'Expected ";"' in caught.value.error_message


@pytest.mark.parametrize(("new", "compatible"), [(V2_ADDED, True), (V2_RETYPED, False)], ids=["field-added", "retyped"])
def test_text_schemas_are_checked_for_compatibility(client: SchemaRegistryClient, new: str, compatible: bool) -> None:
    subject = _subject()
    client.set_compatibility(subject_name=subject, level="BACKWARD")
    client.register_schema(subject, Schema(V1, "PROTOBUF"))
    assert client.test_compatibility(subject, Schema(new, "PROTOBUF")) is compatible
    if compatible:
        client.register_schema(subject, Schema(new, "PROTOBUF"))
        return
    with pytest.raises(SchemaRegistryError) as caught:
        client.register_schema(subject, Schema(new, "PROTOBUF"))
    assert caught.value.http_status_code == 409
    assert "FIELD_SCALAR_KIND_CHANGED" in caught.value.error_message or "TYPE_CHANGED" in caught.value.error_message


def test_text_references_and_the_converter_reads_records_of_a_text_schema(client: SchemaRegistryClient,
                                                                          server: RegistryServer) -> None:
    money_subject = f"money-{uuid.uuid4().hex[:8]}"
    money = 'syntax = "proto3";\npackage common;\nmessage Money {\n  string currency = 1;\n  int64 cents = 2;\n}\n'
    money_version = client.register_schema_full_response(money_subject, Schema(money, "PROTOBUF"))
    assert money_version.schema_id > 0
    order = ('syntax = "proto3";\npackage shop;\nimport "common/money.proto";\n'
             'import "google/protobuf/timestamp.proto";\n\n'
             'message Order {\n  int64 id = 1;\n  common.Money total = 2;\n  google.protobuf.Timestamp at = 3;\n}\n')
    subject = _subject()
    schema_id = client.register_schema(subject, Schema(order, "PROTOBUF", [
        SchemaReference("common/money.proto", money_subject, 1)]))
    file = _file(_serialized(server, schema_id))
    assert list(file.dependency) == ["common/money.proto", "google/protobuf/timestamp.proto"]

    # A record as Java's serializer writes it: magic byte, schema id, message index [0] (one zero byte), message.
    pool = descriptor_pool.DescriptorPool()
    from google.protobuf import timestamp_pb2

    pool.AddSerializedFile(timestamp_pb2.DESCRIPTOR.serialized_pb)
    money_file = _file(_serialized(server, money_version.schema_id))
    money_file.name = "common/money.proto"
    pool.Add(money_file)
    pool.Add(file)
    cls = message_factory.GetMessageClass(pool.FindMessageTypeByName("shop.Order"))
    message = cls(id=7)
    message.total.currency, message.total.cents = "EUR", 1250
    message.at.seconds = 1_700_000_000
    data = b"\x00" + struct.pack(">I", schema_id) + b"\x00" + message.SerializeToString()

    converter = ProtobufConverter()
    converter.configure({"schema.registry.url": server.url}, False)
    schema, value = converter.to_connect("orders", data)
    assert schema.name == "Order"  # the message name; its package only with enhanced.protobuf.schema.support
    assert value.get("id") == 7
    assert value.get("total").get("currency") == "EUR" and value.get("total").get("cents") == 1250
    assert value.get("at") is not None
