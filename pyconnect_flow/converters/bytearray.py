"""`ByteArrayConverter`: Kafka Connect's `org.apache.kafka.connect.converters.ByteArrayConverter`.

Bytes pass through unchanged both ways; reads give `(OPTIONAL_BYTES_SCHEMA, data)`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from pyconnect_flow.config.definition import ConfigDef, ConfigException, ConfigKey, ConfigType, one_of
from pyconnect_flow.converters.base import Converter, SchemaAndValue
from pyconnect_flow.data.exceptions import DataException
from pyconnect_flow.data.java_text import java_class_name
from pyconnect_flow.data.schema import OPTIONAL_BYTES_SCHEMA, Schema, Type


class ByteArrayConverter(Converter):
    """Raw bytes in, raw bytes out.

    Example::

        c = ByteArrayConverter()
        c.from_connect("t", None, b"\\x00\\x01")   # b'\\x00\\x01'
        c.to_connect("t", b"\\x00\\x01")           # (OPTIONAL_BYTES_SCHEMA, b'\\x00\\x01')
        c.from_connect("t", STRING_SCHEMA, "x")  # DataException: Invalid schema type for ByteArrayConverter: STRING
    """

    CONFIG: ClassVar[ConfigDef] = ConfigDef([
        ConfigKey("converter.type", ConfigType.STRING, None, "How this converter will be used (key, value, header).",
                  validator=one_of("key", "value", "header", case_sensitive=True), importance="low"),
    ])

    def __init__(self) -> None:
        self.configure({}, False)

    def configure(self, config: Mapping[str, Any], is_key: bool) -> None:
        """Check `converter.type` (nothing else to set)."""
        super().configure(config, is_key)
        _, issues = self.CONFIG.check(config, ignore_unknown=True)
        if issues:
            raise ConfigException(type(self).__name__, issues, what="converter")

    def from_connect(self, topic: str, schema: Schema | None, value: Any) -> bytes | None:
        """The value itself; the schema must be BYTES (or None) and the value bytes (or None)."""
        if schema is not None and schema.type is not Type.BYTES:
            raise DataException(f"Invalid schema type for ByteArrayConverter: {schema.type.name}")
        if value is None or type(value) is bytes:
            return value
        if isinstance(value, (bytes, bytearray, memoryview)):
            return bytes(value)
        raise DataException(f"ByteArrayConverter is not compatible with objects of type {java_class_name(value)}")

    def to_connect(self, topic: str, data: bytes | None) -> SchemaAndValue:
        """`(OPTIONAL_BYTES_SCHEMA, data)`, null included."""
        return OPTIONAL_BYTES_SCHEMA, data

    def from_connect_batch(self, topic: str | Sequence[str], items: Sequence[SchemaAndValue]) -> list[bytes | None]:
        """Serialize many values."""
        write = self.from_connect
        return [write("", s, v) for s, v in items]

    def to_connect_batch(self, topic: str | Sequence[str], datas: Sequence[bytes | None]) -> list[SchemaAndValue]:
        """Deserialize many values."""
        schema = OPTIONAL_BYTES_SCHEMA
        return [(schema, d) for d in datas]


__all__ = ["ByteArrayConverter"]
