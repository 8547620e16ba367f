"""Records → bulk actions: index names, document ids and JSON bodies, as Confluent's `DataConverter`.

A `DocumentBuilder` turns one sink record into a `BulkItem`: the encoded NDJSON lines of its
`_bulk` action (`index`, `update` or `delete`) with the document body. Bodies are what
Confluent's connector indexes:

- with a value schema (schema not ignored): the value is written as Kafka's JsonConverter
  writes it without envelope, after Confluent's pre-processing: Decimal → double,
  string-keyed maps → objects when `compact.map.entries`, other maps → `[{"key":…,"value":…}]`,
  null fields → their default;
- schema ignored, or no schema: the value as JsonConverter (schemas.enable=false) writes it
  (Decimal as base64, maps with non-string keys as `[[k, v], …]`).

Ids: `str(key)` for INT8…INT64 and STRING keys, `topic+partition+offset` when keys are ignored.
`index` and `delete` carry `version_type=external` with the Kafka offset (or a header) as the
version when ids come from keys, so a replayed or older record never overwrites a newer one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

import orjson

from pyconnect_flow.connectors.elasticsearch.config import EsSinkSettings
from pyconnect_flow.converters.json import JsonConverter
from pyconnect_flow.converters.json_codec import CodecConfig, _number, compile_encoder, dumps, encode_schemaless
from pyconnect_flow.data import logical
from pyconnect_flow.data.exceptions import ConnectException, DataException
from pyconnect_flow.data.java_numbers import java_double_str
from pyconnect_flow.data.schema import Schema, Type
from pyconnect_flow.data.struct import Struct
from pyconnect_flow.data.values import schema_type
from pyconnect_flow.record import Record

if TYPE_CHECKING:
    from pyconnect_flow.connectors.elasticsearch.columns import ColumnRow

TreeEncoder = Callable[[Any], Any]

_CODEC = CodecConfig(replace_null_with_default=True, decimal_numeric=False)
_FAST = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_SUBCLASS | orjson.OPT_PASSTHROUGH_DATACLASS
_ID_TYPES = (Type.INT8, Type.INT16, Type.INT32, Type.INT64, Type.STRING)
NULL_REQUIRED = "null value for field that is required and has no default value"


class BulkItem(NamedTuple):
    """One `_bulk` operation for one record."""

    record: Record | ColumnRow
    """The record, or for a batch of columns the row it comes from (`ColumnRow.record()` builds it)."""
    data: bytes
    """The action line and (except for deletes) the source line, each ending in a newline."""
    op: str
    """"index", "update" or "delete"."""
    doc_id: str | None
    external: bool
    """True when the action carries `version_type=external` (a version conflict then means "already newer")."""


def index_name(topic: str) -> str:
    """The index for a topic, as Confluent's `convertTopicToIndexName`: lowercased, cut to 255 chars,
    one leading `-` or `_` dropped, and `.`/`..` spelled `dot`/`dotdot`."""
    index = topic.lower()[:255]
    if index.startswith(("-", "_")):
        index = index[1:]
    if index in (".", ".."):
        index = index.replace(".", "dot")
    return index


def document_id(record: Record) -> str:
    """The document id from the record key (Confluent's `convertKey`); DataException if it cannot be one."""
    return key_document_id(record.key, record.key_schema)


def key_document_id(key: Any, schema: Schema | None) -> str:
    """The document id of a key and its schema (`document_id` of a record with them)."""
    if key is None:
        raise DataException("Key is used as document id and can not be null.")
    if schema is not None:
        key_type = schema.type
    else:
        found = schema_type(key)
        if found is None:
            raise DataException(f"Java class {type(key).__name__} does not have corresponding schema type.")
        key_type = found
    if key_type not in _ID_TYPES:
        raise DataException(f"{key_type.name} is not supported as the document id.")
    text = key if isinstance(key, str) else str(int(key))
    if not text:
        raise DataException("Key is used as document id and can not be empty.")
    return text


# bodies ---------------------------------------------------------------------------------------

def compile_document_encoder(schema: Schema, compact_map_entries: bool) -> TreeEncoder:
    """A function turning a value of `schema` into the JSON tree of its document (schema not ignored)."""
    name = schema.name
    if name == logical.DECIMAL_NAME:
        default = None if schema.default is None else _decimal_tree(schema.default)
        optional = schema.optional

        def encode_decimal(v: Any) -> Any:
            if v is None:
                if default is None and not optional:
                    raise DataException(NULL_REQUIRED)
                return default
            return _decimal_tree(v)
        return encode_decimal
    t = schema.type
    if name in (logical.DATE_NAME, logical.TIME_NAME, logical.TIMESTAMP_NAME) or t.is_primitive:
        return compile_encoder(schema, _CODEC)
    if t is Type.STRUCT:
        return _struct_encoder(schema, compact_map_entries)
    body: TreeEncoder
    if t is Type.ARRAY:
        assert schema.value_schema is not None
        item = compile_document_encoder(schema.value_schema, compact_map_entries)

        def body(v: Any) -> Any:
            if not isinstance(v, (list, tuple)):
                raise DataException(f"Invalid type for ARRAY: {type(v).__name__}")
            return [item(x) for x in v]
    else:
        body = _map_encoder(schema, compact_map_entries)
    return _nullable(schema, body, compact_map_entries)


def _decimal_tree(v: Any) -> Any:
    return _number(java_double_str(float(v)))


def _nullable(schema: Schema, body: TreeEncoder, compact: bool) -> TreeEncoder:
    default = schema.default
    optional = schema.optional

    def encode(v: Any) -> Any:
        if v is None:
            if default is not None:
                return body(default)
            if optional:
                return None
            raise DataException(NULL_REQUIRED)
        return body(v)
    return encode


def _map_encoder(schema: Schema, compact: bool) -> TreeEncoder:
    assert schema.key_schema is not None and schema.value_schema is not None
    key_enc = compile_document_encoder(schema.key_schema, compact)
    val_enc = compile_document_encoder(schema.value_schema, compact)
    if compact and schema.key_schema.type is Type.STRING:
        def encode_object(v: Any) -> Any:
            if not isinstance(v, dict):
                raise DataException(f"Invalid type for MAP: {type(v).__name__}")
            return {key_enc(k): val_enc(x) for k, x in v.items()}
        return encode_object

    def encode_entries(v: Any) -> Any:
        if not isinstance(v, dict):
            raise DataException(f"Invalid type for MAP: {type(v).__name__}")
        return [{"key": key_enc(k), "value": val_enc(x)} for k, x in v.items()]
    return encode_entries


def _struct_encoder(schema: Schema, compact: bool) -> TreeEncoder:
    # A null field takes its default (Struct.get), then is converted; nested struct defaults
    # are not copied onto the converted schema (Confluent's copySchemaBasics), so an absent
    # nested struct with no value stays null when optional.
    fields = tuple((f.name, f.schema.default, compile_document_encoder(f.schema, compact))
                   for f in schema.fields or ())
    optional = schema.optional

    def encode_struct(v: Any) -> Any:
        if v is None:
            if optional:
                return None
            raise DataException(NULL_REQUIRED)
        if not isinstance(v, Struct):
            raise DataException(f"Invalid type for STRUCT: {type(v).__name__}")
        values = v._values
        out = {}
        for name, default, enc in fields:
            x = values.get(name)
            out[name] = enc(default if x is None else x)
        return out
    return encode_struct


def encode_schemaless_body(value: Any) -> bytes:
    """JSON of a value without schema (JsonConverter with schemas.enable=false), orjson fast path first."""
    try:
        return orjson.dumps(value, option=_FAST)
    except (TypeError, orjson.JSONEncodeError):
        return dumps(encode_schemaless(value))


class DocumentBuilder:
    """Builds the `BulkItem` of each record for one connector's settings."""

    def __init__(self, settings: EsSinkSettings) -> None:
        self.settings = settings
        self._indices: dict[str, str] = {}
        self._heads: dict[str, bytes] = {}
        self._encoders: dict[int, tuple[Schema, TreeEncoder]] = {}
        self._ignored_schema_converter: Any = None
        self._retry_on_conflict = min(settings.max_in_flight, 5)

    def index_for(self, topic: str) -> str:
        """The index (or mapped external resource) the records of `topic` go to."""
        index = self._indices.get(topic)
        if index is None:
            if self.settings.resource_map:
                if topic not in self.settings.resource_map:
                    raise ConnectException(
                        f"Topic '{topic}' is not mapped to any resource. All topics must be mapped when using "
                        "topic-to-resource mapping configuration. Please check the "
                        "'topic.to.external.resource.mapping' configuration to ensure all topics are properly mapped.")
                index = self.settings.resource_map[topic]
            else:
                index = index_name(topic)
            self._indices[topic] = index
        return index

    def body(self, record: Record) -> bytes:
        """The document JSON of a record with a non-null value."""
        return self.value_body(record.topic, record.value_schema, record.value)

    def value_body(self, topic: str, schema: Schema | None, value: Any) -> bytes:
        """The document JSON of a non-null value of `topic` with its schema."""
        if schema is None:
            return encode_schemaless_body(value)
        if self.settings.ignore_schema(topic):
            return self._ignored_schema_body(topic, schema, value)
        return dumps(self.encoder(schema)(value))

    def encoder(self, schema: Schema) -> TreeEncoder:
        """The document tree encoder of `schema` (schema not ignored), compiled once per schema object."""
        cached = self._encoders.get(id(schema))
        if cached is None or cached[0] is not schema:
            cached = (schema, compile_document_encoder(schema, self.settings.compact_map_entries))
            if len(self._encoders) > 256:
                self._encoders.clear()
            self._encoders[id(schema)] = cached
        return cached[1]

    def _ignored_schema_body(self, topic: str, schema: Schema, value: Any) -> bytes:
        if self._ignored_schema_converter is None:
            converter = JsonConverter()
            converter.configure({"schemas.enable": "false"}, False)
            self._ignored_schema_converter = converter
        data = self._ignored_schema_converter.from_connect(topic, schema, value)
        return data if data is not None else b"null"

    def version(self, record: Record) -> int:
        """The external version: the Kafka offset, or the last `external.version.header` header."""
        header = self.settings.external_version_header
        if not header:
            return int(record.offset or 0)
        for name, value in reversed(tuple(record.headers)):
            if name == header:
                text = value.decode("utf-8", "replace") if isinstance(value, (bytes, bytearray)) else str(value)
                try:
                    return int(text.strip())
                except ValueError:
                    break
        # The header's value is not quoted: it comes from the record and may be anything.
        raise ConnectException(f"Error converting external version header '{header}' to long for record from "
                               f"topic={record.topic} partition={record.partition} offset={record.offset}")

    def build(self, record: Record) -> BulkItem | None:
        """The bulk operation of `record`; None when a null value is ignored or has no key to delete by.

        Raises DataException when the record cannot become a document (the sink reports it).
        """
        settings = self.settings
        index = self.index_for(record.topic)
        if record.value is None:
            behavior = settings.behavior_on_null_values
            if behavior == "ignore" or (behavior == "delete" and record.key is None):
                return None
            if behavior != "delete":
                raise DataException(
                    f"record from topic={record.topic} partition={record.partition} offset={record.offset} has a "
                    "null value (to ignore future records like this change the configuration property "
                    "'behavior.on.null.values' from 'fail' to 'ignore')")
        ignore_key = settings.ignore_key(record.topic)
        if ignore_key:
            doc_id = f"{record.topic}+{record.partition}+{record.offset}"
        else:
            doc_id = document_id(record)
        head = self.head(index)
        if record.value is None:
            return self._versioned(record, b'{"delete":' + head, doc_id, b"}}\n", "delete", ignore_key)
        body = self.body(record)
        if settings.upsert:
            return self.update_item(record, head, doc_id, body)
        if settings.autogenerated_ids:
            return BulkItem(record, b'{"index":' + head + b"}}\n" + body + b"\n", "index", None, False)
        return self._versioned(record, b'{"index":' + head, doc_id, b"}}\n" + body + b"\n", "index", ignore_key)

    def head(self, index: str) -> bytes:
        """`{"_index":"<index>"` (the start of an action's metadata), encoded once per index."""
        head = self._heads.get(index)
        if head is None:
            head = self._heads[index] = b'{"_index":' + orjson.dumps(index)
        return head

    def update_item(self, record: Record | ColumnRow, head: bytes, doc_id: str, body: bytes) -> BulkItem:
        """The upsert of `body` as document `doc_id` (`write.method=upsert`)."""
        action = (b'{"update":' + head + b',"_id":' + orjson.dumps(doc_id) + b',"retry_on_conflict":'
                  + str(self._retry_on_conflict).encode() + b"}}\n")
        return BulkItem(record, action + b'{"doc":' + body + b',"upsert":' + body + b"}\n", "update", doc_id, False)

    def index_item(self, record: Record | ColumnRow, head: bytes, doc_id: str | None, body: bytes,
                   version: int | None) -> BulkItem:
        """The index action of `body`: an id chosen by Elasticsearch (`doc_id` None), `doc_id`, or `doc_id`
        with an external `version`."""
        if doc_id is None:
            return BulkItem(record, b'{"index":' + head + b"}}\n" + body + b"\n", "index", None, False)
        action = b'{"index":' + head + b',"_id":' + orjson.dumps(doc_id)
        if version is None:
            return BulkItem(record, action + b"}}\n" + body + b"\n", "index", doc_id, False)
        action += b',"version":' + str(version).encode() + b',"version_type":"external"'
        return BulkItem(record, action + b"}}\n" + body + b"\n", "index", doc_id, True)

    def _versioned(self, record: Record, head: bytes, doc_id: str, tail: bytes, op: str,
                   ignore_key: bool) -> BulkItem:
        action = head + b',"_id":' + orjson.dumps(doc_id)
        if ignore_key:
            return BulkItem(record, action + tail, op, doc_id, False)
        action += b',"version":' + str(self.version(record)).encode() + b',"version_type":"external"'
        return BulkItem(record, action + tail, op, doc_id, True)
