"""ReplaceField, after Kafka's ReplaceFieldTest (plus the pre-3.0 whitelist/blacklist names)."""

from __future__ import annotations

import pickle
from typing import Any

import pytest

from pyconnect_flow.config.definition import ConfigException
from pyconnect_flow.data import (
    BOOLEAN_SCHEMA,
    INT32_SCHEMA,
    STRING_SCHEMA,
    DataException,
    SchemaBuilder,
    SchemaBuilderException,
    Struct,
)
from pyconnect_flow.record import Record
from pyconnect_flow.transforms.replace_field import TRANSFORMS, ReplaceField, ReplaceFieldKey, ReplaceFieldValue

SCHEMA = (SchemaBuilder.struct().field("dont", STRING_SCHEMA).field("abc", INT32_SCHEMA)
          .field("foo", BOOLEAN_SCHEMA).field("etc", STRING_SCHEMA).build())
VALUE = {"dont": "whatever", "abc": 42, "foo": True, "etc": "etc"}


def struct_value() -> Struct:
    return Struct(SCHEMA, VALUE)


def test_tombstone_schemaless() -> None:
    xform = ReplaceFieldValue.from_config({"include": "abc,foo", "renames": "abc:xyz,foo:bar"})
    out = xform(Record("test", partition=0))
    assert out.value is None and out.value_schema is None


def test_tombstone_with_schema() -> None:
    xform = ReplaceFieldValue.from_config({"include": "abc,foo", "renames": "abc:xyz,foo:bar"})
    out = xform(Record("test", partition=0, value_schema=SCHEMA))
    assert out.value is None and out.value_schema == SCHEMA


def test_schemaless() -> None:
    xform = ReplaceFieldValue.from_config({"exclude": "dont", "renames": "abc:xyz,foo:bar"})
    out = xform(Record("test", partition=0, value=dict(VALUE)))
    assert out.value == {"xyz": 42, "bar": True, "etc": "etc"}


def test_with_schema() -> None:
    xform = ReplaceFieldValue.from_config({"include": "abc,foo", "renames": "abc:xyz,foo:bar"})
    out = xform(Record("test", partition=0, value_schema=SCHEMA, value=struct_value()))
    assert [f.name for f in out.value.schema.fields] == ["xyz", "bar"]
    assert out.value.get("xyz") == 42
    assert out.value.get("bar") is True
    assert out.value_schema is out.value.schema
    assert out.value_schema.field("xyz").schema == INT32_SCHEMA


def test_exclude_wins_over_include() -> None:
    xform = ReplaceField.value(include=["abc", "foo"], exclude=["foo"])
    assert xform(Record("t", value=dict(VALUE))).value == {"abc": 42}
    out = xform(Record("t", value_schema=SCHEMA, value=struct_value()))
    assert [f.name for f in out.value_schema.fields] == ["abc"]


def test_schema_basics_are_kept_and_schema_cached() -> None:
    schema = SchemaBuilder.struct().name("n").version(3).doc("d").field("a", INT32_SCHEMA).build()
    xform = ReplaceField.value(renames={"a": "b"})
    first = xform(Record("t", value_schema=schema, value=Struct(schema).put("a", 1)))
    assert (first.value_schema.name, first.value_schema.version, first.value_schema.doc) == ("n", 3, "d")
    second = xform(Record("t", value_schema=schema, value=Struct(schema).put("a", 2)))
    assert second.value_schema is first.value_schema


@pytest.mark.parametrize(("replace_null_with_default", "expected"), [(False, None), (True, 42)])
@pytest.mark.parametrize("variant", [ReplaceFieldKey, ReplaceFieldValue])
def test_replace_null_with_default(variant: type[ReplaceField], replace_null_with_default: bool,
                                   expected: int | None) -> None:
    xform = variant.from_config({"include": "abc", "renames": "abc:optional_with_default",
                                 "replace.null.with.default": str(replace_null_with_default).lower()})
    schema = SchemaBuilder.struct().field("abc", SchemaBuilder.int32().optional().default_value(42).build()).build()
    value = Struct(schema).put("abc", None)
    part = "key" if variant is ReplaceFieldKey else "value"
    out = xform(Record("test", partition=0, **{part: value, f"{part}_schema": schema}))
    updated = getattr(out, part)
    assert len(updated.schema.fields) == 1
    assert updated.get_without_default("optional_with_default") == expected


def test_key_schemaless() -> None:
    out = ReplaceField.key(exclude="dont")(Record("t", key=dict(VALUE), value="v"))
    assert out.key == {"abc": 42, "foo": True, "etc": "etc"}
    assert out.value == "v"


def test_deprecated_whitelist_and_blacklist_names() -> None:
    xform = ReplaceFieldValue.from_config({"whitelist": "abc,foo", "renames": "abc:xyz,foo:bar"})
    assert xform(Record("t", value=dict(VALUE))).value == {"xyz": 42, "bar": True}
    xform = ReplaceFieldValue.from_config({"blacklist": "dont", "renames": "abc:xyz,foo:bar"})
    assert xform(Record("t", value=dict(VALUE))).value == {"xyz": 42, "bar": True, "etc": "etc"}
    # the current name wins when both are given
    xform = ReplaceFieldValue.from_config({"include": "abc", "whitelist": "foo"})
    assert xform(Record("t", value=dict(VALUE))).value == {"abc": 42}
    assert ReplaceField.value(blacklist=["dont"]).exclude == frozenset({"dont"})


@pytest.mark.parametrize("renames", ["abc", "abc:xyz:extra", "abc:", ":"])
def test_invalid_rename_mapping(renames: str) -> None:
    with pytest.raises(ConfigException, match="Invalid rename mapping: "):
        ReplaceFieldValue.from_config({"renames": renames})


def test_rename_to_an_existing_field_fails_with_schema() -> None:
    xform = ReplaceField.value(renames={"abc": "foo"})
    with pytest.raises(SchemaBuilderException, match="duplication"):
        xform(Record("t", value_schema=SCHEMA, value=struct_value()))


def _line_part(*fields: tuple[str, object, Any]) -> Struct:
    builder = SchemaBuilder.struct()
    for name, schema, _ in fields:
        builder.field(name, schema)
    struct = Struct(builder.build())
    for name, _, value in fields:
        struct.put(name, value)
    return struct


def test_struct_fields_are_read_through_the_reverse_rename_as_kafka() -> None:
    """Kafka's applyWithSchema fills each new field from `value.get(reverseRenamed(name))` (checked by
    running Kafka Connect 4.3.1's ReplaceField$Value): a rename onto a kept field reads the renamed one."""
    xform = ReplaceField.value(include=["part"], renames={"line": "part"})
    # `part` kept, but filled from the absent `line`: Kafka's Struct.get fails
    only_part = _line_part(("part", STRING_SCHEMA, "P"))
    with pytest.raises(DataException, match=r"^line is not a valid field name$"):
        xform(Record("t", value_schema=only_part.schema, value=only_part))
    schemaless = xform(Record("t", value={"part": "P"}))  # schemaless maps have no reverse lookup
    assert schemaless.value == {"part": "P"}
    # both present, `line` dropped by include: `part` gets line's value (Kafka: Struct{part=L})
    both = _line_part(("line", STRING_SCHEMA, "L"), ("part", STRING_SCHEMA, "P"))
    out = xform(Record("t", value_schema=both.schema, value=both))
    assert [f.name for f in out.value_schema.fields] == ["part"] and out.value.get("part") == "L"
    # ... checked against part's schema as Kafka's Struct.put checks it (Kafka names the Java class,
    # class java.lang.Integer, where we name the Python type)
    mixed = _line_part(("line", INT32_SCHEMA, 5), ("part", STRING_SCHEMA, "P"))
    with pytest.raises(DataException, match=r'^Invalid Java object for schema with type STRING: int for field: "part"$'):
        xform(Record("t", value_schema=mixed.schema, value=mixed))


def test_two_renames_onto_one_name_read_the_last_in_hashmap_order() -> None:
    """Kafka's `invert(renames)` keeps, for a target name, the old name last in the renames HashMap's order
    (a, b): with `a:x,b:x` the new `x` reads `b` whichever of a and b was kept (Kafka: Struct{x=B} twice)."""
    ab = _line_part(("a", STRING_SCHEMA, "A"), ("b", STRING_SCHEMA, "B"))
    for exclude in ("a", "b"):
        xform = ReplaceFieldValue.from_config({"exclude": exclude, "renames": "a:x,b:x"})
        out = xform(Record("t", value_schema=ab.schema, value=ab))
        assert out.value.get("x") == "B"
    swapped = ReplaceFieldValue.from_config({"renames": "a:b,b:a"})(Record("t", value_schema=ab.schema, value=ab))
    assert [(f.name, swapped.value.get(f.name)) for f in swapped.value_schema.fields] == [("b", "A"), ("a", "B")]


def test_non_map_and_non_struct_values_are_errors() -> None:
    xform = ReplaceField.value(exclude="a")
    with pytest.raises(DataException, match=r"^Only Map objects supported in absence of schema for "
                                            r"\[field replacement\], found: list$"):
        xform(Record("t", value=[1]))
    with pytest.raises(DataException, match=r"^Only Struct objects supported for \[field replacement\], found: dict$"):
        xform(Record("t", value={"a": 1}, value_schema=SCHEMA))


def test_nothing_configured_keeps_everything() -> None:
    out = ReplaceFieldValue.from_config({})(Record("t", value_schema=SCHEMA, value=struct_value()))
    assert out.value == struct_value()


def test_pickle_and_names() -> None:
    xform = pickle.loads(pickle.dumps(ReplaceField.value(renames="abc:xyz")))
    assert xform(Record("t", value={"abc": 1})).value == {"xyz": 1}
    assert TRANSFORMS == {"ReplaceField$Key": ReplaceFieldKey, "ReplaceField$Value": ReplaceFieldValue}
