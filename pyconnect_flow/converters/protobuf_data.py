"""Connect ⇄ Protobuf, as Confluent's `ProtobufData` maps them with its defaults (for `ProtobufConverter`).

Writing, a struct schema becomes a proto3 file with one top-level message (the schema's name split at the
last dot into package and message name, `ConnectDefault1` when unnamed), fields numbered 1, 2, … in order
(or by the `io.confluent.connect.protobuf.Tag` parameter):

    int8/int16 → int32 with `[(confluent.field_meta).params = {connect.type: int8}]`, int32 → int32,
    int64 → int64, float32 → float, float64 → double, boolean → bool, string, bytes;
    struct → a nested message (named as the schema, `ConnectDefaultN` when unnamed), array → repeated,
    map → repeated `<Name>Entry {key = 1; value = 2}` messages, Decimal → confluent.type.Decimal (precision
    and scale in field meta), Date → google.type.Date, Time → google.type.TimeOfDay, Timestamp →
    google.protobuf.Timestamp, strings with `io.confluent.connect.protobuf.Enum` parameters → enums.

A struct named `io.confluent.connect.protobuf.Union.<name>` is a `oneof <name>` whose members are its fields
(the first non-null one is set). Optional schemas are plain proto3 fields (no wrappers, `wrapper.for.nullables=false`): a null is left
unset. Reading, every field comes back optional with its tag in `io.confluent.connect.protobuf.Tag`, the
struct named by the message's simple name; scalars always have a value (proto3's zero when unset),
messages only when set; `oneof`s are `io.confluent.connect.protobuf.Union.<name>` structs.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, timestamp_pb2, wrappers_pb2
from google.protobuf.descriptor import Descriptor, FieldDescriptor

from pyconnect_flow.converters.scrub_names import scrub_name
from pyconnect_flow.data import logical
from pyconnect_flow.data.exceptions import DataException
from pyconnect_flow.data.schema import Schema, SchemaBuilder, Type
from pyconnect_flow.data.struct import Struct

NAMESPACE = "io.confluent.connect.protobuf"
DEFAULT_SCHEMA_NAME = "ConnectDefault"
PROTOBUF_TYPE_ENUM = NAMESPACE + ".Enum"
PROTOBUF_TYPE_UNION = NAMESPACE + ".Union"
PROTOBUF_TYPE_TAG = NAMESPACE + ".Tag"
PROTOBUF_TYPE_PROP = NAMESPACE + ".Type"
CONNECT_PRECISION = "connect.decimal.precision"
DECIMAL_TYPE = "confluent.type.Decimal"
DATE_TYPE = "google.type.Date"
TIME_TYPE = "google.type.TimeOfDay"
TIMESTAMP_TYPE = "google.protobuf.Timestamp"
_IMPORTS = {DECIMAL_TYPE: "confluent/type/decimal.proto", DATE_TYPE: "google/type/date.proto",
            TIME_TYPE: "google/type/timeofday.proto", TIMESTAMP_TYPE: "google/protobuf/timestamp.proto"}
META_FILE = "confluent/meta.proto"

_F = descriptor_pb2.FieldDescriptorProto
_SCALARS = {Type.INT8: _F.TYPE_INT32, Type.INT16: _F.TYPE_INT32, Type.INT32: _F.TYPE_INT32,
            Type.INT64: _F.TYPE_INT64, Type.FLOAT32: _F.TYPE_FLOAT, Type.FLOAT64: _F.TYPE_DOUBLE,
            Type.BOOLEAN: _F.TYPE_BOOL, Type.STRING: _F.TYPE_STRING, Type.BYTES: _F.TYPE_BYTES}
_BY_NAME = {"int32": _F.TYPE_INT32, "int64": _F.TYPE_INT64, "uint32": _F.TYPE_UINT32, "uint64": _F.TYPE_UINT64,
            "sint32": _F.TYPE_SINT32, "sint64": _F.TYPE_SINT64, "fixed32": _F.TYPE_FIXED32,
            "fixed64": _F.TYPE_FIXED64, "sfixed32": _F.TYPE_SFIXED32, "sfixed64": _F.TYPE_SFIXED64}
_LOGICAL = {logical.DECIMAL_NAME: DECIMAL_TYPE, logical.DATE_NAME: DATE_TYPE, logical.TIME_NAME: TIME_TYPE,
            logical.TIMESTAMP_NAME: TIMESTAMP_TYPE}


def new_pool() -> descriptor_pool.DescriptorPool:
    """A descriptor pool with the files Confluent's schemas import without references (well-known types,
    google.type, confluent/meta.proto and confluent/type/decimal.proto)."""
    from confluent_kafka.schema_registry.confluent import meta_pb2
    from confluent_kafka.schema_registry.confluent.type import decimal_pb2
    from google.type import date_pb2, timeofday_pb2

    pool = descriptor_pool.DescriptorPool()
    for module in (descriptor_pb2, timestamp_pb2, wrappers_pb2, date_pb2, timeofday_pb2, meta_pb2, decimal_pb2):
        pool.AddSerializedFile(module.DESCRIPTOR.serialized_pb)
    return pool


def _split(full: str) -> tuple[str | None, str]:
    if "." in full:
        ns, name = full.rsplit(".", 1)
        return ns, name
    return None, full


class _FromConnect:
    """One Connect schema's file: names handed out as Confluent's FromConnectContext does."""

    def __init__(self, scrub: bool = False) -> None:
        self.default_index = 0
        self.imports: list[str] = []
        self.meta = False
        self.scrub = scrub

    def valid(self, name: str) -> str:
        """`name`, scrubbed when `scrub.invalid.names` asks for it (Confluent's scrubName)."""
        return scrub_name(name, leading_underscore=False) if self.scrub else name

    def default_name(self, name: str | None) -> str:
        if not name:
            self.default_index += 1
            return f"{DEFAULT_SCHEMA_NAME}{self.default_index}"
        return name

    def unqualified(self, name: str | None) -> str:
        return self.valid(_split(self.default_name(name))[1])

    def message(self, name: str, schema: Schema) -> descriptor_pb2.DescriptorProto:
        message = descriptor_pb2.DescriptorProto(name=name)
        index = 1
        for f in schema.fields or ():
            if is_union(f.schema):
                # Confluent's oneofDefinitionFromConnectSchema: the union struct's fields are the oneof's members,
                # named by the schema name after `io.confluent.connect.protobuf.Union.`
                assert f.schema.name is not None
                oneof_index = len(message.oneof_decl)
                message.oneof_decl.add(name=self.valid(_split(f.schema.name[len(PROTOBUF_TYPE_UNION) + 1:])[1]))
                for member in f.schema.fields or ():
                    tag_param = (member.schema.parameters or {}).get(PROTOBUF_TYPE_TAG)
                    if tag_param is None:  # Confluent leaves tag 0 here, which no descriptor accepts
                        tag_param, index = str(index), index + 1
                    self.field(message, self.valid(member.name), int(tag_param), member.schema)
                    message.field[-1].oneof_index = oneof_index
                continue
            tag_param = (f.schema.parameters or {}).get(PROTOBUF_TYPE_TAG)
            if tag_param is not None:
                tag = int(tag_param)
            else:
                tag = index
                index += 1
            self.field(message, self.valid(f.name), tag, f.schema)
        return message

    def field(self, message: descriptor_pb2.DescriptorProto, name: str, tag: int, schema: Schema) -> None:
        field = message.field.add(name=name, number=tag, label=_F.LABEL_OPTIONAL)
        if schema.type in (Type.ARRAY, Type.MAP):
            field.label = _F.LABEL_REPEATED
        if schema.type is Type.ARRAY:
            assert schema.value_schema is not None
            schema = schema.value_schema
            if schema.type in (Type.ARRAY, Type.MAP) and schema.name not in _LOGICAL:
                raise DataException(f"Field {name}: an array of {schema.type.name.lower()}s cannot be Protobuf")
        params: dict[str, str] = {}
        params_of = schema.parameters or {}
        if schema.name in _LOGICAL:
            full = _LOGICAL[schema.name]
            field.type, field.type_name = _F.TYPE_MESSAGE, "." + full
            if _IMPORTS[full] not in self.imports:
                self.imports.append(_IMPORTS[full])
            if full == DECIMAL_TYPE:
                if CONNECT_PRECISION in params_of:
                    params["precision"] = params_of[CONNECT_PRECISION]
                if logical.DECIMAL_SCALE in params_of:
                    params["scale"] = params_of[logical.DECIMAL_SCALE]
        elif schema.type is Type.STRING and PROTOBUF_TYPE_ENUM in params_of:
            enum_name = self.unqualified(schema.name)
            if not any(e.name == enum_name for e in message.enum_type):
                enum = message.enum_type.add(name=enum_name)
                for key, value in params_of.items():
                    if key.startswith(PROTOBUF_TYPE_ENUM + "."):
                        enum.value.add(name=key[len(PROTOBUF_TYPE_ENUM) + 1:], number=int(value))
            field.type, field.type_name = _F.TYPE_ENUM, params_of[PROTOBUF_TYPE_ENUM] or enum_name
        elif schema.type in _SCALARS:
            field.type = _SCALARS[schema.type]
            if schema.type in (Type.INT8, Type.INT16):
                params["connect.type"] = schema.type.value
            elif schema.type in (Type.INT32, Type.INT64) and PROTOBUF_TYPE_PROP in params_of:
                field.type = _BY_NAME[params_of[PROTOBUF_TYPE_PROP]]
        elif schema.type is Type.STRUCT:
            type_name = self.unqualified(schema.name)
            if type_name == name:
                type_name += "Message"  # a message type cannot share its field's name
            if not any(m.name == type_name for m in message.nested_type):
                message.nested_type.append(self.message(type_name, schema))
            field.type, field.type_name = _F.TYPE_MESSAGE, type_name
        elif schema.type is Type.MAP:
            assert schema.key_schema is not None and schema.value_schema is not None
            entry_name = map_entry_name(self.unqualified(schema.name))
            entry = descriptor_pb2.DescriptorProto(name=entry_name)
            self.field(entry, "key", 1, schema.key_schema)
            self.field(entry, "value", 2, schema.value_schema)
            message.nested_type.append(entry)
            field.type, field.type_name = _F.TYPE_MESSAGE, entry_name
        else:
            raise DataException(f"Unknown schema type: {schema.type.name}")
        if params:
            from confluent_kafka.schema_registry.confluent import meta_pb2

            field.options.Extensions[meta_pb2.field_meta].params.update(params)  # type: ignore[attr-defined]
            self.meta = True


def is_union(schema: Schema) -> bool:
    """Whether a struct schema is a Protobuf oneof (`io.confluent.connect.protobuf.Union.<name>`)."""
    return schema.type is Type.STRUCT and bool(schema.name) and \
        str(schema.name).startswith(PROTOBUF_TYPE_UNION + ".")


def map_entry_name(name: str) -> str:
    """Confluent's `ProtobufSchema.toMapEntry`: lower_underscore names in UpperCamel, then `Entry`."""
    if "_" in name:
        name = "".join(part[:1].upper() + part[1:].lower() for part in name.split("_"))
    return name + "Entry"


WRAPPERS = {Type.INT8: "Int32Value", Type.INT16: "Int32Value", Type.INT32: "Int32Value", Type.INT64: "Int64Value",
            Type.FLOAT32: "FloatValue", Type.FLOAT64: "DoubleValue", Type.BOOLEAN: "BoolValue",
            Type.STRING: "StringValue", Type.BYTES: "BytesValue"}
_UNWRAPPED = {"google.protobuf.DoubleValue": Type.FLOAT64, "google.protobuf.FloatValue": Type.FLOAT32,
              "google.protobuf.Int64Value": Type.INT64, "google.protobuf.UInt64Value": Type.INT64,
              "google.protobuf.Int32Value": Type.INT32, "google.protobuf.UInt32Value": Type.INT64,
              "google.protobuf.BoolValue": Type.BOOLEAN, "google.protobuf.StringValue": Type.STRING,
              "google.protobuf.BytesValue": Type.BYTES}


def from_connect_schema(schema: Schema, scrub: bool = False) -> tuple[descriptor_pb2.FileDescriptorProto, str]:
    """The proto3 file of a struct schema, and its message's full name (`scrub`: `scrub.invalid.names`, names
    made valid as Confluent's scrubName makes them).

    A primitive schema (not a logical type) is its google.protobuf wrapper, in wrappers.proto, as Confluent
    writes raw primitives.
    """
    if schema.type in WRAPPERS and schema.name not in _LOGICAL:
        file = descriptor_pb2.FileDescriptorProto()
        wrappers_pb2.DESCRIPTOR.CopyToProto(file)
        return file, "google.protobuf." + WRAPPERS[schema.type]
    if schema.type is not Type.STRUCT:
        raise DataException(f"Unsupported root schema of type {schema.type.name} (ProtobufConverter writes structs "
                            "and primitives)")
    ctx = _FromConnect(scrub)
    namespace, name = _split(ctx.default_name(schema.name))
    name = ctx.valid(name)
    if namespace:
        namespace = ".".join(ctx.valid(part) for part in namespace.split("."))
    file = descriptor_pb2.FileDescriptorProto(name=f"{name}.proto", syntax="proto3")
    if namespace:
        file.package = namespace
    file.message_type.append(ctx.message(name, schema))
    deps = ([META_FILE] if ctx.meta else []) + ctx.imports
    file.dependency.extend(deps)
    return file, f"{namespace}.{name}" if namespace else name


# ----------------------------------------------------------------------------- Protobuf → Connect schema


def _meta_params(field: FieldDescriptor) -> dict[str, str]:
    from confluent_kafka.schema_registry.confluent import meta_pb2

    options, extension = field.GetOptions(), meta_pb2.field_meta  # type: ignore[attr-defined]
    if not options.HasExtension(extension):
        return {}
    return dict(options.Extensions[extension].params)


_TYPE_NAMES = {v: k for k, v in _BY_NAME.items()}


def to_connect_schema(descriptor: Descriptor, version: int | None, enhanced: bool = False) -> Schema:
    """The Connect schema Confluent's ProtobufData gives a message type (its defaults: a google.protobuf
    wrapper is its primitive, `wrapper.for.raw.primitives=true`); `enhanced`
    (`enhanced.protobuf.schema.support`): messages, enums and oneofs named by their full names, package
    included."""
    primitive = _UNWRAPPED.get(descriptor.full_name)
    builder = SchemaBuilder(primitive) if primitive is not None else _struct(descriptor, enhanced)
    if version is not None:
        builder.version(version)
    return builder.build()


def _struct(descriptor: Descriptor, enhanced: bool) -> SchemaBuilder:
    builder = SchemaBuilder.struct().name(descriptor.full_name if enhanced else descriptor.name)
    for oneof in descriptor.oneofs:
        if _synthetic(oneof):
            continue
        union = SchemaBuilder.struct().name(f"{PROTOBUF_TYPE_UNION}.{oneof.full_name if enhanced else oneof.name}")
        for f in oneof.fields:
            union.field(f.name, _field_schema(f, True, enhanced))
        # Confluent's unionFieldName: the oneof's index among all of the message's oneofs
        builder.field(f"{oneof.name}_{oneof.index}", union.optional().build())
    for f in descriptor.fields:
        if f.containing_oneof is not None and not _synthetic(f.containing_oneof):
            continue
        builder.field(f.name, _field_schema(f, False, enhanced))
    return builder


def _synthetic(oneof: Any) -> bool:
    fields = oneof.fields
    return len(fields) == 1 and fields[0].has_presence and oneof.name == "_" + fields[0].name


def _is_map(field: FieldDescriptor) -> bool:
    if not field.is_repeated or field.type != FieldDescriptor.TYPE_MESSAGE:
        return False
    entry = field.message_type
    names = [f.name for f in entry.fields]
    return entry.name.endswith("Entry") and names == ["key", "value"] and \
        not any(f.is_repeated for f in entry.fields)


def _field_schema(field: FieldDescriptor, oneof_member: bool, enhanced: bool = False) -> Schema:
    t = field.type
    builder: SchemaBuilder
    if t in (FieldDescriptor.TYPE_INT32, FieldDescriptor.TYPE_SINT32, FieldDescriptor.TYPE_SFIXED32):
        connect_type = _meta_params(field).get("connect.type")
        if connect_type == "int8":
            builder = SchemaBuilder.int8()
        elif connect_type == "int16":
            builder = SchemaBuilder.int16()
        else:
            builder = SchemaBuilder.int32()
            if t != FieldDescriptor.TYPE_INT32:
                builder.parameter(PROTOBUF_TYPE_PROP, _TYPE_NAMES[t])
    elif t in (FieldDescriptor.TYPE_UINT32, FieldDescriptor.TYPE_FIXED32, FieldDescriptor.TYPE_INT64,
               FieldDescriptor.TYPE_UINT64, FieldDescriptor.TYPE_SINT64, FieldDescriptor.TYPE_FIXED64,
               FieldDescriptor.TYPE_SFIXED64):
        builder = SchemaBuilder.int64()
        if t != FieldDescriptor.TYPE_INT64:
            builder.parameter(PROTOBUF_TYPE_PROP, _TYPE_NAMES[t])
    elif t == FieldDescriptor.TYPE_FLOAT:
        builder = SchemaBuilder.float32()
    elif t == FieldDescriptor.TYPE_DOUBLE:
        builder = SchemaBuilder.float64()
    elif t == FieldDescriptor.TYPE_BOOL:
        builder = SchemaBuilder.bool()
    elif t == FieldDescriptor.TYPE_STRING:
        builder = SchemaBuilder.string()
    elif t == FieldDescriptor.TYPE_BYTES:
        builder = SchemaBuilder.bytes()
    elif t == FieldDescriptor.TYPE_ENUM:
        enum = field.enum_type
        builder = SchemaBuilder.string().name(enum.full_name if enhanced else enum.name) \
            .parameter(PROTOBUF_TYPE_ENUM, enum.name)
        for value in enum.values:
            builder.parameter(f"{PROTOBUF_TYPE_ENUM}.{value.name}", str(value.number))
        builder.optional()
    elif t == FieldDescriptor.TYPE_MESSAGE:
        full = field.message_type.full_name
        if full == DECIMAL_TYPE:
            params = _meta_params(field)
            builder = logical.decimal_builder(int(params.get("scale", "0") or 0))
            if params.get("precision"):
                builder.parameter(CONNECT_PRECISION, params["precision"])
        elif full == DATE_TYPE:
            builder = logical.date_builder()
        elif full == TIME_TYPE:
            builder = logical.time_builder()
        elif full == TIMESTAMP_TYPE:
            builder = logical.timestamp_builder()
        elif _is_map(field):
            key, value = field.message_type.fields
            builder = SchemaBuilder.map(_field_schema(key, False, enhanced), _field_schema(value, False, enhanced))
        else:
            builder = _struct(field.message_type, enhanced)
        builder.optional()
    else:
        raise DataException(f"Unknown Connect schema type: {t}")
    if field.is_repeated and builder._type is not Type.MAP:
        builder = SchemaBuilder.array(builder.optional().build()).optional()
    builder.optional()
    builder.parameter(PROTOBUF_TYPE_TAG, str(field.number))
    return builder.build()


# ----------------------------------------------------------------------------- values


def value_to_message(schema: Schema, message_class: Any) -> Callable[[Any], Any]:
    """Connect struct (or primitive, for a wrapper) → a new message of `message_class` (compiled for `schema`)."""
    if message_class.DESCRIPTOR.full_name in _UNWRAPPED:
        wrapped = _scalar(schema, message_class.DESCRIPTOR.fields_by_name["value"])
        return lambda v: message_class(value=wrapped(v))
    fill = _struct_filler(schema, message_class.DESCRIPTOR)

    def convert(struct: Any) -> Any:
        message = message_class()
        fill(message, struct)
        return message
    return convert


Filler = Callable[[Any, Any], None]
"""Sets a message's fields from a Connect value (the message is the target, already created)."""


def _struct_filler(schema: Schema, descriptor: Descriptor) -> Filler:
    setters = [_union_setter(f.name, f.schema, descriptor) if is_union(f.schema) else
               _setter(f.name, f.schema, _descriptor_field(descriptor, f.name)) for f in schema.fields or ()]

    def fill(message: Any, struct: Any) -> None:
        if not isinstance(struct, Struct):
            raise DataException(f"Invalid type for STRUCT: {type(struct).__name__}")
        message.SetInParent()
        for set_field in setters:
            set_field(message, struct)
    return fill


def _descriptor_field(descriptor: Descriptor, name: str) -> FieldDescriptor:
    """The message field of Connect field `name`: of that name, or of its scrubbed name (a schema written
    with `scrub.invalid.names`; a name that needed scrubbing is no Protobuf field name itself)."""
    field = descriptor.fields_by_name.get(name) or descriptor.fields_by_name.get(
        scrub_name(name, leading_underscore=False))
    if field is None:
        raise DataException(f"Cannot find field with name {name} in message {descriptor.full_name}")
    return field


def _union_setter(name: str, schema: Schema, descriptor: Descriptor) -> Callable[[Any, Struct], None]:
    """Sets the oneof member that is not null in the union struct of field `name` (Confluent: the first one)."""
    members = [(f.name, _setter(f.name, f.schema, _descriptor_field(descriptor, f.name))) for f in schema.fields or ()]

    def set_union(message: Any, struct: Struct) -> None:
        union = struct.get(name)
        if union is None:
            return
        for member, set_member in members:
            if union.get(member) is not None:
                set_member(message, union)
                return
        raise DataException(f"Field {name}: Cannot find non-null field")
    return set_union


def _setter(name: str, schema: Schema, field: FieldDescriptor) -> Callable[[Any, Struct], None]:
    """Sets message field `field` from Connect field `name` of a struct (the names differ when scrubbed)."""
    attr = field.name
    if schema.type is Type.ARRAY:
        assert schema.value_schema is not None
        if field.type == FieldDescriptor.TYPE_MESSAGE:
            fill_item = _filler(schema.value_schema, field)

            def set_messages(message: Any, struct: Struct) -> None:
                target = getattr(message, attr)
                for v in struct.get(name) or ():
                    fill_item(target.add(), v)
            return set_messages
        item = _scalar(schema.value_schema, field)

        def set_array(message: Any, struct: Struct) -> None:
            values = struct.get(name)
            if values:
                getattr(message, attr).extend([item(v) for v in values])
        return set_array
    if schema.type is Type.MAP:
        assert schema.key_schema is not None and schema.value_schema is not None
        entry_type = field.message_type
        set_key = _setter("key", schema.key_schema, entry_type.fields_by_name["key"])
        set_value = _setter("value", schema.value_schema, entry_type.fields_by_name["value"])
        entry_struct = SchemaBuilder.struct().field("key", schema.key_schema).field("value", schema.value_schema) \
            .build()

        def set_map(message: Any, struct: Struct) -> None:
            target = getattr(message, attr)
            for k, v in (struct.get(name) or {}).items():
                entry = target.add()
                pair = Struct.unchecked(entry_struct, {"key": k, "value": v})
                set_key(entry, pair)
                set_value(entry, pair)
        return set_map
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        fill = _filler(schema, field)

        def set_message(message: Any, struct: Struct) -> None:
            v = struct.get(name)
            if v is not None:
                fill(getattr(message, attr), v)
        return set_message
    convert = _scalar(schema, field)

    def set_scalar(message: Any, struct: Struct) -> None:
        v = struct.get(name)
        if v is not None:
            try:
                setattr(message, attr, convert(v))
            except (TypeError, ValueError) as exc:
                raise DataException(f"Invalid value for field {name}: {exc}") from exc
    return set_scalar


def _filler(schema: Schema, field: FieldDescriptor) -> Filler:
    name = schema.name
    if name == logical.DECIMAL_NAME:
        def dec(m: Any, v: Any) -> None:
            if not isinstance(v, decimal.Decimal):
                raise DataException(f"Invalid type for Decimal, expected BigDecimal but was {type(v).__name__}")
            sign, digits, exponent = v.as_tuple()
            unscaled = int("".join(map(str, digits)) or "0") * (-1 if sign else 1)
            size = max(1, (unscaled.bit_length() + 8) // 8)
            m.SetInParent()
            m.value, m.precision, m.scale = unscaled.to_bytes(size, "big", signed=True), len(digits), -int(exponent)
        return dec
    if name == logical.DATE_NAME:
        def date(m: Any, v: Any) -> None:
            m.SetInParent()
            m.year, m.month, m.day = v.year, v.month, v.day
        return date
    if name == logical.TIME_NAME:
        def time_of_day(m: Any, v: Any) -> None:
            millis = logical.time_to_millis(v)
            m.SetInParent()
            m.hours, m.minutes = millis // 3_600_000, millis // 60_000 % 60
            m.seconds, m.nanos = millis // 1000 % 60, millis % 1000 * 1_000_000
        return time_of_day
    if name == logical.TIMESTAMP_NAME:
        def timestamp(m: Any, v: Any) -> None:
            millis = logical.timestamp_to_millis(v)
            m.SetInParent()
            m.seconds, m.nanos = millis // 1000, millis % 1000 * 1_000_000
        return timestamp
    if schema.type is Type.STRUCT:
        return _struct_filler(schema, field.message_type)
    raise DataException(f"Unknown schema type: {schema.type.name}")


def _scalar(schema: Schema, field: FieldDescriptor) -> Callable[[Any], Any]:
    if field.type == FieldDescriptor.TYPE_ENUM:
        enum = field.enum_type
        tags = {k[len(PROTOBUF_TYPE_ENUM) + 1:]: int(v) for k, v in (schema.parameters or {}).items()
                if k.startswith(PROTOBUF_TYPE_ENUM + ".")}

        def enum_value(v: Any) -> int:
            if v in tags:
                return tags[v]
            found = enum.values_by_name.get(v)
            if found is None:
                raise DataException(f"Unknown enum symbol {v!r} for {enum.name}")
            return int(found.number)
        return enum_value
    if schema.type in (Type.INT8, Type.INT16, Type.INT32, Type.INT64):
        return lambda v: v if type(v) is int else _bad(schema, v)
    if schema.type in (Type.FLOAT32, Type.FLOAT64):
        return lambda v: float(v) if type(v) in (int, float) else _bad(schema, v)
    if schema.type is Type.BOOLEAN:
        return lambda v: v if type(v) is bool else _bad(schema, v)
    if schema.type is Type.STRING:
        return lambda v: v if isinstance(v, str) else _bad(schema, v)
    if schema.type is Type.BYTES:
        return lambda v: bytes(v) if isinstance(v, (bytes, bytearray, memoryview)) else _bad(schema, v)
    raise DataException(f"Unknown schema type: {schema.type.name}")


def _bad(schema: Schema, v: Any) -> Any:
    raise DataException(f"Invalid type for {schema.type.name}: {type(v).__name__}")


def message_to_value(schema: Schema, descriptor: Descriptor) -> Callable[[Any], Any]:
    """A message of `descriptor` → a Connect struct of `schema` (from `to_connect_schema`)."""
    if descriptor.full_name in _UNWRAPPED:
        unwrap = _single(descriptor.fields_by_name["value"], schema)
        return lambda message: unwrap(message.value)
    readers: list[Callable[[Any, dict[str, Any]], None]] = []
    for oneof in descriptor.oneofs:
        if _synthetic(oneof):
            continue
        union_field = schema.field(f"{oneof.name}_{oneof.index}")
        assert union_field is not None
        readers.append(_oneof_reader(oneof, union_field.name, union_field.schema))
    for f in descriptor.fields:
        if f.containing_oneof is not None and not _synthetic(f.containing_oneof):
            continue
        field_schema = schema.field(f.name)
        assert field_schema is not None
        readers.append(_field_reader(f, field_schema.schema))

    def convert(message: Any) -> Struct:
        values: dict[str, Any] = {}
        for read in readers:
            read(message, values)
        return Struct.unchecked(schema, values)
    return convert


def _oneof_reader(oneof: Any, union_name: str, union_schema: Schema) -> Callable[[Any, dict[str, Any]], None]:
    members = {f.name: _value(f, union_schema.field(f.name).schema) for f in oneof.fields}  # type: ignore[union-attr]

    def read(message: Any, values: dict[str, Any]) -> None:
        which = message.WhichOneof(oneof.name)
        if which is not None:
            values[union_name] = Struct.unchecked(union_schema, {which: members[which](getattr(message, which))})
    return read


def _field_reader(field: FieldDescriptor, schema: Schema) -> Callable[[Any, dict[str, Any]], None]:
    name = field.name
    convert = _value(field, schema)
    repeated = field.is_repeated
    always = repeated or field.type != FieldDescriptor.TYPE_MESSAGE
    proto3_optional = field.has_presence and not repeated and \
        field.type != FieldDescriptor.TYPE_MESSAGE and field.containing_oneof is not None

    def read(message: Any, values: dict[str, Any]) -> None:
        if (always and not proto3_optional) or message.HasField(name):
            values[name] = convert(getattr(message, name))
    return read


def _value(field: FieldDescriptor, schema: Schema) -> Callable[[Any], Any]:
    repeated = field.is_repeated
    if schema.type is Type.MAP:
        assert schema.key_schema is not None and schema.value_schema is not None
        key_field, value_field = field.message_type.fields
        key, value = _single(key_field, schema.key_schema), _single(value_field, schema.value_schema)
        if field.message_type.GetOptions().map_entry:  # a proto `map<K, V>`: Python gives a mapping
            return lambda entries: {key(k): value(v) for k, v in entries.items()}
        return lambda entries: {key(e.key): value(e.value) for e in entries}
    if repeated:
        assert schema.value_schema is not None
        item = _single(field, schema.value_schema)
        return lambda values: [item(v) for v in values]
    return _single(field, schema)


def _single(field: FieldDescriptor, schema: Schema) -> Callable[[Any], Any]:
    name = schema.name
    if name == logical.DECIMAL_NAME:
        def dec(m: Any) -> Any:
            unscaled = int.from_bytes(m.value, "big", signed=True) if m.value else 0
            return decimal.Decimal(unscaled).scaleb(-m.scale)
        return dec
    if name == logical.DATE_NAME:
        return lambda m: dt.date(m.year, m.month, m.day)
    if name == logical.TIME_NAME:
        return lambda m: logical.time_from_millis(
            ((m.hours * 60 + m.minutes) * 60 + m.seconds) * 1000 + m.nanos // 1_000_000)
    if name == logical.TIMESTAMP_NAME:
        return lambda m: logical.timestamp_from_millis(m.seconds * 1000 + m.nanos // 1_000_000)
    if field.type == FieldDescriptor.TYPE_ENUM:
        enum = field.enum_type

        def enum_name(n: int) -> Any:
            found = enum.values_by_number.get(n)
            return found.name if found is not None else str(n)
        return enum_name
    if schema.type is Type.STRUCT:
        return message_to_value(schema, field.message_type)
    if schema.type is Type.INT8:
        return lambda v: (v + 128) % 256 - 128
    if schema.type is Type.INT16:
        return lambda v: (v + 32768) % 65536 - 32768
    if schema.type is Type.BYTES:
        return bytes
    return lambda v: v


__all__ = ["from_connect_schema", "is_union", "map_entry_name", "message_to_value", "new_pool", "to_connect_schema", "value_to_message"]
