"""How Java prints, narrows and parses numbers: the one implementation every part uses.

- `java_double_str` / `java_float_str`: `Double.toString` / `Float.toString`: `42.0`, `12.34`, `1.0E10`,
  `1.0E-5`, `NaN`. Plain notation for magnitudes in [1e-3, 1e7), computerized scientific notation otherwise.
  The digits depend on the JDK of the Kafka Connect worker being copied: JDK 19 changed the algorithm to
  the shortest digits that identify the value (JDK-4511638); JDK 17 prints some values with more digits
  (`2.82879384806159008E17`) or another last digit (`Float.toString`: `5.8192883E8` vs `5.819288E8`).
  pyconnect-flow prints as JDK 21 does by default, the JDK of Apache Kafka 4's official Docker images
  (`eclipse-temurin:21-jre`); `PYCONNECT_FLOW_JDK=17` (environment, read at import) or `set_jdk(17)` selects
  the old algorithm (`data/floating_decimal.py`).
- `java_bigdecimal_str`: `BigDecimal.toString` (keeps the scale: `1.5600`, `1E+3`).
- `to_float32`: Java's `(float) x`.
- `wrap_int` (with `INT_BITS`, the width of each integer schema type): Java's narrowing of a long to
  byte/short/int (two's complement wrap-around); `saturate_float`: Java's `(int) x` / `(long) x` of a double.
- `parse_java_decimal`: `new BigDecimal(text)`; `decimal_to_long`: `BigDecimal.longValue()`.

Converters write these into JSON and strings, `data.text` (Kafka's `Values`) and the Cast SMT print
them; one implementation keeps them the same.
"""

from __future__ import annotations

import decimal
import math
import os
import re
import struct
from fractions import Fraction
from functools import lru_cache
from typing import Any

from pyconnect_flow.data.floating_decimal import legacy_double_str, legacy_float_str
from pyconnect_flow.data.schema import Type

__all__ = [
    "DEFAULT_JDK", "INT_BITS", "JDK_ENV", "decimal_to_long", "java_bigdecimal_str", "java_double_str",
    "java_float_str", "jdk", "parse_java_decimal", "saturate_float", "set_jdk", "shortest_digits", "to_float32",
    "wrap_int",
]

#: The environment variable naming the JDK (feature version) whose number texts are copied.
JDK_ENV = "PYCONNECT_FLOW_JDK"
#: Apache Kafka 4's official Docker images run on JDK 21 (apache/kafka docker/jvm/Dockerfile).
DEFAULT_JDK = 21
_NEW_TO_STRING = 19  # the first JDK printing the shortest digits


def _jdk_from_env() -> int:
    text = os.environ.get(JDK_ENV, "").strip()
    if not text:
        return DEFAULT_JDK
    try:
        version = int(text.removeprefix("1.") if text.startswith("1.") else text)
    except ValueError:
        raise ValueError(f"{JDK_ENV}={text!r} is not a Java feature version such as 17 or 21") from None
    if version < 8:
        raise ValueError(f"{JDK_ENV}={text!r} is not a Java feature version such as 17 or 21")
    return version


_jdk = _jdk_from_env()
#: True while numbers print as JDK 18 and older print them; read at call time by the fast paths.
legacy_to_string = _jdk < _NEW_TO_STRING


def jdk() -> int:
    """The JDK (feature version) whose `Double.toString`/`Float.toString` is copied."""
    return _jdk


def set_jdk(version: int) -> None:
    """Print numbers as Kafka Connect on JDK `version` does (17: the old algorithm; 19 and later: shortest)."""
    global _jdk, legacy_to_string
    if version < 8:
        raise ValueError(f"{version} is not a Java feature version such as 17 or 21")
    _jdk = version
    legacy_to_string = version < _NEW_TO_STRING
    _finite_float32_str.cache_clear()


def shortest_digits() -> bool:
    """Whether doubles print with the shortest digits (JDK 19+), as Python's `repr` and orjson print them."""
    return not legacy_to_string

_F32 = struct.Struct("<f")
_U32 = struct.Struct("<I")
_MIN_NORMAL_DOUBLE = 2.2250738585072014e-308
_FLT_MAX = 3.4028234663852886e38


def _format(negative: bool, digits: str, exponent: int) -> str:
    """Java's layout of a decimal `0.d1d2... × 10^(exponent+1)` (digits without trailing zeros)."""
    sign = "-" if negative else ""
    if -3 <= exponent < 7:
        if exponent >= 0:
            whole = digits[: exponent + 1].ljust(exponent + 1, "0")
            frac = digits[exponent + 1:] or "0"
            return f"{sign}{whole}.{frac}"
        return f"{sign}0.{'0' * (-exponent - 1)}{digits}"
    return f"{sign}{digits[0]}.{digits[1:] or '0'}E{exponent}"


def _special(x: float) -> str | None:
    if x != x:
        return "NaN"
    if x == math.inf:
        return "Infinity"
    if x == -math.inf:
        return "-Infinity"
    if x == 0.0:
        return "-0.0" if math.copysign(1.0, x) < 0 else "0.0"
    return None


def java_double_str(x: float) -> str:
    """`Double.toString(x)`: `42.0`, `12.34`, `1.0E10`, `1.0E-5`, `4.9E-324`."""
    if legacy_to_string:
        return legacy_double_str(x)
    if 1e-3 <= x < 1e7 or -1e7 < x <= -1e-3:
        # Python's repr is plain notation with the same shortest digits in this range.
        return repr(x)
    special = _special(x)
    if special is not None:
        return special
    sign, digit_tuple, exp = decimal.Decimal(repr(x)).as_tuple()
    digits = "".join(map(str, digit_tuple)).rstrip("0")
    assert isinstance(exp, int)  # a finite value's exponent ("n", "N", "F" are for NaN and Infinity)
    exponent = exp + len(digit_tuple) - 1
    if len(digits) == 1 and abs(x) < _MIN_NORMAL_DOUBLE:
        # Java picks the closest among 1- and 2-digit decimals (Double.MIN_VALUE is 4.9E-324).
        two = f"{x:.1e}"
        if float(two) == x:
            mantissa, _, e = two.lstrip("-").partition("e")
            digits = mantissa.replace(".", "").rstrip("0")
            exponent = int(e)
    return _format(bool(sign), digits, exponent)


def to_float32(x: float) -> float:
    """`(float) x` in Java: round to the nearest float32 (overflow gives ±Infinity)."""
    try:
        return _F32.unpack(_F32.pack(x))[0]
    except OverflowError:
        return math.copysign(math.inf, x)


def java_float_str(x: float) -> str:
    """`Float.toString((float) x)`: `12.34` for the float nearest to 12.34, `1.0E10`, `1.4E-45`."""
    f = to_float32(x)
    special = _special(f)
    if special is not None:
        return special  # before the cache: it holds 0.0 and -0.0 as one key
    return _finite_float32_str(f)


@lru_cache(maxsize=4096)
def _finite_float32_str(f: float) -> str:
    if legacy_to_string:
        return legacy_float_str(f)
    digits, exponent = _shortest_float32(abs(f))
    return _format(f < 0, digits, exponent)


def _shortest_float32(f: float) -> tuple[str, int]:
    """Shortest decimal digits that round to the float32 `f` (> 0), closest to it; Java's rules."""
    bits = _U32.unpack(_F32.pack(f))[0]
    e_bits, m_bits = bits >> 23, bits & 0x7FFFFF
    if e_bits == 0:
        m, e = m_bits, -149
    else:
        m, e = m_bits | (1 << 23), e_bits - 150
    value = Fraction(m) * Fraction(2) ** e
    ulp = Fraction(2) ** e
    below = ulp / 2 if (m == 1 << 23 and e_bits > 1) else ulp
    lo, hi = value - below / 2, value + ulp / 2
    inclusive = m % 2 == 0

    def rounds_to_f(d: Fraction) -> bool:
        return lo < d < hi or (inclusive and (d == lo or d == hi))

    k = math.floor(math.log10(f))
    while Fraction(10) ** k > value:
        k -= 1
    while Fraction(10) ** (k + 1) <= value:
        k += 1
    for p in range(1, 11):
        if p == 1:
            # When one digit suffices Java still chooses among 1- and 2-digit decimals.
            if not _candidates(value, k, 1, rounds_to_f):
                continue
            p = 2
        found = _candidates(value, k, p, rounds_to_f)
        if found:
            q = k - p + 1
            unit = Fraction(10) ** q
            best = min(found, key=lambda c: (abs(c * unit - value), c % 2))
            text = str(best)
            return text.rstrip("0"), q + len(text) - 1
    raise AssertionError("no float32 decimal found")  # pragma: no cover


def _candidates(value: Fraction, k: int, p: int, ok: Any) -> list[int]:
    unit = Fraction(10) ** (k - p + 1)
    c = math.floor(value / unit)
    cands = [c] if c * unit == value else [c, c + 1]
    return [c for c in cands if ok(c * unit)]


def java_bigdecimal_str(value: decimal.Decimal) -> str:
    """`BigDecimal.toString()`: scale kept, scientific when the exponent is small (`1E+3`, `1E-7`)."""
    if not value.is_finite():
        raise ValueError(f"{value} is not a finite decimal")
    if value.is_zero() and value.is_signed():
        value = value.copy_abs()
    return str(value)


# narrowing and parsing --------------------------------------------------------

INT_BITS = {Type.INT8: 8, Type.INT16: 16, Type.INT32: 32, Type.INT64: 64}
"""The width in bits of each integer schema type."""

_JAVA_BIG_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def wrap_int(n: int, bits: int) -> int:
    """The low `bits` bits of `n` as a signed int: Java's narrowing of a long to byte/short/int."""
    half = 1 << (bits - 1)
    return ((n + half) & ((1 << bits) - 1)) - half


def saturate_float(x: float, bits: int) -> int:
    """Java's `(int) x` (bits=32) or `(long) x` (bits=64): NaN is 0, out of range saturates."""
    if x != x:
        return 0
    hi = (1 << (bits - 1)) - 1
    if x >= hi:
        return hi
    if x <= -hi - 1:
        return -hi - 1
    return int(x)


def parse_java_decimal(text: str) -> decimal.Decimal | None:
    """`new BigDecimal(text)`, or None where Java throws NumberFormatException."""
    if not _JAVA_BIG_DECIMAL.fullmatch(text):
        return None
    return decimal.Decimal(text)


def decimal_to_long(value: decimal.Decimal) -> int:
    """`BigDecimal.longValue()`: the integer part, wrapped to 64 bits."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= 64:
        return 0  # a multiple of 10**64, hence of 2**64: the low 64 bits are all zero
    return wrap_int(int(value), 64)
