"""The JDBC sink's rows from decoded Kafka columns (`connectors.sql.columns`) and their COPY text (`copy_text`).

Rows built from columns must be the rows the record path's `RowPlan` builds from the records of the same
messages, for every pk.mode; collapsing pieces by key must keep the last row of each key, as the record path
does; and the COPY text must read back (by PostgreSQL's text COPY rules) as the values.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import struct
from typing import Any

import pytest

from pyconnect_flow.connectors.sql.columns import collapse, part_columns, piece_of
from pyconnect_flow.connectors.sql.copy_text import NULL, column_text, copy_text
from pyconnect_flow.connectors.sql.rows import Planner, Settings
from pyconnect_flow.converters import create_converter
from pyconnect_flow.data.schema import Type
from pyconnect_flow.engine.stages import Chunk, Decoder
from pyconnect_flow.errors import ErrorPolicy, ErrorReporter
from pyconnect_flow.kafka_columns import DecodedColumns, KafkaColumns

ROW = {"type": "struct", "optional": False, "fields": [
    {"field": "id", "type": "int64", "optional": False}, {"field": "b", "type": "int8", "optional": True},
    {"field": "s", "type": "int16", "optional": True}, {"field": "n", "type": "int32", "optional": True},
    {"field": "f", "type": "float", "optional": True}, {"field": "d", "type": "double", "optional": True},
    {"field": "ok", "type": "boolean", "optional": True}, {"field": "text", "type": "string", "optional": True}]}
STRUCT_KEY = {"type": "struct", "optional": False, "fields": [{"field": "id", "type": "int64", "optional": False}]}
STRING_KEY = {"type": "string", "optional": False}


def _envelope(schema: Any, payload: Any) -> bytes:
    return json.dumps({"schema": schema, "payload": payload}, separators=(",", ":")).encode()


def _value(i: int) -> dict[str, Any]:
    null = i % 5 == 3
    return {"id": i % 7, "b": None if null else i % 100 - 50, "s": i * 3, "n": None if null else -i * 100_003,
            "f": None if null else i / 7 + 0.5, "d": None if null else i * 0.1 + 3.5, "ok": None if null else i % 2 == 0,
            "text": None if null else f"t\t{i}\\\n\r é"}


def decoded(n: int, key: str = "struct", start: int = 0) -> DecodedColumns:
    """n messages (ids repeat) decoded by the decode stage into columns."""
    if key == "struct":
        keys: list[bytes | None] = [_envelope(STRUCT_KEY, {"id": i % 7}) for i in range(start, start + n)]
    else:
        keys = [_envelope(STRING_KEY, f"k{i % 7}") for i in range(start, start + n)]
    values: list[bytes | None] = [_envelope(ROW, _value(i)) for i in range(start, start + n)]
    raw = KafkaColumns("orders", 3, list(range(start, start + n)), keys, values, [None] * n, [None] * n)
    decode = Decoder(create_converter("org.apache.kafka.connect.json.JsonConverter", {}, True),
                     create_converter("org.apache.kafka.connect.json.JsonConverter", {}, False),
                     ErrorReporter("t", ErrorPolicy()))
    columns = decode(Chunk("k", raw, None)).unbuilt_columns
    assert columns is not None and columns.flat is not None
    return columns


def planner(pk_mode: str, pk_fields: tuple[str, ...] = (), whitelist: frozenset[str] = frozenset()) -> Planner:
    return Planner(Settings(pk_mode, pk_fields, whitelist, True, dt.timezone.utc))


@pytest.mark.parametrize(("pk_mode", "pk_fields", "key", "whitelist"), [
    ("record_key", (), "struct", frozenset()),
    ("record_key", ("code",), "string", frozenset()),
    ("record_value", ("id", "s"), "struct", frozenset()),
    ("kafka", (), "struct", frozenset()),
    ("kafka", ("t", "p", "o"), "struct", frozenset({"text", "d"})),
    ("none", (), "string", frozenset({"id", "ok"})),
])
def test_rows_from_columns_are_the_rows_of_the_records(pk_mode: str, pk_fields: tuple[str, ...], key: str,
                                                       whitelist: frozenset[str]) -> None:
    columns = decoded(40, key)
    assert (columns.key_flat is not None) is (key == "struct")  # struct keys decode into columns too
    plans = planner(pk_mode, pk_fields, whitelist)
    piece = piece_of(columns, ("orders",), plans)  # type: ignore[arg-type]
    assert piece is not None
    rows = [piece.plan.row(r) for r in columns.records()]
    assert list(zip(*piece.data)) == rows
    kc = piece.plan.key_count
    assert (piece.keys is None) is (kc == 0)
    if piece.keys is not None:
        assert [k if kc > 1 else (k,) for k in piece.keys] == [row[:kc] for row in rows]


def test_keys_from_columns_are_the_keys_the_converter_gives() -> None:
    columns = decoded(30)
    assert columns.key_flat is not None and columns._keys is None  # not built until asked for
    converter = create_converter("org.apache.kafka.connect.json.JsonConverter", {}, True)
    assert columns.keys == converter.to_connect_batch("orders", columns.raw.keys)
    assert columns.record(4).key == columns.keys[4][1] and columns.record(4).key_schema is columns.keys[4][0]


def test_batches_the_columns_cannot_carry_give_no_piece() -> None:
    plans = planner("record_key")
    tombstone = decoded(10)
    raw = tombstone.raw
    with_tombstone = KafkaColumns(raw.topic, raw.partition, raw.offsets, raw.keys, [*raw.values[:-1], None],
                                  raw.timestamps, raw.headers)
    keys = create_converter("org.apache.kafka.connect.json.JsonConverter", {}, True).to_connect_batch("t", raw.keys)
    assert piece_of(DecodedColumns(with_tombstone, keys, [(None, None)] * 10), ("t",), plans) is None  # type: ignore[arg-type]
    # a primitive key that is null in one message: the record path reports it
    columns = decoded(10, "string")
    nulled = DecodedColumns(columns.raw, [*columns.keys[:-1], (columns.keys[0][0], None)], None, columns.flat)
    assert piece_of(nulled, ("t",), planner("record_key", ("code",))) is None  # type: ignore[arg-type]
    # a primitive key with pk.mode=record_key needs exactly one pk.fields entry: the record path reports each
    assert piece_of(decoded(10, "string"), ("t",), plans) is None  # type: ignore[arg-type]


def test_collapse_keeps_the_last_row_of_each_key_across_pieces() -> None:
    plans = planner("record_key")
    pieces = [piece_of(decoded(9, start=s), ("t",), plans) for s in (0, 9, 18)]  # type: ignore[arg-type]
    assert all(p is not None for p in pieces)
    parts = collapse(pieces)  # type: ignore[arg-type]
    rows = list(zip(*part_columns(parts)))
    expected: dict[Any, Any] = {}
    for p in pieces:
        assert p is not None
        for r in p.columns.records():
            row = p.plan.row(r)
            expected[row[:1]] = row
    assert sorted(rows) == sorted(expected.values()) and len(rows) == 7
    unique = [piece_of(decoded(7, start=0), ("t",), plans)]  # type: ignore[arg-type]
    assert collapse(unique) == [(unique[0], None)]  # type: ignore[arg-type]


def _read_copy_text(text: str, kinds: list[Type]) -> list[tuple[Any, ...]]:
    """PostgreSQL's reading of text COPY data (its escapes and NULL), each field as a Python value."""
    escapes = {"\\": "\\", "t": "\t", "n": "\n", "r": "\r"}

    def field(raw: str, kind: Type) -> Any:
        if raw == NULL:
            return None
        out, i = [], 0
        while i < len(raw):
            if raw[i] == "\\":
                out.append(escapes[raw[i + 1]])
                i += 2
            else:
                out.append(raw[i])
                i += 1
        value = "".join(out)
        if kind is Type.STRING:
            return value
        if kind is Type.BOOLEAN:
            return {"t": True, "f": False}[value]
        return float(value) if kind in (Type.FLOAT32, Type.FLOAT64) else int(value)

    assert text.endswith("\n")
    return [tuple(field(f, k) for f, k in zip(line.split("\t"), kinds)) for line in text[:-1].split("\n")]


def _single(x: float) -> float:
    return float(struct.unpack("<f", struct.pack("<f", x))[0])


def test_copy_text_reads_back_as_the_values() -> None:
    rng = random.Random(7)
    alphabet = "ab\t\n\r\\N. é\U0001f600\"'"
    n = 300
    kinds = [Type.INT8, Type.INT16, Type.INT32, Type.INT64, Type.FLOAT32, Type.FLOAT64, Type.BOOLEAN, Type.STRING]

    def maybe(v: Any) -> Any:
        return None if rng.random() < 0.2 else v

    columns = [[maybe(rng.randint(-128, 127)) for _ in range(n)], [maybe(rng.randint(-32768, 32767)) for _ in range(n)],
               [maybe(rng.randint(-2**31, 2**31 - 1)) for _ in range(n)],
               [maybe(rng.randint(-2**63, 2**63 - 1)) for _ in range(n)],
               [maybe(rng.uniform(-1e30, 1e30)) for _ in range(n)], [maybe(rng.uniform(-1e300, 1e300)) for _ in range(n)],
               [maybe(rng.random() < 0.5) for _ in range(n)],
               [maybe("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8)))) for _ in range(n)]]
    text = copy_text(kinds, columns)
    assert text is not None
    expected = [tuple(_single(v) if k is Type.FLOAT32 and v is not None else v for v, k in zip(row, kinds))
                for row in zip(*columns)]
    assert _read_copy_text(text, kinds) == expected
    assert copy_text([Type.STRING], [["\\.", "x"]]) == "\\\\.\nx\n"  # never the end-of-data marker


def test_values_copy_text_cannot_carry_give_none() -> None:
    assert column_text(Type.STRING, ["ok", "a\x00b"]) is None  # PostgreSQL refuses NUL in text
    assert column_text(Type.FLOAT32, [1.0, 1e39]) is None  # beyond single precision: the binary form refuses it
    assert column_text(Type.FLOAT32, [None, 0.1]) == [NULL, repr(_single(0.1))]
    assert column_text(Type.BOOLEAN, [True, None, False]) == ["t", NULL, "f"]
    assert copy_text([Type.INT64], [[]]) == ""
    # what orjson does not write as the value, Python does
    assert column_text(Type.FLOAT64, [float("nan"), None, 1.0, float("-inf")]) == ["nan", NULL, "1.0", "-inf"]
    assert column_text(Type.INT64, [2**70, None]) == [str(2**70), NULL]
