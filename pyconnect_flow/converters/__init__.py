"""Converters: Connect data ⇄ bytes (Kafka Connect's `Converter`s), and header values to bytes.

- `JsonConverter` — `org.apache.kafka.connect.json.JsonConverter`, byte-compatible, `schemas.enable`;
- `StringConverter` — `org.apache.kafka.connect.storage.StringConverter`;
- `ByteArrayConverter` — `org.apache.kafka.connect.converters.ByteArrayConverter`;
- `converter_class` / `create_converter` / `check_converter` — find, build and validate one by name;
- `header_value_to_bytes` — what `SimpleHeaderConverter` writes for a header value.
"""

from pyconnect_flow.converters.base import Converter, SchemaAndValue
from pyconnect_flow.converters.bytearray import ByteArrayConverter
from pyconnect_flow.converters.headers import header_value_to_bytes
from pyconnect_flow.converters.json import JsonConverter
from pyconnect_flow.converters.registry import (
    available_converters,
    check_converter,
    converter_class,
    create_converter,
)
from pyconnect_flow.converters.string import StringConverter

__all__ = [
    "ByteArrayConverter", "Converter", "JsonConverter", "SchemaAndValue", "StringConverter",
    "available_converters", "check_converter", "converter_class", "create_converter", "header_value_to_bytes",
]
