"""Flatten, after Kafka's FlattenTest."""

from __future__ import annotations

import pickle
from decimal import Decimal

import pytest
from vectors import assert_same

from pyconnect_flow.data import (
    BOOLEAN_SCHEMA,
    BYTES_SCHEMA,
    FLOAT32_SCHEMA,
    FLOAT64_SCHEMA,
    INT8_SCHEMA,
    INT16_SCHEMA,
    INT32_SCHEMA,
    INT64_SCHEMA,
    OPTIONAL_INT32_SCHEMA,
    OPTIONAL_INT64_SCHEMA,
    OPTIONAL_STRING_SCHEMA,
    STRING_SCHEMA,
    DataException,
    SchemaBuilder,
    Struct,
    Type,
    logical,
)
from pyconnect_flow.record import Record
from pyconnect_flow.transforms.flatten import TRANSFORMS, Flatten, FlattenKey, FlattenValue

SUPPORTED = (SchemaBuilder.struct()
             .field("int8", INT8_SCHEMA).field("int16", INT16_SCHEMA).field("int32", INT32_SCHEMA)
             .field("int64", INT64_SCHEMA).field("float32", FLOAT32_SCHEMA).field("float64", FLOAT64_SCHEMA)
             .field("boolean", BOOLEAN_SCHEMA).field("string", STRING_SCHEMA).field("bytes", BYTES_SCHEMA)
             .build())
SUPPORTED_VALUES = {"int8": 8, "int16": 16, "int32": 32, "int64": 64, "float32": 32.0, "float64": 64.0,
                    "boolean": True, "string": "stringy", "bytes": b"bytes"}


def value_flatten(**config: str) -> FlattenValue:
    return FlattenValue.from_config(config)


def test_top_level_struct_required() -> None:
    with pytest.raises(DataException, match=r"^Only Struct objects supported for \[flattening\], found: int$"):
        value_flatten()(Record("topic", partition=0, value_schema=INT32_SCHEMA, value=42))


def test_top_level_map_required() -> None:
    with pytest.raises(DataException, match=r"^Only Map objects supported in absence of schema for \[flattening\]"):
        value_flatten()(Record("topic", partition=0, value=42))


def test_nested_struct() -> None:
    one = SchemaBuilder.struct().field("B", SUPPORTED).build()
    two = SchemaBuilder.struct().field("A", one).build()
    value = Struct(two).put("A", Struct(one).put("B", Struct(SUPPORTED, SUPPORTED_VALUES)))
    out = value_flatten()(Record("topic", partition=0, value_schema=two, value=value))
    assert out.value_schema.type is Type.STRUCT
    assert len(out.value.schema.fields) == 9
    for name, expected in SUPPORTED_VALUES.items():
        assert_same(out.value.get(f"A.B.{name}"), expected)
        assert out.value_schema.field(f"A.B.{name}").schema == SUPPORTED.field(name).schema


def test_nested_map_with_delimiter() -> None:
    out = value_flatten(delimiter="#")(Record("topic", partition=0, value={"A": {"B": dict(SUPPORTED_VALUES)}}))
    assert out.value_schema is None
    assert_same(out.value, {f"A#B#{k}": v for k, v in SUPPORTED_VALUES.items()})
    assert list(out.value) == [f"A#B#{k}" for k in SUPPORTED_VALUES]  # input order kept


def test_optional_field_struct() -> None:
    inner = SchemaBuilder.struct().field("opt_int32", OPTIONAL_INT32_SCHEMA).build()
    outer = SchemaBuilder.struct().field("B", inner).build()
    value = Struct(outer).put("B", Struct(inner).put("opt_int32", None))
    out = value_flatten()(Record("topic", partition=0, value_schema=outer, value=value))
    assert out.value_schema.type is Type.STRUCT
    assert out.value.get("B.opt_int32") is None


def test_optional_struct() -> None:
    schema = SchemaBuilder.struct().optional().field("opt_int32", OPTIONAL_INT32_SCHEMA).build()
    record = Record("topic", partition=0, value_schema=schema)
    out = value_flatten()(record)
    assert out is record  # a null value passes through, schema included


def test_optional_nested_struct() -> None:
    inner = SchemaBuilder.struct().optional().field("opt_int32", OPTIONAL_INT32_SCHEMA).build()
    outer = SchemaBuilder.struct().field("B", inner).build()
    out = value_flatten()(Record("topic", partition=0, value_schema=outer, value=Struct(outer).put("B", None)))
    assert out.value_schema.type is Type.STRUCT
    assert out.value.get("B.opt_int32") is None
    assert out.value_schema.field("B.opt_int32").schema == OPTIONAL_INT32_SCHEMA


def test_optional_field_map() -> None:
    out = value_flatten()(Record("topic", partition=0, value={"B": {"opt_int32": None}}))
    assert out.value_schema is None
    assert out.value == {"B.opt_int32": None}


def test_key() -> None:
    out = FlattenKey.from_config({})(Record("topic", key={"A": {"B": 12}}))
    assert out.key_schema is None
    assert out.key == {"A.B": 12}


def test_schemaless_array() -> None:
    value = {"foo": ["bar", {"baz": {"lfg": "lfg"}}]}
    assert value_flatten()(Record("topic", value=value)).value == value


def test_array_with_schema() -> None:
    nested = SchemaBuilder.struct().field("lfg", STRING_SCHEMA).build()
    inner = SchemaBuilder.struct().field("baz", nested).build()
    schema = SchemaBuilder.struct().field("foo", SchemaBuilder.array(inner).doc("durk").build()).build()
    value = Struct(schema).put("foo", [Struct(inner).put("baz", Struct(nested).put("lfg", "lfg"))])
    out = value_flatten()(Record("topic", value_schema=schema, value=value))
    assert out.value == value
    assert out.value_schema == schema


def test_optional_and_default_values_nested() -> None:
    child = (SchemaBuilder.struct().optional().field("req_field", STRING_SCHEMA)
             .field("opt_field", SchemaBuilder.string().optional().default_value("child_default").build()).build())
    child_default = Struct(child).put("req_field", "req_default")
    schema = SchemaBuilder.from_schema(child).default_value(child_default).build()
    out = value_flatten()(Record("topic", partition=0, value_schema=schema, value=Struct(schema)))
    assert out is not None
    assert out.value_schema.type is Type.STRUCT
    assert len(out.value_schema.fields) == 2
    # the required field is optional because its parent is, and takes its default from the parent's default
    assert out.value_schema.field("req_field").schema == \
        SchemaBuilder.string().optional().default_value("req_default").build()
    # the optional field keeps its own default: the parent's default does not set it
    assert out.value_schema.field("opt_field").schema == \
        SchemaBuilder.string().optional().default_value("child_default").build()


def test_tombstone_event_without_schema_should_pass_through() -> None:
    out = value_flatten()(Record("test", partition=0))
    assert out.value is None and out.value_schema is None


def test_tombstone_event_with_schema_should_pass_through() -> None:
    schema = (SchemaBuilder.struct().name("name").version(1).doc("doc")
              .field("magic", OPTIONAL_INT64_SCHEMA).build())
    out = value_flatten()(Record("test", partition=0, value_schema=schema))
    assert out.value is None and out.value_schema == schema


def test_map_with_null_fields() -> None:
    value = {"firstNull": None, "firstNonNull": "nonNull", "secondNull": None, "secondNonNull": "alsoNonNull",
             "thirdNonNull": None}
    out = value_flatten()(Record("test", partition=0, value=value))
    assert out.value == value
    assert list(out.value) == list(value)


def test_struct_with_null_fields() -> None:
    schema = (SchemaBuilder.struct().field("firstNull", OPTIONAL_STRING_SCHEMA)
              .field("firstNonNull", OPTIONAL_STRING_SCHEMA).field("secondNull", OPTIONAL_STRING_SCHEMA)
              .field("secondNonNull", OPTIONAL_STRING_SCHEMA).field("thirdNonNull", OPTIONAL_STRING_SCHEMA).build())
    value = Struct(schema, {"firstNull": None, "firstNonNull": "nonNull", "secondNull": None,
                            "secondNonNull": "alsoNonNull", "thirdNonNull": None})
    out = value_flatten()(Record("test", partition=0, value_schema=schema, value=value))
    assert out.value == value


def test_schema_basics_and_logical_types_are_kept() -> None:
    inner = SchemaBuilder.struct().field("ts", logical.TIMESTAMP_SCHEMA).field("d", logical.decimal_schema(2)).build()
    schema = SchemaBuilder.struct().name("top").version(4).doc("doc").optional().field("x", inner).build()
    value = Struct(schema).put("x", Struct(inner).put("ts", logical.EPOCH).put("d", Decimal("1.50")))
    out = value_flatten(delimiter="_")(Record("t", value_schema=schema, value=value))
    s = out.value_schema
    assert (s.name, s.version, s.doc, s.optional) == ("top", 4, "doc", False)
    assert s.field("x_ts").schema == logical.OPTIONAL_TIMESTAMP_SCHEMA
    assert s.field("x_d").schema == logical.decimal_builder(2).optional().build()
    assert out.value.get("x_d") == Decimal("1.50")


def test_struct_fields_read_through_defaults() -> None:
    inner = SchemaBuilder.struct().field("n", SchemaBuilder.int32().optional().default_value(5).build()).build()
    schema = SchemaBuilder.struct().field("x", inner).build()
    out = value_flatten()(Record("t", value_schema=schema, value=Struct(schema).put("x", Struct(inner))))
    assert out.value.get_without_default("x.n") == 5


def test_updated_schema_is_cached() -> None:
    inner = SchemaBuilder.struct().field("n", INT32_SCHEMA).build()
    schema = SchemaBuilder.struct().field("x", inner).build()
    xform = value_flatten()
    first = xform(Record("t", value_schema=schema, value=Struct(schema).put("x", Struct(inner).put("n", 1))))
    second = xform(Record("t", value_schema=schema, value=Struct(schema).put("x", Struct(inner).put("n", 2))))
    assert second.value_schema is first.value_schema
    assert second.value.get("x.n") == 2


def test_unsupported_types() -> None:
    map_schema = SchemaBuilder.struct().field("m", SchemaBuilder.map(STRING_SCHEMA, STRING_SCHEMA).build()).build()
    with pytest.raises(DataException, match=r"^Flatten transformation does not support MAP for record with schemas "
                                            r"\(for field m\)\.$"):
        value_flatten()(Record("t", value_schema=map_schema, value=Struct(map_schema).put("m", {})))
    with pytest.raises(DataException, match=r"^Flatten transformation does not support Struct for record without "
                                            r"schemas \(for field a.s\)\.$"):
        value_flatten()(Record("t", value={"a": {"s": Struct(map_schema)}}))
    with pytest.raises(DataException, match="^Flatten transformation was passed a value of type Decimal which is "
                                            "not supported by Connect's data API$"):
        value_flatten()(Record("t", value={"d": Decimal(1)}))


def test_pickle_and_names() -> None:
    xform = pickle.loads(pickle.dumps(Flatten.value(delimiter="__")))
    assert xform(Record("t", value={"a": {"b": 1}})).value == {"a__b": 1}
    assert TRANSFORMS == {"Flatten$Key": FlattenKey, "Flatten$Value": FlattenValue}
