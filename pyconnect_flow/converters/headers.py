"""Header converters: header values ⇄ bytes, as Kafka Connect's `header.converter` does.

The default, `SimpleHeaderConverter`, writes `str` values as UTF-8 and other values as the text of
Kafka's `Values.convertToString` (`true`, `42`, `1.5`, `[1,2]`, `{"a":1}`), which lives in
`pyconnect_flow.data.text`. Unlike Kafka (which writes base64 text for `byte[]`), `bytes` pass
through unchanged: in a `Record`, bytes header values are already raw header bytes, and headers
read from Kafka are kept as those raw bytes (Kafka parses them with `Values.parseString`, which
does not give the same bytes back for every header, e.g. `1.50`).

Any converter named as `header.converter` (`JsonConverter`, `StringConverter`,
`ByteArrayConverter`, your own) converts header values with its `from_connect`/`to_connect`,
as Kafka's converters do in their `HeaderConverter` role. A `record.SchemaHeader` carries the
schema Kafka gives the header (`HeaderFrom`: the field's schema, or a null schema for schemaless
data), which the converter gets as it is: `JsonConverter` writes a null value with a schema as an
envelope, and no bytes only for a null value with a null schema (`fromConnectData`). A plain
`(name, value)` pair has its schema inferred as Kafka's `Values.parseString` would for the value's
text form (`InsertHeader`'s own rule): `str` → STRING, `bytes` → BYTES, a `Struct` its schema,
`1` → INT8, `[1, 2]` → an array of INT8.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from pyconnect_flow.converters.java_text import java_bigdecimal_str, java_double_str, java_float_str
from pyconnect_flow.data.exceptions import DataException
from pyconnect_flow.data.schema import BOOLEAN_SCHEMA, BYTES_SCHEMA, STRING_SCHEMA, Schema, Type
from pyconnect_flow.data.struct import Struct

if TYPE_CHECKING:
    from pyconnect_flow.config.definition import ConfigIssue
    from pyconnect_flow.converters.base import Converter

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


SIMPLE_HEADER_CONVERTER = "org.apache.kafka.connect.storage.SimpleHeaderConverter"


INFERRED: Any = object()
"""`from_connect_header`'s schema when the header has none of its own: inferred from the value."""


class HeaderConverter:
    """Header values ⇄ bytes for one connector (Kafka Connect's `HeaderConverter`).

    `raw` is True for the default `SimpleHeaderConverter`: header bytes read from Kafka are kept
    as they are, and values are written by the Kafka sink (`header_value_to_bytes`), so the
    stages leave headers alone.
    """

    raw = False

    def from_connect_header(self, topic: str, name: str, value: Any, schema: Any = INFERRED) -> bytes | None:
        """The bytes of one header value (`fromConnectHeader`); `schema` the header's Connect schema
        (None: a null schema), inferred from `value` when not given."""
        raise NotImplementedError

    def to_connect_header(self, topic: str, name: str, data: bytes | None) -> Any:
        """The value of one header's bytes (`toConnectHeader`)."""
        raise NotImplementedError

    def class_name(self) -> str:
        """The class name for dead letter headers and messages."""
        return SIMPLE_HEADER_CONVERTER


class SimpleHeaderConverter(HeaderConverter):
    """Kafka's default header converter; see the module docstring for the raw bytes it keeps."""

    raw = True

    def from_connect_header(self, topic: str, name: str, value: Any, schema: Any = INFERRED) -> bytes | None:
        return header_value_to_bytes(value, None if schema is INFERRED else schema)

    def to_connect_header(self, topic: str, name: str, data: bytes | None) -> Any:
        return data


class ConverterHeaders(HeaderConverter):
    """A `Converter` in the header role: `JsonConverter`, `StringConverter`, `ByteArrayConverter`…

    Example::

        headers = create_header_converter("JsonConverter", {})
        headers.from_connect_header("t", "h", "x")  # b'{"schema":{"type":"string","optional":false},"payload":"x"}'
    """

    def __init__(self, converter: Converter) -> None:
        self.converter = converter

    def from_connect_header(self, topic: str, name: str, value: Any, schema: Any = INFERRED) -> bytes | None:
        return self.converter.from_connect(topic, header_schema(value) if schema is INFERRED else schema, value)

    def to_connect_header(self, topic: str, name: str, data: bytes | None) -> Any:
        return self.converter.to_connect(topic, data)[1]

    def class_name(self) -> str:
        cls = type(self.converter)
        return f"{cls.__module__}.{cls.__qualname__}"


def header_schema(value: Any) -> Schema | None:
    """The schema Kafka would give `value` as a header: see the module docstring."""
    if value is None:
        return None
    if isinstance(value, str):
        return STRING_SCHEMA
    if isinstance(value, (bytes, bytearray, memoryview)):
        return BYTES_SCHEMA
    if isinstance(value, bool):
        return BOOLEAN_SCHEMA
    if isinstance(value, Struct):
        return value.schema
    from pyconnect_flow.data.text import convert_to_string, parse_string

    return parse_string(convert_to_string(None, value))[0]


def create_header_converter(name: str | None, config: Mapping[str, Any]) -> HeaderConverter:
    """The header converter named `name` (default `SimpleHeaderConverter`), configured with `config`
    (the keys under `header.converter.`, prefix stripped)."""
    if not name or name.strip() in (SIMPLE_HEADER_CONVERTER, "SimpleHeaderConverter"):
        return SimpleHeaderConverter()
    from pyconnect_flow.converters.registry import create_converter

    return ConverterHeaders(create_converter(name, {**config, "converter.type": "header"}, is_key=False))


def check_header_converter(name: str | None, config: Mapping[str, Any], prefix: str) -> list[ConfigIssue]:
    """Every problem of a `header.converter` setting (none for `SimpleHeaderConverter`)."""
    if not name or name.strip() in (SIMPLE_HEADER_CONVERTER, "SimpleHeaderConverter"):
        return []
    from pyconnect_flow.converters.registry import check_converter

    return check_converter(name, config, prefix)


__all__ = ["INFERRED", "HeaderConverter", "SimpleHeaderConverter", "check_header_converter", "create_header_converter",
           "header_schema", "header_value_to_bytes"]
