"""FileStreamSink lines of a column of decoded values, field by field instead of value by value.

`java_string` walks each value; for a column of structs of one flat schema (the common Kafka topic), the
lines are built one field column at a time (`Struct{id=1,name=a}`, null fields left out, as Java's
`Struct.toString`), which is several times faster. Anything else (nested or logical fields, bytes, mixed
schemas) returns None and the caller prints value by value; both give the same text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pyconnect_flow.converters.json_columns import FlatColumns
from pyconnect_flow.data import java_numbers
from pyconnect_flow.data.java_numbers import java_double_str, java_float_str
from pyconnect_flow.data.schema import Type
from pyconnect_flow.data.struct import Struct

_TEXT: dict[Type, Callable[[Any], str]] = {
    Type.STRING: str,
    Type.INT8: str,
    Type.INT16: str,
    Type.INT32: str,
    Type.INT64: str,
    Type.BOOLEAN: {True: "true", False: "false"}.__getitem__,
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
    built = _lines(fields, [[t.get(name) for t in tables] for name, _ in fields])
    if built is None:
        return None
    lines = iter(built)
    return [next(lines) if v is not None else "null" for v in values]


def flat_lines(flat: FlatColumns) -> list[str] | None:
    """`java_string` of each value of `flat` (the `Struct`s it stands for), from its columns; None when a
    field is not of a type printed here (the caller prints the values one by one)."""
    fields = _plain_fields(flat.schema)
    if fields is None:
        return None
    return _lines(fields, flat.columns)


def _lines(fields: list[tuple[str, Type]], columns: list[list[Any]]) -> list[str] | None:
    """`Struct{a=1,b=x}` per row of the field columns (null fields left out)."""
    texts: list[list[Any]] = []
    for (_, kind), column in zip(fields, columns):
        text = _column_text(kind, column)
        if text is None:
            return None
        texts.append(text)
    if not texts or None in texts[0]:
        return _lines_with_leading_nulls(fields, texts)
    # One `%` per row: the first field is always there, so every later one may carry its leading comma.
    pieces = ["Struct{" + fields[0][0].replace("%", "%%") + "=%s"]
    parts = [texts[0]]
    for (name, _), text in zip(fields[1:], texts[1:]):
        prefix = "," + name + "="
        if None in text:
            pieces.append("%s")
            parts.append(["" if t is None else prefix + t for t in text])
        else:
            pieces.append(prefix.replace("%", "%%") + "%s")
            parts.append(text)
    return list(map(("".join(pieces) + "}").__mod__, zip(*parts)))


def _lines_with_leading_nulls(fields: list[tuple[str, Type]], texts: list[list[Any]]) -> list[str]:
    named = [[None if t is None else name + "=" + t for t in text] for (name, _), text in zip(fields, texts)]
    return ["Struct{" + ",".join(filter(None, parts)) + "}" for parts in zip(*named)]


def _column_text(kind: Type, column: list[Any]) -> list[Any] | None:
    """Each value's text (None for a null); None when a value is not of the type `_TEXT[kind]` prints."""
    present = [v for v in column if v is not None] if None in column else column
    if not present:
        return column
    if set(map(type, present)) != {_TYPES[kind]}:
        return None
    if kind is Type.STRING:
        return column
    text: Callable[[Any], str]
    if kind is Type.FLOAT64:
        text = repr if _reprs_as_java(present) else java_double_str
    else:
        text = _TEXT[kind]
    if present is column:
        return list(map(text, column))
    return [None if v is None else text(v) for v in column]


def _reprs_as_java(doubles: list[float]) -> bool:
    """Whether Python's `repr` prints every one of these doubles as `Double.toString` does (see
    `java_double_str`): all finite, none NaN, with magnitudes in [1e-3, 1e7)."""
    total = sum(doubles)
    if total != total:  # a NaN (min and max would pass over it)
        return False
    magnitudes = list(map(abs, doubles))
    return not java_numbers.legacy_to_string and 1e-3 <= min(magnitudes) and max(magnitudes) < 1e7


