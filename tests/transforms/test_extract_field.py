"""ExtractField, after Kafka's ExtractFieldTest, FieldPathNotationTest and SingleFieldPathTest."""

from __future__ import annotations

import pickle

import pytest

from pyconnect_flow.config.definition import ConfigException
from pyconnect_flow.data import INT32_SCHEMA, STRING_SCHEMA, DataException, SchemaBuilder, Struct
from pyconnect_flow.record import Record
from pyconnect_flow.transforms.extract_field import (
    TRANSFORMS,
    ExtractField,
    ExtractFieldKey,
    ExtractFieldValue,
    FieldPath,
    FieldPathError,
)

V2 = {"field.syntax.version": "V2"}


def test_schemaless() -> None:
    out = ExtractFieldKey.from_config({"field": "magic"})(Record("test", partition=0, key={"magic": 42}))
    assert out.key_schema is None
    assert out.key == 42


def test_schemaless_and_nested_path() -> None:
    xform = ExtractFieldKey.from_config({**V2, "field": "magic.foo"})
    out = xform(Record("test", partition=0, key={"magic": {"foo": 42}}))
    assert out.key_schema is None
    assert out.key == 42


def test_null_schemaless() -> None:
    out = ExtractFieldKey.from_config({"field": "magic"})(Record("test", partition=0))
    assert out.key_schema is None and out.key is None


def test_with_schema() -> None:
    schema = SchemaBuilder.struct().field("magic", INT32_SCHEMA).build()
    out = ExtractFieldKey.from_config({"field": "magic"})(
        Record("test", partition=0, key_schema=schema, key=Struct(schema).put("magic", 42)))
    assert out.key_schema == INT32_SCHEMA
    assert out.key == 42


def test_with_schema_and_nested_path() -> None:
    foo = SchemaBuilder.struct().field("foo", INT32_SCHEMA).build()
    schema = SchemaBuilder.struct().field("magic", foo).build()
    key = Struct(schema).put("magic", Struct(foo).put("foo", 42))
    out = ExtractFieldKey.from_config({**V2, "field": "magic.foo"})(Record("test", key_schema=schema, key=key))
    assert out.key_schema == INT32_SCHEMA
    assert out.key == 42


def test_null_with_schema() -> None:
    schema = SchemaBuilder.struct().field("magic", INT32_SCHEMA).optional().build()
    out = ExtractFieldKey.from_config({"field": "magic"})(Record("test", key_schema=schema))
    assert out.key_schema == INT32_SCHEMA
    assert out.key is None


def test_non_existent_field_schemaless_should_return_null() -> None:
    out = ExtractFieldKey.from_config({"field": "nonexistent"})(Record("test", key={"magic": 42}))
    assert out.key_schema is None and out.key is None


def test_non_existent_nested_field_schemaless_should_return_null() -> None:
    xform = ExtractFieldKey.from_config({**V2, "field": "magic.nonexistent"})
    assert xform(Record("test", key={"magic": {"foo": 42}})).key is None


def test_non_existent_field_with_schema_should_fail() -> None:
    schema = SchemaBuilder.struct().field("magic", INT32_SCHEMA).build()
    xform = ExtractFieldKey.from_config({"field": "nonexistent"})
    with pytest.raises(ValueError, match="^Unknown field: nonexistent$"):
        xform(Record("test", key_schema=schema, key=Struct(schema).put("magic", 42)))


def test_non_existent_nested_field_with_schema_should_fail() -> None:
    foo = SchemaBuilder.struct().field("foo", INT32_SCHEMA).build()
    schema = SchemaBuilder.struct().field("magic", foo).build()
    key = Struct(schema).put("magic", Struct(foo).put("foo", 42))
    xform = ExtractFieldKey.from_config({**V2, "field": "magic.nonexistent"})
    with pytest.raises(ValueError, match="^Unknown field: magic.nonexistent$"):
        xform(Record("test", key_schema=schema, key=key))


@pytest.mark.parametrize(("replace_null_with_default", "expected"), [(False, None), (True, 42)])
@pytest.mark.parametrize("variant", [ExtractFieldKey, ExtractFieldValue])
def test_unset_optional_field(variant: type[ExtractField], replace_null_with_default: bool,
                              expected: int | None) -> None:
    xform = variant.from_config({"field": "optional_with_default",
                                 "replace.null.with.default": replace_null_with_default})
    schema = (SchemaBuilder.struct()
              .field("optional_with_default", SchemaBuilder.int32().optional().default_value(42).build()).build())
    value = Struct(schema).put("optional_with_default", None)
    part = "key" if variant is ExtractFieldKey else "value"
    out = xform(Record("test", partition=0, **{part: value, f"{part}_schema": schema}))
    assert getattr(out, part) == expected


def test_v1_takes_dotted_names_literally() -> None:
    xform = ExtractField.value(field="a.b")
    assert xform(Record("t", value={"a.b": 1, "a": {"b": 2}})).value == 1


def test_value_variant_keeps_the_key() -> None:
    out = ExtractField.value(field="id")(Record("t", key="k", value={"id": 5}))
    assert (out.key, out.value) == ("k", 5)


def test_wrong_types_are_data_errors() -> None:
    with pytest.raises(DataException, match=r"^Only Map objects supported in absence of schema for "
                                            r"\[field extraction\], found: int$"):
        ExtractField.value(field="a")(Record("t", value=5))
    schema = SchemaBuilder.struct().field("a", INT32_SCHEMA).build()
    with pytest.raises(DataException, match=r"^Only Struct objects supported for \[field extraction\], found: dict$"):
        ExtractField.value(field="a")(Record("t", value={"a": 1}, value_schema=schema))
    with pytest.raises(DataException, match="^Cannot look up fields on non-struct type$"):
        ExtractField.value(field="a")(Record("t", value=None, value_schema=STRING_SCHEMA))
    xform = ExtractField.value(field="a.b", field_syntax_version="v2")
    with pytest.raises(DataException, match=r"^Only Map objects supported in absence of schema for "
                                            r"\[nested field access\], found: int$"):
        xform(Record("t", value={"a": 1}))


# config -------------------------------------------------------------------------------

@pytest.mark.parametrize("version", ["v1", "v2", "V1", "V2"])
def test_syntax_version_is_case_insensitive(version: str) -> None:
    assert ExtractFieldValue.from_config({"field": "a", "field.syntax.version": version}).path.version == \
        version.upper()


@pytest.mark.parametrize("version", ["v3", "V 1", "v", "V 2", "2", "1"])
def test_wrong_syntax_version(version: str) -> None:
    with pytest.raises(ConfigException, match=r"field.syntax.version: String must be one of \(case insensitive\): "
                                              "V1, V2"):
        ExtractFieldValue.from_config({"field": "a", "field.syntax.version": version})


def test_field_is_required_and_bad_paths_are_config_errors() -> None:
    with pytest.raises(ConfigException, match="field: missing required key"):
        ExtractFieldValue.from_config({})
    with pytest.raises(ConfigException, match="Incomplete backtick pair in path"):
        ExtractFieldValue.from_config({**V2, "field": "`foo"})
    assert ExtractFieldValue.from_config({"field": "`foo"}).path.steps == ("`foo",)


# paths ----------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["foo.bar.baz", "foo`bar`", "foo.`bar.baz`"])
def test_v1_paths_are_one_step(path: str) -> None:
    assert FieldPath(path, "V1").steps == (path,)


@pytest.mark.parametrize(("path", "steps"), [
    ("..", ("", "", "")), ("foo..", ("foo", "", "")), (".bar.", ("", "bar", "")), ("..baz", ("", "", "baz")),
    ("", ()),
    ("foobarbaz", ("foobarbaz",)),
    ("foo.bar.baz", ("foo", "bar", "baz")),
    ("foo`bar`baz", ("foo`bar`baz",)),
    ("`foo.bar.baz`", ("foo.bar.baz",)), ("foo.`bar.baz`", ("foo", "bar.baz")),
    ("`foo.bar`.baz", ("foo.bar", "baz")), ("foo.`bar`.baz", ("foo", "bar", "baz")),
    ("foo.``bar.baz`", ("foo", "`bar.baz")), ("foo.`bar.baz``", ("foo", "bar.baz`")),
    ("foo.`ba`r.baz`", ("foo", "ba`r.baz")), ("foo.ba`r.baz", ("foo", "ba`r", "baz")),
    ("foo.``bar``.baz", ("foo", "`bar`", "baz")), ("``foo.bar.baz``", ("`foo.bar.baz`",)),
    ("foo.`bar\\`.baz`", ("foo", "bar`.baz")), ("foo.`bar.`baz`", ("foo", "bar.`baz")),
    ("foo.`bar\\`.`baz`", ("foo", "bar`.`baz")), ("foo.`bar\\\\`.\\`baz`", ("foo", "bar\\`.\\`baz")),
])
def test_v2_paths(path: str, steps: tuple[str, ...]) -> None:
    assert FieldPath(path, "V2").steps == steps


@pytest.mark.parametrize(("path", "position"), [
    ("`foo.bar.baz", 0), ("foo.`bar.baz", 4), ("foo.bar.`baz", 8), ("foo.bar.`baz\\`", 8),
])
def test_v2_incomplete_backticks(path: str, position: int) -> None:
    with pytest.raises(FieldPathError) as info:
        FieldPath(path, "V2")
    assert str(info.value) == (f"Incomplete backtick pair in path: [{path}], consider adding a backslash before "
                               f"backtick at position {position} to escape it")


def test_field_and_value_lookup() -> None:
    baz = SchemaBuilder.struct().field("inner", STRING_SCHEMA).optional().build()
    bar = SchemaBuilder.struct().field("bar", INT32_SCHEMA).field("baz", baz).build()
    schema = SchemaBuilder.struct().field("foo", bar).build()
    struct = Struct(schema).put("foo", Struct(bar).put("bar", 42).put("baz", None))
    mapping = {"foo": {"bar": 42, "baz": None}}
    assert FieldPath("foo.bar", "V2").field_from(schema) == bar.field("bar")
    assert FieldPath("foo", "V2").field_from(schema) == schema.field("foo")
    for missing in ("un.known", "foo.unknown", "unknown"):
        assert FieldPath(missing, "V2").field_from(schema) is None
        assert FieldPath(missing, "V2").value_from_struct(struct) is None
        assert FieldPath(missing, "V2").value_from_map(mapping) is None
    assert FieldPath("test", "V2").field_from(None) is None
    assert FieldPath("foo.bar", "V2").value_from_struct(struct) == 42
    assert FieldPath("foo.bar", "V2").value_from_map(mapping) == 42
    assert FieldPath("foo.baz", "V2").value_from_struct(struct) is None
    assert FieldPath("foo.baz.inner", "V2").value_from_struct(struct) is None
    assert FieldPath("foo.baz.inner", "V2").value_from_map(mapping) is None


def test_empty_v2_path_fails_when_used() -> None:
    xform = ExtractField.value(field="", field_syntax_version="V2")
    with pytest.raises(ValueError, match="Empty field path"):
        xform(Record("t", value={"": 1}))


def test_pickle_and_names() -> None:
    xform = pickle.loads(pickle.dumps(ExtractField.value(field="`a.b`.c", field_syntax_version="V2")))
    assert xform(Record("t", value={"a.b": {"c": 3}})).value == 3
    assert TRANSFORMS == {"ExtractField$Key": ExtractFieldKey, "ExtractField$Value": ExtractFieldValue}
