"""InsertField, after Kafka's InsertFieldTest (plus the key variant, offsets and config errors)."""

from __future__ import annotations

import pickle

import pytest
from vectors import assert_same

from pyconnect_flow.config.definition import ConfigException
from pyconnect_flow.data import (
    INT32_SCHEMA,
    OPTIONAL_INT32_SCHEMA,
    OPTIONAL_INT64_SCHEMA,
    OPTIONAL_STRING_SCHEMA,
    STRING_SCHEMA,
    DataException,
    SchemaBuilder,
    SchemaBuilderException,
    Struct,
    logical,
)
from pyconnect_flow.record import Record
from pyconnect_flow.transforms.insert_field import TRANSFORMS, InsertField, InsertFieldKey, InsertFieldValue

PROPS = {
    "topic.field": "topic_field!",
    "partition.field": "partition_field",
    "timestamp.field": "timestamp_field?",
    "static.field": "instance_id",
    "static.value": "my-instance-id",
}
SIMPLE = (SchemaBuilder.struct().name("name").version(1).doc("doc")
          .field("magic", OPTIONAL_INT64_SCHEMA).build())


def test_top_level_struct_required() -> None:
    xform = InsertFieldValue.from_config({"topic.field": "topic_field"})
    with pytest.raises(DataException, match=r"^Only Struct objects supported for \[field insertion\], found: int$"):
        xform(Record("", value=42, value_schema=INT32_SCHEMA, partition=0))


def test_top_level_map_required_without_schema() -> None:
    xform = InsertField.value(topic_field="t")
    with pytest.raises(DataException,
                       match=r"^Only Map objects supported in absence of schema for \[field insertion\], found: str$"):
        xform(Record("", value="text"))


def test_copy_schema_and_insert_configured_fields() -> None:
    xform = InsertFieldValue.from_config(PROPS)
    record = Record("test", partition=0, value_schema=SIMPLE, value=Struct(SIMPLE).put("magic", 42), timestamp=789)
    out = xform(record)
    schema = out.value_schema
    assert (schema.name, schema.version, schema.doc) == ("name", 1, "doc")
    assert schema.field("magic").schema == OPTIONAL_INT64_SCHEMA
    assert out.value.get("magic") == 42
    assert schema.field("topic_field").schema == STRING_SCHEMA
    assert out.value.get("topic_field") == "test"
    assert schema.field("partition_field").schema == OPTIONAL_INT32_SCHEMA
    assert out.value.get("partition_field") == 0
    assert schema.field("timestamp_field").schema == logical.OPTIONAL_TIMESTAMP_SCHEMA
    assert logical.timestamp_to_millis(out.value.get("timestamp_field")) == 789
    assert schema.field("instance_id").schema == OPTIONAL_STRING_SCHEMA
    assert out.value.get("instance_id") == "my-instance-id"
    assert [f.name for f in schema.fields] == ["magic", "topic_field", "partition_field", "timestamp_field",
                                                "instance_id"]
    # the updated schema is cached: the same object for the next record of that schema
    again = xform(Record("test", partition=1, value_schema=SIMPLE, value=Struct(SIMPLE)))
    assert again.value_schema is out.value_schema


def test_schema_cache_is_keyed_by_equal_schemas() -> None:
    xform = InsertFieldValue.from_config(PROPS)
    twin = SchemaBuilder.struct().name("name").version(1).doc("doc").field("magic", OPTIONAL_INT64_SCHEMA).build()
    first = xform(Record("t", value_schema=SIMPLE, value=Struct(SIMPLE)))
    second = xform(Record("t", value_schema=twin, value=Struct(twin)))
    assert second.value_schema is first.value_schema


def test_schemaless_insert_configured_fields() -> None:
    xform = InsertFieldValue.from_config(PROPS)
    out = xform(Record("test", partition=0, value={"magic": 42}, timestamp=123))
    assert_same(out.value, {"magic": 42, "topic_field": "test", "partition_field": 0, "timestamp_field": 123,
                            "instance_id": "my-instance-id"})
    assert out.value_schema is None


def test_schemaless_input_map_is_not_modified() -> None:
    value = {"magic": 42}
    InsertField.value(**{"topic.field": "t"})(Record("test", value=value))
    assert value == {"magic": 42}


def test_tombstone_without_schema_is_unchanged() -> None:
    record = Record("test", partition=0)
    assert InsertFieldValue.from_config(PROPS)(record) is record


def test_tombstone_with_schema_is_unchanged() -> None:
    record = Record("test", partition=0, value_schema=SIMPLE)
    out = InsertFieldValue.from_config(PROPS)(record)
    assert out.value is None
    assert out.value_schema == SIMPLE


def test_insert_key_fields_into_tombstone_event() -> None:
    out = InsertFieldKey.from_config(PROPS)(Record("test", partition=0, key={"magic": 42}))
    assert_same(out.key, {"magic": 42, "topic_field": "test", "partition_field": 0, "instance_id": "my-instance-id"})
    assert out.value is None


def test_insert_into_null_key_leaves_record_unchanged() -> None:
    record = Record("test", partition=0, value={"magic": 42})
    assert InsertFieldKey.from_config(PROPS)(record) is record


def test_key_with_schema() -> None:
    out = InsertField.key(topic_field="topic")(Record("t1", key_schema=SIMPLE, key=Struct(SIMPLE).put("magic", 1),
                                                      value="v"))
    assert out.key.get("topic") == "t1"
    assert out.key_schema.field("topic").schema == OPTIONAL_STRING_SCHEMA
    assert out.value == "v"


@pytest.mark.parametrize(("replace_null_with_default", "expected"), [(False, None), (True, 42)])
def test_unset_optional_field(replace_null_with_default: bool, expected: int | None) -> None:
    xform = InsertFieldValue.from_config({**PROPS, "replace.null.with.default": replace_null_with_default})
    magic = SchemaBuilder.int64().optional().default_value(42).build()
    schema = SchemaBuilder.struct().name("name").version(1).doc("doc").field("magic_with_default", magic).build()
    out = xform(Record("test", partition=0, value_schema=schema,
                       value=Struct(schema).put("magic_with_default", None), timestamp=789))
    assert (out.value_schema.name, out.value_schema.version, out.value_schema.doc) == ("name", 1, "doc")
    assert out.value_schema.field("magic_with_default").schema == magic
    assert out.value.get_without_default("magic_with_default") == expected


def test_offset_field_needs_a_sink_record() -> None:
    xform = InsertField.value(offset_field="off!")
    out = xform(Record("t", value={}, offset=7))
    assert out.value == {"off": 7}
    schema = SchemaBuilder.struct().field("a", INT32_SCHEMA).build()
    out = xform(Record("t", value_schema=schema, value=Struct(schema).put("a", 1), offset=8))
    assert out.value.get("off") == 8
    assert out.value_schema.field("off").schema == SchemaBuilder.int64().build()
    with pytest.raises(DataException, match=r"^Only SinkRecord supported for \[field insertion\]"):
        xform(Record("t", value={}))


def test_missing_partition_and_timestamp_are_not_inserted() -> None:
    xform = InsertField.value(partition_field="p", timestamp_field="ts")
    assert xform(Record("t", value={"a": 1})).value == {"a": 1}


def test_inserting_an_existing_field_name_with_schema_fails() -> None:
    schema = SchemaBuilder.struct().field("topic", STRING_SCHEMA).build()
    with pytest.raises(SchemaBuilderException, match="duplication"):
        InsertField.value(topic_field="topic")(Record("t", value_schema=schema, value=Struct(schema).put("topic", "x")))


def test_no_field_configured_is_a_config_error() -> None:
    with pytest.raises(ConfigException, match="No field insertion configured"):
        InsertFieldValue.from_config({})
    assert [i.message for i in InsertFieldValue.check_config({"static.value": "x"}, prefix="transforms.a.")] == [
        "No field insertion configured"]


def test_static_field_needs_static_value() -> None:
    issues = InsertFieldValue.check_config({"static.field": "s!"})
    assert [(i.key, i.message) for i in issues] == [("static.value", "No value specified for static field: s")]


def test_bad_replace_null_with_default_is_a_config_error() -> None:
    with pytest.raises(ConfigException, match="replace.null.with.default"):
        InsertFieldValue.from_config({"topic.field": "t", "replace.null.with.default": "maybe"})


def test_pythonic_constructors_and_pickling() -> None:
    xform = InsertField.value(static_field="source", static_value="file")
    assert isinstance(xform, InsertFieldValue)
    assert isinstance(InsertField.key(topic_field="t"), InsertFieldKey)
    copy = pickle.loads(pickle.dumps(xform))
    assert copy(Record("t", value={})).value == {"source": "file"}
    with pytest.raises(TypeError, match="unexpected keyword argument 'statik_field'"):
        InsertField.value(statik_field="x")
    with pytest.raises(TypeError, match="abstract"):
        InsertField(topic_field="t")


def test_schema_pickles_with_a_warm_cache() -> None:
    xform = InsertFieldValue.from_config(PROPS)
    xform(Record("t", value_schema=SIMPLE, value=Struct(SIMPLE)))
    copy = pickle.loads(pickle.dumps(xform))
    out = copy(Record("t", partition=2, value_schema=SIMPLE, value=Struct(SIMPLE).put("magic", 5)))
    assert out.value.get("partition_field") == 2


def test_transforms_names() -> None:
    assert TRANSFORMS == {"InsertField$Key": InsertFieldKey, "InsertField$Value": InsertFieldValue}
    assert InsertField.Key is InsertFieldKey and InsertField.Value is InsertFieldValue
    assert (InsertFieldKey.TARGET, InsertFieldValue.TARGET) == ("key", "value")
