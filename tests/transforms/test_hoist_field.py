"""HoistField, after Kafka's HoistFieldTest."""

from __future__ import annotations

import pickle

import pytest

from pyconnect_flow.config.definition import ConfigException
from pyconnect_flow.data import INT32_SCHEMA, OPTIONAL_INT32_SCHEMA, DataException, SchemaBuilder, Type
from pyconnect_flow.record import Record
from pyconnect_flow.transforms.hoist_field import TRANSFORMS, HoistField, HoistFieldKey, HoistFieldValue


def test_schemaless() -> None:
    out = HoistFieldKey.from_config({"field": "magic"})(Record("test", partition=0, key=42))
    assert out.key_schema is None
    assert out.key == {"magic": 42}


def test_with_schema() -> None:
    record = Record("test", partition=0, key_schema=INT32_SCHEMA, key=42)
    out = HoistFieldKey.from_config({"field": "magic"})(record)
    assert out.key_schema.type is Type.STRUCT
    assert out.key_schema.field("magic").schema == record.key_schema
    assert out.key.get("magic") == 42


def test_schemaless_map_is_mutable() -> None:
    out = HoistFieldKey.from_config({"field": "magic"})(Record("test", partition=0, key=420))
    out.key["k"] = "v"
    assert out.key == {"k": "v", "magic": 420}


def test_null_values_are_wrapped() -> None:
    assert HoistField.value(field="f")(Record("t")).value == {"f": None}
    out = HoistField.value(field="f")(Record("t", value_schema=OPTIONAL_INT32_SCHEMA))
    assert out.value.get("f") is None
    assert out.value_schema == SchemaBuilder.struct().field("f", OPTIONAL_INT32_SCHEMA).build()
    with pytest.raises(DataException, match="null used for required field"):
        HoistField.value(field="f")(Record("t", value_schema=INT32_SCHEMA))


def test_value_variant_and_cache() -> None:
    xform = HoistField.value(field="wrapped")
    first = xform(Record("t", key="k", value_schema=INT32_SCHEMA, value=1))
    second = xform(Record("t", key="k", value_schema=INT32_SCHEMA, value=2))
    assert second.value_schema is first.value_schema
    assert (second.key, second.value.get("wrapped")) == ("k", 2)


def test_field_is_required() -> None:
    with pytest.raises(ConfigException, match="field: missing required key"):
        HoistFieldValue.from_config({})


def test_pickle_and_names() -> None:
    xform = pickle.loads(pickle.dumps(HoistField.key(field="id")))
    assert xform(Record("t", key=7)).key == {"id": 7}
    assert TRANSFORMS == {"HoistField$Key": HoistFieldKey, "HoistField$Value": HoistFieldValue}
