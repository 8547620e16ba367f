"""`JsonConverter.to_connect_columns`: flat struct envelopes as field columns, exactly the values
`to_connect_batch` gives, and None for every batch the field decoders would have to convert or refuse."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pyconnect_flow.converters import create_converter

FIELDS = [{"field": "i8", "type": "int8", "optional": False},
          {"field": "n", "type": "int64", "optional": True},
          {"field": "f", "type": "double", "optional": True},
          {"field": "f32", "type": "float", "optional": True},
          {"field": "s", "type": "string", "optional": True},
          {"field": "b", "type": "boolean", "optional": True}]


def envelope(payload: Any, fields: list[dict[str, Any]] = FIELDS) -> bytes:
    schema = {"type": "struct", "optional": True, "fields": fields}
    return json.dumps({"schema": schema, "payload": payload}, separators=(",", ":")).encode()


def converter(**config: str) -> Any:
    return create_converter("org.apache.kafka.connect.json.JsonConverter", config, False)


def test_columns_hold_the_values_of_the_struct_path() -> None:
    payloads = [{"i8": i - 5, "n": None if i % 2 else i * 10**15, "f": i + 0.25, "f32": 1.5, "s": f"s{i}",
                 "b": i % 3 == 0} for i in range(10)]
    payloads[3] = {"i8": 1}  # missing optional fields are nulls
    datas = [envelope(p) for p in payloads]
    flat = converter().to_connect_columns(datas)
    assert flat is not None and len(flat) == 10
    expected = converter().to_connect_batch("t", datas)
    assert flat.values() == expected
    assert flat.names == ["i8", "n", "f", "f32", "s", "b"]
    for name, column in zip(flat.names, flat.columns):
        assert column == [v.get_without_default(name) for _, v in expected]


@pytest.mark.parametrize("payload", [
    {"i8": 200},  # out of range: the field decoder refuses it
    {"i8": None},  # a required field's null
    {"i8": 1, "f": 0.0},  # zeros are read by the field decoder (-0.0)
    {"i8": 1, "f": 3},  # an int node for a double: converted
    {"i8": 1, "n": "7"},  # a string node for an int64: converted as Jackson does
    {"i8": 1, "b": 1},
    None,  # a null struct
    [1, 2],
])
def test_batches_the_field_decoders_must_read_are_left_to_them(payload: Any) -> None:
    datas = [envelope({"i8": 1}), envelope(payload)]
    assert converter().to_connect_columns(datas) is None


@pytest.mark.parametrize("fields", [
    [{"field": "d", "type": "int32", "optional": True, "name": "org.apache.kafka.connect.data.Date", "version": 1}],
    [{"field": "x", "type": "int32", "optional": True, "default": 3}],
    [{"field": "a", "type": "array", "items": {"type": "int32"}, "optional": True}],
    [{"field": "y", "type": "bytes", "optional": True}],
])
def test_schemas_that_are_not_flat_are_left_to_the_struct_path(fields: list[dict[str, Any]]) -> None:
    assert converter().to_connect_columns([envelope({}, fields)]) is None


def test_other_batches_are_left_to_to_connect_batch() -> None:
    assert converter().to_connect_columns([envelope({"i8": 1}), None]) is None  # a tombstone
    assert converter().to_connect_columns([envelope({"i8": 1}), envelope({"i8": 1}, FIELDS[:1])]) is None
    assert converter(**{"schemas.enable": "false"}).to_connect_columns([b'{"i8":1}']) is None
    assert converter().to_connect_columns([]) is None
