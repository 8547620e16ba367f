"""`parse_string` / `convert_to_string`, modelled on Kafka's `ValuesTest`."""

from __future__ import annotations

import base64
import datetime as dt
import decimal

import pytest

from pyconnect_flow.data import (
    BOOLEAN_SCHEMA,
    FLOAT32_SCHEMA,
    FLOAT64_SCHEMA,
    INT8_SCHEMA,
    INT16_SCHEMA,
    INT32_SCHEMA,
    INT64_SCHEMA,
    OPTIONAL_STRING_SCHEMA,
    STRING_SCHEMA,
    DataException,
    SchemaBuilder,
    Struct,
    Type,
    logical,
)
from pyconnect_flow.data.text import (
    convert_to_string,
    escape,
    parse_string,
)

WHITESPACE = "\n \t \t\n"
UTC = dt.timezone.utc


def assert_string(text: str) -> None:
    schema, value = parse_string(text)
    assert schema == STRING_SCHEMA
    assert value == text


# parse_string: literals and strings ------------------------------------------

def test_parse_null_string() -> None:
    assert parse_string(None) == (None, None)


def test_parse_empty_string() -> None:
    assert parse_string("") == (STRING_SCHEMA, "")


def test_should_not_encounter_infinite_loop() -> None:
    text = bytes([0xEF, 0xBF, 0xBF]).decode("utf-8")  # U+FFFF, Java's CharacterIterator.DONE
    assert_string(text)


@pytest.mark.parametrize("text", ["{foo: 3}", "{3: foo}", "[foo]", "null=", "true}", "false]", "{6:9 4:20}",
                                  "[0 1 2]", "{null: 3}", "[1, 2, 3,,,]", "[1, null]", "[null, 1]"])
def test_unparseable_structures_stay_strings(text: str) -> None:
    assert_string(text)


def test_literals_surrounded_by_whitespace() -> None:
    assert parse_string(WHITESPACE + "true" + WHITESPACE) == (BOOLEAN_SCHEMA, True)
    assert parse_string(WHITESPACE + "false" + WHITESPACE) == (BOOLEAN_SCHEMA, False)
    assert parse_string(WHITESPACE + "null" + WHITESPACE) == (None, None)
    assert parse_string("null") == (None, None)


@pytest.mark.parametrize("text", ["  ", "simple", "simple string", "simple \n\t\bstring", "'simple' string",
                                  "si\\mple", "si\\\\mple", "si\\\"mple", "si\\{mple", "si\\}mple", "si\\]mple",
                                  "si\\[mple", "si\\:mple", "si\\,mple", "a{b", "a,b", "\"simple\" string"])
def test_plain_strings(text: str) -> None:
    assert_string(text)


def test_boolean_literals_embedded_in_array_and_map() -> None:
    schema, value = parse_string("[true, false]")
    assert schema.type is Type.ARRAY and schema.value_schema.type is Type.BOOLEAN
    assert value == [True, False]
    schema, value = parse_string("{true: false, false: true}")
    assert (schema.type, schema.key_schema.type, schema.value_schema.type) == (Type.MAP, Type.BOOLEAN, Type.BOOLEAN)
    assert value == {True: False, False: True}


def test_empty_and_nested_collections() -> None:
    schema, value = parse_string("{}")
    assert schema.type is Type.MAP and value == {}
    schema, value = parse_string("[]")
    assert schema.type is Type.ARRAY and value == [] and schema.value_schema is None
    assert parse_string("[[]]")[0].value_schema.type is Type.ARRAY
    assert parse_string("[{}]")[0].value_schema.type is Type.MAP
    assert parse_string('{"a":{}}')[0].value_schema.type is Type.MAP
    assert parse_string('{"a":[]}')[0].value_schema.type is Type.ARRAY


def test_null_map_values_and_array_elements() -> None:
    schema, value = parse_string("{3: null}")
    assert schema.type is Type.MAP and schema.key_schema.type is Type.INT8 and schema.value_schema is None
    assert value == {3: None}
    schema, value = parse_string("[null]")
    assert schema.type is Type.ARRAY and value == [None]


def test_maps_of_strings_and_numbers_with_and_without_whitespace() -> None:
    expected_schema = SchemaBuilder.map(STRING_SCHEMA, STRING_SCHEMA).build()
    for text in ['{"foo":"123","bar":"baz"}', '{ "foo" : "123", \n"bar" : "baz" } ']:
        assert parse_string(text) == (expected_schema, {"foo": "123", "bar": "baz"})
    short_schema = SchemaBuilder.map(STRING_SCHEMA, INT16_SCHEMA).build()
    for text in ['{"foo":12345,"bar":0,"baz":-4321}', ' { "foo" :  12345 , "bar" : 0,  "baz" : -4321 }  ']:
        assert parse_string(text) == (short_schema, {"foo": 12345, "bar": 0, "baz": -4321})
    int_schema = SchemaBuilder.map(STRING_SCHEMA, INT32_SCHEMA).build()
    text = ' { "foo" :  1234567890 , "bar" : 0,  "baz" : -987654321 }  '
    assert parse_string(text) == (int_schema, {"foo": 1234567890, "bar": 0, "baz": -987654321})


def test_list_of_numbers_widens_to_the_largest_type() -> None:
    schema, value = parse_string("[1, 2, 32768]")
    assert schema.value_schema == INT32_SCHEMA and value == [1, 2, 32768]
    schema, value = parse_string("[1, 2, 3.4028235E38]")
    assert schema.value_schema == FLOAT32_SCHEMA and value == [1.0, 2.0, 3.4028235e38]
    assert all(isinstance(v, float) for v in value)
    schema, value = parse_string("[1, 2, 1.7976931348623157E308]")
    assert schema.value_schema == FLOAT64_SCHEMA and value[2] == 1.7976931348623157e308


@pytest.mark.parametrize("text", ['[1, 2, 300, "four"]', '[2, 300, "four", 1]', '[300, "four", 1, 2]',
                                  '["four", 1, 2, 300]'])
def test_list_with_several_element_types_has_no_element_schema(text: str) -> None:
    schema, value = parse_string(text)
    assert schema.type is Type.ARRAY and schema.value_schema is None
    assert sorted(value, key=str) == sorted([1, 2, 300, "four"], key=str)


@pytest.mark.parametrize("text", ['{1:1, 2:1, 300:300, "four":1}', '{2:1, 300:300, "four":1, 1:1}',
                                  '{300:300, "four":1, 1:1, 2:1}', '{"four":1, 1:1, 2:1, 300:300}'])
def test_map_with_several_key_types_has_no_schemas(text: str) -> None:
    schema, value = parse_string(text)
    assert schema.type is Type.MAP and schema.key_schema is None and schema.value_schema is None
    assert value == {1: 1, 2: 1, 300: 300, "four": 1}


@pytest.mark.parametrize("text", ['{1:1, 2:1, 300:300, 4:"four"}', '{4:"four", 1:1, 2:1, 300:300}'])
def test_map_with_several_value_types_keeps_the_key_schema(text: str) -> None:
    schema, value = parse_string(text)
    assert schema.key_schema == INT16_SCHEMA and schema.value_schema is None
    assert value == {1: 1, 2: 1, 300: 300, 4: "four"}


def test_quoted_strings_keep_their_backslashes() -> None:
    assert parse_string('["a\\"b", "c"]') == (SchemaBuilder.array(STRING_SCHEMA).build(), ['a\\"b', "c"])


# parse_string: numbers ------------------------------------------------------------

@pytest.mark.parametrize(("text", "schema", "value"), [
    ("127", INT8_SCHEMA, 127), ("-128", INT8_SCHEMA, -128),
    ("32767", INT16_SCHEMA, 32767), ("-32768", INT16_SCHEMA, -32768),
    ("2147483647", INT32_SCHEMA, 2147483647), ("-2147483648", INT32_SCHEMA, -2147483648),
    ("9223372036854775807", INT64_SCHEMA, 9223372036854775807),
    ("-9223372036854775808", INT64_SCHEMA, -9223372036854775808),
    ("1.0", INT8_SCHEMA, 1), ("300.0", INT16_SCHEMA, 300), ("66000.0", INT32_SCHEMA, 66000),
    ("1e5", INT32_SCHEMA, 100000), ("+7", INT8_SCHEMA, 7),
    ("1.1", FLOAT32_SCHEMA, 1.1), ("300.01", FLOAT32_SCHEMA, 300.01), ("66000.0008", FLOAT32_SCHEMA, 66000.0008),
    ("3.4028235E38", FLOAT32_SCHEMA, 3.4028235e38), ("-3.4028235E38", FLOAT32_SCHEMA, -3.4028235e38),
    ("1.7976931348623157E308", FLOAT64_SCHEMA, 1.7976931348623157e308),
    ("-1.7976931348623157E308", FLOAT64_SCHEMA, -1.7976931348623157e308),
])
def test_numbers_get_the_smallest_type(text: str, schema: object, value: object) -> None:
    parsed = parse_string(text)
    assert parsed == (schema, value)
    assert type(parsed[1]) is type(value)


def test_big_integers_are_decimals_with_zero_scale() -> None:
    for n in (2**63, -(2**63) - 1):
        schema, value = parse_string(str(n))
        assert schema == logical.decimal_schema(0)
        assert value == decimal.Decimal(n)


def test_array_of_decimals() -> None:
    big, small = decimal.Decimal(2**63), decimal.Decimal(-(2**63) - 1)
    schema, value = parse_string(f"[{big}, {small}]")
    assert schema.value_schema == logical.decimal_schema(0)
    assert value == [big, small]
    schema, value = parse_string(f'["1.0", {big}, {small}, 1, 1]')
    assert schema.value_schema is None
    assert value == ["1.0", big, small, 1, 1]


def test_not_java_numbers_stay_strings() -> None:
    for text in ("1_000", "Infinity", "-NaN", "0x10", "1.2.3"):
        assert_string(text)


# parse_string: temporal values ---------------------------------------------------

def test_timestamp_date_and_time_strings() -> None:
    assert parse_string("2019-08-23T14:34:54.346Z") == (
        logical.TIMESTAMP_SCHEMA, dt.datetime(2019, 8, 23, 14, 34, 54, 346000, tzinfo=UTC))
    assert parse_string("2019-08-23") == (logical.DATE_SCHEMA, dt.date(2019, 8, 23))
    assert parse_string("14:34:54.346Z") == (logical.TIME_SCHEMA, dt.time(14, 34, 54, 346000))


def test_escaped_colons() -> None:
    assert parse_string("2019-08-23T14\\:34\\:54.346Z")[1] == dt.datetime(2019, 8, 23, 14, 34, 54, 346000, tzinfo=UTC)
    assert parse_string("14\\:34\\:54.346Z") == (logical.TIME_SCHEMA, dt.time(14, 34, 54, 346000))


def test_temporal_values_in_arrays_and_maps() -> None:
    schema, value = parse_string("[2019-08-23]")
    assert schema.value_schema == logical.DATE_SCHEMA and value == [dt.date(2019, 8, 23)]
    schema, value = parse_string("[14:34:54.346Z]")
    assert schema.value_schema == logical.TIME_SCHEMA and value == [dt.time(14, 34, 54, 346000)]
    schema, value = parse_string("[2019-08-23T14:34:54.346Z,2019-01-23T15:12:34.567Z,   2019-04-23T19:12:34.567Z]")
    assert schema.value_schema == logical.TIMESTAMP_SCHEMA
    assert value[2] == dt.datetime(2019, 4, 23, 19, 12, 34, 567000, tzinfo=UTC)
    for text in ('{"k1":"14:34:54.346Z"}', '{"k1":14:34:54.346Z}'):
        schema, value = parse_string(text)
        assert schema.key_schema == STRING_SCHEMA and schema.value_schema == logical.TIME_SCHEMA
        assert value == {"k1": dt.time(14, 34, 54, 346000)}


def test_numbers_align_with_a_temporal_element_schema() -> None:
    schema, value = parse_string("[2019-08-23, 1]")
    assert schema.value_schema == logical.DATE_SCHEMA
    assert value == [dt.date(2019, 8, 23), dt.date(1970, 1, 2)]


def test_only_the_first_token_of_a_partial_time_is_read() -> None:
    # Kafka quirk kept: "12:34" is not a temporal, so the first token is parsed as a number.
    assert parse_string("12:34") == (INT8_SCHEMA, 12)


# convert_to_string ------------------------------------------------------------------

def test_escape() -> None:
    assert escape('three"blind\\"mice') == 'three\\"blind\\\\\\"mice'


def test_convert_null_and_scalars() -> None:
    assert convert_to_string(STRING_SCHEMA, None) is None
    assert convert_to_string(BOOLEAN_SCHEMA, True) == "true"
    assert convert_to_string(BOOLEAN_SCHEMA, False) == "false"
    assert convert_to_string(INT8_SCHEMA, 1) == "1"
    assert convert_to_string(INT64_SCHEMA, -(2**63)) == "-9223372036854775808"
    assert convert_to_string(FLOAT32_SCHEMA, 1.0) == "1.0"
    assert convert_to_string(FLOAT64_SCHEMA, 1.0) == "1.0"
    assert convert_to_string(STRING_SCHEMA, "") == ""
    assert convert_to_string(STRING_SCHEMA, 'three"blind\\"mice') == 'three"blind\\"mice'
    assert convert_to_string(None, decimal.Decimal("1.5600")) == "1.5600"
    assert convert_to_string(None, decimal.Decimal("1E+3")) == "1E+3"
    assert convert_to_string(None, b"test-string") == base64.b64encode(b"test-string").decode()


@pytest.mark.parametrize("value", [True, False, 0, 1, 127, -32768, 2**31, 1.5, "simple", "", "null",
                                   "string with delimiters: <>?,./\\=+-!@#$%^&*(){}[]|;':"])
def test_round_trip_of_scalars(value: object) -> None:
    text = convert_to_string(None, value)
    schema, parsed = parse_string(text)
    assert parsed == value if value != "null" else parsed is None


def test_round_trip_of_collections() -> None:
    string_map = {"foo": "123", "bar": "baz"}
    assert convert_to_string(None, string_map) == '{"foo":"123","bar":"baz"}'
    assert parse_string(convert_to_string(None, string_map))[1] == string_map
    for value in ({"foo": 12345, "bar": 0, "baz": -4321}, {"foo": 1234567890, "bar": 0, "baz": -987654321},
                  ["foo", "bar"], [1234567890, -987654321]):
        assert parse_string(convert_to_string(None, value))[1] == value


def test_convert_collections_and_structs() -> None:
    assert convert_to_string(None, {"a": [1, True, None, 'x"y']}) == '{"a":[1,true,null,"x\\"y"]}'
    assert convert_to_string(None, [b"\x00\x01"]) == '["AAE="]'
    schema = SchemaBuilder.struct().field("a", INT32_SCHEMA).field("b", OPTIONAL_STRING_SCHEMA).build()
    assert convert_to_string(schema, Struct(schema).put("a", 1).put("b", "x")) == '{"a":1,"b":"x"}'
    assert convert_to_string(schema, Struct(schema).put("a", 1)) == '{"a":1,"b":null}'
    empty = SchemaBuilder.struct().build()
    assert convert_to_string(empty, Struct(empty)) == "{}"


def test_float32_values_print_as_java_floats() -> None:
    assert convert_to_string(FLOAT32_SCHEMA, 66000.0008) == "66000.0"
    assert convert_to_string(FLOAT32_SCHEMA, 1.1) == "1.1"
    assert convert_to_string(FLOAT64_SCHEMA, 66000.0008) == "66000.0008"
    array = SchemaBuilder.array(FLOAT32_SCHEMA).build()
    assert convert_to_string(array, [0.1, 3.4028234663852886e38]) == "[0.1,3.4028235E38]"


def test_temporal_values_print_as_kafka_date_format_for() -> None:
    # Under one day since the epoch: a time; a whole number of days: a date; else a timestamp (UTC).
    assert convert_to_string(None, dt.time(14, 34, 54, 346000)) == "14:34:54.346Z"
    assert convert_to_string(None, dt.date(2019, 8, 23)) == "2019-08-23"
    assert convert_to_string(None, dt.datetime(2019, 8, 23, 14, 34, 54, 346000, tzinfo=UTC)) == "2019-08-23T14:34:54.346Z"
    assert convert_to_string(None, dt.datetime(2019, 8, 23, tzinfo=UTC)) == "2019-08-23"
    assert convert_to_string(None, dt.date(1970, 1, 1)) == "00:00:00.000Z"
    assert convert_to_string(None, [dt.date(2019, 8, 23)]) == "[2019-08-23]"


def test_temporal_round_trip() -> None:
    for value in (dt.date(2019, 8, 23), dt.time(14, 34, 54, 346000),
                  dt.datetime(2019, 8, 23, 14, 34, 54, 346000, tzinfo=UTC)):
        assert parse_string(convert_to_string(None, value))[1] == value


def test_unknown_types_fail() -> None:
    with pytest.raises(DataException, match="Failed to serialize unexpected value type object"):
        convert_to_string(None, object())
