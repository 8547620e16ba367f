"""Reading the language-neutral SMT vectors (`data/smt-vectors.json`) into pyconnect-flow objects.

The notation (see `kafka-connect-inventory.md` §4/§5): `{"$int8": n}` ... `{"$int64": n}`,
`{"$float32": x}`, `{"$float64": x}` are Java boxed numbers (Python int/float here);
`{"$bytes": "<base64>"}` is bytes; `{"$decimal": "1.56"}` a `decimal.Decimal` (scale kept);
`{"$biginteger": "42"}` an int; `{"$date_millis": N}` a `java.util.Date`, read as the logical
type its schema names (`Date` -> `datetime.date`, `Time` -> `datetime.time`, otherwise an aware
UTC `datetime.datetime`); `{"$map": [[k, v], ...]}` a map with non-string keys;
`{"$json_number": "1.50"}` a JSON number whose text matters (a Decimal); `{"$bytes_null": true}`
a null byte[] (None). Schemas are in JsonConverter's envelope-schema form, or a bare type name.

`assert_same` compares strictly: `True` is not `1`, `1` is not `1.0`, `Decimal("1.0")` is not
`Decimal("1")` (Java's BigDecimal.equals), structs compare schema and every field.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pyconnect_flow.config.definition import ConfigException
from pyconnect_flow.data import DataException, Schema, SchemaBuilder, Struct, Type, logical
from pyconnect_flow.record import Record

DATA = Path(__file__).parent / "data"
SMT_VECTORS = DATA / "smt-vectors.json"

_TYPES = {t.value: t for t in Type}
_TYPES.update({"float32": Type.FLOAT32, "float64": Type.FLOAT64})
_INT_TAGS = ("$int8", "$int16", "$int32", "$int64", "$biginteger")

ERRORS: dict[str, type[BaseException]] = {
    "DataException": DataException,
    "ConfigException": ConfigException,
    "IllegalArgumentException": ValueError,
}
"""Java exception names used in vectors -> what pyconnect-flow raises for them."""


def load(path: Path = SMT_VECTORS) -> list[dict[str, Any]]:
    """All vectors of a vector file."""
    return json.loads(path.read_text(encoding="utf-8"))


def vectors_for(prefixes: tuple[str, ...], path: Path = SMT_VECTORS) -> list[dict[str, Any]]:
    """Vectors whose `transform` is one of `prefixes` or one of their `$Key`/`$Value` variants."""
    return [v for v in load(path) if v["transform"].split("$")[0] in prefixes]


# schemas ---------------------------------------------------------------------

def decode_schema(obj: Any) -> Schema | None:
    """A Schema from JsonConverter's schema JSON (or a bare type name such as "string")."""
    if obj is None:
        return None
    if isinstance(obj, str):
        return SchemaBuilder(_TYPES[obj]).build()
    type_ = _TYPES[obj["type"]]
    if type_ is Type.ARRAY:
        builder = SchemaBuilder.array(_required(decode_schema(obj["items"])))
    elif type_ is Type.MAP:
        builder = SchemaBuilder.map(_required(decode_schema(obj["keys"])), _required(decode_schema(obj["values"])))
    else:
        builder = SchemaBuilder(type_)
    for f in obj.get("fields", ()) if type_ is Type.STRUCT else ():
        builder.field(f["field"], _required(decode_schema(f)))
    builder.optional(bool(obj.get("optional", False)))
    builder.name(obj.get("name")).version(obj.get("version")).doc(obj.get("doc"))
    builder.parameters(obj.get("parameters"))
    if obj.get("default") is not None:
        without_default = builder.build()
        builder.default_value(decode_value(obj["default"], without_default))
    return builder.build()


def _required(schema: Schema | None) -> Schema:
    assert schema is not None
    return schema


# values -----------------------------------------------------------------------

def _date_millis(millis: int, schema: Schema | None) -> Any:
    name = schema.name if schema is not None else None
    if name == logical.DATE_NAME:
        return logical.date_from_days(millis // logical.MILLIS_PER_DAY)
    if name == logical.TIME_NAME:
        return logical.time_from_millis(millis)
    return logical.timestamp_from_millis(millis)


def _tagged(tag: str, arg: Any, schema: Schema | None) -> Any:
    if tag in _INT_TAGS:
        return int(arg)
    if tag in ("$float32", "$float64"):
        return float(arg)
    if tag == "$bytes":
        return base64.b64decode(arg)
    if tag in ("$decimal", "$json_number"):
        return decimal.Decimal(arg)
    if tag == "$date_millis":
        return _date_millis(int(arg), schema)
    if tag == "$map":
        key_schema = schema.key_schema if schema is not None else None
        value_schema = schema.value_schema if schema is not None else None
        return {_hashable(decode_value(k, key_schema)): decode_value(v, value_schema) for k, v in arg}
    if tag == "$bytes_null":
        return None
    raise ValueError(f"unknown vector tag {tag}")


def _hashable(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    return value


def decode_value(obj: Any, schema: Schema | None = None) -> Any:
    """The Python value of a vector value, read as a value of `schema` (None = schemaless)."""
    if isinstance(obj, dict) and len(obj) == 1:
        (tag, arg), = obj.items()
        if tag.startswith("$"):
            return _tagged(tag, arg, schema)
    if obj is None:
        return None
    if schema is None:
        if isinstance(obj, list):
            return [decode_value(v) for v in obj]
        if isinstance(obj, dict):
            return {k: decode_value(v) for k, v in obj.items()}
        return obj
    if schema.type is Type.STRUCT:
        struct = Struct(schema)
        for f in schema.fields or ():
            if f.name in obj:
                struct.put(f, decode_value(obj[f.name], f.schema))
        return struct
    if schema.type is Type.ARRAY:
        return [decode_value(v, schema.value_schema) for v in obj]
    if schema.type is Type.MAP:
        return {k: decode_value(v, schema.value_schema) for k, v in obj.items()}
    if schema.name == logical.DECIMAL_NAME:
        return decimal.Decimal(str(obj))
    if schema.name in (logical.DATE_NAME, logical.TIME_NAME, logical.TIMESTAMP_NAME) and isinstance(obj, int):
        if schema.name == logical.DATE_NAME:
            return logical.date_from_days(obj)
        return _date_millis(obj, schema)
    if schema.type in (Type.FLOAT32, Type.FLOAT64) and isinstance(obj, int) and not isinstance(obj, bool):
        return float(obj)
    if schema.type is Type.BYTES and isinstance(obj, str):
        return base64.b64decode(obj)
    return obj


def decode_header(obj: Mapping[str, Any]) -> tuple[str, Any, Schema | None]:
    """(name, value, schema) of a vector header."""
    schema = decode_schema(obj.get("schema"))
    return obj["key"], decode_value(obj.get("value"), schema), schema


def decode_record(obj: Mapping[str, Any]) -> Record:
    """A Record from a vector's `input_record`/`expected_record` (headers as (name, value) pairs)."""
    key_schema = decode_schema(obj.get("key_schema"))
    value_schema = decode_schema(obj.get("value_schema"))
    return Record(
        topic=obj.get("topic"),  # type: ignore[arg-type]
        partition=obj.get("partition"),
        offset=obj.get("offset"),
        key=decode_value(obj.get("key"), key_schema),
        key_schema=key_schema,
        value=decode_value(obj.get("value"), value_schema),
        value_schema=value_schema,
        headers=tuple(decode_header(h)[:2] for h in obj.get("headers", ())),
        timestamp=obj.get("timestamp"),
    )


def expected_error(obj: Mapping[str, Any] | None) -> tuple[type[BaseException], str | None] | None:
    """(exception class, exact message or None) when a vector expects an error, else None."""
    if not obj or "error" not in obj:
        return None
    return ERRORS.get(obj["error"], Exception), obj.get("message")


# strict comparison ---------------------------------------------------------------

def _kind(value: Any) -> str:
    for kind, types in (("null", type(None)), ("bool", bool), ("int", int), ("float", float), ("str", str),
                        ("bytes", (bytes, bytearray, memoryview)), ("decimal", decimal.Decimal),
                        ("timestamp", dt.datetime), ("date", dt.date), ("time", dt.time), ("struct", Struct),
                        ("list", (list, tuple)), ("map", Mapping)):
        if isinstance(value, types):
            return kind
    return type(value).__name__


def assert_same(actual: Any, expected: Any, where: str = "value") -> None:
    """Assert `actual` equals `expected` with Java's strictness about types (see module doc)."""
    ka, ke = _kind(actual), _kind(expected)
    assert ka == ke, f"{where}: {actual!r} ({ka}) != {expected!r} ({ke})"
    if ka == "float":
        assert actual == expected or (math.isnan(actual) and math.isnan(expected)), f"{where}: {actual!r} != {expected!r}"
    elif ka == "decimal":
        assert actual.as_tuple() == expected.as_tuple(), f"{where}: {actual!r} != {expected!r}"
    elif ka == "bytes":
        assert bytes(actual) == bytes(expected), f"{where}: {actual!r} != {expected!r}"
    elif ka == "struct":
        assert actual.schema == expected.schema, f"{where}: schema {actual.schema!r} != {expected.schema!r}"
        for name in expected:
            assert_same(actual.get_without_default(name), expected.get_without_default(name), f"{where}.{name}")
    elif ka == "list":
        assert len(actual) == len(expected), f"{where}: {actual!r} != {expected!r}"
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_same(a, e, f"{where}[{i}]")
    elif ka == "map":
        assert set(actual) == set(expected), f"{where}: keys {sorted(map(repr, actual))} != {sorted(map(repr, expected))}"
        for k in expected:
            assert_same(actual[k], expected[k], f"{where}[{k!r}]")
    else:
        assert actual == expected, f"{where}: {actual!r} != {expected!r}"


def assert_record(actual: Record | None, expected: Record) -> None:
    """Assert every part of two records is the same (values strictly, schemas by equality)."""
    assert actual is not None, "the transform dropped the record"
    for part in ("topic", "partition", "timestamp", "key_schema", "value_schema"):
        assert getattr(actual, part) == getattr(expected, part), (
            f"{part}: {getattr(actual, part)!r} != {getattr(expected, part)!r}")
    assert_same(actual.key, expected.key, "key")
    assert_same(actual.value, expected.value, "value")
    assert len(actual.headers) == len(expected.headers), f"headers: {actual.headers!r} != {expected.headers!r}"
    for i, ((an, av), (en, ev)) in enumerate(zip(actual.headers, expected.headers)):
        assert an == en, f"headers[{i}] name: {an!r} != {en!r}"
        assert_same(av, ev, f"headers[{i}] {an}")
