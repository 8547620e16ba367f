"""HeaderFrom$Key / $Value, modelled on Kafka's `HeaderFromTest` (the same cases, schemaless and with schema)."""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from typing import Any

import pytest

from pyconnect_flow.config.definition import ConfigException
from pyconnect_flow.data import OPTIONAL_INT32_SCHEMA as OPTIONAL_INT32
from pyconnect_flow.data import STRING_SCHEMA, DataException, Schema, SchemaBuilder, Struct
from pyconnect_flow.record import Record, SchemaHeader
from pyconnect_flow.transforms import HeaderFrom
from pyconnect_flow.transforms.header_from import TRANSFORMS, HeaderFromKey, HeaderFromValue

OPTIONAL_WITH_DEFAULT = SchemaBuilder.string().default_value("default").optional().build()
NESTED = SchemaBuilder.struct().field("foo", STRING_SCHEMA).build()
NESTED_VALUE = Struct(NESTED).put("foo", "foo-value")


@dataclass
class Builder:
    """A key or value with fields and the record's headers (Kafka test's `RecordBuilder`)."""

    fields: list[tuple[str, Schema, Any]] = field(default_factory=list)
    headers: list[tuple[str, Any]] = field(default_factory=list)

    def with_field(self, name: str, schema: Schema, value: Any) -> Builder:
        self.fields.append((name, schema, value))
        return self

    def add_header(self, name: str, value: Any) -> Builder:
        self.headers.append((name, value))
        return self

    def _record(self, key_transform: bool, schema: Schema | None, value: Any) -> Record:
        return Record("topic", partition=0, timestamp=0, headers=tuple(self.headers),
                      source_partition={"foo": "bar"}, source_offset={"baz": "quxx"},
                      key=value if key_transform else "key", key_schema=schema if key_transform else None,
                      value=value if not key_transform else "value",
                      value_schema=schema if not key_transform else None)

    def schemaless(self, key_transform: bool) -> Record:
        return self._record(key_transform, None, {name: value for name, _, value in self.fields})

    def with_schema(self, key_transform: bool) -> Record:
        builder = SchemaBuilder.struct()
        for name, schema, _ in self.fields:
            builder.field(name, schema)
        schema = builder.build()
        struct = Struct(schema)
        for name, _, value in self.fields:
            struct.put(name, value)
        return self._record(key_transform, schema, struct)


def cases() -> list[Any]:
    s = STRING_SCHEMA
    out = []
    for key_transform in (True, False):
        def case(name: str, original: Builder, fields: list[str], headers: list[str], operation: str,
                 replace_null: bool, expected: Builder, key_transform: bool = key_transform) -> Any:
            return pytest.param(key_transform, original, fields, headers, operation, replace_null, expected,
                                id=f"{name}-{'key' if key_transform else 'value'}")

        out += [
            case("basic copy",
                 Builder().with_field("field1", s, "field1-value").with_field("field2", s, "field2-value")
                 .add_header("header1", "existing-value"), ["field1"], ["inserted1"], "copy", True,
                 Builder().with_field("field1", s, "field1-value").with_field("field2", s, "field2-value")
                 .add_header("header1", "existing-value").add_header("inserted1", "field1-value")),
            case("basic move",
                 Builder().with_field("field1", s, "field1-value").with_field("field2", s, "field2-value")
                 .add_header("header1", "existing-value"), ["field1"], ["inserted1"], "move", True,
                 Builder().with_field("field2", s, "field2-value")
                 .add_header("header1", "existing-value").add_header("inserted1", "field1-value")),
            case("copy with preexisting header",
                 Builder().with_field("field1", s, "field1-value").with_field("field2", s, "field2-value")
                 .add_header("inserted1", "existing-value"), ["field1"], ["inserted1"], "copy", True,
                 Builder().with_field("field1", s, "field1-value").with_field("field2", s, "field2-value")
                 .add_header("inserted1", "existing-value").add_header("inserted1", "field1-value")),
            case("move with preexisting header",
                 Builder().with_field("field1", s, "field1-value").with_field("field2", s, "field2-value")
                 .add_header("inserted1", "existing-value"), ["field1"], ["inserted1"], "move", True,
                 Builder().with_field("field2", s, "field2-value")
                 .add_header("inserted1", "existing-value").add_header("inserted1", "field1-value")),
            case("copy with struct value",
                 Builder().with_field("field1", NESTED, NESTED_VALUE).with_field("field2", s, "field2-value")
                 .add_header("header1", "existing-value"), ["field1"], ["inserted1"], "copy", True,
                 Builder().with_field("field1", NESTED, NESTED_VALUE).with_field("field2", s, "field2-value")
                 .add_header("header1", "existing-value").add_header("inserted1", NESTED_VALUE)),
            case("move with struct value",
                 Builder().with_field("field1", NESTED, NESTED_VALUE).with_field("field2", s, "field2-value")
                 .add_header("header1", "existing-value"), ["field1"], ["inserted1"], "move", True,
                 Builder().with_field("field2", s, "field2-value")
                 .add_header("header1", "existing-value").add_header("inserted1", NESTED_VALUE)),
            case("two headers from same field",
                 Builder().with_field("field1", s, "field1-value").with_field("field2", s, "field2-value")
                 .add_header("header1", "existing-value"), ["field1", "field1"], ["inserted1", "inserted2"], "move",
                 True,
                 Builder().with_field("field2", s, "field2-value").add_header("header1", "existing-value")
                 .add_header("inserted1", "field1-value").add_header("inserted2", "field1-value")),
            case("two fields to same header",
                 Builder().with_field("field1", s, "field1-value").with_field("field2", s, "field2-value")
                 .add_header("header1", "existing-value"), ["field1", "field2"], ["inserted1", "inserted1"], "move",
                 True,
                 Builder().add_header("header1", "existing-value")
                 .add_header("inserted1", "field1-value").add_header("inserted1", "field2-value")),
            case("copy null field without default",
                 Builder().with_field("field1", OPTIONAL_WITH_DEFAULT, "field1-value")
                 .with_field("field2", OPTIONAL_WITH_DEFAULT, None).add_header("header1", "existing-value"),
                 ["field1", "field2"], ["inserted1", "inserted2"], "copy", False,
                 Builder().with_field("field1", OPTIONAL_WITH_DEFAULT, "field1-value")
                 .with_field("field2", OPTIONAL_WITH_DEFAULT, None).add_header("header1", "existing-value")
                 .add_header("inserted1", "field1-value").add_header("inserted2", None)),
            case("move null field without default",
                 Builder().with_field("field1", OPTIONAL_WITH_DEFAULT, "field1-value")
                 .with_field("field2", OPTIONAL_WITH_DEFAULT, None).add_header("header1", "existing-value"),
                 ["field1", "field2"], ["inserted1", "inserted2"], "move", False,
                 Builder().add_header("header1", "existing-value")
                 .add_header("inserted1", "field1-value").add_header("inserted2", None)),
        ]
    return out


def config(fields: list[str], headers: list[str], operation: str, replace_null: bool) -> dict[str, Any]:
    return {"fields": ",".join(fields), "headers": ",".join(headers), "operation": operation,
            "replace.null.with.default": str(replace_null).lower()}


def xform_for(key_transform: bool, props: dict[str, Any]) -> HeaderFrom:
    return (HeaderFromKey if key_transform else HeaderFromValue).from_config(props)


@pytest.mark.parametrize(("key_transform", "original", "fields", "headers", "operation", "replace_null", "expected"),
                         cases())
def test_schemaless(key_transform: bool, original: Builder, fields: list[str], headers: list[str], operation: str,
                    replace_null: bool, expected: Builder) -> None:
    xform = xform_for(key_transform, config(fields, headers, operation, replace_null))
    assert xform(original.schemaless(key_transform)) == expected.schemaless(key_transform)


@pytest.mark.parametrize(("key_transform", "original", "fields", "headers", "operation", "replace_null", "expected"),
                         cases())
def test_with_schema(key_transform: bool, original: Builder, fields: list[str], headers: list[str], operation: str,
                     replace_null: bool, expected: Builder) -> None:
    xform = xform_for(key_transform, config(fields, headers, operation, replace_null))
    assert xform(original.with_schema(key_transform)) == expected.with_schema(key_transform)


def test_null_field_reads_its_default_when_replacing_nulls() -> None:
    original = Builder().with_field("field1", OPTIONAL_WITH_DEFAULT, None).with_schema(False)
    xformed = HeaderFrom.value(fields=["field1"], headers=["h"], operation="copy")(original)
    assert xformed.headers == (("h", "default"),)


def test_headers_carry_the_schema_kafka_attaches() -> None:
    # Kafka: updatedHeaders.add(header, value, fieldSchema) with a schema, a null schema for a map.
    schema = SchemaBuilder.struct().field("off", OPTIONAL_INT32).field("s", STRING_SCHEMA).build()
    value = Struct(schema).put("s", "x")
    (h,) = HeaderFrom.value(fields="off", headers="h0", operation="copy")(Record("t", value=value,
                                                                                 value_schema=schema)).headers
    assert isinstance(h, SchemaHeader) and h == ("h0", None) and h.schema is OPTIONAL_INT32
    assert pickle.loads(pickle.dumps(h)).schema == OPTIONAL_INT32
    (h,) = HeaderFrom.value(fields="off", headers="h0", operation="move")(Record("t", value={"off": 5})).headers
    assert isinstance(h, SchemaHeader) and h == ("h0", 5) and h.schema is None


def test_schemaless_missing_field_gives_null_header() -> None:
    xformed = HeaderFrom.value(fields="missing", headers="h", operation="move")(Record("t", value={"a": 1}))
    assert xformed.value == {"a": 1} and xformed.headers == (("h", None),)


def test_moved_schema_keeps_name_version_and_doc() -> None:
    schema = (SchemaBuilder.struct().name("com.example.V").version(2).doc("d").optional()
              .field("a", STRING_SCHEMA).field("b", STRING_SCHEMA).build())
    record = Record("t", value=Struct(schema).put("a", "x").put("b", "y"), value_schema=schema)
    xform = HeaderFrom.value(fields="a", headers="a", operation="move")
    moved = xform(record)
    assert (moved.value_schema.name, moved.value_schema.version, moved.value_schema.doc) == ("com.example.V", 2, "d")
    assert [f.name for f in moved.value_schema.fields] == ["b"]
    assert xform(record).value_schema is moved.value_schema  # cached per input schema


@pytest.mark.parametrize("key_transform", [True, False])
@pytest.mark.parametrize(("fields", "headers"), [(["foo", "bar"], ["foo"]), (["foo"], ["foo", "bar"]), ([], [])])
def test_invalid_config(key_transform: bool, fields: list[str], headers: list[str]) -> None:
    with pytest.raises(ConfigException):
        xform_for(key_transform, config(fields, headers, "copy", True))


def test_config_messages() -> None:
    cls = HeaderFrom.Value
    assert [i.message for i in cls.check_config(config(["a", "b"], ["a"], "copy", True))] == [
        "'fields' config must have the same number of elements as 'headers' config."]
    assert [(i.key, i.message) for i in cls.check_config(config(["a"], ["a"], "rename", True))] == [
        ("operation", "Invalid value rename: String must be one of: move, copy")]
    assert {i.key for i in cls.check_config({})} == {"fields", "headers", "operation"}


def test_wrong_kind_of_value() -> None:
    with pytest.raises(DataException, match=r"Only Map objects supported in absence of schema for \[header copy\], "
                                            r"found: str"):
        HeaderFrom.value(fields="a", headers="a", operation="copy")(Record("t", value="text"))
    with pytest.raises(DataException, match="found: null"):
        HeaderFrom.key(fields="a", headers="a", operation="move")(Record("t"))
    with pytest.raises(DataException, match=r"Only Struct objects supported for \[header move\]"):
        HeaderFrom.value(fields="a", headers="a", operation="move")(
            Record("t", value={"a": 1}, value_schema=NESTED))
    with pytest.raises(DataException, match="Field does not exist: nope"):
        HeaderFrom.value(fields="nope", headers="a", operation="copy")(
            Record("t", value=NESTED_VALUE, value_schema=NESTED))


def test_abstract_base_pickling_and_names() -> None:
    with pytest.raises(TypeError):
        HeaderFrom(fields="a", headers="a", operation="copy")
    xform = pickle.loads(pickle.dumps(HeaderFrom.key(fields="a", headers="h", operation="copy")))
    assert xform(Record("t", key={"a": 1})).headers == (("h", 1),)
    assert repr(xform) == "HeaderFromKey(fields=['a'], headers=['h'], operation='copy')"
    assert TRANSFORMS == {"HeaderFrom$Key": HeaderFromKey, "HeaderFrom$Value": HeaderFromValue}
    assert HeaderFrom.Key is HeaderFromKey and HeaderFrom.Value is HeaderFromValue
