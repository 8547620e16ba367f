"""Boxed narrower Java integers in schemaless data (`data.java_ints`)."""

from __future__ import annotations

import json
import pickle

from pyconnect_flow.converters.json_codec import encode_schemaless
from pyconnect_flow.data import Type, schema_type
from pyconnect_flow.data.java_ints import JavaByte, JavaInteger, JavaShort, boxed, java_int_type
from pyconnect_flow.data.java_text import java_to_string


def test_boxes_carry_their_width_and_behave_as_the_number() -> None:
    short = boxed(300, Type.INT16)
    assert type(short) is JavaShort and short == 300 and hash(short) == hash(300)
    assert type(boxed(5, Type.INT8)) is JavaByte and type(boxed(5, Type.INT32)) is JavaInteger
    assert type(boxed(JavaShort(5), Type.INT64)) is int  # a Long is a plain int
    assert str(short) == "300" and f"{short}" == "300" and repr(short) == "JavaShort(300)"
    assert json.dumps({"n": short}) == '{"n": 300}'
    assert type(short + 1) is int and type(-short) is int  # Java arithmetic widens
    assert pickle.loads(pickle.dumps(short)) == 300 and type(pickle.loads(pickle.dumps(short))) is JavaShort


def test_schema_types_as_kafka_connect_schema_type() -> None:
    """`ConnectSchema.schemaType(Short.class)` is INT16, `Long.class` INT64."""
    assert schema_type(JavaByte(1)) is Type.INT8 and java_int_type(JavaByte(1)) is Type.INT8
    assert schema_type(JavaShort(1)) is Type.INT16 and schema_type(JavaInteger(1)) is Type.INT32
    assert schema_type(1) is Type.INT64 and java_int_type(1) is Type.INT64
    assert java_int_type(True) is None and java_int_type("1") is None


def test_boxes_are_written_as_plain_numbers() -> None:
    value = {"a": JavaShort(-129), "b": JavaInteger(7)}
    assert encode_schemaless(value) == {"a": -129, "b": 7}
    assert java_to_string(value) == "{a=-129, b=7}"
