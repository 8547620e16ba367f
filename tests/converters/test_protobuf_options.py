"""ProtobufConverter's `scrub.invalid.names` and `enhanced.protobuf.schema.support`, as Confluent's ProtobufData
(vectors from its ProtobufDataTest.testScrubName and ProtobufConverterTest's namespace tests)."""

from __future__ import annotations

import base64
import struct
from collections.abc import Iterator
from typing import Any

import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from pyconnect_flow.converters.avro_data import scrub_name as avro_scrub_name
from pyconnect_flow.converters.protobuf import ProtobufConverter
from pyconnect_flow.converters.scrub_names import java_url_encoded, scrub_name
from pyconnect_flow.data.schema import INT32_SCHEMA, OPTIONAL_STRING_SCHEMA, SchemaBuilder
from pyconnect_flow.data.struct import Struct
from pyconnect_flow.registry import RegistryServer

F = descriptor_pb2.FieldDescriptorProto


@pytest.mark.parametrize(("name", "scrubbed"), [
    ("", ""), ("abc_DEF_123", "abc_DEF_123"), ("abc+-.*_", "abc_2B____"), ("abc-def", "abc_def"),
    ("abc+def", "abc_2Bdef"), ("abc  def", "abc__def"), ("abc.def", "abc_def"), ("0abc.def", "x0abc_def"),
    ("_abc.def", "x_abc_def"), ("0abc", "x0abc"), ("_abc", "x_abc")])
def test_protobuf_scrub_name_vectors(name: str, scrubbed: str) -> None:
    assert scrub_name(name, leading_underscore=False) == scrubbed


def test_avro_keeps_a_leading_underscore_and_both_encode_as_java() -> None:
    assert avro_scrub_name("_abc") == "_abc" and avro_scrub_name("0abc") == "x0abc"
    assert java_url_encoded("a~b é+*") == "a%7Eb+%C3%A9%2B*"  # java.net.URLEncoder: '~' encoded, '*' kept


@pytest.fixture(scope="module")
def registry() -> Iterator[RegistryServer]:
    with RegistryServer() as server:
        yield server


def _converter(registry: RegistryServer, **config: Any) -> ProtobufConverter:
    c = ProtobufConverter()
    c.configure({"schema.registry.url": registry.url, **config}, False)
    return c


def test_scrub_invalid_names_writes_valid_protobuf_names_and_reads_them_back(registry: RegistryServer) -> None:
    schema = (SchemaBuilder.struct().name("com.ex-ample.My Record")
              .field("first-name", OPTIONAL_STRING_SCHEMA).field("0zip", INT32_SCHEMA)
              .field("_hidden", OPTIONAL_STRING_SCHEMA).build())
    value = Struct(schema).put("first-name", "Ada").put("0zip", 10115).put("_hidden", "x")
    writer = _converter(registry, **{"scrub.invalid.names": "true", "auto.register.schemas": "true"})
    data = writer.from_connect("people", schema, value)
    assert data is not None and data[0] == 0
    schema_id = struct.unpack(">I", data[1:5])[0]
    text = writer.client.schema_by_id(schema_id, serialized=True)
    file = descriptor_pb2.FileDescriptorProto()
    file.ParseFromString(base64.b64decode(text))
    assert file.package == "com.ex_ample"
    assert file.message_type[0].name == "My_Record"
    assert [f.name for f in file.message_type[0].field] == ["first_name", "x0zip", "x_hidden"]
    read_schema, read = _converter(registry).to_connect("people", data)
    assert [f.name for f in read_schema.fields] == ["first_name", "x0zip", "x_hidden"]
    assert (read.get("first_name"), read.get("x0zip"), read.get("x_hidden")) == ("Ada", 10115, "x")


def _order_file() -> descriptor_pb2.FileDescriptorProto:
    file = descriptor_pb2.FileDescriptorProto(name="order.proto", package="shop", syntax="proto3")
    order = file.message_type.add(name="Order")
    status = order.enum_type.add(name="Status")
    status.value.add(name="NEW", number=0)
    status.value.add(name="PAID", number=1)
    order.field.add(name="id", number=1, type=F.TYPE_INT64, label=F.LABEL_OPTIONAL)
    order.field.add(name="status", number=2, type=F.TYPE_ENUM, type_name=".shop.Order.Status", label=F.LABEL_OPTIONAL)
    order.oneof_decl.add(name="payment")
    order.field.add(name="card", number=3, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL, oneof_index=0)
    order.field.add(name="iban", number=4, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL, oneof_index=0)
    return file


@pytest.mark.parametrize("enhanced", [False, True])
def test_enhanced_schema_support_keeps_the_package_in_schema_names(registry: RegistryServer, enhanced: bool) -> None:
    file = _order_file()
    schema_id = registry.store.register(f"orders-{enhanced}-value", base64.b64encode(file.SerializeToString()).decode(),
                                        "PROTOBUF")
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    cls = message_factory.GetMessageClass(pool.FindMessageTypeByName("shop.Order"))
    data = b"\x00" + struct.pack(">I", schema_id) + b"\x00" + cls(id=3, status=1, iban="DE00").SerializeToString()
    schema, value = _converter(registry, **{"enhanced.protobuf.schema.support": str(enhanced).lower()}).to_connect(
        f"orders-{enhanced}", data)
    prefix = "shop." if enhanced else ""
    assert schema.name == f"{prefix}Order"
    assert schema.field("status").schema.name == ("shop.Order.Status" if enhanced else "Status")
    union = "io.confluent.connect.protobuf.Union."
    assert schema.field("payment_0").schema.name == (union + "shop.Order.payment" if enhanced else union + "payment")
    assert value.get("id") == 3 and value.get("status") == "PAID"
    assert value.get("payment_0").get("iban") == "DE00"
