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

from pyconnect_flow.registry.compatibility import avro_self_contained, incompatibility
from pyconnect_flow.registry.proto_text import ProtoTextError, serialized

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
    references: tuple[Reference, ...] = ()


@dataclass(frozen=True)
class Reference:
    """A schema reference: the name the schema imports (a .proto file name, a JSON `$ref` URL, an Avro full
    name), resolved to a version of another subject."""

    name: str
    subject: str
    version: int

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "subject": self.subject, "version": self.version}


def references_of(body: Any) -> tuple[Reference, ...]:
    """The `references` of a request body or stored record, checked for shape (42201 when malformed)."""
    if not body:
        return ()
    if not isinstance(body, list):
        raise RegistryHttpError(422, 42201, "Invalid schema: references must be a list")
    out = []
    for ref in body:
        try:
            out.append(Reference(str(ref["name"]), str(ref["subject"]), int(ref["version"])))
        except (KeyError, TypeError, ValueError):
            raise RegistryHttpError(422, 42201, f"Invalid schema: bad reference {ref!r} (name, subject and "
                                    "version are needed)") from None
    return tuple(out)


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
    refs: dict[int, tuple[Reference, ...]] = field(default_factory=dict)
    subject_compatibility: dict[str, str] = field(default_factory=dict)
    max_id: int = 0
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
        elif k.get("keytype") == "SCHEMA" and value is None:  # a permanently deleted version
            self._forget(k.get("subject", ""), k.get("version"))
        elif k.get("keytype") == "SCHEMA" and value is not None:
            v = json.loads(value)
            self._add(SchemaVersion(v["subject"], v["version"], v["id"], v["schema"], v.get("schemaType", "AVRO"),
                                    v.get("deleted", False), references_of(v.get("references"))))

    def _add(self, version: SchemaVersion) -> None:
        versions = self.subjects.setdefault(version.subject, [])
        versions[:] = [v for v in versions if v.version != version.version] + [version]
        versions.sort(key=lambda v: v.version)
        self.by_id[version.schema_id] = version.schema
        self.max_id = max(self.max_id, version.schema_id)
        self.types[version.schema_id] = version.schema_type
        self.refs[version.schema_id] = version.references
        self.ids.setdefault(_id_key(version.schema, version.schema_type, version.references), version.schema_id)

    def _forget(self, subject: str, number: Any) -> None:
        """Drop a version from its subject, and its schema id when no other version has it (ids are not given
        twice while the registry runs)."""
        gone = [v for v in self.subjects.get(subject, []) if v.version == number]
        remaining = [v for v in self.subjects.get(subject, []) if v.version != number]
        if remaining:
            self.subjects[subject] = remaining
        else:
            self.subjects.pop(subject, None)
        for old in gone:
            if not any(v.schema_id == old.schema_id for versions in self.subjects.values() for v in versions):
                self.by_id.pop(old.schema_id, None)
                self.types.pop(old.schema_id, None)
                self.refs.pop(old.schema_id, None)
                self.ids.pop(_id_key(old.schema, old.schema_type, old.references), None)

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

    def versions(self, subject: str, deleted: bool = False) -> list[SchemaVersion]:
        """The subject's versions (`deleted`: soft-deleted ones too, as `?deleted=true` asks)."""
        versions = list(self.subjects.get(subject, [])) if deleted else self.live(subject)
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

    def lookup(self, subject: str, schema: str, schema_type: str = "AVRO",
               references: tuple[Reference, ...] = ()) -> SchemaVersion:
        versions = self.versions(subject)
        wanted = canonical(schema)
        for v in versions:
            if canonical(v.schema) == wanted and v.schema_type == schema_type and v.references == references:
                return v
        raise RegistryHttpError(404, 40403, "Schema not found")

    def resolve(self, references: tuple[Reference, ...]) -> dict[str, SchemaVersion]:
        """Every schema `references` name, transitively (name → version); 42201 for one that is not registered."""
        found: dict[str, SchemaVersion] = {}
        pending = list(references)
        while pending:
            ref = pending.pop()
            if ref.name in found:
                continue
            try:
                target = self.version(ref.subject, str(ref.version))
            except RegistryHttpError:
                raise RegistryHttpError(422, 42201, "Invalid schema: the reference "
                                        f"{ref.name!r} to subject {ref.subject!r} version {ref.version} "
                                        "is not registered") from None
            found[ref.name] = target
            pending.extend(target.references)
        return found

    def referenced_by(self, subject: str, version: str) -> list[int]:
        """Ids of the schemas that reference `subject`'s `version` (GET …/versions/{v}/referencedby)."""
        target = self.version(subject, version)
        return sorted({v.schema_id for s in self.subjects for v in self.live(s)
                       if any(r.subject == subject and r.version == target.version for r in v.references)})

    def schema(self, schema_id: int) -> str:
        text = self.by_id.get(schema_id)
        if text is None:
            raise RegistryHttpError(404, 40403, "Schema not found")
        return text

    def level(self, subject: str | None) -> str:
        return self.subject_compatibility.get(subject or "", self.compatibility) if subject else self.compatibility

    def register(self, subject: str, schema: str, schema_type: str = "AVRO",
                 references: tuple[Reference, ...] = ()) -> int:
        """The id of `schema` under `subject`: its id if registered already, else a new version.

        Every reference must name a registered subject version (42201 otherwise).
        """
        # An Avro schema with references is parsed once they are resolved (its named types are theirs).
        _check_schema(schema, schema_type, parse_avro=not references)
        with self._lock:
            try:
                return self.lookup(subject, schema, schema_type, references).schema_id
            except RegistryHttpError:
                pass
            resolved = self.resolve(references)
            if schema_type == "AVRO" and references:
                _check_schema(avro_self_contained(schema, resolved), schema_type)
            if schema_type == "PROTOBUF":
                try:  # .proto text must compile, with its references, as Confluent's registry parses it
                    serialized(schema, {name: v.schema for name, v in resolved.items()})
                except ProtoTextError as exc:
                    raise RegistryHttpError(422, 42201, "Either the input schema or one of its references is "
                                            f"invalid: {exc}") from None
            live = self.live(subject)
            problem = incompatibility(self.level(subject), schema, live, schema_type, resolved, self.resolve)
            if problem:
                raise RegistryHttpError(409, 409, "Schema being registered is incompatible with an earlier "
                                        f"schema for subject \"{subject}\", details: [{problem}]")
            schema_id = self.ids.get(_id_key(schema, schema_type, references)) or self.max_id + 1
            number = max((v.version for v in self.subjects.get(subject, [])), default=0) + 1
            version = SchemaVersion(subject, number, schema_id, schema, schema_type, references=references)
            self._write(_schema_key(version), _schema_value(version))
            self._add(version)
            return schema_id

    def delete_version(self, subject: str, version: str, permanent: bool = False) -> int:
        """Delete one version of `subject` (Confluent's `DELETE /subjects/{s}/versions/{v}`), its number returned.

        A soft delete hides the version (its id still gives its schema); `permanent` then removes it, and only
        then (40407 before, 40406 for soft-deleting it twice). A version other schemas reference stays (42206).
        """
        with self._lock:
            everything = self.subjects.get(subject, [])
            if not everything:
                raise RegistryHttpError(404, 40401, f"Subject '{subject}' not found.")
            if permanent and version not in ("latest", "-1"):
                target = next((v for v in everything if str(v.version) == version), None)
                if target is None:
                    self.version(subject, version)  # 42202 for a malformed version, else 40402
                    raise RegistryHttpError(404, 40402, f"Version {version} not found.")
            else:
                target = next((v for v in everything if str(v.version) == version and v.deleted), None)
                if target is None:
                    target = self.version(subject, version)
            if target.deleted and not permanent:
                raise RegistryHttpError(404, 40406, f"Subject '{subject}' Version {target.version} was soft "
                                        "deleted. Set permanent=true to delete permanently")
            if permanent and not target.deleted:
                raise RegistryHttpError(404, 40407, f"Subject '{subject}' Version {target.version} was not deleted "
                                        "first before being permanently deleted")
            if not permanent and self.referenced_by(subject, str(target.version)):
                raise RegistryHttpError(422, 42206, "One or more references exist to the schema "
                                        f"{{subject={subject},version={target.version}}}.")
            self._delete(target, permanent)
            return target.version

    def delete_subject(self, subject: str, permanent: bool = False) -> list[int]:
        """Delete every version of `subject` (Confluent's `DELETE /subjects/{s}`), their numbers returned; as
        for versions, a permanent delete needs a soft one first (40405), and a soft one is done once (40404)."""
        with self._lock:
            everything = list(self.subjects.get(subject, []))
            if not everything:
                raise RegistryHttpError(404, 40401, f"Subject '{subject}' not found.")
            live = [v for v in everything if not v.deleted]
            if permanent and live:
                raise RegistryHttpError(404, 40405, f"Subject '{subject}' was not deleted first before being "
                                        "permanently deleted")
            if not permanent and not live:
                raise RegistryHttpError(404, 40404, f"Subject '{subject}' was soft deleted.Set permanent=true to "
                                        "delete permanently")
            doomed = everything if permanent else live
            for v in doomed:
                self._delete(v, permanent)
            return [v.version for v in doomed]

    def _delete(self, target: SchemaVersion, permanent: bool) -> None:
        if permanent:
            self._write(_schema_key(target), None)
            self._forget(target.subject, target.version)
        else:
            self._write(_schema_key(target), {**_schema_value(target), "deleted": True})
            target.deleted = True

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


def _schema_key(version: SchemaVersion) -> dict[str, Any]:
    """The `_schemas` record key of a subject version, as Confluent writes it."""
    return {"keytype": "SCHEMA", "subject": version.subject, "version": version.version, "magic": 1}


def _schema_value(version: SchemaVersion) -> dict[str, Any]:
    """The `_schemas` record value of a subject version, as Confluent writes it."""
    value: dict[str, Any] = {"subject": version.subject, "version": version.version, "id": version.schema_id,
                             "schema": version.schema, "deleted": version.deleted}
    if version.schema_type != "AVRO":
        value["schemaType"] = version.schema_type
    if version.references:
        value["references"] = [r.as_json() for r in version.references]
    return value


def _id_key(schema: str, schema_type: str, references: tuple[Reference, ...] = ()) -> str:
    """What makes two registrations one id: the canonical text, the type unless AVRO (ids kept from before), and
    the references."""
    key = canonical(schema) if schema_type == "AVRO" else f"{schema_type}:{canonical(schema)}"
    return key + "|" + json.dumps([r.as_json() for r in references]) if references else key


def _check_schema(schema: str, schema_type: str, parse_avro: bool = True) -> None:
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
    if not parse_avro:
        return
    try:
        import fastavro

        fastavro.parse_schema(json.loads(schema))
    except Exception as exc:
        raise RegistryHttpError(422, 42201, f"Either the input schema or one of its references is invalid: {exc}") \
            from None


__all__ = ["COMPATIBILITY_LEVELS", "RegistryHttpError", "SchemaStore", "SchemaVersion", "canonical"]
