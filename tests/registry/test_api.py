"""The embedded registry's REST API, driven by confluent-kafka's own SchemaRegistryClient."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pyconnect_flow.registry import RegistryServer

sr = pytest.importorskip("confluent_kafka.schema_registry")

RECORD = {"type": "record", "name": "User", "namespace": "com.example", "fields": [{"name": "id", "type": "long"}]}


def with_field(field: dict[str, Any]) -> str:
    return json.dumps({**RECORD, "fields": [*RECORD["fields"], field]})


@pytest.fixture
def client() -> Iterator[Any]:
    with RegistryServer() as server:
        client = sr.SchemaRegistryClient({"url": server.url})
        client.url = server.url  # for the calls the client does not make
        yield client


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


def test_deletes_soft_then_permanent(client: Any) -> None:
    v1 = sr.Schema(json.dumps(RECORD), "AVRO")
    v2 = sr.Schema(with_field({"name": "email", "type": ["null", "string"], "default": None}), "AVRO")
    first, second = client.register_schema("users-value", v1), client.register_schema("users-value", v2)

    def error(call: Any) -> tuple[int, int]:
        client.clear_caches()
        with pytest.raises(sr.error.SchemaRegistryError) as failed:
            call()
        return failed.value.http_status_code, failed.value.error_code

    assert error(lambda: client.delete_version("users-value", 2, permanent=True)) == (404, 40407)  # soft first
    assert client.delete_version("users-value", 2) == 2
    assert error(lambda: client.delete_version("users-value", 2)) == (404, 40406)  # soft-deleted already
    assert client.get_versions("users-value") == [1]
    assert json.loads(client.get_schema(second).schema_str)["fields"][-1]["name"] == "email"  # the id stays
    assert client.delete_version("users-value", 2, permanent=True) == 2
    assert error(lambda: client.get_schema(second)) == (404, 40403)  # a permanent delete takes the id too
    third = client.register_schema("users-value", v2)  # as new: a new id (never one given before), version 2
    assert third > second and client.get_versions("users-value") == [1, 2]
    client.delete_version("users-value", 2)
    client.clear_caches()  # the client would answer the registration from its cache
    assert client.register_schema("users-value", v2) == third  # soft-deleted: same id, the next version
    assert client.get_versions("users-value") == [1, 3]
    assert error(lambda: client.delete_subject("users-value", permanent=True)) == (404, 40405)
    assert client.delete_subject("users-value") == [1, 3]
    assert error(lambda: client.delete_subject("users-value")) == (404, 40404)
    assert error(lambda: client.get_versions("users-value")) == (404, 40401)
    assert client.get_subjects() == []
    # ?deleted=true lists the soft-deleted subject and versions (what Confluent's tools show before a hard delete)
    base = client.url
    assert httpx.get(f"{base}/subjects", params={"deleted": "true"}).json() == ["users-value"]
    assert httpx.get(f"{base}/subjects/users-value/versions", params={"deleted": "true"}).json() == [1, 2, 3]
    assert client.delete_subject("users-value", permanent=True) == [1, 2, 3]  # soft-deleted before or now
    assert error(lambda: client.delete_subject("users-value", permanent=True)) == (404, 40401)
    assert error(lambda: client.get_schema(first)) == (404, 40403)
    fresh = client.register_schema("users-value", v1)
    assert fresh > third and client.get_versions("users-value") == [1]


def test_deletes_survive_a_restart(apache_kafka: Any) -> None:
    topic = f"_schemas-delete-{uuid.uuid4().hex[:8]}"
    with RegistryServer(apache_kafka.bootstrap_servers, topic=topic) as server:
        client = sr.SchemaRegistryClient({"url": server.url})
        client.register_schema("users-value", sr.Schema(json.dumps(RECORD), "AVRO"))
        client.register_schema("orders-value", sr.Schema(json.dumps(RECORD), "AVRO"))
        client.register_schema("orders-value", sr.Schema(with_field({"name": "n", "type": "int", "default": 0}),
                                                         "AVRO"))
        client.delete_version("orders-value", 1)
        client.delete_subject("users-value")
        client.delete_subject("users-value", permanent=True)
    with RegistryServer(apache_kafka.bootstrap_servers, topic=topic) as again:
        client = sr.SchemaRegistryClient({"url": again.url})
        assert client.get_subjects() == ["orders-value"]
        assert client.get_versions("orders-value") == [2]
        with pytest.raises(sr.error.SchemaRegistryError) as soft:
            client.delete_version("orders-value", 1)
        assert soft.value.error_code == 40406  # known as soft-deleted after the restart
