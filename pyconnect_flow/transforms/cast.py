"""Cast: change the type of top-level fields, or of the whole key/value.

Kafka's `org.apache.kafka.connect.transforms.Cast$Key` / `$Value`::

    Cast.value(spec={"age": "int32", "score": "float64"})   # or spec="age:int32,score:float64"
    Cast.key(spec="string")                                  # the whole key

Targets are int8, int16, int32, int64, float32, float64, boolean and string (not bytes).
Inputs are those types and bytes (bytes only to string, as base64). Logical values (Decimal,
Date, Time, Timestamp) cast to string (`Values.dateFormatFor` formats for dates and times) or,
through their underlying number (days, milliseconds, the decimal value), to any number or
boolean. Numbers narrow as Java's casts do (wrapping, truncation); text parses as Java's
`Integer.parseInt`/`Double.parseDouble`/`Boolean.parseBoolean`. Schema defaults are cast too,
and a null key/value passes through unchanged.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import math
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pyconnect_flow.config.definition import ConfigDef, ConfigKey, ConfigType
from pyconnect_flow.converters.json_columns import FlatColumns, column_is_plain, flat_fields
from pyconnect_flow.data import (
    DataException,
    Schema,
    SchemaBuilder,
    Struct,
    Type,
    logical,
    schema_type,
    validate_value,
)
from pyconnect_flow.data.java_dates import date_format_for, temporal_to_millis
from pyconnect_flow.data.java_hashmap import java_copied
from pyconnect_flow.data.java_ints import BOXES, boxed
from pyconnect_flow.data.java_numbers import INT_BITS, decimal_to_long, saturate_float, to_float32, wrap_int
from pyconnect_flow.data.java_text import java_to_string
from pyconnect_flow.record import Record
from pyconnect_flow.transforms.base import Transform
from pyconnect_flow.transforms.fused import MapCode
from pyconnect_flow.transforms.util import (
    REPLACE_NULL_WITH_DEFAULT,
    KeyValueTransform,
    SchemaCache,
    copy_schema_basics,
    field_values,
    java_split,
    put_checked,
    require_map,
    require_struct,
    type_name,
)

if TYPE_CHECKING:
    from pyconnect_flow.kafka_columns import DecodedColumns

__all__ = ["TRANSFORMS", "Cast", "CastKey", "CastValue", "cast_value", "parse_cast_spec"]

PURPOSE = "cast types"
WHOLE_VALUE: None = None
"""The key of a whole-value cast in a parsed spec (no field name)."""

OUTPUT_TYPES = (Type.INT8, Type.INT16, Type.INT32, Type.INT64, Type.FLOAT32, Type.FLOAT64, Type.BOOLEAN, Type.STRING)
INPUT_TYPES = (*OUTPUT_TYPES, Type.BYTES)
_OUTPUT_NAMES = "[" + ", ".join(t.name for t in OUTPUT_TYPES) + "]"
_INPUT_NAMES = "[" + ", ".join(t.name for t in INPUT_TYPES) + "]"
_JAVA_WHITESPACE = "".join(chr(c) for c in range(33))
_JAVA_INT = re.compile(r"[+-]?\d+")
_JAVA_DOUBLE = re.compile(
    r"[+-]?(?:NaN|Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[fFdD]?"
    r"|0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)[pP][+-]?\d+[fFdD]?)",
    re.ASCII,
)


# spec ------------------------------------------------------------------------

class CastSpecError(ValueError):
    """A `spec` Kafka's Cast rejects (Kafka: ConfigException)."""


def parse_cast_spec(mappings: list[str]) -> dict[str | None, Type]:
    """`["field:type", ...]` (or `["type"]` for the whole value) as {field: Type}; whole value under None."""
    if not mappings:
        raise CastSpecError("Must specify at least one field to cast.")
    casts: dict[str | None, Type] = {}
    whole = False
    for mapping in mappings:
        parts = java_split(mapping, ":")
        if len(parts) > 2 or not parts:
            raise CastSpecError(f"Invalid rename mapping: {mapping}")
        if len(parts) == 1:
            casts[WHOLE_VALUE] = _output_type(parts[0])
            whole = True
        else:
            casts[parts[0].strip(_JAVA_WHITESPACE)] = _output_type(parts[1])
    if whole and len(mappings) > 1:
        raise CastSpecError("Cast transformations that specify a type to cast the entire value to "
                            "may only specify a single cast in their spec")
    return casts


def _output_type(text: str) -> Type:
    name = text.strip(_JAVA_WHITESPACE)
    try:
        type_ = Type[name.upper()]
    except KeyError:
        raise CastSpecError(f"Invalid type found in casting spec: {name}") from None
    if type_ not in OUTPUT_TYPES:
        raise CastSpecError(f"Cast transformation does not support casting to {type_.name}; "
                            f"supported types are {_OUTPUT_NAMES}")
    return type_


def _check_spec(value: Any) -> str | None:
    try:
        parse_cast_spec(value)
    except CastSpecError as exc:
        return str(exc)
    return None


# casting one value ---------------------------------------------------------------

def _unexpected(value: Any) -> DataException:
    return DataException(f"Unexpected type in Cast transformation: {type_name(value)}")


def _out_of_range(value: Any) -> DataException:
    return DataException(f"Value ({value}) was out of range for requested data type")


def _to_int(value: Any, bits: int) -> int:
    if isinstance(value, bool):
        return 1 if value else 0
    if isinstance(value, int):
        return wrap_int(value, bits)
    if isinstance(value, float):
        return saturate_float(value, 64) if bits == 64 else wrap_int(saturate_float(value, 32), bits)
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            raise _unexpected(value)
        return wrap_int(decimal_to_long(value), bits)
    if isinstance(value, str):
        if _JAVA_INT.fullmatch(value):
            n = int(value)
            if -(1 << (bits - 1)) <= n < (1 << (bits - 1)):
                return n
        raise _out_of_range(value)
    raise _unexpected(value)


def _to_float(value: Any, float32: bool) -> float:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, decimal.Decimal)):
        try:
            out = float(value) if value else 0.0  # BigDecimal has no negative zero
        except OverflowError:
            out = math.inf if value > 0 else -math.inf
    elif isinstance(value, float):
        out = value
    elif isinstance(value, str):
        if value.replace(".", "", 1).isdigit() and value.isascii():
            out = float(value)  # plain unsigned decimal digits: Double.parseDouble agrees with float()
            return to_float32(out) if float32 else out
        text = value.strip(_JAVA_WHITESPACE)
        if not _JAVA_DOUBLE.fullmatch(text):
            raise _out_of_range(value)
        body = text.rstrip("fFdD") if not text.endswith("Infinity") else text
        out = float.fromhex(body) if "x" in body or "X" in body else float(body)
    else:
        raise _unexpected(value)
    return to_float32(out) if float32 else out


def _to_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return wrap_int(value, 64) != 0
    if isinstance(value, float):
        return saturate_float(value, 64) != 0
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            raise _unexpected(value)
        return decimal_to_long(value) != 0
    if isinstance(value, str):
        return value.lower() == "true"
    raise _unexpected(value)


def _to_string(value: Any, schema: Schema | None) -> str:
    # Kafka's castToString: Values.dateFormatFor for dates, base64 for bytes, else toString().
    if isinstance(value, (dt.date, dt.time)):
        return date_format_for(temporal_to_millis(value))
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    return java_to_string(value, schema is not None and schema.type is Type.FLOAT32)


def _encode_logical(schema: Schema, value: Any) -> Any:
    """Date/Time/Timestamp values as their underlying int (days or milliseconds)."""
    name = schema.name
    if name == logical.DATE_NAME and isinstance(value, dt.date):
        return logical.date_to_days(value)
    if name == logical.TIME_NAME and isinstance(value, (dt.time, dt.datetime)):
        return logical.time_to_millis(value)
    if name == logical.TIMESTAMP_NAME and isinstance(value, dt.datetime):
        return logical.timestamp_to_millis(value)
    return value


def cast_value(schema: Schema | None, value: Any, target: Type) -> Any:
    """`value` (of `schema`, or schemaless) cast to `target` as Kafka's Cast casts it."""
    if value is None:
        return None
    if schema is None:
        # the common schemaless casts, decided on the exact type (same results as the general path)
        t = type(value)
        if t is int and target in INT_BITS:
            return boxed(wrap_int(value, INT_BITS[target]), target)
        if t is str and target is Type.FLOAT64:
            return _to_float(value, False)
    inferred = schema.type if schema is not None else schema_type(value)
    if inferred is None:
        raise DataException(f"Cast transformation was passed a value of type {type_name(value)} "
                            "which is not supported by Connect's data API")
    if inferred not in INPUT_TYPES:
        raise DataException(f"Cast transformation does not support casting from {inferred.name}; "
                            f"supported types are {_INPUT_NAMES}")
    if inferred is Type.FLOAT32 and isinstance(value, float):
        value = to_float32(value)  # a FLOAT32 value is a Java Float: a Python float holds more precision
    if target is Type.STRING:
        return _to_string(value, schema)
    if schema is not None and schema.name is not None:
        value = _encode_logical(schema, value)
    if target in INT_BITS:
        number = _to_int(value, INT_BITS[target])
        # schemaless, the result is a Java Byte/Short/Integer/Long (data.java_ints); a struct's field is typed
        return number if schema is not None else boxed(number, target)
    if target is Type.FLOAT32 or target is Type.FLOAT64:
        return _to_float(value, target is Type.FLOAT32)
    if target is Type.BOOLEAN:
        return _to_boolean(value)
    raise DataException(f"{target.name} is not supported in the Cast transformation.")


# the transform ---------------------------------------------------------------------

class Cast(KeyValueTransform):
    """Cast fields or the entire key or value to a specific type, e.g. to force an integer field to a smaller width."""

    CONFIG = ConfigDef([
        ConfigKey("spec", ConfigType.LIST, doc="List of fields and the type to cast them to of the form "
                  "field1:type,field2:type to cast fields of Maps or Structs. A single type to cast the entire "
                  "value. Valid types are int8, int16, int32, int64, float32, float64, boolean, and string. "
                  "Note that binary fields can only be cast to string.", validator=_check_spec, importance="high"),
        REPLACE_NULL_WITH_DEFAULT,
    ])

    @classmethod
    def _props_from_kwargs(cls, props: dict[str, Any]) -> dict[str, Any]:
        spec = props.get("spec")
        if isinstance(spec, Mapping):
            props["spec"] = [f"{name}:{_type_text(t)}" for name, t in spec.items()]
        elif isinstance(spec, Type):
            props["spec"] = [spec.name]
        return props

    def _configure(self, values: Mapping[str, Any]) -> None:
        self.casts = parse_cast_spec(values["spec"])
        self.whole_value_type: Type | None = self.casts.get(WHOLE_VALUE)
        self._field_casts: dict[str, Type] = {k: v for k, v in self.casts.items() if k is not None}
        self.replace_null_with_default: bool = values["replace.null.with.default"]
        self._cache = SchemaCache()

    @property
    def fusable_map(self) -> bool:
        """True when `map_update` does this transform's work on a schemaless map (field casts only)."""
        return self.whole_value_type is None

    def map_code(self, code: MapCode) -> None:
        """`map_update` as lines of a fused chain function (see `transforms.fused`)."""
        cast = code.const(cast_value)
        for name, target in self._field_casts.items():
            key, kind = code.const(name), code.const(target)
            code.line(f"x = u.get({key})")
            if target in INT_BITS:
                half, mask = 1 << (INT_BITS[target] - 1), (1 << INT_BITS[target]) - 1
                box = code.const(BOXES[target]) if target in BOXES else ""
                code.line(f"u[{key}] = {box}(((x + {half}) & {mask}) - {half}) if type(x) is int "
                          f"else {cast}(None, x, {kind})")
            elif target is Type.FLOAT64:
                # plain unsigned decimal digits: Double.parseDouble agrees with float() (as in _to_float)
                code.line(f"u[{key}] = float(x) if type(x) is str and x.isascii() and x.replace('.', '', 1).isdigit() "
                          f"else {cast}(None, x, {kind})")
            else:
                code.line(f"u[{key}] = {cast}(None, x, {kind})")

    def map_update(self, record: Record, updated: dict[str, Any]) -> dict[str, Any]:
        """Cast the spec's fields of `updated`, a private copy of a schemaless map, and return it."""
        for name, target in self._field_casts.items():
            value = updated.get(name)
            if type(value) is int and target in INT_BITS:  # the commonest casts, as cast_value does them
                updated[name] = boxed(wrap_int(value, INT_BITS[target]), target)
            elif type(value) is str and target is Type.FLOAT64:
                updated[name] = _to_float(value, False)
            else:
                updated[name] = cast_value(None, value, target)
        return updated

    def __call__(self, record: Record) -> Record:
        value, schema = self._operating(record)
        if value is None:
            return record
        if schema is None:
            if self.whole_value_type is not None:
                return self._with_part(record, cast_value(None, value, self.whole_value_type), None)
            original = require_map(value, PURPOSE)
            return self._with_part(record, java_copied(tuple(original), self.map_update(record, dict(original))), None)
        updated_schema: Schema = self._cache.get_or_build(schema, self._updated_schema)
        if self.whole_value_type is not None:
            return self._with_part(record, cast_value(schema, value, self.whole_value_type), updated_schema)
        struct = require_struct(value, PURPOSE)
        values = field_values(struct, self.replace_null_with_default)
        casts = self._field_casts
        for f in struct.schema.fields or ():
            field_target = casts.get(f.name)
            if field_target is not None:
                put_checked(values, updated_schema, f.name, cast_value(f.schema, values[f.name], field_target))
        return self._with_part(record, Struct.unchecked(updated_schema, values), updated_schema)

    def transform_columns(self, columns: DecodedColumns) -> DecodedColumns | None:
        """The value form of field casts on a flat struct batch (`transforms.columns`): each cast column
        through `cast_value` value by value and checked as `put_checked` checks, under the schema the record
        path builds (the same cache). None for the key form, a whole-value cast, a value that does not cast,
        or a cast column that is not plain for its new type (that batch takes the record path)."""
        flat = columns.flat
        if self.TARGET != "value" or flat is None or not len(columns) or self.whole_value_type is not None:
            return None
        try:
            schema: Schema = self._cache.get_or_build(flat.schema, self._updated_schema)
            fields = flat_fields(schema)
            if fields is None or [f[0] for f in fields] != flat.names:
                return None
            cast = list(flat.columns)
            for j, (name, kind, optional) in enumerate(fields):
                target = self._field_casts.get(name)
                if target is None:
                    continue
                old, new = flat.schema.field(name), schema.field(name)
                assert old is not None and new is not None
                column = [cast_value(old.schema, v, target) for v in cast[j]]
                for v in column:
                    validate_value(new.schema, v, name)
                if not column_is_plain(column, kind, optional):
                    return None
                cast[j] = column
        except Exception:  # noqa: BLE001 - the record path reports it, record by record
            return None
        return columns.with_flat(FlatColumns(schema, flat.names, cast))

    def _updated_schema(self, schema: Schema) -> Schema:
        if self.whole_value_type is not None:
            builder = copy_schema_basics(schema, SchemaBuilder(self.whole_value_type))
            type_ = self.whole_value_type
        else:
            if schema.type is not Type.STRUCT:
                raise DataException("Cannot list fields on non-struct type")
            builder = copy_schema_basics(schema, SchemaBuilder.struct())
            type_ = Type.STRUCT
            for f in schema.fields or ():
                target = self._field_casts.get(f.name)
                if target is None:
                    builder.field(f.name, f.schema)
                    continue
                field_builder = SchemaBuilder(target)
                if f.schema.optional:
                    field_builder.optional()
                if f.schema.default is not None:
                    field_builder.default_value(cast_value(f.schema, f.schema.default, target))
                builder.field(f.name, field_builder.build())
        if schema.optional:
            builder.optional()
        if schema.default is not None:
            builder.default_value(cast_value(schema, schema.default, type_))
        return builder.build()


def _type_text(type_: Any) -> str:
    return type_.name if isinstance(type_, Type) else str(type_)


class CastKey(Cast):
    """Cast on the record key (Kafka's `Cast$Key`)."""

    TARGET = "key"
    KAFKA_NAME = "Cast$Key"


class CastValue(Cast):
    """Cast on the record value (Kafka's `Cast$Value`)."""

    TARGET = "value"
    KAFKA_NAME = "Cast$Value"


Cast.Key = CastKey
Cast.Value = CastValue

TRANSFORMS: dict[str, type[Transform]] = {
    "Cast$Key": CastKey,
    "Cast$Value": CastValue,
}
