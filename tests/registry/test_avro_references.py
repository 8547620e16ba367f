"""Avro schemas with references (named types registered under other subjects) in our registry, on a real Kafka,
and read by AvroConverter from bytes confluent-kafka's AvroSerializer wrote against such a schema."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import fastavro
import pytest
from confluent_kafka.schema_registry import Schema, SchemaReference, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext

from pyconnect_flow.converters.avro import AvroConverter
from pyconnect_flow.converters.avro_references import inline_references, named_types
from pyconnect_flow.registry import RegistryServer

ADDRESS = {"type": "record", "name": "Address", "namespace": "com.example.common", "fields": [
    {"name": "street", "type": "string"},
    {"name": "country", "type": {"type": "enum", "name": "Country", "symbols": ["DE", "FR", "NL"]}}]}
CUSTOMER = {"type": "record", "name": "Customer", "namespace": "com.example", "fields": [
    {"name": "id", "type": "long"},
    {"name": "home", "type": "com.example.common.Address"},
    {"name": "work", "type": ["null", "com.example.common.Address"], "default": None},
    {"name": "born_in", "type": "com.example.common.Country"}]}


def test_referenced_types_are_written_in_full_where_first_used() -> None:
    named = named_types(ADDRESS)
    assert set(named) == {"com.example.common.Address", "com.example.common.Country"}
    whole = inline_references(CUSTOMER, named)
    assert whole["fields"][1]["type"]["name"] == "Address"
    assert whole["fields"][1]["type"]["namespace"] == "com.example.common"
    assert whole["fields"][2]["type"] == ["null", "com.example.common.Address"]  # defined once, then by name
    assert whole["fields"][3]["type"] == "com.example.common.Country"
    fastavro.parse_schema(whole)  # one self-contained schema


@pytest.fixture(scope="module")
def server(apache_kafka: Any) -> Iterator[RegistryServer]:
    with RegistryServer(apache_kafka.bootstrap_servers, topic=f"_schemas-avro-refs-{uuid.uuid4().hex[:8]}") as running:
        yield running


def test_schemas_with_references_register_check_and_are_read_by_the_converter(server: RegistryServer) -> None:
    client = SchemaRegistryClient({"url": server.url})
    tag = uuid.uuid4().hex[:8]
    address_subject, topic = f"address-{tag}", f"customers-{tag}"
    client.register_schema(address_subject, Schema(json.dumps(ADDRESS), "AVRO"))
    reference = SchemaReference("com.example.common.Address", address_subject, 1)

    with pytest.raises(SchemaRegistryError) as caught:  # without its reference the schema names an unknown type
        client.register_schema(f"{topic}-value", Schema(json.dumps(CUSTOMER), "AVRO"))
    assert (caught.value.http_status_code, caught.value.error_code) == (422, 42201)

    schema_id = client.register_schema(f"{topic}-value", Schema(json.dumps(CUSTOMER), "AVRO", [reference]))
    # BACKWARD (the default): a field added with a default is compatible, a referenced field removed is not.
    wider = {**CUSTOMER, "fields": [*CUSTOMER["fields"], {"name": "vip", "type": "boolean", "default": False}]}
    assert client.test_compatibility(f"{topic}-value", Schema(json.dumps(wider), "AVRO", [reference]))
    narrower = {**CUSTOMER, "fields": [f for f in CUSTOMER["fields"] if f["name"] != "home"]
                + [{"name": "flag", "type": "boolean"}]}
    assert not client.test_compatibility(f"{topic}-value", Schema(json.dumps(narrower), "AVRO", [reference]))

    serializer = AvroSerializer(client, Schema(json.dumps(CUSTOMER), "AVRO", [reference]),
                                conf={"auto.register.schemas": False, "use.latest.version": True})
    customer = {"id": 7, "home": {"street": "Hauptstr. 1", "country": "DE"}, "work": None, "born_in": "FR"}
    data = serializer(customer, SerializationContext(topic, MessageField.VALUE))
    assert data is not None and int.from_bytes(data[1:5], "big") == schema_id

    converter = AvroConverter()
    converter.configure({"schema.registry.url": server.url}, False)
    schema, value = converter.to_connect(topic, data)
    assert schema.name == "com.example.Customer"
    assert value.get("id") == 7
    assert value.get("home").get("street") == "Hauptstr. 1" and value.get("home").get("country") == "DE"
    assert value.get("work") is None and value.get("born_in") == "FR"
    assert schema.field("home").schema.name == "com.example.common.Address"
