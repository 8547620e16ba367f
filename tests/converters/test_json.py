"""JsonConverter: Kafka's own test vectors, then every type both ways, nulls, defaults, errors and batches."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import pathlib
from typing import Any

import orjson
import pytest

from pyconnect_flow.config.definition import ConfigException
from pyconnect_flow.converters import JsonConverter
from pyconnect_flow.converters.json import ENVELOPE_ERROR
from pyconnect_flow.data import (
    BOOLEAN_SCHEMA,
    BYTES_SCHEMA,
    FLOAT32_SCHEMA,
    FLOAT64_SCHEMA,
    INT8_SCHEMA,
    INT16_SCHEMA,
    INT32_SCHEMA,
    INT64_SCHEMA,
    OPTIONAL_BOOLEAN_SCHEMA,
    OPTIONAL_INT32_SCHEMA,
    OPTIONAL_STRING_SCHEMA,
    STRING_SCHEMA,
    DataException,
    Schema,
    SchemaBuilder,
    Struct,
    Type,
    logical,
)

VECTORS = json.loads((pathlib.Path(__file__).parent / "data" / "jsonconverter-vectors.json").read_text())
TOPIC = "topic"


def converter(schemas_enable: bool = True, is_key: bool = False, **config: str) -> JsonConverter:
    c = JsonConverter()
    c.configure({"schemas.enable": str(schemas_enable).lower(), **{k.replace("_", "."): v for k, v in config.items()}},
                is_key)
    return c


# ------------------------------------------------------------------------------------------------
# The vector notation (kafka-connect-inventory.md §4), decoded independently of the converter.

_TYPES = {t.value: t for t in Type}


def build_schema(node: dict[str, Any] | None) -> Schema | None:
    """A Schema built with SchemaBuilder from the vectors' schema JSON."""
    if node is None:
        return None
    t = _TYPES[node["type"]]
    if t is Type.ARRAY:
        b = SchemaBuilder.array(build_schema(node["items"]))
    elif t is Type.MAP:
        b = SchemaBuilder.map(build_schema(node["keys"]), build_schema(node["values"]))
    elif t is Type.STRUCT:
        b = SchemaBuilder.struct()
        for f in node["fields"]:
            b.field(f["field"], build_schema(f))
    else:
        b = SchemaBuilder(t)
    b.optional(node.get("optional", False))
    b.name(node.get("name")).version(node.get("version")).doc(node.get("doc")).parameters(node.get("parameters"))
    if "default" in node:
        b.default_value(_default(b.build(), node["default"]))
    return b.build()


def _default(schema: Schema, raw: Any) -> Any:
    if schema.name == logical.DECIMAL_NAME:
        return logical.decimal_from_bytes(schema, base64.b64decode(raw))
    if schema.name == logical.DATE_NAME:
        return logical.date_from_days(raw)
    if schema.name == logical.TIME_NAME:
        return logical.time_from_millis(raw)
    if schema.name == logical.TIMESTAMP_NAME:
        return logical.timestamp_from_millis(raw)
    return raw


def value_of(schema: Schema | None, v: Any) -> Any:
    """The Python value a vector's value notation stands for."""
    if isinstance(v, dict) and len(v) == 1 and next(iter(v)).startswith("$"):
        tag, x = next(iter(v.items()))
        if tag in ("$int8", "$int16", "$int32", "$int64", "$biginteger"):
            return int(x)
        if tag in ("$float32", "$float64"):
            return float(x)
        if tag == "$bytes":
            return base64.b64decode(x)
        if tag == "$decimal":
            return decimal.Decimal(x)
        if tag == "$date_millis":
            assert schema is not None
            if schema.name == logical.DATE_NAME:
                return logical.date_from_days(x // logical.MILLIS_PER_DAY)
            if schema.name == logical.TIME_NAME:
                return logical.time_from_millis(x)
            return logical.timestamp_from_millis(x)
        if tag == "$map":
            ks = schema.key_schema if schema else None
            vs = schema.value_schema if schema else None
            return {value_of(ks, k): value_of(vs, val) for k, val in x}
        raise AssertionError(f"unknown tag {tag}")
    if schema is None:
        if isinstance(v, list):
            return [value_of(None, x) for x in v]
        if isinstance(v, dict):
            return {k: value_of(None, x) for k, x in v.items()}
        return v
    if schema.type is Type.STRUCT and isinstance(v, dict):
        return Struct(schema, {f.name: value_of(f.schema, v.get(f.name)) for f in schema.fields or ()})
    if schema.type is Type.ARRAY and isinstance(v, list):
        return [value_of(schema.value_schema, x) for x in v]
    if schema.type is Type.MAP and isinstance(v, dict):
        return {k: value_of(schema.value_schema, x) for k, x in v.items()}
    return v


def _vector_converter(vec: dict[str, Any]) -> JsonConverter:
    c = JsonConverter()
    c.configure({"schemas.enable": vec["schemas_enable"], **vec.get("converter_config", {})}, vec.get("is_key", False))
    return c


TO_JSON = [v for v in VECTORS if v["direction"] == "toJson"]
TO_CONNECT = [v for v in VECTORS if v["direction"] == "toConnect"]


def test_vectors_are_all_used() -> None:
    assert len(TO_JSON) + len(TO_CONNECT) == len(VECTORS) == 43


@pytest.mark.parametrize("vec", TO_JSON, ids=[v["name"] for v in TO_JSON])
def test_vector_to_json(vec: dict[str, Any]) -> None:
    c = _vector_converter(vec)
    schema = build_schema(vec["input"]["schema"])
    value = value_of(schema, vec["input"]["value"])
    expected = vec["expected"]
    if expected.get("error"):
        with pytest.raises(DataException):
            c.from_connect(TOPIC, schema, value)
        return
    out = c.from_connect(TOPIC, schema, value)
    if expected.get("$bytes_null"):
        assert out is None
        return
    assert orjson.loads(out) == expected
    assert out == vec["expected_bytes"].encode()
    # the batch path gives the same bytes
    assert c.from_connect_batch(TOPIC, [(schema, value)] * 3) == [out] * 3


@pytest.mark.parametrize("vec", TO_CONNECT, ids=[v["name"] for v in TO_CONNECT])
def test_vector_to_connect(vec: dict[str, Any]) -> None:
    c = _vector_converter(vec)
    data = None if vec["input"] is None else vec["input"].encode()
    expected = vec["expected"]
    if expected.get("error"):
        with pytest.raises(DataException):
            c.to_connect(TOPIC, data)
        return
    schema, value = c.to_connect(TOPIC, data)
    expected_schema = build_schema(expected["schema"])
    assert schema == expected_schema
    assert value == value_of(expected_schema, expected["value"])
    assert c.to_connect_batch(TOPIC, [data, data]) == [(schema, value)] * 2


# ------------------------------------------------------------------------------------------------
# Every type, both directions, exact bytes

def env(schema_json: str, payload: str) -> bytes:
    return f'{{"schema":{schema_json},"payload":{payload}}}'.encode()


PRIMITIVES = [
    (INT8_SCHEMA, 12, '{"type":"int8","optional":false}', "12"),
    (INT8_SCHEMA, -128, '{"type":"int8","optional":false}', "-128"),
    (INT16_SCHEMA, 32767, '{"type":"int16","optional":false}', "32767"),
    (INT32_SCHEMA, -2147483648, '{"type":"int32","optional":false}', "-2147483648"),
    (INT64_SCHEMA, 4398046511104, '{"type":"int64","optional":false}', "4398046511104"),
    (INT64_SCHEMA, -(1 << 63), '{"type":"int64","optional":false}', str(-(1 << 63))),
    (FLOAT32_SCHEMA, 12.34, '{"type":"float","optional":false}', "12.34"),
    (FLOAT32_SCHEMA, 1e10, '{"type":"float","optional":false}', "1.0E10"),
    (FLOAT32_SCHEMA, 0.1, '{"type":"float","optional":false}', "0.1"),
    (FLOAT64_SCHEMA, 12.34, '{"type":"double","optional":false}', "12.34"),
    (FLOAT64_SCHEMA, 42.0, '{"type":"double","optional":false}', "42.0"),
    (FLOAT64_SCHEMA, 1e10, '{"type":"double","optional":false}', "1.0E10"),
    (FLOAT64_SCHEMA, 1e-5, '{"type":"double","optional":false}', "1.0E-5"),
    (FLOAT64_SCHEMA, 0.001, '{"type":"double","optional":false}', "0.001"),
    (FLOAT64_SCHEMA, 9999999.0, '{"type":"double","optional":false}', "9999999.0"),
    (FLOAT64_SCHEMA, 1e7, '{"type":"double","optional":false}', "1.0E7"),
    (FLOAT64_SCHEMA, -0.0, '{"type":"double","optional":false}', "-0.0"),
    (FLOAT64_SCHEMA, 0.1 + 0.2, '{"type":"double","optional":false}', "0.30000000000000004"),
    (BOOLEAN_SCHEMA, True, '{"type":"boolean","optional":false}', "true"),
    (BOOLEAN_SCHEMA, False, '{"type":"boolean","optional":false}', "false"),
    (STRING_SCHEMA, "test-string", '{"type":"string","optional":false}', '"test-string"'),
    (STRING_SCHEMA, "", '{"type":"string","optional":false}', '""'),
    (BYTES_SCHEMA, b"test-string", '{"type":"bytes","optional":false}', '"dGVzdC1zdHJpbmc="'),
    (BYTES_SCHEMA, b"", '{"type":"bytes","optional":false}', '""'),
    (BYTES_SCHEMA, bytes(range(256)), '{"type":"bytes","optional":false}',
     '"' + base64.b64encode(bytes(range(256))).decode() + '"'),
]


@pytest.mark.parametrize(("schema", "value", "schema_json", "payload"), PRIMITIVES)
def test_primitive_both_ways(schema: Schema, value: Any, schema_json: str, payload: str) -> None:
    c = converter()
    data = c.from_connect(TOPIC, schema, value)
    assert data == env(schema_json, payload)
    back_schema, back = c.to_connect(TOPIC, data)
    assert back_schema == schema
    assert back == value
    if isinstance(value, float):
        # Kafka reads numbers through BigDecimal, which has no negative zero: -0.0 is written, 0.0 read
        assert str(back) == str(value or 0.0)
    bare = converter(schemas_enable=False)
    assert bare.from_connect(TOPIC, schema, value) == payload.encode()


STRING_ESCAPES = [
    ("a\"b\\c", r'"a\"b\\c"'),
    ("slash/kept", '"slash/kept"'),
    ("\b\t\n\f\r", r'"\b\t\n\f\r"'),
    ("\x00\x01\x0b\x0e\x1f", r'"\u0000\u0001\u000B\u000E\u001F"'),
    # Raw UTF-8 in the BMP (DEL, U+2028, BOM, noncharacters too); beyond it Jackson escapes each UTF-16
    # surrogate of the Java string, and lone surrogates alike (checked in test_json_jackson.py).
    ("\x7f\u2028é漢字\ufeff\uffff", '"\x7f\u2028é漢字\ufeff\uffff"'),
    ("emoji 😀 end", r'"emoji \uD83D\uDE00 end"'),
    ("\U0001D11E\U0010FFFF", r'"\uD834\uDD1E\uDBFF\uDFFF"'),
    ("\ud800 a\udc00", r'"\uD800 a\uDC00"'),
    ("a\\u001f", r'"a\\u001f"'),
]


@pytest.mark.parametrize(("text", "json_text"), STRING_ESCAPES)
def test_string_escaping_like_jackson(text: str, json_text: str) -> None:
    c = converter()
    expected = env('{"type":"string","optional":false}', json_text)
    assert c.from_connect(TOPIC, STRING_SCHEMA, text) == expected
    assert c.from_connect_batch(TOPIC, [(STRING_SCHEMA, text), (STRING_SCHEMA, "x")])[0] == expected
    assert c.to_connect(TOPIC, expected) == (STRING_SCHEMA, text)


def test_nested_strings_escaped_like_jackson() -> None:
    c = converter(schemas_enable=False)
    assert c.from_connect(TOPIC, None, {"k\x1f": ["\x1e", "ok"]}) == rb'{"k\u001F":["\u001E","ok"]}'


def test_float32_special_values() -> None:
    c = converter(schemas_enable=False)
    assert c.from_connect(TOPIC, FLOAT32_SCHEMA, float("nan")) == b'"NaN"'
    assert c.from_connect(TOPIC, FLOAT32_SCHEMA, float("inf")) == b'"Infinity"'
    assert c.from_connect(TOPIC, FLOAT32_SCHEMA, 1e39) == b'"Infinity"'  # overflows a Java float
    assert c.from_connect(TOPIC, FLOAT64_SCHEMA, float("-inf")) == b'"-Infinity"'
    assert c.from_connect(TOPIC, FLOAT32_SCHEMA, 3.4028234663852886e38) == b"3.4028235E38"
    assert c.from_connect(TOPIC, FLOAT32_SCHEMA, 7) == b"7.0"
    assert c.from_connect(TOPIC, FLOAT64_SCHEMA, 7) == b"7.0"


def test_array_both_ways() -> None:
    c = converter()
    schema = SchemaBuilder.array(INT32_SCHEMA).build()
    data = c.from_connect(TOPIC, schema, [1, 2, 3])
    assert data == env('{"type":"array","items":{"type":"int32","optional":false},"optional":false}', "[1,2,3]")
    assert c.to_connect(TOPIC, data) == (schema, [1, 2, 3])
    assert c.from_connect(TOPIC, schema, (1, 2)).endswith(b'"payload":[1,2]}')


def test_map_string_keys_both_ways() -> None:
    c = converter()
    schema = SchemaBuilder.map(STRING_SCHEMA, INT32_SCHEMA).build()
    data = c.from_connect(TOPIC, schema, {"key1": 12, "key2": 15})
    assert data == env('{"type":"map","keys":{"type":"string","optional":false},'
                       '"values":{"type":"int32","optional":false},"optional":false}', '{"key1":12,"key2":15}')
    assert c.to_connect(TOPIC, data) == (schema, {"key1": 12, "key2": 15})


def test_map_non_string_keys_both_ways() -> None:
    c = converter()
    schema = SchemaBuilder.map(INT32_SCHEMA, INT32_SCHEMA).build()
    data = c.from_connect(TOPIC, schema, {1: 12, 2: 15})
    assert data == env('{"type":"map","keys":{"type":"int32","optional":false},'
                       '"values":{"type":"int32","optional":false},"optional":false}', "[[1,12],[2,15]]")
    assert c.to_connect(TOPIC, data) == (schema, {1: 12, 2: 15})


def nested_schema() -> Schema:
    address = (SchemaBuilder.struct().name("com.example.Address").version(2).doc("where")
               .field("street", STRING_SCHEMA).field("zip", OPTIONAL_INT32_SCHEMA).build())
    return (SchemaBuilder.struct().name("com.example.User")
            .field("id", INT64_SCHEMA)
            .field("score", FLOAT64_SCHEMA)
            .field("ratio", SchemaBuilder.float32().optional().build())
            .field("active", BOOLEAN_SCHEMA)
            .field("avatar", SchemaBuilder.bytes().optional().build())
            .field("tags", SchemaBuilder.array(STRING_SCHEMA).optional().build())
            .field("attrs", SchemaBuilder.map(STRING_SCHEMA, OPTIONAL_STRING_SCHEMA).build())
            .field("counts", SchemaBuilder.map(INT16_SCHEMA, INT8_SCHEMA).optional().build())
            .field("address", address)
            .field("balance", logical.decimal_schema(2))
            .field("born", logical.DATE_SCHEMA)
            .field("wakes", logical.TIME_SCHEMA)
            .field("seen", logical.OPTIONAL_TIMESTAMP_SCHEMA)
            .field("note", SchemaBuilder.string().optional().default_value("none").build())
            .build())


def nested_value(schema: Schema) -> Struct:
    address_schema = schema.field("address").schema  # type: ignore[union-attr]
    return (Struct(schema)
            .put("id", 7).put("score", 1.5).put("ratio", 0.25).put("active", True).put("avatar", b"\x00\xff")
            .put("tags", ["a", "b"]).put("attrs", {"x": "1", "y": None}).put("counts", {3: -1})
            .put("address", Struct(address_schema).put("street", "Main St").put("zip", None))
            .put("balance", decimal.Decimal("-1.28"))
            .put("born", dt.date(2000, 2, 29)).put("wakes", dt.time(7, 30, 0, 250_000))
            .put("seen", dt.datetime(2024, 1, 2, 3, 4, 5, 678_000, tzinfo=dt.timezone.utc)))


NESTED_SCHEMA_JSON = (
    '{"type":"struct","fields":['
    '{"type":"int64","optional":false,"field":"id"},'
    '{"type":"double","optional":false,"field":"score"},'
    '{"type":"float","optional":true,"field":"ratio"},'
    '{"type":"boolean","optional":false,"field":"active"},'
    '{"type":"bytes","optional":true,"field":"avatar"},'
    '{"type":"array","items":{"type":"string","optional":false},"optional":true,"field":"tags"},'
    '{"type":"map","keys":{"type":"string","optional":false},"values":{"type":"string","optional":true},'
    '"optional":false,"field":"attrs"},'
    '{"type":"map","keys":{"type":"int16","optional":false},"values":{"type":"int8","optional":false},'
    '"optional":true,"field":"counts"},'
    '{"type":"struct","fields":[{"type":"string","optional":false,"field":"street"},'
    '{"type":"int32","optional":true,"field":"zip"}],"optional":false,"name":"com.example.Address",'
    '"version":2,"doc":"where","field":"address"},'
    '{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,'
    '"parameters":{"scale":"2"},"field":"balance"},'
    '{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Date","version":1,"field":"born"},'
    '{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Time","version":1,"field":"wakes"},'
    '{"type":"int64","optional":true,"name":"org.apache.kafka.connect.data.Timestamp","version":1,"field":"seen"},'
    '{"type":"string","optional":true,"default":"none","field":"note"}'
    '],"optional":false,"name":"com.example.User"}'
)
NESTED_PAYLOAD = (
    '{"id":7,"score":1.5,"ratio":0.25,"active":true,"avatar":"AP8=","tags":["a","b"],"attrs":{"x":"1","y":null},'
    '"counts":[[3,-1]],"address":{"street":"Main St","zip":null},"balance":"gA==","born":11016,'
    '"wakes":27000250,"seen":1704164645678,"note":"none"}'
)


def test_nested_struct_exact_bytes_and_round_trip() -> None:
    c = converter()
    schema = nested_schema()
    value = nested_value(schema)
    data = c.from_connect(TOPIC, schema, value)
    assert data == env(NESTED_SCHEMA_JSON, NESTED_PAYLOAD)
    back_schema, back = c.to_connect(TOPIC, data)
    assert back_schema == schema
    # the null "note" is read back as the default, as Kafka does with replace.null.with.default
    assert back == value.put("note", "none")
    # a second converter writes the same bytes again from what was read
    assert converter().from_connect(TOPIC, back_schema, back) == data


def test_decimal_numeric_format() -> None:
    c = converter(decimal_format="numeric")  # case-insensitive
    cases = [("1.56", 2, "1.56"), ("1.5600", 4, "1.5600"), ("-0.00", 2, "0.00"), ("1E+3", -3, "1E+3"),
             ("0.0000001", 7, "1E-7"), ("123456789012345678901234567890.12", 2, "123456789012345678901234567890.12")]
    for text, scale, expected in cases:
        schema = logical.decimal_schema(scale)
        data = c.from_connect(TOPIC, schema, decimal.Decimal(text))
        assert data == env('{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal",'
                           f'"version":1,"parameters":{{"scale":"{scale}"}}}}', expected)
        back = c.to_connect(TOPIC, data)[1]
        assert back == decimal.Decimal(text) and str(back) == str(decimal.Decimal(expected))


@pytest.mark.parametrize(("text", "b64"), [("1.56", "AJw="), ("-1.28", "gA=="), ("-1.29", "/38="), ("1.27", "fw=="), ("1.28", "AIA="),
                                           ("0.00", "AA=="), ("-0.01", "/w==")])
def test_decimal_base64_format(text: str, b64: str) -> None:
    c = converter()
    schema = logical.decimal_schema(2)
    data = c.from_connect(TOPIC, schema, decimal.Decimal(text))
    assert data.endswith(f'"payload":"{b64}"}}'.encode())
    assert c.to_connect(TOPIC, data) == (schema, decimal.Decimal(text))


def test_decimal_reads_numbers_exactly() -> None:
    c = converter()
    schema_json = ('{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","version":1,'
                   '"parameters":{"scale":"17"}}')
    _, value = c.to_connect(TOPIC, env(schema_json, "1.23456789123456789"))
    assert value == decimal.Decimal("1.23456789123456789")
    _, value = c.to_connect(TOPIC, env(schema_json, "12"))
    assert value == decimal.Decimal(12)
    big = "9" * 40
    _, value = c.to_connect(TOPIC, env(schema_json.replace('"17"', '"0"'),
                                       '"' + base64.b64encode(int(big).to_bytes(17, "big", signed=True)).decode() + '"'))
    assert value == decimal.Decimal(big)


def test_decimal_errors() -> None:
    c = converter()
    with pytest.raises(DataException, match="mismatching scale"):
        c.from_connect(TOPIC, logical.decimal_schema(2), decimal.Decimal("1.5"))
    with pytest.raises(DataException, match="expected BigDecimal"):
        c.from_connect(TOPIC, logical.decimal_schema(2), 1.5)
    with pytest.raises(DataException, match="does not have corresponding schema type"):
        c.from_connect(TOPIC, None, decimal.Decimal("1.56"))
    schema_json = '{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"2"}}'
    with pytest.raises(DataException, match="should be numeric or bytes but was BOOLEAN"):
        c.to_connect(TOPIC, env(schema_json, "true"))
    with pytest.raises(DataException, match="Invalid bytes for Decimal field"):
        c.to_connect(TOPIC, env(schema_json, '"!!"'))


def test_logical_dates_both_ways() -> None:
    c = converter()
    cases = [
        (logical.DATE_SCHEMA, dt.date(1997, 5, 19), "10000", "int32", "Date"),
        (logical.DATE_SCHEMA, dt.date(1969, 12, 31), "-1", "int32", "Date"),
        (logical.TIME_SCHEMA, dt.time(4, 0), "14400000", "int32", "Time"),
        (logical.TIMESTAMP_SCHEMA, dt.datetime(1970, 2, 16, 7, 6, 40, tzinfo=dt.timezone.utc), "4000000000",
         "int64", "Timestamp"),
        (logical.TIMESTAMP_SCHEMA, dt.datetime(1969, 12, 31, 23, 59, 59, 999000, tzinfo=dt.timezone.utc), "-1",
         "int64", "Timestamp"),
    ]
    for schema, value, payload, base, name in cases:
        data = c.from_connect(TOPIC, schema, value)
        assert data == env(f'{{"type":"{base}","optional":false,"name":"org.apache.kafka.connect.data.{name}",'
                           '"version":1}', payload)
        assert c.to_connect(TOPIC, data) == (schema, value)
    # a naive datetime counts as UTC; a datetime at midnight is a valid Date
    assert c.from_connect(TOPIC, logical.TIMESTAMP_SCHEMA, dt.datetime(1970, 1, 1, 0, 0, 1)).endswith(b":1000}")
    assert c.from_connect(TOPIC, logical.DATE_SCHEMA, dt.datetime(1970, 1, 2)).endswith(b":1}")


def test_logical_type_errors() -> None:
    c = converter()
    with pytest.raises(DataException, match="Invalid type for Date, expected Date but was class int"):
        c.from_connect(TOPIC, logical.DATE_SCHEMA, 5)
    with pytest.raises(DataException, match="Invalid type for Timestamp"):
        c.from_connect(TOPIC, logical.TIMESTAMP_SCHEMA, dt.date(2020, 1, 1))
    date_json = '{"type":"int32","name":"org.apache.kafka.connect.data.Date"}'
    with pytest.raises(DataException, match="should be integer but was STRING"):
        c.to_connect(TOPIC, env(date_json, '"2020-01-01"'))
    with pytest.raises(DataException, match="should be integer but was NUMBER"):
        c.to_connect(TOPIC, env(date_json, "3000000000"))
    time_json = '{"type":"int32","name":"org.apache.kafka.connect.data.Time"}'
    with pytest.raises(DataException, match="Time values must use number of milliseconds"):
        c.to_connect(TOPIC, env(time_json, "-5"))
    ts_json = '{"type":"int64","name":"org.apache.kafka.connect.data.Timestamp"}'
    with pytest.raises(DataException, match="should be integral but was NUMBER"):
        c.to_connect(TOPIC, env(ts_json, "1.5"))


def test_logical_defaults_in_schema_json() -> None:
    c = converter()
    schema = logical.date_builder().default_value(dt.date(1970, 1, 11)).build()
    data = c.from_connect(TOPIC, schema, None)
    assert data == env('{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Date","version":1,'
                       '"default":10}', "10")
    assert c.to_connect(TOPIC, data) == (schema, dt.date(1970, 1, 11))
    numeric = converter(decimal_format="NUMERIC")
    dec = logical.decimal_builder(2).default_value(decimal.Decimal("1.50")).build()
    data = numeric.from_connect(TOPIC, dec, decimal.Decimal("2.00"))
    assert data == env('{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal",'
                       '"version":1,"parameters":{"scale":"2"},"default":1.50}', "2.00")
    assert numeric.to_connect(TOPIC, data) == (dec, decimal.Decimal("2.00"))


def test_schema_metadata_order_and_read() -> None:
    c = converter()
    schema = (SchemaBuilder.int32().optional().name("n").version(3).doc("d").parameter("b", "2").parameter("a", "1")
              .default_value(5).build())
    data = c.from_connect(TOPIC, schema, 1)
    assert data == env('{"type":"int32","optional":true,"name":"n","version":3,"doc":"d",'
                       '"parameters":{"b":"2","a":"1"},"default":5}', "1")
    assert c.to_connect(TOPIC, data) == (schema, 1)


# ------------------------------------------------------------------------------------------------
# Nulls, tombstones and defaults

def test_tombstones() -> None:
    for enabled in (True, False):
        c = converter(schemas_enable=enabled)
        assert c.from_connect(TOPIC, None, None) is None
        assert c.to_connect(TOPIC, None) == (None, None)
        assert c.from_connect_batch(TOPIC, [(None, None)]) == [None]
        assert c.to_connect_batch(TOPIC, [None]) == [(None, None)]
    assert converter(schemas_enable=False).to_connect(TOPIC, b"") == (None, None)
    assert converter(schemas_enable=False).to_connect(TOPIC, b"  \n") == (None, None)
    assert converter().to_connect(TOPIC, b'{"schema":null,"payload":null}') == (None, None)


def test_null_with_schema() -> None:
    c = converter()
    assert c.from_connect(TOPIC, OPTIONAL_BOOLEAN_SCHEMA, None) == env('{"type":"boolean","optional":true}', "null")
    assert converter(schemas_enable=False).from_connect(TOPIC, OPTIONAL_BOOLEAN_SCHEMA, None) == b"null"
    with pytest.raises(DataException, match="^Conversion error: null value for field that is required and has no "
                                            "default value$"):
        c.from_connect(TOPIC, BOOLEAN_SCHEMA, None)
    with pytest.raises(DataException, match="^Invalid null value for required INT32 field$"):
        c.to_connect(TOPIC, env('{"type":"int32"}', "null"))


def test_replace_null_with_default() -> None:
    schema = SchemaBuilder.string().optional().default_value("default").build()
    struct_schema = SchemaBuilder.struct().field("field1", schema).build()
    on, off = converter(), converter(replace_null_with_default="false")
    schema_json = '{"type":"string","optional":true,"default":"default"}'
    assert on.from_connect(TOPIC, schema, None) == env(schema_json, '"default"')
    assert off.from_connect(TOPIC, schema, None) == env(schema_json, "null")
    assert on.to_connect(TOPIC, env(schema_json, "null")) == (schema, "default")
    assert off.to_connect(TOPIC, env(schema_json, "null")) == (schema, None)
    assert on.from_connect(TOPIC, struct_schema, Struct(struct_schema)).endswith(b'"payload":{"field1":"default"}}')
    assert off.from_connect(TOPIC, struct_schema, Struct(struct_schema)).endswith(b'"payload":{"field1":null}}')
    # a missing field reads as null, then default
    struct_json = '{"type":"struct","fields":[{"field":"field1","type":"string","optional":true,"default":"default"}]}'
    assert on.to_connect(TOPIC, env(struct_json, "{}"))[1].get_without_default("field1") == "default"
    assert off.to_connect(TOPIC, env(struct_json, "{}"))[1].get_without_default("field1") is None
    # a required field with a default, null, and no replacement: an error both ways
    required = SchemaBuilder.struct().field("f", SchemaBuilder.int32().default_value(3).build()).build()
    with pytest.raises(DataException, match="Conversion error"):
        off.from_connect(TOPIC, required, Struct(required))
    with pytest.raises(DataException, match="Invalid null value for required INT32 field"):
        off.to_connect(TOPIC, env('{"type":"struct","fields":[{"field":"f","type":"int32","default":3}]}', "{}"))


def test_default_is_converted_only_for_a_null_written_without_schema() -> None:
    # Kafka's convertToJson converts the default only when the value is null: a Decimal default of
    # another scale (read from JSON, where Kafka's SchemaBuilder does not check the scale) does not
    # stop non-null values being written without the schema; a null then fails on the default.
    reader = converter(replace_null_with_default="false")
    data = (b'{"schema":{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","version":1,'
            b'"parameters":{"scale":"-2"},"optional":true,"default":-313632179522670135991},'
            b'"payload":"7+pYnRSocqljRA=="}')
    schema, value = reader.to_connect(TOPIC, data)
    writer = converter(schemas_enable=False, decimal_format="BASE64")
    assert writer.from_connect(TOPIC, schema, value) == b'"7+pYnRSocqljRA=="'
    assert writer.from_connect_batch(TOPIC, [(schema, value)]) == [b'"7+pYnRSocqljRA=="']
    with pytest.raises(DataException, match="mismatching scale"):
        writer.from_connect(TOPIC, schema, None)
    assert converter(schemas_enable=False, replace_null_with_default="false").from_connect(TOPIC, schema, None) \
        == b"null"


def test_required_struct_field_missing() -> None:
    c = converter()
    schema = SchemaBuilder.struct().field("a", STRING_SCHEMA).build()
    with pytest.raises(DataException, match="Conversion error: null value"):
        c.from_connect(TOPIC, schema, Struct(schema))
    with pytest.raises(DataException, match="Invalid null value for required STRING field"):
        c.to_connect(TOPIC, env('{"type":"struct","fields":[{"field":"a","type":"string"}]}', "{}"))


# ------------------------------------------------------------------------------------------------
# Schemaless

def test_schemaless_write_inference() -> None:
    c = converter(schemas_enable=False)
    assert c.from_connect(TOPIC, None, True) == b"true"
    assert c.from_connect(TOPIC, None, 12) == b"12"
    assert c.from_connect(TOPIC, None, 12.0) == b"12.0"
    assert c.from_connect(TOPIC, None, 1e-7) == b"1.0E-7"
    assert c.from_connect(TOPIC, None, "s") == b'"s"'
    assert c.from_connect(TOPIC, None, b"ab") == b'"YWI="'
    assert c.from_connect(TOPIC, None, [1, "string", True, None, 2.5]) == b'[1,"string",true,null,2.5]'
    assert c.from_connect(TOPIC, None, {"a": {"b": [1.0]}}) == b'{"a":{"b":[1.0]}}'
    assert c.from_connect(TOPIC, None, {"string": 12, 52: "string", False: True}) == \
        b'[["string",12],[52,"string"],[false,true]]'
    assert c.from_connect(TOPIC, None, (1, 2)) == b"[1,2]"
    with_envelope = converter()
    assert with_envelope.from_connect(TOPIC, None, {"key1": 12}) == b'{"schema":null,"payload":{"key1":12}}'


def test_schemaless_write_errors() -> None:
    c = converter(schemas_enable=False)
    schema = SchemaBuilder.struct().field("a", INT32_SCHEMA).build()
    with pytest.raises(DataException, match="Mismatching schema."):
        c.from_connect(TOPIC, None, Struct(schema).put("a", 1))
    with pytest.raises(DataException, match="does not have corresponding schema type"):
        c.from_connect(TOPIC, None, dt.date(2020, 1, 1))
    with pytest.raises(DataException, match="does not have corresponding schema type"):
        c.from_connect(TOPIC, None, {"x": object()})
    with pytest.raises(DataException, match="BigInteger"):
        c.from_connect(TOPIC, None, 1 << 64)


def test_schemaless_read_inference() -> None:
    c = converter(schemas_enable=False)
    assert c.to_connect(TOPIC, b"true") == (None, True)
    assert c.to_connect(TOPIC, b"12") == (None, 12)
    assert c.to_connect(TOPIC, b"12.24") == (None, 12.24)
    assert c.to_connect(TOPIC, b'"a string"') == (None, "a string")
    assert c.to_connect(TOPIC, b'[1, "2", 3]') == (None, [1, "2", 3])
    assert c.to_connect(TOPIC, b'{ "a": "", "b": null}') == (None, {"a": "", "b": None})
    assert c.to_connect(TOPIC, b'{"x": {"y": [1.5, {"z": false}]}}') == (None, {"x": {"y": [1.5, {"z": False}]}})
    # integers beyond int64 wrap as Jackson's longValue() does
    assert c.to_connect(TOPIC, b"[9223372036854775808]") == (None, [-(1 << 63)])
    assert c.to_connect(TOPIC, b'{"big": 18446744073709551615}') == (None, {"big": -1})
    # schemaless values inside an envelope
    e = converter()
    assert e.to_connect(TOPIC, b'{ "schema": null, "payload": { "field1": 1, "field2": 2} }') == \
        (None, {"field1": 1, "field2": 2})
    # a decimal-looking schemaless number is still a double
    assert e.to_connect(TOPIC, b'{"schema":null,"payload":{"org.apache.kafka.connect.data.Decimal":1.50}}') == \
        (None, {"org.apache.kafka.connect.data.Decimal": 1.5})


def test_jackson_lenient_parsing() -> None:
    c = converter()
    for type_name, raw, value in [("int8", "0012", 12), ("int16", "000123", 123), ("int32", "000012345", 12345),
                                  ("int64", "00000123456789", 123456789)]:
        assert c.to_connect(TOPIC, env(f'{{ "type": "{type_name}" }}', raw))[1] == value
    bare = converter(schemas_enable=False)
    assert bare.to_connect(TOPIC, b'[-007, 0.5, 1e-05, "0012"]') == (None, [-7, 0.5, 1e-05, "0012"])
    assert bare.to_connect(TOPIC, b'{"a":1} trailing') == (None, {"a": 1})
    assert bare.to_connect(TOPIC, b"\xef\xbb\xbf[1]") == (None, [1])


def test_jackson_rejects_any_non_ascii_byte_right_after_a_literal() -> None:
    # Kafka 4.3's Jackson (2.21) fails `true😀`, `nullé`, ... with "Invalid UTF-8 middle byte", as a letter
    bare = converter(schemas_enable=False)
    for raw in [b"true\xf0\x9f\x98\x80", b"null\xc3\xa9", b"false\xe2\x82\xac", b"true\x80", b"truex"]:
        with pytest.raises(DataException):
            bare.to_connect(TOPIC, raw)
    assert bare.to_connect(TOPIC, b"true ,\xc3\xa9") == (None, True)
    assert bare.to_connect(TOPIC, b"[true]\xc3\xa9") == (None, [True])
    assert bare.to_connect(TOPIC, b"true}x") == (None, True)


def test_lenient_conversions_like_jackson_accessors() -> None:
    c = converter()
    assert c.to_connect(TOPIC, env('{"type":"string"}', "12"))[1] is None  # textValue() of a number
    assert c.to_connect(TOPIC, env('{"type":"int32"}', "3000000000"))[1] == 3000000000 - (1 << 32)
    assert c.to_connect(TOPIC, env('{"type":"int8"}', "300"))[1] == 44
    assert c.to_connect(TOPIC, env('{"type":"int32"}', "12.9"))[1] == 12
    assert c.to_connect(TOPIC, env('{"type":"int32"}', '"12"'))[1] == 0
    assert c.to_connect(TOPIC, env('{"type":"double"}', "12"))[1] == 12.0
    assert c.to_connect(TOPIC, env('{"type":"boolean"}', "1"))[1] is False
    assert c.to_connect(TOPIC, env('{"type":"bytes"}', "1"))[1] is None
    assert c.to_connect(TOPIC, env('{"type":"array","items":{"type":"int32"}}', '{"a":1,"b":2}'))[1] == [1, 2]
    assert c.to_connect(TOPIC, env('{"type":"array","items":{"type":"int32"}}', "5"))[1] == []
    with pytest.raises(DataException, match='null used for required field: "s", schema type: STRING'):
        c.to_connect(TOPIC, env('{"type":"struct","fields":[{"field":"s","type":"string"}]}', '{"s":1}'))


# ------------------------------------------------------------------------------------------------
# Errors

@pytest.mark.parametrize("data", [
    b'{"schema":{"type":"string"}}',
    b'{"payload":1}',
    b'{"schema":{"type":"string"},"payload":"x","extra":1}',
    b"[1,2]",
    b'"plain"',
    b"",
])
def test_envelope_required(data: bytes) -> None:
    with pytest.raises(DataException) as info:
        converter().to_connect(TOPIC, data)
    assert str(info.value) == ENVELOPE_ERROR
    assert str(info.value).startswith('JsonConverter with schemas.enable requires "schema" and "payload" fields and '
                                      "may not contain additional fields.")


@pytest.mark.parametrize(("schema_json", "message"), [
    ('{"type":"decimal"}', "^Unknown schema type: decimal$"),
    ('{"optional":true}', "^Schema must contain 'type' field$"),
    ('{"type":5}', "^Schema must contain 'type' field$"),
    ('"string"', "^Schema must contain 'type' field$"),
    ('{"type":"array"}', "^Array schema did not specify the element type$"),
    ('{"type":"map","values":{"type":"string"}}', "^Map schema did not specify the key type$"),
    ('{"type":"map","keys":{"type":"string"}}', "^Map schema did not specify the value type$"),
    ('{"type":"struct"}', 'fields" argument is not an array'),
    ('{"type":"struct","fields":[{"type":"string"}]}', "field name not specified properly"),
    ('{"type":"string","parameters":{"a":1}}', "^Schema parameters must have string values.$"),
    ('{"type":"boolean","default":null}', "^Invalid null value for required BOOLEAN field$"),
])
def test_bad_schema_json(schema_json: str, message: str) -> None:
    with pytest.raises(DataException, match=message):
        converter().to_connect(TOPIC, env(schema_json, "null"))


def test_invalid_json() -> None:
    for data in (b"{not json", b'{"schema":', b"[1,]", b"NaN", b"\xff\xfe"):
        for enabled in (True, False):
            with pytest.raises(DataException, match="^Converting byte\\[\\] to Kafka Connect data failed due to "
                                                    "serialization error: "):
                converter(schemas_enable=enabled).to_connect(TOPIC, data)


def test_map_payload_errors() -> None:
    c = converter()
    with pytest.raises(DataException, match="Maps with string fields should be encoded as JSON objects, but found "
                                            "ARRAY"):
        c.to_connect(TOPIC, env('{"type":"map","keys":{"type":"string"},"values":{"type":"int32"}}', "[]"))
    int_map = '{"type":"map","keys":{"type":"int32"},"values":{"type":"int32"}}'
    with pytest.raises(DataException, match="should be encoded as JSON array of tuples, but found OBJECT"):
        c.to_connect(TOPIC, env(int_map, "{}"))
    with pytest.raises(DataException, match="Found invalid map entry instead of array tuple: NUMBER"):
        c.to_connect(TOPIC, env(int_map, "[1]"))
    with pytest.raises(DataException, match="expected length 2 but found :3"):
        c.to_connect(TOPIC, env(int_map, "[[1,2,3]]"))
    with pytest.raises(DataException, match="Structs should be encoded as JSON objects, but found STRING"):
        c.to_connect(TOPIC, env('{"type":"struct","fields":[]}', '"x"'))


@pytest.mark.parametrize(("schema", "value", "message"), [
    (FLOAT64_SCHEMA, True, "Invalid type for FLOAT64: class bool"),
    (INT32_SCHEMA, "1", "Invalid type for INT32: class str"),
    (INT8_SCHEMA, 128, "out of range"),
    (INT64_SCHEMA, 1 << 63, "out of range"),
    (BOOLEAN_SCHEMA, 1, "Invalid type for BOOLEAN: class int"),
    (STRING_SCHEMA, 5, "Invalid type for STRING: class int"),
    (BYTES_SCHEMA, "x", "Invalid type for bytes type: class str"),
    (SchemaBuilder.array(INT32_SCHEMA).build(), {1}, "Invalid type for ARRAY: class set"),
    (SchemaBuilder.map(STRING_SCHEMA, INT32_SCHEMA).build(), [1], "Invalid type for MAP: class list"),
    (SchemaBuilder.struct().build(), {}, "Invalid type for STRUCT: class dict"),
])
def test_write_type_mismatch(schema: Schema, value: Any, message: str) -> None:
    with pytest.raises(DataException, match=message):
        converter().from_connect(TOPIC, schema, value)


def test_struct_schema_must_match() -> None:
    a = SchemaBuilder.struct().field("x", INT32_SCHEMA).build()
    b = SchemaBuilder.struct().field("x", INT64_SCHEMA).build()
    same = SchemaBuilder.struct().field("x", INT32_SCHEMA).build()
    c = converter()
    with pytest.raises(DataException, match="^Mismatching schema.$"):
        c.from_connect(TOPIC, a, Struct(b).put("x", 1))
    assert c.from_connect(TOPIC, a, Struct(same).put("x", 1)) == c.from_connect(TOPIC, same, Struct(a).put("x", 1))


def test_lone_surrogates_are_written_escaped_everywhere() -> None:
    c = converter()
    assert c.from_connect_batch(TOPIC, [(STRING_SCHEMA, "ok"), (STRING_SCHEMA, "\ud800")]) == [
        env('{"type":"string","optional":false}', '"ok"'), env('{"type":"string","optional":false}', r'"\uD800"')]
    schema = SchemaBuilder.struct().name("n\udfff").doc("\ud800").field("f\ud800", STRING_SCHEMA).build()
    assert c.from_connect(TOPIC, schema, Struct(schema).put("f\ud800", "v\udc00😀")) == (
        rb'{"schema":{"type":"struct","fields":[{"type":"string","optional":false,"field":"f\uD800"}],'
        rb'"optional":false,"name":"n\uDFFF","doc":"\uD800"},"payload":{"f\uD800":"v\uDC00\uD83D\uDE00"}}')
    bare = converter(schemas_enable=False)
    assert bare.from_connect(TOPIC, None, {"\ud800": ["😀"], "k": 1.5}) == rb'{"\uD800":["\uD83D\uDE00"],"k":1.5}'


# ------------------------------------------------------------------------------------------------
# Config, caches, batches

def test_config_keys() -> None:
    names = JsonConverter.CONFIG.names()
    assert names == ["converter.type", "schemas.enable", "schemas.cache.size", "decimal.format",
                     "replace.null.with.default"]
    c = JsonConverter()
    assert c.schemas_enabled and c.cache_size == 1000
    assert not c.codec.decimal_numeric and c.codec.replace_null_with_default
    c.configure({"schemas.enable": False, "decimal.format": "Numeric", "schemas.cache.size": "5",
                 "converter.type": "key", "something.else": "ignored"}, True)
    assert not c.schemas_enabled and c.codec.decimal_numeric and c.cache_size == 5 and c.is_key
    for bad in ({"decimal.format": "HEX"}, {"schemas.enable": "yes"}, {"schemas.cache.size": "many"},
                {"converter.type": "body"}):
        with pytest.raises(ConfigException):
            JsonConverter().configure(bad, False)


def test_schema_cache_by_identity_and_equality() -> None:
    c = converter()
    c.from_connect(TOPIC, SchemaBuilder.bool().build(), True)
    c.from_connect(TOPIC, SchemaBuilder.bool().build(), True)
    assert len(c._writers_by_schema) == 1
    c.from_connect(TOPIC, SchemaBuilder.bool().optional().build(), True)
    assert len(c._writers_by_schema) == 2


def test_read_cache_returns_the_same_schema_object() -> None:
    c = converter()
    a = c.to_connect(TOPIC, b'{"schema":{"type":"string","optional":false},"payload":"a"}')[0]
    b = c.to_connect(TOPIC, b'{"schema":{"type":"string","optional":false},"payload":"b"}')[0]
    spaced = c.to_connect(TOPIC, b'{ "schema": { "type": "string", "optional": false }, "payload": "c" }')[0]
    assert a is b and a == spaced == STRING_SCHEMA
    # a schema text that contains ',"payload":' inside a string is still read right
    tricky = b'{"schema":{"type":"string","doc":",\\"payload\\":","optional":false},"payload":"x"}'
    for _ in range(2):
        schema, value = c.to_connect(TOPIC, tricky)
        assert schema.doc == ',"payload":' and value == "x"
    assert c.to_connect_batch(TOPIC, [tricky, tricky]) == [(schema, "x")] * 2


def test_tiny_and_zero_cache_sizes() -> None:
    for size in ("0", "1"):
        c = converter(schemas_cache_size=size)
        items = [(STRING_SCHEMA, "a"), (INT32_SCHEMA, 1), (STRING_SCHEMA, "b"), (BOOLEAN_SCHEMA, True)]
        data = c.from_connect_batch(TOPIC, items)
        assert c.to_connect_batch(TOPIC, data) == items
        assert len(c._writers_by_schema) <= int(size)


def test_batches_match_single_calls() -> None:
    c = converter()
    struct_schema = nested_schema()
    items: list[tuple[Schema | None, Any]] = [
        (STRING_SCHEMA, "a"), (STRING_SCHEMA, 'q"uote'), (STRING_SCHEMA, "\x1f"), (STRING_SCHEMA, ""),
        (None, None), (None, {"k": [1, 2.5]}), (OPTIONAL_STRING_SCHEMA, None), (INT32_SCHEMA, 5),
        (struct_schema, nested_value(struct_schema)), (logical.decimal_schema(2), decimal.Decimal("1.00")),
    ]
    single = [c.from_connect(TOPIC, s, v) for s, v in items]
    assert c.from_connect_batch(TOPIC, items) == single
    assert c.from_connect_batch([TOPIC] * len(items), items) == single
    read_single = [c.to_connect(TOPIC, d) for d in single]
    assert c.to_connect_batch(TOPIC, single) == read_single
    assert c.to_connect_batch(TOPIC, single + single) == read_single + read_single
    same = [(STRING_SCHEMA, f"line {i}") for i in range(100)]
    data = c.from_connect_batch(TOPIC, same)
    assert data == [c.from_connect(TOPIC, s, v) for s, v in same]
    assert c.to_connect_batch(TOPIC, data) == same
    assert c.from_connect_batch(TOPIC, []) == [] and c.to_connect_batch(TOPIC, []) == []


def test_batches_without_envelope() -> None:
    c = converter(schemas_enable=False)
    items = [(STRING_SCHEMA, "a"), (STRING_SCHEMA, "b\\c"), (None, [1]), (INT64_SCHEMA, 9)]
    data = c.from_connect_batch(TOPIC, items)
    assert data == [b'"a"', b'"b\\\\c"', b"[1]", b"9"]
    assert c.from_connect_batch(TOPIC, [(STRING_SCHEMA, "x"), (STRING_SCHEMA, "")]) == [b'"x"', b'""']
    assert c.to_connect_batch(TOPIC, data) == [(None, "a"), (None, "b\\c"), (None, [1]), (None, 9)]


def test_file_source_demo_record() -> None:
    c = converter()
    assert c.from_connect(TOPIC, STRING_SCHEMA, "sai") == b'{"schema":{"type":"string","optional":false},"payload":"sai"}'
    assert converter(is_key=True).from_connect(TOPIC, None, None) is None


def test_pickles_with_its_settings() -> None:
    import pickle

    c = converter(schemas_enable=False, is_key=True, decimal_format="NUMERIC")
    c.from_connect(TOPIC, STRING_SCHEMA, "warm the caches")
    copy = pickle.loads(pickle.dumps(c))
    assert copy.is_key and not copy.schemas_enabled and copy.codec.decimal_numeric
    assert copy.from_connect(TOPIC, logical.decimal_schema(1), decimal.Decimal("1.0")) == b"1.0"


def test_same_schema_batch_falls_back_item_by_item() -> None:
    c = converter()
    int_json = '{"type":"int32","optional":false}'
    datas: list[Any] = [env(int_json, "1"), env(int_json, "0012"), env(int_json, "3") + b" \n",
                        bytearray(env(int_json, "4")), None, env(int_json, "6")]
    assert c.to_connect_batch(TOPIC, datas) == [(INT32_SCHEMA, 1), (INT32_SCHEMA, 12), (INT32_SCHEMA, 3),
                                                (INT32_SCHEMA, 4), (None, None), (INT32_SCHEMA, 6)]
    with pytest.raises(DataException, match="serialization error"):
        c.to_connect_batch(TOPIC, [env(int_json, "1"), env(int_json, "1,")])
    with pytest.raises(DataException, match="Invalid null value for required INT32 field"):
        c.to_connect_batch(TOPIC, [env(int_json, "1"), env(int_json, "null")])
    bare = converter(schemas_enable=False)
    assert bare.to_connect_batch(TOPIC, [b'"a"', b"1", b"", b"007", None, b"[1]"]) == \
        [(None, "a"), (None, 1), (None, None), (None, 7), (None, None), (None, [1])]


def test_from_connect_values_matches_the_pairwise_batch() -> None:
    from pyconnect_flow.converters import JsonConverter
    from pyconnect_flow.data import STRING_SCHEMA as S

    conv = JsonConverter()
    conv.configure({}, is_key=False)
    values = ["a", 'quote " here', "ünï", "back\\slash", "\x01ctl"]
    assert conv.from_connect_values("t", S, values) == conv.from_connect_batch("t", [(S, v) for v in values])
    assert conv.from_connect_values("t", None, [None, {"a": 1}]) == conv.from_connect_batch("t", [(None, None), (None, {"a": 1})])


@pytest.mark.parametrize("schemas_enable", ["true", "false"])
def test_schemaless_map_batches_match_single_calls(schemas_enable: str) -> None:
    """Batches of flat maps are written with one orjson call and cut apart; the bytes must be
    those of writing each map alone, whatever the strings hold (separators, quotes, controls)."""
    import random

    rng = random.Random(7)
    tricky = ['},{"', '},{', '"', "\\", "\x00", "\x1f", "é", "\u2028", "", " ", "{", "}", ",", '":"']
    pools = [lambda: rng.choice(tricky) + rng.choice(tricky), lambda: rng.randint(-2**63, 2**63 - 1),
             lambda: rng.choice([2**63, -2**63 - 1, 0, -1]), lambda: rng.choice([True, False, None]),
             lambda: rng.choice([0.0, -0.0, 1e-4, 12.5, 1e7, 9999999.5, 1.5e300, float("nan"), float("inf")]),
             lambda: rng.uniform(-1e6, 1e6)]
    from pyconnect_flow.converters.json_codec import flat_maps_writable_as_is

    c = JsonConverter()
    c.configure({"schemas.enable": schemas_enable}, is_key=False)
    batched = 0
    for i in range(600):
        plain = i % 2 == 0  # half the batches only of values that take the one-call path
        maps = [{rng.choice(tricky) + str(k): (pools[0] if plain and k % 2 else rng.choice(pools))()
                 for k in range(rng.randint(1 if plain else 0, 4))} for _ in range(rng.randint(1, 6))]
        batched += flat_maps_writable_as_is(maps)
        try:
            expected = [c.from_connect("t", None, m) for m in maps]
        except Exception as exc:  # noqa: BLE001 - the batch must fail the same way
            with pytest.raises(type(exc)):
                c.from_connect_batch("t", [(None, m) for m in maps])
            continue
        assert c.from_connect_batch("t", [(None, m) for m in maps]) == expected, maps
    assert batched > 100


def test_compiled_struct_decoder_matches_the_field_decoders() -> None:
    """The struct decoder inlines the usual nodes of plain fields; every node must decode as the
    field's own decoder decodes it (Jackson's conversions, defaults, nulls and errors)."""
    import random

    from pyconnect_flow.converters.json_codec import CodecConfig, _field_decoder, compile_decoder
    from pyconnect_flow.data import SchemaBuilder, logical

    rng = random.Random(3)
    schema = (SchemaBuilder.struct().name("s")
              .field("i8", SchemaBuilder.int8().build()).field("i16", SchemaBuilder.int16().optional().build())
              .field("i32", SchemaBuilder.int32().default_value(5).build())
              .field("i64", SchemaBuilder.int64().optional().build())
              .field("f32", SchemaBuilder.float32().optional().build()).field("f64", SchemaBuilder.float64().build())
              .field("s", SchemaBuilder.string().build()).field("so", SchemaBuilder.string().optional().build())
              .field("b", SchemaBuilder.bool().optional().build())
              .field("d", logical.decimal_builder(2).optional().build())
              .field("t", logical.timestamp_builder().build()).build())
    cfg = CodecConfig()
    struct_decode = compile_decoder(schema, cfg)
    field_decoders = {f.name: _field_decoder(f.name, f.schema, cfg) for f in schema.fields}
    nodes = [None, True, False, 0, 1, -1, 127, 128, -129, 2**15, 2**31, -2**31 - 1, 2**63, 2**70, 1.5, -0.0,
             float("nan"), "x", "", [1], {"a": 1}]

    def outcome(fn):
        try:
            return ("ok", fn())
        except Exception as exc:  # noqa: BLE001 - compared
            return ("error", type(exc), str(exc))

    for _ in range(2000):
        node = {f.name: rng.choice(nodes) for f in schema.fields if rng.random() < 0.9}

        def by_fields(node=node):
            return {name: dec(node.get(name)) for name, dec in field_decoders.items()}

        def compiled(node=node):
            return dict(struct_decode(node)._values)

        assert repr(outcome(compiled)) == repr(outcome(by_fields)), node  # repr: NaN equals itself


def test_schemaless_maps_come_back_in_kafkas_hashmap_order() -> None:
    """Kafka decodes JSON objects into `new HashMap<>()` and writes them in its iteration order (recorded
    from OpenJDK 17 and 25): a record read and written again has its keys reordered, at every depth."""
    c = JsonConverter()
    c.configure({"schemas.enable": "false"}, is_key=False)
    raw = b'{"id":1,"amount":"12.50","qty":3,"email":"e","secret":"pw","note":{"id":1,"note":[{"id":2,"note":3}]}}'
    kafka = b'{"note":{"note":[{"note":3,"id":2}],"id":1},"amount":"12.50","qty":3,"id":1,"secret":"pw","email":"e"}'
    for decoded in (c.to_connect("t", raw)[1], c.to_connect_batch("t", [raw, raw])[1][1]):
        assert c.from_connect("t", None, decoded) == kafka
    flat = [b'{"id":%d,"amount":"1","qty":3,"email":"e","secret":"pw","note":"n"}' % i for i in range(3)]
    assert [c.from_connect("t", None, v) for _, v in c.to_connect_batch("t", flat)] == [
        b'{"note":"n","amount":"1","qty":3,"id":%d,"secret":"pw","email":"e"}' % i for i in range(3)]
    enveloped = JsonConverter()
    enveloped.configure({}, is_key=False)
    schema = b'{"type":"map","keys":{"type":"string","optional":false},"values":{"type":"int32","optional":false}}'
    _, value = enveloped.to_connect("t", b'{"schema":' + schema + b',"payload":{"id":1,"qty":2,"note":3}}')
    assert list(value) == ["note", "qty", "id"]
