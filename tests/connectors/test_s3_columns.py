"""The S3 writer fed decoded Kafka columns against the same writer fed records, on a real S3 API (moto).

Batches of generated JsonConverter envelopes (flat structs of every plain type with nulls, values orjson
would print unlike Java, strings with control characters, emoji and "},{", a second flat schema, a struct
schema with logical and nested fields, schemaless values, tombstones) and raw bytes are decoded by the
decode stage twice: into `DecodedColumns` (the columnar path) and into records (`columnar=False`). Each
batch is written by one writer as columns and by another as records; the objects must be the same bytes
and the records reported to `errors.tolerance` the same, for JSON, Parquet and ByteArray formats, the
Default and Field partitioners and several flush sizes.
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from pyconnect_flow.connectors.s3 import formats
from pyconnect_flow.connectors.s3.rows import Rows
from pyconnect_flow.contract.sink import SinkBatch
from pyconnect_flow.converters import create_converter
from pyconnect_flow.engine.stages import Chunk, Decoder
from pyconnect_flow.errors import ErrorPolicy, ErrorReporter
from pyconnect_flow.kafka_columns import DecodedColumns, KafkaColumns
from tests.connectors.s3_helpers import FakeCtx, contents, open_writer
from tests.integration.columnar_data import SCHEMA_C

FLAT = SCHEMA_C
PLAIN = {"type": "struct", "name": "com.example.Plain", "optional": False, "fields": [
    {"field": "id", "type": "int64", "optional": False},
    {"field": "amount", "type": "double", "optional": True},
    {"field": "region", "type": "string", "optional": True},
    {"field": "ok", "type": "boolean", "optional": True}]}
"""A flat schema without float32: JSON lines come straight from its payloads."""
OTHER = {"type": "struct", "name": "com.example.Other", "optional": False, "fields": [
    {"field": "id", "type": "int32", "optional": False},
    {"field": "region", "type": "string", "optional": True},
    {"field": "at", "type": "int64", "optional": True, "name": "org.apache.kafka.connect.data.Timestamp",
     "version": 1},
    {"field": "inner", "type": "struct", "optional": True, "fields": [
        {"field": "a", "type": "int32", "optional": True}]}]}
TEXTS = ["plain", "c\u00e9 \"q\" \U0001f600", "ctl\u0001\u001f", "a},{b", "", "back\\slash"]


def _plain(rng: random.Random, i: int, java_like: bool = False) -> dict[str, Any]:
    amounts = [None, i * 0.37 + 0.01, 12.5] + ([] if java_like else [1e-7 * i, 1.5e12 + i])  # Java: 1.0E-7
    amount = rng.choice(amounts)
    return {"id": i, "amount": amount, "region": rng.choice([None, "eu", "us", TEXTS[i % len(TEXTS)]]),
            "ok": rng.choice([None, True, False])}


def _flat(rng: random.Random, i: int) -> dict[str, Any]:
    null = rng.random() < 0.2
    return {"i8": i % 256 - 128, "i16": None if null else -i, "i32": None if null else i * 1000,
            "i64": i * 10**12, "f32": None if null else i / 8 + 0.25, "f64": None if null else i * 0.1 + 0.5,
            "flag": None if null else i % 2 == 0, "text": None if null else TEXTS[i % len(TEXTS)]}


def envelope(schema: Any, payload: Any) -> bytes:
    return json.dumps({"schema": schema, "payload": payload}, separators=(",", ":"), ensure_ascii=False).encode()


def batches(rng: random.Random) -> list[list[bytes | None]]:
    """Batches of one partition, in offset order: the kinds the decode stage gives as columns."""
    out: list[list[bytes | None]] = []
    i = 0

    def take(n: int, make: Any) -> list[bytes | None]:
        nonlocal i
        values = [make(j) for j in range(i, i + n)]
        i += n
        return values

    for _ in range(3):
        out.append(take(rng.randint(5, 40), lambda j: envelope(PLAIN, _plain(rng, j))))
    out.append(take(25, lambda j: envelope(FLAT, _flat(rng, j))))
    out.append(take(30, lambda j: envelope(PLAIN, _plain(rng, j))))  # a schema change between batches
    # a schema change mid-batch, and a tombstone
    out.append(take(10, lambda j: envelope(PLAIN, _plain(rng, j))) + take(10, lambda j: envelope(OTHER, {
        "id": j, "region": "eu" if j % 2 else None, "at": 1_700_000_000_000 + j, "inner": {"a": j}})) + [None])
    i += 1
    out.append(take(20, lambda j: envelope(OTHER, {"id": j, "region": None, "at": None, "inner": None})))
    # schemaless values: JSON writes them, Parquet rejects them (reported)
    out.append(take(8, lambda j: envelope(None, {"k": j, "v": "x"})))
    out.append(take(3, lambda j: envelope(PLAIN, _plain(rng, j))) + take(2, lambda j: envelope(None, j))
               + take(3, lambda j: envelope(PLAIN, _plain(rng, j))))
    out.append(take(60, lambda j: envelope(PLAIN, _plain(rng, j, java_like=True))))
    out.append(take(45, lambda j: envelope(PLAIN, _plain(rng, j, java_like=True))))
    return out


def decoded(values_of: list[list[bytes | None]], converter: str) -> list[tuple[DecodedColumns, list[Any]]]:
    """Each batch as decoded columns and as the records of the record path."""
    key = create_converter("org.apache.kafka.connect.json.JsonConverter", {}, True)
    value = create_converter(converter, {}, False)
    errors = ErrorReporter("s3-columns", ErrorPolicy())
    columnar, records = Decoder(key, value, errors), Decoder(key, value, errors, columnar=False)
    out = []
    offset = 0
    for values in values_of:
        n = len(values)
        raw = KafkaColumns("orders", 0, list(range(offset, offset + n)), [None] * n, values,
                           [1_700_000_000_000 + o for o in range(offset, offset + n)], [None] * n)
        offset += n
        columns = columnar(Chunk("orders-0", raw, None)).unbuilt_columns
        assert columns is not None
        out.append((columns, records(Chunk("orders-0", raw.records(), None)).records))
    return out


CASES = [
    ("JsonFormat", "default", 7),
    ("JsonFormat", "default", 1000),
    ("JsonFormat", "field", 13),
    ("ParquetFormat", "default", 11),
    ("ParquetFormat", "field", 1000),
]


@pytest.mark.parametrize(("fmt", "partitioner", "flush_size"), CASES)
def test_columns_write_the_objects_records_write(s3, unique_name: str, fmt: str, partitioner: str,
                                                 flush_size: int, monkeypatch: pytest.MonkeyPatch) -> None:
    flat_writes = count_flat_writes(monkeypatch)
    client = s3.client()
    buckets = (f"{unique_name}-c", f"{unique_name}-r")
    for bucket in buckets:
        client.create_bucket(Bucket=bucket)
    extra: dict[str, Any] = {"format.class": fmt, "flush.size": flush_size, "behavior.on.null.values": "ignore"}
    if partitioner == "field":
        extra.update({"partitioner.class": "io.confluent.connect.storage.partitioner.FieldPartitioner",
                      "partition.field.name": "region"})
    if fmt == "ParquetFormat":
        extra["s3.part.size"] = 5 * 1024 * 1024
    ctx_c, ctx_r = FakeCtx(), FakeCtx()
    by_columns = open_writer(s3, buckets[0], ctx=ctx_c, **extra)
    by_records = open_writer(s3, buckets[1], ctx=ctx_r, **extra)
    built = 0
    for columns, records in decoded(batches(random.Random(f"{fmt}{partitioner}{flush_size}")),
                                    "org.apache.kafka.connect.json.JsonConverter"):
        batch = SinkBatch(columns=columns)
        by_columns.write(batch)
        built += batch._built is not None
        by_records.write(SinkBatch(records))
        assert by_columns.durable_position() == by_records.durable_position()
        assert by_columns.flush() == by_records.flush()
    by_columns.close()
    by_records.close()
    objects = contents(client, buckets[0])
    assert objects == contents(client, buckets[1]) and len(objects) > 3
    assert [(r.offset, type(e), str(e)) for r, e in ctx_c.reported] == [
        (r.offset, type(e), str(e)) for r, e in ctx_r.reported]
    # Parquet rejects the schemaless values; the Field partitioner the values without a `region` field.
    assert bool(ctx_r.reported) is (fmt == "ParquetFormat" or partitioner == "field")
    assert 0 < built < 10  # some batches went as columns, the ones with tombstones or mixed schemas did not
    assert flat_writes  # and some were written from field columns or payloads, not from values


def count_flat_writes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A list that grows by one each time a format writer reads the field columns or payloads of rows (the
    direct paths, as opposed to building `Struct`s or records)."""
    seen: list[int] = []
    payload_maps, field_columns = formats._payload_maps, Rows.field_columns

    def counted_maps(rows: Rows, names: tuple[str, ...]) -> Any:
        found = payload_maps(rows, names)
        seen.extend([1] if found is not None else [])
        return found

    def counted_columns(rows: Rows) -> Any:
        found = field_columns(rows)
        seen.extend([1] if found is not None else [])
        return found

    monkeypatch.setattr(formats, "_payload_maps", counted_maps)
    monkeypatch.setattr(Rows, "field_columns", counted_columns)
    return seen


def test_bytearray_columns_write_the_objects_records_write(s3, unique_name: str) -> None:
    client = s3.client()
    for bucket in (f"{unique_name}-c", f"{unique_name}-r"):
        client.create_bucket(Bucket=bucket)
    extra = {"format.class": "ByteArrayFormat", "flush.size": 9, "behavior.on.null.values": "ignore"}
    by_columns = open_writer(s3, f"{unique_name}-c", **extra)
    by_records = open_writer(s3, f"{unique_name}-r", **extra)
    rng = random.Random(7)
    values: list[list[bytes | None]] = [[bytes(rng.randrange(256) for _ in range(rng.randrange(20)))
                                         for _ in range(rng.randint(1, 30))] for _ in range(6)]
    values[3][2] = None  # a tombstone: that batch takes the record path
    for columns, records in decoded(values, "org.apache.kafka.connect.converters.ByteArrayConverter"):
        by_columns.write(SinkBatch(columns=columns))
        by_records.write(SinkBatch(records))
    by_columns.close()
    by_records.close()
    objects = contents(client, f"{unique_name}-c")
    assert objects == contents(client, f"{unique_name}-r") and len(objects) > 3
