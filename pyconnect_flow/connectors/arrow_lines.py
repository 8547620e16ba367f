"""Text lines of flat struct columns made by Arrow's string kernels, byte for byte what Java prints.

For batches read into Arrow (`converters.json_arrow`), FileStreamSink's `Struct{a=1,b=x}` lines and S3
JsonFormat's JSON lines are concatenations of each field's text, so they are built column by column in C and
handed over as one buffer, without a Python string per value. Each function returns None where a column
would print otherwise than Java does and the caller's Python path prints the batch:
- doubles only in [1e-3, 1e7), where `Double.toString` writes plain shortest digits, as Arrow does, and always
  a fraction (Arrow's `100` is Java's `100.0`); zeros, NaN and infinities never reach Arrow columns;
- JSON strings only without characters Jackson escapes (`"`, `\\`, controls) or writes as surrogate pairs.
"""

from __future__ import annotations

from typing import Any

import orjson

from pyconnect_flow.data import java_numbers
from pyconnect_flow.data.schema import Type

_INTEGERS = (Type.INT8, Type.INT16, Type.INT32, Type.INT64)
_JSON_ESCAPED = "[\"\\\\\\x00-\\x1f\\x{10000}-\\x{10FFFF}]"
"""Characters Jackson writes escaped: quote, backslash, controls, and astral ones (as `\\uD83D\\uDE00`)."""


def struct_lines(fields: list[tuple[str, Type]], columns: list[Any]) -> memoryview | None:
    """`Struct{a=1,b=x}` and a newline per row (null fields left out), as Java's `Struct.toString`."""
    import pyarrow.compute as pc

    parts: list[Any] = []
    for (name, kind), column in zip(fields, columns):
        text = _java_text(kind, column)
        if text is None:
            return None
        if not parts:
            if column.null_count:
                return None  # the first field printed has no leading comma: the Python path knows which
            parts += ["Struct{" + name + "=", text]
        elif column.null_count:
            parts.append(pc.fill_null(pc.binary_join_element_wise("," + name + "=", text, ""), ""))
        else:
            parts += ["," + name + "=", text]
    return _joined(parts, "}\n")


def json_lines(fields: list[tuple[str, Type]], columns: list[Any]) -> memoryview | None:
    """A JSON object and a newline per row, every field in order (nulls as `null`), as JsonConverter
    (`schemas.enable=false`) writes a flat struct."""
    import pyarrow as pa
    import pyarrow.compute as pc

    parts: list[Any] = []
    for (name, kind), column in zip(fields, columns):
        if kind is Type.STRING:
            if pc.any(pc.match_substring_regex(column, _JSON_ESCAPED)).as_py():
                return None
            text = pc.binary_join_element_wise('"', column, '"', "")
        else:
            text = _java_text(kind, column)
            if text is None:
                return None
        if column.null_count:
            text = pc.fill_null(text, pa.scalar("null"))
        parts += [("{" if not parts else ",") + orjson.dumps(name).decode() + ":", text]
    return _joined(parts, "}\n")


def _joined(parts: list[Any], end: str) -> memoryview:
    import pyarrow as pa
    import pyarrow.compute as pc

    lines = pc.binary_join_element_wise(*parts, end, "")
    if isinstance(lines, pa.ChunkedArray):
        lines = lines.combine_chunks()
    offsets_buffer, data = lines.buffers()[1:3]
    offsets = memoryview(offsets_buffer).cast("i")
    return memoryview(data)[offsets[lines.offset]:offsets[lines.offset + len(lines)]]


def _java_text(kind: Type, column: Any) -> Any | None:
    """`String.valueOf` of each value (nulls stay null); None for a column printed otherwise."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if kind is Type.STRING:
        return column
    if kind in _INTEGERS or kind is Type.BOOLEAN:
        return column.cast(pa.string())  # -12, true
    if kind is not Type.FLOAT64 or java_numbers.legacy_to_string:
        return None
    if column.null_count == len(column):
        return column.cast(pa.string())
    bounds = pc.min_max(pc.abs(column)).as_py()
    if not (1e-3 <= bounds["min"] and bounds["max"] < 1e7):
        return None
    text = column.cast(pa.string())
    return pc.if_else(pc.match_substring(text, "."), text, pc.binary_join_element_wise(text, ".0", ""))
