"""FileStreamSink lines of a column of decoded values, field by field instead of value by value.

`java_string` walks each value; for a column of structs of one flat schema (the common Kafka topic), the
lines are built one field column at a time (`Struct{id=1,name=a}`, null fields left out, as Java's
`Struct.toString`), which is several times faster. Anything else (nested or logical fields, bytes, mixed
schemas) returns None and the caller prints value by value; both give the same text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pyconnect_flow.data.java_numbers import java_double_str, java_float_str
from pyconnect_flow.data.schema import Type
from pyconnect_flow.data.struct import Struct

_TEXT: dict[Type, Callable[[Any], str]] = {
    Type.STRING: str,
    Type.INT8: str,
    Type.INT16: str,
    Type.INT32: str,
    Type.INT64: str,
    Type.BOOLEAN: lambda v: "true" if v else "false",
    Type.FLOAT64: java_double_str,
    Type.FLOAT32: java_float_str,
}
"""How a plain field value prints (`String.valueOf`), by the field's schema type."""

_TYPES: dict[Type, type] = {Type.STRING: str, Type.INT8: int, Type.INT16: int, Type.INT32: int, Type.INT64: int,
                            Type.BOOLEAN: bool, Type.FLOAT64: float, Type.FLOAT32: float}
"""The Python type a field value must have for its `_TEXT` to match `java_string` (checked per column)."""


def _plain_fields(schema: Any) -> list[tuple[str, Type]] | None:
    if schema is None or schema.type is not Type.STRUCT or not schema.fields:
        return None
    fields = []
    for f in schema.fields:
        s = f.schema
        if s.name is not None or s.type not in _TEXT:  # logical types print as dates, decimals
            return None
        fields.append((f.name, s.type))
    return fields


def struct_lines(schemas: Sequence[Any], values: Sequence[Any]) -> list[str] | None:
    """`java_string(v, s)` for each (s, v), when every value is a `Struct` of one flat schema (null values
    print as `null`); None otherwise."""
    if not values:
        return []
    schema = next((s for s, v in zip(schemas, values) if v is not None), None)
    fields = _plain_fields(schema)
    if fields is None:
        return None
    rows = [v for v in values if v is not None]
    if not all(type(v) is Struct and v.schema is schema for v in rows):
        return None
    if not all(s is schema for s, v in zip(schemas, values) if v is not None):
        return None
    tables = [v._values for v in rows]
    columns: list[list[str | None]] = []
    for name, kind in fields:
        column = [t.get(name) for t in tables]
        present = [v for v in column if v is not None]
        expected = _TYPES[kind]
        if not all(type(v) is expected for v in present):
            return None
        text, prefix = _TEXT[kind], name + "="
        columns.append([None if v is None else prefix + text(v) for v in column])
    built = iter(["Struct{" + ",".join(filter(None, parts)) + "}" for parts in zip(*columns)])
    return [next(built) if v is not None else "null" for v in values]
