"""Connect ⇄ JSON Schema, as Confluent's `JsonSchemaData` maps them (for `JsonSchemaConverter`).

Schemas::

    int8/16/32/64        {"type":"integer","connect.type":"int8"}        (Connect names in connect.type)
    float32/64           {"type":"number","connect.type":"float32"}
    bytes                {"type":"string","connect.type":"bytes"}          (base64 text)
    struct               {"type":"object","title":<name>,"properties":{<field>: {..., "connect.index": i}}}
    map, string keys     {"type":"object","additionalProperties":<values>,"connect.type":"map"}
    map, other keys      {"type":"array","items":{"type":"object","properties":{"key":..,"value":..}},
                          "connect.type":"map"}
    optional X           {"oneOf":[{"type":"null"}, X]}                    (connect.index on the oneOf)
    name/doc/version     title / description / connect.version; parameters in connect.parameters

Read back, a schema without Connect's properties (one a Python or Java producer registered) gives
int64 for `integer`, float64 for `number`, a struct per `object` with properties, a map per
`object` without, a `io.confluent.connect.json.OneOf` struct for other unions and a string with
`io.confluent.connect.json.Enum` parameters for `enum`/`const`. `$ref`s inside the document
(`#/definitions/…`, `#/$defs/…`) and into the schema's references (`address.json`, `address.json#/…`) are
followed; `allOf` (and what everit loads as one: a node mixing `type`
with `const`, `enum` or a combiner) maps as Confluent's allOfToConnectSchema, the properties of all its objects
as one unnamed struct. Values: logical types as
numbers (Date days, Time/Timestamp milliseconds), Decimal as base64 of the unscaled bytes
(`decimal.format=BASE64`, the default) or a number (`NUMERIC`).
"""

from __future__ import annotations

import base64
import binascii
import decimal
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from pyconnect_flow.data import logical
from pyconnect_flow.data.exceptions import DataException
from pyconnect_flow.data.java_hashmap import java_map_order
from pyconnect_flow.data.java_numbers import java_bigdecimal_str, java_double_str, java_float_str, wrap_int
from pyconnect_flow.data.schema import STRING_SCHEMA, Schema, SchemaBuilder, Type
from pyconnect_flow.data.struct import Struct

NAMESPACE = "io.confluent.connect.json"
CONNECT_TYPE = "connect.type"
CONNECT_VERSION = "connect.version"
CONNECT_PARAMETERS = "connect.parameters"
CONNECT_INDEX = "connect.index"
JSON_TYPE_ENUM = NAMESPACE + ".Enum"
JSON_TYPE_ONE_OF = NAMESPACE + ".OneOf"
NULL_MARKER = "<NULL>"

_CONNECT_TYPES = {Type.INT8: "int8", Type.INT16: "int16", Type.INT32: "int32", Type.INT64: "int64",
                  Type.FLOAT32: "float32", Type.FLOAT64: "float64"}
_BUILDERS: dict[str, Callable[[], SchemaBuilder]] = {
    "int8": SchemaBuilder.int8, "int16": SchemaBuilder.int16, "int32": SchemaBuilder.int32,
    "int64": SchemaBuilder.int64, "float32": SchemaBuilder.float32, "float64": SchemaBuilder.float64,
    "bytes": SchemaBuilder.bytes,
}

JsonTree = Any
"""A JSON value as orjson writes it (dict, list, str, int, bool, None, orjson.Fragment)."""


@dataclass(frozen=True)
class JsonSchemaDataConfig:
    """The `JsonSchemaDataConfig` keys this mapping follows."""

    decimal_numeric: bool = False              # decimal.format=NUMERIC (default BASE64)
    object_additional_properties: bool = True  # object.additional.properties
    use_optional_for_nonrequired: bool = False  # use.optional.for.nonrequired
    flatten_singleton_unions: bool = True      # flatten.singleton.unions


def _ordered(props: dict[str, Any]) -> dict[str, Any]:
    """Unprocessed properties in the order Java's HashMap gives them (everit writes them so)."""
    order = java_map_order(tuple(props))
    return props if order is None else {k: props[k] for k in order}


def _is_union(schema: Schema) -> bool:
    return schema.type is Type.STRUCT and schema.name == JSON_TYPE_ONE_OF


class JsonSchemaData:
    """Confluent's JsonSchemaData: schemas and values both ways, compiled once per schema."""

    def __init__(self, config: JsonSchemaDataConfig | None = None) -> None:
        self.config = config or JsonSchemaDataConfig()

    # ------------------------------------------------------------------ Connect schema → JSON Schema

    def from_connect_schema(self, schema: Schema) -> dict[str, Any]:
        """The JSON Schema document of a Connect schema (keys in the order Confluent writes them)."""
        return self._schema(schema, None, False)

    def _schema(self, schema: Schema, index: int | None, ignore_optional: bool) -> dict[str, Any]:
        t = schema.type
        props: dict[str, Any] = {}
        body: dict[str, Any]
        if t in _CONNECT_TYPES:
            body = {"type": "integer" if t.value.startswith("int") else "number"}
            props[CONNECT_TYPE] = _CONNECT_TYPES[t]
        elif t is Type.BOOLEAN:
            body = {"type": "boolean"}
        elif t is Type.STRING:
            params = schema.parameters or {}
            if JSON_TYPE_ENUM in params:
                symbols: list[Any] = [None if k[len(JSON_TYPE_ENUM) + 1:] == NULL_MARKER else k[len(JSON_TYPE_ENUM) + 1:]
                                      for k in params if k.startswith(JSON_TYPE_ENUM + ".")]
                body = {"enum": symbols}
            else:
                body = {"type": "string"}
        elif t is Type.BYTES:
            numeric = schema.name == logical.DECIMAL_NAME and self.config.decimal_numeric
            body = {"type": "number" if numeric else "string"}
            props[CONNECT_TYPE] = "bytes"
        elif t is Type.ARRAY:
            assert schema.value_schema is not None
            body = {"type": "array", "items": self._schema(schema.value_schema, None, False)}
        elif t is Type.MAP:
            assert schema.key_schema is not None and schema.value_schema is not None
            if schema.key_schema.type is Type.STRING and not schema.key_schema.optional:
                body = {"type": "object", "additionalProperties": self._schema(schema.value_schema, None, False)}
            else:
                entry = {"type": "object", "properties": {"key": self._schema(schema.key_schema, 0, False),
                                                          "value": self._schema(schema.value_schema, 1, False)}}
                body = {"type": "array", "items": entry}
            props[CONNECT_TYPE] = "map"
        elif t is Type.STRUCT:
            if _is_union(schema):
                subs: list[Any] = [{"type": "null"}] if schema.optional else []
                subs += [self._schema(_required(f.schema), f.index, True) for f in schema.fields or ()]
                out: dict[str, Any] = {"oneOf": subs}
                if index is not None:
                    out[CONNECT_INDEX] = index
                return out
            if schema.optional and not ignore_optional:
                out = {"oneOf": [{"type": "null"}, self._schema(_required(schema), None, False)]}
                if index is not None:
                    out[CONNECT_INDEX] = index
                return out
            body = {"type": "object",
                    "properties": {f.name: self._schema(f.schema, f.index, False) for f in schema.fields or ()}}
            if not self.config.object_additional_properties:
                body["additionalProperties"] = False
        else:
            raise DataException(f"Unsupported type {t.name}")
        head: dict[str, Any] = {}
        if schema.name is not None:
            head["title"] = schema.name
        if schema.doc is not None:
            head["description"] = schema.doc
        if schema.default is not None:
            head["default"] = orjson.loads(orjson.dumps(self.value_encoder(schema)(schema.default)))
        if schema.version is not None:
            props[CONNECT_VERSION] = schema.version
        params = {k: v for k, v in (schema.parameters or {}).items() if not k.startswith(NAMESPACE)}
        if params:
            props[CONNECT_PARAMETERS] = params
        node = {**head, **body}
        if schema.optional and not ignore_optional:
            node.update(_ordered(props))
            out = {"oneOf": [{"type": "null"}, node]}
            if index is not None:
                out[CONNECT_INDEX] = index
            return out
        if index is not None:
            props[CONNECT_INDEX] = index
        node.update(_ordered(props))
        return node

    # ------------------------------------------------------------------ JSON Schema → Connect schema

    def to_connect_schema(self, document: Any, version: int | None = None,
                          references: Mapping[str, Any] | None = None) -> Schema:
        """The Connect schema of a JSON Schema document; DataException if unsupported. `$ref`s are followed
        inside the document and into `references` (a schema reference's name → its document: `"$ref":
        "address.json"` or `"address.json#/definitions/…"`, as Confluent's registry references resolve)."""
        return _ToConnect(self.config, document, references).schema(document, version, False)

    # ------------------------------------------------------------------ values

    def value_encoder(self, schema: Schema) -> Callable[[Any], JsonTree]:
        """Connect value → JSON tree (`fromConnectData`), compiled for `schema`."""
        return _encoder(schema, self.config)

    def value_decoder(self, schema: Schema) -> Callable[[Any], Any]:
        """JSON tree (as orjson parsed it) → Connect value (`toConnectData`), compiled for `schema`."""
        return _decoder(schema)


def _required(schema: Schema) -> Schema:
    if not schema.optional:
        return schema
    return SchemaBuilder.from_schema(schema).optional(False).build()


class _ToConnect:
    def __init__(self, config: JsonSchemaDataConfig, root: Any, references: Mapping[str, Any] | None = None) -> None:
        self.config = config
        self.root = root
        self.references = dict(references or {})
        self.resolving: set[str] = set()

    def _document(self, ref: str) -> tuple[Any, str]:
        """The document a `$ref` points into (this one, or a referenced one by its name) and the fragment."""
        name, _, fragment = ref.partition("#")
        if not name:
            return self.root, fragment
        if name not in self.references:
            raise DataException(f"JSON Schema reference {ref!r} is not supported: it names no schema reference of "
                                f"this schema (references: {sorted(self.references)})")
        return self.references[name], fragment

    def _resolve(self, ref: str) -> Any:
        if ref in self.resolving:
            raise DataException(f"JSON Schema reference {ref!r} is recursive: not supported")
        node, fragment = self._document(ref)
        for part in fragment.split("/")[1:] if fragment else []:
            part = part.replace("~1", "/").replace("~0", "~")
            try:
                node = node[int(part)] if isinstance(node, list) else node[part]
            except (KeyError, IndexError, ValueError, TypeError):
                raise DataException(f"JSON Schema reference {ref!r} not found") from None
        return node

    def schema(self, node: Any, version: int | None, force_optional: bool) -> Schema:
        if node is True or node == {}:
            raise DataException("JSON Schema with no type (an empty schema) is not supported")
        if not isinstance(node, dict):
            raise DataException(f"Invalid JSON Schema node: {node!r}")
        if "$ref" in node:
            ref = node["$ref"]
            target = self._resolve(ref)
            self.resolving.add(ref)
            root = self.root
            if not ref.startswith("#"):  # inside a referenced document, its own '#/…' refs are its own
                self.root = self._document(ref)[0]
            try:
                return self.schema(target, version, force_optional)
            finally:
                self.resolving.discard(ref)
                self.root = root
        parts = _everit_parts(node)
        if len(parts) > 1:  # everit loads several kinds of keywords as a synthetic allOf of each
            return self._all_of(parts, version, force_optional)
        if "allOf" in node:
            subs = node["allOf"]
            if len(subs) == 1 and self.config.flatten_singleton_unions:
                return self.schema(subs[0], None, False)
            return self._all_of(subs, version, force_optional)
        type_ = node.get("type")
        if isinstance(type_, list):
            subs = [{**{k: v for k, v in node.items() if k != "type"}, "type": x} for x in type_]
            if len(subs) == 1:
                return self.schema(subs[0], version, force_optional)
            return self._union({"anyOf": subs}, subs, version, force_optional)
        for key in ("oneOf", "anyOf"):
            if key in node:
                return self._union(node, node[key], version, force_optional)
        builder: SchemaBuilder
        ctype = node.get(CONNECT_TYPE)
        if "enum" in node or "const" in node:
            builder = _enum(node["enum"] if "enum" in node else [node["const"]])
        elif type_ == "boolean":
            builder = SchemaBuilder.bool()
        elif type_ in ("integer", "number"):
            if ctype is None:
                builder = SchemaBuilder.int64() if type_ == "integer" else SchemaBuilder.float64()
            elif ctype in _BUILDERS:
                builder = _BUILDERS[ctype]()
            else:
                raise DataException(f"Unsupported type {ctype}")
        elif type_ == "string":
            builder = SchemaBuilder.bytes() if ctype == "bytes" else SchemaBuilder.string()
        elif type_ == "array":
            items = node.get("items")
            if not isinstance(items, dict):
                raise DataException("Array schema did not specify the items type")
            if ctype == "map" and items.get("type") == "object":
                entry = items.get("properties", {})
                builder = SchemaBuilder.map(self.schema(entry.get("key"), None, False),
                                            self.schema(entry.get("value"), None, False))
            else:
                builder = SchemaBuilder.array(self.schema(items, None, False))
        elif type_ == "object" or "properties" in node:
            if ctype == "map":
                builder = SchemaBuilder.map(STRING_SCHEMA, self.schema(node.get("additionalProperties"), None, False))
            else:
                builder = self._struct(node)
        elif type_ == "null":
            raise DataException("JSON Schema of type null alone is not supported")
        else:
            raise DataException(f"Unsupported JSON Schema type {type_!r}")
        return self._finish(builder, node, version, force_optional)

    def _deref(self, node: Any) -> Any:
        seen: set[str] = set()
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"] not in seen:
            seen.add(node["$ref"])
            node = self._resolve(node["$ref"])
        return node

    def _all_of(self, subs: list[Any], version: int | None, force_optional: bool) -> Schema:
        """Confluent's allOfToConnectSchema: the properties of every object among `subs` (through `$ref`s and
        nested allOfs) as one unnamed struct; else the union, the string or number a const or enum narrows,
        or what a lone reference names."""
        kinds: dict[str, Any] = {}
        properties: dict[str, Any] = {}
        required: dict[str, bool] = {}
        for sub in subs:
            resolved = self._deref(sub)
            if isinstance(sub, dict) and "$ref" in sub:
                kinds["reference"] = sub
            elif isinstance(resolved, dict):
                if "const" in resolved:
                    kinds["const"] = resolved
                elif "enum" in resolved:
                    kinds["enum"] = resolved
                elif "oneOf" in resolved or "anyOf" in resolved or "allOf" in resolved \
                        or isinstance(resolved.get("type"), list):
                    kinds["combined"] = resolved
                elif resolved.get("type") in ("integer", "number"):
                    kinds["number"] = resolved
                elif resolved.get("type") == "string":
                    kinds["string"] = resolved
            self._collect(sub, properties, required, set())
        if properties:
            builder = SchemaBuilder.struct()
            for name, sub in properties.items():
                optional = self.config.use_optional_for_nonrequired and not required[name]
                builder.field(name, self.schema(sub, None, optional))
            if force_optional:
                builder.optional()
            return builder.build()
        chosen: Any = None
        if "combined" in kinds:
            chosen = kinds["combined"]
        elif "const" in kinds:
            chosen = kinds.get("string") or kinds.get("number")
        elif "enum" in kinds:
            chosen = kinds["enum"] if "string" in kinds else kinds.get("number")
        elif "string" in kinds and "format" in kinds["string"]:
            chosen = kinds.get("number") or kinds["string"]
        elif "reference" in kinds:
            chosen = kinds["reference"]
        if chosen is None:
            raise DataException(f"Unsupported criterion ALL for {subs!r}")
        return self.schema(chosen, version, force_optional)

    def _collect(self, node: Any, properties: dict[str, Any], required: dict[str, bool], seen: set[int]) -> None:
        """Confluent's collectPropertySchemas: properties of objects, through `$ref`s and nested allOfs."""
        if not isinstance(node, dict) or id(node) in seen:
            return
        seen.add(id(node))
        if isinstance(node.get("$ref"), str):
            self._collect(self._resolve(node["$ref"]), properties, required, seen)
            return
        parts = _everit_parts(node)
        if len(parts) > 1:
            for part in parts:
                self._collect(part, properties, required, seen)
            return
        if isinstance(node.get("allOf"), list):
            for sub in node["allOf"]:
                self._collect(sub, properties, required, seen)
        elif isinstance(node.get("properties"), dict):
            props = node["properties"]
            names = set(node.get("required") or ())
            for name in java_map_order(tuple(props)) or tuple(props):  # everit keeps properties in a HashMap
                properties[name] = props[name]
                required[name] = name in names

    def _struct(self, node: dict[str, Any]) -> SchemaBuilder:
        builder = SchemaBuilder.struct()
        properties: dict[str, Any] = node.get("properties") or {}
        order = java_map_order(tuple(properties)) or tuple(properties)  # everit keeps properties in a HashMap
        indexed: dict[int, str] = {}
        for name in order:
            sub = properties[name]
            index = sub.get(CONNECT_INDEX) if isinstance(sub, dict) else None
            indexed[index if isinstance(index, int) else len(indexed)] = name
        required = set(node.get("required") or ())
        for _, name in sorted(indexed.items()):
            optional = self.config.use_optional_for_nonrequired and name not in required
            builder.field(name, self.schema(properties[name], None, optional))
        return builder

    def _union(self, node: dict[str, Any], subs: list[Any], version: int | None, force_optional: bool) -> Schema:
        if len(subs) == 1 and self.config.flatten_singleton_unions:
            return self.schema(subs[0], None, False)
        resolved = [self._resolve(s["$ref"]) if isinstance(s, dict) and "$ref" in s else s for s in subs]
        nulls = [isinstance(s, dict) and s.get("type") == "null" for s in resolved]  # everit's NullSchema
        if len(subs) == 2 and any(nulls):
            return self.schema(subs[nulls.index(False)], version, True)
        builder = SchemaBuilder.struct().name(JSON_TYPE_ONE_OF)
        index = 0
        for sub, is_null in zip(subs, nulls):
            if is_null:
                builder.optional()
            else:
                builder.field(f"{JSON_TYPE_ONE_OF}.field.{index}", self.schema(sub, None, True))
                index += 1
        return self._finish(builder, node, version, force_optional)

    def _finish(self, builder: SchemaBuilder, node: dict[str, Any], version: int | None,
                force_optional: bool) -> Schema:
        title = node.get("title")
        if isinstance(title, str) and builder._name is None:
            builder.name(title)
        connect_version = node.get(CONNECT_VERSION)
        if isinstance(connect_version, int):
            builder.version(connect_version)
        elif version is not None:
            builder.version(version)
        if isinstance(node.get("description"), str):
            builder.doc(node["description"])
        params = node.get(CONNECT_PARAMETERS)
        if isinstance(params, dict):
            builder.parameters({**(builder._parameters or {}), **{str(k): str(v) for k, v in params.items()}})
        if force_optional:
            builder.optional()
        if "default" in node:
            bare = builder.build()
            builder.default_value(_decoder(bare)(node["default"]))
        return builder.build()


_COMBINERS = ("allOf", "anyOf", "oneOf")
#: Keywords by which everit's PropertySnifferSchemaExtractor finds a typed schema without `type`.
_SNIFFED = frozenset({
    "properties", "required", "additionalProperties", "patternProperties", "minProperties", "maxProperties",
    "dependencies", "propertyNames", "items", "additionalItems", "minItems", "maxItems", "uniqueItems", "contains",
    "minimum", "maximum", "multipleOf", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength",
    "pattern", "format",
})


def _everit_parts(node: dict[str, Any]) -> list[Any]:
    """The schemas everit's loader extracts from one object (enum, each combiner, const, the typed rest), in its
    order; more than one is loaded as their synthetic allOf (e.g. `{"type":"string","const":"x"}`)."""
    parts: list[Any] = []
    if "enum" in node:
        parts.append({"enum": node["enum"]})
    parts.extend({key: node[key]} for key in _COMBINERS if isinstance(node.get(key), list))
    if "const" in node:
        parts.append({"const": node["const"]})
    if "type" in node or _SNIFFED.intersection(node):
        rest = {k: v for k, v in node.items() if k not in ("enum", "const", *_COMBINERS)}
        parts.append(rest)
    if len(parts) > 1:
        return parts
    return [node]


def _enum(values: list[Any]) -> SchemaBuilder:
    builder = SchemaBuilder.string().parameter(JSON_TYPE_ENUM, "")
    for value in values:
        text = NULL_MARKER if value is None else str(value)
        builder.parameter(f"{JSON_TYPE_ENUM}.{text}", text)
    return builder


# ----------------------------------------------------------------------------- values: Connect → JSON


def _float64(x: Any) -> Any:
    return orjson.Fragment(java_double_str(float(x)).encode())


def _float32(x: Any) -> Any:
    return orjson.Fragment(java_float_str(float(x)).encode())


def _b64(v: Any) -> str:
    return base64.b64encode(bytes(v)).decode("ascii")


def _encoder(schema: Schema, cfg: JsonSchemaDataConfig) -> Callable[[Any], JsonTree]:
    body = _body_encoder(schema, cfg)
    default = schema.default
    encoded_default = body(default) if default is not None else None

    def encode(v: Any) -> JsonTree:
        if v is None:
            if default is not None:
                return encoded_default
            return None  # optional: JSON null; required: left out of its object, as Java's null node
        return body(v)

    return encode


_MISSING: Any = object()


def _body_encoder(schema: Schema, cfg: JsonSchemaDataConfig) -> Callable[[Any], JsonTree]:
    name = schema.name
    t = schema.type
    if name == logical.DECIMAL_NAME:
        if cfg.decimal_numeric:
            return lambda v: orjson.Fragment(java_bigdecimal_str(_decimal(v)).encode())
        return lambda v: _b64(logical.decimal_to_bytes(schema, _decimal(v)))
    if name == logical.DATE_NAME:
        return logical.date_to_days
    if name == logical.TIME_NAME:
        return logical.time_to_millis
    if name == logical.TIMESTAMP_NAME:
        return logical.timestamp_to_millis
    if t in (Type.INT8, Type.INT16, Type.INT32, Type.INT64):
        return _checked(int, t)
    if t is Type.FLOAT64:
        return _float64
    if t is Type.FLOAT32:
        return _float32
    if t is Type.BOOLEAN:
        return _checked(bool, t)
    if t is Type.STRING:
        return _checked(str, t)
    if t is Type.BYTES:
        return lambda v: _b64(v) if isinstance(v, (bytes, bytearray, memoryview)) else _bad(t, v)
    if t is Type.ARRAY:
        assert schema.value_schema is not None
        item = _encoder(schema.value_schema, cfg)
        return lambda v: [item(x) for x in v]
    if t is Type.MAP:
        assert schema.key_schema is not None and schema.value_schema is not None
        key, value = _encoder(schema.key_schema, cfg), _encoder(schema.value_schema, cfg)
        if schema.key_schema.type is Type.STRING and not schema.key_schema.optional:
            return lambda v: {key(k): value(x) for k, x in v.items()}
        return lambda v: [{"key": key(k), "value": value(x)} for k, x in v.items()]
    if t is Type.STRUCT:
        fields = [(f.name, _encoder(f.schema, cfg), f.schema.optional or f.schema.default is not None)
                  for f in schema.fields or ()]
        if _is_union(schema):
            def union(v: Any) -> JsonTree:
                for f_name, f_encode, _ in fields:
                    x = v.get(f_name)
                    if x is not None:
                        return f_encode(x)
                return None
            return union

        def struct(v: Any) -> JsonTree:
            if not isinstance(v, Struct):
                _bad(t, v)
            out: dict[str, Any] = {}
            for f_name, f_encode, keep_null in fields:
                x = v.get(f_name)
                if x is None and not keep_null:
                    continue
                out[f_name] = f_encode(x)
            return out
        return struct
    raise DataException(f"Unsupported type {t.name}")


def _decimal(v: Any) -> decimal.Decimal:
    if not isinstance(v, decimal.Decimal):
        raise DataException(f"Invalid type for Decimal, expected BigDecimal but was {type(v).__name__}")
    return v


def _bad(t: Type, v: Any) -> Any:
    raise DataException(f"Invalid type for {t.name}: {type(v).__name__}")


def _checked(kind: type, t: Type) -> Callable[[Any], Any]:
    if kind is int:
        return lambda v: v if type(v) is int else _bad(t, v)
    return lambda v: v if isinstance(v, kind) else _bad(t, v)


# ----------------------------------------------------------------------------- values: JSON → Connect


def _decoder(schema: Schema) -> Callable[[Any], Any]:
    body = _body_decoder(schema)
    default, optional, t = schema.default, schema.optional, schema.type

    def decode(node: Any) -> Any:
        if node is None or node is _MISSING:
            if default is not None:
                return default
            if node is _MISSING or optional:
                return None
            raise DataException(f"Invalid null value for required {t.name} field")
        return body(node)

    return decode


def _number(node: Any, what: str) -> Any:
    if type(node) is bool or not isinstance(node, (int, float)):
        raise DataException(f"Invalid type for {what}: expected a number but was {_node_type(node)}")
    return node


def _node_type(node: Any) -> str:
    return {dict: "OBJECT", list: "ARRAY", str: "STRING", bool: "BOOLEAN"}.get(type(node), "NUMBER")


def _body_decoder(schema: Schema) -> Callable[[Any], Any]:
    name, t = schema.name, schema.type
    if name == logical.DECIMAL_NAME:
        def dec(node: Any) -> Any:
            if isinstance(node, str):
                try:
                    return logical.decimal_from_bytes(schema, base64.b64decode(node, validate=True))
                except (binascii.Error, ValueError) as exc:
                    raise DataException("Invalid bytes for Decimal field") from exc
            if isinstance(node, (int, float)) and type(node) is not bool:
                return decimal.Decimal(str(node))
            raise DataException("Invalid type for Decimal, underlying representation should be numeric or bytes "
                                f"but was {_node_type(node)}")
        return dec
    if name in (logical.DATE_NAME, logical.TIME_NAME, logical.TIMESTAMP_NAME):
        convert = {logical.DATE_NAME: logical.date_from_days, logical.TIME_NAME: logical.time_from_millis,
                   logical.TIMESTAMP_NAME: logical.timestamp_from_millis}[name]
        label = name.rsplit(".", 1)[1]

        def temporal(node: Any) -> Any:
            if type(node) is not int:
                raise DataException(f"Invalid type for {label}, underlying representation should be integer but "
                                    f"was {_node_type(node)}")
            return convert(node)
        return temporal
    bits = {Type.INT8: 8, Type.INT16: 16, Type.INT32: 32, Type.INT64: 64}.get(t)
    if bits is not None:
        return lambda node: wrap_int(int(_number(node, t.name)), bits)
    if t in (Type.FLOAT32, Type.FLOAT64):
        return lambda node: float(_number(node, t.name))
    if t is Type.BOOLEAN:
        return lambda node: node is True
    if t is Type.STRING:
        return lambda node: node if isinstance(node, str) else None
    if t is Type.BYTES:
        def raw(node: Any) -> Any:
            if not isinstance(node, str):
                raise DataException(f"Invalid bytes field: {_node_type(node)}")
            try:
                return base64.b64decode(node, validate=True)
            except (binascii.Error, ValueError) as exc:
                raise DataException("Invalid bytes field") from exc
        return raw
    if t is Type.ARRAY:
        assert schema.value_schema is not None
        item = _decoder(schema.value_schema)

        def array(node: Any) -> Any:
            if not isinstance(node, list):
                raise DataException(f"Arrays should be encoded as JSON arrays, but found {_node_type(node)}")
            return [item(x) for x in node]
        return array
    if t is Type.MAP:
        assert schema.key_schema is not None and schema.value_schema is not None
        key, value = _decoder(schema.key_schema), _decoder(schema.value_schema)
        if schema.key_schema.type is Type.STRING and not schema.key_schema.optional:
            def object_map(node: Any) -> Any:
                if not isinstance(node, dict):
                    raise DataException("Maps with string fields should be encoded as JSON objects, but found "
                                        f"{_node_type(node)}")
                return {k: value(x) for k, x in node.items()}
            return object_map

        def entry_map(node: Any) -> Any:
            if not isinstance(node, list):
                raise DataException("Maps with non-string fields should be encoded as JSON array of objects, "
                                    f"but found {_node_type(node)}")
            out = {}
            for entry in node:
                if not isinstance(entry, dict):
                    raise DataException(f"Found invalid map entry instead of object: {_node_type(entry)}")
                if len(entry) != 2:
                    raise DataException(f"Found invalid map entry, expected length 2 but found :{len(entry)}")
                out[key(entry.get("key"))] = value(entry.get("value"))
            return out
        return entry_map
    if t is Type.STRUCT:
        if _is_union(schema):
            return _union_decoder(schema)
        fields = [(f.name, _decoder(f.schema)) for f in schema.fields or ()]

        def struct(node: Any) -> Any:
            if not isinstance(node, dict):
                raise DataException(f"Structs should be encoded as JSON objects, but found {_node_type(node)}")
            values = {}
            for f_name, f_decode in fields:
                v = f_decode(node.get(f_name, _MISSING))
                if v is not None:
                    values[f_name] = v
            return Struct(schema, values)
        return struct
    raise DataException(f"Unknown schema type: {t.name}")


_SIMPLE: dict[Type, Callable[[Any], bool]] = {
    Type.INT8: lambda n: type(n) is int, Type.INT16: lambda n: type(n) is int, Type.INT32: lambda n: type(n) is int,
    Type.INT64: lambda n: type(n) is int,
    Type.FLOAT32: lambda n: type(n) in (int, float), Type.FLOAT64: lambda n: type(n) in (int, float),
    Type.BOOLEAN: lambda n: type(n) is bool, Type.STRING: lambda n: type(n) is str, Type.BYTES: lambda n: type(n) is str,
    Type.ARRAY: lambda n: type(n) is list, Type.MAP: lambda n: type(n) is dict,
}


def _match(schema: Schema, node: Any) -> int:
    """How many of a struct schema's fields `node` has (with nested matches), as Confluent's matchStructSchema."""
    if schema.type is not Type.STRUCT or not isinstance(node, dict):
        return 0
    score = 0
    for f in schema.fields or ():
        if f.name in node:
            score += 1 + _match(f.schema, node[f.name])
    return score


def _union_decoder(schema: Schema) -> Callable[[Any], Any]:
    members = [(f.name, f.schema, _decoder(f.schema)) for f in schema.fields or ()]

    def union(node: Any) -> Any:
        best, best_score = None, 0
        for f_name, f_schema, f_decode in members:
            simple = _SIMPLE.get(f_schema.type)
            if simple is not None and simple(node):
                return Struct(schema, {f_name: f_decode(node)})
            score = _match(f_schema, node)
            if score > best_score:
                best, best_score = (f_name, f_decode), score
        if best is None:
            raise DataException("Did not find matching oneof field for data")
        return Struct(schema, {best[0]: best[1](node)})
    return union


def tree_of(document: Mapping[str, Any]) -> bytes:
    """A JSON Schema document as compact text (what is registered)."""
    return orjson.dumps(document)


__all__ = ["JsonSchemaData", "JsonSchemaDataConfig", "tree_of"]
