"""Connect values ⇄ JSON trees, as Kafka Connect's `JsonConverter.convertToJson`/`convertToConnect`.

A *JSON tree* is what `orjson` reads and writes: dict, list, str, int, bool, None, plus
`orjson.Fragment` for numbers that must be printed as Java prints them (floats,
`BigDecimal`s). `Decimal` nodes appear in trees parsed with `parse(..., exact=True)`,
which keeps the literal digits of non-integral numbers (Jackson's `USE_BIG_DECIMAL_FOR_FLOATS`).

Converting per value is compiled once per schema (`compile_encoder`, `compile_decoder`):
each returns a closure that handles nulls, defaults, logical types and nested types.
Read-side conversions are as lenient as Jackson's accessors (`textValue()` of a number is
null, `intValue()` wraps, `booleanValue()` of anything but `true` is false), so data that
Kafka accepts is accepted here with the same result.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import decimal
import json
import math
import re
from collections.abc import Callable, Mapping
from itertools import chain, compress, repeat
from operator import is_
from typing import Any, NamedTuple

import orjson

from pyconnect_flow.converters.java_text import java_bigdecimal_str, java_class_name, java_double_str, java_float_str
from pyconnect_flow.data import java_numbers, logical
from pyconnect_flow.data.exceptions import DataException
from pyconnect_flow.data.java_hashmap import java_ordered, java_ordered_by_schema
from pyconnect_flow.data.schema import Schema, Type
from pyconnect_flow.data.struct import Struct

Encoder = Callable[[Any], Any]
Decoder = Callable[[Any], Any]

DECIMAL_NAME_BYTES = logical.DECIMAL_NAME.encode()
READ_ERROR = "Converting byte[] to Kafka Connect data failed due to serialization error: "
WRITE_ERROR = "Converting Kafka Connect data to byte[] failed due to serialization error: "
NULL_WRITE_ERROR = "Conversion error: null value for field that is required and has no default value"


class CodecConfig(NamedTuple):
    """The settings that change how values convert."""

    replace_null_with_default: bool = True
    decimal_numeric: bool = False


class _Missing:
    """Jackson's MissingNode: what an empty input parses to."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()

# ---------------------------------------------------------------------------------------------
# bytes ⇄ trees


_CTRL_ESCAPE = re.compile(rb"\\\\|\\u00([01][0-9a-f])")
# One character outside the Basic Multilingual Plane, as UTF-8 (4 bytes, lead byte F0-F4).
_ASTRAL = re.compile(rb"[\xf0-\xf4][\x80-\xbf]{3}")
_SURROGATE = re.compile("([\ud800-\udfff])")


def _upper_hex(m: re.Match[bytes]) -> bytes:
    return m.group(0) if m.group(1) is None else b"\\u00" + m.group(1).upper()


def _surrogate_pair(m: re.Match[bytes]) -> bytes:
    code = ord(m.group(0).decode("utf-8")) - 0x10000
    return b"\\u%04X\\u%04X" % (0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF))


def escape_astral(out: bytes) -> bytes:
    """Write characters outside the BMP as Jackson's UTF8JsonGenerator does: escaped surrogate pairs.

    Jackson writes every other character as raw UTF-8, but a Java string holds U+1F600 as two
    UTF-16 surrogates, which it escapes one by one: `"\\uD83D\\uDE00"`. JSON text holds 4-byte UTF-8
    sequences only inside strings, so replacing them in the whole output is exact.
    """
    if out.isascii():
        return out
    return _ASTRAL.sub(_surrogate_pair, out)


def dumps(tree: Any) -> bytes:
    """Compact JSON bytes of a tree, escaped as Jackson escapes (`\\u001F`, raw UTF-8 in the BMP,
    surrogate pairs and lone surrogates as `\\uD83D\\uDE00`, `/` as is)."""
    try:
        out = orjson.dumps(tree)
    except orjson.JSONEncodeError as exc:
        if "surrogates" not in str(exc):
            raise DataException(WRITE_ERROR + str(exc)) from exc
        out = _dumps_surrogates(tree)
    if b"\\u00" in out:
        # orjson writes control characters as \u001f; Jackson as \u001F.
        out = _CTRL_ESCAPE.sub(_upper_hex, out)
    if not out.isascii():
        out = _ASTRAL.sub(_surrogate_pair, out)
    return out


def _dumps_surrogates(tree: Any) -> bytes:
    """`orjson.dumps` for trees whose strings (keys too) hold surrogates, which a Python str may and
    UTF-8 may not: Java strings are UTF-16, and Jackson writes each surrogate as `\\uD800`."""
    if isinstance(tree, str):
        if not _SURROGATE.search(tree):
            return orjson.dumps(tree)
        parts = _SURROGATE.split(tree)
        text = b"".join(orjson.dumps(part)[1:-1] if i % 2 == 0 else b"\\u%04X" % ord(part)
                        for i, part in enumerate(parts))
        return b'"' + text + b'"'
    if isinstance(tree, dict):
        return b"{" + b",".join(_dumps_surrogates(k) + b":" + _dumps_surrogates(v) for k, v in tree.items()) + b"}"
    if isinstance(tree, (list, tuple)):
        return b"[" + b",".join(map(_dumps_surrogates, tree)) + b"]"
    try:
        return orjson.dumps(tree)
    except orjson.JSONEncodeError as exc:
        raise DataException(WRITE_ERROR + str(exc)) from exc


def _reject_constant(name: str) -> Any:
    raise ValueError(f"Non-standard token '{name}': enable JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS to allow")


_EXACT = json.JSONDecoder(parse_float=decimal.Decimal, parse_constant=_reject_constant)
_PLAIN = json.JSONDecoder(parse_constant=_reject_constant)
# A JSON string, or leading zeros of a number (Jackson's ALLOW_LEADING_ZEROS_FOR_NUMBERS).
_LEADING_ZEROS = re.compile(r'("(?:[^"\\]|\\.)*")|(?<![\w.+-])(-?)0+(?=\d)')
_WS = " \t\r\n"


class NeedsExactParse(Exception):
    """Raised by a decoder given a float where Kafka reads the number's exact text (an integer field
    holding a fraction or an integer past 64 bits, which orjson turns into a float): parse again with
    `exact=True` and decode again."""


def loads_strict(data: bytes, exact: bool, big_ints: bool = False) -> Any:
    """Parse one complete JSON document; `exact` keeps non-integral numbers as `Decimal`; `big_ints`
    keeps integers past 64 bits exact (orjson makes floats of them), non-integral numbers as floats."""
    if exact:
        return _EXACT.decode(data.decode("utf-8"))
    if big_ints:
        return _PLAIN.decode(data.decode("utf-8"))
    return orjson.loads(data)


def parse(data: bytes, exact: bool = False, big_ints: bool = False) -> Any:
    """Parse bytes as Kafka's JsonDeserializer does (raises DataException on bad JSON).

    Beyond strict JSON it accepts what Jackson's `readTree` accepts: numbers with leading
    zeros, text after the first value, and empty input (MISSING).
    """
    try:
        return loads_strict(data, exact, big_ints)
    except (ValueError, UnicodeDecodeError):
        return _parse_lenient(data, exact)


_INVALID_BYTE = re.compile("[\udc80-\udcff]")  # bytes that are not UTF-8, under surrogateescape
_JAVA_IDENTIFIER_PARTS = frozenset(("Lu", "Ll", "Lt", "Lm", "Lo", "Sc", "Pc", "Nd", "Nl", "Mc", "Mn", "Cf"))


def _java_identifier_part(c: str) -> bool:
    """`Character.isJavaIdentifierPart(c)` (what may not follow `true`, `false` or `null`)."""
    import unicodedata

    return unicodedata.category(c) in _JAVA_IDENTIFIER_PARTS


def _parse_lenient(data: bytes, exact: bool) -> Any:
    # Jackson reads the bytes as it goes and stops after the root value: what follows it is never decoded.
    text = data.decode("utf-8", "surrogateescape")
    text = text.lstrip("\ufeff")
    start = len(text) - len(text.lstrip(_WS))
    if start == len(text):
        return MISSING
    text = _LEADING_ZEROS.sub(lambda m: m.group(1) or m.group(2), text)
    decoder = _EXACT if exact else _PLAIN
    try:
        value, end = decoder.raw_decode(text, start)
    except ValueError as exc:
        invalid = _INVALID_BYTE.search(text)
        if invalid is not None:
            raise DataException(READ_ERROR + f"Invalid UTF-8 at char {invalid.start()}") from exc
        raise DataException(READ_ERROR + str(exc)) from exc
    invalid = _INVALID_BYTE.search(text, start, end)
    if invalid is not None:
        raise DataException(READ_ERROR + f"Invalid UTF-8 at char {invalid.start()}")
    if end < len(text):
        c = text[end]
        if value is True or value is False or value is None:
            # Jackson's _matchToken: a letter, digit or other identifier character may not follow, and
            # no byte past ASCII (Jackson 2.21's _decodeCharForError reads the lead byte again as the
            # continuation byte, so any multi-byte character there is "Invalid UTF-8 middle byte")
            if c >= "0" and c not in "]}" and (c >= "\x7f" or _java_identifier_part(c)):
                raise DataException(READ_ERROR + f"Unrecognized token after {text[start:end]!r}")
        elif not isinstance(value, (dict, list, str)) and c not in _WS:
            raise DataException(READ_ERROR + f"Unexpected character {c!r} after root value at char {end}")
    return value


def node_type(node: Any) -> str:
    """Jackson's `JsonNodeType` name of a tree node (for error messages)."""
    if node is None:
        return "NULL"
    if node is MISSING:
        return "MISSING"
    if isinstance(node, bool):
        return "BOOLEAN"
    if isinstance(node, (int, float, decimal.Decimal)):
        return "NUMBER"
    if isinstance(node, str):
        return "STRING"
    if isinstance(node, list):
        return "ARRAY"
    if isinstance(node, dict):
        return "OBJECT"
    return "POJO"


# ---------------------------------------------------------------------------------------------
# Connect → tree

_INT_BITS = {Type.INT8: 8, Type.INT16: 16, Type.INT32: 32, Type.INT64: 64}
_NON_FINITE = frozenset({"NaN", "Infinity", "-Infinity"})
_b64encode = binascii.b2a_base64


def _bytes_text(v: Any) -> str:
    return _b64encode(v, newline=False).decode("ascii")


def _number(text: str) -> Any:
    # Jackson writes non-finite floats as quoted strings (QUOTE_NON_NUMERIC_NUMBERS).
    return text if text in _NON_FINITE else orjson.Fragment(text)


def _invalid(schema: Schema, v: Any, extra: str = "") -> DataException:
    return DataException(f"Invalid type for {schema.type.name}: {java_class_name(v)}{extra}")


def _with_nulls(schema: Schema, cfg: CodecConfig, body: Encoder, fast_type: type | None = None,
                lo: int = 0, hi: int = -1) -> Encoder:
    """Wrap a non-null encoder with Kafka's null rules: default, then null if optional, else error.

    Values whose type is exactly `fast_type` (and, for ints, within [lo, hi]) are their own
    tree and skip the call to `body`: one call per value for the common primitives.
    """
    # Kafka converts the default only when a null is written (`convertToJson`), so a default
    # its encoder refuses (a Decimal default of another scale) fails that null, not the schema.
    default_cache: list[Any] = []
    if schema.default is not None and cfg.replace_null_with_default:
        mode = 0
    else:
        mode = 1 if schema.optional else 2

    def null() -> Any:
        if mode == 2:
            raise DataException(NULL_WRITE_ERROR)
        if mode == 1:
            return None
        if not default_cache:
            default_cache.append(body(schema.default))
        return default_cache[0]

    if fast_type is int:
        def encode_int(v: Any) -> Any:
            if type(v) is int and lo <= v <= hi:
                return v
            return null() if v is None else body(v)
        return encode_int
    if fast_type is not None:
        def encode_fast(v: Any) -> Any:
            if type(v) is fast_type:
                return v
            return null() if v is None else body(v)
        return encode_fast
    if mode == 0:
        def encode_or_default(v: Any) -> Any:
            return null() if v is None else body(v)
        return encode_or_default
    if mode == 1:
        def encode_optional(v: Any) -> Any:
            return None if v is None else body(v)
        return encode_optional

    def encode_required(v: Any) -> Any:
        if v is None:
            raise DataException(NULL_WRITE_ERROR)
        return body(v)
    return encode_required


def compile_encoder(schema: Schema | None, cfg: CodecConfig) -> Encoder:
    """A function turning a Connect value of `schema` into a JSON tree (None schema: infer)."""
    if schema is None:
        return encode_schemaless
    body = _body_encoder(schema, cfg)
    if schema.name not in logical.LOGICAL_NAMES:
        t = schema.type
        if t in _INT_BITS:
            half = 1 << (_INT_BITS[t] - 1)
            return _with_nulls(schema, cfg, body, int, -half, half - 1)
        if t is Type.STRING:
            return _with_nulls(schema, cfg, body, str)
        if t is Type.BOOLEAN:
            return _with_nulls(schema, cfg, body, bool)
    return _with_nulls(schema, cfg, body)


def _body_encoder(schema: Schema, cfg: CodecConfig) -> Encoder:
    logical_enc = _logical_encoder(schema, cfg)
    if logical_enc is not None:
        return logical_enc
    t = schema.type
    if t in _INT_BITS:
        half = 1 << (_INT_BITS[t] - 1)
        lo, hi = -half, half - 1

        def encode_int(v: Any) -> Any:
            if isinstance(v, int) and not isinstance(v, bool):
                if lo <= v <= hi:
                    return int(v)
                raise _invalid(schema, v, f" (value {v} out of range)")
            raise _invalid(schema, v)
        return encode_int
    if t is Type.FLOAT32 or t is Type.FLOAT64:
        fmt = java_float_str if t is Type.FLOAT32 else java_double_str

        def encode_float(v: Any) -> Any:
            if isinstance(v, (float, int)) and not isinstance(v, bool):
                return _number(fmt(float(v)))
            raise _invalid(schema, v)
        return encode_float
    if t is Type.BOOLEAN:
        def encode_bool(v: Any) -> Any:
            if isinstance(v, bool):
                return v
            raise _invalid(schema, v)
        return encode_bool
    if t is Type.STRING:
        def encode_str(v: Any) -> Any:
            if isinstance(v, str):
                return str(v)
            raise _invalid(schema, v)
        return encode_str
    if t is Type.BYTES:
        def encode_bytes(v: Any) -> Any:
            if isinstance(v, (bytes, bytearray, memoryview)):
                return _bytes_text(v)
            raise DataException(f"Invalid type for bytes type: {java_class_name(v)}")
        return encode_bytes
    if t is Type.ARRAY:
        item = compile_encoder(schema.value_schema, cfg)

        def encode_array(v: Any) -> Any:
            if isinstance(v, (list, tuple)):
                return [item(x) for x in v]
            raise _invalid(schema, v)
        return encode_array
    if t is Type.MAP:
        return _map_encoder(schema, cfg)
    if t is Type.STRUCT:
        return _struct_encoder(schema, cfg)
    raise DataException(f"Couldn't translate unsupported schema type {schema}.")  # pragma: no cover


def _map_encoder(schema: Schema, cfg: CodecConfig) -> Encoder:
    key_enc = compile_encoder(schema.key_schema, cfg)
    val_enc = compile_encoder(schema.value_schema, cfg)
    if schema.key_schema is not None and schema.key_schema.type is Type.STRING:
        def key_text(k: Any) -> str:
            tree = key_enc(k)
            return tree if isinstance(tree, str) else _node_as_text(tree)

        def encode_object(v: Any) -> Any:
            if not isinstance(v, Mapping):
                raise _invalid(schema, v)
            return {key_text(k): val_enc(x) for k, x in v.items()}
        return encode_object

    def encode_pairs(v: Any) -> Any:
        if not isinstance(v, Mapping):
            raise _invalid(schema, v)
        return [[key_enc(k), val_enc(x)] for k, x in v.items()]
    return encode_pairs


def _node_as_text(tree: Any) -> str:
    """Jackson's `JsonNode.asText()` of a written tree (map keys)."""
    if tree is None:
        return "null"
    if isinstance(tree, bool):
        return "true" if tree else "false"
    if isinstance(tree, orjson.Fragment):
        return tree.contents.decode() if isinstance(tree.contents, bytes) else str(tree.contents)
    if isinstance(tree, (int, str)):
        return str(tree)
    return ""


def _struct_encoder(schema: Schema, cfg: CodecConfig) -> Encoder:
    fields = tuple((f.name, compile_encoder(f.schema, cfg)) for f in schema.fields or ())

    # Schemas found equal to `schema` (kept alive here, so their ids stay theirs): one deep
    # comparison per distinct schema object instead of one per value.
    equal: dict[int, Schema] = {}

    def encode_struct(v: Any) -> Any:
        if not isinstance(v, Struct):
            raise _invalid(schema, v)
        other = v.schema
        if other is not schema and equal.get(id(other)) is not other:
            if other != schema:
                raise DataException("Mismatching schema.")
            if len(equal) >= 64:
                equal.clear()
            equal[id(other)] = other
        values = v._values  # the values as set, without defaults (Kafka's getWithoutDefault)
        return {name: enc(values.get(name)) for name, enc in fields}
    return encode_struct


def _logical_encoder(schema: Schema, cfg: CodecConfig) -> Encoder | None:
    name = schema.name
    if name == logical.DECIMAL_NAME:
        numeric = cfg.decimal_numeric

        def encode_decimal(v: Any) -> Any:
            if not isinstance(v, decimal.Decimal):
                raise DataException(f"Invalid type for Decimal, expected BigDecimal but was {java_class_name(v)}")
            if not v.is_finite():
                raise DataException(f"Invalid value for Decimal: {v} (BigDecimal is always finite)")
            if numeric:
                return orjson.Fragment(java_bigdecimal_str(v))
            return _bytes_text(logical.decimal_to_bytes(schema, v))
        return encode_decimal
    if name == logical.DATE_NAME:
        def encode_date(v: Any) -> Any:
            if not isinstance(v, dt.date):
                raise DataException(f"Invalid type for Date, expected Date but was {java_class_name(v)}")
            return logical.date_to_days(v)
        return encode_date
    if name == logical.TIME_NAME:
        def encode_time(v: Any) -> Any:
            if not isinstance(v, (dt.time, dt.datetime)):
                raise DataException(f"Invalid type for Time, expected Date but was {java_class_name(v)}")
            return logical.time_to_millis(v)
        return encode_time
    if name == logical.TIMESTAMP_NAME:
        def encode_timestamp(v: Any) -> Any:
            if not isinstance(v, dt.datetime):
                raise DataException(f"Invalid type for Timestamp, expected Date but was {java_class_name(v)}")
            return logical.timestamp_to_millis(v)
        return encode_timestamp
    return None


_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1


def encode_schemaless(v: Any) -> Any:
    """A tree for a value without schema: its Connect type is inferred from its Python type.

    bool → boolean, int → int64, float → double, str, bytes → base64, list/tuple → array,
    dict → object (or `[[k, v], ...]` when any key is not a string), None → null. Like Kafka,
    a `Struct` needs its schema ("Mismatching schema.") and other classes (Decimal, dates)
    have no schema type.
    """
    t = type(v)
    if t is str or t is bool or v is None:
        return v
    if t is int:
        if _INT64_MIN <= v <= _INT64_MAX:
            return v
        raise DataException(f"Java class class java.math.BigInteger does not have corresponding schema type: {v}")
    if t is float:
        return _number(java_double_str(v))
    if t is dict:
        return _schemaless_dict(v)
    if t is list or t is tuple:
        return _schemaless_list(v)
    if t is bytes or t is bytearray or t is memoryview:
        return _bytes_text(v)
    if isinstance(v, Struct):
        raise DataException("Mismatching schema.")
    # subclasses of the plain types (IntEnum, OrderedDict, str enums, ...)
    for base in _PLAIN_BASES:
        if isinstance(v, base):
            return encode_schemaless(base(v))
    if isinstance(v, Mapping):
        return encode_schemaless(dict(v))
    raise DataException(f"Java class {java_class_name(v)} does not have corresponding schema type.")


_PLAIN_BASES: tuple[Any, ...] = (bool, int, float, str, dict, list, tuple, bytes)


_FLAT_TYPES = frozenset({str, int, bool, float, type(None)})


def _plain_float(x: float) -> bool:
    """orjson writes this double exactly as Java's Double.toString does (checked on random samples; JDK 19+
    only: JDK 17's digits are not always the shortest)."""
    return (1e-3 <= abs(x) < 1e7 or x == 0.0 and math.copysign(1.0, x) > 0) and not java_numbers.legacy_to_string


def _schemaless_dict(v: dict[Any, Any]) -> Any:
    # Fast path, checked with C-level scans: a flat map of strings, int64s, booleans, nulls and
    # doubles that orjson already writes as Java does needs no per-field conversion.
    types = set(map(type, v.values()))
    if types <= _FLAT_TYPES and set(map(type, v)) <= {str}:
        ints_ok = int not in types or all(_INT64_MIN <= x <= _INT64_MAX for x in v.values() if type(x) is int)
        floats_ok = float not in types or all(_plain_float(x) for x in v.values() if type(x) is float)
        if ints_ok and floats_ok:
            return v
    out: dict[Any, Any] | None = None
    for k, x in v.items():
        if type(k) is not str:
            return [[encode_schemaless(k), encode_schemaless(x)] for k, x in v.items()]
        t = type(x)
        if t is str or t is bool or x is None or (t is int and _INT64_MIN <= x <= _INT64_MAX):
            continue
        if out is None:
            out = dict(v)
        out[k] = encode_schemaless(x)
    return v if out is None else out


def flat_maps_writable_as_is(maps: list[Any]) -> bool:
    """True when every item is a non-empty dict of str keys to strings, int64s, booleans, nulls and
    doubles that orjson writes as Java does: then `orjson.dumps` of the maps is Kafka's JSON.

    Checked for the whole list at once, with C-level scans (no Python code per value).
    """
    if set(map(type, maps)) != {dict} or not all(maps):
        return False
    if not set(map(type, chain.from_iterable(maps))) <= {str}:
        return False
    values = list(chain.from_iterable(map(dict.values, maps)))
    kinds = list(map(type, values))
    present = set(kinds)
    if not present <= _FLAT_TYPES:
        return False
    if int in present:
        ints = list(compress(values, map(is_, kinds, repeat(int))))
        if min(ints) < _INT64_MIN or max(ints) > _INT64_MAX:
            return False
    if float in present:
        if java_numbers.legacy_to_string:
            return False
        sizes = list(map(abs, compress(values, map(is_, kinds, repeat(float)))))
        total = sum(sizes)
        if total != total or total == math.inf:  # a NaN or an infinity: Java writes those as words
            return False
        if min(sizes) < 1e-3 or max(sizes) >= 1e7:  # _plain_float's range (zeros go the long way)
            return False
    return True


def dump_each(maps: list[dict[str, Any]], prefix: bytes = b"", suffix: bytes = b"") -> list[bytes] | None:
    """`prefix + dumps(m) + suffix` for each of `maps`, non-empty dicts with str keys, from one
    `orjson.dumps` of the whole list; None when the split is not certain (then write them one by one).

    Items of the dumped list are separated by `},{"`. With every map non-empty each of the
    n - 1 separators has that form, so exactly n pieces after splitting there means no string
    held the sequence. NUL marks the cuts: orjson escapes it inside strings.
    """
    try:
        dumped = dumps(maps)
    except DataException:
        return None
    cut = b"}" + suffix + b"\0" + prefix + b'{"'
    parts = (prefix + dumped[1:-1].replace(b'},{"', cut) + suffix).split(b"\0")
    return parts if len(parts) == len(maps) else None


def _schemaless_list(v: list[Any] | tuple[Any, ...]) -> Any:
    out: list[Any] | None = None
    for i, x in enumerate(v):
        t = type(x)
        if t is str or t is bool or x is None or (t is int and _INT64_MIN <= x <= _INT64_MAX):
            continue
        if out is None:
            out = list(v)
        out[i] = encode_schemaless(x)
    return v if out is None else out


# ---------------------------------------------------------------------------------------------
# tree → Connect


def _wrap(n: int, bits: int) -> int:
    """Java's narrowing of an integer to `bits` bits (two's complement wrap-around)."""
    half = 1 << (bits - 1)
    return ((n + half) & ((1 << bits) - 1)) - half


def _negative(x: float) -> bool:
    return math.copysign(1.0, x) < 0


def _decimal_to_double(n: int | decimal.Decimal) -> float:
    """`BigDecimal.doubleValue()`: Jackson reads every number with a fraction or exponent as a BigDecimal,
    which has no negative zero: `-0.0` reads as 0.0, but a negative number too small for a double as -0.0."""
    if type(n) is decimal.Decimal and n.is_zero():
        return 0.0
    return float(n)


def _java_integral(node: Any, bits: int) -> int:
    """Jackson's `intValue()`/`longValue()` of any node, narrowed like Java's casts.

    Non-numbers give 0; fractions are truncated and big values wrap, as `BigDecimal.intValue()`.
    """
    if isinstance(node, bool) or not isinstance(node, (int, float, decimal.Decimal)):
        return 0
    if isinstance(node, float) and (node != node or node in (float("inf"), float("-inf"))):
        return 0
    return _wrap(int(node), bits)


def _null_decoder(schema: Schema, cfg: CodecConfig) -> Callable[[], Any]:
    """What a null (or missing) node decodes to: default, else null if optional, else error."""
    if schema.default is not None and cfg.replace_null_with_default:
        default = schema.default
        return lambda: default
    if schema.optional:
        return lambda: None
    message = f"Invalid null value for required {schema.type.name} field"

    def fail() -> Any:
        raise DataException(message)
    return fail


def compile_decoder(schema: Schema | None, cfg: CodecConfig) -> Decoder:
    """A function turning a JSON tree node into a Connect value of `schema` (None: infer)."""
    if schema is None:
        return decode_schemaless
    null = _null_decoder(schema, cfg)
    logical_dec = _logical_decoder(schema)
    if logical_dec is not None:
        def decode_logical(n: Any) -> Any:
            return null() if n is None or n is MISSING else logical_dec(n)
        return decode_logical
    t = schema.type
    if t is Type.STRING:
        def decode_str(n: Any) -> Any:
            if type(n) is str:
                return n
            return null() if n is None or n is MISSING else None
        return decode_str
    if t in _INT_BITS:
        bits = _INT_BITS[t]
        lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1

        def decode_int(n: Any) -> Any:
            if type(n) is int and lo <= n <= hi:
                return n
            if type(n) is float:
                raise NeedsExactParse  # Jackson narrows the exact number (BigDecimal/BigInteger.intValue())
            return null() if n is None or n is MISSING else _java_integral(n, bits)
        return decode_int
    if t is Type.FLOAT32 or t is Type.FLOAT64:
        def decode_float(n: Any) -> Any:
            if type(n) is float:
                if n == 0.0 and _negative(n):
                    raise NeedsExactParse  # "-0.0" reads as 0.0, a negative number too small as -0.0
                return n
            if n is None or n is MISSING:
                return null()
            if isinstance(n, (int, decimal.Decimal)) and not isinstance(n, bool):
                return _decimal_to_double(n)
            return 0.0
        return decode_float
    if t is Type.BOOLEAN:
        def decode_bool(n: Any) -> Any:
            if n is True:
                return True
            return null() if n is None or n is MISSING else False
        return decode_bool
    if t is Type.BYTES:
        def decode_bytes(n: Any) -> Any:
            if type(n) is str:
                return _b64decode(n, "Invalid bytes field")
            return null() if n is None or n is MISSING else None
        return decode_bytes
    if t is Type.ARRAY:
        item = compile_decoder(schema.value_schema, cfg)

        def decode_array(n: Any) -> Any:
            if type(n) is list:
                return [item(x) for x in n]
            if n is None or n is MISSING:
                return null()
            if type(n) is dict:
                return [item(x) for x in n.values()]
            return []
        return decode_array
    if t is Type.MAP:
        return _map_decoder(schema, cfg, null)
    if t is Type.STRUCT:
        return _struct_decoder(schema, cfg, null)
    raise DataException(f"Unknown schema type: {t}")  # pragma: no cover


_B64_WS = re.compile(r"[\x00- ]")


def _b64decode(text: str, message: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        try:
            return base64.b64decode(_B64_WS.sub("", text), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise DataException(message) from exc


def _map_decoder(schema: Schema, cfg: CodecConfig, null: Callable[[], Any]) -> Decoder:
    val_dec = compile_decoder(schema.value_schema, cfg)
    if schema.key_schema is None or schema.key_schema.type is Type.STRING:
        def decode_object(n: Any) -> Any:
            if type(n) is dict:
                return java_ordered({k: val_dec(x) for k, x in n.items()})
            if n is None or n is MISSING:
                return null()
            raise DataException(f"Maps with string fields should be encoded as JSON objects, but found {node_type(n)}")
        return decode_object
    key_schema = schema.key_schema
    key_dec = compile_decoder(key_schema, cfg)

    def decode_pairs(n: Any) -> Any:
        if n is None or n is MISSING:
            return null()
        if type(n) is not list:
            raise DataException(
                f"Maps with non-string fields should be encoded as JSON array of tuples, but found {node_type(n)}")
        result: dict[Any, Any] = {}
        for entry in n:
            if type(entry) is not list:
                raise DataException(f"Found invalid map entry instead of array tuple: {node_type(entry)}")
            if len(entry) != 2:
                raise DataException(f"Found invalid map entry, expected length 2 but found :{len(entry)}")
            key = key_dec(entry[0])
            try:
                result[key] = val_dec(entry[1])
            except TypeError as exc:
                raise DataException(f"Map key {key!r} cannot be used as a Python dict key") from exc
        return java_ordered_by_schema(result, key_schema)
    return decode_pairs


def _struct_decoder(schema: Schema, cfg: CodecConfig, null: Callable[[], Any]) -> Decoder:
    """A decoder of one struct schema, compiled into one function.

    Each field's usual node (an int in range, a float, a str, a bool) is taken as it is by an
    inline type check; anything else goes to the field's own decoder, which gives Jackson's
    conversions, defaults and errors.
    """
    names: dict[str, Any] = {"NEW": Struct.__new__, "STRUCT": Struct, "SCHEMA": schema, "NULL": null,
                             "MISSING": MISSING, "DataException": DataException, "node_type": node_type}
    lines: list[str] = []
    items: list[str] = []
    for i, f in enumerate(schema.fields or ()):
        names[f"k{i}"], names[f"d{i}"] = f.name, _field_decoder(f.name, f.schema, cfg)
        lines.append(f"    x{i} = get(k{i})")
        check = None if f.schema.name is not None else _INLINE_CHECKS.get(f.schema.type)
        if check is None:
            lines.append(f"    x{i} = d{i}(x{i})")
        else:
            lines.append(f"    if not ({check.format(x=f'x{i}')}): x{i} = d{i}(x{i})")
        items.append(f"k{i}: x{i}")
    source = (
        "def decode_struct(n):\n"
        "    if type(n) is not dict:\n"
        "        if n is None or n is MISSING:\n"
        "            return NULL()\n"
        "        raise DataException(f'Structs should be encoded as JSON objects, but found {node_type(n)}')\n"
        "    get = n.get\n"
        + "".join(line + "\n" for line in lines)
        + "    s = NEW(STRUCT)\n"
        "    s.schema = SCHEMA\n"
        # Values are built from the schema, so Struct.put's validation is not needed again.
        f"    s._values = {{{', '.join(items)}}}\n"
        "    return s\n"
    )
    exec(compile(source, f"<struct decoder {schema.name or 'struct'!r}>", "exec"), names)  # noqa: S102 - generated here
    decode: Any = names["decode_struct"]
    return decode


# The nodes a field decoder returns unchanged (so the call can be skipped), per plain type.
_INLINE_CHECKS = {
    Type.INT8: "type({x}) is int and -128 <= {x} <= 127",
    Type.INT16: "type({x}) is int and -32768 <= {x} <= 32767",
    Type.INT32: "type({x}) is int and -2147483648 <= {x} <= 2147483647",
    Type.INT64: "type({x}) is int and -9223372036854775808 <= {x} <= 9223372036854775807",
    Type.FLOAT64: "type({x}) is float and {x}",  # zeros go to the decoder: -0.0 is read as 0.0
    Type.FLOAT32: "type({x}) is float and {x}",
    Type.STRING: "type({x}) is str",
    Type.BOOLEAN: "type({x}) is bool",
}


def _required_text(schema: Schema | None) -> bool:
    """Whether a null may stand for a value of `schema` that Struct.put's validation refuses: a required
    STRING/BYTES (Jackson's textValue()/binaryValue() of another kind of node is null), also as an
    element of arrays and maps (ConnectSchema.validateValue checks those; nested structs check themselves)."""
    if schema is None:
        return False
    if schema.type in (Type.STRING, Type.BYTES):
        return not schema.optional and schema.name is None
    if schema.type is Type.ARRAY:
        return _required_text(schema.value_schema)
    if schema.type is Type.MAP:
        return _required_text(schema.key_schema) or _required_text(schema.value_schema)
    return False


def _check_elements(schema: Schema, value: Any) -> None:
    """ConnectSchema.validateValue's null checks inside an array or map."""
    if value is None:
        return
    if schema.type is Type.ARRAY:
        items = schema.value_schema
        assert items is not None
        for item in value:
            _check_element(items, item)
    elif schema.type is Type.MAP:
        keys, values = schema.key_schema, schema.value_schema
        assert keys is not None and values is not None
        for k, v in value.items():
            _check_element(keys, k)
            _check_element(values, v)


def _check_element(schema: Schema, value: Any) -> None:
    if value is None:
        if not schema.optional:
            raise DataException(f'Invalid value: null used for required field: "null", schema type: {schema.type.name}')
    elif schema.type in (Type.ARRAY, Type.MAP):
        _check_elements(schema, value)


def _field_decoder(name: str, schema: Schema, cfg: CodecConfig) -> Decoder:
    dec = compile_decoder(schema, cfg)
    if schema.type in (Type.ARRAY, Type.MAP) and _required_text(schema):
        def decode_checked(n: Any) -> Any:
            v = dec(n)
            _check_elements(schema, v)
            return v
        return decode_checked
    if schema.optional or schema.type not in (Type.STRING, Type.BYTES) or schema.name is not None:
        return dec
    # Jackson gives null for a STRING/BYTES field holding another kind of node; Struct.put rejects it.
    message = f'Invalid value: null used for required field: "{name}", schema type: {schema.type.name}'

    def decode_required(n: Any) -> Any:
        v = dec(n)
        if v is None:
            raise DataException(message)
        return v
    return decode_required


def _logical_decoder(schema: Schema) -> Decoder | None:
    name = schema.name
    if name == logical.DECIMAL_NAME:
        def decode_decimal(n: Any) -> Any:
            if isinstance(n, decimal.Decimal):
                return n
            if isinstance(n, int) and not isinstance(n, bool):
                return decimal.Decimal(n)
            if isinstance(n, float):
                return decimal.Decimal(repr(n))
            if isinstance(n, str):
                data = _b64decode(n, "Invalid bytes for Decimal field")
                if not data:  # BigInteger rejects a zero-length array
                    raise DataException("Invalid bytes for Decimal field")
                try:
                    return logical.decimal_from_bytes(schema, data)
                except Exception as exc:
                    raise DataException("Invalid bytes for Decimal field") from exc
            raise DataException("Invalid type for Decimal, underlying representation should be numeric or bytes "
                                f"but was {node_type(n)}")
        return decode_decimal
    if name == logical.DATE_NAME:
        def decode_date(n: Any) -> Any:
            days = _int32_node(n, "Date", "integer")
            try:
                return logical.date_from_days(days)
            except OverflowError as exc:
                raise DataException(f"Date value {days} days is out of Python's date range") from exc
        return decode_date
    if name == logical.TIME_NAME:
        def decode_time(n: Any) -> Any:
            return logical.time_from_millis(_int32_node(n, "Time", "integer"))
        return decode_time
    if name == logical.TIMESTAMP_NAME:
        def decode_timestamp(n: Any) -> Any:
            if type(n) is not int:
                raise DataException("Invalid type for Timestamp, underlying representation should be integral "
                                    f"but was {node_type(n)}")
            millis = _wrap(n, 64)
            try:
                return logical.timestamp_from_millis(millis)
            except OverflowError as exc:
                raise DataException(f"Timestamp value {millis} ms is out of Python's datetime range") from exc
        return decode_timestamp
    return None


def _int32_node(n: Any, what: str, kind: str) -> int:
    if type(n) is int and -(1 << 31) <= n < (1 << 31):
        return n
    raise DataException(f"Invalid type for {what}, underlying representation should be {kind} but was {node_type(n)}")


def decode_schemaless(n: Any) -> Any:
    """A Connect value for a node without schema: integral → int64, other numbers → double,
    objects → dict, arrays → list (Kafka's inference)."""
    t = type(n)
    if t is str or t is bool or n is None:
        return n
    if t is float:
        if n == 0.0 and _negative(n):
            raise NeedsExactParse  # "-0.0" reads as 0.0, a negative number too small as -0.0
        return n
    if t is int:
        return n if _INT64_MIN <= n <= _INT64_MAX else _wrap(n, 64)
    if t is dict:
        return java_ordered({k: decode_schemaless(x) for k, x in n.items()})
    if t is list:
        return [decode_schemaless(x) for x in n]
    if t is decimal.Decimal:
        return _decimal_to_double(n)
    if n is MISSING:
        return None
    raise DataException(f"Unknown schema type: {node_type(n)}")  # pragma: no cover


_DIGITS_TO_ZERO = bytes.maketrans(b"123456789", b"000000000")
_NINETEEN_ZEROS = b"0" * 19


def has_long_digit_run(data: bytes) -> bool:
    """True if `data` holds 19 digits in a row: the only way JSON text can hold an integer beyond int64
    (which orjson reads as a float)."""
    return _NINETEEN_ZEROS in data.translate(_DIGITS_TO_ZERO)


def decode_schemaless_from(n: Any, data: bytes, exact: bool, envelope: bool = False) -> Any:
    """`decode_schemaless` of `n`, parsed from `data` (the payload's text, or its envelope's), skipping
    the walk of a parsed tree that is already final.

    An orjson tree needs changes only when it holds an integer beyond int64 (a run of 19+ digits in
    the text; then the text is parsed again with exact integers) or a negative zero (`-0`).
    """
    t = type(n)
    if exact or not (t is dict or t is list or t is float):
        return decode_schemaless(n)
    if has_long_digit_run(data):
        n = parse(data, big_ints=True)
        n = n["payload"] if envelope else n
    elif b"-0" not in data:
        return n if t is float else java_ordered(n, data.count(b"{") == 1 and b"[" not in data)
    try:
        return decode_schemaless(n)
    except NeedsExactParse:  # a -0.0: was it written as a zero, or as a tiny negative number?
        n = parse(data, exact=True)
        return decode_schemaless(n["payload"] if envelope else n)
