"""The embedded registry's REST API, driven by confluent-kafka's own SchemaRegistryClient."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from pyconnect_flow.registry import RegistryServer

sr = pytest.importorskip("confluent_kafka.schema_registry")

RECORD = {"type": "record", "name": "User", "namespace": "com.example", "fields": [{"name": "id", "type": "long"}]}


def with_field(field: dict[str, Any]) -> str:
    return json.dumps({**RECORD, "fields": [*RECORD["fields"], field]})


@pytest.fixture
def client() -> Iterator[Any]:
    with RegistryServer() as server:
        yield sr.SchemaRegistryClient({"url": server.url})


def test_register_lookup_and_versions(client: Any) -> None:
    schema = sr.Schema(json.dumps(RECORD), "AVRO")
    schema_id = client.register_schema("users-value", schema)
    assert client.register_schema("users-value", schema) == schema_id  # same schema, same id
    assert client.register_schema("other-value", schema) == schema_id  # and across subjects
    assert json.loads(client.get_schema(schema_id).schema_str) == RECORD
    found = client.lookup_schema("users-value", schema)
    assert (found.schema_id, found.version, found.subject) == (schema_id, 1, "users-value")
    assert client.get_subjects() == ["other-value", "users-value"]
    evolved = sr.Schema(with_field({"name": "email", "type": ["null", "string"], "default": None}), "AVRO")
    new_id = client.register_schema("users-value", evolved)
    assert new_id != schema_id
    assert client.get_versions("users-value") == [1, 2]
    latest = client.get_latest_version("users-value")
    assert (latest.schema_id, latest.version) == (new_id, 2)
    assert client.get_version("users-value", 1).schema_id == schema_id


def test_confluents_error_codes(client: Any) -> None:
    with pytest.raises(sr.error.SchemaRegistryError) as missing_subject:
        client.get_latest_version("nobody-value")
    assert (missing_subject.value.http_status_code, missing_subject.value.error_code) == (404, 40401)
    with pytest.raises(sr.error.SchemaRegistryError) as missing_schema:
        client.get_schema(4242)
    assert missing_schema.value.error_code == 40403
    client.register_schema("users-value", sr.Schema(json.dumps(RECORD), "AVRO"))
    with pytest.raises(sr.error.SchemaRegistryError) as incompatible:  # BACKWARD: a new field needs a default
        client.register_schema("users-value", sr.Schema(with_field({"name": "email", "type": "string"}), "AVRO"))
    assert incompatible.value.http_status_code == 409
    with pytest.raises(sr.error.SchemaRegistryError) as invalid:
        client.register_schema("users-value", sr.Schema('{"type": "nope"}', "AVRO"))
    assert invalid.value.error_code == 42201
    with pytest.raises(sr.error.SchemaRegistryError) as bad_level:
        client.set_compatibility(level="SOMETIMES")
    assert bad_level.value.error_code == 42203


def test_compatibility_levels(client: Any) -> None:
    assert client.get_compatibility() == "BACKWARD"
    client.register_schema("users-value", sr.Schema(json.dumps(RECORD), "AVRO"))
    client.set_compatibility("users-value", "NONE")
    assert client.get_compatibility("users-value") == "NONE"
    client.register_schema("users-value", sr.Schema(with_field({"name": "email", "type": "string"}), "AVRO"))
    assert client.get_versions("users-value") == [1, 2]
