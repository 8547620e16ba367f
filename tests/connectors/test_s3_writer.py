"""The S3 partition writer against a real S3 API (moto over HTTP, or PYCONNECT_TEST_S3_ENDPOINT).

Covers object keys and zero padding, every format, gzip, rotation by size,
record time and schedule, schema changes, tombstones, multipart uploads, bad
records, and replay after a crash (same keys, same bytes).
"""

from __future__ import annotations

import gzip
import json

import pytest

from pyconnect_flow.data.exceptions import ConnectException
from pyconnect_flow.data.schema import BYTES_SCHEMA, INT64_SCHEMA, STRING_SCHEMA, SchemaBuilder
from pyconnect_flow.data.struct import Struct
from pyconnect_flow.record import Record
from tests.connectors.s3_helpers import (
    FakeCtx,
    avro_rows,
    body,
    contents,
    keys,
    open_writer,
    orders,
    parquet_rows,
)


@pytest.fixture
def bucket(s3, unique_name: str) -> str:
    s3.client().create_bucket(Bucket=unique_name)
    return unique_name


def test_keys_follow_confluent_layout_with_zero_padding(s3, bucket: str) -> None:
    w = open_writer(s3, bucket, **{"flush.size": 10})
    w.write(orders(0, 25))
    assert w.durable_position() == 20  # the open file starts at offset 20
    assert w.flush() == {"committed": 20}
    w.close()
    assert keys(s3.client(), bucket) == [f"topics/orders/partition=0/orders+0+{o:010d}.json" for o in (0, 10, 20)]
    w = open_writer(s3, bucket, "orders-3", **{"flush.size": 5, "topics.dir": "raw/kafka",
                                               "filename.offset.zero.pad.width": 4, "file.delim": "-"})
    w.write(orders(1234, 5, partition=3))
    assert "raw/kafka/orders/partition=3/orders-3-1234.json" in keys(s3.client(), bucket)


def test_json_lines_as_json_converter_without_envelope(s3, bucket: str) -> None:
    w = open_writer(s3, bucket, **{"flush.size": 3})
    w.write(orders(0, 3))
    data = body(s3.client(), bucket, "topics/orders/partition=0/orders+0+0000000000.json")
    assert data == (b'{"id":0,"name":"n0","note":"even"}\n{"id":1,"name":"n1","note":null}\n'
                    b'{"id":2,"name":"n2","note":"even"}\n')


def test_schemaless_json_and_gzip(s3, bucket: str) -> None:
    w = open_writer(s3, bucket, **{"flush.size": 2, "s3.compression.type": "gzip"})
    w.write([Record("logs", None, {"msg": f"m{i}", "n": i}, 0, i) for i in range(2)])
    data = body(s3.client(), bucket, "topics/logs/partition=0/logs+0+0000000000.json.gz")
    assert [json.loads(line) for line in gzip.decompress(data).splitlines()] == [{"msg": "m0", "n": 0},
                                                                                 {"msg": "m1", "n": 1}]


def test_avro_from_the_connect_schema(s3, bucket: str) -> None:
    w = open_writer(s3, bucket, **{"flush.size": 4, "format.class": "io.confluent.connect.s3.format.avro.AvroFormat",
                                   "avro.codec": "deflate"})
    w.write(orders(0, 4))
    data = body(s3.client(), bucket, "topics/orders/partition=0/orders+0+0000000000.avro")
    assert avro_rows(data) == [{"id": i, "name": f"n{i}", "note": None if i % 2 else "even"} for i in range(4)]
    import io

    import fastavro
    schema = fastavro.reader(io.BytesIO(data)).writer_schema
    assert schema["name"] == "com.example.Order" and schema["fields"][2]["type"] == ["null", "string"]


def test_parquet_from_the_connect_schema(s3, bucket: str) -> None:
    w = open_writer(s3, bucket, **{"flush.size": 4, "format.class": "ParquetFormat"})
    w.write(orders(0, 4))
    data = body(s3.client(), bucket, "topics/orders/partition=0/orders+0+0000000000.snappy.parquet")
    assert parquet_rows(data) == [{"id": i, "name": f"n{i}", "note": None if i % 2 else "even"} for i in range(4)]
    w = open_writer(s3, bucket, "orders-1", **{"flush.size": 1, "format.class": "ParquetFormat",
                                               "parquet.codec": "none"})
    w.write(orders(0, 1, partition=1))
    assert "topics/orders/partition=1/orders+1+0000000000.parquet" in keys(s3.client(), bucket)


def test_bytearray_with_separator(s3, bucket: str) -> None:
    w = open_writer(s3, bucket, **{"flush.size": 3, "format.class": "ByteArrayFormat",
                                   "format.bytearray.separator": "|", "format.bytearray.extension": ".raw"})
    w.write([Record("b", None, f"v{i}".encode(), 0, i, None, BYTES_SCHEMA) for i in range(3)])
    assert body(s3.client(), bucket, "topics/b/partition=0/b+0+0000000000.raw") == b"v0|v1|v2|"


def test_schema_change_starts_a_new_file(s3, bucket: str) -> None:
    v2 = SchemaBuilder.struct().name("com.example.Order").version(2).field("id", INT64_SCHEMA).field(
        "name", STRING_SCHEMA).build()
    w = open_writer(s3, bucket, **{"flush.size": 100, "format.class": "ParquetFormat"})
    new = [Record("orders", None, Struct(v2, {"id": i, "name": "x"}), 0, i, None, v2) for i in range(3, 5)]
    w.write(orders(0, 3) + new)
    w.close()
    got = contents(s3.client(), bucket)
    assert sorted(got) == ["topics/orders/partition=0/orders+0+0000000000.snappy.parquet",
                           "topics/orders/partition=0/orders+0+0000000003.snappy.parquet"]
    assert [r["id"] for r in parquet_rows(got[sorted(got)[1]])] == [3, 4]


def test_tombstones_ignored_or_failing(s3, bucket: str) -> None:
    w = open_writer(s3, bucket, **{"flush.size": 3, "behavior.on.null.values": "ignore"})
    records = orders(0, 4)
    records.insert(2, Record("orders", b"k", None, 0, 99))
    w.write(records)
    first = body(s3.client(), bucket, "topics/orders/partition=0/orders+0+0000000000.json")
    assert len(first.splitlines()) == 3 and b"null\n" not in first
    failing = open_writer(s3, bucket, "orders-1", **{"flush.size": 3})
    with pytest.raises(ConnectException, match="behavior.on.null.values"):
        failing.write([Record("orders", b"k", None, 1, 0)])


def test_rotate_interval_uses_record_time(s3, bucket: str) -> None:
    w = open_writer(s3, bucket, **{"flush.size": 1000, "rotate.interval.ms": 10_000,
                                   "partitioner.class": "HourlyPartitioner", "locale": "en-US", "timezone": "UTC",
                                   "timestamp.extractor": "Record"})
    w.write(orders(0, 25, ts=1_700_000_000_000 - 1_700_000_000_000 % 3_600_000))  # one record per second
    # files of 10 s of record time: offsets 0-9, 10-19; 20-24 still open
    assert w.durable_position() == 20
    w.close()
    assert keys(s3.client(), bucket) == [
        f"topics/orders/year=2023/month=11/day=14/hour=22/orders+0+{o:010d}.json" for o in (0, 10, 20)]


def test_partition_change_rotates_with_rotate_interval(s3, bucket: str) -> None:
    w = open_writer(s3, bucket, **{"flush.size": 1000, "rotate.interval.ms": 3_600_000,
                                   "partitioner.class": "HourlyPartitioner", "locale": "en", "timezone": "UTC",
                                   "timestamp.extractor": "Record"})
    hour = 1_699_999_200_000  # 2023-11-14T22:00Z
    w.write(orders(0, 4, ts=hour + 3_598_000, step_ms=1000))  # 2 records in hour 22, 2 in hour 23
    w.close()
    assert keys(s3.client(), bucket) == [
        "topics/orders/year=2023/month=11/day=14/hour=22/orders+0+0000000000.json",
        "topics/orders/year=2023/month=11/day=14/hour=23/orders+0+0000000002.json"]


def test_rotate_schedule_uses_the_wall_clock(s3, bucket: str) -> None:
    now = [1_700_000_000.0]
    w = open_writer(s3, bucket, clock=lambda: now[0], **{"flush.size": 1000, "rotate.schedule.interval.ms": 60_000,
                                                          "timezone": "UTC"})
    w.write(orders(0, 5))
    assert w.flush() == {"committed": None} and keys(s3.client(), bucket) == []
    now[0] += 60
    assert w.flush() == {"committed": 5}
    w.write(orders(5, 2))
    now[0] += 60
    w.write(orders(7, 1))  # the schedule passed: the open file (5, 6) commits before this record
    assert keys(s3.client(), bucket) == [f"topics/orders/partition=0/orders+0+{o:010d}.json" for o in (0, 5)]


def test_field_partitioner_and_bad_records_are_reported(s3, bucket: str) -> None:
    ctx = FakeCtx()
    w = open_writer(s3, bucket, ctx=ctx, **{"flush.size": 4, "partitioner.class": "FieldPartitioner",
                                            "partition.field.name": "note"})
    records = orders(0, 4)
    records.insert(1, Record("orders", None, {"schemaless": True}, 0, 50))
    w.write(records)
    assert [r.offset for r, _ in ctx.reported] == [50]
    assert keys(s3.client(), bucket) == ["topics/orders/note=even/orders+0+0000000000.json",
                                         "topics/orders/note=null/orders+0+0000000001.json"]


def test_large_files_go_up_as_multipart_uploads(s3, bucket: str) -> None:
    part = 5 * 1024 * 1024
    w = open_writer(s3, bucket, **{"flush.size": 30_000, "s3.part.size": part})
    big = "x" * 400
    schema = SchemaBuilder.struct().field("id", INT64_SCHEMA).field("pad", STRING_SCHEMA).build()
    records = [Record("big", None, Struct(schema, {"id": i, "pad": big}), 0, i, None, schema) for i in range(30_000)]
    for i in range(0, len(records), 1000):
        w.write(records[i:i + 1000])
        open_files = list(w.files.values())
        assert all(f.stream._buffered < part for f in open_files)  # memory stays below one part per file
    head = s3.client().head_object(Bucket=bucket, Key="topics/big/partition=0/big+0+0000000000.json")
    assert head["ContentLength"] > 2 * part and head["ETag"].strip('"').endswith("-3")
    lines = body(s3.client(), bucket, "topics/big/partition=0/big+0+0000000000.json").splitlines()
    assert len(lines) == 30_000 and json.loads(lines[-1])["id"] == 29_999


@pytest.mark.parametrize("fmt", ["JsonFormat", "ParquetFormat", "AvroFormat"])
def test_replay_after_a_crash_rewrites_the_same_objects(s3, bucket: str, fmt: str) -> None:
    """A writer dies with a file open; the runtime replays from its durable position with the last state."""
    records = orders(0, 57)
    reference = open_writer(s3, bucket, "orders-0", **{"flush.size": 20, "format.class": fmt, "topics.dir": "ref"})
    reference.write(records)
    reference.close()

    first = open_writer(s3, bucket, "orders-0", **{"flush.size": 20, "format.class": fmt, "topics.dir": "run"})
    first.write(records[:13])
    state = first.flush()
    first.write(records[13:45])
    held = first.durable_position()
    state_at_crash = first.flush()  # epoch boundary: 0-19 committed; 20-44 open
    assert held == 40 and state_at_crash == {"committed": 40} and state == {"committed": None}
    # kill -9: nothing of the open file is visible, replay starts at the durable position
    second = open_writer(s3, bucket, "orders-0", state=state_at_crash,
                         **{"flush.size": 20, "format.class": fmt, "topics.dir": "run"})
    second.write(records[held - 5:])  # replays may start earlier still: already committed records are skipped
    second.close()

    got = contents(s3.client(), bucket)
    ref = {k.removeprefix("ref/"): v for k, v in got.items() if k.startswith("ref/")}
    run = {k.removeprefix("run/"): v for k, v in got.items() if k.startswith("run/")}
    assert run == ref and len(ref) == 3


def test_schedule_closes_idle_files_without_new_records(s3, bucket: str) -> None:
    from tests.connectors.s3_helpers import make_sink

    now = [1_700_000_000.0]
    sink = make_sink(s3, bucket, **{"flush.size": 1000, "rotate.schedule.interval.ms": 60_000, "timezone": "UTC"})
    w = sink.open("orders-0", None)
    w.clock = lambda: now[0]
    w.next_schedule = w._next_schedule()
    w.write(orders(0, 3))
    sink.tick()
    assert keys(s3.client(), bucket) == []
    now[0] += 60  # no record arrives; the sink's timer thread calls tick()
    sink.tick()
    assert keys(s3.client(), bucket) == ["topics/orders/partition=0/orders+0+0000000000.json"]
    assert w.durable_position() == 3 and w.flush() == {"committed": 3}


def test_large_parquet_files_stream_row_groups_of_about_one_part(s3, bucket: str) -> None:
    import hashlib
    import io

    import pyarrow.parquet as pq

    part = 5 * 1024 * 1024
    w = open_writer(s3, bucket, **{"flush.size": 24_000, "s3.part.size": part, "format.class": "ParquetFormat",
                                   "parquet.codec": "none"})
    schema = SchemaBuilder.struct().field("id", INT64_SCHEMA).field("blob", STRING_SCHEMA).build()

    def blob(i: int) -> str:  # incompressible, so the file really is larger than a part
        return "".join(hashlib.sha512(f"{i}-{j}".encode()).hexdigest() for j in range(3))

    records = [Record("pq", None, Struct(schema, {"id": i, "blob": blob(i)}), 0, i, None, schema)
               for i in range(24_000)]
    for i in range(0, len(records), 1000):
        w.write(records[i:i + 1000])
        for f in w.files.values():
            assert f.stream._buffered < part and f.writer._pending_bytes < part  # type: ignore[attr-defined]
    data = body(s3.client(), bucket, "topics/pq/partition=0/pq+0+0000000000.parquet")
    meta = pq.ParquetFile(io.BytesIO(data)).metadata
    assert len(data) > part and meta.num_row_groups == 2 and meta.num_rows == 24_000
    assert pq.read_table(io.BytesIO(data), columns=["id"])["id"].to_pylist() == list(range(24_000))


def test_a_failed_write_drops_open_files_instead_of_committing_them(s3, bucket: str) -> None:
    w = open_writer(s3, bucket, **{"flush.size": 10})
    w.write(orders(0, 5))
    with pytest.raises(ConnectException):
        w.write([Record("orders", b"k", None, 0, 5)])  # a tombstone with behavior.on.null.values=fail
    w.close()  # Bytewax closes the partition while unwinding
    assert keys(s3.client(), bucket) == []


def test_schedule_moves_on_while_nothing_is_written(s3, bucket: str) -> None:
    now = [1_700_000_000.0]
    w = open_writer(s3, bucket, clock=lambda: now[0], **{"flush.size": 1000, "rotate.schedule.interval.ms": 60_000,
                                                          "timezone": "UTC"})
    now[0] += 600  # idle for ten intervals: the first record after that must not rotate at once
    w.write(orders(0, 1))
    w.write(orders(1, 1))
    assert keys(s3.client(), bucket) == [] and w.record_count == 2
