"""PostgreSQL text `COPY` data built in bulk from columns of plain Connect values.

`copy_text(kinds, columns)` writes rows (one value of each column) in `COPY … FROM STDIN` text format:
fields separated by tabs, rows ended by newlines, NULL as `\\N`, and in strings backslash, tab, newline and
carriage return escaped. Each column is formatted by C-level passes over the whole column; only a column
with nulls or characters to escape costs a Python-level pass.

The text is what the binary COPY of `writers.PostgresCopyWriter` stores, for columns whose type is the
one the Connect type maps to (`NATURAL_OIDS`): integers in decimal, FLOAT64 as a shortest text that reads
back as the same double (orjson's, or Python's `repr`), FLOAT32 rounded to single precision first (as the
binary form does; such a text of that double reads back as the same float), booleans `t`/`f`, strings as
they are. A column the text cannot carry as the binary COPY would (a NUL character, which PostgreSQL
refuses in text, or a FLOAT32 beyond single precision) gives None: the caller takes the record path,
which isolates and reports the rows at fault.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Any

import orjson

from pyconnect_flow.data.schema import Type

NULL = "\\N"
_BOOLS = {True: "t", False: "f", None: NULL}
_ESCAPED = ("\\", "\t", "\n", "\r")

NATURAL_OIDS: dict[Type, frozenset[int]] = {
    Type.INT8: frozenset({21}), Type.INT16: frozenset({21}), Type.INT32: frozenset({23}), Type.INT64: frozenset({20}),
    Type.FLOAT32: frozenset({700}), Type.FLOAT64: frozenset({701}), Type.BOOLEAN: frozenset({16}),
    Type.STRING: frozenset({25, 1043}),
}
"""The PostgreSQL column types (oids) whose text input reads `copy_text`'s form of a Connect type as the binary
COPY of the same values does (the types `types.sql_type` creates; VARCHAR too for strings)."""


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _strings(column: list[Any]) -> list[str] | None:
    nulls = None in column
    present = [v for v in column if v is not None] if nulls else column
    joined = "".join(present)
    if "\x00" in joined:
        return None
    if any(c in joined for c in _ESCAPED):
        column = [None if v is None else _escape(v) for v in column]
    return [NULL if v is None else v for v in column] if nulls else column


def _numbers(column: list[Any], text: Any) -> list[str]:
    """Integers in decimal, floats as a text that reads back as the same double: orjson writes a whole column
    in one call (its floats are shortest round-trip texts too); Python's `text` where orjson cannot (an integer
    beyond 64 bits, NaN or infinity, which orjson writes as null)."""
    if not column:
        return []
    try:
        dumped = orjson.dumps(column)
    except orjson.JSONEncodeError:
        dumped = b""
    nulls = column.count(None)
    if dumped and dumped.count(b"null") == nulls:
        texts = dumped[1:-1].decode().split(",")
        return [NULL if t == "null" else t for t in texts] if nulls else texts
    if nulls:
        return [NULL if v is None else text(v) for v in column]
    return list(map(text, column))


def _singles(column: list[Any]) -> list[str] | None:
    """FLOAT32 values rounded to single precision (as `struct` packs them, which psycopg's binary dumper
    uses too), then written as FLOAT64 are; None when one does not fit a float."""
    present = [v for v in column if v is not None]
    try:
        rounded = list(struct.unpack(f"<{len(present)}f", struct.pack(f"<{len(present)}f", *present)))
    except OverflowError:
        return None
    texts = iter(_numbers(rounded, float.__repr__))
    return [NULL if v is None else next(texts) for v in column] if len(present) < len(column) else list(texts)


def column_text(kind: Type, column: list[Any]) -> list[str] | None:
    """The COPY text of each value of a column of Connect type `kind` (see the module docstring)."""
    if kind is Type.STRING:
        return _strings(column)
    if kind is Type.BOOLEAN:
        return list(map(_BOOLS.__getitem__, column))
    if kind is Type.FLOAT64:
        return _numbers(column, float.__repr__)
    if kind is Type.FLOAT32:
        return _singles(column)
    return _numbers(column, int.__repr__)


def copy_text(kinds: Sequence[Type], columns: Sequence[list[Any]]) -> str | None:
    """The rows whose j-th values are `columns[j]` (of Connect type `kinds[j]`), as COPY text; None when a
    value cannot be written exactly (see the module docstring)."""
    texts = []
    for kind, column in zip(kinds, columns):
        text = column_text(kind, column)
        if text is None:
            return None
        texts.append(text)
    if not texts or not texts[0]:
        return ""
    if len(texts) == 1:
        return "\n".join(texts[0]) + "\n"
    return "\n".join(map("\t".join, zip(*texts))) + "\n"
