"""Checking Python values against Connect schemas (`ConnectSchema.validateValue`), and the schema type or
schema of a schemaless value (`ConnectSchema.schemaType`, `Values.inferSchema`)."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Mapping
from typing import Any

from pyconnect_flow.data import logical
from pyconnect_flow.data.exceptions import DataException
from pyconnect_flow.data.java_ints import JavaInt
from pyconnect_flow.data.schema import (
    BOOLEAN_SCHEMA,
    BYTES_SCHEMA,
    FLOAT64_SCHEMA,
    INT32_SCHEMA,
    INT64_SCHEMA,
    STRING_SCHEMA,
    Schema,
    Type,
)
from pyconnect_flow.data.struct import Struct

_PYTHON_TYPES: dict[Type, tuple[type, ...]] = {
    Type.INT8: (int,),
    Type.INT16: (int,),
    Type.INT32: (int,),
    Type.INT64: (int,),
    Type.FLOAT32: (float, int),
    Type.FLOAT64: (float, int),
    Type.BOOLEAN: (bool,),
    Type.STRING: (str,),
    Type.BYTES: (bytes, bytearray, memoryview),
    Type.ARRAY: (list, tuple),
    Type.MAP: (dict,),
}

_INT_RANGES = {
    Type.INT8: (-(1 << 7), (1 << 7) - 1),
    Type.INT16: (-(1 << 15), (1 << 15) - 1),
    Type.INT32: (-(1 << 31), (1 << 31) - 1),
    Type.INT64: (-(1 << 63), (1 << 63) - 1),
}

_LOGICAL_TYPES: dict[str, tuple[type, ...]] = {
    logical.DECIMAL_NAME: (decimal.Decimal,),
    logical.DATE_NAME: (dt.date,),
    logical.TIME_NAME: (dt.time, dt.datetime),
    logical.TIMESTAMP_NAME: (dt.datetime,),
}


def validate_value(schema: Schema | None, value: Any, field_name: str | None = None) -> None:
    """Raise DataException unless `value` is a valid value of `schema`.

    `None` is accepted for optional schemas and for schemas with a default.
    """
    where = f' for field: "{field_name}"' if field_name else ""
    if schema is None:
        return
    if value is None:
        if not schema.optional and schema.default is None:
            raise DataException(f"Invalid value: null used for required field: \"{field_name}\", schema type: {schema.type.name}")
        return
    if schema.name in _LOGICAL_TYPES:
        expected = _LOGICAL_TYPES[schema.name]
        if not isinstance(value, expected):
            raise DataException(
                f"Invalid Java object for schema \"{schema.name}\" with type {schema.type.name}: "
                f"{type(value).__name__}{where}"
            )
        return
    if schema.type is Type.STRUCT:
        if not isinstance(value, Struct):
            raise DataException(f"Invalid Java object for schema with type STRUCT: {type(value).__name__}{where}")
        if value.schema != schema:
            raise DataException("Struct schemas do not match.")
        value.validate()
        return
    expected = _PYTHON_TYPES[schema.type]
    if not isinstance(value, expected) or (schema.type is not Type.BOOLEAN and isinstance(value, bool)):
        raise DataException(
            f"Invalid Java object for schema with type {schema.type.name}: {type(value).__name__}{where}"
        )
    # The isinstance checks below only narrow `value` for the type checker: the check above guarantees them.
    if schema.type in _INT_RANGES and isinstance(value, int):
        lo, hi = _INT_RANGES[schema.type]
        if not lo <= value <= hi:
            raise DataException(f"Value {value} out of range for schema type {schema.type.name}{where}")
    elif schema.type is Type.ARRAY and isinstance(value, (list, tuple)):
        for item in value:
            validate_value(schema.value_schema, item, "element")
    elif schema.type is Type.MAP and isinstance(value, dict):
        for k, v in value.items():
            validate_value(schema.key_schema, k, "key")
            validate_value(schema.value_schema, v, "value")


def infer_schema(value: Any) -> Schema | None:
    """The schema Kafka Connect's `Values.inferSchema` gives a plain value, or None.

    Used where a schemaless value needs a schema (headers, schemaless JSON).
    """
    if isinstance(value, bool):
        return BOOLEAN_SCHEMA
    if isinstance(value, int):
        return INT64_SCHEMA if not -(1 << 31) <= value < (1 << 31) else INT32_SCHEMA
    if isinstance(value, float):
        return FLOAT64_SCHEMA
    if isinstance(value, str):
        return STRING_SCHEMA
    if isinstance(value, (bytes, bytearray)):
        return BYTES_SCHEMA
    if isinstance(value, Struct):
        return value.schema
    return None


def schema_type(value: Any) -> Type | None:
    """The schema type Kafka's `ConnectSchema.schemaType` gives the class of a schemaless value, or None.

    A Python int is a Java Long and a float a Double, as schemaless JSON decodes them; a boxed narrower
    integer (`data.java_ints`) is its own INT8/INT16/INT32.
    """
    if isinstance(value, bool):
        return Type.BOOLEAN
    if isinstance(value, int):
        return value.SCHEMA_TYPE if isinstance(value, JavaInt) else Type.INT64
    if isinstance(value, float):
        return Type.FLOAT64
    if isinstance(value, str):
        return Type.STRING
    if isinstance(value, (bytes, bytearray, memoryview)):
        return Type.BYTES
    if isinstance(value, (list, tuple)):
        return Type.ARRAY
    if isinstance(value, Mapping):
        return Type.MAP
    if isinstance(value, Struct):
        return Type.STRUCT
    return None
