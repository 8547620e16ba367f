"""`AvroConverter`: Confluent's `io.confluent.connect.avro.AvroConverter`, with a Schema Registry.

Bytes are Confluent's wire format: magic byte 0, the schema id as 4 big-endian bytes, then the
Avro binary of the value. Schemas map as Confluent's AvroData maps them (`avro_data.py`), so a Java
worker, Confluent's serializers and this converter read each other's records::

    c = AvroConverter()
    c.configure({"schema.registry.url": "http://localhost:8081"}, is_key=False)
    data = c.from_connect("orders", schema, struct)   # b"\\x00\\x00\\x00\\x00\\x01..." (subject orders-value)
    c.to_connect("orders", data)                      # (schema with the registry's version, struct)

Speed: one registry request per schema and subject, and one per schema id, for the life of the
converter; the fastavro schema and the value converters are compiled once per schema; a batch
is decoded with one lookup per distinct schema id.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import fastavro

from pyconnect_flow.config.definition import REQUIRED, ConfigDef, ConfigKey, ConfigType, non_empty, one_of
from pyconnect_flow.converters.avro_data import (
    AvroData,
    AvroDataConfig,
    AvroSchema,
    avro_schema_json,
    value_to_avro,
    value_to_connect,
)
from pyconnect_flow.converters.avro_references import inline_references, referenced_types
from pyconnect_flow.converters.base import SchemaAndValue
from pyconnect_flow.converters.registry_converter import RegistryConverter
from pyconnect_flow.converters.schema_registry import (
    SUBJECT_NAME_STRATEGIES,
    RegistryError,
    client_from_settings,
    subject_name_strategy,
)
from pyconnect_flow.data.exceptions import DataException
from pyconnect_flow.data.schema import Schema

MAGIC_BYTE = 0
_STRATEGY_DEFAULT = "io.confluent.kafka.serializers.subject.TopicNameStrategy"


def _strategy(value: Any) -> str | None:
    try:
        subject_name_strategy(str(value))
    except ValueError as exc:
        return str(exc)
    return None


def _without_logical_types(node: Any) -> Any:
    """A copy for fastavro with `logicalType` removed: logical values are converted as AvroData does."""
    if isinstance(node, list):
        return [_without_logical_types(n) for n in node]
    if isinstance(node, dict):
        return {k: _without_logical_types(v) for k, v in node.items() if k != "logicalType"}
    return node


def _record_name(avro: AvroSchema) -> str | None:
    """The full name of a record schema (what RecordNameStrategy uses), else None."""
    if isinstance(avro, dict) and avro.get("type") == "record":
        ns = avro.get("namespace")
        return f"{ns}.{avro['name']}" if ns else str(avro["name"])
    return None


class _Writer:
    __slots__ = ("avro", "text", "parsed", "convert", "record_name", "ids")

    def __init__(self, avro: AvroSchema, convert: Any) -> None:
        self.avro = avro
        self.text = avro_schema_json(avro)
        self.parsed = fastavro.parse_schema(_without_logical_types(json.loads(self.text)))
        self.convert = convert
        self.record_name = _record_name(avro)
        self.ids: dict[str, tuple[int, Any]] = {}  # subject -> (schema id, fastavro schema to write with)


class _Reader:
    __slots__ = ("parsed", "array", "schema", "convert")

    def __init__(self, parsed: Any, schema: Schema, convert: Any, array: Any = None) -> None:
        self.parsed = parsed
        self.array = array
        self.schema = schema
        self.convert = convert


def _avro_long(n: int) -> bytes:
    """An Avro `long` (zig-zag varint)."""
    z = (n << 1) ^ (n >> 63)
    out = bytearray()
    while z > 0x7F:
        out.append((z & 0x7F) | 0x80)
        z >>= 7
    out.append(z)
    return bytes(out)


class AvroConverter(RegistryConverter):
    """Confluent's AvroConverter: Connect data ⇄ Avro in Confluent's wire format, schemas in a registry.

    Keys are Confluent's (`schema.registry.url`, `auto.register.schemas`, `use.latest.version`,
    `value.subject.name.strategy`, `basic.auth.user.info`, `connect.meta.data`, ...); see `CONFIG`.
    """

    CONFIG: ClassVar[ConfigDef] = ConfigDef([
        ConfigKey("converter.type", ConfigType.STRING, None, "How this converter will be used (key, value, header).",
                  validator=one_of("key", "value", "header", case_sensitive=True), importance="low"),
        ConfigKey("schema.registry.url", ConfigType.LIST, REQUIRED,
                  "Comma-separated list of URLs for Schema Registry instances.", validator=non_empty,
                  importance="high"),
        ConfigKey("auto.register.schemas", ConfigType.BOOLEAN, True,
                  "Specify if the Serializer should attempt to register the Schema with Schema Registry",
                  importance="medium"),
        ConfigKey("use.latest.version", ConfigType.BOOLEAN, False,
                  "Specify if the Serializer should use the latest subject version for serialization",
                  importance="low"),
        ConfigKey("latest.compatibility.strict", ConfigType.BOOLEAN, True,
                  "If true, check that the latest subject version is backward compatible with the schema of "
                  "the object (only with use.latest.version=true)", importance="low"),
        ConfigKey("key.subject.name.strategy", ConfigType.STRING, _STRATEGY_DEFAULT,
                  "Determines how to construct the subject name under which the key schema is registered.",
                  validator=_strategy, importance="medium"),
        ConfigKey("value.subject.name.strategy", ConfigType.STRING, _STRATEGY_DEFAULT,
                  "Determines how to construct the subject name under which the value schema is registered.",
                  validator=_strategy, importance="medium"),
        ConfigKey("basic.auth.credentials.source", ConfigType.STRING, "URL",
                  "Specify how to pick the credentials for Basic Auth header: URL or USER_INFO.",
                  validator=one_of("URL", "USER_INFO"), importance="medium"),
        ConfigKey("basic.auth.user.info", ConfigType.PASSWORD, "",
                  "Specify the user info for Basic Auth in the form of {username}:{password}", importance="medium"),
        ConfigKey("max.schemas.per.subject", ConfigType.INT, 1000,
                  "Maximum number of schemas to create or cache locally.", importance="low"),
        ConfigKey("enhanced.avro.schema.support", ConfigType.BOOLEAN, False,
                  "Toggle for enabling/disabling enhanced avro schema support: Enum symbol preservation and "
                  "Package Name awareness", importance="medium"),
        ConfigKey("connect.meta.data", ConfigType.BOOLEAN, True,
                  "Toggle for enabling/disabling connect converter to add its meta data to the output schema "
                  "or not", importance="low"),
        ConfigKey("schemas.cache.config", ConfigType.INT, 1000, "Size of the converted schemas cache",
                  importance="low"),
        ConfigKey("scrub.invalid.names", ConfigType.BOOLEAN, False,
                  "Whether to scrub invalid names by replacing invalid characters with valid characters",
                  importance="medium"),
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
        self.latest_strict: bool = values["latest.compatibility.strict"]
        self.subject_name = subject_name_strategy(
            values["key.subject.name.strategy" if is_key else "value.subject.name.strategy"])
        self.client = client_from_settings(values, type(self).__name__)
        self.data = AvroData(AvroDataConfig(
            connect_meta_data=values["connect.meta.data"],
            enhanced_avro_schema_support=values["enhanced.avro.schema.support"],
            scrub_invalid_names=values["scrub.invalid.names"],
            schemas_cache_size=values["schemas.cache.config"],
        ))
        self._cache_size = max(1, values["schemas.cache.config"])
        self._writers: dict[Schema, _Writer] = {}
        self._writers_by_id: dict[int, _Writer] = {}
        self._readers: dict[tuple[int, str], _Reader] = {}

    # ------------------------------------------------------------------ writing

    def _writer(self, schema: Schema) -> _Writer:
        writer = self._writers_by_id.get(id(schema))
        if writer is not None and writer.avro is self._writers.get(schema, writer).avro:
            return writer
        writer = self._writers.get(schema)
        if writer is None:
            avro = self.data.from_connect_schema(schema)
            writer = _Writer(avro, value_to_avro(schema, self.data.config.scrub_invalid_names))
            if len(self._writers) >= self._cache_size:
                del self._writers[next(iter(self._writers))]
                self._writers_by_id.clear()
            self._writers[schema] = writer
        self._writers_by_id[id(schema)] = writer
        return writer

    def _schema_id(self, topic: str, writer: _Writer) -> tuple[int, Any]:
        subject = self.subject_name(topic, self.is_key, writer.record_name)
        found = writer.ids.get(subject)
        if found is not None:
            return found
        if self.use_latest:
            latest = self.client.latest(subject)
            latest_avro = json.loads(latest.schema)
            if self.latest_strict:
                problem = _backward_problem(latest_avro, writer.avro)
                if problem:
                    raise DataException(f"Failed to serialize Avro data from topic {topic}: the latest schema of "
                                        f"subject {subject} (version {latest.version}) is not backward "
                                        f"compatible with the schema of the data: {problem}")
            found = (latest.schema_id, fastavro.parse_schema(_without_logical_types(latest_avro)))
        elif self.auto_register:
            found = (self.client.register(subject, writer.text), writer.parsed)
        else:
            found = (self.client.lookup(subject, writer.text).schema_id, writer.parsed)
        writer.ids[subject] = found
        return found

    def from_connect_values(self, topic: str, schema: Schema | None, values: Sequence[Any]) -> list[bytes | None]:
        """Serialize many values of one schema: one schema lookup, one buffer."""
        if schema is None:
            if all(v is None for v in values):
                return [None] * len(values)
            raise DataException(f"Failed to serialize Avro data from topic {topic}: AvroConverter needs a schema "
                                "(schemaless values are not supported yet)")
        writer = self._writer(schema)
        out: list[bytes | None] = []
        buffer = io.BytesIO()
        write = fastavro.schemaless_writer
        convert = writer.convert
        prefix: bytes | None = None
        parsed: Any = None
        for value in values:
            if value is None:
                out.append(None)
                continue
            if prefix is None:
                try:
                    schema_id, parsed = self._schema_id(topic, writer)
                except RegistryError as exc:
                    raise DataException(f"Failed to serialize Avro data from topic {topic}: {exc}") from None
                prefix = bytes((MAGIC_BYTE,)) + schema_id.to_bytes(4, "big")
            buffer.seek(0)
            buffer.truncate()
            buffer.write(prefix)
            try:
                write(buffer, parsed, convert(value))
            except DataException:
                raise
            except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
                raise DataException(f"Failed to serialize Avro data from topic {topic}: {exc}") from exc
            out.append(buffer.getvalue())
        return out

    # ------------------------------------------------------------------ reading

    def _reader(self, topic: str, schema_id: int) -> _Reader:
        subject_key = (schema_id, topic)
        reader = self._readers.get(subject_key)
        if reader is not None:
            return reader
        try:
            text = self.client.schema_by_id(schema_id)
        except RegistryError as exc:
            raise DataException(f"Failed to deserialize data for topic {topic} to Avro: Error retrieving Avro "
                                f"{'key' if self.is_key else 'value'} schema for id {schema_id}: {exc}") from None
        avro = json.loads(text)
        references = self.client.references(schema_id)
        if references:  # named types defined in other subjects: written in full where first used
            try:
                avro = inline_references(avro, referenced_types(references, self.client.subject_version))
            except RegistryError as exc:
                raise DataException(f"Failed to deserialize data for topic {topic} to Avro: a reference of schema "
                                    f"id {schema_id} cannot be read: {exc}") from None
        version = None
        try:
            subject = self.subject_name(topic, self.is_key, _record_name(avro))
            version = self.client.lookup(subject, text).version
        except (RegistryError, DataException):
            pass  # written under another subject: the schema comes without a registry version
        schema = self.data.to_connect_schema(avro, version)
        plain = _without_logical_types(avro)
        reader = _Reader(fastavro.parse_schema(plain), schema, value_to_connect(schema, avro),
                         fastavro.parse_schema({"type": "array", "items": plain}))
        if len(self._readers) >= self._cache_size:
            del self._readers[next(iter(self._readers))]
        self._readers[subject_key] = reader
        return reader

    def to_connect(self, topic: str, data: bytes | None) -> SchemaAndValue:
        """Deserialize one value (Confluent's `toConnectData`); (None, None) for null bytes."""
        return self.to_connect_batch(topic, [data])[0]

    def to_connect_batch(self, topic: str | Sequence[str], datas: Sequence[bytes | None]) -> list[SchemaAndValue]:
        """Deserialize many values: one schema lookup per distinct (schema id, topic).

        Runs of one topic and schema id are read in one fastavro call, their payloads framed as one Avro array;
        any surprise (payloads that do not add up to exactly that array, a failure) reads the batch record by
        record instead, which gives the same values and names the failing record.
        """
        if isinstance(topic, str) and len(datas) > 1:
            fast = self._read_runs(topic, datas)
            if fast is not None:
                return fast
        return self._read_each(topic, datas)

    def _read_runs(self, topic: str, datas: Sequence[bytes | None]) -> list[SchemaAndValue] | None:
        out: list[SchemaAndValue] = []
        read = fastavro.schemaless_reader
        i, n = 0, len(datas)
        while i < n:
            data = datas[i]
            if data is None:
                out.append((None, None))
                i += 1
                continue
            if len(data) < 5 or data[0] != MAGIC_BYTE:
                return None
            head = data[:5]
            run: list[bytes] = []
            total = 0
            while i < n:
                item = datas[i]
                if item is None or item[:5] != head:
                    break
                run.append(item)
                total += len(item) - 5
                i += 1
            reader = self._reader(topic, int.from_bytes(head[1:5], "big"))
            # The payloads of a run, framed as one Avro array of the writer schema (the count, the items, a 0
            # block): fastavro reads them in one call, without its per-call set-up for every record. A run
            # whose payloads do not add up to exactly that array is read record by record instead.
            count = _avro_long(len(run))
            stream = io.BytesIO(b"".join([count, *[memoryview(d)[5:] for d in run], b"\x00"]))
            schema, convert = reader.schema, reader.convert
            try:
                raws = read(stream, reader.array, None, return_record_name=True, return_record_name_override=True)
                if not isinstance(raws, list) or len(raws) != len(run) or stream.tell() != len(count) + total + 1:
                    return None
                out.extend([(schema, convert(raw)) for raw in raws])
            except Exception:  # noqa: BLE001 - read again record by record, which reports the record
                return None
        return out

    def _read_each(self, topic: str | Sequence[str], datas: Sequence[bytes | None]) -> list[SchemaAndValue]:
        topics = [topic] * len(datas) if isinstance(topic, str) else list(topic)
        out: list[SchemaAndValue] = []
        read = fastavro.schemaless_reader
        for t, data in zip(topics, datas):
            if data is None:
                out.append((None, None))
                continue
            if len(data) < 5 or data[0] != MAGIC_BYTE:
                raise DataException(f"Failed to deserialize data for topic {t} to Avro: Unknown magic byte!")
            reader = self._reader(t, int.from_bytes(data[1:5], "big"))
            stream = io.BytesIO(data)
            stream.seek(5)
            try:
                raw = read(stream, reader.parsed, None, return_record_name=True, return_record_name_override=True)
                out.append((reader.schema, reader.convert(raw)))
            except DataException as exc:
                raise DataException(f"Failed to deserialize data for topic {t} to Avro: {exc}") from exc
            except (EOFError, ValueError, TypeError, KeyError, IndexError, UnicodeDecodeError) as exc:
                raise DataException(f"Failed to deserialize data for topic {t} to Avro: {exc!r}") from exc
        return out


def _backward_problem(reader: AvroSchema, writer: AvroSchema) -> str | None:
    """Why data written with `writer` cannot be read with `reader` (a top-level record check), or None."""
    if _record_name(reader) is None or _record_name(writer) is None:
        return None if json.dumps(reader, sort_keys=True) == json.dumps(writer, sort_keys=True) or \
            (isinstance(reader, str) and reader == writer) else "the types differ"
    written = {f["name"] for f in writer["fields"]}
    for f in reader["fields"]:
        if f["name"] not in written and "default" not in f:
            return f"field {f['name']!r} is missing and has no default"
    return None


__all__ = ["SUBJECT_NAME_STRATEGIES", "AvroConverter"]
