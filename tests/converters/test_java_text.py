"""Java's number and object text, as Kafka Connect writes it.

Floats follow the JDK 19+ `Double.toString`/`Float.toString` specification (shortest digits that
identify the value; older JDKs print a few values with extra digits, e.g. Float.MIN_NORMAL as
1.17549435E-38 instead of 1.1754944E-38).
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import random
import struct

import pytest

from pyconnect_flow.converters.java_text import (
    java_bigdecimal_str,
    java_class_name,
    java_double_str,
    java_float_str,
    java_to_string,
    to_float32,
)
from pyconnect_flow.data import INT32_SCHEMA, SchemaBuilder, Struct


@pytest.mark.parametrize(("value", "text"), [
    (1.0, "1.0"), (0.1, "0.1"), (100.0, "100.0"), (42.0, "42.0"), (12.34, "12.34"), (-2.5, "-2.5"),
    (1e7, "1.0E7"), (9999999.0, "9999999.0"), (0.001, "0.001"), (0.000999, "9.99E-4"), (1e-5, "1.0E-5"),
    (1.2345678e7, "1.2345678E7"), (123456789012.0, "1.23456789012E11"), (1e23, "1.0E23"), (1e10, "1.0E10"),
    (1.7976931348623157e308, "1.7976931348623157E308"), (5e-324, "4.9E-324"),
    (2.2250738585072014e-308, "2.2250738585072014E-308"), (0.1 + 0.2, "0.30000000000000004"),
    (0.0, "0.0"), (-0.0, "-0.0"), (math.nan, "NaN"), (math.inf, "Infinity"), (-math.inf, "-Infinity"),
    (-1.5e-7, "-1.5E-7"), (1e16, "1.0E16"),
])
def test_double_to_string(value: float, text: str) -> None:
    assert java_double_str(value) == text


@pytest.mark.parametrize(("value", "text"), [
    (12.34, "12.34"), (1e10, "1.0E10"), (0.1, "0.1"), (1.1, "1.1"), (1 / 3, "0.33333334"), (100.0, "100.0"),
    (16777216.0, "1.6777216E7"), (3.14159, "3.14159"), (1e-4, "1.0E-4"), (0.001, "0.001"),
    (3.4028234663852886e38, "3.4028235E38"), (1.401298464324817e-45, "1.4E-45"),
    (1.1754943508222875e-38, "1.1754944E-38"), (8.589973e9, "8.589974E9"), (-0.0, "-0.0"),
    (1e39, "Infinity"), (-1e39, "-Infinity"), (math.nan, "NaN"),
])
def test_float_to_string(value: float, text: str) -> None:
    assert java_float_str(value) == text


def test_float_strings_round_trip_and_are_short() -> None:
    rng = random.Random(7)
    for _ in range(2000):
        f = struct.unpack("<f", struct.pack("<I", rng.getrandbits(32)))[0]
        if not math.isfinite(f):
            continue
        text = java_float_str(f)
        assert to_float32(float(text.replace("E", "e"))) == f or (f == 0 and float(text) == 0)
        digits = text.lstrip("-").split("E")[0].replace(".", "").strip("0")
        assert len(digits) <= 9


def test_double_strings_round_trip() -> None:
    rng = random.Random(11)
    for _ in range(2000):
        d = struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0]
        if math.isfinite(d):
            assert float(java_double_str(d).replace("E", "e")) == d


@pytest.mark.parametrize(("text", "expected"), [
    ("1.5600", "1.5600"), ("1E+3", "1E+3"), ("0.0000001", "1E-7"), ("0.000001", "0.000001"), ("-0.00", "0.00"),
    ("123.456E10", "1.23456E+12"), ("0E-10", "0E-10"), ("-12", "-12"),
])
def test_bigdecimal_to_string(text: str, expected: str) -> None:
    assert java_bigdecimal_str(decimal.Decimal(text)) == expected


def test_bigdecimal_rejects_non_finite() -> None:
    with pytest.raises(ValueError):
        java_bigdecimal_str(decimal.Decimal("NaN"))


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


def test_float_negative_zero_is_not_confused_with_zero_by_the_cache() -> None:
    # The shortest-digits cache holds 0.0 and -0.0 as one key: zeros are answered before it.
    assert [java_float_str(0.0), java_float_str(-0.0), java_float_str(0.0)] == ["0.0", "-0.0", "0.0"]


def test_one_implementation_prints_java_numbers_everywhere() -> None:
    from pyconnect_flow.data import java_numbers, text
    from pyconnect_flow.transforms import cast

    assert text.java_double_to_string is cast.java_double_string is java_numbers.java_double_str is java_double_str
    assert text.java_float_to_string is cast.java_float_string is java_numbers.java_float_str is java_float_str
