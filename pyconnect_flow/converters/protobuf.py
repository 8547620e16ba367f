"""`ProtobufConverter`: Confluent's `io.confluent.connect.protobuf.ProtobufConverter`, with a Schema Registry.

Bytes are Confluent's wire format: magic byte 0, the schema id as 4 big-endian bytes, the message
indexes (the path of the message type in its file: a zig-zag varint count then zig-zag varint indexes,
or the single byte 0 for the first top-level message), then the Protobuf binary of the message.
Schemas are registered with `schemaType: PROTOBUF` as a base64 `FileDescriptorProto` (as confluent-kafka's
ProtobufSerializer registers them; Confluent's registry accepts it) and read with `?format=serialized`;
they map as Confluent's ProtobufData maps them with its defaults (`protobuf_data.py`)::

    c = ProtobufConverter()
    c.configure({"schema.registry.url": "http://localhost:8081"}, is_key=False)
    data = c.from_connect("orders", schema, struct)   # b"\\x00\\x00\\x00\\x00\\x01\\x00\\x08\\x01..."
    c.to_connect("orders", data)                      # (Connect schema, struct)

Needs the `protobuf` package. One registry request per schema and subject, and one per schema id; message
classes and value converters are built once per schema.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from pyconnect_flow.config.definition import ConfigDef, ConfigKey, ConfigType
from pyconnect_flow.converters.avro import AvroConverter
from pyconnect_flow.converters.base import SchemaAndValue
from pyconnect_flow.converters.registry_converter import RegistryConverter
from pyconnect_flow.converters.schema_registry import RegistryError, client_from_settings, subject_name_strategy
from pyconnect_flow.data.exceptions import DataException
from pyconnect_flow.data.schema import Schema

MAGIC_BYTE = 0
SCHEMA_TYPE = "PROTOBUF"

_SHARED = ("converter.type", "schema.registry.url", "auto.register.schemas", "use.latest.version",
           "key.subject.name.strategy", "value.subject.name.strategy", "basic.auth.credentials.source",
           "basic.auth.user.info", "max.schemas.per.subject", "schemas.cache.config")


def _zigzag(n: int) -> bytes:
    z = (n << 1) ^ (n >> 63)
    out = bytearray()
    while True:
        byte = z & 0x7F
        z >>= 7
        if z:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def encode_message_indexes(indexes: Sequence[int]) -> bytes:
    """Confluent's message-index prefix: `[0]` is the single byte 0, else count and indexes as zig-zag varints."""
    if list(indexes) == [0]:
        return b"\x00"
    return _zigzag(len(indexes)) + b"".join(_zigzag(i) for i in indexes)


def _read_zigzag(data: bytes | memoryview, pos: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise DataException("Invalid message indexes: truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return (result >> 1) ^ -(result & 1), pos
        shift += 7


def decode_message_indexes(data: bytes | memoryview, pos: int) -> tuple[list[int], int]:
    """The message indexes at `pos` and where the message starts."""
    count, pos = _read_zigzag(data, pos)
    if count == 0:
        return [0], pos
    if count < 0 or count > 1000:
        raise DataException(f"Invalid message indexes: count {count}")
    indexes = []
    for _ in range(count):
        index, pos = _read_zigzag(data, pos)
        indexes.append(index)
    return indexes, pos


BUILTIN_IMPORTS = ("confluent/", "google/protobuf/", "google/type/")
"""Imports every pool has (confluent-kafka's `_is_builtin`): never fetched as references."""


def _parse_file(text: str, what: str) -> Any:
    from google.protobuf import descriptor_pb2

    file = descriptor_pb2.FileDescriptorProto()
    try:
        file.ParseFromString(base64.standard_b64decode(text))
    except Exception as exc:  # protobuf's DecodeError and binascii's Error
        raise DataException(f"{what} is not a serialized Protobuf schema: {exc}") from None
    return file


def descriptor_pb2_of(file_descriptor: Any) -> Any:
    """The FileDescriptorProto of a FileDescriptor."""
    from google.protobuf import descriptor_pb2

    file = descriptor_pb2.FileDescriptorProto()
    file_descriptor.CopyToProto(file)
    return file


def message_indexes_of(file: Any, full_name: str) -> list[int] | None:
    """The path of message `full_name` in `file` (Confluent's `toMessageIndexes`), or None."""
    prefix = file.package + "." if file.package else ""
    if not full_name.startswith(prefix):
        return None
    parts = full_name[len(prefix):].split(".")
    indexes: list[int] = []
    messages = list(file.message_type)
    for part in parts:
        names = [m.name for m in messages]
        if part not in names:
            return None
        indexes.append(names.index(part))
        messages = list(messages[indexes[-1]].nested_type)
    return indexes


class _Writer:
    __slots__ = ("text", "full_name", "indexes", "convert", "ids")

    def __init__(self, text: str, full_name: str, indexes: bytes, convert: Any) -> None:
        self.text = text
        self.full_name = full_name
        self.indexes = indexes
        self.convert = convert
        self.ids: dict[str, bytes] = {}


class _Reader:
    __slots__ = ("schema", "message_class", "convert")

    def __init__(self, schema: Schema, message_class: Any, convert: Any) -> None:
        self.schema = schema
        self.message_class = message_class
        self.convert = convert


class ProtobufConverter(RegistryConverter):
    """Confluent's ProtobufConverter: Connect structs ⇄ Protobuf in Confluent's wire format, schemas in a registry.

    The registry keys are the Avro converter's (`schema.registry.url`, `auto.register.schemas`,
    `use.latest.version`, subject name strategies — the message's full name is the record name —, `basic.auth.*`).
    ProtobufData's options are at Confluent's defaults (no wrappers, no `optional` labels, oneofs as
    `io.confluent.connect.protobuf.Union` structs both ways). Schemas with `references` (imports registered as
    subjects of their own) are resolved through the registry, transitively, once per schema id.
    """

    CONFIG: ClassVar[ConfigDef] = ConfigDef([
        *(AvroConverter.CONFIG[name] for name in _SHARED),
        ConfigKey("enhanced.protobuf.schema.support", ConfigType.BOOLEAN, False,
                  "Name Connect schemas of messages, enums and oneofs by their full names, package included."),
        ConfigKey("scrub.invalid.names", ConfigType.BOOLEAN, False,
                  "Whether to scrub invalid names by replacing invalid characters with valid characters"),
    ])

    def __init__(self) -> None:
        self._settings: dict[str, Any] = {}
        self.is_key = False

    def configure(self, config: Mapping[str, Any], is_key: bool) -> None:
        """Check every key (ConfigException naming each bad one) and set up the registry client."""
        super().configure(config, is_key)
        values = self._checked(config)
        self.auto_register: bool = values["auto.register.schemas"]
        self.use_latest: bool = values["use.latest.version"]
        self.enhanced: bool = values["enhanced.protobuf.schema.support"]
        self.scrub: bool = values["scrub.invalid.names"]
        self.subject_name = subject_name_strategy(
            values["key.subject.name.strategy" if is_key else "value.subject.name.strategy"])
        self.client = client_from_settings(values, type(self).__name__)
        self._cache_size = max(1, values["schemas.cache.config"])
        self._writers: dict[Schema, _Writer] = {}
        self._readers: dict[tuple[int, str, tuple[int, ...]], _Reader] = {}

    # ------------------------------------------------------------------ writing

    def _writer(self, schema: Schema) -> _Writer:
        writer = self._writers.get(schema)
        if writer is None:
            from google.protobuf import message_factory

            from pyconnect_flow.converters.protobuf_data import from_connect_schema, new_pool, value_to_message

            file, full_name = from_connect_schema(schema, self.scrub)
            pool = new_pool()
            pool.Add(file)
            message_class = message_factory.GetMessageClass(pool.FindMessageTypeByName(full_name))
            text = base64.standard_b64encode(file.SerializeToString()).decode("ascii")
            top = [m.name for m in file.message_type].index(full_name.rsplit(".", 1)[-1])
            writer = _Writer(text, full_name, encode_message_indexes([top]), value_to_message(schema, message_class))
            if len(self._writers) >= self._cache_size:
                del self._writers[next(iter(self._writers))]
            self._writers[schema] = writer
        return writer

    def _prefix(self, topic: str, writer: _Writer) -> bytes:
        subject = self.subject_name(topic, self.is_key, writer.full_name)
        prefix = writer.ids.get(subject)
        if prefix is not None:
            return prefix
        try:
            if self.use_latest:
                latest = self.client.latest(subject)
                schema_id = latest.schema_id
                text = self.client.schema_by_id(schema_id, serialized=True)
                file = descriptor_pb2_of(self._file(topic, text, self.client.references(schema_id, serialized=True),
                                                    f"Latest schema of subject {subject}"))
                indexes = message_indexes_of(file, writer.full_name)
                if indexes is None:
                    raise DataException(f"Failed to serialize Protobuf data from topic {topic}: the latest schema "
                                        f"of subject {subject} has no message {writer.full_name}")
                prefix = bytes((MAGIC_BYTE,)) + schema_id.to_bytes(4, "big") + encode_message_indexes(indexes)
                writer.ids[subject] = prefix
                return prefix
            elif self.auto_register:
                schema_id = self.client.register(subject, writer.text, SCHEMA_TYPE)
            else:
                schema_id = self.client.lookup(subject, writer.text, SCHEMA_TYPE).schema_id
        except RegistryError as exc:
            raise DataException(f"Failed to serialize Protobuf data from topic {topic}: {exc}") from None
        prefix = bytes((MAGIC_BYTE,)) + schema_id.to_bytes(4, "big") + writer.indexes
        writer.ids[subject] = prefix
        return prefix

    def from_connect_values(self, topic: str, schema: Schema | None, values: Sequence[Any]) -> list[bytes | None]:
        """Serialize many values of one schema: one schema lookup for the batch."""
        if schema is None:
            if all(v is None for v in values):
                return [None] * len(values)
            raise DataException(f"Failed to serialize Protobuf data from topic {topic}: ProtobufConverter needs "
                                "a schema")
        writer = self._writer(schema)
        prefix: bytes | None = None
        out: list[bytes | None] = []
        for value in values:
            if value is None:
                out.append(None)
                continue
            try:
                message = writer.convert(value)
            except DataException as exc:
                raise DataException(f"Failed to serialize Protobuf data from topic {topic}: {exc}") from exc
            if prefix is None:
                prefix = self._prefix(topic, writer)
            out.append(prefix + message.SerializeToString())
        return out

    # ------------------------------------------------------------------ reading

    def _schema_text(self, topic: str, schema_id: int) -> str:
        """The serialized schema of an id (asked once): DataException for an id the registry does not know."""
        try:
            return self.client.schema_by_id(schema_id, serialized=True)
        except RegistryError as exc:
            raise DataException(f"Failed to deserialize data for topic {topic} to Protobuf: Error retrieving "
                                f"Protobuf schema for id {schema_id}: {exc}") from None

    def _file(self, topic: str, text: str, references: Sequence[Mapping[str, Any]], what: str) -> Any:
        """The FileDescriptor of a serialized schema, in a pool with the files its references name (fetched
        from the registry, transitively, each under its reference name) and the well-known ones."""
        from pyconnect_flow.converters.protobuf_data import new_pool

        pool = new_pool()
        try:
            self._add_references(pool, references, set())
        except RegistryError as exc:
            raise DataException(f"{what}: Error retrieving a schema reference: {exc}") from None
        file = _parse_file(text, what)
        try:
            return pool.Add(file)
        except (TypeError, KeyError) as exc:
            raise DataException(f"{what}: cannot build its descriptor (an import without a reference?): "
                                f"{exc}") from None

    def _add_references(self, pool: Any, references: Sequence[Mapping[str, Any]], seen: set[str]) -> None:
        for ref in references:
            name = str(ref["name"])
            if name in seen or name.startswith(BUILTIN_IMPORTS):
                continue
            seen.add(name)
            text, nested = self.client.subject_version(str(ref["subject"]), int(ref["version"]), serialized=True)
            self._add_references(pool, nested, seen)
            file = _parse_file(text, f"Reference {name} (subject {ref['subject']} version {ref['version']})")
            file.name = name
            pool.Add(file)

    def _reader(self, topic: str, schema_id: int, indexes: list[int]) -> _Reader:
        key = (schema_id, topic, tuple(indexes))
        reader = self._readers.get(key)
        if reader is not None:
            return reader
        from google.protobuf import message_factory

        from pyconnect_flow.converters.protobuf_data import message_to_value, to_connect_schema

        text = self._schema_text(topic, schema_id)
        references = self.client.references(schema_id, serialized=True)
        file_descriptor = self._file(topic, text, references, f"Schema id {schema_id}")
        file = descriptor_pb2_of(file_descriptor)
        try:
            message_type = file_descriptor.message_types_by_name[file.message_type[indexes[0]].name]
            for i in indexes[1:]:
                message_type = message_type.nested_types[i]
        except IndexError:
            raise DataException(f"Invalid message indexes {indexes} for schema id {schema_id}") from None
        version = None
        try:
            subject = self.subject_name(topic, self.is_key, message_type.full_name)
            version = self.client.lookup(subject, text, SCHEMA_TYPE, references).version
        except DataException:
            pass  # written under another subject: the schema comes without a registry version
        schema = to_connect_schema(message_type, version, self.enhanced)
        reader = _Reader(schema, message_factory.GetMessageClass(message_type), message_to_value(schema, message_type))
        if len(self._readers) >= self._cache_size:
            del self._readers[next(iter(self._readers))]
        self._readers[key] = reader
        return reader

    def to_connect(self, topic: str, data: bytes | None) -> SchemaAndValue:
        """Deserialize one value (Confluent's `toConnectData`); (None, None) for null bytes."""
        return self.to_connect_batch(topic, [data])[0]

    def to_connect_batch(self, topic: str | Sequence[str], datas: Sequence[bytes | None]) -> list[SchemaAndValue]:
        """Deserialize many values: one schema lookup per distinct (schema id, topic, message indexes)."""
        from google.protobuf.message import DecodeError

        topics = [topic] * len(datas) if isinstance(topic, str) else list(topic)
        out: list[SchemaAndValue] = []
        for t, data in zip(topics, datas):
            if data is None:
                out.append((None, None))
                continue
            if len(data) < 6 or data[0] != MAGIC_BYTE:
                raise DataException(f"Failed to deserialize data for topic {t} to Protobuf: Unknown magic byte!")
            schema_id = int.from_bytes(data[1:5], "big")
            self._schema_text(t, schema_id)  # an unknown id is reported before the indexes are read
            try:
                indexes, start = decode_message_indexes(data, 5)
                reader = self._reader(t, schema_id, indexes)
                message = reader.message_class.FromString(data[start:])
                out.append((reader.schema, reader.convert(message)))
            except DataException as exc:
                raise DataException(f"Failed to deserialize data for topic {t} to Protobuf: {exc}") from exc
            except (DecodeError, ValueError, TypeError) as exc:
                raise DataException(f"Failed to deserialize data for topic {t} to Protobuf: {exc!r}") from exc
        return out


__all__ = ["ProtobufConverter", "decode_message_indexes", "encode_message_indexes", "message_indexes_of"]
