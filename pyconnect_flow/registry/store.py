"""The registry's state: subjects, versions, ids and compatibility levels, kept in a Kafka topic.

As Confluent's Schema Registry, every change is a record of a compacted topic (`_schemas`) whose key
says what it is about::

    {"keytype":"SCHEMA","subject":"orders-value","version":1,"magic":1}
      → {"subject":"orders-value","version":1,"id":1,"schema":"...","deleted":false}
    {"keytype":"CONFIG","subject":null,"magic":0} → {"compatibilityLevel":"BACKWARD"}

A registry that starts reads the topic to its end, so ids survive restarts. Without a Kafka
(`bootstrap_servers=None`) the store lives in memory only, which tests use.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

COMPATIBILITY_LEVELS = ("NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL",
                        "FULL_TRANSITIVE")


class RegistryHttpError(Exception):
    """An error answer: HTTP status, Confluent's `error_code` and message."""

    def __init__(self, status: int, error_code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = message


@dataclass
class SchemaVersion:
    """One version of a subject."""

    subject: str
    version: int
    schema_id: int
    schema: str
    schema_type: str = "AVRO"
    deleted: bool = False


def canonical(schema: str) -> str:
    """The form two schema texts are compared in: parsed, then written compactly with sorted keys."""
    try:
        return json.dumps(json.loads(schema), sort_keys=True, separators=(",", ":"))
    except ValueError:
        return schema


@dataclass
class SchemaStore:
    """Subjects and ids in memory, each change also written to the `_schemas` topic when there is one."""

    bootstrap_servers: str | None = None
    topic: str = "_schemas"
    compatibility: str = "BACKWARD"
    subjects: dict[str, list[SchemaVersion]] = field(default_factory=dict)
    by_id: dict[int, str] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)
    types: dict[int, str] = field(default_factory=dict)
    subject_compatibility: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _producer: Any = field(default=None, repr=False)

    # ------------------------------------------------------------------ the topic

    def start(self) -> None:
        """Create the topic if needed and read it to its end (nothing without Kafka)."""
        if self.bootstrap_servers is None:
            return
        from confluent_kafka import Consumer, Producer, TopicPartition
        from confluent_kafka.admin import AdminClient, NewTopic

        admin = AdminClient({"bootstrap.servers": self.bootstrap_servers})
        if self.topic not in admin.list_topics(timeout=30).topics:
            future = admin.create_topics([NewTopic(self.topic, 1, 1, config={"cleanup.policy": "compact"})])
            try:
                future[self.topic].result(30)
            except Exception as exc:  # another registry created it first: fine
                if "TOPIC_ALREADY_EXISTS" not in str(exc):
                    raise
        consumer = Consumer({"bootstrap.servers": self.bootstrap_servers, "group.id": "schema-registry",
                             "enable.auto.commit": False, "auto.offset.reset": "earliest"})
        try:
            partition = TopicPartition(self.topic, 0)
            low, high = consumer.get_watermark_offsets(partition, timeout=30)
            consumer.assign([TopicPartition(self.topic, 0, low)])
            position = low
            while position < high:
                message = consumer.poll(5.0)
                if message is None:
                    continue
                if message.error():
                    raise RuntimeError(f"reading {self.topic}: {message.error()}")
                position = (message.offset() or 0) + 1
                self._apply(message.key(), message.value())
        finally:
            consumer.close()
        self._producer = Producer({"bootstrap.servers": self.bootstrap_servers, "acks": "all",
                                   "enable.idempotence": True})

    def close(self) -> None:
        if self._producer is not None:
            self._producer.flush(30)

    def _apply(self, key: bytes | None, value: bytes | None) -> None:
        if key is None:
            return
        k = json.loads(key)
        if k.get("keytype") == "CONFIG":
            if value is None:
                self.subject_compatibility.pop(k.get("subject"), None)
                return
            level = json.loads(value)["compatibilityLevel"]
            if k.get("subject") is None:
                self.compatibility = level
            else:
                self.subject_compatibility[k["subject"]] = level
        elif k.get("keytype") == "SCHEMA" and value is not None:
            v = json.loads(value)
            self._add(SchemaVersion(v["subject"], v["version"], v["id"], v["schema"], v.get("schemaType", "AVRO"),
                                    v.get("deleted", False)))

    def _add(self, version: SchemaVersion) -> None:
        versions = self.subjects.setdefault(version.subject, [])
        versions[:] = [v for v in versions if v.version != version.version] + [version]
        versions.sort(key=lambda v: v.version)
        self.by_id[version.schema_id] = version.schema
        self.types[version.schema_id] = version.schema_type
        self.ids.setdefault(_id_key(version.schema, version.schema_type), version.schema_id)

    def _write(self, key: dict[str, Any], value: dict[str, Any] | None) -> None:
        if self._producer is None:
            return
        errors: list[Any] = []
        self._producer.produce(self.topic, key=json.dumps(key, separators=(",", ":")).encode(),
                               value=None if value is None else json.dumps(value, separators=(",", ":")).encode(),
                               on_delivery=lambda err, _msg: errors.append(err) if err else None)
        self._producer.flush(30)
        if errors:
            raise RegistryHttpError(500, 50001, f"Error while storing the schema: {errors[0]}")

    # ------------------------------------------------------------------ operations

    def live(self, subject: str) -> list[SchemaVersion]:
        return [v for v in self.subjects.get(subject, []) if not v.deleted]

    def versions(self, subject: str) -> list[SchemaVersion]:
        versions = self.live(subject)
        if not versions:
            raise RegistryHttpError(404, 40401, f"Subject '{subject}' not found.")
        return versions

    def version(self, subject: str, version: str) -> SchemaVersion:
        versions = self.versions(subject)
        if version in ("latest", "-1"):
            return versions[-1]
        try:
            number = int(version)
        except ValueError:
            raise RegistryHttpError(422, 42202, f"The specified version '{version}' is not a valid version id. "
                                    "Allowed values are between [1, 2^31-1] and the string \"latest\"") from None
        for v in versions:
            if v.version == number:
                return v
        raise RegistryHttpError(404, 40402, f"Version {number} not found.")

    def lookup(self, subject: str, schema: str, schema_type: str = "AVRO") -> SchemaVersion:
        versions = self.versions(subject)
        wanted = canonical(schema)
        for v in versions:
            if canonical(v.schema) == wanted and v.schema_type == schema_type:
                return v
        raise RegistryHttpError(404, 40403, "Schema not found")

    def schema(self, schema_id: int) -> str:
        text = self.by_id.get(schema_id)
        if text is None:
            raise RegistryHttpError(404, 40403, "Schema not found")
        return text

    def level(self, subject: str | None) -> str:
        return self.subject_compatibility.get(subject or "", self.compatibility) if subject else self.compatibility

    def register(self, subject: str, schema: str, schema_type: str = "AVRO") -> int:
        """The id of `schema` under `subject`: its id if registered already, else a new version."""
        _check_schema(schema, schema_type)
        with self._lock:
            try:
                return self.lookup(subject, schema, schema_type).schema_id
            except RegistryHttpError:
                pass
            live = self.live(subject)
            problem = _incompatibility(self.level(subject), schema, live, schema_type)
            if problem:
                raise RegistryHttpError(409, 409, "Schema being registered is incompatible with an earlier "
                                        f"schema for subject \"{subject}\", details: [{problem}]")
            schema_id = self.ids.get(_id_key(schema, schema_type)) or max(self.by_id, default=0) + 1
            number = max((v.version for v in self.subjects.get(subject, [])), default=0) + 1
            version = SchemaVersion(subject, number, schema_id, schema, schema_type)
            value: dict[str, Any] = {"subject": subject, "version": number, "id": schema_id, "schema": schema,
                                     "deleted": False}
            if schema_type != "AVRO":
                value["schemaType"] = schema_type
            self._write({"keytype": "SCHEMA", "subject": subject, "version": number, "magic": 1}, value)
            self._add(version)
            return schema_id

    def set_level(self, subject: str | None, level: str) -> None:
        if level not in COMPATIBILITY_LEVELS:
            raise RegistryHttpError(422, 42203, "Invalid compatibility level. Valid values are none, backward, "
                                    "forward, full, backward_transitive, forward_transitive, and full_transitive")
        with self._lock:
            self._write({"keytype": "CONFIG", "subject": subject, "magic": 0}, {"compatibilityLevel": level})
            if subject is None:
                self.compatibility = level
            else:
                self.subject_compatibility[subject] = level


def _id_key(schema: str, schema_type: str) -> str:
    """What makes two registrations one id: the canonical text, and the type unless AVRO (ids kept from before)."""
    return canonical(schema) if schema_type == "AVRO" else f"{schema_type}:{canonical(schema)}"


def _check_schema(schema: str, schema_type: str) -> None:
    if schema_type not in ("AVRO", "JSON", "PROTOBUF"):
        raise RegistryHttpError(422, 42201, f"Invalid schema type {schema_type}")
    if schema_type == "PROTOBUF":
        if not schema.strip():
            raise RegistryHttpError(422, 42201, "Either the input schema or one of its references is invalid: "
                                    "empty Protobuf schema")
        return
    if schema_type == "JSON":
        try:
            document = json.loads(schema)
        except ValueError as exc:
            raise RegistryHttpError(422, 42201, "Either the input schema or one of its references is invalid: "
                                    f"{exc}") from None
        if not isinstance(document, (dict, bool)):
            raise RegistryHttpError(422, 42201, "Either the input schema or one of its references is invalid: "
                                    "a JSON Schema is an object or a boolean")
        return
    try:
        import fastavro

        fastavro.parse_schema(json.loads(schema))
    except Exception as exc:
        raise RegistryHttpError(422, 42201, f"Either the input schema or one of its references is invalid: {exc}") \
            from None


def _fields(schema: Any) -> dict[str, dict[str, Any]] | None:
    if isinstance(schema, dict) and schema.get("type") == "record":
        return {f["name"]: f for f in schema.get("fields", [])}
    return None


def _can_read(reader: str, writer: str) -> str | None:
    """Why `reader` cannot read data written with `writer`, or None (records: top-level fields; unions; kinds)."""
    return _readable(json.loads(reader), json.loads(writer))


def _readable(r: Any, w: Any) -> str | None:
    if isinstance(w, list):
        for branch in w:
            problem = _readable(r, branch)
            if problem:
                return problem
        return None
    if isinstance(r, list):
        if any(_readable(branch, w) is None for branch in r):
            return None
        return f"reader union lacks writer type {_kind(w)}"
    rf, wf = _fields(r), _fields(w)
    if rf is not None and wf is not None:
        for name, f in rf.items():
            if name not in wf and "default" not in f:
                return f"{{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field '{name}' at " \
                       f"path '/fields/{name}' in the new schema has no default value and is missing in the old schema'}}"
        return None
    promotions = {"int": {"long", "float", "double"}, "long": {"float", "double"}, "float": {"double"},
                  "string": {"bytes"}, "bytes": {"string"}}
    if _kind(r) == _kind(w) or _kind(r) in promotions.get(_kind(w), set()):
        return None
    return f"reader type {_kind(r)} cannot read writer type {_kind(w)}"


def _kind(schema: Any) -> str:
    if isinstance(schema, dict):
        return _kind(schema.get("type"))
    if isinstance(schema, list):
        return "union"
    return str(schema)


def _json_problem(reader: str, writer: str) -> str | None:
    """Why data valid under JSON Schema `writer` may fail `reader`: a changed top-level type, or a property the
    reader requires that the writer neither declares nor requires (Confluent's checks go much further)."""
    r, w = json.loads(reader), json.loads(writer)
    if not (isinstance(r, dict) and isinstance(w, dict)):
        return None
    if r.get("type") != w.get("type"):
        return f"{{errorType:'TYPE_CHANGED', description:'type {w.get('type')} changed to {r.get('type')}'}}"
    added = set(r.get("required") or ()) - set(w.get("required") or ())
    if added:
        return f"{{errorType:'REQUIRED_ATTRIBUTE_ADDED', description:'required properties {sorted(added)} added'}}"
    return None


def _incompatibility(level: str, schema: str, existing: list[SchemaVersion], schema_type: str = "AVRO") -> str | None:
    if level == "NONE" or not existing:
        return None
    olds = existing if level.endswith("TRANSITIVE") else existing[-1:]
    if schema_type != "AVRO":
        for old in olds:
            if old.schema_type != schema_type:
                return f"{{errorType:'TYPE_CHANGED', description:'schema type {old.schema_type} changed to " \
                       f"{schema_type}'}}"
            if schema_type == "JSON":
                back = _json_problem(schema, old.schema) if level.startswith(("BACKWARD", "FULL")) else None
                fwd = _json_problem(old.schema, schema) if level.startswith(("FORWARD", "FULL")) else None
                if back or fwd:
                    return back or fwd
        return None
    for old in olds:
        if level.startswith(("BACKWARD", "FULL")):
            problem = _can_read(schema, old.schema)
            if problem:
                return problem
        if level.startswith(("FORWARD", "FULL")):
            problem = _can_read(old.schema, schema)
            if problem:
                return problem
    return None


__all__ = ["COMPATIBILITY_LEVELS", "RegistryHttpError", "SchemaStore", "SchemaVersion", "canonical"]
