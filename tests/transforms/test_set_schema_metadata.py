"""SetSchemaMetadata, after Kafka's SetSchemaMetadataTest."""

from __future__ import annotations

import pickle

import pytest

from pyconnect_flow.config.definition import ConfigException
from pyconnect_flow.data import INT32_SCHEMA, STRING_SCHEMA, DataException, Schema, SchemaBuilder, Struct
from pyconnect_flow.record import Record
from pyconnect_flow.transforms.set_schema_metadata import (
    TRANSFORMS,
    SetSchemaMetadata,
    SetSchemaMetadataKey,
    SetSchemaMetadataValue,
)

EMPTY = SchemaBuilder.struct().build()


def xform(**props: object) -> SetSchemaMetadataValue:
    return SetSchemaMetadataValue.from_config(props)


def assert_matching_schema(value: Struct, schema: Schema) -> None:
    assert value.schema is schema
    for f in schema.fields:
        assert value.schema.field(f.name) is f


def test_schema_name_update() -> None:
    out = xform(**{"schema.name": "foo"})(Record("", partition=0, value_schema=EMPTY, offset=0))
    assert out.value_schema.name == "foo"


def test_schema_version_update() -> None:
    out = xform(**{"schema.version": 42})(Record("", partition=0, value_schema=EMPTY))
    assert out.value_schema.version == 42


def test_schema_name_and_version_update() -> None:
    out = xform(**{"schema.name": "foo", "schema.version": "42"})(Record("", partition=0, value_schema=EMPTY))
    assert (out.value_schema.name, out.value_schema.version) == ("foo", 42)


def test_schema_name_and_version_update_with_struct() -> None:
    schema = (SchemaBuilder.struct().name("my.orig.SchemaDefn")
              .field("f1", STRING_SCHEMA).field("f2", INT32_SCHEMA).build())
    value = Struct(schema).put("f1", "value1").put("f2", 1)
    out = xform(**{"schema.name": "foo", "schema.version": "42"})(Record("", value_schema=schema, value=value))
    assert (out.value_schema.name, out.value_schema.version) == ("foo", 42)
    assert_matching_schema(out.value, out.value_schema)
    assert (out.value.get("f1"), out.value.get("f2")) == ("value1", 1)
    assert schema.name == "my.orig.SchemaDefn"  # the input schema is not changed


@pytest.mark.parametrize(("replace_null_with_default", "expected"), [(False, None), (True, "default")])
def test_schema_name_and_version_update_with_struct_and_null_field(replace_null_with_default: bool,
                                                                     expected: str | None) -> None:
    schema = (SchemaBuilder.struct().name("my.orig.SchemaDefn")
              .field("f1", SchemaBuilder.string().default_value("default").optional().build())
              .field("f2", INT32_SCHEMA).build())
    value = Struct(schema).put("f1", None).put("f2", 1)
    out = xform(**{"schema.name": "foo", "schema.version": "42",
                   "replace.null.with.default": replace_null_with_default})(
        Record("", value_schema=schema, value=value))
    assert (out.value_schema.name, out.value_schema.version) == ("foo", 42)
    assert_matching_schema(out.value, out.value_schema)
    assert out.value.get_without_default("f1") == expected


def test_value_schema_required() -> None:
    with pytest.raises(DataException, match=r"^Schema required for \[updating schema metadata\]$"):
        xform(**{"schema.name": "foo"})(Record("", partition=0, value=42))


def test_ignore_record_with_null_value() -> None:
    record = Record("", partition=0)
    out = xform(**{"schema.name": "foo"})(record)
    assert out is record


def test_update_schema_of_struct() -> None:
    schema = (SchemaBuilder.struct().name("my.orig.SchemaDefn")
              .field("f1", STRING_SCHEMA).field("f2", INT32_SCHEMA).build())
    value = Struct(schema).put("f1", "value1").put("f2", 1)
    new_schema = (SchemaBuilder.struct().name("my.updated.SchemaDefn")
                  .field("f1", STRING_SCHEMA).field("f2", INT32_SCHEMA).build())
    assert_matching_schema(xform(**{"schema.name": "x"}).update_schema_in(value, new_schema), new_schema)


def test_update_schema_of_non_struct_and_null() -> None:
    t = xform(**{"schema.name": "x"})
    value = object()
    assert t.update_schema_in(value, INT32_SCHEMA) is value
    assert t.update_schema_in(None, INT32_SCHEMA) is None


def test_non_struct_schemas_fail_as_in_kafka() -> None:
    # Kafka builds the new schema with schema.fields(), which throws for any non-STRUCT schema
    with pytest.raises(DataException, match="^Cannot list fields on non-struct type$"):
        xform(**{"schema.name": "foo"})(Record("", value_schema=INT32_SCHEMA, value=42))


def test_key_variant_keeps_everything_else() -> None:
    schema = SchemaBuilder.struct().name("a").version(1).doc("d").optional().field("x", INT32_SCHEMA).build()
    out = SetSchemaMetadata.key(schema_version=7)(Record("t", key_schema=schema, key=Struct(schema).put("x", 1),
                                                         value="v"))
    s = out.key_schema
    assert (s.name, s.version, s.doc, s.optional, s.fields) == ("a", 7, "d", True, schema.fields)
    assert out.key.get("x") == 1 and out.value == "v"


def test_neither_name_nor_version_is_a_config_error() -> None:
    with pytest.raises(ConfigException, match="Neither schema name nor version configured"):
        SetSchemaMetadataValue.from_config({})
    with pytest.raises(ConfigException, match="schema.version: expected an integer"):
        SetSchemaMetadataValue.from_config({"schema.version": "x"})


def test_pickle_and_names() -> None:
    t = pickle.loads(pickle.dumps(SetSchemaMetadata.value(schema_name="n")))
    assert t(Record("", value_schema=EMPTY)).value_schema.name == "n"
    assert TRANSFORMS == {"SetSchemaMetadata$Key": SetSchemaMetadataKey,
                          "SetSchemaMetadata$Value": SetSchemaMetadataValue}
