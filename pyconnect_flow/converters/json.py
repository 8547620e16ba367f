"""`JsonConverter`: Kafka Connect's `org.apache.kafka.connect.json.JsonConverter`, byte for byte.

With `schemas.enable=true` (the default) every value is written in an envelope::

    {"schema":{"type":"string","optional":false},"payload":"sai"}

and read back from one; with `schemas.enable=false` the bare payload is written and read
(schemaless). A null schema with a null value is a tombstone: null bytes, and null bytes
read back as `(None, None)`. How each Connect type is written (base64 bytes, Java-style
floats, maps with non-string keys as `[[k, v], ...]`, logical types) lives in `json_codec`;
the schema JSON in `json_schema`.

Speed: the serialized schema and a compiled payload encoder are cached per schema object
(by identity, then by equality); the envelope is built by concatenating bytes around the
orjson-dumped payload. On read, the envelope's schema text is cached, so a known envelope
costs one substring lookup and one orjson parse of its payload.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from itertools import repeat
from operator import is_, itemgetter
from typing import Any, ClassVar, cast

import orjson

from pyconnect_flow.config.definition import ConfigDef, ConfigKey, ConfigType, one_of
from pyconnect_flow.converters.base import Converter, SchemaAndValue
from pyconnect_flow.converters.json_codec import (
    DECIMAL_NAME_BYTES,
    MISSING,
    CodecConfig,
    Decoder,
    Encoder,
    NeedsExactParse,
    compile_decoder,
    compile_encoder,
    decode_schemaless,
    decode_schemaless_from,
    dump_each,
    dumps,
    escape_astral,
    flat_maps_writable_as_is,
    has_long_digit_run,
    loads_strict,
    parse,
)
from pyconnect_flow.converters.json_columns import FlatColumns, column_is_plain, flat_fields
from pyconnect_flow.converters.json_schema import has_decimal, schema_to_tree, tree_to_schema
from pyconnect_flow.converters.json_typed import TypedPayloads, typed_payloads
from pyconnect_flow.data.exceptions import DataException
from pyconnect_flow.data.java_hashmap import java_ordered, java_ordered_flat_maps
from pyconnect_flow.data.schema import Schema, Type

ENVELOPE_ERROR = (
    'JsonConverter with schemas.enable requires "schema" and "payload" fields and may not contain additional '
    "fields. If you are trying to deserialize plain JSON data, set schemas.enable=false in your converter "
    "configuration."
)

_SCHEMA_START = b'{"schema":'
_PAYLOAD_KEY = b',"payload":'
_CLOSE = b"}"
_NEVER = b"\xff\xff"  # no JSON starts with these bytes
_EMPTY = b""
_itemgetter0 = itemgetter(0)
_itemgetter1 = itemgetter(1)


class _Writer:
    """Everything needed to write values of one schema: envelope prefix and payload encoder."""

    __slots__ = ("schema", "prefix", "suffix", "encode", "plain_string")

    def __init__(self, schema: Schema | None, prefix: bytes, suffix: bytes, encode: Encoder) -> None:
        self.schema = schema
        self.prefix = prefix
        self.suffix = suffix
        self.encode = encode
        # A STRING without default or logical name: str values are written by orjson directly.
        self.plain_string = (schema is not None and schema.type is Type.STRING and schema.name is None
                             and schema.default is None)

    def write(self, value: Any) -> bytes:
        # Always a new bytes object: orjson's own output buffer is over-allocated, and keeping
        # thousands of them alive costs a page fault each once the allocator trims its heap.
        if self.prefix:
            return self.prefix + dumps(self.encode(value)) + self.suffix
        return _EMPTY.join((dumps(self.encode(value)), _EMPTY))

    def write_strings(self, values: list[str]) -> list[bytes | None] | None:
        """All values at once when they are plain `str`s needing no escapes Jackson writes differently."""
        try:
            dumped = orjson.dumps(values)
        except orjson.JSONEncodeError:
            return None  # a lone surrogate: the per-value path reports it
        if b"\\" in dumped:
            return None
        dumped = escape_astral(dumped)  # no quote nor NUL in its escapes: the cuts below stay right
        # No backslash at all, so no quote inside any string: '","' only separates values. Nor can
        # a NUL byte be there (orjson escapes control characters), so NUL can split the envelopes,
        # which are then built by two C-level passes instead of two concatenations each.
        prefix, suffix = self.prefix + b'"', b'"' + self.suffix
        body = dumped[2:-2].replace(b'","', suffix + b"\0" + prefix)
        return cast("list[bytes | None]", (prefix + body + suffix).split(b"\0"))


class _Reader:
    """A schema read from envelope JSON, with its compiled payload decoder."""

    __slots__ = ("schema", "decode", "exact", "plain_string")

    def __init__(self, schema: Schema | None, decode: Decoder) -> None:
        self.schema = schema
        self.decode = decode
        # Decimal payloads need the literal digits of numbers: parse those with the exact parser.
        self.exact = has_decimal(schema)
        # A STRING payload that is a JSON string is the value itself.
        self.plain_string = schema is not None and schema.type is Type.STRING and schema.name is None


def _bounded_put(cache: dict[Any, Any], key: Any, value: Any, size: int) -> None:
    """Insert into a size-bounded cache, dropping the oldest entry when full."""
    if size <= 0:
        return
    if len(cache) >= size:
        del cache[next(iter(cache))]
    cache[key] = value


class JsonConverter(Converter):
    """Kafka Connect's JsonConverter: Connect data ⇄ JSON bytes, with or without the schema envelope.

    Example::

        c = JsonConverter()
        c.configure({"schemas.enable": "true"}, is_key=False)
        c.from_connect("t", STRING_SCHEMA, "sai")
        # b'{"schema":{"type":"string","optional":false},"payload":"sai"}'
        c.to_connect("t", b'{"schema":{"type":"int32"},"payload":7}')  # (INT32 schema, 7)
    """

    CONFIG: ClassVar[ConfigDef] = ConfigDef([
        ConfigKey("converter.type", ConfigType.STRING, None, "How this converter will be used (key, value, header).",
                  validator=one_of("key", "value", "header", case_sensitive=True), importance="low"),
        ConfigKey("schemas.enable", ConfigType.BOOLEAN, True,
                  "Include schemas within each of the serialized values and keys.", importance="high"),
        ConfigKey("schemas.cache.size", ConfigType.INT, 1000,
                  "The maximum number of schemas that can be cached in this converter instance.", importance="high"),
        ConfigKey("decimal.format", ConfigType.STRING, "BASE64",
                  "Controls which format this converter will serialize decimals in. This value is case insensitive "
                  "and can be either 'BASE64' (default) or 'NUMERIC'",
                  validator=one_of("BASE64", "NUMERIC"), importance="low"),
        ConfigKey("replace.null.with.default", ConfigType.BOOLEAN, True,
                  "Whether to replace fields that have a default value and that are null to the default value. "
                  "When set to true, the default value is used, otherwise null is used.", importance="low"),
    ])

    def __init__(self) -> None:
        self.configure({}, False)

    def configure(self, config: Mapping[str, Any], is_key: bool) -> None:
        """Apply `schemas.enable`, `schemas.cache.size`, `decimal.format`, `replace.null.with.default`."""
        super().configure(config, is_key)
        values = self._checked(config)
        self.schemas_enabled: bool = values["schemas.enable"]
        self.cache_size: int = values["schemas.cache.size"]
        self.codec = CodecConfig(
            replace_null_with_default=values["replace.null.with.default"],
            decimal_numeric=values["decimal.format"].upper() == "NUMERIC",
        )
        self._writers_by_id: dict[int, _Writer] = {}
        self._writers_by_schema: dict[Schema, _Writer] = {}
        self._readers_by_prefix: dict[bytes, _Reader] = {}
        self._typed: dict[bytes, TypedPayloads | None] = {}  # by envelope prefix: `json_typed` decoders
        self._readers_by_tree: dict[bytes, _Reader] = {}
        self._schemaless_writer = self._make_writer(None)
        self._schemaless_reader = _Reader(None, decode_schemaless)

    def __getstate__(self) -> dict[str, Any]:
        # Compiled encoders/decoders are closures: pickle the settings and rebuild them.
        return {"settings": self._settings, "is_key": self.is_key}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.configure(state["settings"], state["is_key"])

    # ------------------------------------------------------------------ writing

    def _make_writer(self, schema: Schema | None) -> _Writer:
        encode = compile_encoder(schema, self.codec)
        if not self.schemas_enabled:
            return _Writer(schema, b"", b"", encode)
        schema_json = b"null" if schema is None else dumps(schema_to_tree(schema, self.codec))
        return _Writer(schema, _SCHEMA_START + schema_json + b',"payload":', _CLOSE, encode)

    def _writer(self, schema: Schema) -> _Writer:
        writer = self._writers_by_id.get(id(schema))
        if writer is not None and writer.schema is schema:
            return writer
        writer = self._writers_by_schema.get(schema)
        if writer is None:
            writer = self._make_writer(schema)
            _bounded_put(self._writers_by_schema, schema, writer, self.cache_size)
        # The writer keeps `schema` alive, so its id cannot be reused while cached.
        _bounded_put(self._writers_by_id, id(schema), _Writer(schema, writer.prefix, writer.suffix, writer.encode),
                     self.cache_size)
        return writer

    def from_connect(self, topic: str, schema: Schema | None, value: Any) -> bytes | None:
        """Serialize one value (Kafka's `fromConnectData`); None for a null schema and value."""
        if schema is None:
            if value is None:
                return None
            return self._schemaless_writer.write(value)
        return self._writer(schema).write(value)

    def from_connect_batch(self, topic: str | Sequence[str], items: Sequence[SchemaAndValue]) -> list[bytes | None]:
        """Serialize many values; a batch sharing one schema object skips the per-value lookups."""
        if not items:
            return []
        first = items[0][0]
        if first is None and not any(map(_itemgetter0, items)) and all(map(partial(is_, None), map(_itemgetter1, items))):
            return [None] * len(items)  # null keys of schemaless records: the common case for keys
        if first is not None and all(map(partial(is_, first), map(_itemgetter0, items))):
            return self._write_same_schema(self._writer(first), list(map(_itemgetter1, items)))
        if first is None and not any(map(_itemgetter0, items)):
            values = list(map(_itemgetter1, items))
            if flat_maps_writable_as_is(values):
                writer = self._schemaless_writer
                dumped = dump_each(values, writer.prefix, writer.suffix)
                if dumped is not None:
                    return cast("list[bytes | None]", dumped)  # lists are invariant; no copy on this path
        write_one = self.from_connect
        return [write_one("", schema, value) for schema, value in items]

    def from_connect_values(self, topic: str, schema: Schema | None, values: Sequence[Any]) -> list[bytes | None]:
        """Serialize many values of one schema without pairing each with it first."""
        if schema is None or not values:
            return self.from_connect_batch(topic, [(schema, v) for v in values])
        return self._write_same_schema(self._writer(schema), list(values))

    def _write_same_schema(self, writer: _Writer, values: list[Any]) -> list[bytes | None]:
        if writer.plain_string and set(map(type, values)) == {str}:
            out = writer.write_strings(values)
            if out is not None:
                return out
        write = writer.write
        return [write(v) for v in values]

    # ------------------------------------------------------------------ reading

    def _reader_for_tree(self, tree: Any) -> _Reader:
        if tree is None:
            return self._schemaless_reader
        try:
            key = orjson.dumps(tree, default=_decimal_fragment)
        except orjson.JSONEncodeError:  # a lone surrogate in the schema (Jackson reads those in strings)
            key = b"\0" + repr(tree).encode("utf-8", "surrogatepass")
        reader = self._readers_by_tree.get(key)
        if reader is None:
            schema = tree_to_schema(tree, self.codec)
            reader = _Reader(schema, compile_decoder(schema, self.codec))
            _bounded_put(self._readers_by_tree, key, reader, self.cache_size)
        return reader

    def _read_envelope(self, data: bytes) -> SchemaAndValue:
        exact = DECIMAL_NAME_BYTES in data
        try:
            return self._read_envelope_as(data, exact)
        except NeedsExactParse:
            return self._read_envelope_as(data, True)

    def _read_envelope_as(self, data: bytes, exact: bool) -> SchemaAndValue:
        node = parse(data, exact)
        if type(node) is not dict or len(node) != 2 or "schema" not in node or "payload" not in node:
            raise DataException(ENVELOPE_ERROR)
        reader = self._reader_for_tree(node["schema"])
        if reader.exact and not exact:
            exact = True
            node = parse(data, exact)
        self._remember_prefix(data, node["schema"], reader, exact)
        if reader.schema is None:
            return None, decode_schemaless_from(node["payload"], data, exact, envelope=True)
        return reader.schema, reader.decode(node["payload"])

    def _remember_prefix(self, data: bytes, schema_tree: Any, reader: _Reader, exact: bool) -> None:
        """Cache `{"schema":<text>,"payload":` when <text> is exactly this envelope's schema."""
        if not data.startswith(_SCHEMA_START) or self.cache_size <= 0:
            return
        end = data.find(_PAYLOAD_KEY, len(_SCHEMA_START))
        if end < 0:
            return
        prefix = data[: end + len(_PAYLOAD_KEY)]
        if prefix in self._readers_by_prefix:
            return
        try:
            # A complete JSON value followed by ',"payload":' must be the envelope's schema.
            same = loads_strict(data[len(_SCHEMA_START):end], exact) == schema_tree
        except ValueError:
            same = False
        if same:
            _bounded_put(self._readers_by_prefix, prefix, reader, self.cache_size)

    def _read_known(self, data: bytes) -> tuple[bool, SchemaAndValue]:
        """Fast path: an envelope whose schema text was seen before. (False, ...) when not applicable."""
        end = data.find(_PAYLOAD_KEY, len(_SCHEMA_START))
        if end < 0 or not data.endswith(_CLOSE):
            return False, (None, None)
        reader = self._readers_by_prefix.get(data[: end + len(_PAYLOAD_KEY)])
        if reader is None:
            return False, (None, None)
        body = data[end + len(_PAYLOAD_KEY): -1]
        try:
            node = loads_strict(body, reader.exact)
        except ValueError:
            return False, (None, None)
        if reader.schema is None:
            return True, (None, decode_schemaless_from(node, body, reader.exact))
        try:
            return True, (reader.schema, reader.decode(node))
        except NeedsExactParse:
            return False, (None, None)

    def to_connect(self, topic: str, data: bytes | None) -> SchemaAndValue:
        """Deserialize one value (Kafka's `toConnectData`); null bytes give `(None, None)`."""
        if data is None:
            return None, None
        if type(data) is not bytes:
            data = data.encode() if isinstance(data, str) else bytes(data)
        if not self.schemas_enabled:
            node = parse(data)
            if node is MISSING:
                return None, None
            return None, decode_schemaless_from(node, data, False)
        if data.startswith(_SCHEMA_START):
            done, result = self._read_known(data)
            if done:
                return result
        return self._read_envelope(data)

    def to_connect_batch(self, topic: str | Sequence[str], datas: Sequence[bytes | None]) -> list[SchemaAndValue]:
        """Deserialize many values.

        When every envelope carries the schema text of the first one (the usual case), the
        checks, slicing and payload parsing run as C-level `map`s over the whole batch.
        """
        if not datas:
            return []
        if datas.count(None) == len(datas):  # null keys (the usual key of a topic without keys)
            return [(None, None)] * len(datas)
        if not self.schemas_enabled:
            result = self._read_bare_batch(datas)
        else:
            result = self._read_same_schema_batch(datas)
        if result is not None:
            return result
        return self._read_mixed_batch(datas)

    def _read_bare_batch(self, datas: Sequence[bytes | None]) -> list[SchemaAndValue] | None:
        try:
            nodes = list(map(orjson.loads, datas))  # type: ignore[arg-type]
        except (TypeError, orjson.JSONDecodeError):
            return None  # None, empty or lenient JSON somewhere: item by item
        if set(map(type, nodes)) <= _SCALAR_NODES:
            return list(zip(repeat(None), nodes))
        joined = b"\n".join(datas)  # type: ignore[arg-type]
        if not has_long_digit_run(joined) and b"-0" not in joined:
            # No integer beyond int64 anywhere: the trees only need their maps in Kafka's order.
            if joined.count(b"{") == len(nodes) and b"[" not in joined:
                same = java_ordered_flat_maps(nodes)  # one `{` each: flat maps, usually of one shape
                if same is not None:
                    return list(zip(repeat(None), same))
            return list(zip(repeat(None), map(java_ordered, nodes)))
        return list(zip(repeat(None), map(decode_schemaless_from, nodes, datas, repeat(False))))  # type: ignore[arg-type]

    def _same_schema_prefix(self, datas: Sequence[bytes | None]) -> tuple[_Reader, bytes] | None:
        """The reader and the envelope prefix (up to `"payload":`) that every envelope of `datas` starts with,
        all ending with `}`; None when the batch is not such (the item-by-item path reads it)."""
        first = datas[0]
        if type(first) is not bytes or not first.startswith(_SCHEMA_START):
            return None
        try:
            self.to_connect("", first)  # caches the schema text when it is plain
        except DataException:
            return None  # reported by the item-by-item path
        end = first.find(_PAYLOAD_KEY, len(_SCHEMA_START))
        prefix = first[: end + len(_PAYLOAD_KEY)]
        reader = self._readers_by_prefix.get(prefix) if end > 0 else None
        if reader is None or reader.exact or reader.schema is None:
            return None
        try:
            if not (all(map(bytes.startswith, datas, repeat(prefix)))  # type: ignore[arg-type]
                    and all(map(bytes.endswith, datas, repeat(_CLOSE)))):  # type: ignore[arg-type]
                return None
        except (AttributeError, TypeError):
            return None
        return reader, prefix

    def _same_schema_nodes(self, datas: Sequence[bytes | None]) -> tuple[_Reader, list[Any]] | None:
        """The payload nodes of envelopes that all carry the schema text of the first, with its reader;
        None when the batch is not such (the item-by-item path reads it)."""
        found = self._same_schema_prefix(datas)
        if found is None:
            return None
        reader, prefix = found
        try:
            nodes = list(map(orjson.loads, map(itemgetter(slice(len(prefix), -1)), datas)))  # type: ignore[arg-type]
        except orjson.JSONDecodeError:
            return None
        return reader, nodes

    def _read_same_schema_batch(self, datas: Sequence[bytes | None]) -> list[SchemaAndValue] | None:
        found = self._same_schema_nodes(datas)
        if found is None:
            return None
        reader, nodes = found
        if reader.plain_string and set(map(type, nodes)) == _STR_ONLY:
            values: list[Any] = nodes
        else:
            try:
                values = list(map(reader.decode, nodes))
            except NeedsExactParse:
                return None
        return list(zip(repeat(reader.schema), values))

    def to_connect_columns(self, datas: Sequence[bytes | None]) -> FlatColumns | None:
        """Envelopes of one flat struct schema (fields of plain types, no logical types or defaults), every
        payload an object whose fields hold the JSON kind of their type (ints in range, non-zero floats,
        strings, booleans; null for optional fields), as columns: the values `to_connect_batch` gives,
        without a `Struct` per value (`FlatColumns.values()` builds them, the same way). None otherwise.

        The payloads are decoded by msgspec against the field types where it can (`converters.json_typed`),
        else parsed by orjson and their nodes checked column by column."""
        if not datas or not self.schemas_enabled:
            return None
        found = self._same_schema_prefix(datas)
        if found is None:
            return None
        reader, prefix = found
        schema = reader.schema
        fields = flat_fields(schema)
        if schema is None or fields is None:
            return None
        names = [f[0] for f in fields]
        payloads = list(map(itemgetter(slice(len(prefix), -1)), datas))  # type: ignore[arg-type]
        if prefix not in self._typed:
            _bounded_put(self._typed, prefix, typed_payloads(fields), self.cache_size)
        typed = self._typed.get(prefix)
        if typed is not None:
            typed_columns = typed.columns(payloads)
            if typed_columns is not None:
                return FlatColumns(schema, names, typed_columns)
        try:
            nodes = list(map(orjson.loads, payloads))
        except orjson.JSONDecodeError:
            return None
        if set(map(type, nodes)) != _DICT_ONLY:
            return None
        columns = []
        for name, kind, optional in fields:
            column = list(map(dict.get, nodes, repeat(name)))
            if not column_is_plain(column, kind, optional):
                return None
            columns.append(column)
        return FlatColumns(schema, names, columns, reader.decode, nodes)

    def _read_mixed_batch(self, datas: Sequence[bytes | None]) -> list[SchemaAndValue]:
        """Item by item; envelopes with the same schema text as the previous one skip the lookups."""
        out: list[SchemaAndValue] = []
        append = out.append
        loads = orjson.loads
        last_prefix = _NEVER  # the envelope prefix of the previous item, when it was a plain cached one
        last_len = 0
        schema: Schema | None = None
        decode: Decoder = decode_schemaless
        schemas_enabled = self.schemas_enabled
        for data in datas:
            if type(data) is bytes and data.startswith(last_prefix) and data.endswith(_CLOSE):
                try:
                    append((schema, decode(loads(data[last_len:-1]))))
                    continue
                except (orjson.JSONDecodeError, NeedsExactParse):
                    pass
            append(self.to_connect("", data))
            if schemas_enabled and type(data) is bytes and data.startswith(_SCHEMA_START):
                end = data.find(_PAYLOAD_KEY, len(_SCHEMA_START))
                reader = self._readers_by_prefix.get(data[: end + len(_PAYLOAD_KEY)]) if end > 0 else None
                if reader is not None and not reader.exact and reader.schema is not None:
                    last_prefix = data[: end + len(_PAYLOAD_KEY)]
                    last_len = len(last_prefix)
                    schema, decode = reader.schema, reader.decode
        return out


_STR_ONLY = {str}
_DICT_ONLY = {dict}
_SCALAR_NODES = {str, bool, type(None)}  # not float: -0.0, or an integer orjson read as a float


def _decimal_fragment(value: Any) -> Any:
    """orjson `default`: write a Decimal node with its literal digits (cache keys of exact trees)."""
    return orjson.Fragment(str(value))


__all__ = ["ENVELOPE_ERROR", "JsonConverter"]
