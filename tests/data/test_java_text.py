"""Java's object text, as Kafka Connect's StringConverter writes it (numbers: tests/data/test_java_numbers.py)."""

from __future__ import annotations

import datetime as dt
import decimal

from pyconnect_flow.data import INT32_SCHEMA, SchemaBuilder, Struct
from pyconnect_flow.data.java_text import java_class_name, java_to_string


def test_to_string_of_values() -> None:
    schema = SchemaBuilder.struct().field("a", INT32_SCHEMA).field("b", SchemaBuilder.string().optional().build()).build()
    assert java_to_string(True) == "true"
    assert java_to_string(None) == "null"
    assert java_to_string(42.0) == "42.0"
    assert java_to_string(12.34, float32=True) == "12.34"
    assert java_to_string([1, "a", None, False]) == "[1, a, null, false]"
    assert java_to_string({"a": 1, "b": [2.0]}) == "{a=1, b=[2.0]}"
    assert java_to_string(Struct(schema).put("a", 1)) == "Struct{a=1}"
    assert java_to_string(decimal.Decimal("1.50")) == "1.50"
    assert java_to_string(dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)) == "Thu Jan 01 00:00:00 UTC 1970"
    assert java_to_string(dt.date(2024, 2, 29)) == "Thu Feb 29 00:00:00 UTC 2024"
    assert java_to_string(dt.time(13, 5, 9)) == "Thu Jan 01 13:05:09 UTC 1970"


def test_class_names() -> None:
    assert java_class_name(1) == "class int"
    assert java_class_name(decimal.Decimal(1)) == "class decimal.Decimal"
