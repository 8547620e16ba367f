"""How Java prints numbers and objects, for converters that must match Kafka Connect's bytes.

- `java_double_str` / `java_float_str`: `Double.toString` / `Float.toString` (JDK 19+,
  shortest-uniquely-identifying digits): `42.0`, `12.34`, `1.0E10`, `1.0E-5`, `NaN`.
  Plain notation for magnitudes in [1e-3, 1e7), computerized scientific notation otherwise.
- `java_bigdecimal_str`: `BigDecimal.toString` (keeps the scale: `1.5600`, `1E+3`).
- `java_to_string`: `Object.toString` of the Java value a Connect value stands for
  (`true`, `[1, 2]`, `{a=1}`, `Struct{a=1}`), as Kafka's `StringConverter` writes it.
- `java_class_name`: `class java.lang.String`-style names for error messages.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import struct
from fractions import Fraction
from functools import lru_cache
from typing import Any

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
    if 1e-3 <= x < 1e7 or -1e7 < x <= -1e-3:
        # Python's repr is plain notation with the same shortest digits in this range.
        return repr(x)
    special = _special(x)
    if special is not None:
        return special
    sign, digit_tuple, exp = decimal.Decimal(repr(x)).as_tuple()
    digits = "".join(map(str, digit_tuple)).rstrip("0")
    exponent = exp + len(digit_tuple) - 1  # type: ignore[operator]
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


@lru_cache(maxsize=4096)
def java_float_str(x: float) -> str:
    """`Float.toString((float) x)`: `12.34` for the float nearest to 12.34, `1.0E10`, `1.4E-45`."""
    f = to_float32(x)
    special = _special(f)
    if special is not None:
        return special
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


def java_class_name(value: Any) -> str:
    """`class int` / `class decimal.Decimal`: the Python class, spelled as Java's `getClass()` prints."""
    cls = type(value)
    module = cls.__module__
    return f"class {cls.__qualname__}" if module == "builtins" else f"class {module}.{cls.__qualname__}"


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def java_date_str(value: dt.datetime) -> str:
    """`java.util.Date.toString()` in UTC: `Thu Jan 01 00:00:00 UTC 1970`."""
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc)
    return (f"{_DAYS[value.weekday()]} {_MONTHS[value.month - 1]} {value.day:02d} "
            f"{value.hour:02d}:{value.minute:02d}:{value.second:02d} UTC {value.year}")


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
        return java_date_str(value)
    if isinstance(value, dt.date):
        return java_date_str(dt.datetime(value.year, value.month, value.day))
    if isinstance(value, dt.time):
        return java_date_str(dt.datetime.combine(dt.date(1970, 1, 1), value.replace(tzinfo=None)))
    from pyconnect_flow.data.struct import Struct

    if isinstance(value, Struct):
        inner = ",".join(f"{name}={java_to_string(v)}" for name, v in _struct_items(value) if v is not None)
        return f"Struct{{{inner}}}"
    return str(value)


def _struct_items(value: Any) -> list[tuple[str, Any]]:
    # Java's Struct.toString prints the values as set (no defaults) and skips nulls.
    return [(name, value.get_without_default(name)) for name in value]


__all__ = [
    "java_bigdecimal_str", "java_class_name", "java_date_str", "java_double_str", "java_float_str",
    "java_to_string", "to_float32",
]
