"""Java's number behaviour: `Double`/`Float`/`BigDecimal.toString`, `(float)`, narrowing casts, `BigDecimal` parsing.

Floats follow the JDK 19+ `Double.toString`/`Float.toString` specification (shortest digits that
identify the value; older JDKs print a few values with extra digits, e.g. Float.MIN_NORMAL as
1.17549435E-38 instead of 1.1754944E-38).
"""

from __future__ import annotations

import decimal
import math
import random
import struct
from decimal import Decimal

import pytest

from pyconnect_flow.data.java_numbers import (
    decimal_to_long,
    java_bigdecimal_str,
    java_double_str,
    java_float_str,
    parse_java_decimal,
    saturate_float,
    to_float32,
    wrap_int,
)


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


@pytest.mark.parametrize(("x", "text"), [
    (42.0, "42.0"), (12.34, "12.34"), (1e10, "1.0E10"), (1e-5, "1.0E-5"), (0.001, "0.001"),
    (1234567.0, "1234567.0"), (12345678.0, "1.2345678E7"), (-0.0, "-0.0"), (0.0, "0.0"),
    (float("nan"), "NaN"), (float("inf"), "Infinity"), (float("-inf"), "-Infinity"),
    (1.7976931348623157e308, "1.7976931348623157E308"), (4.9e-324, "4.9E-324"), (100.0, "100.0"),
])
def test_double_to_string_as_values_prints_it(x: float, text: str) -> None:
    assert java_double_str(x) == text


@pytest.mark.parametrize(("x", "text"), [
    (1.1, "1.1"), (3.4028234663852886e38, "3.4028235E38"), (1e10, "1.0E10"), (0.1, "0.1"), (16777216.0, "1.6777216E7"),
])
def test_float_to_string_as_values_prints_it(x: float, text: str) -> None:
    assert java_float_str(x) == text


def test_float_negative_zero_is_not_confused_with_zero_by_the_cache() -> None:
    # The shortest-digits cache holds 0.0 and -0.0 as one key: zeros are answered before it.
    assert [java_float_str(0.0), java_float_str(-0.0), java_float_str(0.0)] == ["0.0", "-0.0", "0.0"]


def test_narrowing_and_parsing() -> None:
    assert [wrap_int(n, 8) for n in (127, 128, -129, 300, 2**64 + 5)] == [127, -128, 127, 44, 5]
    assert [saturate_float(x, 32) for x in (math.nan, 1e300, -1e300, -2.9)] == [0, 2**31 - 1, -(2**31), -2]
    assert saturate_float(1e300, 64) == 2**63 - 1
    assert to_float32(0.1) == 0.10000000149011612
    assert to_float32(1e39) == math.inf and to_float32(-1e39) == -math.inf
    assert [parse_java_decimal(t) for t in ("1.5", "-.5", "5.", "1e3", "+2E-2")] == [
        Decimal("1.5"), Decimal("-.5"), Decimal("5."), Decimal("1e3"), Decimal("+2E-2")]
    assert [parse_java_decimal(t) for t in ("", "foo", "1_0", " 1", "NaN", "Infinity", "0x10")] == [None] * 7
    assert decimal_to_long(Decimal("-1.99")) == -1
    assert decimal_to_long(Decimal("1E+70")) == 0
    assert decimal_to_long(Decimal("1e20")) == 7766279631452241920
