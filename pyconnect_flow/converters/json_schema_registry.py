"""`JsonSchemaConverter`: Confluent's `io.confluent.connect.json.JsonSchemaConverter`, with a Schema Registry.

(Not to be confused with `json_schema.py`, the schema envelope of Kafka's own JsonConverter.)

Bytes are Confluent's wire format: magic byte 0, the schema id as 4 big-endian bytes, then the value
as JSON text. Schemas are JSON Schema documents registered with `schemaType: JSON`, mapped as
Confluent's JsonSchemaData maps them (`json_schema_data.py`), so a Java worker, confluent-kafka's
`JSONSerializer`/`JSONDeserializer` and this converter read each other's records::

    c = JsonSchemaConverter()
    c.configure({"schema.registry.url": "http://localhost:8081"}, is_key=False)
    data = c.from_connect("orders", schema, struct)   # b"\\x00\\x00\\x00\\x00\\x01{\\"id\\":1,...}"
    c.to_connect("orders", data)                      # (Connect schema, struct)

One registry request per schema and subject, and one per schema id, for the life of the converter;
value converters are compiled once per schema; a batch is decoded with one lookup per schema id.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import orjson

from pyconnect_flow.config.definition import ConfigDef, ConfigKey, ConfigType, one_of
from pyconnect_flow.converters.avro import AvroConverter
from pyconnect_flow.converters.base import SchemaAndValue
from pyconnect_flow.converters.json_schema_data import JsonSchemaData, JsonSchemaDataConfig
from pyconnect_flow.converters.registry_converter import RegistryConverter
from pyconnect_flow.converters.schema_registry import RegistryError, client_from_settings, subject_name_strategy
from pyconnect_flow.data.exceptions import DataException
from pyconnect_flow.data.schema import Schema

MAGIC_BYTE = 0
SCHEMA_TYPE = "JSON"

_SHARED = ("converter.type", "schema.registry.url", "auto.register.schemas", "use.latest.version",
           "latest.compatibility.strict", "key.subject.name.strategy", "value.subject.name.strategy",
           "basic.auth.credentials.source", "basic.auth.user.info", "max.schemas.per.subject",
           "schemas.cache.config")


class _Writer:
    __slots__ = ("text", "title", "encode", "ids")

    def __init__(self, text: str, title: str | None, encode: Any) -> None:
        self.text = text
        self.title = title
        self.encode = encode
        self.ids: dict[str, bytes] = {}  # subject -> the 5-byte prefix


class _Reader:
    __slots__ = ("schema", "decode", "validate")

    def __init__(self, schema: Schema, decode: Any, validate: Any) -> None:
        self.schema = schema
        self.decode = decode
        self.validate = validate


class JsonSchemaConverter(RegistryConverter):
    """Confluent's JsonSchemaConverter: Connect data ⇄ JSON in Confluent's wire format, JSON Schemas in a registry.

    The registry keys are the Avro converter's (`schema.registry.url`, `auto.register.schemas`,
    `use.latest.version`, subject name strategies, `basic.auth.*`); JSON ones are JsonSchemaDataConfig's
    (`decimal.format`, `object.additional.properties`, `use.optional.for.nonrequired`,
    `flatten.singleton.unions`) and the deserializer's `json.fail.invalid.schema`.
    """

    CONFIG: ClassVar[ConfigDef] = ConfigDef([AvroConverter.CONFIG[name] for name in _SHARED] + [
        ConfigKey("decimal.format", ConfigType.STRING, "BASE64",
                  "Controls which format this converter will serialize decimals in: BASE64 or NUMERIC.",
                  validator=one_of("BASE64", "NUMERIC"), importance="low"),
        ConfigKey("object.additional.properties", ConfigType.BOOLEAN, True,
                  "Whether to allow additional properties for object schemas.", importance="medium"),
        ConfigKey("use.optional.for.nonrequired", ConfigType.BOOLEAN, False,
                  "Whether to set non-required properties to be optional.", importance="medium"),
        ConfigKey("flatten.singleton.unions", ConfigType.BOOLEAN, True,
                  "Whether to flatten singleton unions.", importance="medium"),
        ConfigKey("json.fail.invalid.schema", ConfigType.BOOLEAN, False,
                  "Whether to fail deserialization if the payload does not match the schema", importance="medium"),
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
        self.fail_invalid: bool = values["json.fail.invalid.schema"]
        self.subject_name = subject_name_strategy(
            values["key.subject.name.strategy" if is_key else "value.subject.name.strategy"])
        self.client = client_from_settings(values, type(self).__name__)
        self.data = JsonSchemaData(JsonSchemaDataConfig(
            decimal_numeric=values["decimal.format"] == "NUMERIC",
            object_additional_properties=values["object.additional.properties"],
            use_optional_for_nonrequired=values["use.optional.for.nonrequired"],
            flatten_singleton_unions=values["flatten.singleton.unions"],
        ))
        self._cache_size = max(1, values["schemas.cache.config"])
        self._writers: dict[Schema, _Writer] = {}
        self._readers: dict[tuple[int, str], _Reader] = {}

    def _side(self) -> str:
        return "key" if self.is_key else "value"

    # ------------------------------------------------------------------ writing

    def _writer(self, schema: Schema) -> _Writer:
        writer = self._writers.get(schema)
        if writer is None:
            document = self.data.from_connect_schema(schema)
            title = document.get("title") if isinstance(document.get("title"), str) else None
            writer = _Writer(orjson.dumps(document).decode(), title, self.data.value_encoder(schema))
            if len(self._writers) >= self._cache_size:
                del self._writers[next(iter(self._writers))]
            self._writers[schema] = writer
        return writer

    def _prefix(self, topic: str, writer: _Writer) -> bytes:
        subject = self.subject_name(topic, self.is_key, writer.title)
        prefix = writer.ids.get(subject)
        if prefix is not None:
            return prefix
        try:
            if self.use_latest:
                latest = self.client.latest(subject)
                if self.latest_strict:
                    self._check_latest(topic, subject, latest, writer)
                schema_id = latest.schema_id
            elif self.auto_register:
                schema_id = self.client.register(subject, writer.text, SCHEMA_TYPE)
            else:
                schema_id = self.client.lookup(subject, writer.text, SCHEMA_TYPE).schema_id
        except RegistryError as exc:
            raise DataException(f"Converting Kafka Connect data to byte[] failed due to serialization error of "
                                f"topic {topic}: {exc}") from None
        prefix = bytes((MAGIC_BYTE,)) + schema_id.to_bytes(4, "big")
        writer.ids[subject] = prefix
        return prefix

    @staticmethod
    def _check_latest(topic: str, subject: str, latest: Any, writer: _Writer) -> None:
        """`latest.compatibility.strict`: the latest schema must read what the data's schema allows (Confluent's
        `isBackwardCompatible`), else the data is not written with it."""
        from pyconnect_flow.registry.compatibility import json_problem

        problem = json_problem(latest.schema, writer.text)
        if problem:
            raise DataException(f"Converting Kafka Connect data to byte[] failed due to serialization error of "
                                f"topic {topic}: the latest schema of subject {subject} (version {latest.version}) "
                                f"is not backward compatible with the schema of the data: {problem}")

    def from_connect_values(self, topic: str, schema: Schema | None, values: Sequence[Any]) -> list[bytes | None]:
        """Serialize many values of one schema: one schema lookup for the batch."""
        if schema is None:
            if all(v is None for v in values):
                return [None] * len(values)
            raise DataException(f"Converting Kafka Connect data to byte[] failed for topic {topic}: "
                                "JsonSchemaConverter needs a schema (schemaless values are not supported)")
        writer = self._writer(schema)
        encode = writer.encode
        prefix: bytes | None = None
        out: list[bytes | None] = []
        for value in values:
            if value is None:
                out.append(None)
                continue
            try:
                tree = encode(value)
            except DataException as exc:
                raise DataException(f"Converting Kafka Connect data to byte[] failed for topic {topic}: {exc}") \
                    from exc
            except (ValueError, TypeError, AttributeError, OverflowError) as exc:
                raise DataException(f"Converting Kafka Connect data to byte[] failed for topic {topic}: "
                                    f"{exc!r}") from exc
            if tree is None:
                out.append(None)
                continue
            if prefix is None:
                prefix = self._prefix(topic, writer)
            out.append(prefix + orjson.dumps(tree))
        return out

    # ------------------------------------------------------------------ reading

    def _referenced_documents(self, topic: str, schema_id: int) -> dict[str, Any]:
        """The documents the schema's `references` name (by reference name), fetched once per schema id."""
        try:
            return _referenced(self.client, self.client.references(schema_id))
        except (RegistryError, ValueError, KeyError) as exc:
            raise DataException(f"Converting byte[] to Kafka Connect data failed due to serialization error of "
                                f"topic {topic}: a reference of JSON schema id {schema_id} cannot be read: "
                                f"{exc}") from None

    def _reader(self, topic: str, schema_id: int) -> _Reader:
        key = (schema_id, topic)
        reader = self._readers.get(key)
        if reader is not None:
            return reader
        try:
            text = self.client.schema_by_id(schema_id)
        except RegistryError as exc:
            raise DataException(f"Converting byte[] to Kafka Connect data failed due to serialization error of "
                                f"topic {topic}: Error retrieving JSON schema for id {schema_id}: {exc}") from None
        try:
            document = json.loads(text)
        except ValueError as exc:
            raise DataException(f"Schema id {schema_id} is not a JSON Schema: {exc}") from None
        version = None
        try:
            title = document.get("title") if isinstance(document, dict) else None
            subject = self.subject_name(topic, self.is_key, title if isinstance(title, str) else None)
            version = self.client.lookup(subject, text, SCHEMA_TYPE).version
        except DataException:
            pass  # written under another subject: the schema comes without a registry version
        references = self._referenced_documents(topic, schema_id)
        schema = self.data.to_connect_schema(document, version, references)
        validate = _validator(document, references) if self.fail_invalid else None
        reader = _Reader(schema, self.data.value_decoder(schema), validate)
        if len(self._readers) >= self._cache_size:
            del self._readers[next(iter(self._readers))]
        self._readers[key] = reader
        return reader

    def to_connect(self, topic: str, data: bytes | None) -> SchemaAndValue:
        """Deserialize one value (Confluent's `toConnectData`); (None, None) for null bytes."""
        return self.to_connect_batch(topic, [data])[0]

    def to_connect_batch(self, topic: str | Sequence[str], datas: Sequence[bytes | None]) -> list[SchemaAndValue]:
        """Deserialize many values: one schema lookup per distinct (schema id, topic)."""
        topics = [topic] * len(datas) if isinstance(topic, str) else list(topic)
        out: list[SchemaAndValue] = []
        for t, data in zip(topics, datas):
            if data is None:
                out.append((None, None))
                continue
            if len(data) < 5 or data[0] != MAGIC_BYTE:
                raise DataException(f"Converting byte[] to Kafka Connect data failed due to serialization error "
                                    f"of topic {t}: Unknown magic byte!")
            reader = self._reader(t, int.from_bytes(data[1:5], "big"))
            try:
                tree = _parse(memoryview(data)[5:])
                if reader.validate is not None:
                    reader.validate(tree)
                out.append((reader.schema, reader.decode(tree)))
            except DataException as exc:
                raise DataException(f"Converting byte[] to Kafka Connect data failed due to serialization error "
                                    f"of topic {t}: {exc}") from exc
            except (ValueError, TypeError, KeyError, UnicodeDecodeError) as exc:
                raise DataException(f"Converting byte[] to Kafka Connect data failed due to serialization error "
                                    f"of topic {t}: {exc!r}") from exc
        return out


def _parse(payload: memoryview) -> Any:
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError:
        return json.loads(bytes(payload))  # integers past 64 bits, which orjson refuses


def _referenced(client: Any, references: list[dict[str, Any]]) -> dict[str, Any]:
    """Reference name → document, for `references` and theirs, transitively."""
    found: dict[str, Any] = {}
    pending = list(references)
    while pending:
        ref = pending.pop()
        name = str(ref["name"])
        if name in found:
            continue
        text, nested = client.subject_version(str(ref["subject"]), int(ref["version"]))
        found[name] = json.loads(text)
        pending.extend(nested)
    return found


def _validator(document: Any, references: Mapping[str, Any] | None = None) -> Any:
    """A function raising DataException when a JSON tree does not match `document` (json.fail.invalid.schema);
    `references`: the documents its `$ref`s name, by reference name."""
    import jsonschema

    cls = jsonschema.validators.validator_for(document)
    if references:
        from referencing import Registry, Resource
        from referencing.jsonschema import specification_with

        default = specification_with(cls.META_SCHEMA.get("$schema", ""))
        registry: Any = Registry().with_resources(
            (name, Resource.from_contents(doc, default_specification=default)) for name, doc in references.items())
        validator = cls(document, registry=registry)
    else:
        validator = cls(document)

    def validate(tree: Any) -> None:
        error = jsonschema.exceptions.best_match(validator.iter_errors(tree))
        if error is not None:
            raise DataException(f"Validation error in JSON {tree!r}, Error report: {error.message}")
    return validate


__all__ = ["JsonSchemaConverter"]
