"""JSON Schema `$ref`s (`#/definitions/…`, `#/$defs/…`) and `allOf` in JsonSchemaData, as Confluent maps them.

The schema-level vectors are Confluent's JsonSchemaDataTest cases (named after them); end to end, records
confluent-kafka's JSONSerializer writes with such a schema (through our registry on a real Kafka) read as the
Connect data Confluent's converter gives, and our converter writing with `use.latest.version=true` against the
registered schema gives bytes confluent-kafka's JSONDeserializer validates and reads back to the same values.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from pyconnect_flow.converters.json_schema_data import (
    JSON_TYPE_ENUM,
    JSON_TYPE_ONE_OF,
    JsonSchemaData,
    JsonSchemaDataConfig,
)
from pyconnect_flow.converters.json_schema_registry import JsonSchemaConverter
from pyconnect_flow.data.exceptions import DataException
from pyconnect_flow.data.schema import (
    FLOAT64_SCHEMA,
    INT64_SCHEMA,
    OPTIONAL_INT8_SCHEMA,
    OPTIONAL_INT16_SCHEMA,
    STRING_SCHEMA,
    SchemaBuilder,
    Type,
)
from pyconnect_flow.data.struct import Struct
from pyconnect_flow.registry import RegistryServer

EVENT = {
    "$schema": "http://json-schema.org/draft-04/schema#", "title": "Event", "type": "object",
    "properties": {"vehicle": {"$ref": "#/definitions/VehicleDto"}},
    "definitions": {
        "PriceDto": {"type": "object", "required": ["amount"],
                     "properties": {"amount": {"type": "number", "format": "decimal"}}},
        "VehicleDto": {"type": "object", "required": ["offerPrice", "firstRegistrationDate"], "properties": {
            "offerPrice": {"connect.index": 1, "$ref": "#/definitions/PriceDto"},
            "catalogPrice": {"connect.index": 2, "oneOf": [{"type": "null"}, {"$ref": "#/definitions/PriceDto"}]},
            "firstRegistrationDate": {"connect.index": 3, "type": "string", "format": "date-time"}}},
    },
}
ALL_OF_REF = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "allOf": [{"$ref": "#/definitions/MessageBase"}, {"$ref": "#/definitions/MessageBase2"}],
    "title": "IdentifyUserMessage", "description": "An IdentifyUser message", "type": "object",
    "properties": {"prevUserId": {"type": "string"}, "newUserId": {"type": "string"}},
    "definitions": {"MessageBase": {"properties": {"id": {"type": "string"}, "type": {"type": "string"}}},
                    "MessageBase2": {"properties": {"id2": {"type": "string"}}}},
}


def test_to_connect_record_with_optional_reference() -> None:
    """JsonSchemaDataTest.testToConnectRecordWithOptionalReference (use.optional.for.nonrequired=true)."""
    data = JsonSchemaData(JsonSchemaDataConfig(use_optional_for_nonrequired=True))
    schema = data.to_connect_schema(EVENT)
    vehicle = schema.field("vehicle")
    assert schema.name == "Event" and vehicle is not None and vehicle.schema.optional
    fields = {f.name: f.schema for f in vehicle.schema.fields or ()}
    assert list(fields) == ["offerPrice", "catalogPrice", "firstRegistrationDate"]  # connect.index order
    assert not fields["offerPrice"].optional and fields["catalogPrice"].optional
    assert fields["offerPrice"].type is Type.STRUCT and fields["offerPrice"].field("amount") is not None
    value = data.value_decoder(schema)(json.loads(
        '{"vehicle":{"offerPrice":{"amount":20000},"firstRegistrationDate":"2020-08-19T12:05:15.953Z"}}'))
    car = value.get("vehicle")
    assert car.get("offerPrice").get("amount") == 20000.0 and car.get("catalogPrice") is None
    assert car.get("firstRegistrationDate") == "2020-08-19T12:05:15.953Z"


def test_combined_schema_all_of_ref() -> None:
    """JsonSchemaDataTest.testCombinedSchemaAllOfRef: `allOf` of `$ref`s beside the node's own properties is one
    struct of all their properties."""
    schema = JsonSchemaData().to_connect_schema(ALL_OF_REF)
    assert schema.type is Type.STRUCT and schema.name is None
    assert sorted(f.name for f in schema.fields or ()) == ["id", "id2", "newUserId", "prevUserId", "type"]
    assert all(f.schema == STRING_SCHEMA for f in schema.fields or ())


def test_defs_references_and_a_nullable_array_of_them() -> None:
    """JsonSchemaDataTest.testAnyOfWithArray: `#/$defs/…` items of an `["array", "null"]`."""
    schema = JsonSchemaData().to_connect_schema({
        "$defs": {"review": {"properties": {"created_on": {"type": ["string", "null"]},
                                           "reason_code": {"type": ["string", "null"]}},
                             "required": [], "type": "object"}},
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "properties": {"change_operation": {"type": "string"},
                       "reviews": {"items": {"$ref": "#/$defs/review"}, "required": [], "type": ["array", "null"]}}})
    reviews = schema.field("reviews")
    assert reviews is not None and reviews.schema.type is Type.ARRAY and reviews.schema.optional
    assert reviews.schema.value_schema is not None and reviews.schema.value_schema.type is Type.STRUCT


def _enum(*symbols: str) -> Any:
    builder = SchemaBuilder.string().parameter(JSON_TYPE_ENUM, "")
    for s in symbols:
        builder.parameter(f"{JSON_TYPE_ENUM}.{s}", s)
    return builder.build()


def _one_of_int8_int16() -> Any:
    return (SchemaBuilder.struct().name(JSON_TYPE_ONE_OF).field(JSON_TYPE_ONE_OF + ".field.0", OPTIONAL_INT8_SCHEMA)
            .field(JSON_TYPE_ONE_OF + ".field.1", OPTIONAL_INT16_SCHEMA).build())


@pytest.mark.parametrize(("vector", "document", "expected"), [
    ("testToConnectEnumInAllOf", {"allOf": [{"type": "string"}, {"enum": ["one", "two", "three"]}]},
     _enum("one", "two", "three")),
    ("testToConnectIntEnumInAllOfIsValid", {"allOf": [{"type": "number"}, {"enum": [1, 2, 3]}]}, FLOAT64_SCHEMA),
    ("testToConnectUnionEnumInAllOfIsValid",
     {"allOf": [{"oneOf": [{"type": "integer", "connect.type": "int8"}, {"type": "integer", "connect.type": "int16"}]},
                {"enum": [1, 2, 3]}]}, _one_of_int8_int16()),
    ("testToConnectStringConstInAllOf", {"const": "money", "type": "string"}, STRING_SCHEMA),
    ("testToConnectIntegerConstInAllOf", {"const": 123, "type": "integer"}, INT64_SCHEMA),
    ("testToConnectNumberConstInAllOf", {"const": 123.45, "type": "number"}, FLOAT64_SCHEMA),
    ("testToConnectReferenceInAllOf", {"allOf": [{"$ref": "#/definitions/n"}],
                                       "definitions": {"n": {"type": "integer", "connect.type": "int64"}}},
     INT64_SCHEMA),
    ("testCombinedSchemaTitleAndObject", {"title": "Product Identifier", "type": "object", "anyOf": [
        {"type": "object", "properties": {"keycode": {"type": "string"}}},
        {"type": "object", "properties": {"itemCode": {"type": "string"}}}]}, None),
])
def test_all_of_vectors(vector: str, document: Any, expected: Any) -> None:
    schema = JsonSchemaData().to_connect_schema(document)
    if expected is None:
        assert schema.name == JSON_TYPE_ONE_OF, vector
    else:
        assert schema == expected, vector


@pytest.fixture(scope="module")
def registry(apache_kafka: Any) -> Iterator[RegistryServer]:
    with RegistryServer(apache_kafka.bootstrap_servers, topic=f"_schemas-json-{uuid.uuid4().hex[:8]}") as server:
        yield server


ORDER = {
    "title": "Order", "type": "object",
    "allOf": [{"$ref": "#/$defs/Base"}],
    "properties": {"item": {"type": "string"}, "price": {"$ref": "#/definitions/Price"}},
    "required": ["item", "price"],
    "$defs": {"Base": {"type": "object", "properties": {"id": {"type": "integer"}}, "required": ["id"]}},
    "definitions": {"Price": {"type": "object", "properties": {"amount": {"type": "number"},
                                                                "currency": {"type": "string"}},
                              "required": ["amount", "currency"]}},
}


def test_confluent_records_with_refs_and_all_of_read_and_write_back(registry: RegistryServer) -> None:
    client = SchemaRegistryClient({"url": registry.url})
    ctx = SerializationContext("orders-allof", MessageField.VALUE)
    serializer = JSONSerializer(json.dumps(ORDER), client)
    orders = [{"id": i, "item": f"thing {i}", "price": {"amount": i * 1.5, "currency": "EUR"}} for i in range(5)]
    datas = [serializer(order, ctx) for order in orders]

    reader = JsonSchemaConverter()
    reader.configure({"schema.registry.url": registry.url}, False)
    read = reader.to_connect_batch("orders-allof", datas)
    schema = read[0][0]
    assert schema is not None and schema.type is Type.STRUCT
    assert sorted(f.name for f in schema.fields or ()) == ["id", "item", "price"]
    price = schema.field("price")
    assert price is not None and price.schema.field("amount") is not None
    assert [(v.get("id"), v.get("item"), v.get("price").get("amount"), v.get("price").get("currency"))
            for _, v in read] == [(o["id"], o["item"], o["price"]["amount"], "EUR") for o in orders]

    # back to Kafka with the registered schema (use.latest.version). The struct's own schema is a plain object,
    # which the allOf schema does not read under Confluent's strict diff (TYPE_CHANGED at the root): refused by
    # default (latest.compatibility.strict=true), as Confluent's serializer refuses it; written with it off.
    strict = JsonSchemaConverter()
    strict.configure({"schema.registry.url": registry.url, "use.latest.version": "true",
                      "auto.register.schemas": "false"}, False)
    with pytest.raises(DataException, match="latest schema of subject orders-allof-value .* is not backward "
                                            "compatible .*TYPE_CHANGED"):
        strict.from_connect_values("orders-allof", schema, [v for _, v in read])
    writer = JsonSchemaConverter()
    writer.configure({"schema.registry.url": registry.url, "use.latest.version": "true",
                      "latest.compatibility.strict": "false", "auto.register.schemas": "false"}, False)
    written = writer.from_connect_values("orders-allof", schema, [v for _, v in read])
    assert {int.from_bytes(d[1:5], "big") for d in written if d is not None} == {
        client.get_latest_version("orders-allof-value").schema_id}
    deserializer = JSONDeserializer(None, schema_registry_client=client)
    assert [deserializer(d, ctx) for d in written] == orders
    assert isinstance(read[0][1], Struct)


ADDRESS_DOC = {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "title": "Address",
               "definitions": {"country": {"type": "string", "enum": ["DE", "FR"]}},
               "properties": {"street": {"type": "string"}, "country": {"$ref": "#/definitions/country"}},
               "required": ["street", "country"]}
ORDER_DOC = {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "title": "Order",
             "properties": {"id": {"type": "integer"}, "ship_to": {"$ref": "address.json"}},
             "required": ["id", "ship_to"]}


@pytest.mark.parametrize("validate", [False, True], ids=["plain", "fail.invalid.schema"])
def test_references_to_other_subjects_are_followed(registry: RegistryServer, validate: bool) -> None:
    """`"$ref": "address.json"` names a schema reference (another subject's version), whose own '#/…' refs are
    its own; bytes confluent-kafka's JSONSerializer wrote against it read into nested structs."""
    from confluent_kafka.schema_registry import Schema, SchemaReference, SchemaRegistryClient
    from confluent_kafka.schema_registry.json_schema import JSONSerializer
    from confluent_kafka.serialization import MessageField, SerializationContext

    client = SchemaRegistryClient({"url": registry.url})
    tag = uuid.uuid4().hex[:8]
    client.register_schema(f"address-{tag}", Schema(json.dumps(ADDRESS_DOC), "JSON"))
    reference = SchemaReference("address.json", f"address-{tag}", 1)
    topic = f"orders-{tag}"
    client.register_schema(f"{topic}-value", Schema(json.dumps(ORDER_DOC), "JSON", [reference]))
    serializer = JSONSerializer(Schema(json.dumps(ORDER_DOC), "JSON", [reference]), client,
                                conf={"auto.register.schemas": False, "use.latest.version": True})
    data = serializer({"id": 5, "ship_to": {"street": "Rue 1", "country": "FR"}},
                      SerializationContext(topic, MessageField.VALUE))
    reader = JsonSchemaConverter()
    reader.configure({"schema.registry.url": registry.url, "json.fail.invalid.schema": str(validate).lower()}, False)
    schema, value = reader.to_connect(topic, data)
    assert [f.name for f in schema.fields] == ["id", "ship_to"]
    assert value.get("id") == 5
    assert value.get("ship_to").get("street") == "Rue 1" and value.get("ship_to").get("country") == "FR"
    assert schema.field("ship_to").schema.name == "Address"
    if validate:  # a value the referenced schema refuses: the converter names the failure
        schema_id = int.from_bytes(data[1:5], "big")
        bad = bytes(data[:5]) + json.dumps({"id": 6, "ship_to": {"street": "x", "country": "XX"}}).encode()
        with pytest.raises(DataException, match="XX"):
            reader.to_connect(topic, bad)
        assert schema_id > 0
