"""Connect schemas: the types Kafka Connect attaches to keys, values and fields.

A `Schema` is immutable. Build primitives from the module constants
(`INT32_SCHEMA`, `OPTIONAL_STRING_SCHEMA`, ...) and anything richer with
`SchemaBuilder`, which mirrors Kafka Connect's builder::

    schema = (SchemaBuilder.struct().name("com.example.User")
              .field("id", INT64_SCHEMA)
              .field("email", OPTIONAL_STRING_SCHEMA)
              .build())
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from pyconnect_flow.data.exceptions import SchemaBuilderException


class Type(str, Enum):
    """The Connect schema types, valued as JsonConverter spells them in schema JSON."""

    INT8 = "int8"
    INT16 = "int16"
    INT32 = "int32"
    INT64 = "int64"
    FLOAT32 = "float"
    FLOAT64 = "double"
    BOOLEAN = "boolean"
    STRING = "string"
    BYTES = "bytes"
    ARRAY = "array"
    MAP = "map"
    STRUCT = "struct"

    @property
    def is_primitive(self) -> bool:
        """True for every type but ARRAY, MAP and STRUCT."""
        return self not in (Type.ARRAY, Type.MAP, Type.STRUCT)


@dataclass(frozen=True)
class Field:
    """One field of a STRUCT schema: its name, position and schema."""

    name: str
    index: int
    schema: Schema


@dataclass(frozen=True, eq=False)
class Schema:
    """An immutable Connect schema.

    `fields` is set for STRUCT, `key_schema`/`value_schema` for MAP and
    `value_schema` for ARRAY. Logical types (Decimal, Date, Time, Timestamp)
    are ordinary schemas whose `name` says how to read the value.
    """

    type: Type
    optional: bool = False
    default: Any = None
    name: str | None = None
    version: int | None = None
    doc: str | None = None
    parameters: Mapping[str, str] | None = None
    fields: tuple[Field, ...] | None = None
    key_schema: Schema | None = None
    value_schema: Schema | None = None
    _by_name: Mapping[str, Field] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.fields is not None and not self._by_name:
            object.__setattr__(self, "_by_name", {f.name: f for f in self.fields})

    def field(self, name: str) -> Field | None:
        """The field called `name` of a STRUCT schema, or None."""
        if self.type is not Type.STRUCT:
            raise SchemaBuilderException("Cannot look up fields on non-struct type")
        return self._by_name.get(name)

    def _key(self) -> tuple[Any, ...]:
        params = tuple(sorted(self.parameters.items())) if self.parameters else None
        return (self.type, self.optional, _hashable(self.default), self.name, self.version,
                self.doc, params, self.fields, self.key_schema, self.value_schema)

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, Schema):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash((self.type, self.optional, self.name, self.version))

    def __repr__(self) -> str:
        parts = [self.type.name]
        if self.name:
            parts.append(f"name={self.name!r}")
        if self.optional:
            parts.append("optional")
        if self.fields is not None:
            parts.append("fields=[" + ", ".join(f"{f.name}: {f.schema!r}" for f in self.fields) + "]")
        if self.type is Type.MAP:
            parts.append(f"keys={self.key_schema!r}, values={self.value_schema!r}")
        if self.type is Type.ARRAY:
            parts.append(f"items={self.value_schema!r}")
        if self.default is not None:
            parts.append(f"default={self.default!r}")
        return "Schema(" + ", ".join(parts) + ")"


def _hashable(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((repr(k), _hashable(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    return value


class SchemaBuilder:
    """Fluent builder of `Schema`, as Kafka Connect's `SchemaBuilder`."""

    def __init__(self, type_: Type) -> None:
        self._type = type_
        self._optional = False
        self._default: Any = None
        self._name: str | None = None
        self._version: int | None = None
        self._doc: str | None = None
        self._parameters: dict[str, str] | None = None
        self._fields: dict[str, Field] | None = {} if type_ is Type.STRUCT else None
        self._key_schema: Schema | None = None
        self._value_schema: Schema | None = None

    # constructors -------------------------------------------------------
    @classmethod
    def type(cls, type_: Type) -> SchemaBuilder:
        """A builder of any type."""
        return cls(type_)

    @classmethod
    def int8(cls) -> SchemaBuilder:
        return cls(Type.INT8)

    @classmethod
    def int16(cls) -> SchemaBuilder:
        return cls(Type.INT16)

    @classmethod
    def int32(cls) -> SchemaBuilder:
        return cls(Type.INT32)

    @classmethod
    def int64(cls) -> SchemaBuilder:
        return cls(Type.INT64)

    @classmethod
    def float32(cls) -> SchemaBuilder:
        return cls(Type.FLOAT32)

    @classmethod
    def float64(cls) -> SchemaBuilder:
        return cls(Type.FLOAT64)

    @classmethod
    def bool(cls) -> SchemaBuilder:
        return cls(Type.BOOLEAN)

    @classmethod
    def string(cls) -> SchemaBuilder:
        return cls(Type.STRING)

    @classmethod
    def bytes(cls) -> SchemaBuilder:
        return cls(Type.BYTES)

    @classmethod
    def struct(cls) -> SchemaBuilder:
        return cls(Type.STRUCT)

    @classmethod
    def array(cls, value_schema: Schema) -> SchemaBuilder:
        b = cls(Type.ARRAY)
        b._value_schema = value_schema
        return b

    @classmethod
    def map(cls, key_schema: Schema, value_schema: Schema) -> SchemaBuilder:
        b = cls(Type.MAP)
        b._key_schema = key_schema
        b._value_schema = value_schema
        return b

    @classmethod
    def from_schema(cls, schema: Schema, *, copy_fields: builtins.bool = True) -> SchemaBuilder:
        """A builder preset with everything of `schema` (like `SchemaUtil.copySchemaBasics`)."""
        b = cls(schema.type)
        b._optional = schema.optional
        b._default = schema.default
        b._name = schema.name
        b._version = schema.version
        b._doc = schema.doc
        b._parameters = dict(schema.parameters) if schema.parameters else None
        b._key_schema = schema.key_schema
        b._value_schema = schema.value_schema
        if schema.type is Type.STRUCT and copy_fields and schema.fields:
            b._fields = {f.name: f for f in schema.fields}
        return b

    # settings -----------------------------------------------------------
    def optional(self, optional: builtins.bool = True) -> SchemaBuilder:
        self._optional = optional
        return self

    def required(self) -> SchemaBuilder:
        self._optional = False
        return self

    def default_value(self, value: Any) -> SchemaBuilder:
        self._default = value
        return self

    def name(self, name: str | None) -> SchemaBuilder:
        self._name = name
        return self

    def version(self, version: int | None) -> SchemaBuilder:
        self._version = version
        return self

    def doc(self, doc: str | None) -> SchemaBuilder:
        self._doc = doc
        return self

    def parameter(self, name: str, value: str) -> SchemaBuilder:
        if self._parameters is None:
            self._parameters = {}
        self._parameters[name] = value
        return self

    def parameters(self, params: Mapping[str, str] | None) -> SchemaBuilder:
        if params:
            if self._parameters is None:
                self._parameters = {}
            self._parameters.update(params)
        return self

    def field(self, name: str, schema: Schema | SchemaBuilder) -> SchemaBuilder:
        if self._fields is None:
            raise SchemaBuilderException("Cannot create fields on type " + self._type.name)
        if not name:
            raise SchemaBuilderException("fieldName cannot be null.")
        if name in self._fields:
            raise SchemaBuilderException("Cannot create field because of field name duplication " + name)
        if isinstance(schema, SchemaBuilder):
            schema = schema.build()
        self._fields[name] = Field(name, len(self._fields), schema)
        return self

    def fields(self, fields: Iterable[tuple[str, Schema]]) -> SchemaBuilder:
        for name, schema in fields:
            self.field(name, schema)
        return self

    def build(self) -> Schema:
        fields = None
        if self._fields is not None:
            fields = tuple(Field(f.name, i, f.schema) for i, f in enumerate(self._fields.values()))
        schema = Schema(
            type=self._type,
            optional=self._optional,
            default=None,
            name=self._name,
            version=self._version,
            doc=self._doc,
            parameters=dict(self._parameters) if self._parameters else None,
            fields=fields,
            key_schema=self._key_schema,
            value_schema=self._value_schema,
        )
        if self._default is not None:
            from pyconnect_flow.data.values import validate_value

            validate_value(schema, self._default)
            object.__setattr__(schema, "default", self._default)
        return schema


def _primitive(type_: Type, optional: bool = False) -> Schema:
    return Schema(type=type_, optional=optional)


INT8_SCHEMA = _primitive(Type.INT8)
INT16_SCHEMA = _primitive(Type.INT16)
INT32_SCHEMA = _primitive(Type.INT32)
INT64_SCHEMA = _primitive(Type.INT64)
FLOAT32_SCHEMA = _primitive(Type.FLOAT32)
FLOAT64_SCHEMA = _primitive(Type.FLOAT64)
BOOLEAN_SCHEMA = _primitive(Type.BOOLEAN)
STRING_SCHEMA = _primitive(Type.STRING)
BYTES_SCHEMA = _primitive(Type.BYTES)
OPTIONAL_INT8_SCHEMA = _primitive(Type.INT8, True)
OPTIONAL_INT16_SCHEMA = _primitive(Type.INT16, True)
OPTIONAL_INT32_SCHEMA = _primitive(Type.INT32, True)
OPTIONAL_INT64_SCHEMA = _primitive(Type.INT64, True)
OPTIONAL_FLOAT32_SCHEMA = _primitive(Type.FLOAT32, True)
OPTIONAL_FLOAT64_SCHEMA = _primitive(Type.FLOAT64, True)
OPTIONAL_BOOLEAN_SCHEMA = _primitive(Type.BOOLEAN, True)
OPTIONAL_STRING_SCHEMA = _primitive(Type.STRING, True)
OPTIONAL_BYTES_SCHEMA = _primitive(Type.BYTES, True)
