"""Cast, after Kafka's CastTest, plus narrowing/parsing/formatting cases checked against Kafka's classes."""

from __future__ import annotations

import datetime as dt
import math
import pickle
import re
from decimal import Decimal
from typing import Any

import pytest
from vectors import assert_same

from pyconnect_flow.config.definition import ConfigException
from pyconnect_flow.data import (
    BOOLEAN_SCHEMA,
    BYTES_SCHEMA,
    FLOAT32_SCHEMA,
    FLOAT64_SCHEMA,
    INT8_SCHEMA,
    INT32_SCHEMA,
    INT64_SCHEMA,
    OPTIONAL_FLOAT32_SCHEMA,
    OPTIONAL_INT16_SCHEMA,
    STRING_SCHEMA,
    DataException,
    Schema,
    SchemaBuilder,
    Struct,
    Type,
    logical,
)
from pyconnect_flow.record import Record
from pyconnect_flow.transforms.cast import (
    TRANSFORMS,
    Cast,
    CastKey,
    CastValue,
    parse_cast_spec,
)

MILLIS_PER_DAY = 86_400_000


def value_cast(spec: str, **props: Any) -> CastValue:
    return CastValue.from_config({"spec": spec, **props})


def key_cast(spec: str) -> CastKey:
    return CastKey.from_config({"spec": spec})


# configuration -----------------------------------------------------------------

@pytest.mark.parametrize(("spec", "message"), [
    ("", "Must specify at least one field to cast."),
    ("foo:faketype", "Invalid type found in casting spec: faketype"),
    ("foo:array", "Cast transformation does not support casting to ARRAY; supported types are "
                  "[INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING]"),
    ("array", "does not support casting to ARRAY"),
    ("foo:bytes", "does not support casting to BYTES"),
    ("foo:int8:extra", "Invalid rename mapping: foo:int8:extra"),
    ("foo:int8,int32", "Cast transformations that specify a type to cast the entire value to may only specify "
                       "a single cast in their spec"),
])
def test_invalid_specs(spec: str, message: str) -> None:
    with pytest.raises(ConfigException, match=re.escape(message)):
        key_cast(spec)


def test_missing_spec() -> None:
    with pytest.raises(ConfigException, match="spec: missing required key"):
        CastKey.from_config({})


def test_spec_parsing_is_case_insensitive_and_trims() -> None:
    assert parse_cast_spec([" a : INT8", "b:Float64"]) == {"a": Type.INT8, "b": Type.FLOAT64}
    assert parse_cast_spec(["string"]) == {None: Type.STRING}


def test_pythonic_spec_forms() -> None:
    assert Cast.value(spec={"age": "int32"}).casts == {"age": Type.INT32}
    assert Cast.value(spec={"age": Type.INT32}).casts == {"age": Type.INT32}
    assert Cast.value(spec="age:int32,name:string").casts == {"age": Type.INT32, "name": Type.STRING}
    assert Cast.key(spec="int64").whole_value_type is Type.INT64
    assert Cast.key(spec=Type.INT64).whole_value_type is Type.INT64


# records that pass through ------------------------------------------------------

@pytest.mark.parametrize("value_schema", [STRING_SCHEMA, None])
def test_cast_null_value_record(value_schema: Schema | None) -> None:
    original = Record("topic", partition=0, key_schema=STRING_SCHEMA, key="key", value_schema=value_schema)
    assert value_cast("foo:int64")(original) is original


@pytest.mark.parametrize("key_schema", [STRING_SCHEMA, None])
def test_cast_null_key_record(key_schema: Schema | None) -> None:
    original = Record("topic", partition=0, key_schema=key_schema, value_schema=STRING_SCHEMA, value="value")
    assert key_cast("foo:int64")(original) is original


# whole values ----------------------------------------------------------------------

def test_cast_whole_record_key_with_schema() -> None:
    out = key_cast("int8")(Record("topic", partition=0, key_schema=INT32_SCHEMA, key=42,
                                  value_schema=STRING_SCHEMA, value="bogus"))
    assert out.key_schema.type is Type.INT8
    assert out.key == 42
    assert out.value == "bogus"


@pytest.mark.parametrize(("spec", "value", "expected", "type_"), [
    ("int8", 42, 42, Type.INT8), ("int16", 42, 42, Type.INT16), ("int32", 42, 42, Type.INT32),
    ("int64", 42, 42, Type.INT64), ("float32", 42, 42.0, Type.FLOAT32), ("float64", 42, 42.0, Type.FLOAT64),
    ("boolean", 42, True, Type.BOOLEAN), ("boolean", 0, False, Type.BOOLEAN), ("string", 42, "42", Type.STRING),
])
def test_cast_whole_record_value_with_schema(spec: str, value: int, expected: Any, type_: Type) -> None:
    out = value_cast(spec)(Record("topic", partition=0, value_schema=INT32_SCHEMA, value=value))
    assert out.value_schema.type is type_
    assert_same(out.value, expected)


@pytest.mark.parametrize(("spec", "value", "expected"), [
    ("int8", 42, 42), ("int16", 42, 42), ("int32", 42, 42), ("int64", 42, 42), ("float32", 42, 42.0),
    ("float64", 42, 42.0), ("boolean", 42, True), ("boolean", 0, False), ("string", 42, "42"),
])
def test_cast_whole_record_value_schemaless(spec: str, value: int, expected: Any) -> None:
    out = value_cast(spec)(Record("topic", partition=0, value=value))
    assert out.value_schema is None
    assert_same(out.value, expected)


def test_cast_whole_record_key_schemaless() -> None:
    out = key_cast("int8")(Record("topic", partition=0, key=42, value_schema=STRING_SCHEMA, value="bogus"))
    assert out.key_schema is None
    assert out.key == 42


def test_cast_whole_big_decimal_record_value_with_schema_string() -> None:
    out = value_cast("string")(Record("topic", value_schema=logical.decimal_schema(0), value=Decimal(42)))
    assert out.value_schema.type is Type.STRING
    assert out.value == "42"


def test_cast_whole_date_record_value_with_schema_string() -> None:
    timestamp = logical.timestamp_from_millis(MILLIS_PER_DAY + 1)
    out = value_cast("string")(Record("topic", value_schema=logical.TIMESTAMP_SCHEMA, value=timestamp))
    assert out.value_schema.type is Type.STRING
    assert out.value == "1970-01-02T00:00:00.001Z"
    # as in Kafka, the whole-value schema keeps the input schema's name and version (copySchemaBasics)
    assert (out.value_schema.name, out.value_schema.version) == (logical.TIMESTAMP_NAME, 1)


def test_cast_whole_record_default_value() -> None:
    schema = SchemaBuilder.float32().default_value(-42.125).build()
    out = value_cast("int32")(Record("topic", value_schema=schema, value=42.125))
    assert out.value_schema.type is Type.INT32
    assert out.value == 42
    assert out.value_schema.default == -42


def test_whole_value_schema_keeps_basics_and_optionality() -> None:
    schema = SchemaBuilder.int32().optional().default_value(300).name("nm").doc("dd").build()
    out = value_cast("int8")(Record("t", value_schema=schema, value=5))
    assert (out.value_schema.type, out.value_schema.optional, out.value_schema.default) == (Type.INT8, True, 44)
    assert (out.value_schema.name, out.value_schema.doc) == ("nm", "dd")


@pytest.mark.parametrize("value", [["foo"], {"a": 1}])
def test_cast_whole_record_value_schemaless_unsupported_type(value: Any) -> None:
    with pytest.raises(DataException, match="Cast transformation does not support casting from (ARRAY|MAP); "
                                            r"supported types are \[INT8, .*, BYTES\]"):
        value_cast("int8")(Record("topic", value=value))


def test_cast_schemaless_value_of_no_connect_type() -> None:
    with pytest.raises(DataException, match="which is not supported by Connect's data API"):
        value_cast("string")(Record("topic", value=Decimal(1)))


# fields -----------------------------------------------------------------------------

def test_cast_logical_to_primitive() -> None:
    xform = value_cast(",".join([
        "date_to_int32:int32", "timestamp_to_int64:int64", "time_to_int64:int64", "decimal_to_int32:int32",
        "timestamp_to_float64:float64", "null_timestamp_to_int32:int32",
    ]))
    schema = (SchemaBuilder.struct()
              .field("date_to_int32", logical.DATE_SCHEMA).field("timestamp_to_int64", logical.TIMESTAMP_SCHEMA)
              .field("time_to_int64", logical.TIME_SCHEMA).field("decimal_to_int32", logical.decimal_schema(0))
              .field("timestamp_to_float64", logical.TIMESTAMP_SCHEMA)
              .field("null_timestamp_to_int32", logical.OPTIONAL_TIMESTAMP_SCHEMA)
              .build())
    far = dt.datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=dt.timezone.utc)
    value = Struct(schema, {
        "date_to_int32": dt.date(1970, 1, 2), "timestamp_to_int64": logical.EPOCH,
        "time_to_int64": dt.time(0, 0, 0, 1000), "decimal_to_int32": Decimal(2**31),
        "timestamp_to_float64": far, "null_timestamp_to_int32": None,
    })
    out = xform(Record("topic", value_schema=schema, value=value)).value
    assert_same(out.get("date_to_int32"), 1)
    assert_same(out.get("timestamp_to_int64"), 0)
    assert_same(out.get("time_to_int64"), 1)
    assert_same(out.get("decimal_to_int32"), -(2**31))  # narrowing with data loss, as Java's intValue()
    assert_same(out.get("timestamp_to_float64"), 253402300799999.0)
    assert out.get("null_timestamp_to_int32") is None
    types = {f.name: f.schema.type for f in out.schema.fields}
    assert types == {"date_to_int32": Type.INT32, "timestamp_to_int64": Type.INT64, "time_to_int64": Type.INT64,
                     "decimal_to_int32": Type.INT32, "timestamp_to_float64": Type.FLOAT64,
                     "null_timestamp_to_int32": Type.INT32}


def test_cast_logical_to_string() -> None:
    xform = value_cast("date:string,decimal:string,time:string,timestamp:string")
    schema = (SchemaBuilder.struct().field("date", logical.DATE_SCHEMA).field("decimal", logical.decimal_schema(0))
              .field("time", logical.TIME_SCHEMA).field("timestamp", logical.TIMESTAMP_SCHEMA).build())
    now = dt.datetime(2024, 2, 29, 13, 14, 15, 678000, tzinfo=dt.timezone.utc)
    value = Struct(schema, {"date": dt.date(1970, 1, 2), "decimal": Decimal(1982),
                            "time": dt.time(1, 0), "timestamp": now})
    out = xform(Record("topic", value_schema=schema, value=value)).value
    assert out.get("date") == "1970-01-02"
    assert out.get("decimal") == "1982"
    assert out.get("time") == "01:00:00.000Z"
    assert out.get("timestamp") == "2024-02-29T13:14:15.678Z"
    assert {f.schema.type for f in out.schema.fields} == {Type.STRING}


def test_cast_fields_with_schema() -> None:
    xform = value_cast("int8:int16,int16:int32,int32:int64,int64:boolean,float32:float64,float64:boolean,"
                       "boolean:int8,string:int32,bigdecimal:string,date:string,optional:int32,bytes:string,"
                       "byteArray:string")
    schema = (SchemaBuilder.struct()
              .field("int8", INT8_SCHEMA).field("int16", OPTIONAL_INT16_SCHEMA)
              .field("int32", SchemaBuilder.int32().default_value(2).build()).field("int64", INT64_SCHEMA)
              .field("float32", FLOAT32_SCHEMA).field("float64", SchemaBuilder.float64().default_value(-1.125).build())
              .field("boolean", BOOLEAN_SCHEMA).field("string", STRING_SCHEMA)
              .field("bigdecimal", logical.decimal_schema(0)).field("date", logical.DATE_SCHEMA)
              .field("optional", OPTIONAL_FLOAT32_SCHEMA).field("timestamp", logical.TIMESTAMP_SCHEMA)
              .field("bytes", BYTES_SCHEMA).field("byteArray", BYTES_SCHEMA)
              .build())
    raw = bytes([0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10])
    value = Struct(schema, {
        "int8": 8, "int16": 16, "int32": 32, "int64": 64, "float32": 32.0, "float64": -64.0, "boolean": True,
        "bigdecimal": Decimal(42), "date": dt.date(1970, 1, 2), "string": "42", "timestamp": logical.EPOCH,
        "bytes": bytearray(raw), "byteArray": raw,
    })
    out = xform(Record("topic", value_schema=schema, value=value)).value
    s = out.schema
    assert_same(out.get("int8"), 8)
    assert s.field("int16").schema.optional
    assert_same(out.get("int16"), 16)
    assert_same(out.get("int32"), 32)
    assert_same(s.field("int32").schema.default, 2)
    assert_same(out.get("int64"), True)
    assert_same(out.get("float32"), 32.0)
    assert_same(out.get("float64"), True)
    assert_same(s.field("float64").schema.default, True)
    assert_same(out.get("boolean"), 1)
    assert_same(out.get("string"), 42)
    assert out.get("bigdecimal") == "42"
    assert out.get("date") == "1970-01-02"
    assert out.get("timestamp") == logical.EPOCH
    assert out.get("bytes") == "/ty6mHZUMhA="
    assert out.get("byteArray") == "/ty6mHZUMhA="
    assert out.get("optional") is None
    assert {f.name: f.schema.type for f in s.fields} == {
        "int8": Type.INT16, "int16": Type.INT32, "int32": Type.INT64, "int64": Type.BOOLEAN,
        "float32": Type.FLOAT64, "float64": Type.BOOLEAN, "boolean": Type.INT8, "string": Type.INT32,
        "bigdecimal": Type.STRING, "date": Type.STRING, "optional": Type.INT32, "bytes": Type.STRING,
        "byteArray": Type.STRING, "timestamp": Type.INT64,
    }
    assert s.field("timestamp").schema == logical.TIMESTAMP_SCHEMA


def test_cast_fields_schemaless() -> None:
    xform = value_cast("int8:int16,int16:int32,int32:int64,int64:boolean,float32:float64,float64:boolean,"
                       "boolean:int8,string:int32")
    value = {"int8": 8, "int16": 16, "int32": 32, "int64": 64, "float32": 32.0, "float64": -64.0,
             "boolean": True, "string": "42"}
    out = xform(Record("topic", value=value))
    assert out.value_schema is None
    assert_same(out.value, {"int8": 8, "int16": 16, "int32": 32, "int64": True, "float32": 32.0, "float64": True,
                            "boolean": 1, "string": 42})


def test_schemaless_missing_field_is_added_as_null() -> None:
    assert value_cast("a:int8,b:string")(Record("t", value={"b": 1})).value == {"b": "1", "a": None}


@pytest.mark.parametrize(("replace_null_with_default", "expected"), [(False, None), (True, "10")])
def test_cast_field_with_default_value_record_with_schema(replace_null_with_default: bool,
                                                          expected: str | None) -> None:
    xform = value_cast("magic:string", **{"replace.null.with.default": replace_null_with_default})
    schema = SchemaBuilder.struct().field("magic", SchemaBuilder.int32().optional().default_value(10).build()).build()
    out = xform(Record("topic", key_schema=STRING_SCHEMA, key="key", value_schema=schema,
                       value=Struct(schema).put("magic", None)))
    assert out.value_schema.field("magic").schema.type is Type.STRING
    assert out.value.get_without_default("magic") == expected


def test_cast_field_schema_drops_name_keeps_optional_and_casts_default() -> None:
    field_schema = SchemaBuilder.int32().optional().default_value(7).name("x.y").build()
    schema = SchemaBuilder.struct().name("n").version(2).doc("d").optional().field("a", field_schema).build()
    out = value_cast("a:string")(Record("t", value_schema=schema, value=Struct(schema)))
    f = out.value_schema.field("a").schema
    assert (f.type, f.optional, f.default, f.name) == (Type.STRING, True, "7", None)
    v = out.value_schema
    assert (v.name, v.version, v.doc, v.optional) == ("n", 2, "d", True)
    assert out.value.get("a") == "7"


def test_field_casts_need_a_struct_schema() -> None:
    with pytest.raises(DataException, match="^Cannot list fields on non-struct type$"):
        value_cast("a:int8")(Record("t", value_schema=INT32_SCHEMA, value=5))
    schema = SchemaBuilder.struct().field("a", INT32_SCHEMA).build()
    with pytest.raises(DataException, match=r"^Only Struct objects supported for \[cast types\], found: int$"):
        value_cast("a:int8")(Record("t", value_schema=schema, value=5))


def test_casting_an_array_field_fails() -> None:
    schema = SchemaBuilder.struct().field("a", SchemaBuilder.array(INT32_SCHEMA).build()).build()
    with pytest.raises(DataException, match="does not support casting from ARRAY"):
        value_cast("a:string")(Record("t", value_schema=schema, value=Struct(schema).put("a", [1])))


def test_updated_schema_is_cached() -> None:
    schema = SchemaBuilder.struct().field("a", INT32_SCHEMA).build()
    xform = value_cast("a:int64")
    first = xform(Record("t", value_schema=schema, value=Struct(schema).put("a", 1)))
    second = xform(Record("t", value_schema=schema, value=Struct(schema).put("a", 2)))
    assert second.value_schema is first.value_schema
    assert second.value.get("a") == 2


# narrowing, parsing and formatting (each expectation checked against Kafka's Cast) ----------

@pytest.mark.parametrize(("schema", "value", "spec", "expected"), [
    (INT32_SCHEMA, 300, "int8", 44),
    (SchemaBuilder.int16().build(), -300, "int8", -44),
    (INT64_SCHEMA, 4294967297, "int32", 1),
    (INT64_SCHEMA, -(2**63), "float32", -9.223372036854776e18),
    (FLOAT64_SCHEMA, -129.99, "int8", 127),
    (FLOAT64_SCHEMA, 1e300, "int32", 2**31 - 1),
    (FLOAT64_SCHEMA, 1e300, "int16", -1),
    (FLOAT64_SCHEMA, 1e300, "float32", math.inf),
    (FLOAT64_SCHEMA, math.nan, "int64", 0),
    (FLOAT64_SCHEMA, 0.5, "boolean", False),
    (FLOAT64_SCHEMA, -2.5, "boolean", True),
    (FLOAT32_SCHEMA, 0.1, "float64", 0.10000000149011612),
    (STRING_SCHEMA, "+42", "int8", 42),
    (STRING_SCHEMA, "  1.5f ", "float64", 1.5),
    (STRING_SCHEMA, "0x1p3", "float32", 8.0),
    (STRING_SCHEMA, "1e3", "float64", 1000.0),
    (STRING_SCHEMA, "-Infinity", "float64", -math.inf),
    (STRING_SCHEMA, "TRUE", "boolean", True),
    (STRING_SCHEMA, "yes", "boolean", False),
    (STRING_SCHEMA, "9223372036854775807", "int64", 2**63 - 1),
    (logical.decimal_schema(2), Decimal("-1.99"), "int32", -1),
    (logical.decimal_schema(1), Decimal("0.5"), "boolean", False),
    (logical.decimal_schema(2), Decimal("-0.00"), "float64", 0.0),
    (logical.decimal_schema(0), Decimal("123456789012345678901234567890"), "int64", -4362896299872285998),
    (logical.TIME_SCHEMA, dt.time(23, 59, 59, 999000), "int16", 23551),
])
def test_numeric_casts(schema: Schema, value: Any, spec: str, expected: Any) -> None:
    out = value_cast(spec)(Record("t", value_schema=schema, value=value)).value
    assert_same(out, expected)
    if isinstance(out, float) and out == 0:
        assert math.copysign(1, out) == 1


@pytest.mark.parametrize(("schema", "value", "expected"), [
    (FLOAT32_SCHEMA, 0.1, "0.1"),
    (FLOAT32_SCHEMA, 1e10, "1.0E10"),
    (FLOAT32_SCHEMA, 3.4028234663852886e38, "3.4028235E38"),
    (FLOAT32_SCHEMA, -0.0, "-0.0"),
    (FLOAT64_SCHEMA, 0.001, "0.001"),
    (FLOAT64_SCHEMA, 1e-4, "1.0E-4"),
    (FLOAT64_SCHEMA, 123456789.125, "1.23456789125E8"),
    (FLOAT64_SCHEMA, math.nan, "NaN"),
    (FLOAT64_SCHEMA, 5e-324, "4.9E-324"),
    (BOOLEAN_SCHEMA, True, "true"),
    (logical.decimal_schema(0), Decimal("1E+3"), "1E+3"),
    (logical.decimal_schema(7), Decimal("0.0000001"), "1E-7"),
    (logical.decimal_schema(6), Decimal("0.000001"), "0.000001"),
    (logical.DATE_SCHEMA, dt.date(1970, 1, 1), "00:00:00.000Z"),
    (logical.DATE_SCHEMA, dt.date(1969, 12, 31), "00:00:00.000Z"),
    (logical.DATE_SCHEMA, dt.date(2023, 11, 15), "2023-11-15"),
    (logical.TIMESTAMP_SCHEMA, logical.timestamp_from_millis(-1), "23:59:59.999Z"),
    (logical.TIMESTAMP_SCHEMA, logical.timestamp_from_millis(253402300799999), "9999-12-31T23:59:59.999Z"),
])
def test_string_casts(schema: Schema, value: Any, expected: str) -> None:
    assert value_cast("string")(Record("t", value_schema=schema, value=value)).value == expected


@pytest.mark.parametrize(("schema", "value", "spec", "message"), [
    (STRING_SCHEMA, "128", "int8", r"^Value \(128\) was out of range for requested data type$"),
    (STRING_SCHEMA, " 42", "int32", r"^Value \( 42\) was out of range"),
    (STRING_SCHEMA, "4.2", "int64", "out of range"),
    (STRING_SCHEMA, "1_0", "float64", "out of range"),
    (STRING_SCHEMA, "inf", "float64", "out of range"),
    (STRING_SCHEMA, "", "float32", "out of range"),
    (BYTES_SCHEMA, b"\x00", "int8", "^Unexpected type in Cast transformation: bytes$"),
])
def test_bad_casts(schema: Schema, value: Any, spec: str, message: str) -> None:
    with pytest.raises(DataException, match=message):
        value_cast(spec)(Record("t", value_schema=schema, value=value))


def test_pickle_and_names() -> None:
    xform = pickle.loads(pickle.dumps(Cast.value(spec={"a": "int8"})))
    assert xform(Record("t", value={"a": 300})).value == {"a": 44}
    assert TRANSFORMS == {"Cast$Key": CastKey, "Cast$Value": CastValue}


def test_schemaless_int_casts_give_java_boxes_and_struct_fields_stay_plain() -> None:
    """Kafka's schemaless Cast to int8/int16/int32 gives a Byte/Short/Integer (int64: a Long), which later
    steps tell apart (TimestampConverter reads only a Long as Unix time): the value carries its width
    (`data.java_ints`). Struct fields are typed by their schema and stay plain ints."""
    from pyconnect_flow.data.java_ints import JavaByte, JavaInteger, JavaShort
    out = value_cast("a:int8,b:int16,c:int32,d:int64,e:int16")(Record("t", value={"a": 300, "b": 70000, "c": 1,
                                                                                   "d": 2, "e": "12"}))
    assert out.value == {"a": 44, "b": 4464, "c": 1, "d": 2, "e": 12}
    assert [type(out.value[k]) for k in "abcde"] == [JavaByte, JavaShort, JavaInteger, int, JavaShort]
    assert type(value_cast("int16")(Record("t", value=JavaByte(5))).value) is JavaShort
    assert type(value_cast("int64")(Record("t", value=JavaShort(5))).value) is int
    schema = SchemaBuilder.struct().field("a", INT32_SCHEMA).build()
    struct_out = value_cast("a:int16")(Record("t", value_schema=schema, value=Struct(schema).put("a", 5)))
    assert type(struct_out.value.get("a")) is int
