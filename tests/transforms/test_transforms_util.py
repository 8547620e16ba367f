"""The shared SMT helpers: requirements, schema basics, the schema cache, validators."""

from __future__ import annotations

import pickle

import pytest

from pyconnect_flow.data import INT32_SCHEMA, DataException, SchemaBuilder, Struct, Type
from pyconnect_flow.record import Record
from pyconnect_flow.transforms.util import (
    SchemaCache,
    copy_schema_basics,
    field_values,
    java_split,
    non_empty_list,
    non_empty_string,
    put_checked,
    require_map,
    require_map_or_null,
    require_schema,
    require_sink_record,
    require_struct,
    require_struct_or_null,
)

SCHEMA = SchemaBuilder.struct().field("a", INT32_SCHEMA).build()


def test_requirements_messages() -> None:
    assert require_map({"a": 1}, "p") == {"a": 1}
    assert require_map_or_null(None, "p") is None
    with pytest.raises(DataException, match=r"^Only Map objects supported in absence of schema for \[p\], found: null$"):
        require_map(None, "p")
    s = Struct(SCHEMA).put("a", 1)
    assert require_struct(s, "p") is s
    assert require_struct_or_null(None, "p") is None
    with pytest.raises(DataException, match=r"^Only Struct objects supported for \[p\], found: dict$"):
        require_struct({}, "p")
    with pytest.raises(DataException, match=r"^Schema required for \[p\]$"):
        require_schema(None, "p")
    with pytest.raises(DataException, match=r"^Only SinkRecord supported for \[p\], found: SourceRecord$"):
        require_sink_record(Record("t"), "p")


def test_copy_schema_basics() -> None:
    source = (SchemaBuilder.int64().name("n").version(2).doc("d").parameter("k", "v").optional()
              .default_value(5).build())
    copy = copy_schema_basics(source).build()
    assert (copy.type, copy.name, copy.version, copy.doc, dict(copy.parameters or {})) == (
        Type.INT64, "n", 2, "d", {"k": "v"})
    assert (copy.optional, copy.default) == (False, None)
    array = copy_schema_basics(SchemaBuilder.array(INT32_SCHEMA).doc("x").build()).build()
    assert array.value_schema == INT32_SCHEMA and array.doc == "x"


def test_schema_cache_is_a_bounded_lru_and_pickles_empty() -> None:
    cache = SchemaCache(maxsize=2)
    built: list[int] = []
    schemas = [SchemaBuilder.int32().version(i).build() for i in range(3)]

    def build(schema: object) -> int:
        built.append(schemas.index(schema))  # type: ignore[arg-type]
        return len(built)

    assert cache.get_or_build(schemas[0], build) == 1
    assert cache.get_or_build(schemas[1], build) == 2
    assert cache.get_or_build(schemas[0], build) == 1  # hit; 0 is now the most recent
    assert cache.get_or_build(schemas[2], build) == 3  # evicts 1
    assert len(cache) == 2
    assert cache.get_or_build(schemas[1], build) == 4
    assert built == [0, 1, 2, 1]
    copy = pickle.loads(pickle.dumps(cache))
    assert (len(copy), copy.maxsize) == (0, 2)


def test_field_values_and_put_checked() -> None:
    schema = SchemaBuilder.struct().field("a", SchemaBuilder.int32().optional().default_value(4).build()).build()
    s = Struct(schema).put("a", None)
    assert field_values(s, True) == {"a": 4}
    assert field_values(s, False) == {"a": None}
    values: dict[str, object] = {}
    put_checked(values, SCHEMA, "a", 1)
    assert values == {"a": 1}
    with pytest.raises(DataException):
        put_checked(values, SCHEMA, "a", "x")
    with pytest.raises(DataException, match="^b is not a valid field name$"):
        put_checked(values, SCHEMA, "b", 1)


@pytest.mark.parametrize(("text", "parts"), [
    ("a:b", ["a", "b"]), ("a:", ["a"]), (":b", ["", "b"]), (":", []), ("", [""]), ("a::", ["a"]), ("a:b:", ["a", "b"]),
])
def test_java_split(text: str, parts: list[str]) -> None:
    assert java_split(text, ":") == parts




def test_shared_validators_give_kafka_messages() -> None:
    assert non_empty_list([]) == "Empty list" and non_empty_list(["a"]) is None
    assert non_empty_string("") == "String must be non-empty" and non_empty_string("a") is None
