"""`AvroData`: Connect schemas and values ⇄ Avro, as Confluent's `io.confluent.connect.avro.AvroData` maps them.

What a Java worker with Confluent's AvroConverter writes, this writes, so subjects that Java
connectors registered keep their ids and versions::

    data = AvroData()
    data.from_connect_schema(SchemaBuilder.struct().field("id", INT64_SCHEMA).build())
    # {"type": "record", "name": "ConnectDefault", "namespace": "io.confluent.connect.avro",
    #  "fields": [{"name": "id", "type": "long"}]}
    avro_schema_json(that)   # the schema text, in the key order Java's Avro writes

The mapping (from Confluent's AvroData): unnamed structs are records `io.confluent.connect.avro.ConnectDefault`
(then `ConnectDefault2`, ...); `connect.doc`/`connect.version`/`connect.parameters`/`connect.default`/
`connect.name` props keep what Avro cannot say; int8/int16 are ints with `connect.type`; optional schemas
are unions with null first (null second when there is a default, so the default is valid Avro); maps
with non-string keys are arrays of `io.confluent.connect.avro.MapEntry{key, value}` records; Decimal
is bytes with `logicalType: decimal`, `precision` (64 unless `connect.decimal.precision`) and `scale`;
Date, Time and Timestamp are `date`, `time-millis` and `timestamp-millis`.

Values are converted by functions compiled once per schema (`value_to_avro`, `value_to_connect`);
fastavro then reads and writes the Avro binary of the plain values (see `avro.py`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pyconnect_flow.converters.scrub_names import scrub_name as scrub_invalid
from pyconnect_flow.data.exceptions import DataException
from pyconnect_flow.data.logical import (
    DATE_NAME,
    DECIMAL_NAME,
    DECIMAL_SCALE,
    TIME_NAME,
    TIMESTAMP_NAME,
    date_builder,
    date_from_days,
    date_to_days,
    decimal_builder,
    decimal_from_bytes,
    decimal_to_bytes,
    time_builder,
    time_from_millis,
    time_to_millis,
    timestamp_builder,
    timestamp_from_millis,
    timestamp_to_millis,
)
from pyconnect_flow.data.schema import Schema, SchemaBuilder, Type
from pyconnect_flow.data.struct import Struct

NAMESPACE = "io.confluent.connect.avro"
DEFAULT_SCHEMA_NAME = "ConnectDefault"
DEFAULT_SCHEMA_FULL_NAME = NAMESPACE + "." + DEFAULT_SCHEMA_NAME
MAP_ENTRY_TYPE_NAME = "MapEntry"
CONNECT_NAME_PROP = "connect.name"
CONNECT_DOC_PROP = "connect.doc"
CONNECT_VERSION_PROP = "connect.version"
CONNECT_DEFAULT_VALUE_PROP = "connect.default"
CONNECT_PARAMETERS_PROP = "connect.parameters"
CONNECT_INTERNAL_TYPE_NAME = "connect.internal.type"
CONNECT_TYPE_PROP = "connect.type"
AVRO_RECORD_DOC_PROP = NAMESPACE + ".record.doc"
AVRO_FIELD_DOC_PREFIX_PROP = NAMESPACE + ".field.doc."
AVRO_FIELD_DEFAULT_FLAG_PROP = NAMESPACE + ".field.default"
AVRO_ENUM_DOC_PREFIX_PROP = NAMESPACE + ".enum.doc."
AVRO_ENUM_DEFAULT_PREFIX_PROP = NAMESPACE + ".enum.default."
AVRO_TYPE_UNION = NAMESPACE + ".Union"
AVRO_TYPE_ENUM = NAMESPACE + ".Enum"
CONNECT_AVRO_FIXED_SIZE_PROP = "connect.fixed.size"
CONNECT_AVRO_DECIMAL_PRECISION_PROP = "connect.decimal.precision"
CONNECT_AVRO_DECIMAL_PRECISION_DEFAULT = 64

_PRIMITIVE_AVRO = {
    Type.INT8: "int", Type.INT16: "int", Type.INT32: "int", Type.INT64: "long", Type.FLOAT32: "float",
    Type.FLOAT64: "double", Type.BOOLEAN: "boolean", Type.STRING: "string", Type.BYTES: "bytes",
}
_NAMED = ("record", "enum", "fixed")

AvroSchema = Any
"""An Avro schema as parsed JSON: a type name (str), a dict, or a list (a union)."""


@dataclass(frozen=True)
class AvroDataConfig:
    """The `AvroDataConfig` keys that change the mapping (Confluent's names in `avro.py`'s CONFIG)."""

    connect_meta_data: bool = True
    enhanced_avro_schema_support: bool = False
    scrub_invalid_names: bool = False
    schemas_cache_size: int = 1000


# ----------------------------------------------------------------------------- names


def scrub_name(name: str) -> str:
    """An Avro-valid name for `name`, as `AvroData.doScrubName` (`converters.scrub_names`)."""
    return scrub_invalid(name)


def _split_name(full: str, scrub: bool) -> tuple[str | None, str]:
    parts = full.split(".")
    if scrub:
        parts = [scrub_name(p) for p in parts]
    if len(parts) <= 1:
        return None, parts[0]
    return ".".join(parts[:-1]), parts[-1]


# ----------------------------------------------------------------------------- schema text


def avro_schema_json(schema: AvroSchema) -> str:
    """The schema text Java's Avro `Schema.toString()` writes: compact, named types defined once.

    A named type seen again is written as its name (relative to the enclosing namespace), and a
    `namespace` only where it differs from the enclosing one, as Java does.
    """
    return json.dumps(_for_json(schema, None, set()), ensure_ascii=False, separators=(",", ":"))


def _for_json(node: AvroSchema, space: str | None, seen: set[str]) -> Any:
    if isinstance(node, list):
        return [_for_json(n, space, seen) for n in node]
    if not isinstance(node, dict):
        return node
    kind = node["type"]
    if kind in _NAMED:
        ns = node.get("namespace")
        full = f"{ns}.{node['name']}" if ns else node["name"]
        if full in seen:
            return node["name"] if ns == space else full
        seen.add(full)
        out: dict[str, Any] = {"type": kind, "name": node["name"]}
        if ns is not None and ns != space:
            out["namespace"] = ns
        elif ns is None and space is not None:
            out["namespace"] = ""
        for key, value in node.items():
            if key in ("type", "name", "namespace"):
                continue
            if key == "fields":
                out["fields"] = [{k: (_for_json(v, ns, seen) if k == "type" else v) for k, v in f.items()}
                                 for f in value]
            else:
                out[key] = value
        return out
    out = {}
    for key, value in node.items():
        out[key] = _for_json(value, space, seen) if key in ("items", "values") else value
    return out


# ----------------------------------------------------------------------------- Connect → Avro


def _default_to_json(schema: Schema, value: Any, scrub: bool) -> Any:
    """A Connect default in Avro's JSON form (`AvroData.defaultValueFromConnect`)."""
    if value is None:
        return None
    name = schema.name
    if name == DECIMAL_NAME:
        return decimal_to_bytes(schema, value).decode("latin-1")
    if name == DATE_NAME:
        return date_to_days(value)
    if name == TIME_NAME:
        return time_to_millis(value)
    if name == TIMESTAMP_NAME:
        return timestamp_to_millis(value)
    t = schema.type
    if t is Type.BYTES:
        return bytes(value).decode("latin-1")
    if t in (Type.FLOAT32, Type.FLOAT64):
        return float(value)
    if t is Type.ARRAY:
        assert schema.value_schema is not None
        return [_default_to_json(schema.value_schema, v, scrub) for v in value]
    if t is Type.MAP:
        assert schema.key_schema is not None and schema.value_schema is not None
        if schema.key_schema.type is Type.STRING and not schema.key_schema.optional:
            return {k: _default_to_json(schema.value_schema, v, scrub) for k, v in value.items()}
        return [[_default_to_json(schema.key_schema, k, scrub), _default_to_json(schema.value_schema, v, scrub)]
                for k, v in value.items()]
    if t is Type.STRUCT:
        assert schema.fields is not None
        return {(scrub_name(f.name) if scrub else f.name): _default_to_json(f.schema, value.get(f.name), scrub)
                for f in schema.fields}
    return value


def _non_optional(schema: Schema) -> Schema:
    return Schema(type=schema.type, optional=False, default=schema.default, name=schema.name,
                  version=schema.version, doc=schema.doc, parameters=schema.parameters, fields=schema.fields,
                  key_schema=schema.key_schema, value_schema=schema.value_schema)


def _is_enum(schema: Schema) -> bool:
    return schema.type is Type.STRING and bool(schema.parameters) and AVRO_TYPE_ENUM in (schema.parameters or {})


class _FromConnect:
    """One `fromConnectSchema` call: names given to unnamed records, schemas already converted."""

    def __init__(self, data: AvroData) -> None:
        self.config = data.config
        self.index = 0
        self.done: dict[Schema, AvroSchema] = {}

    def name_or_default(self, name: str | None) -> tuple[str | None, str]:
        if name is not None:
            return _split_name(name, self.config.scrub_invalid_names)
        self.index += 1
        return NAMESPACE, DEFAULT_SCHEMA_NAME + (str(self.index) if self.index > 1 else "")

    def field(self, name: str, schema: Schema, doc: str | None) -> dict[str, Any]:
        avro = self.convert(schema)
        out: dict[str, Any] = {"name": name, "type": avro}
        if doc is not None:
            out["doc"] = doc
        if schema.default is not None:
            default = _default_to_json(schema, schema.default, self.config.scrub_invalid_names)
            # Avro refuses a union's default that is not of its first branch: Java logs and drops it.
            if not (isinstance(avro, list) and avro and avro[0] == "null"):
                out["default"] = default
        elif schema.optional:
            out["default"] = None
        return out

    def convert(self, schema: Schema, ignore_optional: bool = False) -> AvroSchema:
        if not schema.optional:
            cached = self.done.get(schema)
            if cached is not None:
                return cached
        cfg = self.config
        params = schema.parameters or {}
        connect_type: str | None = None
        base: AvroSchema
        t = schema.type
        if t in (Type.INT8, Type.INT16):
            connect_type = t.value
            base = {"type": "int"}
        elif t is Type.STRING and cfg.enhanced_avro_schema_support and _is_enum(schema):
            _, short = self.name_or_default(schema.name)
            prefix = AVRO_TYPE_ENUM + "."
            symbols = [k[len(prefix):] for k in params if k.startswith(prefix)]
            ens, ename = _split_name(params[AVRO_TYPE_ENUM], False)
            base = {"type": "enum", "name": ename, "namespace": ens}
            doc = params.get(AVRO_ENUM_DOC_PREFIX_PROP + short)
            if doc is not None:
                base["doc"] = doc
            base["symbols"] = symbols
            default = params.get(AVRO_ENUM_DEFAULT_PREFIX_PROP + short)
            if default is not None:
                base["default"] = default
        elif t.is_primitive:
            base = {"type": _PRIMITIVE_AVRO[t]}
            if t is Type.BYTES and schema.name == DECIMAL_NAME:
                base["scale"] = int(params[DECIMAL_SCALE])
                base["precision"] = int(params.get(CONNECT_AVRO_DECIMAL_PRECISION_PROP,
                                                   CONNECT_AVRO_DECIMAL_PRECISION_DEFAULT))
        elif t is Type.ARRAY:
            assert schema.value_schema is not None
            base = {"type": "array", "items": self.convert(schema.value_schema)}
        elif t is Type.MAP:
            assert schema.key_schema is not None and schema.value_schema is not None
            if schema.key_schema.type is Type.STRING and not schema.key_schema.optional:
                base = {"type": "map", "values": self.convert(schema.value_schema)}
            else:
                if schema.name is None:
                    entry: dict[str, Any] = {"type": "record", "name": MAP_ENTRY_TYPE_NAME, "namespace": NAMESPACE}
                else:
                    ns, short = self.name_or_default(schema.name)
                    entry = {"type": "record", "name": short, "namespace": ns}
                entry["fields"] = [self.field("key", schema.key_schema, None),
                                   self.field("value", schema.value_schema, None)]
                if schema.name is not None:
                    entry[CONNECT_INTERNAL_TYPE_NAME] = MAP_ENTRY_TYPE_NAME
                base = {"type": "array", "items": entry}
        elif schema.optional:
            # An optional struct is a union of its own: its props live on the record inside.
            union = ["null", self.convert(_non_optional(schema), False)]
            return union
        else:
            assert schema.fields is not None
            ns, short = self.name_or_default(schema.name)
            base = {"type": "record", "name": short, "namespace": ns}
            doc = params.get(AVRO_RECORD_DOC_PROP)
            if doc is not None:
                base["doc"] = doc
            base["fields"] = [
                self.field(scrub_name(f.name) if cfg.scrub_invalid_names else f.name, f.schema,
                           params.get(AVRO_FIELD_DOC_PREFIX_PROP + f.name))
                for f in schema.fields]

        if cfg.connect_meta_data:
            if schema.doc is not None:
                base[CONNECT_DOC_PROP] = schema.doc
            if schema.version is not None:
                base[CONNECT_VERSION_PROP] = schema.version
            shown = {k: v for k, v in params.items() if k != AVRO_FIELD_DEFAULT_FLAG_PROP}
            if shown:
                base[CONNECT_PARAMETERS_PROP] = shown
            if schema.default is not None and AVRO_FIELD_DEFAULT_FLAG_PROP not in params:
                base[CONNECT_DEFAULT_VALUE_PROP] = _default_to_json(schema, schema.default, cfg.scrub_invalid_names)
            if schema.name is not None:
                base[CONNECT_NAME_PROP] = schema.name
            if connect_type is not None:
                base[CONNECT_TYPE_PROP] = connect_type
        name = schema.name
        if name == DECIMAL_NAME:
            base["logicalType"] = "decimal"
        elif name == TIME_NAME and t is Type.INT32:
            base["logicalType"] = "time-millis"
        elif name == TIMESTAMP_NAME and t is Type.INT64:
            base["logicalType"] = "timestamp-millis"
        elif name == DATE_NAME and t is Type.INT32:
            base["logicalType"] = "date"
        for key, value in params.items():
            if key.startswith("avro"):
                base[key] = value
        final: AvroSchema = base["type"] if len(base) == 1 else base
        if schema.optional and not ignore_optional:
            final = [final, "null"] if schema.default is not None else ["null", final]
        else:
            self.done[schema] = final
        return final


# ----------------------------------------------------------------------------- Avro → Connect


def _props(node: AvroSchema) -> Mapping[str, Any]:
    return node if isinstance(node, dict) else {}


def _type_of(node: AvroSchema) -> str:
    if isinstance(node, list):
        return "union"
    if isinstance(node, dict):
        inner = node["type"]
        return inner if isinstance(inner, str) else _type_of(inner)
    return str(node)


class _ToConnect:
    """One `toConnectSchema` call over a schema whose named types are resolved by full name."""

    def __init__(self, data: AvroData) -> None:
        self.config = data.config
        self.named: dict[str, dict[str, Any]] = {}

    def register(self, node: AvroSchema, space: str | None) -> None:
        """Index named types by full name, so references can be resolved."""
        if isinstance(node, list):
            for n in node:
                self.register(n, space)
        elif isinstance(node, dict):
            kind = node.get("type")
            if isinstance(kind, (dict, list)):
                self.register(kind, space)
                return
            if kind in _NAMED:
                name = node["name"]
                ns = node.get("namespace", space) if "." not in name else name.rsplit(".", 1)[0]
                short = name.rsplit(".", 1)[-1]
                full = f"{ns}.{short}" if ns else short
                node["_full"] = full
                self.named[full] = node
                for f in node.get("fields", ()):
                    self.register(f["type"], ns or None)
            elif kind == "array":
                self.register(node["items"], space)
            elif kind == "map":
                self.register(node["values"], space)

    def resolve(self, node: AvroSchema) -> AvroSchema:
        if isinstance(node, str) and node in self.named:
            return self.named[node]
        if isinstance(node, str):
            for full, named in self.named.items():
                if full.rsplit(".", 1)[-1] == node:
                    return named
        if isinstance(node, dict) and isinstance(node.get("type"), (dict, list)):
            return self.resolve(node["type"])
        return node

    def convert(self, node: AvroSchema, force_optional: bool = False, field_default: Any = None,
                has_field_default: bool = False, version: int | None = None) -> Schema:
        cfg = self.config
        node = self.resolve(node)
        props = _props(node)
        kind = _type_of(node)
        logical = props.get("logicalType")
        builder: SchemaBuilder
        if kind == "boolean":
            builder = SchemaBuilder.bool()
        elif kind in ("bytes", "fixed"):
            if logical == "decimal":
                scale = props.get("scale")
                builder = decimal_builder(scale if isinstance(scale, int) else 0)
                precision = props.get("precision")
                if precision is not None and precision != CONNECT_AVRO_DECIMAL_PRECISION_DEFAULT:
                    builder.parameter(CONNECT_AVRO_DECIMAL_PRECISION_PROP, str(precision))
            else:
                builder = SchemaBuilder.bytes()
            if kind == "fixed":
                builder.parameter(CONNECT_AVRO_FIXED_SIZE_PROP, str(props["size"]))
        elif kind == "double":
            builder = SchemaBuilder.float64()
        elif kind == "float":
            builder = SchemaBuilder.float32()
        elif kind == "int":
            connect_type = props.get(CONNECT_TYPE_PROP)
            if logical == "date":
                builder = date_builder()
            elif logical == "time-millis":
                builder = time_builder()
            elif logical is None and connect_type in ("int8", "int16"):
                builder = SchemaBuilder.int8() if connect_type == "int8" else SchemaBuilder.int16()
            elif logical is None and connect_type is not None:
                raise DataException("Connect type annotation for Avro int field is null")
            else:
                builder = SchemaBuilder.int32()
        elif kind == "long":
            builder = timestamp_builder() if logical == "timestamp-millis" else SchemaBuilder.int64()
        elif kind == "string":
            builder = SchemaBuilder.string()
        elif kind == "array":
            elem = self.resolve(node["items"])
            if _is_map_entry(elem):
                fields = {f["name"]: f for f in elem["fields"]}
                if len(fields) != 2 or "key" not in fields or "value" not in fields:
                    raise DataException("Found map encoded as array of key-value pairs, but array elements "
                                        "do not match the expected format.")
                builder = SchemaBuilder.map(self.convert(fields["key"]["type"]),
                                            self.convert(fields["value"]["type"]))
            else:
                builder = SchemaBuilder.array(self.convert(elem))
        elif kind == "map":
            builder = SchemaBuilder.map(SchemaBuilder.string().build(), self.convert(node["values"]))
        elif kind == "record":
            builder = SchemaBuilder.struct()
            if cfg.connect_meta_data and node.get("doc") is not None:
                builder.parameter(AVRO_RECORD_DOC_PROP, node["doc"])
            for f in node["fields"]:
                if cfg.connect_meta_data and f.get("doc") is not None:
                    builder.parameter(AVRO_FIELD_DOC_PREFIX_PROP + f["name"], f["doc"])
                builder.field(f["name"], self.convert(f["type"], False, f.get("default"), "default" in f))
        elif kind == "enum":
            builder = SchemaBuilder.string()
            short = node["name"].rsplit(".", 1)[-1]
            if cfg.connect_meta_data:
                if node.get("doc") is not None:
                    builder.parameter(AVRO_ENUM_DOC_PREFIX_PROP + short, node["doc"])
                if node.get("default") is not None:
                    builder.parameter(AVRO_ENUM_DEFAULT_PREFIX_PROP + short, node["default"])
            builder.parameter(AVRO_TYPE_ENUM, node["_full"])
            for symbol in node["symbols"]:
                builder.parameter(AVRO_TYPE_ENUM + "." + symbol, symbol)
        elif kind == "union":
            members = node
            if len(members) == 1:
                return self.convert(members[0], False, None, False)
            if len(members) == 2 and "null" in members:
                other = members[1] if members[0] == "null" else members[0]
                # Java passes no field default down here: it survives only as `connect.default`.
                return self.convert(other, True)
            builder = SchemaBuilder.struct().name(AVRO_TYPE_UNION)
            names: set[str] = set()
            for member in members:
                if member == "null":
                    builder.optional()
                    continue
                fname = _union_member_name(self.resolve(member))
                if fname in names:
                    raise DataException("Multiple union schemas map to the Connect union field name")
                names.add(fname)
                builder.field(fname, self.convert(member, True))
        elif kind == "null":
            raise DataException("Standalone null schemas are not supported by this converter")
        else:
            raise DataException(f"Couldn't translate unsupported schema type {kind}.")

        doc = props.get(CONNECT_DOC_PROP)
        if cfg.connect_meta_data and doc is not None:
            builder.doc(doc)
        connect_version = props.get(CONNECT_VERSION_PROP)
        if connect_version is not None and (not isinstance(connect_version, int) or isinstance(connect_version, bool)):
            raise DataException(f"Invalid Connect version found: {connect_version}")
        version_int = connect_version if connect_version is not None else version
        if version_int is not None and version_int >= 0:
            if builder._version is not None and builder._version != version_int:
                raise DataException(f"Mismatched versions: version already added to SchemaBuilder ({builder._version}) "
                                    f"differs from version in source schema ({version_int})")
            builder.version(version_int)
        params = props.get(CONNECT_PARAMETERS_PROP)
        if cfg.connect_meta_data and params is not None:
            if not isinstance(params, dict):
                raise DataException(f"Expected JSON object for schema parameters but found: {params}")
            for key, value in params.items():
                if not isinstance(value, str):
                    raise DataException(f"Expected schema parameter values to be strings but found: {value}")
                builder.parameter(key, value)
        for key, value in props.items():
            if key.startswith("avro"):
                builder.parameter(key, value if isinstance(value, str) else json.dumps(value))
        connect_default = props.get(CONNECT_DEFAULT_VALUE_PROP)
        default: Any = None
        if has_field_default and field_default is not None:
            default = field_default
            if cfg.connect_meta_data and connect_default is None:
                builder.parameter(AVRO_FIELD_DEFAULT_FLAG_PROP, "true")
        elif connect_default is not None:
            default = connect_default
        name = props.get(CONNECT_NAME_PROP)
        if name is None and (kind in ("record", "enum") or (kind == "fixed" and logical != "decimal")):
            name = node.get("_full") if isinstance(node, dict) else None
        if name is not None and not name.startswith(DEFAULT_SCHEMA_FULL_NAME):
            if builder._name is not None and builder._name != name:
                raise DataException(f"Mismatched names: name already added to SchemaBuilder ({builder._name}) "
                                    f"differs from name in source schema ({name})")
            builder.name(name)
        if force_optional:
            builder.optional()
        if default is not None:
            probe = builder.build()
            try:
                builder.default_value(_default_from_json(probe, default))
            except (DataException, TypeError, ValueError, KeyError, AttributeError):
                pass  # Java logs "Ignoring invalid default" and goes on
        return builder.build()


def _is_map_entry(node: AvroSchema) -> bool:
    if not isinstance(node, dict) or node.get("type") != "record":
        return False
    return node.get("_full") == NAMESPACE + "." + MAP_ENTRY_TYPE_NAME or \
        node.get(CONNECT_INTERNAL_TYPE_NAME) == MAP_ENTRY_TYPE_NAME


def _union_member_name(node: AvroSchema) -> str:
    kind = _type_of(node)
    if kind in _NAMED:
        return str(node["_full"]).rsplit(".", 1)[-1] if "_full" in node else str(node["name"])
    return kind


def _default_from_json(schema: Schema, value: Any) -> Any:
    """A JSON default (Avro field default or `connect.default`) as a Connect value."""
    if value is None:
        return None
    name = schema.name
    t = schema.type
    if name == DECIMAL_NAME:
        return decimal_from_bytes(schema, value.encode("latin-1") if isinstance(value, str) else value)
    if name == DATE_NAME:
        return date_from_days(int(value))
    if name == TIME_NAME:
        return time_from_millis(int(value))
    if name == TIMESTAMP_NAME:
        return timestamp_from_millis(int(value))
    if t in (Type.INT8, Type.INT16, Type.INT32, Type.INT64):
        if not isinstance(value, int) or isinstance(value, bool):
            raise DataException("Invalid default")
        return value
    if t in (Type.FLOAT32, Type.FLOAT64):
        return float(value)
    if t is Type.BOOLEAN:
        if not isinstance(value, bool):
            raise DataException("Invalid default")
        return value
    if t is Type.STRING:
        if not isinstance(value, str):
            raise DataException("Invalid default")
        return value
    if t is Type.BYTES:
        return value.encode("latin-1")
    if t is Type.ARRAY:
        assert schema.value_schema is not None
        return [_default_from_json(schema.value_schema, v) for v in value]
    if t is Type.MAP:
        assert schema.key_schema is not None and schema.value_schema is not None
        if isinstance(value, dict):
            return {k: _default_from_json(schema.value_schema, v) for k, v in value.items()}
        return {_default_from_json(schema.key_schema, e[0] if isinstance(e, list) else e["key"]):
                _default_from_json(schema.value_schema, e[1] if isinstance(e, list) else e["value"]) for e in value}
    assert schema.fields is not None
    struct = Struct(schema)
    for f in schema.fields:
        if f.name in value:
            struct.put(f.name, _default_from_json(f.schema, value[f.name]))
    return struct


# ----------------------------------------------------------------------------- values

ToAvro = Callable[[Any], Any]


def _identity(value: Any) -> Any:
    return value


def _optional(convert: ToAvro, schema: Schema) -> ToAvro:
    default = schema.default

    def convert_optional(value: Any) -> Any:
        if value is None:
            value = default
            if value is None:
                return None
        return convert(value)
    return convert_optional


def _required(convert: ToAvro, schema: Schema) -> ToAvro:
    default = schema.default

    def convert_required(value: Any) -> Any:
        if value is None:
            if default is None:
                raise DataException("Found null value for non-optional schema")
            value = default
        return convert(value)
    return convert_required


def value_to_avro(schema: Schema, scrub: bool = False) -> ToAvro:
    """A function turning Connect values of `schema` into what fastavro writes (`fromConnectData`)."""
    t = schema.type
    name = schema.name
    convert: ToAvro
    if name == DECIMAL_NAME and t is Type.BYTES:
        def convert(value: Any) -> Any:
            return decimal_to_bytes(schema, value)
    elif name == DATE_NAME and t is Type.INT32:
        convert = date_to_days
    elif name == TIME_NAME and t is Type.INT32:
        convert = time_to_millis
    elif name == TIMESTAMP_NAME and t is Type.INT64:
        convert = timestamp_to_millis
    elif t is Type.BYTES:
        def convert(value: Any) -> Any:
            return value if isinstance(value, bytes) else bytes(value)
    elif t.is_primitive:
        convert = _identity
    elif t is Type.ARRAY:
        assert schema.value_schema is not None
        item = value_to_avro(schema.value_schema, scrub)

        def convert(value: Any) -> Any:
            return [item(v) for v in value]
    elif t is Type.MAP:
        assert schema.key_schema is not None and schema.value_schema is not None
        key = value_to_avro(schema.key_schema, scrub)
        val = value_to_avro(schema.value_schema, scrub)
        if schema.key_schema.type is Type.STRING and not schema.key_schema.optional:
            def convert(value: Any) -> Any:
                return {k: val(v) for k, v in value.items()}
        else:
            def convert(value: Any) -> Any:
                return [{"key": key(k), "value": val(v)} for k, v in value.items()]
    else:
        assert schema.fields is not None
        parts = [(f.name, scrub_name(f.name) if scrub else f.name, value_to_avro(f.schema, scrub))
                 for f in schema.fields]

        def convert(value: Any) -> Any:
            if not isinstance(value, Struct):
                raise DataException(f"Expected a Struct for schema {schema!r}, got {type(value).__name__}")
            raw = value._values
            return {avro_name: fn(raw.get(connect_name)) for connect_name, avro_name, fn in parts}
    if schema.optional:
        return _optional(convert, schema)
    return _required(convert, schema)


def value_to_connect(schema: Schema, node: AvroSchema, named: Mapping[str, Any] | None = None) -> ToAvro:
    """A function turning what fastavro read (with logical types off) into Connect values of `schema`."""
    t = schema.type
    name = schema.name
    convert: ToAvro
    if name == DECIMAL_NAME and t is Type.BYTES:
        def convert(value: Any) -> Any:
            return decimal_from_bytes(schema, value)
    elif name == DATE_NAME and t is Type.INT32:
        convert = date_from_days
    elif name == TIME_NAME and t is Type.INT32:
        convert = time_from_millis
    elif name == TIMESTAMP_NAME and t is Type.INT64:
        convert = timestamp_from_millis
    elif t.is_primitive:
        convert = _identity
    elif t is Type.ARRAY:
        assert schema.value_schema is not None
        item = value_to_connect(schema.value_schema, None)

        def convert(value: Any) -> Any:
            return [item(v) for v in value]
    elif t is Type.MAP:
        assert schema.key_schema is not None and schema.value_schema is not None
        key = value_to_connect(schema.key_schema, None)
        val = value_to_connect(schema.value_schema, None)

        def convert(value: Any) -> Any:
            if isinstance(value, dict):
                return {k: val(v) for k, v in value.items()}
            return {key(e["key"]): val(e["value"]) for e in value}
    elif name == AVRO_TYPE_UNION:
        assert schema.fields is not None
        branches = [(f.name, value_to_connect(f.schema, None), f.schema) for f in schema.fields]

        def convert(value: Any) -> Any:
            # fastavro reads unions with return_record_name: named branches come as (name, value).
            if isinstance(value, tuple):
                branch_name, inner = value
                short = branch_name.rsplit(".", 1)[-1]
                for fname, fn, _ in branches:
                    if fname == short:
                        return Struct.unchecked(schema, {fname: fn(inner)})
            for fname, fn, fschema in branches:
                if _python_matches(fschema, value):
                    return Struct.unchecked(schema, {fname: fn(value)})
            raise DataException("Did not find matching union field for data")
    else:
        assert schema.fields is not None
        parts = [(f.name, value_to_connect(f.schema, None)) for f in schema.fields]
        # fields read as fastavro gives them (primitives): the record's dict is reused, the others converted in it
        converted = [(f.name, fn) for f, (_, fn) in zip(schema.fields, parts)
                     if not (f.schema.type.is_primitive and f.schema.name not in (DECIMAL_NAME, DATE_NAME, TIME_NAME, TIMESTAMP_NAME))]
        size = len(parts)

        def convert(value: Any) -> Any:
            if type(value) is dict and len(value) == size:
                try:
                    updates = [(n, fn(value[n])) for n, fn in converted]
                except KeyError:
                    updates = None  # not this record's fields: the general path below says what is wrong
                if updates is not None:
                    value.update(updates)
                    return Struct.unchecked(schema, value)
            return Struct.unchecked(schema, {n: fn(value.get(n)) for n, fn in parts})

    def nullable(value: Any) -> Any:
        if value is None:
            return None
        return convert(value)
    return nullable


def _python_matches(schema: Schema, value: Any) -> bool:
    t = schema.type
    if t in (Type.INT8, Type.INT16, Type.INT32, Type.INT64):
        return isinstance(value, int) and not isinstance(value, bool)
    if t in (Type.FLOAT32, Type.FLOAT64):
        return isinstance(value, float)
    if t is Type.BOOLEAN:
        return isinstance(value, bool)
    if t is Type.STRING:
        return isinstance(value, str)
    if t is Type.BYTES:
        return isinstance(value, bytes)
    if t is Type.ARRAY:
        return isinstance(value, list)
    return isinstance(value, dict)


@dataclass
class AvroData:
    """Connect ⇄ Avro schemas, cached both ways (bounded by `schemas_cache_size`)."""

    config: AvroDataConfig = field(default_factory=AvroDataConfig)
    _from_cache: dict[Schema, AvroSchema] = field(default_factory=dict, repr=False)

    def from_connect_schema(self, schema: Schema) -> AvroSchema:
        """The Avro schema (parsed JSON) for a Connect schema, as `AvroData.fromConnectSchema`."""
        cached = self._from_cache.get(schema)
        if cached is not None:
            return cached
        avro = _FromConnect(self).convert(schema)
        if len(self._from_cache) >= max(self.config.schemas_cache_size, 1):
            del self._from_cache[next(iter(self._from_cache))]
        self._from_cache[schema] = avro
        return avro

    def to_connect_schema(self, avro: AvroSchema, version: int | None = None) -> Schema:
        """The Connect schema for an Avro schema (parsed JSON), as `AvroData.toConnectSchema`.

        `version` is the registry's version of the writer schema: the schema's version when it
        has no `connect.version` (what AvroConverter gives a sink).
        """
        avro = json.loads(json.dumps(avro))  # a private copy: named types get annotated
        ctx = _ToConnect(self)
        ctx.register(avro, None)
        return ctx.convert(avro, version=version)


__all__ = [
    "DEFAULT_SCHEMA_FULL_NAME", "NAMESPACE", "AvroData", "AvroDataConfig", "AvroSchema",
    "avro_schema_json", "scrub_name", "value_to_avro", "value_to_connect",
]
