"""How Java prints objects: what StringConverter writes, what Cast gives, what error messages name.

- `java_to_string`: `Object.toString` of the Java value a Connect value stands for
  (`true`, `[1, 2]`, `{a=1}`, `Struct{a=1}`), as Kafka's `StringConverter` writes it.
- `java_class_name`: `class java.lang.String`-style names for error messages.

Numbers and dates print through `java_numbers` and `java_dates`.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from pyconnect_flow.data.java_dates import date_to_string
from pyconnect_flow.data.java_numbers import java_bigdecimal_str, java_double_str, java_float_str
from pyconnect_flow.data.struct import Struct


def java_class_name(value: Any) -> str:
    """`class int` / `class decimal.Decimal`: the Python class, spelled as Java's `getClass()` prints."""
    cls = type(value)
    module = cls.__module__
    return f"class {cls.__qualname__}" if module == "builtins" else f"class {module}.{cls.__qualname__}"


def java_to_string(value: Any, float32: bool = False) -> str:
    """`value.toString()` of the Java object a Connect value stands for.

    `float32` prints a float as `Float.toString` (for FLOAT32 schemas). Dates and times
    print as `java.util.Date` does with the JVM in UTC. Values Java has no counterpart
    for fall back to Python's `str`.
    """
    if value is None:
        return "null"
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return java_float_str(value) if float32 else java_double_str(value)
    if isinstance(value, decimal.Decimal) and value.is_finite():
        return java_bigdecimal_str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(java_to_string(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{java_to_string(k)}={java_to_string(v)}" for k, v in value.items()) + "}"
    if isinstance(value, dt.datetime):
        return date_to_string(value)
    if isinstance(value, dt.date):
        return date_to_string(dt.datetime(value.year, value.month, value.day))
    if isinstance(value, dt.time):
        return date_to_string(dt.datetime.combine(dt.date(1970, 1, 1), value.replace(tzinfo=None)))
    if isinstance(value, Struct):
        inner = ",".join(f"{name}={java_to_string(v)}" for name, v in _struct_items(value) if v is not None)
        return f"Struct{{{inner}}}"
    return str(value)


def _struct_items(value: Any) -> list[tuple[str, Any]]:
    # Java's Struct.toString prints the values as set (no defaults) and skips nulls.
    return [(name, value.get_without_default(name)) for name in value]


__all__ = ["java_class_name", "java_to_string"]
