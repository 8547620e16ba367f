"""ValueToKey, after Kafka's ValueToKeyTest."""

from __future__ import annotations

import pickle

import pytest

from pyconnect_flow.config.definition import ConfigException
from pyconnect_flow.data import INT32_SCHEMA, DataException, SchemaBuilder, Struct
from pyconnect_flow.record import Record
from pyconnect_flow.transforms.value_to_key import TRANSFORMS, ValueToKey


def test_schemaless() -> None:
    xform = ValueToKey.from_config({"fields": "a,b"})
    out = xform(Record("", partition=0, value={"a": 1, "b": 2, "c": 3}, offset=0))
    assert out.key_schema is None
    assert out.key == {"a": 1, "b": 2}
    assert out.value == {"a": 1, "b": 2, "c": 3}


def test_with_schema() -> None:
    xform = ValueToKey.from_config({"fields": "a,b"})
    schema = SchemaBuilder.struct().field("a", INT32_SCHEMA).field("b", INT32_SCHEMA).field("c", INT32_SCHEMA).build()
    value = Struct(schema, {"a": 1, "b": 2, "c": 3})
    out = xform(Record("", partition=0, value_schema=schema, value=value))
    expected_schema = SchemaBuilder.struct().field("a", INT32_SCHEMA).field("b", INT32_SCHEMA).build()
    assert out.key_schema == expected_schema
    assert out.key == Struct(expected_schema, {"a": 1, "b": 2})
    assert out.value is value and out.value_schema is schema


def test_non_existing_field() -> None:
    schema = SchemaBuilder.struct().field("a", INT32_SCHEMA).build()
    xform = ValueToKey.from_config({"fields": "not_exist"})
    with pytest.raises(DataException) as info:
        xform(Record("", value_schema=schema, value=Struct(schema).put("a", 1)))
    assert str(info.value) == "Field does not exist: not_exist"


def test_schemaless_missing_field_gives_null() -> None:
    assert ValueToKey(fields=["a", "z"])(Record("", value={"a": 1})).key == {"a": 1, "z": None}


@pytest.mark.parametrize(("replace_null_with_default", "expected"), [(False, None), (True, 42)])
def test_replace_null_with_default_config(replace_null_with_default: bool, expected: int | None) -> None:
    xform = ValueToKey.from_config({"fields": "optional_with_default",
                                    "replace.null.with.default": replace_null_with_default})
    schema = (SchemaBuilder.struct()
              .field("optional_with_default", SchemaBuilder.int32().optional().default_value(42).build()).build())
    out = xform(Record("", value_schema=schema, value=Struct(schema).put("optional_with_default", None)))
    assert out.key.get_without_default("optional_with_default") == expected


def test_wrong_values() -> None:
    with pytest.raises(DataException, match=r"^Only Map objects supported in absence of schema for "
                                            r"\[copying fields from value to key\], found: null$"):
        ValueToKey(fields="a")(Record(""))
    schema = SchemaBuilder.struct().field("a", INT32_SCHEMA).build()
    with pytest.raises(DataException, match=r"^Only Struct objects supported for \[copying fields from value to key\]"):
        ValueToKey(fields="a")(Record("", value_schema=schema))


def test_fields_must_be_a_non_empty_list() -> None:
    with pytest.raises(ConfigException, match="fields: Empty list"):
        ValueToKey.from_config({"fields": ""})
    with pytest.raises(ConfigException, match="fields: missing required key"):
        ValueToKey.from_config({})


def test_key_schema_is_cached_and_pickles() -> None:
    schema = SchemaBuilder.struct().field("a", INT32_SCHEMA).build()
    xform = ValueToKey(fields=["a"])
    first = xform(Record("", value_schema=schema, value=Struct(schema).put("a", 1)))
    second = xform(Record("", value_schema=schema, value=Struct(schema).put("a", 2)))
    assert second.key_schema is first.key_schema
    copy = pickle.loads(pickle.dumps(xform))
    assert copy(Record("", value_schema=schema, value=Struct(schema).put("a", 3))).key.get("a") == 3
    assert TRANSFORMS == {"ValueToKey": ValueToKey}
