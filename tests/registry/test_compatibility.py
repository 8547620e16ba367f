"""Compatibility checks of our registry for JSON Schema and Protobuf, on a registry keeping its schemas in a real
Kafka, driven by confluent-kafka's SchemaRegistryClient: an incompatible schema is refused with Confluent's 409,
and POST /compatibility answers the same.

The cases are the common changes (a field added or removed, a type changed, `required` changed) under
BACKWARD, FORWARD and FULL, with the answers Confluent's `SchemaDiff` rules give; several are the cases of
Confluent's `diff-schema-examples.json` / protobuf `SchemaDiffTest`, named after them.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError
from google.protobuf import descriptor_pb2

from pyconnect_flow.registry import RegistryServer
from pyconnect_flow.registry.compatibility import json_problem

F = descriptor_pb2.FieldDescriptorProto


@pytest.fixture(scope="module")
def client(apache_kafka: Any) -> Iterator[SchemaRegistryClient]:
    with RegistryServer(apache_kafka.bootstrap_servers, topic=f"_schemas-compat-{uuid.uuid4().hex[:8]}") as server:
        yield SchemaRegistryClient({"url": server.url})


def _registers(client: SchemaRegistryClient, level: str, old: Schema, new: Schema) -> bool:
    """Whether `new` registers after `old` at `level` (False: refused with 409, and POST /compatibility agrees)."""
    subject = f"s-{uuid.uuid4().hex[:10]}"
    client.set_compatibility(subject_name=subject, level=level)
    client.register_schema(subject, old)
    compatible = client.test_compatibility(subject, new)
    try:
        client.register_schema(subject, new)
    except SchemaRegistryError as exc:
        assert (exc.http_status_code, exc.error_code) == (409, 409), exc
        assert "incompatible with an earlier schema" in exc.error_message
        assert compatible is False
        return False
    assert compatible is True
    return True


# ----------------------------------------------------------------------------- JSON Schema

def obj(properties: dict[str, Any], required: list[str] | None = None, closed: bool = False) -> Schema:
    document: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        document["required"] = required
    if closed:
        document["additionalProperties"] = False
    return Schema(json.dumps(document), "JSON")


S, INT, N = {"type": "string"}, {"type": "integer"}, {"type": "number"}

JSON_CASES: list[tuple[str, Schema, Schema, dict[str, bool]]] = [
    # an open content model (no additionalProperties: false): old writers may have put anything in a new name
    ("property added to an open content model", obj({"a": S}), obj({"a": S, "b": S}),
     {"BACKWARD": False, "FORWARD": True, "FULL": False}),
    ("property added to a closed content model", obj({"a": S}, closed=True), obj({"a": S, "b": S}, closed=True),
     {"BACKWARD": True, "FORWARD": False, "FULL": False}),
    ("property removed from an open content model", obj({"a": S, "b": S}), obj({"a": S}),
     {"BACKWARD": True, "FORWARD": False, "FULL": False}),
    ("property type changed", obj({"a": S}), obj({"a": INT}), {"BACKWARD": False, "FORWARD": False, "FULL": False}),
    ("integer widened to number", obj({"a": INT}), obj({"a": N}), {"BACKWARD": True, "FORWARD": False, "FULL": False}),
    ("property made required", obj({"a": S}), obj({"a": S}, ["a"]),
     {"BACKWARD": False, "FORWARD": True, "FULL": False}),
    ("property made required with a default", obj({"a": S}), obj({"a": {**S, "default": "x"}}, ["a"]),
     {"BACKWARD": True, "FORWARD": True, "FULL": True}),
    ("required dropped", obj({"a": S}, ["a"]), obj({"a": S}), {"BACKWARD": True, "FORWARD": False, "FULL": False}),
    ("nullable added through a type list", obj({"a": S}), obj({"a": {"type": ["string", "null"]}}),
     {"BACKWARD": True, "FORWARD": False, "FULL": False}),
    ("property added under a definition reached by $ref",
     Schema(json.dumps({"type": "object", "properties": {"x": {"$ref": "#/definitions/X"}},
                        "definitions": {"X": {"type": "object", "properties": {"a": S}}}}), "JSON"),
     Schema(json.dumps({"type": "object", "properties": {"x": {"$ref": "#/$defs/X"}},
                        "$defs": {"X": {"type": "object", "properties": {"a": INT}}}}), "JSON"),
     {"BACKWARD": False, "FORWARD": False, "FULL": False}),
    ("allOf member dropped (the product narrowed)",
     Schema(json.dumps({"allOf": [{"type": "string"}, {"maxLength": 5}]}), "JSON"),
     Schema(json.dumps({"type": "string"}), "JSON"), {"BACKWARD": True, "FORWARD": False, "FULL": False}),
]


@pytest.mark.parametrize("level", ["BACKWARD", "FORWARD", "FULL"])
@pytest.mark.parametrize(("name", "old", "new", "answers"), JSON_CASES, ids=[c[0] for c in JSON_CASES])
def test_json_schema_changes(client: SchemaRegistryClient, level: str, name: str, old: Schema, new: Schema,
                             answers: dict[str, bool]) -> None:
    assert _registers(client, level, old, new) is answers[level]


@pytest.mark.parametrize(("description", "original", "update", "compatible"), [
    # cases of Confluent's json-schema-provider diff-schema-examples.json (original → update, backward)
    ("Detect changes to type", {"type": "string"}, {"type": "integer"}, False),
    ("Detect removed enum", {"type": "string", "enum": ["red"]}, {"type": "string"}, True),
    ("Detect changes to pattern string schema", {"type": "string", "pattern": "a"}, {"type": "string",
                                                                                     "pattern": "b"}, False),
    ("Detect decreased maxProperties", {"type": "object", "maxProperties": 5}, {"type": "object",
                                                                                "maxProperties": 4}, False),
    ("Detect compatible change from anyOf to oneOf schema with more properties",
     {"type": "object", "properties": {"prop1": {"anyOf": [{"type": "string"}]}}},
     {"type": "object", "properties": {"prop1": {"oneOf": [{"type": "number"}, {"type": "string"}]}}}, True),
    ("Detect property removed from partially open content model",
     {"properties": {"foo": S, "I_123": INT}, "additionalProperties": False},
     {"properties": {"foo": S}, "additionalProperties": False, "patternProperties": {"^S_": S, "^I_": N}}, True),
])
def test_confluents_json_schema_diff_vectors(description: str, original: Any, update: Any, compatible: bool) -> None:
    assert (json_problem(json.dumps(update), json.dumps(original)) is None) is compatible, description


def test_a_409_names_the_change_and_none_lets_everything_through(client: SchemaRegistryClient) -> None:
    subject = f"s-{uuid.uuid4().hex[:10]}"
    client.register_schema(subject, obj({"a": S}))  # the default level, BACKWARD
    with pytest.raises(SchemaRegistryError) as refused:
        client.register_schema(subject, obj({"a": INT}))
    assert "TYPE_CHANGED" in refused.value.error_message and "#/properties/a" in refused.value.error_message
    client.set_compatibility(subject_name=subject, level="NONE")
    assert client.register_schema(subject, obj({"a": INT})) > 0


# ----------------------------------------------------------------------------- Protobuf

def proto(edit: Callable[[descriptor_pb2.FileDescriptorProto], None] | None = None,
          package: str = "com.example", syntax: str = "proto3") -> Schema:
    """`message Order {int64 id = 1; string name = 2; oneof pay {string card = 3; string iban = 4;}}`, edited."""
    file = descriptor_pb2.FileDescriptorProto(name="order.proto", package=package, syntax=syntax)
    message = file.message_type.add(name="Order")
    message.field.add(name="id", number=1, type=F.TYPE_INT64, label=F.LABEL_OPTIONAL)
    message.field.add(name="name", number=2, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    message.oneof_decl.add(name="pay")
    message.field.add(name="card", number=3, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL, oneof_index=0)
    message.field.add(name="iban", number=4, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL, oneof_index=0)
    if edit is not None:
        edit(file)
    return Schema(base64.b64encode(file.SerializeToString()).decode(), "PROTOBUF")


def _field(file: descriptor_pb2.FileDescriptorProto, name: str) -> Any:
    return next(f for f in file.message_type[0].field if f.name == name)


def _add_qty(file: descriptor_pb2.FileDescriptorProto) -> None:
    file.message_type[0].field.add(name="qty", number=5, type=F.TYPE_INT32, label=F.LABEL_OPTIONAL)


def _drop(name: str) -> Callable[[descriptor_pb2.FileDescriptorProto], None]:
    def edit(file: descriptor_pb2.FileDescriptorProto) -> None:
        file.message_type[0].field.remove(_field(file, name))
    return edit


def _retype(name: str, kind: int, type_name: str = "") -> Callable[[descriptor_pb2.FileDescriptorProto], None]:
    def edit(file: descriptor_pb2.FileDescriptorProto) -> None:
        _field(file, name).type = kind
        if type_name:
            _field(file, name).type_name = type_name
    return edit


def _rename_message(file: descriptor_pb2.FileDescriptorProto) -> None:
    file.message_type[0].name = "Purchase"


def _required_added(file: descriptor_pb2.FileDescriptorProto) -> None:
    file.message_type[0].field.add(name="qty", number=5, type=F.TYPE_INT32, label=F.LABEL_REQUIRED)


ALL_OK = {"BACKWARD": True, "FORWARD": True, "FULL": True}
NONE_OK = {"BACKWARD": False, "FORWARD": False, "FULL": False}
PROTOBUF_CASES: list[tuple[str, Schema, Schema, dict[str, bool]]] = [
    ("field added", proto(), proto(_add_qty), ALL_OK),
    ("field removed", proto(), proto(_drop("name")), ALL_OK),
    ("string to bytes", proto(), proto(_retype("name", F.TYPE_BYTES)), ALL_OK),
    ("int64 to int32 (same scalar group)", proto(), proto(_retype("id", F.TYPE_INT32)), ALL_OK),
    ("string to int32 (scalar kind changed)", proto(), proto(_retype("name", F.TYPE_INT32)), NONE_OK),
    ("int64 to sint64 (other scalar group)", proto(), proto(_retype("id", F.TYPE_SINT64)), NONE_OK),
    ("message renamed (removed)", proto(), proto(_rename_message), NONE_OK),
    ("package changed", proto(), proto(package="com.other"), NONE_OK),
    # read by the old schema, a member new data lacks is just never set (ONEOF_FIELD_ADDED the other way)
    ("oneof member removed", proto(), proto(_drop("iban")), {"BACKWARD": False, "FORWARD": True, "FULL": False}),
    ("proto2 required field added", proto(syntax="proto2"), proto(_required_added, syntax="proto2"), NONE_OK),
]


@pytest.mark.parametrize("level", ["BACKWARD", "FORWARD", "FULL"])
@pytest.mark.parametrize(("name", "old", "new", "answers"), PROTOBUF_CASES, ids=[c[0] for c in PROTOBUF_CASES])
def test_protobuf_changes(client: SchemaRegistryClient, level: str, name: str, old: Schema, new: Schema,
                          answers: dict[str, bool]) -> None:
    assert _registers(client, level, old, new) is answers[level]


def test_protobuf_transitive_levels_look_at_every_version(client: SchemaRegistryClient) -> None:
    subject = f"s-{uuid.uuid4().hex[:10]}"
    client.set_compatibility(subject_name=subject, level="BACKWARD_TRANSITIVE")
    client.register_schema(subject, proto())
    client.register_schema(subject, proto(_drop("name")))   # name (2) removed: compatible
    # tag 2 again, as an int32: compatible with v2, not with v1 where 2 was a string
    def reuse(file: descriptor_pb2.FileDescriptorProto) -> None:
        _drop("name")(file)
        file.message_type[0].field.add(name="count", number=2, type=F.TYPE_INT32, label=F.LABEL_OPTIONAL)
    with pytest.raises(SchemaRegistryError) as refused:
        client.register_schema(subject, proto(reuse))
    assert "FIELD_SCALAR_KIND_CHANGED" in refused.value.error_message
    client.set_compatibility(subject_name=subject, level="BACKWARD")
    assert client.register_schema(subject, proto(reuse)) > 0
