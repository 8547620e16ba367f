"""How Java prints objects: what StringConverter writes, what Cast gives, what error messages name.

- `java_to_string`: `Object.toString` of the Java value a Connect value stands for
  (`true`, `[1, 2]`, `{a=1}`, `Struct{a=1}`), as Kafka's `StringConverter` writes it.
- `java_class_name`: `class java.lang.String`-style names for error messages.
- `decode_like_java`: bytes decoded as Java's UTF-8 decoder does (`new String(bytes, UTF_8)`, a reader),
  invalid bytes grouped into U+FFFD as Java groups them.

Numbers and dates print through `java_numbers` and `java_dates`.
"""

from __future__ import annotations

import codecs
import datetime as dt
import decimal
from itertools import compress, repeat
from operator import is_
from typing import Any

from pyconnect_flow.data.java_dates import date_to_string
from pyconnect_flow.data.java_numbers import java_bigdecimal_str, java_double_str, java_float_str
from pyconnect_flow.data.schema import Type
from pyconnect_flow.data.struct import Struct


def _java_malformed_length(data: bytes, start: int) -> int:
    """How many bytes Java's UTF-8 decoder replaces by one U+FFFD at `start`, where decoding fails.

    Java's `sun.nio.cs.UTF_8` decoder, as `InputStreamReader` uses it with REPLACE: mostly the maximal
    subpart Python's decoder also replaces, except for surrogates encoded in three bytes (`ED A0..BF`):
    Java replaces `ED A0 80` with one U+FFFD (Python: three), and `ED A0` before a non-continuation byte
    with one (Python: two). The end of `data` counts as a non-continuation byte (a line terminator
    follows, or the end of the file, which Java treats alike).
    """
    def at(i: int) -> int:
        return data[i] if i < len(data) else 0x0A

    def cont(b: int) -> bool:
        return b & 0xC0 == 0x80

    b1 = data[start]
    if 0xC2 <= b1 <= 0xDF:
        return 1
    if 0xE0 <= b1 <= 0xEF:
        b2, b3 = at(start + 1), at(start + 2)
        if (b1 == 0xE0 and b2 & 0xE0 == 0x80) or not cont(b2):
            return 1
        if not cont(b3):
            return 2
        return 3  # a well-formed sequence failing here encodes a surrogate: Java drops all three bytes
    if 0xF0 <= b1 <= 0xF4:
        b2, b3 = at(start + 1), at(start + 2)
        if (b1 == 0xF0 and not 0x90 <= b2 <= 0xBF) or (b1 == 0xF4 and b2 & 0xF0 != 0x80) or not cont(b2):
            return 1
        return 2 if not cont(b3) else 3
    return 1


def _java_utf8_errors(exc: UnicodeError) -> tuple[str, int]:
    assert isinstance(exc, UnicodeDecodeError)
    return "\ufffd", exc.start + _java_malformed_length(exc.object, exc.start)


codecs.register_error("pyconnect-java-utf8", _java_utf8_errors)


def decode_like_java(data: bytes) -> str:
    """`data` decoded as Java decodes UTF-8 (`new String(bytes, UTF_8)`, an `InputStreamReader`): bytes
    that are not UTF-8 become U+FFFD, grouped as Java's decoder groups them (`_java_malformed_length`)."""
    return data.decode("utf-8", "pyconnect-java-utf8")


def java_class_name(value: Any) -> str:
    """`class int` / `class decimal.Decimal`: the Python class, spelled as Java's `getClass()` prints."""
    cls = type(value)
    module = cls.__module__
    return f"class {cls.__qualname__}" if module == "builtins" else f"class {module}.{cls.__qualname__}"


def java_to_string(value: Any, float32: bool = False, schema: Any = None) -> str:
    """`value.toString()` of the Java object a Connect value stands for.

    `float32` prints a float as `Float.toString` (for FLOAT32 schemas); with `schema`, floats inside
    arrays, maps and structs print by their own schemas too (struct fields always do). Dates and
    times print as `java.util.Date` does with the JVM in UTC. A `byte[]` prints its identity
    (`[B@1b6d3586`), as Java's does. Values Java has no counterpart for fall back to Python's `str`.
    """
    t = type(value)
    if t is str:
        return value
    if t is dict and schema is None:
        # the usual schemaless map: keys and values of plain types print without the general walk
        kinds = set(map(type, value.values()))
        if kinds <= _STR_INT_FLOAT and _STR_ONLY.issuperset(map(type, value)):
            texts = list(map(str, value.values()))
            if float in kinds:  # Double.toString, not Python's repr
                plain = list(value.values())
                for i in compress(range(len(plain)), map(is_, map(type, plain), repeat(float))):
                    texts[i] = java_double_str(plain[i])
            return "{" + ", ".join(map("=".join, zip(value, texts))) + "}"
        try:
            return "{" + ", ".join([f"{_PLAIN[type(k)](k)}={_PLAIN[type(v)](v)}" for k, v in value.items()]) + "}"
        except KeyError:
            pass
    if value is None:
        return "null"
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if schema is not None:
            float32 = schema.type is Type.FLOAT32
        return java_float_str(value) if float32 else java_double_str(value)
    if isinstance(value, decimal.Decimal) and value.is_finite():
        return java_bigdecimal_str(value)
    if isinstance(value, (list, tuple)):
        items = schema.value_schema if schema is not None and schema.type is Type.ARRAY else None
        return "[" + ", ".join(java_to_string(v, schema=items) for v in value) + "]"
    if isinstance(value, dict):
        keys = item_values = None
        if schema is not None and schema.type is Type.MAP:
            keys, item_values = schema.key_schema, schema.value_schema
        return "{" + ", ".join(f"{java_to_string(k, schema=keys)}={java_to_string(v, schema=item_values)}"
                               for k, v in value.items()) + "}"
    if isinstance(value, dt.datetime):
        return date_to_string(value)
    if isinstance(value, dt.date):
        return date_to_string(dt.datetime(value.year, value.month, value.day))
    if isinstance(value, dt.time):
        return date_to_string(dt.datetime.combine(dt.date(1970, 1, 1), value.replace(tzinfo=None)))
    if isinstance(value, Struct):
        inner = ",".join(f"{name}={java_to_string(v, schema=_field_schema(value, name))}"
                         for name, v in _struct_items(value) if v is not None)
        return f"Struct{{{inner}}}"
    if isinstance(value, (bytes, bytearray)):
        return "[B@" + format(id(value) & 0xFFFFFFF, "x")  # a Java byte[] prints its identity
    return str(value)


def _bool_text(value: bool) -> str:
    return "true" if value else "false"


_STR_INT_FLOAT = frozenset((str, int, float))
_STR_ONLY = frozenset((str,))

#: Object.toString of the plain types, by exact type (a float of a schemaless map is a Double)
_PLAIN: dict[type, Any] = {str: str, int: int.__repr__, bool: _bool_text, type(None): lambda _: "null",
                           float: lambda x: java_double_str(x)}


def _field_schema(value: Struct, name: str) -> Any:
    field = value.schema.field(name)
    return field.schema if field is not None else None


def _struct_items(value: Any) -> list[tuple[str, Any]]:
    # Java's Struct.toString prints the values as set (no defaults) and skips nulls.
    return [(name, value.get_without_default(name)) for name in value]


__all__ = ["decode_like_java", "java_class_name", "java_to_string"]
