"""Our registry and Apicurio Registry's Confluent-compatible API give confluent-kafka's client the same answers.

One client-level scenario (register, read back by id, version and latest, list, look up, compatibility levels and
checks, an incompatible evolution, deletes, Confluent's error codes, a serializer round trip) runs against each
registry through confluent-kafka's own ``SchemaRegistryClient`` and records what it saw; the two records must be
equal. Schema ids differ between registries, so a record names each id by the order it first appeared in.
Where Apicurio departs from Confluent's documented behaviour (listed in ``APICURIO_DEVIATIONS`` and in
docs/schema-registry.md), that step is compared with Confluent's answer (``CONFLUENT``) instead.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext

from pyconnect_flow.registry import RegistryServer

V1 = {"type": "record", "name": "Order", "namespace": "com.example.parity",
      "fields": [{"name": "id", "type": "long"}, {"name": "item", "type": "string"}]}
# BACKWARD-compatible: the added field has a default
V2 = {**V1, "fields": [*V1["fields"], {"name": "note", "type": ["null", "string"], "default": None}]}
# not BACKWARD-compatible: an added field without a default
V3_BAD = {**V1, "fields": [*V1["fields"], {"name": "qty", "type": "int"}]}

#: The steps Apicurio 2.4.2.Final answers otherwise than Confluent documents, and how it answers.
APICURIO_DEVIATIONS = {
    "global compatibility": "NONE (Confluent's default is BACKWARD)",
    "subjects of the id": "404 with error_code 0: no GET /schemas/ids/{id}/subjects",
    "register bad v3": "409 with error_code 0 (Confluent's body says 409)",
    "deleted schema by id": "40403: a soft-deleted version's schema is gone by id too (Confluent keeps it)",
    "lookup deleted v2": "40401 (Confluent: 40403 schema not found, the subject exists)",
    "missing subject latest": "40402 (Confluent: 40401 subject not found)",
    "lookup unknown schema": "40401 (Confluent: 40403 schema not found, the subject exists)",
}


def confluent_answers(prefix: str) -> dict[str, Any]:
    """Confluent's documented answers to the steps of `APICURIO_DEVIATIONS`, which ours must give."""
    return {
        "global compatibility": "BACKWARD",
        "subjects of the id": [f"{prefix}-orders-value", f"{prefix}-other-value"],
        "register bad v3": ("error", 409, 409),
        "deleted schema by id": V2,
        "lookup deleted v2": ("error", 404, 40403),
        "missing subject latest": ("error", 404, 40401),
        "lookup unknown schema": ("error", 404, 40403),
    }


def _json(schema: dict[str, Any]) -> str:
    return json.dumps(schema)


class Transcript:
    """What a scenario saw, step by step, with schema ids named by the order they first appeared in."""

    def __init__(self, client: SchemaRegistryClient) -> None:
        self.client = client
        self.steps: dict[str, Any] = {}
        self._ids: dict[int, str] = {}

    def id(self, schema_id: int) -> str:
        return self._ids.setdefault(schema_id, f"id#{len(self._ids) + 1}")

    def record(self, step: str, call: Callable[[], Any]) -> Any:
        """Run `call`, keeping its answer (or the registry's HTTP status and error code) under `step`.

        The client's caches are emptied first, so that every step is answered by the registry.
        """
        self.client.clear_caches()
        try:
            answer = call()
        except SchemaRegistryError as exc:
            self.steps[step] = ("error", exc.http_status_code, exc.error_code)
            return None
        self.steps[step] = answer
        return answer


def scenario(client: SchemaRegistryClient, prefix: str) -> Transcript:
    """The client calls a connector, a serializer and an operator make, on subjects named `prefix`-…."""
    t = Transcript(client)
    subject, other = f"{prefix}-orders-value", f"{prefix}-other-value"
    v1, v2 = Schema(_json(V1), "AVRO"), Schema(_json(V2), "AVRO")

    t.record("global compatibility", lambda: client.get_compatibility())
    t.record("set subject compatibility", lambda: client.set_compatibility(subject, "BACKWARD"))
    t.record("register v1", lambda: t.id(client.register_schema(subject, v1)))
    t.record("register v1 again", lambda: t.id(client.register_schema(subject, v1)))
    t.record("register v1 under another subject", lambda: t.id(client.register_schema(other, v1)))
    t.record("subject compatibility", lambda: client.get_compatibility(subject))

    first = client.lookup_schema(subject, v1).schema_id
    t.record("schema by id", lambda: (json.loads(client.get_schema(first).schema_str),
                                      client.get_schema(first).schema_type))
    t.record("version 1", lambda: _version(t, client.get_version(subject, 1)))
    t.record("latest with v1", lambda: _version(t, client.get_latest_version(subject)))
    t.record("lookup v1", lambda: _version(t, client.lookup_schema(subject, v1)))
    t.record("subjects", lambda: sorted(s for s in client.get_subjects() if s.startswith(prefix)))
    t.record("versions with v1", lambda: client.get_versions(subject))
    t.record("subjects of the id", lambda: sorted(client.get_subjects_by_schema_id(first)))

    t.record("v2 compatible", lambda: client.test_compatibility(subject, v2))
    t.record("bad v3 compatible", lambda: client.test_compatibility(subject, Schema(_json(V3_BAD), "AVRO")))
    t.record("register v2", lambda: t.id(client.register_schema(subject, v2)))
    t.record("register bad v3", lambda: t.id(client.register_schema(subject, Schema(_json(V3_BAD), "AVRO"))))
    t.record("versions with v2", lambda: client.get_versions(subject))
    t.record("latest with v2", lambda: _version(t, client.get_latest_version(subject)))

    second = client.lookup_schema(subject, v2).schema_id
    t.record("delete version 2", lambda: client.delete_version(subject, 2))
    t.record("versions after delete", lambda: client.get_versions(subject))
    t.record("latest after delete", lambda: _version(t, client.get_latest_version(subject)))
    t.record("deleted version 2", lambda: _version(t, client.get_version(subject, 2)))
    t.record("deleted schema by id", lambda: json.loads(client.get_schema(second).schema_str))
    t.record("lookup deleted v2", lambda: _version(t, client.lookup_schema(subject, v2)))
    t.record("delete missing version", lambda: client.delete_version(subject, 42))

    t.record("missing subject latest", lambda: client.get_latest_version(f"{prefix}-nobody-value"))
    t.record("missing subject versions", lambda: client.get_versions(f"{prefix}-nobody-value"))
    t.record("missing version", lambda: client.get_version(subject, 42))
    t.record("missing schema id", lambda: client.get_schema(987654))
    t.record("lookup unknown schema", lambda: client.lookup_schema(subject, Schema(_json(V3_BAD), "AVRO")))
    t.record("register invalid schema", lambda: client.register_schema(subject, Schema('{"type": "nope"}', "AVRO")))
    return t


def _version(t: Transcript, registered: Any) -> tuple[Any, ...]:
    """The fields a client gets for a subject version, the id named."""
    return (registered.subject, registered.version, t.id(registered.schema_id), json.loads(registered.schema.schema_str))


def round_trip(client: SchemaRegistryClient, topic: str) -> list[Any]:
    """Values written by AvroSerializer (registering V1 under `topic`-value) and read back by AvroDeserializer."""
    serializer = AvroSerializer(client, _json(V1))
    deserializer = AvroDeserializer(client)
    context = SerializationContext(topic, MessageField.VALUE)
    out = []
    for value in ({"id": 1, "item": "apple"}, {"id": 2, "item": "pear"}):
        data = serializer(value, context)
        assert data is not None and data[0] == 0  # Confluent's framing: magic byte, then the 4-byte id
        schema_id = int.from_bytes(data[1:5], "big")
        assert json.loads(client.get_schema(schema_id).schema_str) == V1
        out.append(deserializer(data, context))
    return out


@pytest.fixture
def ours() -> Iterator[SchemaRegistryClient]:
    with RegistryServer() as server:
        yield SchemaRegistryClient({"url": server.url})


@pytest.fixture
def apicurio(apicurio_registry: str) -> SchemaRegistryClient:
    return SchemaRegistryClient({"url": apicurio_registry})


def test_same_answers_as_apicurio(ours: SchemaRegistryClient, apicurio: SchemaRegistryClient,
                                  unique_name: str) -> None:
    mine = scenario(ours, unique_name).steps
    theirs = scenario(apicurio, unique_name).steps
    assert set(mine) == set(theirs)
    spec = confluent_answers(unique_name)
    assert set(spec) == set(APICURIO_DEVIATIONS)
    assert {step: mine[step] for step in spec} == spec
    same = set(mine) - set(spec)
    assert {step: mine[step] for step in same} == {step: theirs[step] for step in same}
    # and what both said is Confluent's documented behaviour, not a shared mistake:
    orders = f"{unique_name}-orders-value"
    assert mine["register v1"] == mine["register v1 again"] == mine["register v1 under another subject"] == "id#1"
    assert mine["version 1"] == mine["latest with v1"] == mine["lookup v1"] == (orders, 1, "id#1", V1)
    assert mine["schema by id"] == (V1, "AVRO")
    assert mine["subjects"] == [orders, f"{unique_name}-other-value"]
    assert mine["subject compatibility"] == "BACKWARD"
    assert (mine["v2 compatible"], mine["bad v3 compatible"]) == (True, False)
    assert mine["register v2"] == "id#2" and mine["latest with v2"] == (orders, 2, "id#2", V2)
    assert mine["versions with v2"] == [1, 2] and mine["versions after delete"] == [1]
    assert mine["delete version 2"] == 2 and mine["latest after delete"] == (orders, 1, "id#1", V1)
    assert mine["deleted version 2"] == ("error", 404, 40402) == mine["missing version"]
    assert mine["delete missing version"] == ("error", 404, 40402)
    assert mine["missing subject versions"] == ("error", 404, 40401)
    assert mine["missing schema id"] == ("error", 404, 40403)
    assert mine["register invalid schema"] == ("error", 422, 42201)


def test_serializer_round_trip_through_both(ours: SchemaRegistryClient, apicurio: SchemaRegistryClient,
                                            unique_name: str) -> None:
    values = [{"id": 1, "item": "apple"}, {"id": 2, "item": "pear"}]
    assert round_trip(ours, unique_name) == values
    assert round_trip(apicurio, unique_name) == values
