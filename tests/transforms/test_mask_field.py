"""MaskField, after Kafka's MaskFieldTest."""

from __future__ import annotations

import datetime as dt
import pickle
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
    INT16_SCHEMA,
    INT32_SCHEMA,
    INT64_SCHEMA,
    STRING_SCHEMA,
    DataException,
    SchemaBuilder,
    Struct,
    logical,
)
from pyconnect_flow.record import Record
from pyconnect_flow.transforms.mask_field import TRANSFORMS, MaskField, MaskFieldKey, MaskFieldValue

SCHEMA = (SchemaBuilder.struct()
          .field("magic", INT32_SCHEMA).field("bool", BOOLEAN_SCHEMA).field("byte", INT8_SCHEMA)
          .field("short", INT16_SCHEMA).field("int", INT32_SCHEMA).field("long", INT64_SCHEMA)
          .field("float", FLOAT32_SCHEMA).field("double", FLOAT64_SCHEMA).field("string", STRING_SCHEMA)
          .field("date", logical.DATE_SCHEMA).field("time", logical.TIME_SCHEMA)
          .field("timestamp", logical.TIMESTAMP_SCHEMA).field("decimal", logical.decimal_schema(0))
          .field("array", SchemaBuilder.array(INT32_SCHEMA).build())
          .field("map", SchemaBuilder.map(STRING_SCHEMA, STRING_SCHEMA).build())
          .field("withDefault", SchemaBuilder.string().optional().default_value("default").build())
          .build())
NOW = dt.datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=dt.timezone.utc)


def values() -> dict[str, Any]:
    return {"magic": 42, "bool": True, "byte": 42, "short": 42, "int": 42, "long": 42, "float": 42.0,
            "double": 42.0, "string": "55.121.20.20", "date": NOW, "bigint": 42, "bigdec": Decimal("42.0"),
            "list": [42], "map": {"key": "value"}}


def struct_values() -> Struct:
    return Struct(SCHEMA, {
        "magic": 42, "bool": True, "byte": 42, "short": 42, "int": 42, "long": 42, "float": 42.0,
        "double": 42.0, "string": "hmm", "date": NOW.date(), "time": dt.time(7, 8, 9), "timestamp": NOW,
        "decimal": Decimal(42), "array": [1, 2, 3], "map": {"what": "what"}, "withDefault": None,
    })


def transform(fields: list[str], replacement: str | None = None) -> MaskField:
    return MaskFieldValue.from_config({"fields": fields, "replacement": replacement,
                                       "replace.null.with.default": False})


def record(schema: Any, value: Any) -> Record:
    return Record("", partition=0, value_schema=schema, value=value, offset=0)


def test_schemaless() -> None:
    fields = [k for k in values() if k != "magic"]
    out = transform(fields)(record(None, values())).value
    assert_same(out, {"magic": 42, "bool": False, "byte": 0, "short": 0, "int": 0, "long": 0, "float": 0.0,
                      "double": 0.0, "string": "", "date": logical.EPOCH, "bigint": 0, "bigdec": Decimal(0),
                      "list": [], "map": {}})


def test_with_schema() -> None:
    fields = [f.name for f in SCHEMA.fields if f.name != "magic"]
    out = transform(fields)(record(SCHEMA, struct_values())).value
    assert out.schema is SCHEMA
    expected = {"magic": 42, "bool": False, "byte": 0, "short": 0, "int": 0, "long": 0, "float": 0.0,
                "double": 0.0, "string": "", "date": dt.date(1970, 1, 1), "time": dt.time(0),
                "timestamp": logical.EPOCH, "decimal": Decimal(0), "array": [], "map": {}, "withDefault": None}
    for name, value in expected.items():
        assert_same(out.get_without_default(name), value, name)


@pytest.mark.parametrize(("field", "replacement", "expected"), [
    ("short", "123", 123), ("byte", "123", 123), ("int", "123", 123), ("long", "123", 123),
    ("float", "123.0", 123.0), ("double", "123.0", 123.0), ("string", "123", "123"),
    ("bigint", "123", 123), ("bigdec", "123.0", Decimal("123.0")),
])
def test_schemaless_with_replacement(field: str, replacement: str, expected: Any) -> None:
    out = transform([field], replacement)(record(None, values())).value
    assert_same(out[field], expected)


@pytest.mark.parametrize(("field", "replacement", "expected"), [
    ("short", "123", 123), ("byte", "123", 123), ("int", "123", 123), ("long", "123", 123),
    ("float", "123.0", 123.0), ("double", "123.0", 123.0), ("string", "123", "123"),
    ("decimal", "123.0", Decimal("123.0")),
])
def test_with_schema_and_replacement(field: str, replacement: str, expected: Any) -> None:
    out = transform([field], replacement)(record(SCHEMA, struct_values())).value
    assert_same(out.get(field), expected)


@pytest.mark.parametrize("fields", [["date"], ["int", "date"], ["bool"], ["list"], ["map"]])
def test_schemaless_unsupported_replacement_type(fields: list[str]) -> None:
    with pytest.raises(DataException, match="Cannot mask value of type"):
        transform(fields, "123")(record(None, values()))


@pytest.mark.parametrize("field", ["time", "timestamp", "array"])
def test_with_schema_unsupported_replacement_type(field: str) -> None:
    with pytest.raises(DataException, match="Cannot mask value of type"):
        transform([field], "123")(record(SCHEMA, struct_values()))


@pytest.mark.parametrize(("fields", "replacement"), [
    (["byte"], "foo"), (["short"], "foo"), (["int"], "foo"), (["long"], "foo"), (["float"], "foo"),
    (["double"], "foo"), (["bigint"], "foo"), (["bigdec"], "foo"), (["int"], str(NOW)), (["int"], "<object>"),
    (["string", "int"], "foo"),
])
def test_replacement_type_mismatch(fields: list[str], replacement: str) -> None:
    with pytest.raises(DataException, match="Unable to convert"):
        transform(fields, replacement)(record(None, values()))


def test_empty_string_replacement_value() -> None:
    with pytest.raises(ConfigException, match="String must be non-empty"):
        transform(["short"], "")


def test_empty_field_list_is_a_config_error() -> None:
    with pytest.raises(ConfigException, match="Empty list"):
        MaskFieldValue.from_config({"fields": ""})
    with pytest.raises(ConfigException, match="fields: missing required key"):
        MaskFieldValue.from_config({})


def test_null_list_and_map_replacements_are_mutable() -> None:
    out = transform(["array", "map"])(record(SCHEMA, struct_values())).value
    out.get("array").append(0)
    out.get("map")["k"] = "v"
    assert out.get("array") == [0]
    assert out.get("map") == {"k": "v"}


def test_replacement_is_converted_at_the_field_width() -> None:
    # Values.convertToByte/Short/...: the text is read as a BigDecimal, truncated, then narrowed as Java casts do
    xform = transform(["byte", "short", "int", "long", "float"], "300.9")
    out = xform(record(SCHEMA, struct_values())).value
    assert [out.get(n) for n in ("byte", "short", "int", "long")] == [44, 300, 300, 300]
    assert out.get("float") == pytest.approx(300.9, rel=1e-7) and out.get("float") != 300.9
    schemaless = transform(["int", "double"], "1e20")(record(None, values())).value
    assert schemaless["int"] == 7766279631452241920  # (long) 1e20, wrapped as BigDecimal.longValue
    assert schemaless["double"] == 1e20


def test_null_values_stay_null_and_missing_schemaless_fields_are_added_as_null() -> None:
    out = transform(["missing", "string"], "x")(record(None, {"string": None})).value
    assert out == {"string": None, "missing": None}
    out = transform(["withDefault"], "x")(record(SCHEMA, struct_values())).value
    assert out.get_without_default("withDefault") is None


def test_replace_null_with_default_masks_the_default() -> None:
    xform = MaskField.value(fields=["withDefault"], replacement="masked")
    assert xform(record(SCHEMA, struct_values())).value.get("withDefault") == "masked"


def test_bytes_and_structs_cannot_be_masked() -> None:
    schema = SchemaBuilder.struct().field("b", BYTES_SCHEMA).build()
    with pytest.raises(DataException, match="^Cannot mask value of type: bytes$"):
        transform(["b"])(record(schema, Struct(schema).put("b", b"x")))
    with pytest.raises(DataException, match="^Cannot mask value of type: Struct$"):
        transform(["s"])(record(None, {"s": Struct(schema)}))


def test_null_value_is_an_error_as_in_kafka() -> None:
    with pytest.raises(DataException, match=r"^Only Map objects supported in absence of schema for \[mask fields\]"):
        transform(["a"])(record(None, None))


def test_key_variant_and_pickle() -> None:
    xform = pickle.loads(pickle.dumps(MaskField.key(fields="ssn", replacement="***")))
    out = xform(Record("t", key={"ssn": "123-45"}, value="v"))
    assert out.key == {"ssn": "***"} and out.value == "v"
    assert TRANSFORMS == {"MaskField$Key": MaskFieldKey, "MaskField$Value": MaskFieldValue}


@pytest.mark.parametrize(("replacement", "expected"), [
    (None, {"n": 0, "ts": 0}), ("300", {"n": 300, "ts": 44}), ("-129", {"n": -129, "ts": 127})])
def test_schemaless_narrow_ints_mask_at_their_own_width(replacement: str | None, expected: dict[str, int]) -> None:
    """After Cast n:int16,ts:int8 on a map, Kafka's MaskField masks the Short and the Byte with a Short and a Byte
    (its replacement functions per class, wrapping: "300" as a Byte is 44), so they stay narrow (Kafka 4.3.1:
    {n=300, ts=44} n:Short ts:Byte)."""
    from pyconnect_flow.data.java_ints import JavaByte, JavaShort
    from pyconnect_flow.transforms.cast import CastValue
    cast = CastValue.from_config({"spec": "n:int16,ts:int8"})
    props = {"fields": "n,ts"} if replacement is None else {"fields": "n,ts", "replacement": replacement}
    out = MaskFieldValue.from_config(props)(cast(Record("t", value={"n": 300, "ts": 1700000000000})))
    assert out.value == expected
    assert type(out.value["n"]) is JavaShort and type(out.value["ts"]) is JavaByte
