"""FileStreamSink lines built column by column (`connectors.file_text`) print exactly as `java_string`."""

from __future__ import annotations

from typing import Any

from pyconnect_flow.connectors.file import java_string
from pyconnect_flow.connectors.file_text import struct_lines
from pyconnect_flow.data import SchemaBuilder, Struct
from pyconnect_flow.data.logical import date_builder

FLAT = (SchemaBuilder.struct().name("com.example.Flat")
        .field("i8", SchemaBuilder.int8().build())
        .field("i16", SchemaBuilder.int16().optional().build())
        .field("i32", SchemaBuilder.int32().build())
        .field("i64", SchemaBuilder.int64().optional().build())
        .field("f32", SchemaBuilder.float32().optional().build())
        .field("f64", SchemaBuilder.float64().optional().build())
        .field("flag", SchemaBuilder.bool().optional().build())
        .field("text", SchemaBuilder.string().optional().build())
        .build())


def flat(i: int) -> Struct:
    s = Struct(FLAT).put("i8", i % 100 - 50).put("i32", i * 7)
    if i % 3:
        s.put("i16", -i).put("i64", i * 10**15).put("f32", i / 3).put("f64", i * 1e5 + 0.1)
        s.put("flag", i % 2 == 0).put("text", f"t{i} \u00e9,=}}")
    return s


def expected(schemas: list[Any], values: list[Any]) -> list[str]:
    return [java_string(v, s) for s, v in zip(schemas, values)]


def test_flat_structs_and_nulls_print_as_java_string() -> None:
    values: list[Any] = [flat(i) for i in range(300)]
    values[5] = values[77] = None  # tombstones
    schemas = [None if v is None else FLAT for v in values]
    lines = struct_lines(schemas, values)
    assert lines is not None
    assert lines == expected(schemas, values)
    assert lines[5] == "null" and lines[0] == "Struct{i8=-50,i32=0}"
    assert any("E7," in x for x in lines)  # Double.toString's exponent notation


def test_other_columns_are_left_to_java_string() -> None:
    nested = SchemaBuilder.struct().field("inner", FLAT).build()
    dated = SchemaBuilder.struct().field("day", date_builder().build()).build()
    other = SchemaBuilder.struct().name("com.example.Flat").field("i8", SchemaBuilder.int8().build()).build()
    assert struct_lines([nested], [Struct(nested).put("inner", flat(1))]) is None
    assert struct_lines([dated], [Struct(dated)]) is None
    assert struct_lines([FLAT, other], [flat(1), Struct(other).put("i8", 1)]) is None  # a schema change
    assert struct_lines([None, None], [None, None]) is None
    assert struct_lines([None], ["text"]) is None
    assert struct_lines([], []) == []


def test_doubles_names_and_leading_nulls_print_as_java_string() -> None:
    """Doubles printed by `repr` only where it matches `Double.toString` (a NaN among them, 1e7, 1e-4 and -0.0
    are not), `%` in field names, and a first field that may be null (no leading comma)."""
    schema = (SchemaBuilder.struct().field("a%s", SchemaBuilder.float64().optional().build())
              .field("b%", SchemaBuilder.float64().build()).build())
    for doubles in ([1.5, 2.25, 9999999.0], [1.5, float("nan"), 2.0], [1.5, 1e7, 2.0], [0.5, 1e-4], [0.5, -0.0],
                    [float("inf"), 1.0], [0.001, -123.456]):
        values: list[Any] = [Struct(schema).put("a%s", None if i % 2 else d).put("b%", d)
                             for i, d in enumerate(doubles)]
        schemas = [schema] * len(values)
        assert struct_lines(schemas, values) == expected(schemas, values), doubles
