"""Header values to bytes, as Kafka Connect's default `SimpleHeaderConverter` writes them.

`str` values are written as UTF-8, other values as the text of Kafka's
`Values.convertToString` (`true`, `42`, `1.5`, `[1,2]`, `{"a":1}`), which lives in
`pyconnect_flow.data.text`. Unlike Kafka (which writes base64 text for `byte[]`), `bytes`
pass through unchanged: in a `Record`, bytes header values are already raw header bytes.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable
from typing import Any

from pyconnect_flow.converters.java_text import java_bigdecimal_str, java_double_str, java_float_str
from pyconnect_flow.data.exceptions import DataException
from pyconnect_flow.data.schema import Schema, Type

_convert_to_string: Callable[[Schema | None, Any], str | None] | None = None
_looked_up = False


def _text_module_converter() -> Callable[[Schema | None, Any], str | None] | None:
    """`pyconnect_flow.data.text.convert_to_string`, imported on first use (None if absent)."""
    global _convert_to_string, _looked_up
    if not _looked_up:
        try:
            from pyconnect_flow.data.text import convert_to_string
        except ImportError:
            convert_to_string = None  # type: ignore[assignment]
        _convert_to_string = convert_to_string
        _looked_up = True
    return _convert_to_string


def header_value_to_bytes(value: Any, schema: Schema | None = None) -> bytes | None:
    """The bytes SimpleHeaderConverter writes for a header value (None stays None).

    Example::

        header_value_to_bytes("abc")       # b'abc'
        header_value_to_bytes(True)        # b'true'
        header_value_to_bytes(1.0)         # b'1.0'
        header_value_to_bytes(b"\\x00raw")  # b'\\x00raw' (unchanged)
    """
    if value is None:
        return None
    if type(value) is str:
        return value.encode("utf-8", "replace")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    convert = _text_module_converter()
    if convert is not None:
        text = convert(schema, value)
        return None if text is None else text.encode("utf-8", "replace")
    return _scalar_text(value, schema).encode("utf-8", "replace")


def _scalar_text(value: Any, schema: Schema | None) -> str:
    """`Values.convertToString` for scalars, used when `data.text` is not available."""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return java_float_str(value) if schema is not None and schema.type is Type.FLOAT32 else java_double_str(value)
    if isinstance(value, decimal.Decimal) and value.is_finite():
        return java_bigdecimal_str(value)
    raise DataException(f"Failed to serialize unexpected value type {type(value).__name__}: {value!r}")


__all__ = ["header_value_to_bytes"]
