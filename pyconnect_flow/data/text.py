"""Text forms of Connect values, as Kafka Connect's `org.apache.kafka.connect.data.Values`.

`parse_string` infers a schema and value from text (what `InsertHeader` does
with `value.literal` and `SimpleHeaderConverter` with header bytes);
`convert_to_string` writes a value the way Kafka Connect prints it::

    parse_string("1")              # (INT8_SCHEMA, 1)
    parse_string("[1, 2, 300]")    # (array of INT16, [1, 2, 300])
    parse_string("2019-08-23")     # (Date schema, datetime.date(2019, 8, 23))
    parse_string("null")           # (None, None)
    convert_to_string(None, {"a": [1, True]})   # '{"a":[1,true]}'

Rules (as Values.parseString): `true`/`false`/`null` literals; integers get the
smallest of INT8/16/32/64 (integral decimals like `1.0` too), others become
FLOAT32, FLOAT64 or a Decimal when too large; `[...]` arrays and `{k:v}` maps
whose elements are quoted strings, numbers, literals, temporals or nested
arrays/maps (else the whole text stays a string); ISO `yyyy-MM-dd`,
`HH:mm:ss.SSS'Z'` and `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'` become Date, Time and
Timestamp. Anything else is the original STRING.

Python values: Date/Time/Timestamp are `datetime.date`/`time`/UTC `datetime`,
Decimal is `decimal.Decimal`. FLOAT32 values are not rounded to single
precision in Python; `convert_to_string` prints them as Java's `Float.toString`
does. Temporal text is read and written in UTC (Kafka uses the JVM's zone).
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import math
import re
from collections.abc import Mapping
from typing import Any

from pyconnect_flow.data import logical
from pyconnect_flow.data.dateformat import SimpleDateFormat
from pyconnect_flow.data.exceptions import DataException
from pyconnect_flow.data.java_dates import date_format_for, temporal_to_millis
from pyconnect_flow.data.java_numbers import INT_BITS, java_bigdecimal_str, java_double_str, java_float_str, wrap_int
from pyconnect_flow.data.schema import (
    BOOLEAN_SCHEMA,
    FLOAT32_SCHEMA,
    FLOAT64_SCHEMA,
    INT8_SCHEMA,
    INT16_SCHEMA,
    INT32_SCHEMA,
    INT64_SCHEMA,
    STRING_SCHEMA,
    Schema,
    Type,
)
from pyconnect_flow.data.struct import Struct

__all__ = [
    "ISO_8601_DATE_FORMAT_PATTERN", "ISO_8601_TIMESTAMP_FORMAT_PATTERN", "ISO_8601_TIME_FORMAT_PATTERN",
    "convert_to_string", "escape", "parse_string",
]

ISO_8601_DATE_FORMAT_PATTERN = "yyyy-MM-dd"
ISO_8601_TIME_FORMAT_PATTERN = "HH:mm:ss.SSS'Z'"
ISO_8601_TIMESTAMP_FORMAT_PATTERN = ISO_8601_DATE_FORMAT_PATTERN + "'T'" + ISO_8601_TIME_FORMAT_PATTERN

_DATE_FORMAT = SimpleDateFormat(ISO_8601_DATE_FORMAT_PATTERN)
_TIME_FORMAT = SimpleDateFormat(ISO_8601_TIME_FORMAT_PATTERN)
_TIMESTAMP_FORMAT = SimpleDateFormat(ISO_8601_TIMESTAMP_FORMAT_PATTERN)
_MILLIS_PER_DAY = logical.MILLIS_PER_DAY

_JAVA_WHITESPACE = "".join(chr(c) for c in range(33))  # what Java's String.trim() removes
_DELIMITERS = frozenset(':,{}[]"')
_BIG_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_FLOAT32_LIMIT = decimal.Decimal(2**128 - 2**103)  # smallest magnitude that rounds to float32 infinity
_LONG_MIN, _LONG_MAX = -(1 << 63), (1 << 63) - 1


# convert_to_string -----------------------------------------------------------

def escape(text: str) -> str:
    """Backslash-escape backslashes and double quotes (`Values.escape`)."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def convert_to_string(schema: Schema | None, value: Any) -> str | None:
    """The text Kafka Connect prints for `value` (None for None).

    Strings are returned as they are at the top level and quoted inside
    arrays, maps and structs; bytes are base64; a FLOAT32 schema prints the
    value as Java prints a float.
    """
    if value is None:
        return None
    out: list[str] = []
    _append(out, value, False, schema)
    return "".join(out)


def _append(out: list[str], value: Any, embedded: bool, schema: Schema | None) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(f'"{escape(value)}"' if embedded else value)
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, float):
        single = schema is not None and schema.type is Type.FLOAT32
        out.append(java_float_str(value) if single else java_double_str(value))
    elif isinstance(value, decimal.Decimal):
        out.append(java_bigdecimal_str(value) if value.is_finite() else str(value))
    elif isinstance(value, (bytes, bytearray, memoryview)):
        encoded = base64.b64encode(bytes(value)).decode("ascii")
        out.append(f'"{encoded}"' if embedded else encoded)
    elif isinstance(value, (list, tuple)):
        item_schema = schema.value_schema if schema is not None and schema.type is Type.ARRAY else None
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _append(out, item, True, item_schema)
        out.append("]")
    elif isinstance(value, Mapping):
        if schema is not None and schema.type is Type.MAP:
            key_schema, value_schema = schema.key_schema, schema.value_schema
        else:
            key_schema = value_schema = None
        out.append("{")
        for index, (k, v) in enumerate(value.items()):
            if index:
                out.append(",")
            _append(out, k, True, key_schema)
            out.append(":")
            _append(out, v, True, value_schema)
        out.append("}")
    elif isinstance(value, Struct):
        out.append("{")
        for index, f in enumerate(value.schema.fields or ()):
            if index:
                out.append(",")
            _append(out, f.name, True, None)
            out.append(":")
            _append(out, value.get(f), True, f.schema)
        out.append("}")
    elif isinstance(value, (dt.date, dt.time)):
        out.append(date_format_for(temporal_to_millis(value)))
    else:
        raise DataException(f"Failed to serialize unexpected value type {type(value).__name__}: {value!r}")


# parse_string --------------------------------------------------------------------

def _jtrim(text: str) -> str:
    return text.strip(_JAVA_WHITESPACE)


def _is_blank(text: str | None) -> bool:
    return text is None or not _jtrim(text)


class _Tokenizer:
    """Splits text at unescaped `: , { } [ ] "`, keeping each delimiter as its own token."""

    __slots__ = ("original", "index", "next_token", "previous_token")

    def __init__(self, original: str) -> None:
        self.original = original
        self.index = 0
        self.next_token: str | None = None
        self.previous_token: str | None = None

    def position(self) -> int:
        return self.index

    def mark(self) -> int:
        return self.index - (len(self.next_token) if self.next_token is not None else 0)

    def rewind_to(self, position: int) -> None:
        self.index = position
        self.next_token = None
        self.previous_token = None

    def _more(self) -> bool:
        return self.index < len(self.original)

    def has_next(self) -> bool:
        return self.next_token is not None or self._more()

    def next(self) -> str:
        if self.next_token is not None:
            self.previous_token = self.next_token
            self.next_token = None
        else:
            self.previous_token = self._consume()
        return self.previous_token

    def next_n(self, n: int) -> str | None:
        start = self.mark()
        for _ in range(n):
            if not self.has_next():
                self.rewind_to(start)
                return None
            self.next()
        return self.original[start:self.position()]

    def _consume(self) -> str:
        text = self.original
        start = self.index
        escaped = False
        i = start
        while i < len(text):
            c = text[i]
            if c == "\\":
                escaped = not escaped
            elif c in _DELIMITERS:
                if not escaped:
                    if start < i:
                        self.index = i
                        return text[start:i]
                    self.index = i + 1
                    return text[start:i + 1]
                escaped = False
            else:
                escaped = False
            i += 1
        self.index = i
        return text[start:i]

    def can_consume(self, expected: str, ignore_whitespace: bool = True) -> bool:
        if self._is_next(expected, ignore_whitespace):
            self.next_token = None
            return True
        return False

    def _is_next(self, expected: str, ignore_whitespace: bool) -> bool:
        if self.next_token is None:
            if not self.has_next():
                return False
            self.next_token = self._consume()
        if ignore_whitespace:
            while _is_blank(self.next_token) and self._more():
                self.next_token = self._consume()
            return _jtrim(self.next_token) == expected
        return self.next_token == expected


_Parsed = tuple[Schema | None, Any]


def parse_string(text: str | None) -> tuple[Schema | None, Any]:
    """Schema and value inferred from `text`, as `Values.parseString` (see the module doc).

    `null` (and None) give `(None, None)`; "" gives `(STRING_SCHEMA, "")`.
    """
    if text is None:
        return None, None
    if not text:
        return STRING_SCHEMA, text
    parsed = _ValueParser(_Tokenizer(text)).parse(False)
    return (None, None) if parsed is None else parsed


class _ValueParser:
    __slots__ = ("p",)

    def __init__(self, tokenizer: _Tokenizer) -> None:
        self.p = tokenizer

    def _single_token_literal(self, embedded: bool, literal: str) -> bool:
        start = self.p.mark()
        if self.p.can_consume(literal) and (embedded or not self.p.has_next()):
            return True
        self.p.rewind_to(start)
        return False

    def parse(self, embedded: bool) -> _Parsed | None:
        p = self.p
        if not p.has_next():
            return None
        if embedded and p.can_consume('"'):
            return self._quoted_string()
        if self._single_token_literal(embedded, "null"):
            return None
        if self._single_token_literal(embedded, "true"):
            return BOOLEAN_SCHEMA, True
        if self._single_token_literal(embedded, "false"):
            return BOOLEAN_SCHEMA, False
        start = p.mark()
        try:
            if p.can_consume("["):
                return self._array()
            if p.can_consume("{"):
                return self._map()
        except DataException:
            p.rewind_to(start)
        token = p.next()
        if _is_blank(token):
            return STRING_SCHEMA, token
        return self._token(embedded, _jtrim(token))

    def _token(self, embedded: bool, token: str) -> _Parsed:
        first = token[0]
        first_is_digit = first.isdecimal()
        if first_is_digit:
            temporal = self._multi_token_temporal(token)
            if temporal is not None:
                return temporal
        if first_is_digit or first in "+-":
            number = _parse_number(token)
            if number is not None:
                return number
        if embedded:
            raise DataException("Failed to parse embedded value")
        return STRING_SCHEMA, self.p.original

    def _quoted_string(self) -> _Parsed:
        p = self.p
        parts: list[str] = []
        while p.has_next():
            if p.can_consume('"'):
                break
            parts.append(p.next())
        content = "".join(parts)
        temporal = _parse_temporal(content)
        return temporal if temporal is not None else (STRING_SCHEMA, content)

    def _array(self) -> _Parsed:
        p = self.p
        result: list[Any] = []
        merger = _SchemaMerger()
        while p.has_next():
            if p.can_consume("]"):
                if merger.common is not None:
                    list_schema = Schema(type=Type.ARRAY, value_schema=merger.common)
                    return list_schema, [_convert_to(merger.common, v) for v in result]
                return Schema(type=Type.ARRAY), result
            if p.can_consume(","):
                raise DataException("Unable to parse an empty array element: " + p.original)
            element = self.parse(True)
            merger.merge(element)
            result.append(element[1] if element is not None else None)
            current = p.mark()
            if p.can_consume("]"):
                p.rewind_to(current)
            elif not p.can_consume(","):
                raise DataException("Array elements missing ',' delimiter")
        if p.previous_token == ",":
            raise DataException("Array is missing element after ',': " + p.original)
        raise DataException("Array is missing terminating ']': " + p.original)

    def _map(self) -> _Parsed:
        p = self.p
        result: dict[Any, Any] = {}
        keys, values = _SchemaMerger(), _SchemaMerger()
        while p.has_next():
            if p.can_consume("}"):
                if keys.common is not None and values.common is not None:
                    schema = Schema(type=Type.MAP, key_schema=keys.common, value_schema=values.common)
                    return schema, {_convert_to(keys.common, k): _convert_to(values.common, v) for k, v in result.items()}
                if keys.common is not None:
                    return Schema(type=Type.MAP, key_schema=keys.common), {
                        _convert_to(keys.common, k): v for k, v in result.items()}
                return Schema(type=Type.MAP), result
            if p.can_consume(","):
                raise DataException("Unable to parse a map entry with no key or value: " + p.original)
            key = self.parse(True)
            if key is None or key[1] is None:
                raise DataException("Map entry may not have a null key: " + p.original)
            if not p.can_consume(":"):
                raise DataException(f"Map entry is missing ':' at {p.position()} in {p.original}")
            value = self.parse(True)
            try:
                result[key[1]] = value[1] if value is not None else None
            except TypeError:  # a list or map as a key: not representable as a Python dict key
                raise DataException("Map keys must be hashable: " + p.original) from None
            p.can_consume(",")
            keys.merge(key)
            values.merge(value)
        if p.previous_token == ",":
            raise DataException("Map is missing element after ',': " + p.original)
        raise DataException("Map is missing terminating '}': " + p.original)

    def _multi_token_temporal(self, token: str) -> _Parsed | None:
        # An unescaped ':' splits times into 5 tokens ("14", ":", "34", ":", "54.346Z").
        p = self.p
        position = p.mark()
        remainder = p.next_n(4)
        if remainder is not None:
            temporal = _parse_temporal(token + remainder)
            if temporal is not None:
                return temporal
        p.rewind_to(position)
        return _parse_temporal(token)


def _parse_number(token: str) -> _Parsed | None:
    if not _BIG_DECIMAL.fullmatch(token):
        return None
    value = decimal.Decimal(token)
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    if value.adjusted() < 19 and value == value.to_integral_value():
        n = int(value)
        if -128 <= n <= 127:
            return INT8_SCHEMA, n
        if -32768 <= n <= 32767:
            return INT16_SCHEMA, n
        if -(1 << 31) <= n < (1 << 31):
            return INT32_SCHEMA, n
        if _LONG_MIN <= n <= _LONG_MAX:
            return INT64_SCHEMA, n
    scale = -exponent
    if scale != 0:
        if abs(value) < _FLOAT32_LIMIT:
            return FLOAT32_SCHEMA, float(value)
        as_double = float(value)
        if not math.isinf(as_double):
            return FLOAT64_SCHEMA, as_double
    return logical.decimal_schema(scale), value


def _parse_temporal(token: str) -> _Parsed | None:
    token = token.replace("\\:", ":")
    length = len(token)
    if length == 13:  # HH:mm:ss.SSSZ
        millis = _prefix(_TIME_FORMAT, token)
        if millis is not None and 0 <= millis < _MILLIS_PER_DAY:
            return logical.TIME_SCHEMA, logical.time_from_millis(millis)
    elif length == 24:  # yyyy-MM-ddTHH:mm:ss.SSSZ
        millis = _prefix(_TIMESTAMP_FORMAT, token)
        if millis is not None:
            try:
                return logical.TIMESTAMP_SCHEMA, logical.timestamp_from_millis(millis)
            except OverflowError:
                return None
    elif length == 10:  # yyyy-MM-dd
        millis = _prefix(_DATE_FORMAT, token)
        if millis is not None:
            try:
                return logical.DATE_SCHEMA, logical.date_from_days(millis // _MILLIS_PER_DAY)
            except OverflowError:
                return None
    return None


def _prefix(fmt: SimpleDateFormat, token: str) -> int | None:
    parsed = fmt.parse_prefix(token)
    return None if parsed is None or parsed[1] == 0 else parsed[0]


class _SchemaMerger:
    """The common schema of several parsed values, widening numbers (`Values.SchemaMerger`)."""

    __slots__ = ("common", "compatible")

    def __init__(self) -> None:
        self.common: Schema | None = None
        self.compatible = True

    def merge(self, latest: _Parsed | None) -> None:
        if latest is None or latest[0] is None or not self.compatible:
            return
        if self.common is None:
            self.common = latest[0]
        else:
            self.common = _merge_schemas(self.common, latest[0])
            self.compatible = self.common is not None


_NUMERIC_RANK = {Type.INT8: 0, Type.INT16: 1, Type.INT32: 2, Type.INT64: 3, Type.FLOAT32: 4, Type.FLOAT64: 5}


def _merge_schemas(previous: Schema, new: Schema) -> Schema | None:
    if previous.type is not new.type:
        old_rank = _NUMERIC_RANK.get(previous.type)
        new_rank = _NUMERIC_RANK.get(new.type)
        if old_rank is None or new_rank is None:
            return None
        return previous if old_rank > new_rank else new
    if previous.optional == new.optional:
        return previous if previous.optional else new
    return previous if previous == new else None


def _convert_to(schema: Schema, value: Any) -> Any:
    """Align one parsed element with the common schema (`Values.convertTo`, for parsed values)."""
    if value is None:
        if schema.optional:
            return None
        raise DataException("Unable to convert a null value to a schema that requires a value")
    t = schema.type
    name = schema.name
    if isinstance(value, (dt.date, dt.time)):
        return value  # temporal values with no source schema are kept as they are
    if name == logical.DATE_NAME:
        return logical.date_from_days(_as_long(value))
    if name == logical.TIME_NAME:
        return logical.time_from_millis(_as_long(value))
    if name == logical.TIMESTAMP_NAME:
        return logical.timestamp_from_millis(_as_long(value))
    if t in (Type.INT8, Type.INT16, Type.INT32, Type.INT64):
        return wrap_int(_as_long(value), INT_BITS[t])
    if t in (Type.FLOAT32, Type.FLOAT64):
        return float(value)
    if t is Type.STRING:
        return convert_to_string(None, value)
    return value


def _as_long(value: Any) -> int:
    if isinstance(value, (int, float, decimal.Decimal)):
        return int(value)
    raise DataException(f"Unable to convert {value!r} ({type(value).__name__}) to a number")

